"""Sessions of signed-in browsers: a random token in the cookie, only its SHA-256 stored.

:func:`open_session` starts one for a credential (after the page checked its API key) and returns
the token and the session's CSRF token; :func:`find_session` reads it back for a token, while it
has not expired and its credential is not revoked; :func:`close_session` ends it (sign out).
The API key itself is never stored here nor put in a cookie.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from storage.credentials import Credential, get_credential
from storage.tables import CredentialRow, WebSessionRow

TOKEN_BYTES = 32


@dataclass(frozen=True, slots=True)
class WebSession:
    """A live session: the credential it acts with and the CSRF token its forms carry."""

    credential: Credential
    csrf_token: str
    expires_at: datetime


def token_hash(token: str) -> str:
    """The stored form of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes: they were stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def open_session(session: Session, credential_id: str, lifetime: timedelta) -> tuple[str, str]:
    """Start a session for ``credential_id``; return its token (for the cookie) and its CSRF
    token. Expired sessions are cleared on the way."""
    now = _now()
    session.execute(delete(WebSessionRow).where(WebSessionRow.expires_at < now))
    token, csrf = secrets.token_urlsafe(TOKEN_BYTES), secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        WebSessionRow(
            token_hash=token_hash(token),
            credential_id=credential_id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    return token, csrf


def find_session(session: Session, token: str) -> WebSession | None:
    """The live session of ``token``: None when unknown, expired, or its key was revoked."""
    row = session.get(WebSessionRow, token_hash(token))
    if row is None or _aware(row.expires_at) <= _now():
        return None
    credential = session.get(CredentialRow, row.credential_id)
    if credential is None or credential.revoked_at is not None:
        return None
    return WebSession(
        credential=get_credential(session, row.credential_id),
        csrf_token=row.csrf_token,
        expires_at=_aware(row.expires_at),
    )


def close_session(session: Session, token: str) -> None:
    """End the session of ``token`` (nothing happens for an unknown one)."""
    session.execute(delete(WebSessionRow).where(WebSessionRow.token_hash == token_hash(token)))

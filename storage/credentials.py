"""Credentials: API keys that act for one party in one role, stored only as argon2id hashes.

A key reads ``pv_<id>_<secret>``: ``id`` (12 hex digits) is public and names the credential's
row, so verifying a key hashes against one candidate only; ``secret`` (32 random bytes, URL-safe
base64) is shown once, when the key is issued, and never stored. A role must fit its party: a
bank key acts for a bank, an enterprise key for an enterprise, a regulator key for a regulator;
an admin key may belong to any party. Revoking keeps the row (and its audit events) and stops
the key at once.

Demo keys (:func:`demo_key`) are derived from a demo secret, so that a demo can print the same
keys every time it starts; the service refuses to issue them outside development.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from models.enums import PartyKind, Role
from storage import audit
from storage.commands import atomic
from storage.errors import AlreadyExistsError, DomainError, NotFoundError, RefusedError
from storage.parties import get_party
from storage.tables import CredentialRow

PREFIX = "pv"
ID_HEX_DIGITS = 12
SECRET_BYTES = 32
ROLE_PARTY_KINDS: dict[Role, PartyKind | None] = {
    Role.BANK: PartyKind.BANK,
    Role.ENTERPRISE: PartyKind.ENTERPRISE,
    Role.REGULATOR: PartyKind.REGULATOR,
    Role.ADMIN: None,  # any party
}
"""The kind of party each role acts for (None: any)."""

_HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory profile


class Credential(BaseModel):
    """A credential as listed: never its secret."""

    model_config = ConfigDict(frozen=True)

    credential_id: str
    party_id: str
    role: Role
    label: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        """Whether the key still works."""
        return self.revoked_at is None


class IssuedCredential(BaseModel):
    """A new credential and its key, shown this once."""

    model_config = ConfigDict(frozen=True)

    credential: Credential
    key: str


def _credential(row: CredentialRow) -> Credential:
    """The credential of a row."""
    return Credential(
        credential_id=row.credential_id,
        party_id=row.party_id,
        role=Role(row.role),
        label=row.label,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def format_key(credential_id: str, secret: str) -> str:
    """The key text of a credential id and secret."""
    return f"{PREFIX}_{credential_id}_{secret}"


def parse_key(key: str) -> tuple[str, str] | None:
    """(credential id, secret) of a well-formed key, else None."""
    prefix, _, rest = key.partition("_")
    credential_id, _, secret = rest.partition("_")
    well_formed = (
        prefix == PREFIX
        and len(credential_id) == ID_HEX_DIGITS
        and all(c in "0123456789abcdef" for c in credential_id)
        and len(secret) >= 16
    )
    return (credential_id, secret) if well_formed else None


def hash_secret(key: str) -> str:
    """The argon2id hash stored for ``key``."""
    return _HASHER.hash(key)


def secret_matches(secret_hash: str, key: str) -> bool:
    """Whether ``key`` is the one ``secret_hash`` was made from."""
    try:
        return _HASHER.verify(secret_hash, key)
    except (VerificationError, InvalidHashError):
        return False


def demo_key(demo_secret: str, label: str) -> str:
    """The deterministic demo key of ``label``: HMAC-SHA256 of the demo secret."""
    digest = hmac.new(demo_secret.encode(), label.encode(), hashlib.sha256).hexdigest()
    secret = hmac.new(demo_secret.encode(), f"secret:{label}".encode(), hashlib.sha256)
    return format_key(digest[:ID_HEX_DIGITS], secret.hexdigest())


def _check_role(session: Session, party_id: str, role: Role) -> None:
    """Refuse a role that does not fit the party's kind."""
    party = get_party(session, party_id)
    wanted = ROLE_PARTY_KINDS[role]
    if wanted is not None and party.kind is not wanted:
        raise DomainError(
            "role",
            f"a {role.value} key acts for a {wanted.value}; {party.party_id} is a "
            f"{party.kind.value}",
            code="ROLE_DOES_NOT_FIT_PARTY",
        )


def issue_credential(
    session: Session,
    party_id: str,
    role: Role,
    *,
    label: str,
    actor: str,
    key: str | None = None,
) -> IssuedCredential:
    """Store a new credential for ``party_id`` in ``role`` and return its key (a random one,
    or ``key`` when given, e.g. a demo key)."""
    if key is None:
        key = format_key(secrets.token_hex(ID_HEX_DIGITS // 2), secrets.token_urlsafe(SECRET_BYTES))
    parsed = parse_key(key)
    if parsed is None:
        raise DomainError("key", "not a patentval key (pv_<12 hex digits>_<secret>)")
    if not label.strip() or len(label) > 128:
        raise DomainError("label", "give a label of 1 to 128 characters")
    with atomic(session):
        _check_role(session, party_id, role)
        if session.get(CredentialRow, parsed[0]) is not None:
            raise AlreadyExistsError("credential_id", f"credential {parsed[0]} exists")
        row = CredentialRow(
            credential_id=parsed[0],
            party_id=party_id,
            role=role.value,
            label=label,
            secret_hash=hash_secret(key),
            created_at=datetime.now(UTC),
        )
        session.add(row)
        session.flush()
        credential = _credential(row)
        audit.append(
            session,
            actor=actor,
            action="credential.issue",
            subject_type="credential",
            subject_id=row.credential_id,
            payload={"party_id": party_id, "role": role, "label": label},
        )
    return IssuedCredential(credential=credential, key=key)


def get_credential(session: Session, credential_id: str) -> Credential:
    """The credential ``credential_id``; :class:`NotFoundError` when there is none."""
    row = session.get(CredentialRow, credential_id)
    if row is None:
        raise NotFoundError("credential_id", f"no credential {credential_id!r}")
    return _credential(row)


_ACTIVE = select(
    CredentialRow.credential_id,
    CredentialRow.party_id,
    CredentialRow.role,
    CredentialRow.label,
    CredentialRow.created_at,
    CredentialRow.secret_hash,
).where(CredentialRow.credential_id == bindparam("id"), CredentialRow.revoked_at.is_(None))
"""An active credential's columns (the statement is built once: every request reads one)."""


def stored_hash(session: Session, credential_id: str) -> tuple[Credential, str] | None:
    """An active credential and its stored hash, for verification; None when there is no
    such active credential."""
    row = session.execute(_ACTIVE, {"id": credential_id}).one_or_none()
    if row is None:
        return None
    return Credential.model_validate(row._mapping), row.secret_hash


def authenticate(session: Session, key: str) -> Credential | None:
    """The active credential whose key is ``key``, else None (one hash is checked)."""
    parsed = parse_key(key)
    found = None if parsed is None else stored_hash(session, parsed[0])
    if found is None or not secret_matches(found[1], key):
        return None
    return found[0]


def list_credentials(session: Session, party_id: str | None = None) -> Sequence[Credential]:
    """Every credential (of one party), oldest first; no secrets."""
    query = select(CredentialRow).order_by(CredentialRow.created_at, CredentialRow.credential_id)
    if party_id is not None:
        query = query.where(CredentialRow.party_id == party_id)
    return [_credential(row) for row in session.execute(query).scalars()]


def revoke_credential(session: Session, credential_id: str, *, actor: str) -> Credential:
    """Stop the key ``credential_id`` from working; refused when it is already revoked."""
    with atomic(session):
        row = session.get(CredentialRow, credential_id, with_for_update=True)
        if row is None:
            raise NotFoundError("credential_id", f"no credential {credential_id!r}")
        if row.revoked_at is not None:
            raise RefusedError(
                "credential_id", f"credential {credential_id} is already revoked", code="REVOKED"
            )
        row.revoked_at = datetime.now(UTC)
        session.flush()
        audit.append(
            session,
            actor=actor,
            action="credential.revoke",
            subject_type="credential",
            subject_id=credential_id,
            payload={"party_id": row.party_id, "role": row.role},
        )
        return _credential(row)

"""Who is calling: API keys sent as ``Authorization: Bearer pv_<id>_<secret>``.

Each request looks its key's credential up by the key's public id (one indexed read, so a
revoked key stops at once) and checks the secret against the stored argon2id hash. Argon2 is
slow on purpose (tens of milliseconds); so that a busy client does not pay it on every request,
a process remembers, per credential, the SHA-256 of the last key it verified, and a request whose
key has that digest skips the argon2 check. Only digests are kept in memory, never keys.

Failed attempts are counted per client address and per key id (:mod:`api.auth_limits`): past
the limit a client gets 429 before any lookup or hash, except with a key this process has
verified before.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy.orm import Session

from api.auth_limits import FailureLimiter
from api.errors import ApiError
from models.enums import Role
from storage import credentials

BEARER = "bearer"


@dataclass(frozen=True, slots=True)
class Principal:
    """The credential a request acts with: its id, party and role."""

    credential_id: str
    party_id: str
    role: Role
    label: str

    @property
    def actor(self) -> str:
        """How the audit log and the loan's maker / approver name this caller."""
        return f"{self.credential_id}:{self.label}"[:64]


def unauthenticated(message: str) -> ApiError:
    """A 401 asking for a bearer key."""
    return ApiError(
        401, "UNAUTHENTICATED", message, "Authorization", {"WWW-Authenticate": "Bearer"}
    )


def presented_key(authorization: str | None) -> str:
    """The ``Authorization`` header; 401 when there is none (which is not a failed attempt)."""
    if not authorization:
        raise unauthenticated("send an API key: Authorization: Bearer pv_…")
    return authorization


class KeyVerifier:
    """Verifies keys against the credentials table, remembering verified digests."""

    def __init__(self, cache_size: int = 10_000, limiter: FailureLimiter | None = None) -> None:
        self._size = cache_size
        self.limiter = limiter or FailureLimiter(limit=0, window=1)
        self._verified: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def _remembered(self, credential_id: str, digest: bytes) -> bool:
        with self._lock:
            known = self._verified.get(credential_id)
            if known is None:
                return False
            self._verified.move_to_end(credential_id)
        return hmac.compare_digest(known, digest)

    def _remember(self, credential_id: str, digest: bytes) -> None:
        if self._size == 0:
            return
        with self._lock:
            self._verified[credential_id] = digest
            self._verified.move_to_end(credential_id)
            while len(self._verified) > self._size:
                self._verified.popitem(last=False)

    def principal(
        self, session: Session, authorization: str | None, client: str | None = None
    ) -> Principal:
        """The principal of an ``Authorization`` header sent from address ``client``; 401 when
        there is none valid, 429 when the client or the key id failed too often."""
        authorization = presented_key(authorization)
        subjects = [] if client is None else [f"ip:{client}"]
        scheme, _, key = authorization.partition(" ")
        key = key.strip()
        parsed = credentials.parse_key(key) if scheme.lower() == BEARER else None
        if parsed is None:
            self.limiter.check(*subjects)
            raise self._failed(subjects, "the Authorization header is not a patentval bearer key")
        subjects.append(f"key:{parsed[0]}")
        digest = hashlib.sha256(key.encode()).digest()
        verified_before = self._remembered(parsed[0], digest)
        if not verified_before:
            self.limiter.check(*subjects)
        found = credentials.stored_hash(session, parsed[0])
        if found is None:
            raise self._failed(subjects, "unknown or revoked API key")
        credential, secret_hash = found
        if not verified_before:
            if not credentials.secret_matches(secret_hash, key):
                raise self._failed(subjects, "unknown or revoked API key")
            self._remember(credential.credential_id, digest)
        return Principal(
            credential_id=credential.credential_id,
            party_id=credential.party_id,
            role=credential.role,
            label=credential.label,
        )

    def _failed(self, subjects: list[str], message: str) -> ApiError:
        """Count a failed attempt; the 401 to raise."""
        self.limiter.failed(*subjects)
        return unauthenticated(message)

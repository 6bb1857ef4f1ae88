"""The Idempotency-Key header of the POSTs that create a pledge, a loan, a repayment or an
appraisal.

A key belongs to the credential that sends it. The first request claims it (the claim is
committed at once, with the request's fingerprint); its work and its response are then stored in
one transaction, so a key is either answered or free, never half-used. A repeat with the same
body gets the first response (same status, same body); the same key with another body is refused
(422 ``IDEMPOTENCY_KEY_REUSED``); a repeat while the first is still running gets 409
``IDEMPOTENCY_KEY_IN_USE``; a request that fails frees its key. The storage commands take the
same key too (:func:`storage.commands.execute`), so the record and the key go together.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.errors import ApiError
from api.security import Principal
from storage.commands import request_hash
from storage.tables import HttpIdempotencyRow

Read = TypeVar("Read", bound=BaseModel)
STALE_AFTER = timedelta(minutes=2)
"""A claim older than this whose request never finished (its process died) is taken over."""


def new_id(prefix: str, storage_key: str | None) -> str:
    """A new record id: derived from the idempotency key when there is one (so a retry names
    the same record), random otherwise."""
    if storage_key is None:
        return f"{prefix}-{uuid.uuid4().hex[:20]}"
    return f"{prefix}-{hashlib.sha256(storage_key.encode()).hexdigest()[:20]}"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _claim(session: Session, scoped: str, fingerprint: str, read_type: type[Read]) -> Read | None:
    """Claim ``scoped``; the first response when it was answered before (None: claimed)."""
    session.commit()
    try:
        session.add(
            HttpIdempotencyRow(key=scoped, fingerprint=fingerprint, created_at=datetime.now(UTC))
        )
        session.commit()
        return None
    except IntegrityError:
        session.rollback()
    row = session.get(HttpIdempotencyRow, scoped, populate_existing=True)
    if row is None:  # freed in between by a failed twin: claim again
        return _claim(session, scoped, fingerprint, read_type)
    if row.fingerprint != fingerprint:
        raise ApiError(
            422,
            "IDEMPOTENCY_KEY_REUSED",
            "this Idempotency-Key was used with another request; use a new key",
            "Idempotency-Key",
        )
    if row.body is not None:
        return read_type.model_validate_json(row.body)
    if datetime.now(UTC) - _aware(row.created_at) < STALE_AFTER:
        raise ApiError(
            409,
            "IDEMPOTENCY_KEY_IN_USE",
            "a request with this Idempotency-Key is still running; retry later",
            "Idempotency-Key",
        )
    row.created_at = datetime.now(UTC)  # its first request died: take the claim over
    session.commit()
    return None


def idempotent(
    session: Session,
    principal: Principal,
    key: str | None,
    operation: str,
    request: Any,
    read_type: type[Read],
    work: Callable[[str | None], Read],
    status_code: int = 201,
) -> Read:
    """Run ``work`` once per (credential, key, request); ``work`` gets the storage key."""
    if key is None:
        return work(None)
    scoped = f"{principal.credential_id}:{key}"
    fingerprint = request_hash(operation, request)
    earlier = _claim(session, scoped, fingerprint, read_type)
    if earlier is not None:
        return earlier
    try:
        result = work(f"http:{scoped}")
        row = session.get(HttpIdempotencyRow, scoped)
        assert row is not None
        row.status_code, row.body = status_code, result.model_dump_json()
        session.flush()
    except BaseException:
        session.rollback()
        session.execute(delete(HttpIdempotencyRow).where(HttpIdempotencyRow.key == scoped))
        session.commit()
        raise
    return result

"""How every write runs: atomically, with domain errors, and at most once per idempotency key.

A command's writes go in one savepoint of the caller's transaction, so a refused command leaves
nothing behind even when the caller goes on. With an idempotency key, the key is claimed first
(inserted with the hash of the request): a repeat with the same request returns the stored first
result and writes nothing; a different request under the same key is refused with
:class:`~storage.errors.IdempotencyConflictError`. Two concurrent requests with one key queue on
the key's primary key; the second then finds the first's result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.audit import canonical_json
from storage.errors import (
    AlreadyExistsError,
    AlreadyPledgedError,
    DomainError,
    IdempotencyConflictError,
    domain_errors,
)
from storage.tables import IdempotencyKeyRow

Result = TypeVar("Result", bound=BaseModel)
_DEPTH = "patentval.command_depth"

# Constraint (PostgreSQL name, or SQLite's "table.column" list) → the error it means.
_CONSTRAINTS: dict[str, tuple[type[DomainError], str, str]] = {
    "uq_pledged_patents_live_patent": (
        AlreadyPledgedError,
        "patents",
        "a patent of the pledge is already in a live pledge",
    ),
    "pledged_patents.patent_id": (
        AlreadyPledgedError,
        "patents",
        "a patent of the pledge is already in a live pledge",
    ),
    "uq_pledges_registration_number": (
        AlreadyExistsError,
        "registration_number",
        "the registration number is already recorded for another pledge",
    ),
    "pledges.registration_number": (
        AlreadyExistsError,
        "registration_number",
        "the registration number is already recorded for another pledge",
    ),
}


def registration_number_taken(number: str) -> str:
    """Why a pledge cannot record registration number ``number`` another pledge has."""
    return f"registration number {number} is already recorded for another pledge"


def constraint_of(error: IntegrityError) -> str:
    """The name of the constraint an IntegrityError broke (SQLite: its ``table.column`` list)."""
    diag = getattr(error.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name:
        return str(name)
    message = str(error.orig)
    _, _, columns = message.partition("constraint failed: ")
    return columns.strip()


@contextmanager
def atomic(session: Session) -> Iterator[None]:
    """Run a block in a savepoint: all of its writes or none, failures as domain errors.

    A command inside another command (a repayment that closes its loan, the demo load) runs in
    the enclosing command's savepoint: if it fails, the enclosing command fails with it."""
    depth = session.info.get(_DEPTH, 0)
    session.info[_DEPTH] = depth + 1
    try:
        with domain_errors(), session.begin_nested() if depth == 0 else nullcontext():
            yield
            session.flush()
    except IntegrityError as error:
        known = _CONSTRAINTS.get(constraint_of(error))
        if known is None:
            raise AlreadyExistsError("request", f"refused by the database: {error.orig}") from error
        kind, field, reason = known
        raise kind(field, reason) from error
    finally:
        session.info[_DEPTH] = depth


def request_hash(command: str, request: Any) -> str:
    """SHA-256 of a command's name and request in canonical JSON."""
    return hashlib.sha256(
        canonical_json({"command": command, "request": request}).encode()
    ).hexdigest()


def _replay(row: IdempotencyKeyRow, command: str, digest: str, result_type: type[Result]) -> Result:
    """The stored first result, when the request is the same."""
    if row.command != command or row.request_hash != digest:
        raise IdempotencyConflictError(
            "idempotency_key",
            f"{row.key!r} was used for another request ({row.command}); use a new key",
        )
    if row.response is None:  # claimed inside this very transaction and not finished
        raise IdempotencyConflictError("idempotency_key", f"{row.key!r} is in use")
    return result_type.model_validate_json(row.response)


def _stored(session: Session, key: str) -> IdempotencyKeyRow | None:
    """The idempotency key row, read afresh."""
    query = select(IdempotencyKeyRow).where(IdempotencyKeyRow.key == key)
    return session.execute(query.execution_options(populate_existing=True)).scalar_one_or_none()


def execute(
    session: Session,
    command: str,
    request: Any,
    result_type: type[Result],
    work: Callable[[], Result],
    idempotency_key: str | None = None,
) -> Result:
    """Run ``work`` atomically; with a key, once per key and request (see the module)."""
    if idempotency_key is None:
        with atomic(session):
            return work()
    digest = request_hash(command, request)
    found = _stored(session, idempotency_key)
    if found is not None:
        return _replay(found, command, digest, result_type)
    with atomic(session):
        try:
            with session.begin_nested():
                claim = IdempotencyKeyRow(
                    key=idempotency_key,
                    command=command,
                    request_hash=digest,
                    created_at=datetime.now(UTC),
                )
                session.add(claim)
        except IntegrityError:  # a concurrent twin claimed the key and has committed since
            found = _stored(session, idempotency_key)
            if found is None:
                raise
            return _replay(found, command, digest, result_type)
        result = work()
        claim.response = result.model_dump_json()
    return result

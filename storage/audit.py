"""The append-only audit log, a hash chain: each event stores the SHA-256 of the previous event's
hash and its own canonical content.

Canonical content is JSON with sorted keys and no spaces of ``seq``, ``recorded_at`` (UTC,
ISO 8601 with microseconds), ``actor``, ``action``, ``subject_type``, ``subject_id`` and
``payload`` (itself canonical JSON, stored as text so that it hashes as stored), and::

    hash = sha256(prev_hash + "\\n" + content)

with ``prev_hash`` of the first event 64 zeros. Appenders are serialised (a transaction-scoped
advisory lock on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` write lock), so events are numbered 1,
2, 3, … without gaps or forks. The database refuses an UPDATE or DELETE of an event, and an event
whose ``seq`` or ``prev_hash`` does not continue the chain (see the migrations).

:func:`verify` recomputes the chain and reports the first event that does not fit: an edited
event (its hash no longer matches its content), an edited hash (the next event's link breaks) or a
deleted one (a gap). Deleting the newest events leaves a shorter chain that is intact in itself;
to catch that, keep the head's hash that :func:`verify` reports somewhere else and pass it back as
``anchor`` next time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Protocol

from pydantic import BaseModel
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from storage.tables import GENESIS_HASH, AuditEventRow, table_of

_POSTGRES_LOCK_KEY = 0x61756469  # pg_advisory_xact_lock key of the audit chain
_VERIFY_BATCH = 5_000
_FIELDS = (
    "seq",
    "recorded_at",
    "actor",
    "action",
    "subject_type",
    "subject_id",
    "payload",
    "prev_hash",
    "hash",
)
_TABLE = table_of(AuditEventRow)
_INSERT = insert(_TABLE)
_LAST = select(_TABLE.c.seq, _TABLE.c.hash).order_by(_TABLE.c.seq.desc()).limit(1)
_LOCK = text("SELECT pg_advisory_xact_lock(:key)").bindparams(key=_POSTGRES_LOCK_KEY)


def _plain(value: Any) -> Any:
    """``value`` as JSON-ready data: models dumped, decimals and dates as text."""
    if isinstance(value, BaseModel):
        return _plain(value.model_dump(mode="json"))
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Enum):
        return _plain(value.value)
    if isinstance(value, Decimal | date):
        return str(value)
    return value


def canonical_json(value: Any) -> str:
    """JSON with sorted keys, no spaces, non-ASCII kept: the same text for the same data."""
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def instant_text(moment: datetime) -> str:
    """A timestamp as UTC ISO 8601 with microseconds (a naive one is taken as UTC)."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.isoformat(timespec="microseconds")


class _Event(Protocol):
    seq: int
    recorded_at: datetime
    actor: str
    action: str
    subject_type: str
    subject_id: str
    payload: str


def content_of(event: _Event) -> str:
    """The canonical content of an event, as hashed."""
    return canonical_json(
        {
            "seq": event.seq,
            "recorded_at": instant_text(event.recorded_at),
            "actor": event.actor,
            "action": event.action,
            "subject_type": event.subject_type,
            "subject_id": event.subject_id,
            "payload": event.payload,
        }
    )


def chain_hash(prev_hash: str, content: str) -> str:
    """SHA-256 (hex) of the previous hash and an event's canonical content."""
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    payload: Any,
) -> AuditEventRow:
    """Append one event to the chain, in the session's transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_LOCK)
    last = session.execute(_LAST).one_or_none()
    last_seq, last_hash = (0, GENESIS_HASH) if last is None else last
    event = AuditEventRow(
        seq=last_seq + 1,
        recorded_at=datetime.now(UTC),
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        payload=canonical_json(payload),
        prev_hash=last_hash,
    )
    event.hash = chain_hash(event.prev_hash, content_of(event))
    session.execute(_INSERT, {name: getattr(event, name) for name in _FIELDS})
    return event


def history(session: Session, subject_type: str, subject_id: str) -> list[AuditEventRow]:
    """The events about one subject, oldest first."""
    query = (
        select(AuditEventRow)
        .where(AuditEventRow.subject_type == subject_type, AuditEventRow.subject_id == subject_id)
        .order_by(AuditEventRow.seq)
    )
    return list(session.execute(query).scalars())


def count(session: Session) -> int:
    """How many events the log holds."""
    return session.execute(select(func.count()).select_from(_TABLE)).scalar_one()


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome of :func:`verify`: events checked, the head's hash, and the first break
    (``broken_at`` None when the chain is intact)."""

    events: int
    head_hash: str
    broken_at: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        """Whether every event fits the chain."""
        return self.broken_at is None


def _check(row: Any, expected_seq: int, prev_hash: str) -> str | None:
    """What is wrong with ``row`` as the event after ``prev_hash`` (None when it fits)."""
    if row.seq != expected_seq:
        return f"event {expected_seq} is missing (the next is {row.seq}): it was deleted"
    if row.prev_hash != prev_hash:
        return (
            f"its prev_hash {row.prev_hash[:12]}… is not the hash of event {row.seq - 1}, "
            f"{prev_hash[:12]}…: event {row.seq - 1} was altered"
        )
    computed = chain_hash(row.prev_hash, content_of(row))
    if computed != row.hash:
        return (
            f"its stored hash {row.hash[:12]}… is not the hash of its content, "
            f"{computed[:12]}…: the event was edited"
        )
    return None


def verify(session: Session, anchor: str | None = None) -> Verification:
    """Recompute the chain from the first event and stop at the first that does not fit; with
    ``anchor`` (a head hash reported earlier), also check that the anchored event is still there.
    """
    columns = [_TABLE.c[name] for name in _FIELDS]
    expected_seq, prev_hash, checked, anchored = 1, GENESIS_HASH, 0, anchor is None
    while True:
        batch = session.execute(
            select(*columns)
            .where(_TABLE.c.seq >= expected_seq)
            .order_by(_TABLE.c.seq)
            .limit(_VERIFY_BATCH)
        ).all()
        for row in batch:
            problem = _check(row, expected_seq, prev_hash)
            if problem is not None:
                return Verification(checked, prev_hash, expected_seq, problem)
            anchored = anchored or row.hash == anchor
            expected_seq, prev_hash, checked = row.seq + 1, row.hash, checked + 1
        if len(batch) < _VERIFY_BATCH:
            break
    if not anchored:
        return Verification(
            checked,
            prev_hash,
            expected_seq,
            f"no event has the anchored hash {anchor}: events after event {checked} were deleted",
        )
    return Verification(checked, prev_hash)

"""The audit log is a hash chain: verification passes on an intact log and names the first event
that an edit or a deletion broke (made possible here by disabling the refusing triggers)."""

import hashlib

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from storage import audit
from storage.tables import GENESIS_HASH, AuditEventRow
from tests.storage.builders import registered_pledge


def bypass_triggers(session: Session) -> None:
    """Let UPDATE and DELETE through on audit_events (rolled back with the test)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
    else:
        session.execute(text("DROP TRIGGER tr_audit_events_no_update"))
        session.execute(text("DROP TRIGGER tr_audit_events_no_delete"))


def test_the_chain_links_each_event_to_the_one_before(session: Session) -> None:
    registered_pledge(session)
    events = audit.history(session, "pledge", "P-1")
    first = session.execute(text("SELECT prev_hash FROM audit_events WHERE seq = 1")).scalar_one()
    assert first == GENESIS_HASH
    for event in events:
        expected = hashlib.sha256(f"{event.prev_hash}\n{audit.content_of(event)}".encode())
        assert event.hash == expected.hexdigest()
    found = audit.verify(session)
    assert found.intact
    assert found.events == audit.count(session) > len(events)
    assert found.head_hash == events[-1].hash


def test_an_edited_event_is_named(session: Session) -> None:
    registered_pledge(session)
    bypass_triggers(session)
    session.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE seq = 3"))
    found = audit.verify(session)
    assert (found.intact, found.broken_at, found.events) == (False, 3, 2)
    assert found.problem is not None
    assert "edited" in found.problem


def test_an_edit_that_rewrites_its_hash_breaks_the_next_link(session: Session) -> None:
    registered_pledge(session)
    bypass_triggers(session)
    session.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE seq = 3"))
    edited = session.execute(select(AuditEventRow).where(AuditEventRow.seq == 3)).scalar_one()
    session.refresh(edited)
    rehashed = audit.chain_hash(edited.prev_hash, audit.content_of(edited))
    session.execute(text("UPDATE audit_events SET hash = :h WHERE seq = 3"), {"h": rehashed})
    found = audit.verify(session)
    assert found.broken_at == 4
    assert found.problem is not None
    assert "event 3 was altered" in found.problem


def test_a_deleted_event_is_named(session: Session) -> None:
    registered_pledge(session)
    bypass_triggers(session)
    session.execute(text("DELETE FROM audit_events WHERE seq = 4"))
    found = audit.verify(session)
    assert (found.broken_at, found.events) == (4, 3)
    assert found.problem is not None
    assert "missing" in found.problem


def test_deleted_newest_events_are_caught_by_an_anchor(session: Session) -> None:
    registered_pledge(session)
    head = audit.verify(session)
    bypass_triggers(session)
    session.execute(text("DELETE FROM audit_events WHERE seq = :seq"), {"seq": head.events})
    assert audit.verify(session).intact  # a shorter chain is intact in itself
    found = audit.verify(session, anchor=head.head_hash)
    assert not found.intact
    assert found.problem is not None
    assert "anchored" in found.problem


@pytest.mark.parametrize("seq", [1, 2])
def test_the_first_events_are_checked_too(session: Session, seq: int) -> None:
    registered_pledge(session)
    bypass_triggers(session)
    session.execute(text("UPDATE audit_events SET payload = '{}' WHERE seq = :seq"), {"seq": seq})
    assert audit.verify(session).broken_at == seq

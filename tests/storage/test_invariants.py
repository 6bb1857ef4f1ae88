"""The database refuses what the invariants forbid, even when the code is bypassed (raw SQL):
a second live pledge of a patent, a change to the journal or the audit log, an unbalanced entry,
an audit event that does not continue the chain, an approver who is the maker."""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from models.money import Money
from pledge import ledger as postings
from storage import ledger
from storage.database import transaction
from storage.errors import DomainError
from storage.tables import GENESIS_HASH
from storage.types import Amount
from tests.storage.builders import (
    ON,
    active_loan,
    registered_pledge,
    stored_parties,
    stored_patent,
)


def money(session: Session, amount: str) -> Any:
    """``amount`` as the money column stores it on this engine."""
    return Amount().process_bind_param(Decimal(amount), session.get_bind().dialect)


def check_deferred(session: Session) -> None:
    """Run the checks PostgreSQL defers to the commit now (SQLite's run at once)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))


@pytest.fixture
def refused(session: Session) -> Any:
    """``with refused(match): ...`` runs raw SQL that the database must refuse."""

    def expect(match: str) -> Any:
        class Block:
            def __enter__(self) -> None:
                self.savepoint = session.begin_nested()

            def __exit__(self, kind: Any, error: Any, _tb: Any) -> bool:
                if self.savepoint.is_active:
                    self.savepoint.rollback()
                assert kind is not None, "not refused"
                assert issubclass(kind, DBAPIError), "not refused"
                assert any(m in str(error).lower() for m in match.split("|")), str(error)
                return True

        return Block()

    return expect


def insert_pledge(session: Session, pledge_id: str, status: str) -> None:
    session.execute(
        text(
            "INSERT INTO pledges (pledge_id, pledgor_id, pledgee_id, currency, secured_amount, "
            "status, drafted_on) VALUES (:id, 'ent-jh', 'bank-jh', 'CNY', :amount, :status, :on)"
        ),
        {"id": pledge_id, "amount": money(session, "1000"), "status": status, "on": ON},
    )


def pledge_patent(session: Session, pledge_id: str, number: str, status: str) -> None:
    session.execute(
        text(
            "INSERT INTO pledged_patents (pledge_id, patent_id, position, pledge_status) "
            "VALUES (:id, :number, 0, :status)"
        ),
        {"id": pledge_id, "number": number, "status": status},
    )


def test_a_patent_is_in_one_live_pledge_at_most(session: Session, refused: Any) -> None:
    held = registered_pledge(session).patents[0].patent_number
    with refused("unique"):
        insert_pledge(session, "P-2", "submitted")
        pledge_patent(session, "P-2", held, "submitted")
    # a refused pledge does not hold the patent, nor does an unsubmitted one: the database
    # takes both
    insert_pledge(session, "P-3", "refused")
    pledge_patent(session, "P-3", held, "refused")
    insert_pledge(session, "P-5", "ready")
    pledge_patent(session, "P-5", held, "ready")
    # the status copy must be the pledge's own status
    with refused("foreign key"):
        pledge_patent(session, "P-3", stored_patent(session, 2).number.patent_number, "draft")
    # submitting the ready pledge would make two live pledges of the patent
    with refused("unique"):
        session.execute(text("UPDATE pledges SET status = 'submitted' WHERE pledge_id = 'P-5'"))
    # cancelling the first frees the patent: the copy follows the pledge's status
    session.execute(text("UPDATE pledges SET status = 'cancelled' WHERE pledge_id = 'P-1'"))
    copied = "SELECT pledge_status FROM pledged_patents WHERE pledge_id = 'P-1'"
    assert session.execute(text(copied)).scalar_one() == "cancelled"
    session.execute(text("UPDATE pledges SET status = 'submitted' WHERE pledge_id = 'P-5'"))


def test_journal_entries_and_legs_are_never_changed(session: Session, refused: Any) -> None:
    active_loan(session)
    for table in ("journal_entries", "journal_legs"):
        with refused("append-only"):
            session.execute(text(f"UPDATE {table} SET entry_id = 'x'"))
        with refused("append-only"):
            session.execute(text(f"DELETE FROM {table}"))
    assert len(ledger.entries(session)) == 1


def test_audit_events_are_never_changed(session: Session, refused: Any) -> None:
    stored_parties(session)
    with refused("append-only"):
        session.execute(text("UPDATE audit_events SET actor = 'someone else'"))
    with refused("append-only"):
        session.execute(text("DELETE FROM audit_events WHERE seq = 1"))


def insert_legs(session: Session, entry_id: str, *legs: tuple[str, str, str]) -> None:
    for line, (account, side, amount) in enumerate(legs, start=1):
        session.execute(
            text(
                "INSERT INTO journal_legs (entry_id, line, account, side, amount) "
                "VALUES (:entry, :line, :account, :side, :amount)"
            ),
            {
                "entry": entry_id,
                "line": line,
                "account": account,
                "side": side,
                "amount": money(session, amount),
            },
        )


def insert_header(session: Session, entry_id: str) -> None:
    session.execute(
        text(
            "INSERT INTO journal_entries (entry_id, loan_id, kind, posted_on, currency, memo, "
            "recorded_at) VALUES (:entry, 'L-1', 'interest_accrual', :on, 'CNY', '', :at)"
        ),
        {"entry": entry_id, "on": ON, "at": datetime.now(UTC)},
    )


DR = ("interest_receivable", "debit")
CR = ("interest_income", "credit")


def test_an_entry_balances_or_the_database_refuses_it(session: Session, refused: Any) -> None:
    active_loan(session)
    with refused("unbalanced"):
        insert_legs(session, "E-1", (*DR, "100.00"), (*CR, "99.99"))
        insert_header(session, "E-1")
        check_deferred(session)
    with refused("unbalanced"):  # one leg is not an entry
        insert_legs(session, "E-2", (*DR, "100.00"))
        insert_header(session, "E-2")
        check_deferred(session)
    with refused("unbalanced"):  # nor is a header without legs
        insert_header(session, "E-3")
        check_deferred(session)
    insert_legs(session, "E-4", (*DR, "100.00"), (*CR, "60.00"), (*CR, "40.00"))
    insert_header(session, "E-4")
    check_deferred(session)
    with refused("sealed"):  # legs cannot be added to a posted entry, even balanced ones
        insert_legs(session, "E-4", (*DR, "5.00"), (*CR, "5.00"))
    assert ledger.trial_balance(session) == {"CNY": Decimal("0.00")}


def test_legs_without_their_header_fail_at_commit(fresh_engine: Engine) -> None:
    with transaction(fresh_engine) as session:
        active_loan(session)
    with pytest.raises(DBAPIError, match=r"(?i)foreign key"), transaction(fresh_engine) as session:
        insert_legs(session, "E-9", (*DR, "1.00"), (*CR, "1.00"))
    with transaction(fresh_engine) as session:
        assert [e.kind.value for e in ledger.entries(session)] == ["disbursement"]


def test_the_code_refuses_an_entry_in_two_currencies(session: Session) -> None:
    active_loan(session)
    entry = postings.JournalEntry(
        entry_id="E-5",
        loan_id="L-1",
        kind=postings.EntryKind.INTEREST_ACCRUAL,
        posted_on=ON,
        legs=(
            postings.Leg(account=postings.Account.CASH, side="debit", amount=Money.of(1)),
            postings.Leg(account=postings.Account.CASH, side="credit", amount=Money.of(1)),
            postings.Leg(account=postings.Account.CASH, side="debit", amount=Money.of(1, "USD")),
            postings.Leg(account=postings.Account.CASH, side="credit", amount=Money.of(1, "USD")),
        ),
    )
    with pytest.raises(DomainError, match="mixes currencies"):
        ledger.post(session, entry)


def insert_event(session: Session, seq: int, prev_hash: str) -> None:
    session.execute(
        text(
            "INSERT INTO audit_events (seq, recorded_at, actor, action, subject_type, subject_id, "
            "payload, prev_hash, hash) VALUES (:seq, :at, 'x', 'x', 'x', 'x', '{}', :prev, :hash)"
        ),
        {"seq": seq, "at": datetime.now(UTC), "prev": prev_hash, "hash": f"{seq:064d}"},
    )


def test_an_audit_event_must_continue_the_chain(session: Session, refused: Any) -> None:
    stored_parties(session)  # events 1 and 2
    last = session.execute(text("SELECT hash FROM audit_events WHERE seq = 2")).scalar_one()
    with refused("chain"):
        insert_event(session, 3, GENESIS_HASH)  # links to the wrong event
    with refused("chain"):
        insert_event(session, 4, last)  # leaves a gap
    insert_event(session, 3, last)


def test_the_approver_is_never_the_maker(session: Session, refused: Any) -> None:
    active_loan(session)
    with refused("four_eyes|check"):
        session.execute(text("UPDATE loans SET approver = maker"))


def test_money_is_stored_exactly(session: Session) -> None:
    stored_parties(session)
    stored_patent(session, value="1234.56")
    if session.get_bind().dialect.name == "sqlite":  # whole hundredths: SQLite has no decimal
        query = "SELECT typeof(value), value FROM valuations"
        expected: tuple[object, object] = ("integer", 123456)
    else:
        query = "SELECT pg_typeof(value)::text, value FROM valuations"
        expected = ("numeric", Decimal("1234.56"))
    assert tuple(session.execute(text(query)).one()) == expected


def test_a_pledge_of_unknown_parties_is_refused(session: Session, refused: Any) -> None:
    stored_parties(session)
    with refused("foreign key"):
        session.execute(
            text(
                "INSERT INTO pledges (pledge_id, pledgor_id, pledgee_id, currency, secured_amount,"
                " status, drafted_on) VALUES ('P-9', 'nobody', 'bank-jh', 'CNY', 1, 'draft', :on)"
            ),
            {"on": date(2025, 1, 1)},
        )

"""Concurrent commands on separate connections: one application for registration of a patent
wins and the others get ALREADY_PLEDGED; concurrent repayments on one loan keep its balances
exact; requests repeated concurrently under one idempotency key run once; of concurrent
reschedule requests of a loan one is taken, and of concurrent approvals of it one is done."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from threading import Barrier
from typing import TypeVar

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from models import Money
from pledge.lifecycle import PledgeEvent, RescheduleTerms
from storage import ledger, loans, pledges
from storage.database import transaction
from storage.errors import AlreadyPledgedError, RefusedError
from storage.tables import AuditEventRow, LoanRescheduleRow, PledgedPatentRow, RepaymentRow
from tests.storage.builders import CLERK, ON, active_loan, draft, stored_parties, stored_patent

T = TypeVar("T")
ATTEMPTS = 50


def race(engine: Engine, count: int, command: Callable[[Session, int], T]) -> list[T | Exception]:
    """Run ``command`` ``count`` times at once, each in its own transaction and connection."""
    start = Barrier(count)

    def attempt(i: int) -> T | Exception:
        start.wait()
        try:
            with transaction(engine) as session:
                return command(session, i)
        except Exception as error:
            return error

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(attempt, range(count)))


def rows(engine: Engine, table: type) -> int:
    with transaction(engine) as session:
        return session.execute(select(func.count()).select_from(table)).scalar_one()


def ready_pledges(engine: Engine, count: int) -> str:
    """``count`` pledges P-0 … of one patent, each drafted and pre-checked: the patent's number.
    Unsubmitted pledges hold nothing, so all of them stand."""
    with transaction(engine) as session:
        stored_parties(session)
        number = stored_patent(session).number.patent_number
        for i in range(count):
            pledges.create_pledge(session, draft(f"P-{i}", number), on=ON, actor=CLERK)
            pledges.transition(session, f"P-{i}", PledgeEvent.PRECHECK_PASSED, on=ON, actor=CLERK)
    return number


def submit(session: Session, i: int) -> str:
    return pledges.transition(session, f"P-{i}", PledgeEvent.SUBMIT, on=ON, actor=CLERK).pledge_id


def test_fifty_applications_of_one_patent_one_wins(fresh_engine: Engine) -> None:
    number = ready_pledges(fresh_engine, ATTEMPTS)
    events = rows(fresh_engine, AuditEventRow)
    outcomes = race(fresh_engine, ATTEMPTS, submit)
    won = [o for o in outcomes if isinstance(o, str)]
    lost = [o for o in outcomes if not isinstance(o, str)]
    assert len(won) == 1
    assert len(lost) == ATTEMPTS - 1
    assert all(isinstance(o, AlreadyPledgedError) for o in lost), {type(o) for o in lost}
    assert {o.code for o in lost if isinstance(o, AlreadyPledgedError)} == {"ALREADY_PLEDGED"}
    # nothing half-written: the others are still ready, one audit event more
    assert rows(fresh_engine, AuditEventRow) == events + 1
    with transaction(fresh_engine) as session:
        statuses = session.execute(select(PledgedPatentRow.pledge_status)).scalars().all()
        assert sorted(statuses) == ["ready"] * (ATTEMPTS - 1) + ["submitted"]
        assert pledges.live_pledges(session) == {number: won[0]}


def test_concurrent_repayments_keep_the_balances_exact(fresh_engine: Engine) -> None:
    with transaction(fresh_engine) as session:
        active_loan(session)
        loans.accrue_interest(session, "L-1", Money.of("725.00"), on=ON, actor=CLERK)
    payments = 20

    def repay(session: Session, i: int) -> loans.Repayment:
        return loans.repay(session, "L-1", Money.of("1000.01"), on=ON, actor=CLERK)

    outcomes = race(fresh_engine, payments, repay)
    assert all(isinstance(o, loans.Repayment) for o in outcomes), outcomes
    with transaction(fresh_engine) as session:
        owed = loans.position(session, "L-1")
        # 20 × 1,000.01 = 20,000.20: 725.00 of interest, then 19,275.20 of principal
        assert owed.interest == Money.zero()
        assert owed.principal == Money.of("200000") - Money.of("19275.20")
        assert ledger.trial_balance(session) == {"CNY": Decimal("0.00")}
        interest = session.execute(select(func.sum(RepaymentRow.interest))).scalar_one()
        assert interest == Decimal("725.00")
    assert rows(fresh_engine, RepaymentRow) == payments


def test_one_idempotency_key_used_concurrently_runs_once(fresh_engine: Engine) -> None:
    with transaction(fresh_engine) as session:
        active_loan(session)
    twins = 10

    def repay(session: Session, i: int) -> loans.Repayment:
        return loans.repay(
            session, "L-1", Money.of("5000"), on=ON, actor=CLERK, idempotency_key="pay-once"
        )

    outcomes = race(fresh_engine, twins, repay)
    assert all(isinstance(o, loans.Repayment) for o in outcomes), outcomes
    assert len({o.model_dump_json() for o in outcomes if isinstance(o, loans.Repayment)}) == 1
    assert rows(fresh_engine, RepaymentRow) == 1
    with transaction(fresh_engine) as session:
        assert loans.position(session, "L-1").principal == Money.of("195000")


def test_without_the_code_check_the_index_still_refuses(
    fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database is the guarantee: the race goes through the index, and maps to the code."""
    monkeypatch.setattr(pledges, "_refuse_held", lambda *_: None)
    ready_pledges(fresh_engine, 10)
    outcomes = race(fresh_engine, 10, submit)
    lost = [o for o in outcomes if isinstance(o, AlreadyPledgedError)]
    assert len(lost) == 9
    assert all("already in a live pledge" in o.reason for o in lost)
    with transaction(fresh_engine) as session:
        assert len(pledges.live_pledges(session)) == 1


def test_concurrent_reschedules_of_one_loan_one_is_asked_and_one_approved(
    fresh_engine: Engine,
) -> None:
    later = date(2025, 9, 1)
    terms = RescheduleTerms(annual_rate=Decimal("0.0385"), term_months=36)
    with transaction(fresh_engine) as session:
        active_loan(session)

    def ask(session: Session, i: int) -> str:
        asked = loans.request_reschedule(
            session, "L-1", terms, request_id=f"R-{i}", on=later, actor=f"clerk-{i}"
        )
        return asked.request_id

    asked = race(fresh_engine, 20, ask)
    [request_id] = [o for o in asked if isinstance(o, str)]
    codes = {o.code for o in asked if isinstance(o, RefusedError)}
    assert (codes, sum(isinstance(o, RefusedError) for o in asked)) == ({"RESCHEDULE_PENDING"}, 19)

    def approve(session: Session, i: int) -> str:
        successor = loans.approve_reschedule(
            session, request_id, successor_id=f"L-next-{i}", actor=f"officer-{i}"
        )
        return successor.loan_id

    approved = race(fresh_engine, 20, approve)
    won = [o for o in approved if isinstance(o, str)]
    codes = {o.code for o in approved if isinstance(o, RefusedError)}
    assert (len(won), codes) == (1, {"RESCHEDULE_DECIDED"})
    assert rows(fresh_engine, LoanRescheduleRow) == 1
    with transaction(fresh_engine) as session:
        assert loans.position(session, won[0]).principal == Money.of("200000")
        assert ledger.trial_balance(session) == {"CNY": Decimal("0.00")}

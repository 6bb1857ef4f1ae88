"""Concurrent commands on separate connections: one pledge of a patent wins and the others get
ALREADY_PLEDGED; concurrent repayments on one loan keep its balances exact; requests repeated
concurrently under one idempotency key run once."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from threading import Barrier
from typing import TypeVar

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from models import Money
from storage import ledger, loans, pledges
from storage.database import transaction
from storage.errors import AlreadyPledgedError
from storage.tables import AuditEventRow, PledgedPatentRow, PledgeRow, RepaymentRow
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


def test_fifty_pledges_of_one_patent_one_wins(fresh_engine: Engine) -> None:
    with transaction(fresh_engine) as session:
        stored_parties(session)
        number = stored_patent(session).number.patent_number
    events = rows(fresh_engine, AuditEventRow)

    def pledge(session: Session, i: int) -> str:
        return pledges.create_pledge(session, draft(f"P-{i}", number), on=ON, actor=CLERK).pledge_id

    outcomes = race(fresh_engine, ATTEMPTS, pledge)
    won = [o for o in outcomes if isinstance(o, str)]
    lost = [o for o in outcomes if not isinstance(o, str)]
    assert len(won) == 1
    assert len(lost) == ATTEMPTS - 1
    assert all(isinstance(o, AlreadyPledgedError) for o in lost), {type(o) for o in lost}
    assert {o.code for o in lost if isinstance(o, AlreadyPledgedError)} == {"ALREADY_PLEDGED"}
    # no partial rows: one pledge, one pledged patent, one audit event more
    assert rows(fresh_engine, PledgeRow) == 1
    assert rows(fresh_engine, PledgedPatentRow) == 1
    assert rows(fresh_engine, AuditEventRow) == events + 1
    with transaction(fresh_engine) as session:
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
    with transaction(fresh_engine) as session:
        stored_parties(session)
        number = stored_patent(session).number.patent_number

    def pledge(session: Session, i: int) -> str:
        return pledges.create_pledge(session, draft(f"P-{i}", number), on=ON, actor=CLERK).pledge_id

    outcomes = race(fresh_engine, 10, pledge)
    lost = [o for o in outcomes if isinstance(o, AlreadyPledgedError)]
    assert len(lost) == 9
    assert all("already in a live pledge" in o.reason for o in lost)
    assert rows(fresh_engine, PledgeRow) == 1

"""A rescheduled loan continues as its successor in the database: the outstanding principal
moves in balanced entries, the loans are linked both ways, and every total counts the debt once.
On SQLite and PostgreSQL."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Loan, LoanStatus, Money
from models.enums import DayCount, RepaymentMethod
from pledge.ledger import Account, EntryKind
from pledge.lifecycle import LoanEvent, RescheduleTerms
from storage import ledger, loans, statistics
from storage.collateral import collateral_position
from storage.errors import AlreadyExistsError, RefusedError
from storage.tables import JournalEntryRow, LoanRescheduleRow, LoanRow
from tests.storage.builders import CLERK, OFFICER, active_loan

LATER = date(2025, 9, 1)
TERMS = RescheduleTerms(
    annual_rate=Decimal("0.0385"),
    term_months=36,
    repayment=RepaymentMethod.EQUAL_PRINCIPAL,
    day_count=DayCount.THIRTY_360,
)


def rescheduled(session: Session, terms: RescheduleTerms = TERMS, **given: str) -> Loan:
    return loans.reschedule(
        session, "L-1", terms, successor_id="L-2", on=LATER, actor=OFFICER, **given
    )


def test_the_outstanding_principal_moves_to_the_successor(session: Session) -> None:
    active_loan(session)  # CNY 200,000 disbursed on 2025-06-01
    loans.repay(session, "L-1", Money.of("50000"), on=LATER, actor=CLERK)
    successor = loans.reschedule(session, "L-1", TERMS, successor_id="L-2", on=LATER, actor=OFFICER)
    assert (successor.loan_id, successor.status) == ("L-2", LoanStatus.ACTIVE)
    assert successor.principal == Money.of("150000")
    assert (successor.annual_rate, successor.term_months) == (Decimal("0.0385"), 36)
    old, new = loans.position(session, "L-1"), loans.position(session, "L-2")
    assert (old.status, old.principal, old.interest) == (
        LoanStatus.RESCHEDULED,
        Money.zero(),
        Money.zero(),
    )
    assert (new.principal, new.interest) == (Money.of("150000"), Money.zero())
    facts = loans.loan_facts(session, ["L-1", "L-2", "L-none"])
    assert set(facts) == {"L-1", "L-2"}
    assert (facts["L-1"].rescheduled_to, facts["L-1"].ended_on) == ("L-2", LATER)
    assert (facts["L-2"].rescheduled_from, facts["L-2"].disbursed_on) == ("L-1", LATER)
    assert (facts["L-2"].submitted_on, facts["L-2"].ended_on) == (LATER, None)
    row = session.get(LoanRow, "L-2")
    assert row is not None
    assert (row.pledge_id, row.submitted_on, row.disbursed_on) == ("P-L-1", LATER, LATER)
    assert session.get(LoanRow, "L-1").ended_on == LATER  # type: ignore[union-attr]
    # one entry on each loan, the same amount on the same day; cash nets to nothing
    out, into = ledger.entries(session, "L-1")[-1], ledger.entries(session, "L-2")[-1]
    assert (out.kind, into.kind) == (EntryKind.REPAYMENT, EntryKind.DISBURSEMENT)
    assert (out.posted_on, into.posted_on) == (LATER, LATER)
    assert "L-2" in out.memo
    assert "L-1" in into.memo
    assert ledger.trial_balance(session) == {"CNY": Decimal("0.00")}
    cash = ledger.balances(session, ["L-1", "L-2"])
    moved = [cash[(loan, Account.CASH, "CNY")].amount for loan in ("L-1", "L-2")]
    assert moved == [Decimal("-200000") + 50000 + 150000, Decimal("-150000")]


def test_the_successor_takes_the_repayments_and_the_old_loan_none(session: Session) -> None:
    active_loan(session)
    rescheduled(session)
    with pytest.raises(RefusedError) as refused:
        loans.repay(session, "L-1", Money.of("1"), on=LATER, actor=CLERK)
    assert refused.value.code == "LOAN_NOT_ACTIVE"
    paid = loans.repay(session, "L-2", Money.of("200000"), on=LATER, actor=CLERK)
    assert paid.position.status is LoanStatus.CLOSED
    with pytest.raises(RefusedError) as again:
        loans.transition(session, "L-1", LoanEvent.CLOSE, on=LATER, actor=OFFICER)
    assert again.value.code == "ILLEGAL_TRANSITION"


def test_interest_due_is_paid_first_and_nothing_is_written(session: Session) -> None:
    active_loan(session)
    loans.accrue_interest(session, "L-1", Money.of("725.00"), on=LATER, actor=CLERK)
    entries = session.execute(select(func.count()).select_from(JournalEntryRow)).scalar_one()
    with pytest.raises(RefusedError) as unpaid:
        rescheduled(session)
    assert (unpaid.value.code, unpaid.value.field) == ("INTEREST_UNPAID", "interest")
    assert session.get(LoanRow, "L-2") is None
    assert session.get(LoanRescheduleRow, "L-1") is None
    after = session.execute(select(func.count()).select_from(JournalEntryRow)).scalar_one()
    assert after == entries
    assert loans.get_loan(session, "L-1").status is LoanStatus.ACTIVE
    loans.repay(session, "L-1", Money.of("725.00"), on=LATER, actor=CLERK)
    assert rescheduled(session).principal == Money.of("200000")


def test_the_successor_term_ends_by_the_patent_expiry(session: Session) -> None:
    active_loan(session)  # the pledged invention was filed 2019-09-01: it expires 2039-09-01
    long = TERMS.model_copy(update={"term_months": 169})  # 2025-09-01 + 169 months: 2039-10-01
    with pytest.raises(RefusedError) as beyond:
        rescheduled(session, long)
    assert (beyond.value.code, beyond.value.field) == ("TERM_EXCEEDS_PATENT_LIFE", "term_months")
    assert session.get(LoanRow, "L-2") is None
    fits = rescheduled(session, TERMS.model_copy(update={"term_months": 168}))
    assert fits.term_months == 168


def test_a_loan_is_rescheduled_once_and_a_repeat_key_answers_the_first(
    session: Session,
) -> None:
    active_loan(session)
    with pytest.raises(AlreadyExistsError):  # the successor is a new loan
        loans.reschedule(session, "L-1", TERMS, successor_id="L-1", on=LATER, actor=OFFICER)
    first = rescheduled(session, idempotency_key="k-1")
    assert rescheduled(session, idempotency_key="k-1") == first
    with pytest.raises(RefusedError) as twice:
        loans.reschedule(session, "L-1", TERMS, successor_id="L-3", on=LATER, actor=OFFICER)
    assert twice.value.code == "LOAN_NOT_ACTIVE"
    assert session.execute(select(func.count()).select_from(LoanRescheduleRow)).scalar_one() == 1


def test_totals_before_and_after_a_reschedule_are_equal(session: Session) -> None:
    active_loan(session)
    loans.repay(session, "L-1", Money.of("50000"), on=LATER, actor=CLERK)

    def totals() -> tuple[object, ...]:
        frame = statistics.pledge_frame(session, LATER)
        active = session.execute(
            select(LoanRow.loan_id).where(LoanRow.status == LoanStatus.ACTIVE.value)
        ).scalars()
        monitored = sum(collateral_position(session, i, LATER).outstanding.amount for i in active)
        receivable = sum(
            m.amount
            for (_, account, _), m in ledger.balances(session).items()
            if account is Account.LOANS_RECEIVABLE
        )
        return frame["outstanding"].sum(), monitored, receivable

    before = totals()
    assert before == (Decimal("150000.00"), Decimal("150000"), Decimal("150000"))
    rescheduled(session)
    assert totals() == before

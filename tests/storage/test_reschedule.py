"""A rescheduled loan continues as its successor in the database: the outstanding principal
moves in balanced entries, the loans are linked both ways, and every total counts the debt once.
On SQLite and PostgreSQL."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Loan, LoanStatus, Money
from models.enums import DayCount, RepaymentMethod, RescheduleStatus
from pledge.ledger import Account, EntryKind
from pledge.lifecycle import LoanEvent, RescheduleRequest, RescheduleTerms
from storage import ledger, loans, statistics
from storage.collateral import collateral_position
from storage.errors import AlreadyExistsError, RefusedError
from storage.tables import JournalEntryRow, LoanRescheduleRequestRow, LoanRescheduleRow, LoanRow
from tests.storage.builders import CLERK, OFFICER, active_loan

LATER = date(2025, 9, 1)
TERMS = RescheduleTerms(
    annual_rate=Decimal("0.0385"),
    term_months=36,
    repayment=RepaymentMethod.EQUAL_PRINCIPAL,
    day_count=DayCount.THIRTY_360,
)


def asked(session: Session, terms: RescheduleTerms = TERMS, **given: str) -> RescheduleRequest:
    """The clerk asks for L-1 to continue on ``terms`` from LATER."""
    request_id = given.pop("request_id", "R-1")
    return loans.request_reschedule(
        session, "L-1", terms, request_id=request_id, on=LATER, actor=CLERK, **given
    )


def rescheduled(
    session: Session, terms: RescheduleTerms = TERMS, *, idempotency_key: str | None = None
) -> Loan:
    """The clerk asks for it and the officer approves: the successor L-2."""
    keys = (None, None) if idempotency_key is None else (f"{idempotency_key}-a", idempotency_key)
    request = asked(session, terms, idempotency_key=keys[0])  # type: ignore[arg-type]
    return loans.approve_reschedule(
        session, request.request_id, successor_id="L-2", actor=OFFICER, idempotency_key=keys[1]
    )


def test_the_outstanding_principal_moves_to_the_successor(session: Session) -> None:
    active_loan(session)  # CNY 200,000 disbursed on 2025-06-01
    loans.repay(session, "L-1", Money.of("50000"), on=LATER, actor=CLERK)
    successor = rescheduled(session)
    assert (successor.loan_id, successor.status) == ("L-2", LoanStatus.ACTIVE)
    assert (successor.maker, successor.approver) == (CLERK, OFFICER)
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
    request = asked(session)
    with pytest.raises(AlreadyExistsError):  # the successor is a new loan
        loans.approve_reschedule(session, request.request_id, successor_id="L-1", actor=OFFICER)
    first = loans.approve_reschedule(
        session, request.request_id, successor_id="L-2", actor=OFFICER, idempotency_key="k-1"
    )
    again = loans.approve_reschedule(
        session, request.request_id, successor_id="L-9", actor=OFFICER, idempotency_key="k-1"
    )
    assert again == first
    with pytest.raises(RefusedError) as decided:
        loans.approve_reschedule(session, request.request_id, successor_id="L-3", actor=OFFICER)
    assert decided.value.code == "RESCHEDULE_DECIDED"
    with pytest.raises(RefusedError) as twice:
        asked(session, request_id="R-2")
    assert twice.value.code == "LOAN_NOT_ACTIVE"
    assert session.execute(select(func.count()).select_from(LoanRescheduleRow)).scalar_one() == 1
    [stored] = loans.reschedule_requests(session, "L-1")
    assert (stored.status, stored.successor_id, stored.decided_by) == (
        RescheduleStatus.APPROVED,
        "L-2",
        OFFICER,
    )


def test_the_clerk_who_asked_does_not_approve_and_nothing_is_written(session: Session) -> None:
    active_loan(session)
    request = asked(session)
    entries = session.execute(select(func.count()).select_from(JournalEntryRow)).scalar_one()
    with pytest.raises(RefusedError) as same:
        loans.approve_reschedule(session, request.request_id, successor_id="L-2", actor=CLERK)
    assert (same.value.code, same.value.field) == ("FOUR_EYES", "approver")
    assert session.get(LoanRow, "L-2") is None
    assert (
        session.execute(select(func.count()).select_from(JournalEntryRow)).scalar_one() == entries
    )
    assert loans.get_reschedule_request(session, "R-1").status is RescheduleStatus.SUBMITTED
    # the clerk may withdraw it (a rejection); then it is decided
    withdrawn = loans.reject_reschedule(session, "R-1", actor=CLERK, note="terms changed")
    assert (withdrawn.status, withdrawn.decided_by) == (RescheduleStatus.REJECTED, CLERK)
    assert withdrawn.decision_note == "terms changed"
    assert loans.get_loan(session, "L-1").status is LoanStatus.ACTIVE


def test_one_request_awaits_a_decision_at_a_time(session: Session) -> None:
    active_loan(session)
    asked(session)
    with pytest.raises(RefusedError) as pending:
        asked(session, request_id="R-2")
    assert (pending.value.code, pending.value.field) == ("RESCHEDULE_PENDING", "loan_id")
    loans.reject_reschedule(session, "R-1", actor=OFFICER)
    assert asked(session, request_id="R-2").status is RescheduleStatus.SUBMITTED
    assert [r.request_id for r in loans.reschedule_requests(session, "L-1")] == ["R-1", "R-2"]


def test_the_database_holds_the_four_eyes_and_one_pending_request(session: Session) -> None:
    active_loan(session)
    asked(session)
    row = session.get(LoanRescheduleRequestRow, "R-1")
    assert row is not None
    twin = LoanRescheduleRequestRow(
        **{c.key: getattr(row, c.key) for c in LoanRescheduleRequestRow.__table__.columns}
    )
    twin.request_id = "R-2"
    session.expunge(row)
    savepoint = session.begin_nested()
    session.add(twin)  # a second request awaiting a decision on L-1
    with pytest.raises(IntegrityError, match=r"pending|loan_reschedule_requests\.loan_id"):
        session.flush()
    savepoint.rollback()
    row = session.get(LoanRescheduleRequestRow, "R-1")
    assert row is not None
    savepoint = session.begin_nested()
    row.status, row.decided_by, row.decided_at = "approved", CLERK, row.requested_at
    row.successor_id = "L-1"  # approved by the clerk who asked
    with pytest.raises(IntegrityError, match="four_eyes"):
        session.flush()
    savepoint.rollback()


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

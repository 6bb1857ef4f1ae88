"""Loans through the repository: four eyes, disbursement checks, repayments that follow the
schedule, closing, writing off and reversing, each refusal with its code."""

from datetime import date
from decimal import Decimal

import numpy_financial as npf
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import LoanStatus, Money
from models.enums import DayCount, RepaymentMethod
from pledge.ledger import EntryKind
from pledge.lifecycle import LoanEvent, PledgeEvent
from pledge.schedule import schedule_for_loan
from storage import ledger, loans, parties, pledges
from storage.errors import AlreadyExistsError, DomainError, NotFoundError, RefusedError
from storage.monitoring import check_collateral
from storage.tables import AlertRow, LoanRow, RepaymentRow
from tests.storage.builders import (
    BANK,
    CLERK,
    ENTERPRISE,
    OFFICER,
    ON,
    active_loan,
    application,
    draft,
    registered_pledge,
    stored_parties,
    stored_patent,
)


def test_the_maker_cannot_approve_and_nothing_is_written(session: Session) -> None:
    registered_pledge(session)
    loans.create_loan(session, application(), on=ON, actor=CLERK)
    with pytest.raises(RefusedError) as refused:
        loans.transition(session, "L-1", LoanEvent.APPROVE, on=ON, actor=CLERK)
    assert (refused.value.code, refused.value.field) == ("FOUR_EYES", "approver")
    assert loans.get_loan(session, "L-1").approver is None
    approved = loans.transition(session, "L-1", LoanEvent.APPROVE, on=ON, actor=OFFICER)
    assert (approved.status, approved.approver) == (LoanStatus.APPROVED, OFFICER)


def test_disbursement_needs_a_registered_pledge_a_valid_valuation_and_the_ltv(
    session: Session,
) -> None:
    stored_parties(session)
    patent = stored_patent(session)
    pledges.create_pledge(session, draft("P-1", patent.number.patent_number), on=ON, actor=CLERK)
    loans.create_loan(session, application(), on=ON, actor=CLERK)
    loans.transition(session, "L-1", LoanEvent.APPROVE, on=ON, actor=OFFICER)
    with pytest.raises(RefusedError) as unregistered:
        loans.transition(session, "L-1", LoanEvent.DISBURSE, on=ON, actor=OFFICER)
    assert unregistered.value.code == "PLEDGE_NOT_REGISTERED"
    for event, extra in (
        (PledgeEvent.PRECHECK_PASSED, {}),
        (PledgeEvent.SUBMIT, {}),
        (PledgeEvent.REGISTER, {"registration_number": "Y1"}),
    ):
        pledges.transition(session, "P-1", event, on=ON, actor=CLERK, **extra)
    # the valuation (base date 2025-01-01) is relied on for 12 months
    late = date(2026, 1, 2)
    with pytest.raises(RefusedError) as expired:
        loans.transition(session, "L-1", LoanEvent.DISBURSE, on=late, actor=OFFICER)
    assert expired.value.code == "VALUATION_NOT_VALID"
    assert ledger.entries(session) == []
    active = loans.transition(session, "L-1", LoanEvent.DISBURSE, on=ON, actor=OFFICER)
    assert active.status is LoanStatus.ACTIVE
    assert loans.position(session, "L-1").principal == Money.of("200000")


def test_a_loan_above_the_ltv_cap_is_not_disbursed(session: Session) -> None:
    registered_pledge(session)
    # the patent is appraised at CNY 1,000,000: 25 % is CNY 250,000
    loans.create_loan(session, application(principal=Money.of("250000.01")), on=ON, actor=CLERK)
    loans.transition(session, "L-1", LoanEvent.APPROVE, on=ON, actor=OFFICER)
    with pytest.raises(RefusedError) as above:
        loans.transition(session, "L-1", LoanEvent.DISBURSE, on=ON, actor=OFFICER)
    assert above.value.code == "LTV_EXCEEDS_POLICY"


def test_repaying_the_schedule_follows_it_to_the_fen_and_closes_the_loan(
    session: Session,
) -> None:
    loan = active_loan(session)
    schedule = schedule_for_loan(loan, ON)
    # reference: the level instalment of 200,000 over 12 months at 4.35 % a year, numpy-financial
    level = Decimal(str(round(float(-npf.pmt(0.0435 / 12, 12, 200_000)), 2)))
    assert schedule.level.amount == level == Decimal("17061.98")
    for number, row in enumerate(schedule.rows, start=1):
        loans.accrue_interest(session, "L-1", row.interest, on=row.due_date, actor=CLERK)
        paid = loans.repay(session, "L-1", row.payment, on=row.due_date, actor=CLERK)
        assert (paid.interest, paid.principal) == (row.interest, row.principal)
        assert paid.position.principal == row.closing_balance, number
        assert loans.position(session, "L-1").principal == row.closing_balance
    assert paid.position.status is LoanStatus.CLOSED
    assert loans.get_loan(session, "L-1").status is LoanStatus.CLOSED
    assert ledger.trial_balance(session) == {"CNY": Decimal("0.00")}
    repaid = session.execute(select(func.sum(RepaymentRow.amount))).scalar_one()
    assert repaid == schedule.total_payment.amount


def test_repayments_go_to_interest_first_and_never_beyond_what_is_owed(session: Session) -> None:
    active_loan(session)
    loans.accrue_interest(session, "L-1", Money.of("725.00"), on=ON, actor=CLERK)
    paid = loans.repay(session, "L-1", Money.of("1000"), on=ON, actor=CLERK)
    assert (paid.interest, paid.principal) == (Money.of("725.00"), Money.of("275.00"))
    with pytest.raises(RefusedError) as over:
        loans.repay(session, "L-1", Money.of("199725.01"), on=ON, actor=CLERK)
    assert (over.value.code, over.value.field) == ("OVERPAYMENT", "amount")
    with pytest.raises(DomainError, match="currency"):
        loans.repay(session, "L-1", Money.of("1", "USD"), on=ON, actor=CLERK)
    with pytest.raises(DomainError, match="positive"):
        loans.accrue_interest(session, "L-1", Money.of("0"), on=ON, actor=CLERK)
    with pytest.raises(RefusedError) as open_loan:
        loans.transition(session, "L-1", LoanEvent.CLOSE, on=ON, actor=OFFICER)
    assert open_loan.value.code == "LOAN_NOT_REPAID"


def test_a_write_off_posts_what_is_owed_and_ends_the_loan(session: Session) -> None:
    active_loan(session)
    loans.accrue_interest(session, "L-1", Money.of("725.00"), on=ON, actor=CLERK)
    ended = loans.transition(session, "L-1", LoanEvent.WRITE_OFF, on=ON, actor=OFFICER)
    assert ended.status is LoanStatus.WRITTEN_OFF
    last = ledger.entries(session, "L-1")[-1]
    assert last.kind is EntryKind.WRITE_OFF
    assert sum(leg.amount.amount for leg in last.legs if leg.side == "debit") == Decimal(
        "200725.00"
    )
    owed = loans.position(session, "L-1")
    assert (owed.principal, owed.interest) == (Money.zero(), Money.zero())
    with pytest.raises(RefusedError) as inactive:
        loans.repay(session, "L-1", Money.of("1"), on=ON, actor=CLERK)
    assert inactive.value.code == "LOAN_NOT_ACTIVE"


def test_reversals_undo_accruals_and_repayments_once(session: Session) -> None:
    active_loan(session)
    accrual = loans.accrue_interest(session, "L-1", Money.of("725.00"), on=ON, actor=CLERK)
    paid = loans.repay(session, "L-1", Money.of("10725"), on=ON, actor=CLERK)
    loans.reverse_entry(session, paid.repayment_id, on=ON, actor=CLERK)
    owed = loans.position(session, "L-1")
    assert (owed.principal, owed.interest) == (Money.of("200000"), Money.of("725.00"))
    with pytest.raises(RefusedError, match="already reversed"):
        loans.reverse_entry(session, paid.repayment_id, on=ON, actor=CLERK)
    loans.reverse_entry(session, accrual.entry_id, on=ON, actor=CLERK)
    assert loans.position(session, "L-1").interest == Money.zero()
    disbursement = ledger.entries(session, "L-1")[0]
    with pytest.raises(RefusedError, match="not reversed"):
        loans.reverse_entry(session, disbursement.entry_id, on=ON, actor=CLERK)
    with pytest.raises(NotFoundError):
        loans.reverse_entry(session, "nope", on=ON, actor=CLERK)
    assert ledger.trial_balance(session) == {"CNY": Decimal("0.00")}


def test_new_loans_are_submitted_once(session: Session) -> None:
    registered_pledge(session)
    loans.create_loan(session, application(), on=ON, actor=CLERK)
    with pytest.raises(AlreadyExistsError):
        loans.create_loan(session, application(), on=ON, actor=CLERK)
    approved = application("L-2").model_copy(update={"status": LoanStatus.APPROVED})
    with pytest.raises(DomainError, match="submitted"):
        loans.create_loan(session, approved, on=ON, actor=CLERK)
    with pytest.raises(NotFoundError):
        loans.create_loan(session, application("L-3", pledge_id="nope"), on=ON, actor=CLERK)
    other = ENTERPRISE.model_copy(update={"party_id": "ent-2", "name": "另一企业"})
    parties.save_party(session, other, actor=CLERK)
    with pytest.raises(DomainError, match="not given by the borrower ent-2") as refused:
        loans.create_loan(session, application("L-4", borrower_id="ent-2"), on=ON, actor=CLERK)
    assert refused.value.field == "pledge_id"
    lender = BANK.model_copy(update={"party_id": "bank-2", "name": "另一银行"})
    parties.save_party(session, lender, actor=CLERK)
    with pytest.raises(DomainError, match="to the lender bank-2"):
        loans.create_loan(session, application("L-5", lender_id="bank-2"), on=ON, actor=CLERK)
    assert session.get(LoanRow, "L-4") is None
    assert session.get(LoanRow, "L-5") is None
    with pytest.raises(NotFoundError):
        loans.position(session, "nope")


def test_a_margin_call_is_stored_when_the_collateral_falls(session: Session) -> None:
    active_loan(session)
    assert (
        check_collateral(
            session, "L-1", Money.of("1000000"), Decimal("0.25"), as_of=ON, actor=CLERK
        )
        is None
    )
    call = check_collateral(
        session, "L-1", Money.of("600000"), Decimal("0.25"), as_of=ON, actor=CLERK
    )
    # shortfall = outstanding − value × limit = 200,000 − 600,000 × 0.25
    assert call is not None
    assert call.shortfall == Money.of("50000")
    stored = session.execute(select(AlertRow)).scalar_one()
    assert (stored.kind, stored.loan_id, stored.shortfall) == (
        "margin_call",
        "L-1",
        Decimal("50000.00"),
    )


def test_a_loan_recorded_before_the_pledge_rule_is_not_disbursed_on_anothers_pledge(
    session: Session,
) -> None:
    registered_pledge(session)  # ENTERPRISE's pledge to BANK
    other = ENTERPRISE.model_copy(update={"party_id": "ent-2", "name": "另一企业"})
    parties.save_party(session, other, actor=CLERK)
    # a row as an older version stored it: borrower ent-2, secured by ENTERPRISE's pledge
    session.add(
        LoanRow(
            loan_id="L-old",
            borrower_id="ent-2",
            lender_id=BANK.party_id,
            pledge_id="P-1",
            currency="CNY",
            principal=Decimal("200000.00"),
            annual_rate=Decimal("0.0435"),
            term_months=12,
            repayment=RepaymentMethod.EQUAL_INSTALMENTS.value,
            day_count=DayCount.ACT_365.value,
            status=LoanStatus.SUBMITTED.value,
            maker=CLERK,
            submitted_on=ON,
        )
    )
    session.flush()
    loans.transition(session, "L-old", LoanEvent.APPROVE, on=ON, actor=OFFICER)
    with pytest.raises(DomainError, match="not given by the borrower ent-2"):
        loans.transition(session, "L-old", LoanEvent.DISBURSE, on=ON, actor=OFFICER)
    assert ledger.entries(session) == []

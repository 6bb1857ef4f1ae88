"""A rescheduled loan continues as a successor loan: the terms it takes, the checks it passes,
the interest it needs paid first."""

from datetime import date
from typing import Any

import pytest

from models import Loan, LoanStatus, Money, Pledge, PledgeStatus
from models.enums import DayCount, RepaymentMethod
from pledge.lifecycle import (
    FourEyesError,
    InterestUnpaidError,
    LoanEvent,
    LtvExceedsPolicyError,
    MissingEventDataError,
    PledgeNotRegisteredError,
    RescheduleTerms,
    TermExceedsPatentLifeError,
    ValuationNotValidError,
    apply_loan_event,
    check_reschedule,
    reschedule_loan,
)
from tests.pledge.builders import AT, make_patent, make_valuation

PATENT = make_patent()  # an invention filed 2019-09-01: it expires on 2039-09-01
REGISTERED = Pledge(
    pledge_id="P1",
    patents=[PATENT.number],
    pledgor_id="E1",
    pledgee_id="default",
    secured_amount=Money.of("200000"),
    status=PledgeStatus.REGISTERED,
    registration_number="Y2025980012345",
    registered_on=date(2025, 5, 1),
)
VALUED = [make_valuation(PATENT)]  # 1,000,000 at 2025-01-01: the 25 % cap allows 250,000
EXPIRIES = {PATENT.number.patent_number: PATENT.expiry_date}
TERMS = RescheduleTerms(
    annual_rate="0.0385",  # type: ignore[arg-type]
    term_months=36,
    repayment=RepaymentMethod.EQUAL_PRINCIPAL,
    day_count=DayCount.THIRTY_360,
)
ZERO = Money.zero("CNY")


def active() -> Loan:
    return Loan(
        loan_id="L1",
        borrower_id="E1",
        lender_id="default",
        pledge_id="P1",
        principal=Money.of("200000"),
        annual_rate="0.0435",  # type: ignore[arg-type]
        term_months=24,
        status=LoanStatus.ACTIVE,
        maker="alice",
        approver="bob",
    )


def rescheduled(terms: RescheduleTerms = TERMS, **given: Any) -> tuple[Loan, Loan, Any]:
    subject = given.pop("loan", active())
    args: dict[str, Any] = {
        "successor_id": "L2",
        "outstanding": Money.of("150000"),
        "interest_due": ZERO,
        "on": AT,
        "requested_by": "dave",
        "actor": "carol",
        "pledge": REGISTERED,
        "valuations": VALUED,
        "expiries": EXPIRIES,
    } | given
    return reschedule_loan(subject, terms, **args)


def test_the_old_loan_ends_rescheduled_and_the_successor_carries_the_outstanding() -> None:
    old, successor, record = rescheduled()
    assert old.status is LoanStatus.RESCHEDULED
    assert successor.status is LoanStatus.ACTIVE
    assert successor.principal == Money.of("150000")  # what was outstanding, not the 200,000
    assert (successor.annual_rate, successor.term_months) == (TERMS.annual_rate, 36)
    assert (successor.repayment, successor.day_count) == (TERMS.repayment, TERMS.day_count)
    same = ("borrower_id", "lender_id", "pledge_id")
    assert [getattr(successor, f) for f in same] == [getattr(old, f) for f in same]
    # a new credit decision: the officer who asked made it and the one who approved approved it
    assert (successor.maker, successor.approver) == ("dave", "carol")
    assert (record.event, record.from_status, record.to_status) == (
        LoanEvent.RESCHEDULE,
        LoanStatus.ACTIVE,
        LoanStatus.RESCHEDULED,
    )
    assert (record.amount, record.successor_id, record.actor) == (
        Money.of("150000"),
        "L2",
        "carol",
    )


def test_the_officer_who_asked_does_not_approve() -> None:
    with pytest.raises(FourEyesError, match="'dave' asked for the reschedule of loan L1"):
        rescheduled(actor="dave")


def test_the_check_of_a_request_refuses_what_the_approval_would() -> None:
    def check(**given: Any) -> None:
        subject = given.pop("loan", active())
        args: dict[str, Any] = {
            "outstanding": Money.of("150000"),
            "interest_due": ZERO,
            "on": AT,
            "pledge": REGISTERED,
            "valuations": VALUED,
            "expiries": EXPIRIES,
        } | given
        check_reschedule(subject, TERMS, **args)

    check()  # nothing in the way
    with pytest.raises(InterestUnpaidError):
        check(interest_due=Money.of("0.01"))
    with pytest.raises(LtvExceedsPolicyError, match="at most CNY 250,000"):
        check(outstanding=Money.of("250000.01"))
    with pytest.raises(ValueError, match="owes no principal"):
        check(outstanding=ZERO)
    with pytest.raises(ValueError, match="'closed' cannot take event 'reschedule'"):
        check(loan=active().model_copy(update={"status": LoanStatus.CLOSED}))


def test_interest_due_is_paid_before_a_reschedule() -> None:
    with pytest.raises(InterestUnpaidError, match=r"CNY 0\.01 interest accrued and unpaid"):
        rescheduled(interest_due=Money.of("0.01"))


def test_the_plain_event_does_not_reschedule() -> None:
    with pytest.raises(MissingEventDataError, match="successor's terms"):
        apply_loan_event(active(), LoanEvent.RESCHEDULE, on=AT, actor="carol")


def test_the_successor_term_ends_by_the_patent_expiry() -> None:
    # 2025-06-01 + 171 months = 2039-09-01, the expiry day itself: allowed (eligibility's rule)
    _, successor, _ = rescheduled(TERMS.model_copy(update={"term_months": 171}))
    assert successor.term_months == 171
    with pytest.raises(TermExceedsPatentLifeError, match=r"2039-10-01, after ZL201910601862\.2"):
        rescheduled(TERMS.model_copy(update={"term_months": 172}))


@pytest.mark.parametrize(
    ("given", "error", "message"),
    [
        (
            {"pledge": REGISTERED.model_copy(update={"status": PledgeStatus.IMPAIRED})},
            PledgeNotRegisteredError,
            "impaired, not registered",
        ),
        ({"on": date(2026, 1, 2)}, ValuationNotValidError, "expired after 2026-01-01"),
        ({"outstanding": Money.of("250000.01")}, LtvExceedsPolicyError, "at most CNY 250,000"),
    ],
)
def test_the_activation_checks_apply_to_the_successor(
    given: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        rescheduled(**given)


@pytest.mark.parametrize(
    ("change", "field"),
    [({"term_months": 0}, "term_months"), ({"annual_rate": "1"}, "annual_rate")],
)
def test_bad_terms_name_their_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        rescheduled(RescheduleTerms.model_validate(TERMS.model_dump() | change))


def test_only_an_active_loan_is_rescheduled() -> None:
    closed = active().model_copy(update={"status": LoanStatus.CLOSED})
    with pytest.raises(ValueError, match="'closed' cannot take event 'reschedule'"):
        rescheduled(loan=closed)

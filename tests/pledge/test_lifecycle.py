"""Pledge and loan state machines: every legal and illegal transition, four eyes, disbursement."""

from datetime import date
from itertools import pairwise, product
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models import Loan, LoanStatus, Money, Pledge, PledgeStatus
from pledge.eligibility import check_portfolio
from pledge.lifecycle import (
    LOAN_TRANSITIONS,
    PLEDGE_TRANSITIONS,
    DisbursementRefusedError,
    FourEyesError,
    IllegalTransitionError,
    ImpairmentReason,
    LoanEvent,
    LtvExceedsPolicyError,
    MissingEventDataError,
    PledgeEvent,
    PledgeNotRegisteredError,
    ValuationNotValidError,
    allowed_loan_events,
    allowed_pledge_events,
    apply_loan_event,
    apply_pledge_event,
    apply_precheck,
    disbursement_blockers,
    next_loan_status,
    next_pledge_status,
)
from tests.pledge.builders import AT, make_loan, make_patent, make_valuation

PATENT = make_patent()
EVENT_DATA: dict[str, Any] = {
    "registration_number": "Y2025980012345",
    "reason": "材料不全",
    "impairment": ImpairmentReason.INVALIDATED,
}
PLEDGE_ILLEGAL = sorted(set(product(PledgeStatus, PledgeEvent)) - set(PLEDGE_TRANSITIONS))
LOAN_ILLEGAL = sorted(set(product(LoanStatus, LoanEvent)) - set(LOAN_TRANSITIONS))


def pledge(status: PledgeStatus = PledgeStatus.DRAFT, **fields: Any) -> Pledge:
    return Pledge(
        pledge_id="P1",
        patents=[PATENT.number],
        pledgor_id="E1",
        pledgee_id="B1",
        secured_amount=Money.of("200000"),
        status=status,
        **fields,
    )


def loan(status: LoanStatus = LoanStatus.SUBMITTED, **fields: Any) -> Loan:
    data: dict[str, Any] = {
        "loan_id": "L1",
        "borrower_id": "E1",
        "lender_id": "default",
        "pledge_id": "P1",
        "principal": Money.of("200000"),
        "annual_rate": "0.0435",
        "term_months": 24,
        "maker": "alice",
        "status": status,
    }
    data.update(fields)
    return Loan(**data)


REGISTERED = pledge(
    PledgeStatus.REGISTERED, registration_number="Y2025980012345", registered_on=date(2025, 5, 1)
)
VALUED = [make_valuation(PATENT)]  # 1,000,000 at 2025-01-01: 25 % cap allows 250,000


def ids(pair: tuple[Any, Any]) -> str:
    return f"{pair[0].value}-{pair[1].value}"


# -- pledge machine ------------------------------------------------------------------------------


@pytest.mark.parametrize("pair", sorted(PLEDGE_TRANSITIONS), ids=ids)
def test_every_legal_pledge_transition(pair: tuple[PledgeStatus, PledgeEvent]) -> None:
    state, event = pair
    before = REGISTERED.model_copy(update={"status": state})
    after, record = apply_pledge_event(before, event, on=AT, actor="clerk", **EVENT_DATA)
    assert after.status is PLEDGE_TRANSITIONS[pair]
    assert (record.from_status, record.to_status, record.event) == (state, after.status, event)
    assert (record.pledge_id, record.on, record.actor) == ("P1", AT, "clerk")
    assert before.status is state  # records are never changed in place


@pytest.mark.parametrize("pair", PLEDGE_ILLEGAL, ids=ids)
def test_every_illegal_pledge_transition(pair: tuple[PledgeStatus, PledgeEvent]) -> None:
    state, event = pair
    with pytest.raises(IllegalTransitionError) as caught:
        apply_pledge_event(pledge(state), event, on=AT, actor="clerk", **EVENT_DATA)
    assert isinstance(caught.value, ValueError)
    message = str(caught.value)
    assert repr(state.value) in message
    assert repr(event.value) in message
    for allowed in allowed_pledge_events(state):
        assert f"{allowed.value} → {PLEDGE_TRANSITIONS[(state, allowed)].value}" in message
    if not allowed_pledge_events(state):
        assert "is final" in message


def test_registration_records_number_and_date() -> None:
    submitted = pledge(PledgeStatus.SUBMITTED)
    after, record = apply_pledge_event(
        submitted, PledgeEvent.REGISTER, on=AT, actor="cnipa", registration_number="Y1"
    )
    assert (after.registration_number, after.registered_on) == ("Y1", AT)
    assert record.registration_number == "Y1"
    with pytest.raises(MissingEventDataError, match="registration_number"):
        apply_pledge_event(submitted, PledgeEvent.REGISTER, on=AT, actor="cnipa")


@pytest.mark.parametrize(
    ("state", "event", "needs"),
    [
        (PledgeStatus.REGISTERED, PledgeEvent.IMPAIR, "impairment"),
        (PledgeStatus.SUBMITTED, PledgeEvent.REFUSE, "reason"),
        (PledgeStatus.SUBMITTED, PledgeEvent.REQUEST_CORRECTION, "reason"),
    ],
)
def test_events_that_must_say_why(state: PledgeStatus, event: PledgeEvent, needs: str) -> None:
    with pytest.raises(MissingEventDataError, match=needs):
        apply_pledge_event(REGISTERED.model_copy(update={"status": state}), event, on=AT, actor="x")


def test_no_event_is_dated_before_the_registration() -> None:
    with pytest.raises(ValueError, match="before the registration"):
        apply_pledge_event(
            REGISTERED, PledgeEvent.REQUEST_RELEASE, on=date(2025, 4, 30), actor="bank"
        )


def test_precheck_moves_a_draft_by_the_result() -> None:
    draft = pledge()
    clean = check_portfolio([PATENT], make_loan(PATENT), AT, valuations=VALUED)
    ready, _ = apply_precheck(draft, clean, on=AT, actor="system")
    assert ready.status is PledgeStatus.READY
    disputed = make_patent(ownership_dispute=True)
    failing = check_portfolio([disputed], make_loan(disputed), AT)
    failed, record = apply_precheck(draft, failing, on=AT, actor="system")
    assert failed.status is PledgeStatus.PRECHECK_FAILED
    assert record.reason == "SUSPENDED_OR_PRESERVED"
    other = make_patent(serial=8)
    with pytest.raises(ValueError, match="covers"):
        apply_precheck(draft, check_portfolio([other], make_loan(other), AT), on=AT, actor="s")


PLEDGE_STATES = {s for s, _ in PLEDGE_TRANSITIONS} | set(PLEDGE_TRANSITIONS.values())
LOAN_STATES = {s for s, _ in LOAN_TRANSITIONS} | set(LOAN_TRANSITIONS.values())


@given(st.lists(st.sampled_from(list(PledgeEvent)), max_size=40))
def test_legal_pledge_sequences_stay_in_the_machine(events: list[PledgeEvent]) -> None:
    record, path = pledge(), [PledgeStatus.DRAFT]
    for event in events:
        if event not in allowed_pledge_events(record.status):
            with pytest.raises(IllegalTransitionError):
                next_pledge_status(record.status, event)
            continue
        record, _ = apply_pledge_event(record, event, on=AT, actor="x", **EVENT_DATA)
        assert record.status in PLEDGE_STATES
        path.append(record.status)
        assert (record.registration_number is not None) == (PledgeStatus.REGISTERED in path)
    for before, after in pairwise(path):
        if after is PledgeStatus.REGISTERED:
            assert before is PledgeStatus.SUBMITTED


def test_registered_is_entered_only_from_submitted() -> None:
    into = {state for (state, _), to in PLEDGE_TRANSITIONS.items() if to is PledgeStatus.REGISTERED}
    assert into == {PledgeStatus.SUBMITTED}


# -- loan machine --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pair", sorted(p for p in LOAN_TRANSITIONS if p[1] is not LoanEvent.RESCHEDULE), ids=ids
)
def test_every_legal_loan_transition(pair: tuple[LoanStatus, LoanEvent]) -> None:
    state, event = pair
    before = loan(state, approver="bob" if state is not LoanStatus.SUBMITTED else None)
    after, record = apply_loan_event(
        before, event, on=AT, actor="carol", pledge=REGISTERED, valuations=VALUED
    )
    assert after.status is LOAN_TRANSITIONS[pair]
    assert (record.from_status, record.to_status, record.event) == (state, after.status, event)
    assert record.amount == (before.principal if event is LoanEvent.DISBURSE else None)


@pytest.mark.parametrize("pair", LOAN_ILLEGAL, ids=ids)
def test_every_illegal_loan_transition(pair: tuple[LoanStatus, LoanEvent]) -> None:
    state, event = pair
    with pytest.raises(IllegalTransitionError) as caught:
        apply_loan_event(loan(state), event, on=AT, actor="carol", pledge=REGISTERED)
    message = str(caught.value)
    assert repr(state.value) in message
    for allowed in allowed_loan_events(state):
        assert allowed.value in message


def test_the_maker_cannot_approve() -> None:
    with pytest.raises(FourEyesError, match="another person"):
        apply_loan_event(loan(), LoanEvent.APPROVE, on=AT, actor="alice")
    approved, record = apply_loan_event(loan(), LoanEvent.APPROVE, on=AT, actor="bob")
    assert (approved.approver, record.actor) == ("bob", "bob")
    undone, _ = apply_loan_event(approved, LoanEvent.UNDO_APPROVAL, on=AT, actor="bob")
    assert (undone.status, undone.approver) == (LoanStatus.SUBMITTED, None)


def approved(**fields: Any) -> Loan:
    return loan(LoanStatus.APPROVED, approver="bob", **fields)


@pytest.mark.parametrize(
    ("case", "error", "message"),
    [
        ({"pledge": None}, PledgeNotRegisteredError, "has no pledge"),
        ({"loan": approved(pledge_id=None)}, PledgeNotRegisteredError, "has no pledge"),
        (
            {"pledge": REGISTERED.model_copy(update={"pledge_id": "P9"})},
            PledgeNotRegisteredError,
            "not the pledge P1",
        ),
        (
            {"pledge": REGISTERED.model_copy(update={"status": PledgeStatus.SUBMITTED})},
            PledgeNotRegisteredError,
            "submitted, not registered",
        ),
        ({"valuations": []}, ValuationNotValidError, "no valuation of ZL201910601862.2"),
        (
            {"valuations": [make_valuation(PATENT, base_date=date(2024, 5, 31))]},
            ValuationNotValidError,
            "expired after 2025-05-31",
        ),
        (
            {"loan": approved(principal=Money.of("250000.01"))},
            LtvExceedsPolicyError,
            "at most CNY 250,000.00",
        ),
    ],
)
def test_disbursement_refusals(
    case: dict[str, Any], error: type[DisbursementRefusedError], message: str
) -> None:
    args: dict[str, Any] = {"pledge": REGISTERED, "valuations": VALUED} | case
    subject = args.pop("loan", approved())
    with pytest.raises(error, match=message):
        apply_loan_event(subject, LoanEvent.DISBURSE, on=AT, actor="ops", **args)


def test_all_blockers_are_listed() -> None:
    stale = [make_valuation(PATENT, value="10", base_date=date(2024, 1, 1))]
    unregistered = REGISTERED.model_copy(update={"status": PledgeStatus.REFUSED})
    found = disbursement_blockers(approved(), AT, pledge=unregistered, valuations=stale)
    assert [type(e) for e in found] == [
        PledgeNotRegisteredError,
        ValuationNotValidError,
        LtvExceedsPolicyError,
    ]
    assert disbursement_blockers(approved(), AT, pledge=REGISTERED, valuations=VALUED) == []


def test_disbursement_at_the_cap_succeeds() -> None:
    active, record = apply_loan_event(
        approved(principal=Money.of("250000")),
        LoanEvent.DISBURSE,
        on=AT,
        actor="ops",
        pledge=REGISTERED,
        valuations=VALUED,
    )
    assert active.status is LoanStatus.ACTIVE
    assert record.amount == Money.of("250000")


@given(st.lists(st.sampled_from(list(LoanEvent)), max_size=30))
def test_legal_loan_sequences_stay_in_the_machine(events: list[LoanEvent]) -> None:
    state, path = LoanStatus.SUBMITTED, [LoanStatus.SUBMITTED]
    for event in events:
        if event in allowed_loan_events(state):
            state = next_loan_status(state, event)
            assert state in LOAN_STATES
            path.append(state)
    for before, after in pairwise(path):
        if after is LoanStatus.ACTIVE:
            assert before is LoanStatus.APPROVED

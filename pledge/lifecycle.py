"""Pledge registration and loan lifecycles as state machines: transitions as data, pure functions.

Pledge registration (专利权质押登记)::

    DRAFT ─precheck_passed→ READY ─submit→ SUBMITTED ─register→ REGISTERED
    DRAFT ─precheck_failed→ PRECHECK_FAILED ─revise→ DRAFT;  READY ─revise→ DRAFT
    DRAFT | PRECHECK_FAILED | READY ─withdraw→ CANCELLED
    SUBMITTED ─request_correction→ CORRECTION_REQUESTED ─submit→ SUBMITTED
    SUBMITTED ─refuse→ REFUSED
    REGISTERED ─request_release→ RELEASE_REQUESTED ─release→ CANCELLED
    REGISTERED ─impair→ IMPAIRED ─enforce→ ENFORCING ─realise→ REALISED ─cancel→ CANCELLED

``register`` records the registration number and date on the pledge; ``impair`` needs its reason
(the patent invalidated, lapsed or seized); ``withdraw`` abandons a pledge not yet submitted,
freeing its patents (either party may: neither can hold the other's patents in a draft). The loan
follows Apache Fineract's states::

    SUBMITTED ─approve→ APPROVED ─disburse→ ACTIVE ─close | write_off | reschedule→
    CLOSED | WRITTEN_OFF | RESCHEDULED;  SUBMITTED ─reject | withdraw→ REJECTED | WITHDRAWN;
    APPROVED ─undo_approval→ SUBMITTED

``approve`` needs an approver other than the loan's maker; ``disburse`` needs the loan's pledge
registered, a valid (unexpired) valuation of every pledged patent and the principal within the
lender's LTV cap (:mod:`pledge.policy`). ``reschedule`` is taken by :func:`reschedule_loan`, with
four eyes like ``approve`` (one asks for the new terms, another approves them): the old loan ends
RESCHEDULED and a successor loan, ACTIVE from the reschedule date on the new terms, carries its
outstanding principal (:func:`check_reschedule` says when it may). Each transition
returns the new frozen record and an event record for the audit log; an event the current state
does not allow raises :class:`IllegalTransitionError` naming the state and the events it allows.

References
----------
.. [1] docs/DOMAIN.md §4 "Pledge financing" (CNIPA Measures for Patent Pledge Registration, 2021;
   Civil Code Art. 444; the loan lifecycle of Apache Fineract).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from models.dates import add_months
from models.enums import DayCount, LoanStatus, PledgeStatus, RepaymentMethod, RescheduleStatus
from models.lending import Loan, Pledge
from models.money import Money, Rate
from pledge.eligibility import PortfolioResult
from pledge.findings import percent
from pledge.policy import (
    PatentValuation,
    PolicyBook,
    check_ltv,
    policy_book,
    valuation_valid_until,
)

_Record = TypeVar("_Record", bound=BaseModel)


class PledgeEvent(StrEnum):
    """What happens to a pledge registration."""

    PRECHECK_PASSED = "precheck_passed"
    PRECHECK_FAILED = "precheck_failed"
    REVISE = "revise"
    WITHDRAW = "withdraw"
    SUBMIT = "submit"
    REQUEST_CORRECTION = "request_correction"
    REGISTER = "register"
    REFUSE = "refuse"
    REQUEST_RELEASE = "request_release"
    RELEASE = "release"
    IMPAIR = "impair"
    ENFORCE = "enforce"
    REALISE = "realise"
    CANCEL = "cancel"


class LoanEvent(StrEnum):
    """What happens to a loan (Apache Fineract's commands)."""

    APPROVE = "approve"
    UNDO_APPROVAL = "undo_approval"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    DISBURSE = "disburse"
    CLOSE = "close"
    WRITE_OFF = "write_off"
    RESCHEDULE = "reschedule"


class ImpairmentReason(StrEnum):
    """Why a registered pledge lost its collateral value."""

    INVALIDATED = "invalidated"
    LAPSED = "lapsed"
    SEIZED = "seized"


_P, _PE = PledgeStatus, PledgeEvent
PLEDGE_TRANSITIONS: Mapping[tuple[PledgeStatus, PledgeEvent], PledgeStatus] = MappingProxyType(
    {
        (_P.DRAFT, _PE.PRECHECK_PASSED): _P.READY,
        (_P.DRAFT, _PE.PRECHECK_FAILED): _P.PRECHECK_FAILED,
        (_P.PRECHECK_FAILED, _PE.REVISE): _P.DRAFT,
        (_P.READY, _PE.REVISE): _P.DRAFT,
        **{(s, _PE.WITHDRAW): _P.CANCELLED for s in (_P.DRAFT, _P.PRECHECK_FAILED, _P.READY)},
        (_P.READY, _PE.SUBMIT): _P.SUBMITTED,
        (_P.SUBMITTED, _PE.REQUEST_CORRECTION): _P.CORRECTION_REQUESTED,
        (_P.CORRECTION_REQUESTED, _PE.SUBMIT): _P.SUBMITTED,
        (_P.SUBMITTED, _PE.REGISTER): _P.REGISTERED,
        (_P.SUBMITTED, _PE.REFUSE): _P.REFUSED,
        (_P.REGISTERED, _PE.REQUEST_RELEASE): _P.RELEASE_REQUESTED,
        (_P.RELEASE_REQUESTED, _PE.RELEASE): _P.CANCELLED,
        (_P.REGISTERED, _PE.IMPAIR): _P.IMPAIRED,
        (_P.IMPAIRED, _PE.ENFORCE): _P.ENFORCING,
        (_P.ENFORCING, _PE.REALISE): _P.REALISED,
        (_P.REALISED, _PE.CANCEL): _P.CANCELLED,
    }
)
"""(state, event) → next state of a pledge registration."""

_L, _LE = LoanStatus, LoanEvent
LOAN_TRANSITIONS: Mapping[tuple[LoanStatus, LoanEvent], LoanStatus] = MappingProxyType(
    {
        (_L.SUBMITTED, _LE.APPROVE): _L.APPROVED,
        (_L.SUBMITTED, _LE.REJECT): _L.REJECTED,
        (_L.SUBMITTED, _LE.WITHDRAW): _L.WITHDRAWN,
        (_L.APPROVED, _LE.UNDO_APPROVAL): _L.SUBMITTED,
        (_L.APPROVED, _LE.DISBURSE): _L.ACTIVE,
        (_L.ACTIVE, _LE.CLOSE): _L.CLOSED,
        (_L.ACTIVE, _LE.WRITE_OFF): _L.WRITTEN_OFF,
        (_L.ACTIVE, _LE.RESCHEDULE): _L.RESCHEDULED,
    }
)
"""(state, event) → next state of a loan (after Apache Fineract)."""

PLEDGE_EVENT_REQUIRES: Mapping[PledgeEvent, tuple[str, ...]] = MappingProxyType(
    {
        PledgeEvent.REGISTER: ("registration_number",),
        PledgeEvent.REFUSE: ("reason",),
        PledgeEvent.REQUEST_CORRECTION: ("reason",),
        PledgeEvent.IMPAIR: ("impairment",),
    }
)
"""What each pledge event must record besides its date and actor."""


class IllegalTransitionError(ValueError):
    """An event that the current state does not allow."""

    def __init__(self, machine: str, state: StrEnum, event: StrEnum, allowed: Sequence[str]):
        self.state, self.event, self.allowed = state, event, tuple(allowed)
        options = ", ".join(allowed) if allowed else f"none: {state.value} is final"
        super().__init__(
            f"{machine} in state {state.value!r} cannot take event {event.value!r}; "
            f"allowed: {options}"
        )


class MissingEventDataError(ValueError):
    """An event lacks what it must record (a registration number, a reason)."""


class FourEyesError(ValueError):
    """The approver of a loan, or of its reschedule, is the one who asked for it."""


class DisbursementRefusedError(ValueError):
    """A loan cannot be disbursed; the subclass says which condition is missing."""


class PledgeNotRegisteredError(DisbursementRefusedError):
    """The loan has no pledge, or its pledge is not registered."""


class ValuationNotValidError(DisbursementRefusedError):
    """A pledged patent has no valuation, or its valuation has expired."""


class LtvExceedsPolicyError(DisbursementRefusedError):
    """The principal is above the lender's LTV cap on the appraised values."""


class TermExceedsPatentLifeError(DisbursementRefusedError):
    """The debt term ends after a pledged patent expires (TERM_EXCEEDS_PATENT_LIFE)."""


class InterestUnpaidError(ValueError):
    """A loan with accrued interest unpaid cannot be rescheduled."""


class PledgeEventRecord(BaseModel):
    """One transition of a pledge, for the audit log."""

    model_config = ConfigDict(frozen=True)

    pledge_id: str
    event: PledgeEvent
    from_status: PledgeStatus
    to_status: PledgeStatus
    on: date
    actor: str
    registration_number: str | None = None
    reason: str | None = None
    impairment: ImpairmentReason | None = None
    proceeds: Money | None = None


class LoanEventRecord(BaseModel):
    """One transition of a loan, for the audit log."""

    model_config = ConfigDict(frozen=True)

    loan_id: str
    event: LoanEvent
    from_status: LoanStatus
    to_status: LoanStatus
    on: date
    actor: str
    amount: Money | None = None
    note: str | None = None
    successor_id: str | None = None


def _allowed(table: Mapping[tuple[Any, Any], Any], state: StrEnum) -> list[str]:
    return [f"{e.value} → {to.value}" for (s, e), to in table.items() if s is state]


def allowed_pledge_events(status: PledgeStatus) -> tuple[PledgeEvent, ...]:
    """The events a pledge in ``status`` may take."""
    return tuple(e for (s, e) in PLEDGE_TRANSITIONS if s is status)


def allowed_loan_events(status: LoanStatus) -> tuple[LoanEvent, ...]:
    """The events a loan in ``status`` may take."""
    return tuple(e for (s, e) in LOAN_TRANSITIONS if s is status)


def next_pledge_status(status: PledgeStatus, event: PledgeEvent) -> PledgeStatus:
    """The state ``event`` leads to from ``status``; raises :class:`IllegalTransitionError`."""
    try:
        return PLEDGE_TRANSITIONS[(status, event)]
    except KeyError:
        allowed = _allowed(PLEDGE_TRANSITIONS, status)
        raise IllegalTransitionError("pledge", status, event, allowed) from None


def next_loan_status(status: LoanStatus, event: LoanEvent) -> LoanStatus:
    """The state ``event`` leads to from ``status``; raises :class:`IllegalTransitionError`."""
    try:
        return LOAN_TRANSITIONS[(status, event)]
    except KeyError:
        raise IllegalTransitionError(
            "loan", status, event, _allowed(LOAN_TRANSITIONS, status)
        ) from None


def _updated(record: _Record, **changes: Any) -> _Record:
    """A validated copy of a frozen record with ``changes``."""
    return type(record).model_validate({**record.model_dump(), **changes})


def apply_pledge_event(
    pledge: Pledge,
    event: PledgeEvent,
    *,
    on: date,
    actor: str,
    registration_number: str | None = None,
    reason: str | None = None,
    impairment: ImpairmentReason | None = None,
    proceeds: Money | None = None,
) -> tuple[Pledge, PledgeEventRecord]:
    """The pledge after ``event`` on ``on`` by ``actor``, and the event record."""
    target = next_pledge_status(pledge.status, event)
    given = {"registration_number": registration_number, "reason": reason, "impairment": impairment}
    missing = [name for name in PLEDGE_EVENT_REQUIRES.get(event, ()) if not given[name]]
    if missing:
        raise MissingEventDataError(f"{event.value} must record {', '.join(missing)}")
    if pledge.registered_on is not None and on < pledge.registered_on:
        raise ValueError(
            f"{event.value} on {on} is before the registration on {pledge.registered_on}"
        )
    changes: dict[str, Any] = {"status": target}
    if event is PledgeEvent.REGISTER:
        changes |= {"registration_number": registration_number, "registered_on": on}
    record = PledgeEventRecord(
        pledge_id=pledge.pledge_id,
        event=event,
        from_status=pledge.status,
        to_status=target,
        on=on,
        actor=actor,
        registration_number=registration_number if event is PledgeEvent.REGISTER else None,
        reason=reason,
        impairment=impairment,
        proceeds=proceeds,
    )
    return _updated(pledge, **changes), record


def apply_precheck(
    pledge: Pledge, result: PortfolioResult, *, on: date, actor: str
) -> tuple[Pledge, PledgeEventRecord]:
    """Move a draft pledge to READY or PRECHECK_FAILED by the pre-check of its patents."""
    checked = {r.patent_number for r in result.patents}
    pledged = {p.patent_number for p in pledge.patents}
    if checked != pledged:
        raise ValueError(f"the pre-check covers {sorted(checked)}, the pledge {sorted(pledged)}")
    event = PledgeEvent.PRECHECK_PASSED if result.eligible else PledgeEvent.PRECHECK_FAILED
    blocking = sorted({f.code.value for r in result.patents for f in r.findings if f.blocks})
    blocking += sorted({f.code.value for f in result.findings if f.blocks})
    reason = None if result.eligible else ", ".join(blocking)
    return apply_pledge_event(pledge, event, on=on, actor=actor, reason=reason)


def disbursement_blockers(
    loan: Loan,
    on: date,
    *,
    pledge: Pledge | None,
    valuations: Sequence[PatentValuation],
    book: PolicyBook | None = None,
) -> list[DisbursementRefusedError]:
    """Every reason ``loan`` cannot be disbursed on ``on`` (empty when it can)."""
    book = book or policy_book()
    found: list[DisbursementRefusedError] = []
    if loan.pledge_id is None or pledge is None:
        found.append(PledgeNotRegisteredError(f"loan {loan.loan_id} has no pledge"))
    elif pledge.pledge_id != loan.pledge_id:
        found.append(
            PledgeNotRegisteredError(
                f"pledge {pledge.pledge_id} is not the pledge {loan.pledge_id} of the loan"
            )
        )
    elif pledge.status is not PledgeStatus.REGISTERED:
        found.append(
            PledgeNotRegisteredError(
                f"pledge {pledge.pledge_id} is {pledge.status.value}, not registered"
            )
        )
    by_number = {v.patent_number: v for v in valuations}
    numbers = [p.patent_number for p in pledge.patents] if pledge is not None else list(by_number)
    missing = [n for n in numbers if n not in by_number]
    if not numbers or missing:
        found.append(
            ValuationNotValidError(f"no valuation of {', '.join(missing) or 'any patent'}")
        )
    for number in numbers:
        valuation = by_number.get(number)
        if valuation is None:
            continue
        months = book.for_type(loan.lender_id, valuation.patent_type).validity
        until = valuation_valid_until(valuation.base_date, months)
        if on > until:
            found.append(
                ValuationNotValidError(
                    f"the valuation of {number} (base date {valuation.base_date}) expired after "
                    f"{until}: {loan.lender_id} relies on a valuation for {months} months"
                )
            )
    if numbers and not missing:
        ltv = check_ltv(loan.principal, [by_number[n] for n in numbers], loan.lender_id, book)
        if not ltv.within:
            shown = "—" if ltv.ltv is None else percent(ltv.ltv)
            cap = "—" if ltv.cap is None else percent(ltv.cap)
            found.append(
                LtvExceedsPolicyError(
                    f"principal {loan.principal} is {shown} of the appraised {ltv.appraised_total}"
                    f", above the LTV cap {cap} of {loan.lender_id}: at most {ltv.policy_max_loan}"
                )
            )
    return found


def apply_loan_event(
    loan: Loan,
    event: LoanEvent,
    *,
    on: date,
    actor: str,
    note: str | None = None,
    pledge: Pledge | None = None,
    valuations: Sequence[PatentValuation] = (),
    book: PolicyBook | None = None,
) -> tuple[Loan, LoanEventRecord]:
    """The loan after ``event`` on ``on`` by ``actor``, and the event record.

    ``approve`` makes ``actor`` the approver (never the maker). ``disburse`` checks
    :func:`disbursement_blockers` with ``pledge`` and ``valuations`` and raises the first.
    """
    target = next_loan_status(loan.status, event)
    if event is LoanEvent.RESCHEDULE:
        raise MissingEventDataError("reschedule takes the successor's terms: see reschedule_loan")
    changes: dict[str, Any] = {"status": target}
    amount = None
    if event is LoanEvent.APPROVE:
        if actor == loan.maker:
            raise FourEyesError(f"{actor!r} made loan {loan.loan_id}: another person must approve")
        changes["approver"] = actor
    elif event is LoanEvent.UNDO_APPROVAL:
        changes["approver"] = None
    elif event is LoanEvent.DISBURSE:
        blockers = disbursement_blockers(loan, on, pledge=pledge, valuations=valuations, book=book)
        if blockers:
            raise blockers[0]
        amount = loan.principal
    record = LoanEventRecord(
        loan_id=loan.loan_id,
        event=event,
        from_status=loan.status,
        to_status=target,
        on=on,
        actor=actor,
        amount=amount,
        note=note,
    )
    return _updated(loan, **changes), record


class RescheduleTerms(BaseModel):
    """The terms of the loan that continues a rescheduled one: what a loan application takes,
    less the principal (the outstanding balance) and the parties and pledge (those of the old
    loan)."""

    model_config = ConfigDict(frozen=True)

    annual_rate: Rate
    term_months: int
    repayment: RepaymentMethod = RepaymentMethod.EQUAL_INSTALMENTS
    day_count: DayCount = DayCount.ACT_365


class RescheduleRequest(BaseModel):
    """A request to reschedule loan ``loan_id`` on ``terms`` from ``on``, by ``requested_by``;
    once decided, by ``decided_by`` (never ``requested_by`` for an approval) with the
    ``successor_id`` of the loan that continues it when approved."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    loan_id: str
    terms: RescheduleTerms
    on: date
    note: str | None = None
    status: RescheduleStatus = RescheduleStatus.SUBMITTED
    requested_by: str
    requested_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None
    successor_id: str | None = None


def reschedule_blockers(
    successor: Loan,
    on: date,
    *,
    pledge: Pledge | None,
    valuations: Sequence[PatentValuation],
    expiries: Mapping[str, date],
    book: PolicyBook | None = None,
) -> list[DisbursementRefusedError]:
    """Every reason ``successor`` cannot start on ``on`` (empty when it can).

    A reschedule is a new credit decision on the same collateral, so every activation check
    applies to the successor as to a disbursement (:func:`disbursement_blockers`): the pledge
    is registered, every pledged patent's valuation is still valid on ``on``, and the
    outstanding principal is within the LTV cap (a loan whose collateral has fallen is topped
    up first, by the margin call). And its debt term must end by every pledged patent's expiry
    (``expiries``, by patent number): a pledge cannot secure a debt beyond the patent's life."""
    found = disbursement_blockers(successor, on, pledge=pledge, valuations=valuations, book=book)
    end = add_months(on, successor.term_months)
    numbers = [p.patent_number for p in pledge.patents] if pledge is not None else []
    for number in numbers:
        expiry = expiries.get(number)
        if expiry is None or end > expiry:
            found.append(
                TermExceedsPatentLifeError(
                    f"TERM_EXCEEDS_PATENT_LIFE: the debt term ends on {end}, after {number} "
                    f"expires on {expiry or 'an unknown day'}"
                )
            )
    return found


def _successor(
    loan: Loan,
    terms: RescheduleTerms,
    successor_id: str,
    outstanding: Money,
    *,
    maker: str,
    approver: str | None,
) -> Loan:
    return Loan(
        loan_id=successor_id,
        borrower_id=loan.borrower_id,
        lender_id=loan.lender_id,
        pledge_id=loan.pledge_id,
        principal=outstanding,
        annual_rate=terms.annual_rate,
        term_months=terms.term_months,
        repayment=terms.repayment,
        day_count=terms.day_count,
        status=LoanStatus.ACTIVE,
        maker=maker,
        approver=approver,
    )


def check_reschedule(
    loan: Loan,
    terms: RescheduleTerms,
    *,
    outstanding: Money,
    interest_due: Money,
    on: date,
    pledge: Pledge | None = None,
    valuations: Sequence[PatentValuation] = (),
    expiries: Mapping[str, date] | None = None,
    book: PolicyBook | None = None,
) -> None:
    """Raise the first reason ``loan`` cannot continue on ``terms`` from ``on``: it is not
    active, interest is due, no principal is outstanding, or one of
    :func:`reschedule_blockers`.

    Accrued unpaid interest (``interest_due``) must be paid first (:class:`InterestUnpaidError`):
    a bank rolls over principal only. Folding unpaid interest into the new principal would charge
    interest on interest and show arrears as fresh lending, hiding the very delinquency the
    bank's classification has to see."""
    next_loan_status(loan.status, LoanEvent.RESCHEDULE)
    if interest_due.amount != 0:
        raise InterestUnpaidError(
            f"loan {loan.loan_id} has {interest_due} interest accrued and unpaid: it is repaid "
            "before the principal is rescheduled"
        )
    if outstanding.amount <= 0:
        raise ValueError(f"loan {loan.loan_id} owes no principal to reschedule")
    # the successor as it would start, under the old loan's id, which its refusals then name
    candidate = _successor(loan, terms, loan.loan_id, outstanding, maker=loan.maker, approver=None)
    blockers = reschedule_blockers(
        candidate, on, pledge=pledge, valuations=valuations, expiries=expiries or {}, book=book
    )
    if blockers:
        raise blockers[0]


def reschedule_loan(
    loan: Loan,
    terms: RescheduleTerms,
    *,
    successor_id: str,
    outstanding: Money,
    interest_due: Money,
    on: date,
    requested_by: str,
    actor: str,
    note: str | None = None,
    pledge: Pledge | None = None,
    valuations: Sequence[PatentValuation] = (),
    expiries: Mapping[str, date] | None = None,
    book: PolicyBook | None = None,
) -> tuple[Loan, Loan, LoanEventRecord]:
    """The old loan closed as RESCHEDULED, its ACTIVE successor, and the event record.

    A reschedule is a new credit decision, so it takes four eyes as the loan did:
    ``requested_by`` asked for ``terms`` and ``actor`` approves them, never the same person
    (:class:`FourEyesError`). They are the successor's maker and approver; the record names
    ``actor``.

    The successor lends ``outstanding`` (the old loan's principal outstanding on ``on``) to
    the same borrower, from the same lender, secured by the same pledge, on ``terms``, when
    :func:`check_reschedule` finds nothing in the way."""
    if actor == requested_by:
        raise FourEyesError(
            f"{actor!r} asked for the reschedule of loan {loan.loan_id}: another person must "
            "approve it"
        )
    check_reschedule(
        loan,
        terms,
        outstanding=outstanding,
        interest_due=interest_due,
        on=on,
        pledge=pledge,
        valuations=valuations,
        expiries=expiries,
        book=book,
    )
    target = next_loan_status(loan.status, LoanEvent.RESCHEDULE)
    successor = _successor(
        loan, terms, successor_id, outstanding, maker=requested_by, approver=actor
    )
    record = LoanEventRecord(
        loan_id=loan.loan_id,
        event=LoanEvent.RESCHEDULE,
        from_status=loan.status,
        to_status=target,
        on=on,
        actor=actor,
        amount=outstanding,
        note=note,
        successor_id=successor_id,
    )
    return _updated(loan, status=target), successor, record

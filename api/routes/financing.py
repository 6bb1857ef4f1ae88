"""/v1/pledges and /v1/loans: drafting, every lifecycle event as its own POST, repayments,
schedules and positions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api.deps import Bank, Borrowing, CommittingRoute, IdempotencyKey, ReadSessionDep, SessionDep
from api.routes.common import Limit, Offset
from api.schemas.common import Day, PageRead
from api.schemas.financing import (
    AccrualCreate,
    JournalEntryRead,
    LoanCreate,
    LoanEventCreate,
    LoanRead,
    PledgeCreate,
    PledgeEventCreate,
    PledgeRead,
    PositionRead,
    PrecheckCreate,
    PrecheckRead,
    RepaymentCreate,
    RepaymentRead,
    RescheduleCreate,
    RescheduleDecisionCreate,
    RescheduleRead,
    ScheduleRead,
)
from api.services import loans, pledges
from models.enums import LoanStatus, PledgeStatus
from pledge.lifecycle import LoanEvent, PledgeEvent

router = APIRouter(prefix="/v1", tags=["financing"], route_class=CommittingRoute)
PledgeId = Annotated[str, Path(max_length=64)]
LoanId = Annotated[str, Path(max_length=64)]
RequestId = Annotated[str, Path(max_length=64)]
PLEDGE_EVENTS = tuple(
    e for e in PledgeEvent if e not in (PledgeEvent.PRECHECK_PASSED, PledgeEvent.PRECHECK_FAILED)
)
BORROWER_LOAN_EVENTS = frozenset({LoanEvent.WITHDRAW})
"""Loan events the borrower may take itself; the lender takes all the others."""


@router.post("/pledges", status_code=201)
def create_pledge(
    body: PledgeCreate, session: SessionDep, caller: Borrowing, key: IdempotencyKey = None
) -> PledgeRead:
    """Draft a pledge of registered patents."""
    return pledges.create_pledge(session, caller, body, key)


@router.get("/pledges/{pledge_id}")
def get_pledge(pledge_id: PledgeId, session: ReadSessionDep, caller: Borrowing) -> PledgeRead:
    """A pledge the caller is a party to."""
    return pledges.read_pledge(session, caller, pledge_id)


@router.get("/pledges")
def list_pledges(
    session: ReadSessionDep,
    caller: Borrowing,
    status: PledgeStatus | None = None,
    patent: Annotated[str | None, Query(max_length=60)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageRead[PledgeRead]:
    """The pledges the caller is a party to."""
    return pledges.list_pledges(
        session, caller, status=status, patent=patent, limit=limit, offset=offset
    )


@router.post("/pledges/{pledge_id}/precheck")
def precheck_pledge(
    pledge_id: PledgeId, body: PrecheckCreate, session: SessionDep, caller: Borrowing
) -> PrecheckRead:
    """Pre-check a draft pledge against its loan: ready when eligible."""
    return pledges.precheck(session, caller, pledge_id, body)


def _event_route(
    record: str, event: PledgeEvent | LoanEvent, who: str, handler: Callable[..., Any]
) -> None:
    """Route ``POST /v1/<record>s/{<record>_id}/<event>`` (the event's underscores as hyphens)
    to ``handler``, named ``<record>_<event>``, its description saying who records the event."""
    handler.__doc__ = f"{record.capitalize()} event {event.value} (by {who})."
    handler.__name__ = f"{record}_{event.value}"
    path = f"/{record}s/{{{record}_id}}/{event.value.replace('_', '-')}"
    router.post(path, name=handler.__name__)(handler)


def _pledge_event(event: PledgeEvent) -> Callable[..., Any]:
    def handler(
        pledge_id: PledgeId, body: PledgeEventCreate, session: SessionDep, caller: Borrowing
    ) -> PledgeRead:
        return pledges.transition(session, caller, pledge_id, event, body)

    return handler


for _event in PLEDGE_EVENTS:
    _who = (
        "the pledgee"
        if _event in pledges.PLEDGEE_EVENTS
        else "the pledgor"
        if _event in pledges.PLEDGOR_EVENTS
        else "either party"
    )
    _event_route("pledge", _event, _who, _pledge_event(_event))


@router.post("/loans", status_code=201)
def create_loan(
    body: LoanCreate, session: SessionDep, caller: Bank, key: IdempotencyKey = None
) -> LoanRead:
    """Record a loan application (the calling bank lends; the calling key is the maker)."""
    return loans.create_loan(session, caller, body, key)


@router.get("/loans/{loan_id}")
def get_loan(loan_id: LoanId, session: ReadSessionDep, caller: Borrowing) -> LoanRead:
    """A loan the caller is a party to."""
    return loans.read_loan(session, caller, loan_id)


@router.get("/loans")
def list_loans(
    session: ReadSessionDep,
    caller: Borrowing,
    status: LoanStatus | None = None,
    pledge_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageRead[LoanRead]:
    """The loans the caller is a party to."""
    return loans.list_loans(
        session, caller, status=status, pledge_id=pledge_id, limit=limit, offset=offset
    )


def _loan_event(event: LoanEvent) -> Callable[..., Any]:
    if event in BORROWER_LOAN_EVENTS:

        def by_either(
            loan_id: LoanId, body: LoanEventCreate, session: SessionDep, caller: Borrowing
        ) -> LoanRead:
            return loans.transition(session, caller, loan_id, event, body)

        return by_either

    def by_lender(
        loan_id: LoanId, body: LoanEventCreate, session: SessionDep, caller: Bank
    ) -> LoanRead:
        return loans.transition(session, caller, loan_id, event, body)

    return by_lender


for _loan_event_kind in (e for e in LoanEvent if e is not LoanEvent.RESCHEDULE):
    _who = "either party" if _loan_event_kind in BORROWER_LOAN_EVENTS else "the lender"
    _event_route("loan", _loan_event_kind, _who, _loan_event(_loan_event_kind))


@router.post("/loans/{loan_id}/reschedules", status_code=201)
def request_reschedule(
    loan_id: LoanId,
    body: RescheduleCreate,
    session: SessionDep,
    caller: Bank,
    key: IdempotencyKey = None,
) -> RescheduleRead:
    """Ask for the active loan to continue on new terms from ``on`` (by the lender): checked now
    as the approval will check it; another officer of the lender approves or rejects it."""
    return loans.request_reschedule(session, caller, loan_id, body, key)


@router.get("/loans/{loan_id}/reschedules")
def list_reschedules(
    loan_id: LoanId, session: ReadSessionDep, caller: Borrowing
) -> list[RescheduleRead]:
    """The loan's reschedule requests, oldest first, with their decisions."""
    return loans.reschedule_requests(session, caller, loan_id)


@router.post("/loans/{loan_id}/reschedules/{request_id}/approve", status_code=201)
def approve_reschedule(
    loan_id: LoanId,
    request_id: RequestId,
    session: SessionDep,
    caller: Bank,
    key: IdempotencyKey = None,
    body: RescheduleDecisionCreate | None = None,
) -> LoanRead:
    """Loan event reschedule (by an officer of the lender other than the one who asked): the
    loan closes as rescheduled and a successor loan, active from the request's day on its
    terms, carries its outstanding principal."""
    decision = body or RescheduleDecisionCreate()
    return loans.approve_reschedule(session, caller, loan_id, request_id, decision, key)


@router.post("/loans/{loan_id}/reschedules/{request_id}/reject")
def reject_reschedule(
    loan_id: LoanId,
    request_id: RequestId,
    session: SessionDep,
    caller: Bank,
    body: RescheduleDecisionCreate | None = None,
) -> RescheduleRead:
    """Reject a reschedule request (by any officer of the lender: the one who asked withdraws
    it so); the loan stays as it is."""
    decision = body or RescheduleDecisionCreate()
    return loans.reject_reschedule(session, caller, loan_id, request_id, decision)


@router.post("/loans/{loan_id}/repayments", status_code=201)
def repay(
    loan_id: LoanId,
    body: RepaymentCreate,
    session: SessionDep,
    caller: Bank,
    key: IdempotencyKey = None,
) -> RepaymentRead:
    """Take a repayment: interest due first, then principal."""
    return loans.repay(session, caller, loan_id, body, key)


@router.get("/loans/{loan_id}/repayments")
def list_repayments(
    loan_id: LoanId, session: ReadSessionDep, caller: Borrowing
) -> list[RepaymentRead]:
    """The loan's repayments, in the order they were paid."""
    return loans.repayments(session, caller, loan_id)


@router.post("/loans/{loan_id}/interest-accruals", status_code=201)
def accrue_interest(
    loan_id: LoanId, body: AccrualCreate, session: SessionDep, caller: Bank
) -> JournalEntryRead:
    """Post interest earned and not yet paid."""
    return loans.accrue(session, caller, loan_id, body)


@router.get("/loans/{loan_id}/schedule")
def get_schedule(
    loan_id: LoanId, session: ReadSessionDep, caller: Borrowing, start: Day | None = None
) -> ScheduleRead:
    """The loan's repayment schedule (from its disbursement, or ``start``)."""
    return loans.schedule(session, caller, loan_id, start)


@router.get("/loans/{loan_id}/position")
def get_position(loan_id: LoanId, session: ReadSessionDep, caller: Borrowing) -> PositionRead:
    """What the loan owes now, from its journal."""
    return loans.position(session, caller, loan_id)

"""Loans through the service: the application, every lifecycle event, repayments, interest
accruals, the schedule and the position."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from api.errors import not_found
from api.idempotency import idempotent, new_id
from api.schemas.common import MoneyRead, PageRead
from api.schemas.financing import (
    AccrualCreate,
    JournalEntryRead,
    LoanCreate,
    LoanEventCreate,
    LoanRead,
    PositionRead,
    RepaymentCreate,
    RepaymentRead,
    RescheduleCreate,
    RescheduleDecisionCreate,
    RescheduleRead,
    ScheduleRead,
)
from api.security import Principal
from api.services.tenancy import scope_of, visible_loan, visible_pledge
from models.enums import LoanStatus
from models.lending import Loan
from models.money import Money
from pledge.lifecycle import LoanEvent, RescheduleTerms
from pledge.schedule import schedule_for_loan
from storage import listings, loans
from storage.errors import DomainError, NotFoundError, domain_errors, request_paths
from storage.parties import get_party


def create_loan(
    session: Session, principal: Principal, body: LoanCreate, key: str | None
) -> LoanRead:
    """Record a loan application lent by the calling bank, made by the calling key."""
    if body.pledge_id is not None:
        visible_pledge(session, principal, body.pledge_id)
    # the fingerprint keeps the field the body no longer has, so that a retry of a request
    # stored before it was removed (always null) still matches its first answer
    request = {**body.model_dump(mode="json"), "loan_id": None}

    def work(storage_key: str | None) -> LoanRead:
        with domain_errors({"party_id": "body.borrower_id"}):
            get_party(session, body.borrower_id)
        with domain_errors(request_paths(LoanCreate.model_fields)):
            loan = Loan.model_validate(
                {
                    "loan_id": new_id("ln", storage_key),
                    "borrower_id": body.borrower_id,
                    "lender_id": principal.party_id,
                    "pledge_id": body.pledge_id,
                    "principal": body.principal.money(),
                    "annual_rate": body.annual_rate,
                    "term_months": body.term_months,
                    "repayment": body.repayment,
                    "day_count": body.day_count,
                    "maker": principal.actor,
                }
            )
        with domain_errors(request_paths(LoanCreate.model_fields)):
            created = loans.create_loan(
                session, loan, on=body.on, actor=principal.actor, idempotency_key=storage_key
            )
        return _read(session, created)

    return idempotent(session, principal, key, "loan.create", request, LoanRead, work)


def _read(session: Session, loan: Loan) -> LoanRead:
    """The HTTP shape of a stored loan, with its days and reschedule links."""
    return LoanRead.of(loan, loans.loan_facts(session, [loan.loan_id]).get(loan.loan_id))


def read_loan(session: Session, principal: Principal, loan_id: str) -> LoanRead:
    """A loan the caller is a party to."""
    visible_loan(session, principal, loan_id)
    return _read(session, loans.get_loan(session, loan_id))


def list_loans(
    session: Session,
    principal: Principal,
    *,
    status: LoanStatus | None,
    pledge_id: str | None,
    limit: int,
    offset: int,
) -> PageRead[LoanRead]:
    """The loans the caller is a party to, by id."""
    page = listings.list_loans(
        session,
        scope_of(principal),
        status=None if status is None else status.value,
        pledge_id=pledge_id,
        limit=limit,
        offset=offset,
    )
    facts = loans.loan_facts(session, [loan.loan_id for loan in page.items])
    return PageRead[LoanRead].of(
        page, lambda loan: LoanRead.of(loan, facts.get(loan.loan_id)), limit=limit, offset=offset
    )


def transition(
    session: Session, principal: Principal, loan_id: str, event: LoanEvent, body: LoanEventCreate
) -> LoanRead:
    """Apply one lifecycle event; the calling key is the actor (an approver is never the
    maker)."""
    visible_loan(session, principal, loan_id)
    updated = loans.transition(
        session, loan_id, event, on=body.on, actor=principal.actor, note=body.note
    )
    return _read(session, updated)


_RESCHEDULE_FIELDS = request_paths(RescheduleCreate.model_fields)
"""Where a reschedule request's fields come from (for its errors)."""


def _terms(body: RescheduleCreate) -> RescheduleTerms:
    return RescheduleTerms.model_validate(
        body.model_dump(include={"annual_rate", "term_months", "repayment", "day_count"})
    )


def request_reschedule(
    session: Session, principal: Principal, loan_id: str, body: RescheduleCreate, key: str | None
) -> RescheduleRead:
    """Ask for the loan to continue on new terms: another officer of the lender approves."""
    visible_loan(session, principal, loan_id)
    request = {"loan_id": loan_id, **body.model_dump(mode="json")}

    def work(storage_key: str | None) -> RescheduleRead:
        with domain_errors(_RESCHEDULE_FIELDS):
            asked = loans.request_reschedule(
                session,
                loan_id,
                _terms(body),
                request_id=new_id("rs", storage_key),
                on=body.on,
                actor=principal.actor,
                note=body.note,
                idempotency_key=storage_key,
            )
        return RescheduleRead.of(asked)

    return idempotent(
        session, principal, key, "loan.reschedule_request", request, RescheduleRead, work
    )


def _reschedule_of(session: Session, principal: Principal, loan_id: str, request_id: str) -> None:
    """404 unless ``request_id`` is a reschedule request of a loan the caller is a party to."""
    visible_loan(session, principal, loan_id)
    try:
        asked = loans.get_reschedule_request(session, request_id)
    except NotFoundError:
        asked = None
    if asked is None or asked.loan_id != loan_id:
        raise not_found("request_id", f"loan {loan_id} has no reschedule request {request_id!r}")


def reschedule_requests(
    session: Session, principal: Principal, loan_id: str
) -> list[RescheduleRead]:
    """The reschedule requests of a loan, oldest first."""
    visible_loan(session, principal, loan_id)
    return [RescheduleRead.of(r) for r in loans.reschedule_requests(session, loan_id)]


def approve_reschedule(
    session: Session,
    principal: Principal,
    loan_id: str,
    request_id: str,
    body: RescheduleDecisionCreate,
    key: str | None,
) -> LoanRead:
    """Approve a reschedule another officer asked for: the loan closes as rescheduled; returns
    the successor that continues its debt on the new terms (``rescheduled_from`` names it)."""
    _reschedule_of(session, principal, loan_id, request_id)
    request = {"loan_id": loan_id, "request_id": request_id, **body.model_dump(mode="json")}

    def work(storage_key: str | None) -> LoanRead:
        # a refusal names the request's field (``term_months``, ``on``): the body has none
        with domain_errors():
            successor = loans.approve_reschedule(
                session,
                request_id,
                successor_id=new_id("ln", storage_key),
                actor=principal.actor,
                note=body.note,
                idempotency_key=storage_key,
            )
        return _read(session, successor)

    return idempotent(session, principal, key, "loan.reschedule", request, LoanRead, work)


def reject_reschedule(
    session: Session,
    principal: Principal,
    loan_id: str,
    request_id: str,
    body: RescheduleDecisionCreate,
) -> RescheduleRead:
    """Reject a reschedule request (the officer who asked withdraws it so); the loan stays."""
    _reschedule_of(session, principal, loan_id, request_id)
    decided = loans.reject_reschedule(session, request_id, actor=principal.actor, note=body.note)
    return RescheduleRead.of(decided)


def repay(
    session: Session, principal: Principal, loan_id: str, body: RepaymentCreate, key: str | None
) -> RepaymentRead:
    """Take a repayment: interest due first, then principal; one that clears the loan closes
    it."""
    visible_loan(session, principal, loan_id)
    request = {"loan_id": loan_id, **body.model_dump(mode="json")}

    def work(storage_key: str | None) -> RepaymentRead:
        paid = loans.repay(
            session,
            loan_id,
            body.amount.money(),
            on=body.paid_on,
            actor=principal.actor,
            idempotency_key=storage_key,
        )
        return RepaymentRead.of(paid)

    return idempotent(session, principal, key, "loan.repay", request, RepaymentRead, work)


def repayments(session: Session, principal: Principal, loan_id: str) -> list[RepaymentRead]:
    """The repayments of a loan, in the order they were paid."""
    visible_loan(session, principal, loan_id)
    return [
        RepaymentRead(
            repayment_id=row.repayment_id,
            loan_id=row.loan_id,
            paid_on=row.paid_on,
            amount=MoneyRead.of(Money.of(row.amount, row.currency)),
            interest=MoneyRead.of(Money.of(row.interest, row.currency)),
            principal=MoneyRead.of(Money.of(row.principal, row.currency)),
        )
        for row in listings.list_repayments(session, loan_id)
    ]


def accrue(
    session: Session, principal: Principal, loan_id: str, body: AccrualCreate
) -> JournalEntryRead:
    """Post interest earned and not yet paid."""
    visible_loan(session, principal, loan_id)
    entry = loans.accrue_interest(
        session, loan_id, body.amount.money(), on=body.on, actor=principal.actor
    )
    return JournalEntryRead.of(entry)


def position(session: Session, principal: Principal, loan_id: str) -> PositionRead:
    """What a loan owes now: principal outstanding and interest accrued, from its journal."""
    visible_loan(session, principal, loan_id)
    return PositionRead.of(loans.position(session, loan_id))


def schedule(
    session: Session, principal: Principal, loan_id: str, start: date | None
) -> ScheduleRead:
    """The loan's repayment schedule from ``start`` (default: its disbursement date)."""
    visible_loan(session, principal, loan_id)
    loan = loans.get_loan(session, loan_id)
    dates = listings.loan_dates(session, loan_id)
    begin = start or (None if dates is None else dates.disbursed_on)
    if begin is None:
        raise DomainError("start", f"loan {loan_id} is not disbursed: give ?start=YYYY-MM-DD")
    with domain_errors():
        built = schedule_for_loan(loan, begin)
    return ScheduleRead.of(loan_id, built)

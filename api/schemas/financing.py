"""HTTP shapes of pledges, loans, repayments, schedules and journal entries."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from api.schemas.common import (
    Day,
    LoanRate,
    MoneyIn,
    MoneyRead,
    PartyId,
    PatentNumbers,
    RecordId,
    Strict,
    rate_text,
)
from api.schemas.eligibility import EligibilityRead, ProposedLoanIn
from models.enums import DayCount, LoanStatus, PledgeStatus, RepaymentMethod, RescheduleStatus
from models.lending import Loan, Pledge
from pledge.ledger import JournalEntry
from pledge.lifecycle import (
    ImpairmentReason,
    LoanEvent,
    PledgeEvent,
    RescheduleRequest,
    allowed_loan_events,
    allowed_pledge_events,
)
from pledge.schedule import Schedule
from storage.loans import LoanFacts, LoanPosition, Repayment
from storage.pledges import PrecheckOutcome


class PledgeCreate(Strict):
    """Draft a pledge of registered patents (a bank as pledgee, an enterprise as pledgor)."""

    patents: PatentNumbers
    pledgor_id: PartyId | None = Field(default=None, description="Default: the calling enterprise.")
    pledgee_id: PartyId | None = Field(default=None, description="Default: the calling bank.")
    secured_amount: MoneyIn
    on: Day


class PledgeRead(BaseModel):
    pledge_id: str
    patents: list[str]
    pledgor_id: str
    pledgee_id: str
    secured_amount: MoneyRead
    status: PledgeStatus
    registration_number: str | None
    registered_on: date | None
    allowed_events: list[PledgeEvent]

    @classmethod
    def of(cls, pledge: Pledge) -> PledgeRead:
        """The HTTP shape of a pledge."""
        return cls(
            pledge_id=pledge.pledge_id,
            patents=[p.patent_number for p in pledge.patents],
            pledgor_id=pledge.pledgor_id,
            pledgee_id=pledge.pledgee_id,
            secured_amount=MoneyRead.of(pledge.secured_amount),
            status=pledge.status,
            registration_number=pledge.registration_number,
            registered_on=pledge.registered_on,
            allowed_events=[
                e
                for e in allowed_pledge_events(pledge.status)
                if e not in (PledgeEvent.PRECHECK_PASSED, PledgeEvent.PRECHECK_FAILED)
            ],
        )


class PrecheckCreate(Strict):
    """Pre-check a draft pledge against the loan it is to secure."""

    loan: ProposedLoanIn
    on: Day


class PrecheckRead(BaseModel):
    pledge: PledgeRead
    result: EligibilityRead

    @classmethod
    def of(cls, outcome: PrecheckOutcome) -> PrecheckRead:
        """The HTTP shape of a pre-check outcome."""
        result = EligibilityRead.of(outcome.result, outcome.valuations)
        return cls(pledge=PledgeRead.of(outcome.pledge), result=result)


class PledgeEventCreate(Strict):
    """A registration event on a pledge: its date and what it must record."""

    on: Day
    registration_number: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    reason: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    impairment: ImpairmentReason | None = None
    proceeds: MoneyIn | None = None


class LoanCreate(Strict):
    """A loan application recorded by the lending bank."""

    borrower_id: PartyId
    pledge_id: RecordId | None = None
    principal: MoneyIn
    annual_rate: LoanRate
    term_months: Annotated[int, Field(ge=1, le=360)]
    repayment: RepaymentMethod = RepaymentMethod.EQUAL_INSTALMENTS
    day_count: DayCount = DayCount.ACT_365
    on: Day


class LoanRead(BaseModel):
    loan_id: str
    borrower_id: str
    lender_id: str
    pledge_id: str | None
    principal: MoneyRead
    annual_rate: str
    term_months: int
    repayment: RepaymentMethod
    day_count: DayCount
    status: LoanStatus
    maker: str
    approver: str | None
    allowed_events: list[LoanEvent]
    submitted_on: date | None = None
    disbursed_on: date | None = None
    ended_on: date | None = Field(
        None, description="The day it was closed, written off, rescheduled or withdrawn."
    )
    rescheduled_from: str | None = None
    rescheduled_to: str | None = None

    @classmethod
    def of(cls, loan: Loan, facts: LoanFacts | None = None) -> LoanRead:
        """The HTTP shape of a loan, with its days and the loans it continues and is continued
        by."""
        facts = facts or LoanFacts()
        return cls(
            loan_id=loan.loan_id,
            borrower_id=loan.borrower_id,
            lender_id=loan.lender_id,
            pledge_id=loan.pledge_id,
            principal=MoneyRead.of(loan.principal),
            annual_rate=rate_text(loan.annual_rate),
            term_months=loan.term_months,
            repayment=loan.repayment,
            day_count=loan.day_count,
            status=loan.status,
            maker=loan.maker,
            approver=loan.approver,
            allowed_events=list(allowed_loan_events(loan.status)),
            submitted_on=facts.submitted_on,
            disbursed_on=facts.disbursed_on,
            ended_on=facts.ended_on,
            rescheduled_from=facts.rescheduled_from,
            rescheduled_to=facts.rescheduled_to,
        )


class LoanEventCreate(Strict):
    """A lifecycle event on a loan."""

    on: Day
    note: Annotated[str, Field(max_length=500)] | None = None


class RescheduleCreate(Strict):
    """A request to reschedule a loan: the terms of the successor loan that would continue it
    from ``on``, its principal the outstanding balance, its parties and pledge those of the old
    loan."""

    annual_rate: LoanRate
    term_months: Annotated[int, Field(ge=1, le=360)]
    repayment: RepaymentMethod = RepaymentMethod.EQUAL_INSTALMENTS
    day_count: DayCount = DayCount.ACT_365
    on: Day
    note: Annotated[str, Field(max_length=500)] | None = None


class RescheduleRead(BaseModel):
    """A request to reschedule a loan, and its decision once taken."""

    request_id: str
    loan_id: str
    annual_rate: str
    term_months: int
    repayment: RepaymentMethod
    day_count: DayCount
    on: date
    note: str | None
    status: RescheduleStatus
    requested_by: str
    requested_at: datetime
    decided_by: str | None = Field(
        None, description="Who approved or rejected it; an approver is never the requester."
    )
    decided_at: datetime | None = None
    decision_note: str | None = None
    successor_id: str | None = Field(None, description="The loan that continues it, approved.")

    @classmethod
    def of(cls, request: RescheduleRequest) -> RescheduleRead:
        """The HTTP shape of a reschedule request."""
        terms = request.terms
        return cls(
            request_id=request.request_id,
            loan_id=request.loan_id,
            annual_rate=rate_text(terms.annual_rate),
            term_months=terms.term_months,
            repayment=terms.repayment,
            day_count=terms.day_count,
            on=request.on,
            note=request.note,
            status=request.status,
            requested_by=request.requested_by,
            requested_at=request.requested_at,
            decided_by=request.decided_by,
            decided_at=request.decided_at,
            decision_note=request.decision_note,
            successor_id=request.successor_id,
        )


class RescheduleDecisionCreate(Strict):
    """The approval or rejection of a reschedule request."""

    note: Annotated[str, Field(max_length=500)] | None = None


class PositionRead(BaseModel):
    loan_id: str
    status: LoanStatus
    principal: MoneyRead
    interest: MoneyRead

    @classmethod
    def of(cls, position: LoanPosition) -> PositionRead:
        """The HTTP shape of what a loan owes."""
        return cls(
            loan_id=position.loan_id,
            status=position.status,
            principal=MoneyRead.of(position.principal),
            interest=MoneyRead.of(position.interest),
        )


class RepaymentCreate(Strict):
    """A repayment received: interest due first, then principal."""

    amount: MoneyIn
    paid_on: Day


class RepaymentRead(BaseModel):
    repayment_id: str
    loan_id: str
    paid_on: date
    amount: MoneyRead
    interest: MoneyRead
    principal: MoneyRead
    position: PositionRead | None = None

    @classmethod
    def of(cls, repayment: Repayment) -> RepaymentRead:
        """The HTTP shape of a repayment and the position after it."""
        return cls(
            repayment_id=repayment.repayment_id,
            loan_id=repayment.loan_id,
            paid_on=repayment.paid_on,
            amount=MoneyRead.of(repayment.amount),
            interest=MoneyRead.of(repayment.interest),
            principal=MoneyRead.of(repayment.principal),
            position=PositionRead.of(repayment.position),
        )


class AccrualCreate(Strict):
    """Interest earned and not yet paid."""

    amount: MoneyIn
    on: Day


class LegRead(BaseModel):
    account: str
    side: str
    amount: MoneyRead


class JournalEntryRead(BaseModel):
    entry_id: str
    loan_id: str
    kind: str
    posted_on: date
    memo: str
    legs: list[LegRead]

    @classmethod
    def of(cls, entry: JournalEntry) -> JournalEntryRead:
        """The HTTP shape of a journal entry."""
        return cls(
            entry_id=entry.entry_id,
            loan_id=entry.loan_id,
            kind=entry.kind.value,
            posted_on=entry.posted_on,
            memo=entry.memo,
            legs=[
                LegRead(
                    account=leg.account.value, side=leg.side.value, amount=MoneyRead.of(leg.amount)
                )
                for leg in entry.legs
            ],
        )


class ScheduleRowRead(BaseModel):
    number: int
    due_date: date
    days: int
    opening_balance: MoneyRead
    interest: MoneyRead
    principal: MoneyRead
    payment: MoneyRead
    closing_balance: MoneyRead


class ScheduleRead(BaseModel):
    loan_id: str
    method: RepaymentMethod
    basis: str
    start: date
    principal: MoneyRead
    annual_rate: str
    level: MoneyRead
    total_interest: MoneyRead
    total_payment: MoneyRead
    rows: list[ScheduleRowRead]

    @classmethod
    def of(cls, loan_id: str, schedule: Schedule) -> ScheduleRead:
        """The HTTP shape of a repayment schedule."""
        return cls(
            loan_id=loan_id,
            method=schedule.method,
            basis=schedule.basis.value,
            start=schedule.start,
            principal=MoneyRead.of(schedule.principal),
            annual_rate=rate_text(schedule.annual_rate),
            level=MoneyRead.of(schedule.level),
            total_interest=MoneyRead.of(schedule.total_interest),
            total_payment=MoneyRead.of(schedule.total_payment),
            rows=[
                ScheduleRowRead(
                    number=r.number,
                    due_date=r.due_date,
                    days=r.days,
                    opening_balance=MoneyRead.of(r.opening_balance),
                    interest=MoneyRead.of(r.interest),
                    principal=MoneyRead.of(r.principal),
                    payment=MoneyRead.of(r.payment),
                    closing_balance=MoneyRead.of(r.closing_balance),
                )
                for r in schedule.rows
            ],
        )

"""Loans: the Fineract lifecycle of :mod:`pledge.lifecycle` and the postings of
:mod:`pledge.ledger`, persisted one command at a time.

Every command on a loan first locks the loan's row (``SELECT … FOR UPDATE`` on PostgreSQL; on
SQLite the transaction's ``BEGIN IMMEDIATE`` already holds the write lock), then reads the
balances it needs from the journal, so concurrent repayments queue and each sees the last one's
effect. What the loan owes is its journal: principal is the loans-receivable balance, interest
due the interest-receivable balance.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import bindparam, case, func, insert, or_, select
from sqlalchemy.orm import Session

from models.enums import DayCount, LoanStatus, PartyKind, RepaymentMethod, RescheduleStatus
from models.lending import Loan, Pledge
from models.money import AMOUNT_LIMIT, Money, within_limit
from pledge import ledger as postings
from pledge.ledger import Account, EntryKind, JournalEntry
from pledge.lifecycle import (
    LoanEvent,
    RescheduleRequest,
    RescheduleTerms,
    apply_loan_event,
    check_reschedule,
    reschedule_loan,
)
from pledge.policy import PatentValuation
from pledge.schedule import allocate_payment
from storage import audit, ledger
from storage.commands import execute
from storage.errors import AlreadyExistsError, DomainError, NotFoundError, RefusedError
from storage.parties import LENDER_KINDS, require_kind, require_parties
from storage.patents import get_patents, latest_valuations
from storage.pledges import get_pledge
from storage.tables import (
    JournalEntryRow,
    JournalLegRow,
    LoanRescheduleRequestRow,
    LoanRescheduleRow,
    LoanRow,
    RepaymentRow,
    table_of,
)

SUBJECT = "loan"
BORROWER_KINDS = frozenset({PartyKind.ENTERPRISE})
_ENDED = (LoanStatus.CLOSED, LoanStatus.WRITTEN_OFF, LoanStatus.REJECTED, LoanStatus.WITHDRAWN)
_NOT_REVERSIBLE = (EntryKind.DISBURSEMENT, EntryKind.WRITE_OFF)


class LoanPosition(BaseModel):
    """What a loan owes: principal outstanding and interest accrued and unpaid."""

    model_config = ConfigDict(frozen=True)

    loan_id: str
    status: LoanStatus
    principal: Money
    interest: Money


class Repayment(BaseModel):
    """A repayment, split interest first, and the loan's position after it."""

    model_config = ConfigDict(frozen=True)

    repayment_id: str
    loan_id: str
    paid_on: date
    amount: Money
    interest: Money
    principal: Money
    position: LoanPosition


def loan_of(row: LoanRow) -> Loan:
    """The domain loan of a row."""
    return Loan(
        loan_id=row.loan_id,
        borrower_id=row.borrower_id,
        lender_id=row.lender_id,
        pledge_id=row.pledge_id,
        principal=Money.of(row.principal, row.currency),
        annual_rate=row.annual_rate,
        term_months=row.term_months,
        repayment=RepaymentMethod(row.repayment),
        day_count=DayCount(row.day_count),
        status=LoanStatus(row.status),
        maker=row.maker,
        approver=row.approver,
    )


_LOCK = (
    select(LoanRow)
    .where(LoanRow.loan_id == bindparam("loan_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)


def _locked(session: Session, loan_id: str) -> LoanRow:
    """The loan's row, locked for the rest of the transaction."""
    row = session.execute(_LOCK, {"loan_id": loan_id}).scalar_one_or_none()
    if row is None:
        raise NotFoundError("loan_id", f"no loan {loan_id!r}")
    return row


def _active(row: LoanRow, what: str) -> None:
    """Refuse unless the loan is active."""
    if row.status != LoanStatus.ACTIVE.value:
        raise RefusedError(
            "status",
            f"loan {row.loan_id} is {row.status}: {what} needs an active loan",
            code="LOAN_NOT_ACTIVE",
        )


def _dated(row: LoanRow, on: date, field: str) -> None:
    """Refuse a day before the loan began: its application or, once disbursed, its
    disbursement. (An entry dated earlier would leave the loan owing less than nothing on the
    days in between.)"""
    began, what = (row.submitted_on, "applied for")
    if row.disbursed_on is not None:
        began, what = row.disbursed_on, "disbursed"
    if on < began:
        raise DomainError(
            field, f"{on} is before loan {row.loan_id} was {what} on {began}", code="BEFORE_LOAN"
        )


class LoanFacts(BaseModel):
    """A loan's days (submitted, disbursed, ended: none yet when it has not come to that), and
    the loans it is continued from and by (none when it was not rescheduled)."""

    model_config = ConfigDict(frozen=True)

    submitted_on: date | None = None
    disbursed_on: date | None = None
    ended_on: date | None = None
    rescheduled_from: str | None = None
    rescheduled_to: str | None = None


def loan_facts(session: Session, loan_ids: Iterable[str]) -> dict[str, LoanFacts]:
    """The :class:`LoanFacts` of each of ``loan_ids`` that exists, in two queries."""
    wanted = list(loan_ids)
    days = select(LoanRow.loan_id, LoanRow.submitted_on, LoanRow.disbursed_on, LoanRow.ended_on)
    facts = {
        loan_id: LoanFacts(submitted_on=submitted, disbursed_on=disbursed, ended_on=ended)
        for loan_id, submitted, disbursed, ended in session.execute(
            days.where(LoanRow.loan_id.in_(wanted))
        )
    }
    links = select(LoanRescheduleRow.loan_id, LoanRescheduleRow.successor_id).where(
        or_(LoanRescheduleRow.loan_id.in_(wanted), LoanRescheduleRow.successor_id.in_(wanted))
    )
    for old, successor in session.execute(links):
        if old in facts:
            facts[old] = facts[old].model_copy(update={"rescheduled_to": successor})
        if successor in facts:
            facts[successor] = facts[successor].model_copy(update={"rescheduled_from": old})
    return facts


def get_loan(session: Session, loan_id: str) -> Loan:
    """The loan ``loan_id``; :class:`NotFoundError` when there is none."""
    row = session.get(LoanRow, loan_id, populate_existing=True)
    if row is None:
        raise NotFoundError("loan_id", f"no loan {loan_id!r}")
    return loan_of(row)


def position(session: Session, loan_id: str) -> LoanPosition:
    """The loan's status, principal outstanding and interest due, from its journal."""
    row = session.get(LoanRow, loan_id, populate_existing=True)
    if row is None:
        raise NotFoundError("loan_id", f"no loan {loan_id!r}")
    return _position(session, row)


def _owed(account: Account) -> Any:
    """SQL: the loan's balance on ``account`` (debits minus credits)."""
    by_account = case((JournalLegRow.account == account.value, ledger.SIGNED_AMOUNT))
    return func.coalesce(func.sum(by_account), 0)


_OWED = (
    select(_owed(Account.LOANS_RECEIVABLE), _owed(Account.INTEREST_RECEIVABLE))
    .join(JournalEntryRow, JournalEntryRow.entry_id == JournalLegRow.entry_id)
    .where(JournalEntryRow.loan_id == bindparam("loan_id"))
)
_INSERT_REPAYMENT = insert(table_of(RepaymentRow))


def _position(session: Session, row: LoanRow) -> LoanPosition:
    """What the locked loan owes, from its journal."""
    principal, interest = session.execute(_OWED, {"loan_id": row.loan_id}).one()
    return LoanPosition(
        loan_id=row.loan_id,
        status=LoanStatus(row.status),
        principal=Money.of(principal, row.currency),
        interest=Money.of(interest, row.currency),
    )


def _record(session: Session, actor: str, action: str, loan_id: str, payload: object) -> None:
    """Append an audit event about a loan."""
    audit.append(
        session,
        actor=actor,
        action=action,
        subject_type=SUBJECT,
        subject_id=loan_id,
        payload=payload,
    )


def _post(session: Session, entry: JournalEntry, actor: str) -> JournalEntry:
    """Post a journal entry and its audit event."""
    ledger.post(session, entry)
    _record(session, actor, f"ledger.{entry.kind.value}", entry.loan_id, entry)
    return entry


def _require_pledge_between(pledge: Pledge, loan: Loan) -> None:
    """Refuse a pledge that is not given by the loan's borrower to its lender: a loan is
    secured by its borrower's own pledge to the bank that lends."""
    if (pledge.pledgor_id, pledge.pledgee_id) != (loan.borrower_id, loan.lender_id):
        raise DomainError(
            "pledge_id",
            f"pledge {pledge.pledge_id} is not given by the borrower {loan.borrower_id} to the "
            f"lender {loan.lender_id}",
        )


def create_loan(
    session: Session, loan: Loan, *, on: date, actor: str, idempotency_key: str | None = None
) -> Loan:
    """Record a submitted loan application between known parties (and its pledge)."""
    if loan.status is not LoanStatus.SUBMITTED or loan.approver is not None:
        raise DomainError("status", f"a new loan is submitted and unapproved, not {loan.status}")

    def work() -> Loan:
        if session.get(LoanRow, loan.loan_id) is not None:
            raise AlreadyExistsError("loan_id", f"loan {loan.loan_id} exists")
        found = require_parties(session, [loan.borrower_id, loan.lender_id])
        require_kind(found[loan.borrower_id], BORROWER_KINDS, "borrower_id", "the borrower")
        require_kind(found[loan.lender_id], LENDER_KINDS, "lender_id", "the lender")
        if loan.pledge_id is not None:
            _require_pledge_between(get_pledge(session, loan.pledge_id), loan)
        session.add(
            LoanRow(
                loan_id=loan.loan_id,
                borrower_id=loan.borrower_id,
                lender_id=loan.lender_id,
                pledge_id=loan.pledge_id,
                currency=loan.principal.currency,
                principal=loan.principal.amount,
                annual_rate=loan.annual_rate,
                term_months=loan.term_months,
                repayment=loan.repayment.value,
                day_count=loan.day_count.value,
                status=loan.status.value,
                maker=loan.maker,
                submitted_on=on,
            )
        )
        session.flush()
        _record(session, actor, "loan.create", loan.loan_id, {"loan": loan, "on": on})
        return loan

    request = {"loan": loan, "on": on, "actor": actor}
    return execute(session, "loan.create", request, Loan, work, idempotency_key)


def _event_postings(
    session: Session, row: LoanRow, loan: Loan, event: LoanEvent, on: date, actor: str
) -> None:
    """The journal entry an event posts, and the refusals that depend on the balances."""
    if event is LoanEvent.DISBURSE:
        entry = postings.disburse(next_entry_id(session, row), loan.loan_id, loan.principal, on)
        _post(session, entry, actor)
        row.disbursed_on = on
        return
    if event not in (LoanEvent.WRITE_OFF, LoanEvent.CLOSE):
        return
    owed = _position(session, row)
    if event is LoanEvent.CLOSE and (owed.principal.amount or owed.interest.amount):
        raise RefusedError(
            "status",
            f"loan {loan.loan_id} still owes {owed.principal} principal and {owed.interest} "
            "interest: it closes when repaid",
            code="LOAN_NOT_REPAID",
        )
    if event is LoanEvent.WRITE_OFF:
        if not (owed.principal.amount or owed.interest.amount):
            raise RefusedError("status", f"loan {loan.loan_id} owes nothing to write off")
        entry = postings.write_off(
            next_entry_id(session, row), loan.loan_id, owed.principal, on, owed.interest
        )
        _post(session, entry, actor)


def next_entry_id(session: Session, row: LoanRow) -> str:
    """The id of the loan's next journal entry (the loan row must be locked)."""
    return ledger.next_entry_id(session, row.loan_id)


def _apply(
    session: Session, row: LoanRow, event: LoanEvent, on: date, actor: str, note: str | None
) -> Loan:
    """Apply a lifecycle event to the locked loan, with its postings."""
    _dated(row, on, "on")
    current = loan_of(row)
    pledge = valuations = None
    if event is LoanEvent.DISBURSE and current.pledge_id is not None:
        pledge = get_pledge(session, current.pledge_id)
        _require_pledge_between(pledge, current)  # also for a loan recorded before the rule
        numbers = [p.patent_number for p in pledge.patents]
        valuations = latest_valuations(session, numbers, on, relied_on_by=current.lender_id)
    updated, record = apply_loan_event(
        current, event, on=on, actor=actor, note=note, pledge=pledge, valuations=valuations or ()
    )
    _event_postings(session, row, updated, event, on, actor)
    row.status, row.approver = updated.status.value, updated.approver
    if updated.status in _ENDED:
        row.ended_on = on
    session.flush()
    _record(session, actor, f"loan.{event.value}", row.loan_id, record)
    return updated


def transition(
    session: Session,
    loan_id: str,
    event: LoanEvent,
    *,
    on: date,
    actor: str,
    note: str | None = None,
    idempotency_key: str | None = None,
) -> Loan:
    """Apply one lifecycle event: approve (four eyes), disburse (registered pledge, valid
    valuation, LTV within policy; posts the principal), write off (posts what is owed), close
    (only when repaid), reject, withdraw, reschedule, undo approval."""

    def work() -> Loan:
        return _apply(session, _locked(session, loan_id), event, on, actor, note)

    request = {"loan_id": loan_id, "event": event, "on": on, "actor": actor, "note": note}
    return execute(session, f"loan.{event.value}", request, Loan, work, idempotency_key)


def _money(row: LoanRow, amount: Money, field: str) -> None:
    """Refuse an amount that is not positive or not in the loan's currency."""
    if amount.currency != row.currency:
        raise DomainError(field, f"{amount} is not in the loan's currency {row.currency}")
    if amount.amount <= 0:
        raise DomainError(field, f"must be positive, got {amount}")


def accrue_interest(
    session: Session,
    loan_id: str,
    amount: Money,
    *,
    on: date,
    actor: str,
    idempotency_key: str | None = None,
) -> JournalEntry:
    """Post interest earned and not yet paid (Dr interest receivable, Cr interest income)."""

    def work() -> JournalEntry:
        row = _locked(session, loan_id)
        _active(row, "accruing interest")
        _money(row, amount, "amount")
        _dated(row, on, "on")
        accrued = -ledger.loan_balance(session, loan_id, Account.INTEREST_INCOME, row.currency)
        if not within_limit(accrued + amount):
            raise DomainError(
                "amount",
                f"the loan's interest accrued in all would be {accrued + amount}: amounts are "
                f"below {AMOUNT_LIMIT:,}",
            )
        entry = postings.accrue_interest(next_entry_id(session, row), loan_id, amount, on)
        return _post(session, entry, actor)

    request = {"loan_id": loan_id, "amount": amount, "on": on, "actor": actor}
    return execute(session, "loan.accrue", request, JournalEntry, work, idempotency_key)


def repay(
    session: Session,
    loan_id: str,
    amount: Money,
    *,
    on: date,
    actor: str,
    idempotency_key: str | None = None,
) -> Repayment:
    """Take a repayment: interest due first, then principal; more than is owed is refused.
    A repayment that clears the loan closes it."""

    def work() -> Repayment:
        row = _locked(session, loan_id)
        _active(row, "a repayment")
        _money(row, amount, "amount")
        _dated(row, on, "paid_on")
        owed = _position(session, row)
        split = allocate_payment(amount, owed.interest, owed.principal)
        if split.unapplied.amount > 0:
            raise RefusedError(
                "amount",
                f"{amount} exceeds what loan {loan_id} owes: "
                f"{owed.interest} interest and {owed.principal} principal",
                code="OVERPAYMENT",
            )
        entry_id = next_entry_id(session, row)
        entry = postings.repay(entry_id, loan_id, split.interest, split.principal, on)
        _post(session, entry, actor)
        session.execute(
            _INSERT_REPAYMENT,
            {
                "repayment_id": entry_id,
                "loan_id": loan_id,
                "paid_on": on,
                "currency": row.currency,
                "amount": amount.amount,
                "interest": split.interest.amount,
                "principal": split.principal.amount,
                "entry_id": entry_id,
            },
        )
        after = owed.model_copy(
            update={
                "principal": owed.principal - split.principal,
                "interest": owed.interest - split.interest,
            }
        )
        if after.principal.amount == 0 and after.interest.amount == 0:
            _apply(session, row, LoanEvent.CLOSE, on, actor, f"repaid by {entry_id}")
            after = after.model_copy(update={"status": LoanStatus.CLOSED})
        return Repayment(
            repayment_id=entry_id,
            loan_id=loan_id,
            paid_on=on,
            amount=amount,
            interest=split.interest,
            principal=split.principal,
            position=after,
        )

    request = {"loan_id": loan_id, "amount": amount, "on": on, "actor": actor}
    return execute(session, "loan.repay", request, Repayment, work, idempotency_key)


def reverse_entry(
    session: Session,
    entry_id: str,
    *,
    on: date,
    actor: str,
    memo: str = "",
    idempotency_key: str | None = None,
) -> JournalEntry:
    """Post the mirror of an accrual or repayment (or of a reversal) of an active loan."""

    def work() -> JournalEntry:
        header = ledger.get_entry(session, entry_id)
        if header is None:
            raise NotFoundError("entry_id", f"no journal entry {entry_id!r}")
        row = _locked(session, header.loan_id)
        _active(row, "a reversal")
        _dated(row, on, "on")
        if EntryKind(header.kind) in _NOT_REVERSIBLE:
            raise RefusedError(
                "entry_id", f"a {header.kind} entry is not reversed: the loan's state follows it"
            )
        original = next(
            e for e in ledger.entries(session, header.loan_id) if e.entry_id == entry_id
        )
        if ledger.reversal_of(session, entry_id) is not None:
            raise RefusedError("entry_id", f"entry {entry_id} is already reversed")
        entry = postings.reverse(original, next_entry_id(session, row), on, memo)
        owed = _position(session, row)
        after = postings.balances([entry])
        zero = Money.zero(row.currency)
        for account, now in (
            (Account.LOANS_RECEIVABLE, owed.principal),
            (Account.INTEREST_RECEIVABLE, owed.interest),
        ):
            if (now + after.get((account, row.currency), zero)).amount < 0:
                raise RefusedError(
                    "entry_id",
                    f"reversing {entry_id} would leave {account.value} below zero: "
                    f"{now} is owed; it was paid since",
                    code="REVERSAL_REFUSED",
                )
        return _post(session, entry, actor)

    request = {"entry_id": entry_id, "on": on, "actor": actor, "memo": memo}
    return execute(session, "ledger.reverse", request, JournalEntry, work, idempotency_key)


def _reschedule_request(row: LoanRescheduleRequestRow) -> RescheduleRequest:
    return RescheduleRequest(
        request_id=row.request_id,
        loan_id=row.loan_id,
        terms=RescheduleTerms(
            annual_rate=row.annual_rate,
            term_months=row.term_months,
            repayment=RepaymentMethod(row.repayment),
            day_count=DayCount(row.day_count),
        ),
        on=row.rescheduled_on,
        note=row.note,
        status=RescheduleStatus(row.status),
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        decision_note=row.decision_note,
        successor_id=row.successor_id,
    )


@dataclass(frozen=True)
class _Pledged:
    """What a reschedule of a loan is checked against: its pledge, the latest valuations of the
    pledged patents on the day that the lender may rely on, and their expiries."""

    pledge: Pledge | None = None
    valuations: tuple[PatentValuation, ...] = ()
    expiries: dict[str, date] = field(default_factory=dict)


def _reschedulable(session: Session, row: LoanRow, on: date) -> tuple[Loan, LoanPosition, _Pledged]:
    """The locked loan ``row`` as a loan, what it owes and what it is pledged with, for a
    reschedule from ``on``; refused unless it is active and ``on`` is not before it began."""
    _active(row, "a reschedule")
    _dated(row, on, "on")
    loan = loan_of(row)
    if loan.pledge_id is None:
        return loan, _position(session, row), _Pledged()
    pledge = get_pledge(session, loan.pledge_id)
    numbers = [p.patent_number for p in pledge.patents]
    held = _Pledged(
        pledge=pledge,
        valuations=tuple(latest_valuations(session, numbers, on, relied_on_by=loan.lender_id)),
        expiries={p.number.patent_number: p.expiry_date for p in get_patents(session, numbers)},
    )
    return loan, _position(session, row), held


def request_reschedule(
    session: Session,
    loan_id: str,
    terms: RescheduleTerms,
    *,
    request_id: str,
    on: date,
    actor: str,
    note: str | None = None,
    idempotency_key: str | None = None,
) -> RescheduleRequest:
    """Ask for the active loan to continue on ``terms`` from ``on``: a request another officer
    approves (:func:`approve_reschedule`) or anyone of the lender rejects. It is checked now as
    the approval will check it (:func:`pledge.lifecycle.check_reschedule`), so a reschedule that
    cannot be done is refused at once; a loan has one request awaiting a decision at most."""

    def work() -> RescheduleRequest:
        row = _locked(session, loan_id)
        current, owed, held = _reschedulable(session, row, on)
        pending = session.execute(
            select(LoanRescheduleRequestRow.request_id).where(
                LoanRescheduleRequestRow.loan_id == loan_id,
                LoanRescheduleRequestRow.status == RescheduleStatus.SUBMITTED.value,
            )
        ).scalar_one_or_none()
        if pending is not None:
            raise RefusedError(
                "loan_id",
                f"loan {loan_id} has reschedule request {pending} awaiting a decision: approve "
                "or reject it first",
                code="RESCHEDULE_PENDING",
            )
        if session.get(LoanRescheduleRequestRow, request_id) is not None:
            raise AlreadyExistsError("request_id", f"reschedule request {request_id} exists")
        check_reschedule(
            current,
            terms,
            outstanding=owed.principal,
            interest_due=owed.interest,
            on=on,
            pledge=held.pledge,
            valuations=held.valuations,
            expiries=held.expiries,
        )
        stored = LoanRescheduleRequestRow(
            request_id=request_id,
            loan_id=loan_id,
            annual_rate=terms.annual_rate,
            term_months=terms.term_months,
            repayment=terms.repayment.value,
            day_count=terms.day_count.value,
            rescheduled_on=on,
            note=note,
            status=RescheduleStatus.SUBMITTED.value,
            requested_by=actor,
            requested_at=datetime.now(UTC),
        )
        session.add(stored)
        session.flush()
        request = _reschedule_request(stored)
        _record(session, actor, "loan.reschedule_request", loan_id, request)
        return request

    request = {"loan_id": loan_id, "terms": terms, "on": on, "actor": actor, "note": note}
    return execute(
        session, "loan.reschedule_request", request, RescheduleRequest, work, idempotency_key
    )


def _undecided(session: Session, request_id: str) -> tuple[LoanRow, LoanRescheduleRequestRow]:
    """The loan's row, locked, and the reschedule request awaiting a decision on it."""
    found = session.get(LoanRescheduleRequestRow, request_id)
    if found is None:
        raise NotFoundError("request_id", f"no reschedule request {request_id!r}")
    row = _locked(session, found.loan_id)
    session.refresh(found)  # decided in between by another officer?
    if found.status != RescheduleStatus.SUBMITTED.value:
        raise RefusedError(
            "status",
            f"reschedule request {request_id} is {found.status} already",
            code="RESCHEDULE_DECIDED",
        )
    return row, found


def approve_reschedule(
    session: Session,
    request_id: str,
    *,
    successor_id: str,
    actor: str,
    note: str | None = None,
    idempotency_key: str | None = None,
) -> Loan:
    """Approve a reschedule request (``actor`` is not the officer who asked): the loan closes as
    RESCHEDULED and its successor opens on the request's terms, ACTIVE from its day, lending the
    principal outstanding (see :func:`pledge.lifecycle.reschedule_loan`: interest due is paid
    first; the pledge, valuations, LTV and patent lives are checked again, as at a
    disbursement). The principal moves in two entries posted on that day
    (:func:`pledge.ledger.reschedule_out` and :func:`pledge.ledger.reschedule_in`), so the old
    loan owes nothing and the successor owes what the old one did; returns the successor."""

    def work() -> Loan:
        row, asked = _undecided(session, request_id)
        wanted = _reschedule_request(asked)
        on = wanted.on
        current, owed, held = _reschedulable(session, row, on)
        if session.get(LoanRow, successor_id) is not None:
            raise AlreadyExistsError("loan_id", f"loan {successor_id} exists")
        closed, successor, record = reschedule_loan(
            current,
            wanted.terms,
            successor_id=successor_id,
            outstanding=owed.principal,
            interest_due=owed.interest,
            on=on,
            requested_by=wanted.requested_by,
            actor=actor,
            note=note,
            pledge=held.pledge,
            valuations=held.valuations,
            expiries=held.expiries,
        )
        session.add(
            LoanRow(
                loan_id=successor.loan_id,
                borrower_id=successor.borrower_id,
                lender_id=successor.lender_id,
                pledge_id=successor.pledge_id,
                currency=successor.principal.currency,
                principal=successor.principal.amount,
                annual_rate=successor.annual_rate,
                term_months=successor.term_months,
                repayment=successor.repayment.value,
                day_count=successor.day_count.value,
                status=successor.status.value,
                maker=successor.maker,
                approver=successor.approver,
                submitted_on=on,
                disbursed_on=on,
            )
        )
        row.status, row.ended_on = closed.status.value, on
        session.flush()
        session.add(
            LoanRescheduleRow(loan_id=row.loan_id, successor_id=successor_id, rescheduled_on=on)
        )
        asked.status, asked.successor_id = RescheduleStatus.APPROVED.value, successor_id
        asked.decided_by, asked.decided_at, asked.decision_note = actor, datetime.now(UTC), note
        out = postings.reschedule_out(
            next_entry_id(session, row), row.loan_id, owed.principal, on, successor_id
        )
        _post(session, out, actor)
        into = postings.reschedule_in(
            ledger.next_entry_id(session, successor_id),
            successor_id,
            owed.principal,
            on,
            row.loan_id,
        )
        _post(session, into, actor)
        session.flush()
        _record(session, actor, "loan.reschedule", row.loan_id, record)
        _record(session, actor, "loan.create", successor_id, {"loan": successor, "on": on})
        return successor

    request = {"request_id": request_id, "actor": actor, "note": note}
    return execute(session, "loan.reschedule", request, Loan, work, idempotency_key)


def reject_reschedule(
    session: Session, request_id: str, *, actor: str, note: str | None = None
) -> RescheduleRequest:
    """Reject a reschedule request awaiting a decision (by the officer who asked too: a request
    withdrawn); the loan stays as it is."""

    def work() -> RescheduleRequest:
        row, asked = _undecided(session, request_id)
        asked.status = RescheduleStatus.REJECTED.value
        asked.decided_by, asked.decided_at, asked.decision_note = actor, datetime.now(UTC), note
        session.flush()
        decided = _reschedule_request(asked)
        _record(session, actor, "loan.reschedule_reject", row.loan_id, decided)
        return decided

    return execute(session, "loan.reschedule_reject", None, RescheduleRequest, work)


def get_reschedule_request(session: Session, request_id: str) -> RescheduleRequest:
    """A reschedule request by its id."""
    row = session.get(LoanRescheduleRequestRow, request_id)
    if row is None:
        raise NotFoundError("request_id", f"no reschedule request {request_id!r}")
    return _reschedule_request(row)


def reschedule_requests(session: Session, loan_id: str) -> list[RescheduleRequest]:
    """The reschedule requests of a loan, oldest first."""
    rows = session.execute(
        select(LoanRescheduleRequestRow)
        .where(LoanRescheduleRequestRow.loan_id == loan_id)
        .order_by(LoanRescheduleRequestRow.requested_at, LoanRescheduleRequestRow.request_id)
    ).scalars()
    return [_reschedule_request(row) for row in rows]

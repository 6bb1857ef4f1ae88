"""Listings for a service: patents, pledges, loans and alerts, filtered by the parties they
belong to, a page at a time, in a stable order.

Whose a record is follows from its rows: a patent is its owners' (``patent_owners.party_id``),
and a bank's when one of its pledges holds it or it asked for an appraisal of it; a pledge is its
pledgor's and pledgee's; a loan its borrower's and lender's; an alert the loan's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from sqlalchemy import BindParameter, ColumnElement, Select, bindparam, func, or_, select
from sqlalchemy.orm import Session

from models.lending import Loan, Pledge
from models.parties import Party
from models.patent import Patent
from storage.loans import loan_of
from storage.parties import party_of
from storage.pledges import pledge_of
from storage.tables import (
    AlertRow,
    AppraisalRequestRow,
    LoanRow,
    PartyRow,
    PatentOwnerRow,
    PatentRow,
    PledgedPatentRow,
    PledgeRow,
    RepaymentRow,
    ValuationRow,
)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing and the number of records in the whole listing."""

    items: Sequence[T]
    total: int


def page_of(session: Session, query: Select[Any], limit: int, offset: int) -> tuple[list[Any], int]:
    """A page of ``query``'s rows and the count of all of them."""
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = list(session.execute(query.limit(limit).offset(offset)).scalars())
    return rows, total


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose records a listing shows: a party as owner / borrower / pledgor (``party_id``
    with ``as_bank`` False) or as lender / pledgee / requester (``as_bank`` True); ``None``
    party: every record."""

    party_id: str | None = None
    as_bank: bool = False


EVERYONE = Scope()


def patents_of(scope: Scope) -> ColumnElement[bool]:
    """SQL: the patent row is within ``scope``."""
    if scope.party_id is None:
        return PatentRow.patent_id.is_not(None)
    return _party_patents(scope.party_id, as_bank=scope.as_bank)


def _party_patents(party: str | BindParameter[str], *, as_bank: bool) -> ColumnElement[bool]:
    """SQL: the patent row is the party's (``party``, a value or a bound parameter)."""
    if not as_bank:
        owned = select(PatentOwnerRow.patent_id).where(PatentOwnerRow.party_id == party)
        return PatentRow.patent_id.in_(owned)
    pledged = (
        select(PledgedPatentRow.patent_id)
        .join(PledgeRow, PledgeRow.pledge_id == PledgedPatentRow.pledge_id)
        .where(PledgeRow.pledgee_id == party)
    )
    appraised = (
        select(ValuationRow.patent_id)
        .join(AppraisalRequestRow, AppraisalRequestRow.appraisal_id == ValuationRow.appraisal_id)
        .where(AppraisalRequestRow.requested_by == party)
    )
    return or_(PatentRow.patent_id.in_(pledged), PatentRow.patent_id.in_(appraised))


def _within(query: Select[Any]) -> dict[bool | None, Select[Any]]:
    """``query`` limited to a scope's patents, built once per kind of scope: ``None`` for
    every patent, else ``as_bank``, with the party as the bound parameter ``party``."""
    party: BindParameter[str] = bindparam("party")
    return {
        None: query,
        False: query.where(_party_patents(party, as_bank=False)),
        True: query.where(_party_patents(party, as_bank=True)),
    }


def _kind(scope: Scope) -> bool | None:
    return None if scope.party_id is None else scope.as_bank


_IN_SCOPE = _within(select(PatentRow.patent_id).where(PatentRow.patent_id == bindparam("number")))
_RECORDS_IN_SCOPE = _within(
    select(PatentRow).where(PatentRow.patent_id.in_(bindparam("numbers", expanding=True)))
)


def patent_in_scope(session: Session, number: str, scope: Scope) -> bool:
    """Whether patent ``number`` is stored and within ``scope``."""
    query = _IN_SCOPE[_kind(scope)]
    return session.execute(query, {"number": number, "party": scope.party_id}).first() is not None


def patents_in_scope(session: Session, numbers: Sequence[str], scope: Scope) -> dict[str, Patent]:
    """The stored patents among ``numbers`` (normalised) that are within ``scope``, by number:
    one query."""
    query = _RECORDS_IN_SCOPE[_kind(scope)]
    rows = session.execute(query, {"numbers": list(numbers), "party": scope.party_id}).scalars()
    return {row.patent_id: Patent.model_validate(row.record) for row in rows}


def list_patents(
    session: Session,
    scope: Scope,
    *,
    patent_type: str | None = None,
    legal_status: str | None = None,
    industry: str | None = None,
    owner: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[Patent]:
    """The patents within ``scope`` (and the filters), by number."""
    query = select(PatentRow).where(patents_of(scope)).order_by(PatentRow.patent_id)
    if patent_type is not None:
        query = query.where(PatentRow.patent_type == patent_type)
    if legal_status is not None:
        query = query.where(PatentRow.legal_status == legal_status)
    if industry is not None:
        query = query.where(PatentRow.industry == industry)
    if owner is not None:
        owned = select(PatentOwnerRow.patent_id).where(PatentOwnerRow.party_id == owner)
        query = query.where(PatentRow.patent_id.in_(owned))
    rows, total = page_of(session, query, limit, offset)
    return Page([Patent.model_validate(row.record) for row in rows], total)


def pledges_of(scope: Scope) -> ColumnElement[bool]:
    """SQL: the pledge row is within ``scope``."""
    if scope.party_id is None:
        return PledgeRow.pledge_id.is_not(None)
    column = PledgeRow.pledgee_id if scope.as_bank else PledgeRow.pledgor_id
    return column == scope.party_id


def list_pledges(
    session: Session,
    scope: Scope,
    *,
    status: str | None = None,
    patent: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[Pledge]:
    """The pledges within ``scope`` (of one status, holding one patent), by id."""
    query = select(PledgeRow).where(pledges_of(scope)).order_by(PledgeRow.pledge_id)
    if status is not None:
        query = query.where(PledgeRow.status == status)
    if patent is not None:
        holding = select(PledgedPatentRow.pledge_id).where(PledgedPatentRow.patent_id == patent)
        query = query.where(PledgeRow.pledge_id.in_(holding))
    rows, total = page_of(session, query, limit, offset)
    numbers: dict[str, list[str]] = {r.pledge_id: [] for r in rows}
    if numbers:
        listed = (
            select(PledgedPatentRow.pledge_id, PledgedPatentRow.patent_id)
            .where(PledgedPatentRow.pledge_id.in_(list(numbers)))
            .order_by(PledgedPatentRow.pledge_id, PledgedPatentRow.position)
        )
        for pledge_id, patent_id in session.execute(listed):
            numbers[pledge_id].append(patent_id)
    return Page([pledge_of(r, numbers[r.pledge_id]) for r in rows], total)


def pledge_in_scope(session: Session, pledge_id: str, scope: Scope) -> bool:
    """Whether pledge ``pledge_id`` is stored and within ``scope``."""
    query = select(PledgeRow.pledge_id).where(PledgeRow.pledge_id == pledge_id, pledges_of(scope))
    return session.execute(query).first() is not None


def loans_of(scope: Scope) -> ColumnElement[bool]:
    """SQL: the loan row is within ``scope``."""
    if scope.party_id is None:
        return LoanRow.loan_id.is_not(None)
    column = LoanRow.lender_id if scope.as_bank else LoanRow.borrower_id
    return column == scope.party_id


def list_loans(
    session: Session,
    scope: Scope,
    *,
    status: str | None = None,
    pledge_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[Loan]:
    """The loans within ``scope`` (of one status, secured by one pledge), by id."""
    query = select(LoanRow).where(loans_of(scope)).order_by(LoanRow.loan_id)
    if status is not None:
        query = query.where(LoanRow.status == status)
    if pledge_id is not None:
        query = query.where(LoanRow.pledge_id == pledge_id)
    rows, total = page_of(session, query, limit, offset)
    return Page([loan_of(r) for r in rows], total)


def loan_in_scope(session: Session, loan_id: str, scope: Scope) -> bool:
    """Whether loan ``loan_id`` is stored and within ``scope``."""
    query = select(LoanRow.loan_id).where(LoanRow.loan_id == loan_id, loans_of(scope))
    return session.execute(query).first() is not None


def loan_ids(session: Session, scope: Scope, *, status: str | None = None) -> list[str]:
    """The ids of the loans within ``scope`` (of one status), by id."""
    query = select(LoanRow.loan_id).where(loans_of(scope)).order_by(LoanRow.loan_id)
    if status is not None:
        query = query.where(LoanRow.status == status)
    return list(session.execute(query).scalars())


def list_alerts(
    session: Session,
    scope: Scope,
    *,
    kind: str | None = None,
    loan_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[AlertRow]:
    """The alerts on loans within ``scope`` (of one kind, on one loan), newest first."""
    visible = select(LoanRow.loan_id).where(loans_of(scope))
    condition: ColumnElement[bool] = AlertRow.loan_id.in_(visible)
    if scope.party_id is None:
        condition = or_(condition, AlertRow.loan_id.is_(None))
    query = select(AlertRow).where(condition).order_by(AlertRow.alert_id.desc())
    if kind is not None:
        query = query.where(AlertRow.kind == kind)
    if loan_id is not None:
        query = query.where(AlertRow.loan_id == loan_id)
    rows, total = page_of(session, query, limit, offset)
    return Page(rows, total)


def list_repayments(session: Session, loan_id: str) -> list[RepaymentRow]:
    """The repayments of loan ``loan_id``, in the order they were paid."""
    query = (
        select(RepaymentRow)
        .where(RepaymentRow.loan_id == loan_id)
        .order_by(RepaymentRow.paid_on, RepaymentRow.repayment_id)
    )
    return list(session.execute(query).scalars())


@dataclass(frozen=True, slots=True)
class LoanDates:
    """When a loan was submitted, disbursed and ended (None: not yet)."""

    submitted_on: date
    disbursed_on: date | None
    ended_on: date | None


def loan_dates(session: Session, loan_id: str) -> LoanDates | None:
    """The dates of loan ``loan_id`` (None when there is no such loan)."""
    row = session.get(LoanRow, loan_id)
    if row is None:
        return None
    return LoanDates(row.submitted_on, row.disbursed_on, row.ended_on)


def list_parties(session: Session, *, limit: int = 50, offset: int = 0) -> Page[Party]:
    """Every party, by id."""
    rows, total = page_of(session, select(PartyRow).order_by(PartyRow.party_id), limit, offset)
    return Page([party_of(row) for row in rows], total)

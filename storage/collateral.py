"""A loan's collateral position as of a day: what it owes against what its pledge is worth.

Outstanding is the principal on the loans-receivable account from entries posted by the day.
The collateral value is the sum of each pledged patent's latest valuation with a base date by
the day, while the loan's pledge holds them (registered by the day and not released before it:
a released pledge, or one not yet registered, secures nothing); a patent no longer in force
counts zero (its value as collateral is gone). The LTV limit
is the lender's cap for the patents' types, weighted by value (:func:`pledge.policy.check_ltv`);
the ratio, breach and shortfall are :mod:`pledge.monitoring`'s.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from models.enums import LegalStatus, LoanStatus, PatentType
from models.money import Money
from pledge import monitoring
from pledge.ledger import Account
from pledge.policy import PatentValuation, check_ltv, policy_book
from storage import ledger
from storage.loans import get_loan
from storage.patents import get_patents, latest_valuations
from storage.pledges import get_pledge
from storage.tables import PledgeRow


class CollateralPosition(BaseModel):
    """A loan's outstanding against its collateral value and limit as of a day."""

    model_config = ConfigDict(frozen=True)

    loan_id: str
    status: LoanStatus
    as_of: date
    outstanding: Money
    collateral_value: Money
    ltv_limit: Decimal
    ratio: Decimal | None  # None when the collateral is worth nothing
    breach: bool
    shortfall: Money
    patents_not_in_force: tuple[str, ...] = ()
    patents_without_valuation: tuple[str, ...] = ()
    secured: bool = True
    """Whether the loan's pledge held its patents on the day (registered by then, not released
    before it); a loan without one counts no collateral."""


def collateral_position(session: Session, loan_id: str, as_of: date) -> CollateralPosition:
    """The collateral position of loan ``loan_id`` as of ``as_of``."""
    loan = get_loan(session, loan_id)
    currency = loan.principal.currency
    owed = ledger.balances(session, [loan_id], as_of=as_of)
    outstanding = owed.get((loan_id, Account.LOANS_RECEIVABLE, currency), Money.zero(currency))
    secured = loan.pledge_id is not None and _secures(session, loan.pledge_id, as_of)
    numbers: list[str] = []
    if loan.pledge_id is not None and secured:
        numbers = [p.patent_number for p in get_pledge(session, loan.pledge_id).patents]
    dead = tuple(
        p.number.patent_number
        for p in get_patents(session, numbers)
        if p.legal_status is not LegalStatus.IN_FORCE
    )
    found = latest_valuations(session, numbers, as_of, relied_on_by=loan.lender_id)
    valued = {v.patent_number for v in found}
    counted = [
        v if v.patent_number not in dead else v.model_copy(update={"value": Money.zero(currency)})
        for v in found
    ]
    value = Money.of(sum((v.value.amount for v in counted), Decimal(0)), currency)
    limit = _limit(outstanding, counted, loan.lender_id)
    return CollateralPosition(
        loan_id=loan_id,
        status=loan.status,
        as_of=as_of,
        outstanding=outstanding,
        collateral_value=value,
        ltv_limit=limit,
        ratio=monitoring.collateral_ratio(outstanding, value),
        breach=monitoring.breaches(outstanding, value, limit),
        shortfall=monitoring.shortfall(outstanding, value, limit),
        patents_not_in_force=dead,
        patents_without_valuation=tuple(n for n in numbers if n not in valued),
        secured=secured,
    )


def _secures(session: Session, pledge_id: str, as_of: date) -> bool:
    """Whether pledge ``pledge_id`` held its patents on ``as_of``: registered by then and not
    released before it (the rule of :func:`pledge.statistics.live_as_of`)."""
    row = session.get(PledgeRow, pledge_id)
    if row is None or row.registered_on is None or row.registered_on > as_of:
        return False
    return row.released_on is None or row.released_on >= as_of


def _limit(outstanding: Money, valuations: list[PatentValuation], lender: str) -> Decimal:
    """The value-weighted cap of ``lender`` on ``valuations`` (the first type's cap when the
    collateral is worth nothing, the default invention cap when there is none)."""
    check = check_ltv(outstanding, valuations, lender) if valuations else None
    if check is not None and check.cap is not None:
        return check.cap
    book = policy_book()
    if valuations:
        return book.for_type(lender, valuations[0].patent_type).cap
    return book.for_type(lender, PatentType.INVENTION).cap

r"""Collateral monitoring: loan-to-value checks, margin calls and impairment alerts.

.. math::

    \text{ratio} = \frac{O}{V}, \qquad
    \text{breach} \iff O > V \cdot L, \qquad
    \text{shortfall} = O - V \cdot L, \qquad
    \text{top-up} = \frac{O}{L} - V

for outstanding :math:`O`, current collateral value :math:`V` and LTV limit :math:`L`. The
shortfall is what the borrower must repay to come back within the limit; the top-up is the
collateral value to add instead. A pledged patent that is no longer in force (lapsed for an unpaid
fee, invalidated, expired, surrendered — or never granted) raises an impairment alert: its value
as collateral is gone.

References
----------
.. [1] docs/DOMAIN.md §4 "Collateral monitoring" (after Frappe Lending's loan security shortfall).
.. [2] Civil Code of the PRC, Art. 444.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from models.enums import LegalStatus
from models.money import Fraction, Money, to_decimal

RATIO_QUANTUM = Decimal("0.000001")


class MonitoringEvent(StrEnum):
    MARGIN_CALL = "margin_call"
    IMPAIRMENT = "impairment"


class MarginCall(BaseModel):
    """The loan's outstanding exceeds its collateral value times the LTV limit."""

    model_config = ConfigDict(frozen=True)

    event: MonitoringEvent = MonitoringEvent.MARGIN_CALL
    loan_id: str
    as_of: date
    outstanding: Money
    collateral_value: Money
    ltv_limit: Fraction
    ratio: Decimal | None  # None when the collateral is worth nothing
    shortfall: Money  # repay this much ...
    top_up: Money | None  # ... or add this much collateral value (None when the limit is 0)


class ImpairmentAlert(BaseModel):
    """A pledged patent lost its force: the collateral behind the loan is impaired."""

    model_config = ConfigDict(frozen=True)

    event: MonitoringEvent = MonitoringEvent.IMPAIRMENT
    patent_id: str
    legal_status: LegalStatus
    as_of: date
    loan_id: str | None = None
    message: str


_IMPAIRMENT_REASONS = {
    LegalStatus.LAPSED: "lapsed: an annual fee went unpaid past the grace period",
    LegalStatus.INVALIDATED: "was declared invalid",
    LegalStatus.EXPIRED: "expired at the end of its term",
    LegalStatus.SURRENDERED: "was surrendered by the patentee",
    LegalStatus.PENDING: "is only an application, not a granted patent",
    LegalStatus.WITHDRAWN: "is a withdrawn application",
    LegalStatus.REJECTED: "is a rejected application",
}


def _check_currency(outstanding: Money, value: Money) -> None:
    if outstanding.currency != value.currency:
        raise ValueError(
            f"outstanding is in {outstanding.currency}, collateral value in {value.currency}: "
            "convert first"
        )


def _limit(limit: object) -> Decimal:
    value = to_decimal(limit)
    if not 0 <= value <= 1:
        raise ValueError(f"an LTV limit lies in 0..1 (write 30 % as 0.3), got {value}")
    return value


def collateral_ratio(outstanding: Money, value: Money) -> Decimal | None:
    """Outstanding / collateral value to six decimals; None when the value is zero."""
    _check_currency(outstanding, value)
    if value.amount < 0 or outstanding.amount < 0:
        raise ValueError("outstanding and collateral value cannot be negative")
    if value.amount == 0:
        return None
    return (outstanding.amount / value.amount).quantize(RATIO_QUANTUM, rounding=ROUND_HALF_EVEN)


def breaches(outstanding: Money, value: Money, limit: Decimal) -> bool:
    """Whether outstanding exceeds value × limit (compared exactly, before any rounding)."""
    _check_currency(outstanding, value)
    return outstanding.amount > value.amount * _limit(limit)


def shortfall(outstanding: Money, value: Money, limit: Decimal) -> Money:
    """max(0, outstanding − value × limit), rounded half-even to the fen."""
    _check_currency(outstanding, value)
    gap = outstanding.amount - value.amount * _limit(limit)
    return Money(amount=max(gap, Decimal(0)), currency=outstanding.currency)


def check_collateral(
    loan_id: str, as_of: date, outstanding: Money, value: Money, limit: Fraction
) -> MarginCall | None:
    """A margin call when outstanding / value is above the limit, else None."""
    limit = _limit(limit)
    ratio = collateral_ratio(outstanding, value)
    if not breaches(outstanding, value, limit):
        return None
    top_up = None
    if limit > 0:
        top_up = Money(amount=outstanding.amount / limit - value.amount, currency=value.currency)
    return MarginCall(
        loan_id=loan_id,
        as_of=as_of,
        outstanding=outstanding,
        collateral_value=value,
        ltv_limit=limit,
        ratio=ratio,
        shortfall=shortfall(outstanding, value, limit),
        top_up=top_up,
    )


def check_patent_status(
    patent_id: str, status: LegalStatus, as_of: date, loan_id: str | None = None
) -> ImpairmentAlert | None:
    """An impairment alert when a pledged patent is not in force, else None."""
    if status is LegalStatus.IN_FORCE:
        return None
    return ImpairmentAlert(
        patent_id=patent_id,
        legal_status=status,
        as_of=as_of,
        loan_id=loan_id,
        message=f"pledged patent {patent_id} {_IMPAIRMENT_REASONS[status]}",
    )

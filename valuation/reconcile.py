"""Reconciliation of the approaches into one market value.

The value is the weighted mean of the approaches that were applied, with the weights renormalised
over them:

.. math:: V = \\sum_a w_a V_a \\Big/ \\sum_a w_a \\quad (a \\text{ applied}, w_a > 0)

Default weights per scenario are data (``reconcile_weights.csv``); a caller may override them, and
the result prints the weights used and why. The cost approach is a floor for corroboration: weighted
0 by default, it is used alone only when no other approach could be applied, and a reconciled value
below it is flagged. So are weighed approaches that disagree: when the highest value weighed is
more than ``reconcile_divergence_ratio`` (data) times the lowest, a weighted mean of the two
describes neither, and the note asks the appraiser to explain the difference or to weigh one
approach.

References
----------
China Appraisal Society, 《专利资产评估指导意见》 (reconciling the results of several methods).
IVS 105, Valuation Approaches and Methods, §10 (weighting of approaches).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from functools import cache

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

from models.money import Money
from valuation.constants import parameter, read_table

_FEN_DECIMALS = 2
DIVERGENCE = "reconcile_divergence_ratio"
"""The parameter: the factor between the weighed approaches' values above which they are flagged."""


class Approach(StrEnum):
    INCOME = "income"
    MARKET = "market"
    COST = "cost"


class ApproachLine(BaseModel):
    """One approach in the reconciliation table."""

    model_config = ConfigDict(frozen=True)

    approach: Approach
    value: Money | None
    weight: Decimal
    reason: str


class Reconciliation(BaseModel):
    """The reconciliation table and the value it reaches."""

    model_config = ConfigDict(frozen=True)

    lines: tuple[ApproachLine, ...]
    value: Money | None
    notes: tuple[str, ...] = ()


@cache
def default_weights(scenario: str = "pledge") -> dict[Approach, Decimal]:
    """The default weight of each approach for ``scenario``, from ``reconcile_weights.csv``."""
    rows = [row for row in read_table("reconcile_weights") if row["scenario"] == scenario]
    if not rows:
        raise KeyError(f"no reconciliation weights for scenario {scenario!r}")
    return {Approach(row["approach"]): Decimal(row["weight"]) for row in rows}


def _effective_weights(
    applied: set[Approach], weights: dict[Approach, Decimal]
) -> tuple[dict[Approach, Decimal], str | None]:
    positive = {a: weights.get(a, Decimal(0)) for a in applied if weights.get(a, Decimal(0)) > 0}
    if positive:
        total = sum(positive.values(), Decimal(0))
        return {a: w / total for a, w in positive.items()}, None
    if Approach.COST in applied:
        return {Approach.COST: Decimal(1)}, "only the cost approach could be applied: value = cost"
    return {}, None


class Divergence(BaseModel):
    """Two weighed approaches whose values are more than ``limit`` times apart."""

    model_config = ConfigDict(frozen=True)

    high: Approach
    high_value: Money
    low: Approach
    low_value: Money
    limit: Decimal

    @property
    def factor(self) -> Decimal | None:
        """high / low; None when the low value is 0."""
        low = self.low_value.amount
        return None if low == 0 else self.high_value.amount / low

    def note(self) -> str:
        """The reconciliation's note on it."""
        factor = "∞" if self.factor is None else f"{self.factor:,.1f}"
        return (
            f"{self.high} approach ({self.high_value}) and {self.low} approach "
            f"({self.low_value}) differ by a factor of {factor} (above {self.limit}): explain the "
            "difference, or weigh one approach"
        )


def divergence(
    values: dict[Approach, Money | None], weights: dict[Approach, Decimal]
) -> Divergence | None:
    """The approaches weighed (``weights`` above 0) whose highest value is more than the
    :data:`DIVERGENCE` factor times the lowest; None when they agree or fewer than two are
    weighed."""
    weighed = {a: v for a, v in values.items() if v is not None and weights.get(a, Decimal(0)) > 0}
    if len(weighed) < 2:
        return None
    high = max(weighed, key=lambda a: weighed[a].amount)
    low = min(weighed, key=lambda a: weighed[a].amount)
    limit = parameter(DIVERGENCE).value
    if weighed[high].amount <= weighed[low].amount * limit:
        return None
    return Divergence(
        high=high, high_value=weighed[high], low=low, low_value=weighed[low], limit=limit
    )


def reconcile(
    values: dict[Approach, Money | None],
    reasons: dict[Approach, str],
    weights: dict[Approach, Decimal] | None = None,
    scenario: str = "pledge",
) -> Reconciliation:
    """Weigh the applied approaches into one value.

    Parameters
    ----------
    values
        Each approach's value, or None when it was not applied.
    reasons
        Why each approach was applied or not (printed in the table).
    weights
        Overrides of the scenario's default weights (any non-negative numbers; renormalised).
    """
    chosen = {**default_weights(scenario), **(weights or {})}
    for approach, weight in chosen.items():
        if weight < 0:
            raise ValueError(f"weight of the {approach} approach is negative: {weight}")
    applied = {a for a, v in values.items() if v is not None}
    effective, note = _effective_weights(applied, chosen)
    notes = [note] if note else []
    lines = []
    total: Money | None = None
    for approach in Approach:
        value = values.get(approach)
        weight = effective.get(approach, Decimal(0))
        lines.append(
            ApproachLine(
                approach=approach,
                value=value,
                weight=weight.quantize(Decimal("0.0001")),
                reason=reasons.get(approach, ""),
            )
        )
        if value is not None and weight > 0:
            part = Money(amount=value.amount * weight, currency=value.currency)
            total = part if total is None else total + part
    if not effective:
        notes.append("no approach could be applied: no value")
    disagreement = divergence(values, effective)
    if disagreement is not None:
        notes.append(disagreement.note())
    cost = values.get(Approach.COST)
    if total is not None and cost is not None and total < cost:
        notes.append(f"reconciled value {total} is below the cost floor {cost}: check the inputs")
    return Reconciliation(lines=tuple(lines), value=total, notes=tuple(notes))


def reconcile_arrays(
    income: npt.NDArray[np.float64],
    market: npt.NDArray[np.float64],
    cost: npt.NDArray[np.float64],
    weights: dict[Approach, Decimal] | None = None,
    scenario: str = "pledge",
) -> npt.NDArray[np.float64]:
    """Vectorised :func:`reconcile`: NaN marks an approach not applied; NaN out when none was.

    As the scalar form, each weighted part is rounded half-even to the fen before the sum.
    """
    chosen = {**default_weights(scenario), **(weights or {})}
    stacked = np.stack([income, market, cost])
    w = np.array([float(chosen.get(a, Decimal(0))) for a in Approach])[:, None]
    applied = ~np.isnan(stacked)
    wa = np.where(applied, w, 0.0)
    total_w = wa.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        parts = np.round(np.where(applied, stacked, 0.0) * (wa / total_w), _FEN_DECIMALS)
        value = parts.sum(axis=0)
    # Cost alone when it is the only approach with a value and carries no weight.
    only_cost = (total_w == 0) & applied[2]
    value = np.where(only_cost, cost, value)
    return np.where((total_w == 0) & ~only_cost, np.nan, value)

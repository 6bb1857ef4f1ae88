r"""Cost approach: replacement cost less obsolescence, a floor used for corroboration only.

The cost approach asks what it would cost today to develop the invention again, less the share of
its economic life already used up:

.. math::

    C_{rep} = C_{R\&D} \cdot (1 + p), \qquad
    o = \min\left(1, \max\left(0, \frac{L_{elapsed}}{L_{total}}\right)\right), \qquad
    V_{cost} = C_{rep} \cdot (1 - o)

with :math:`C_{R\&D}` the R&D cost, :math:`p` the developer's profit rate (data:
``cost_developer_profit_rate``), :math:`L_{elapsed}` the economic life elapsed at the base date
(years from the filing date) and :math:`L_{total}` the total economic life (by default the whole
legal term, filing date to expiry). Cost says nothing about what the patent earns, so the result is
a floor for corroborating the income and market approaches, never a primary value.

References
----------
.. [1] China Appraisal Society, 专利资产评估指导意见 (Guiding Opinions on Patent Asset
   Appraisal), 2017.
.. [2] IVSC, International Valuation Standards, IVS 210 Intangible Assets (cost approach).
.. [3] docs/DOMAIN.md §3, "Cost approach (floor, corroboration only)".
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl
from pydantic import BaseModel, ConfigDict

from models.dates import years_between as years_between_dates
from models.money import DEFAULT_CURRENCY, Money, minor_unit, to_decimal
from models.patent import Patent
from valuation.audit import AuditTrail, Step, cite, input_hash
from valuation.constants import parameter
from valuation.frame import IN_MEMORY, normalised, remaining_term, years_between

METHOD = "cost approach: R&D cost × (1 + developer's profit) × (1 − obsolescence)"
NOT_APPLIED = "no R&D cost: cost approach not applied"
FLOOR_NOTE = (
    "The cost approach is a floor used for corroboration only: development cost does not "
    "measure what the patent earns, so it is not reconciled as a primary value."
)
_PROFIT = "cost_developer_profit_rate"
_ZERO, _ONE = Decimal(0), Decimal(1)
# Batch amounts are in the default currency (CNY), rounded half-even to its minor unit (the fen).
FEN_DECIMALS = int(-minor_unit(DEFAULT_CURRENCY).log10())


class CostResult(BaseModel):
    """Cost-approach value of one patent, with its steps and audit trail.

    ``value`` and ``replacement_cost`` are None when the approach is not applicable (no R&D
    cost), and ``reason`` then says why.
    """

    model_config = ConfigDict(frozen=True)

    applicable: bool
    reason: str | None = None
    rd_cost: Money | None
    developer_profit_rate: Decimal
    replacement_cost: Money | None
    elapsed_life_years: Decimal
    total_life_years: Decimal
    obsolescence: Decimal
    value: Money | None
    role: Literal["floor_corroboration"] = "floor_corroboration"
    audit: AuditTrail


def obsolescence(elapsed_life_years: Decimal, total_life_years: Decimal) -> Decimal:
    r"""Share of economic life used up: :math:`o = \min(1, \max(0, L_e / L_t))`.

    A total life of zero (no economic life at all) is fully obsolete, :math:`o = 1`.

    Raises
    ------
    ValueError
        If the total economic life is negative.
    """
    if total_life_years < 0:
        raise ValueError(f"total economic life must not be negative, got {total_life_years}")
    if total_life_years == 0:
        return _ONE
    return min(_ONE, max(_ZERO, elapsed_life_years / total_life_years))


def cost_approach(
    rd_cost: Money | None,
    *,
    elapsed_life_years: Decimal,
    total_life_years: Decimal,
    developer_profit_rate: Decimal | None = None,
) -> CostResult:
    r"""Replacement cost less obsolescence, :math:`V = C_{R\&D}(1 + p)(1 - o)`.

    Parameters
    ----------
    rd_cost
        R&D cost of the invention; None when unknown (the approach is then not applied).
    elapsed_life_years, total_life_years
        Economic life used up at the base date and total economic life, in years.
    developer_profit_rate
        Developer's profit :math:`p` as a fraction of R&D cost; default from data.

    Returns
    -------
    CostResult
        Money rounded half-even to the minor unit at the end; intermediate values are exact.
    """
    elapsed, total = to_decimal(elapsed_life_years), to_decimal(total_life_years)
    constants = []
    if developer_profit_rate is None:
        default = parameter(_PROFIT)
        profit, assumption = default.value, "developer's profit rate: default from data"
        constants.append(cite(default))
    else:
        profit, assumption = to_decimal(developer_profit_rate), "developer's profit rate given"
    if profit < 0:
        raise ValueError(f"developer's profit rate must not be negative, got {profit}")
    if rd_cost is not None and rd_cost.amount < 0:
        raise ValueError(f"R&D cost must not be negative, got {rd_cost}")
    obs = obsolescence(elapsed, total)
    steps = [Step(name="obsolescence", formula=f"o = clamp({elapsed} / {total}, 0, 1)", value=obs)]
    replacement = value = None
    if rd_cost is not None:
        exact_replacement = rd_cost.amount * (_ONE + profit)
        replacement = Money.of(exact_replacement, rd_cost.currency)
        value = Money.of(exact_replacement * (_ONE - obs), rd_cost.currency)
        steps += [
            Step(
                name="replacement cost",
                formula=f"C_rep = {rd_cost.amount} × (1 + {profit})",
                value=replacement.amount,
            ),
            Step(
                name="cost value",
                formula=f"V = {exact_replacement} × (1 − {obs})",
                value=value.amount,
            ),
        ]
    audit = AuditTrail(
        input_hash=input_hash(rd_cost, elapsed, total, developer_profit_rate),
        method=METHOD,
        steps=tuple(steps),
        constants=tuple(constants),
        assumptions=(assumption, FLOOR_NOTE),
    )
    return CostResult(
        applicable=rd_cost is not None,
        reason=None if rd_cost is not None else NOT_APPLIED,
        rd_cost=rd_cost,
        developer_profit_rate=profit,
        replacement_cost=replacement,
        elapsed_life_years=elapsed,
        total_life_years=total,
        obsolescence=obs,
        value=value,
        audit=audit,
    )


def cost_approach_for_patent(
    patent: Patent,
    rd_cost: Money | None,
    *,
    at: date,
    economic_life: Decimal | None = None,
    developer_profit_rate: Decimal | None = None,
) -> CostResult:
    r"""The cost approach for ``patent`` at base date ``at``.

    :math:`L_{elapsed}` is the time from the filing date to ``at`` (by anniversaries, the last part
    pro rata by days, never negative). ``economic_life`` is the economic life left from the base
    date (as the batch column of that name), by default the legal term left; then
    :math:`L_{total} = L_{elapsed} + L_{left}`, so that without an economic life the obsolescence
    is the share of the legal term used up.
    """
    elapsed = max(years_between_dates(patent.filing_date, at), _ZERO)
    left = to_decimal(economic_life) if economic_life is not None else patent.remaining_term(at)
    return cost_approach(
        rd_cost,
        elapsed_life_years=elapsed,
        total_life_years=elapsed + left,
        developer_profit_rate=developer_profit_rate,
    )


def below_cost_floor(value: Money, cost: CostResult) -> str | None:
    """A corroboration note when ``value`` falls below the cost-approach value, else None."""
    if cost.value is None or value >= cost.value:
        return None
    return (
        f"value {value} is below the cost-approach floor {cost.value}: check the income "
        "assumptions (a patent can be worth less than it cost, but say why)"
    )


# -- vectorised ---------------------------------------------------------------------------------


def replacement_cost_array(
    rd_cost: npt.ArrayLike,
    elapsed_life_years: npt.ArrayLike,
    total_life_years: npt.ArrayLike,
    developer_profit_rate: float,
) -> npt.NDArray[np.float64]:
    r"""Vectorised :math:`C_{R\&D}(1 + p)(1 - o)`; NaN where the R&D cost is NaN.

    A non-positive total life counts as fully obsolete (value 0) rather than raising.
    """
    cost = np.asarray(rd_cost, dtype=np.float64)
    elapsed = np.asarray(elapsed_life_years, dtype=np.float64)
    total = np.asarray(total_life_years, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(total > 0, elapsed / np.where(total > 0, total, 1.0), 1.0)
    obs = np.clip(ratio, 0.0, 1.0)
    result: npt.NDArray[np.float64] = cost * (1.0 + developer_profit_rate) * (1.0 - obs)
    return result


def cost_batch(
    frame: pl.DataFrame,
    *,
    at: date,
    developer_profit_rate: Decimal | None = None,
) -> pl.DataFrame:
    """Vectorised cost approach over a batch frame (float kernel, one rounding at the end).

    Reads, from the batch as :func:`valuation.frame.normalise` types it, ``rd_cost`` (CNY, empty:
    not applied), ``filing_date``, ``expiry_date`` and ``economic_life`` (years left from the
    base date; empty: the legal term left). Adds
    ``cost_elapsed_years``, ``cost_total_years``, ``cost_obsolescence`` and ``cost_value``
    (rounded half-even to the fen; null where the R&D cost is null).
    """
    rows = normalised(frame).collect(engine=IN_MEMORY)
    profit = parameter(_PROFIT).value if developer_profit_rate is None else developer_profit_rate
    day = pl.lit(at, dtype=pl.Date)
    elapsed = years_between(pl.col("filing_date"), day).clip(lower_bound=0.0)
    term = pl.col("remaining_term") if "remaining_term" in rows.columns else remaining_term(at)
    left = pl.coalesce(pl.col("economic_life").cast(pl.Float64), term)
    staged = (
        rows.with_columns(cost_elapsed_years=elapsed, cost_left=left)
        .with_columns(cost_total_years=pl.col("cost_elapsed_years") + pl.col("cost_left"))
        .drop("cost_left")
    )
    rd_cost = staged["rd_cost"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    value = replacement_cost_array(
        rd_cost,
        staged["cost_elapsed_years"].to_numpy(),
        staged["cost_total_years"].to_numpy(),
        float(profit),
    )
    obs = pl.col("cost_elapsed_years") / pl.col("cost_total_years")
    return staged.with_columns(
        cost_obsolescence=pl.when(pl.col("cost_total_years") > 0)
        .then(obs.clip(0.0, 1.0))
        .otherwise(1.0),
        cost_value=pl.Series(value, dtype=pl.Float64).fill_nan(None).round(FEN_DECIMALS),
    )

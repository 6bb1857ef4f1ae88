"""Uncertainty of the income value: seeded Monte Carlo percentiles and a one-at-a-time tornado.

Each draw moves four inputs of the relief-from-royalty value (:mod:`valuation.income`) around
their point values ``K₀, g₀, r₀, L₀``::

    K = K₀ · (1 + s_K · Z_K)      royalty (or profit share), relative spread
    g = g₀ + s_g · Z_g            growth, absolute spread
    r = r₀ + s_r · Z_r            discount rate, absolute spread
    L = L₀ · (1 + s_L · Z_L)      economic life, relative spread; n = min(L, legal term)

with ``Z`` independent and symmetric triangular on [−1, 1] (mode 0): ``Z = √(2U) − 1`` for
``U < 1/2``, ``1 − √(2(1 − U))`` otherwise, ``U`` uniform from a PCG64 generator seeded with the
given seed. The spreads are data (``parameters_income.csv``, source ``PATENTVAL-MC-SPREADS``).

The draws are common to all patents of a batch (common random numbers): a patent's P10/P50/P90
depend only on its own inputs, the seed and the number of draws, never on the other patents in
the batch, the chunking or the thread count. Draw ``k`` of two patents shares its shocks, so do
not add draws across patents to get a portfolio distribution.

References
----------
.. [1] R. T. Clemen, T. Reilly, *Making Hard Decisions*, Duxbury, 2001, ch. 5 (tornado diagrams).
.. [2] P. Glasserman, *Monte Carlo Methods in Financial Engineering*, Springer, 2003, §4.2
   (common random numbers) and §2.2 (inverse-transform sampling).
.. [3] docs/DOMAIN.md §3: P10/P50/P90 and a tornado over royalty, growth, discount rate and life.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from numpy.typing import ArrayLike
from pydantic import BaseModel, ConfigDict

from models.money import Fraction, Money, round_money, to_decimal
from valuation.audit import AuditTrail, CitedConstant, Step, cite, input_hash
from valuation.constants import parameter
from valuation.income import Basis, IncomeInputs, IncomeResult, Timing, income_value
from valuation.income_kernel import FloatArray, income_kernel, income_kernel_paths

PERCENTILES = (10.0, 50.0, 90.0)
"""The reported percentiles: P10, P50 (median), P90."""

_CHUNK_CELLS = 1 << 20  # patents × draws evaluated at once; bounds each temporary to 8 MiB
_ONE = Decimal(1)


class Spreads(BaseModel):
    """Half-widths of the triangular distributions around the point inputs."""

    model_config = ConfigDict(frozen=True)

    royalty_relative: Fraction
    growth_absolute: Fraction
    discount_absolute: Fraction
    life_relative: Fraction
    constants: tuple[CitedConstant, ...] = ()

    @classmethod
    def from_data(cls) -> Spreads:
        """The default spreads of ``parameters_income.csv``, citing their sources."""
        names = ("royalty_relative", "growth_absolute", "discount_absolute", "life_relative")
        found = {name: parameter(f"mc_{name}_spread") for name in names}
        return cls(
            royalty_relative=found["royalty_relative"].value,
            growth_absolute=found["growth_absolute"].value,
            discount_absolute=found["discount_absolute"].value,
            life_relative=found["life_relative"].value,
            constants=tuple(cite(c) for c in found.values()),
        )

    def scaled_shocks(self, seed: int, draws: int) -> tuple[FloatArray, ...]:
        """``(s_K·Z_K, s_g·Z_g, s_r·Z_r, s_L·Z_L)``, each of shape ``(draws,)``."""
        z = triangular_shocks(seed, draws)
        spreads = (self.royalty_relative, self.growth_absolute, self.discount_absolute)
        return tuple(
            float(s) * row for s, row in zip((*spreads, self.life_relative), z, strict=True)
        )


def default_draws() -> int:
    """The default number of Monte Carlo draws (``mc_draws``)."""
    return int(parameter("mc_draws").value)


def triangular_shocks(seed: int, draws: int, variables: int = 4) -> FloatArray:
    """Standard symmetric triangular draws on [−1, 1], shape ``(variables, draws)``.

    Inverse transform of ``U ~ U(0, 1)`` from ``Generator(PCG64(seed))``: ``√(2U) − 1`` below
    the median, ``1 − √(2(1 − U))`` above. Same seed, same draws.
    """
    if draws < 1:
        raise ValueError("at least one draw is needed")
    u = np.random.Generator(np.random.PCG64(seed)).random((variables, draws))
    return np.where(u < 0.5, np.sqrt(2.0 * u) - 1.0, 1.0 - np.sqrt(2.0 * (1.0 - u)))


@dataclass(frozen=True, slots=True)
class BatchPercentiles:
    """P10, P50 and P90 of the simulated values of each patent of a batch (float, in CNY)."""

    p10: FloatArray
    p50: FloatArray
    p90: FloatArray
    seed: int
    draws: int


def simulate(
    revenue: ArrayLike,
    growth: ArrayLike,
    royalty: ArrayLike,
    tax: ArrayLike,
    discount: ArrayLike,
    life: ArrayLike,
    legal_term: ArrayLike,
    *,
    seed: int,
    draws: int | None = None,
    spreads: Spreads | None = None,
    decay: ArrayLike = 0.0,
    mid_year: bool = False,
    tab_years: float | None = None,
    workers: int | None = None,
) -> BatchPercentiles:
    """Monte Carlo percentiles of the relief-from-royalty value of a batch of patents.

    Parameters
    ----------
    revenue, growth, royalty, tax, discount : array_like
        Point inputs per patent (1-D or scalars), as for
        :func:`valuation.income_kernel.income_kernel`.
    life, legal_term : array_like
        Economic life L₀ (``np.inf`` when only the legal term limits) and remaining legal term.
    seed : int
        Seed of the PCG64 generator; the same seed gives the same numbers.
    draws : int, optional
        Draws per patent (default ``mc_draws``).
    spreads : Spreads, optional
        Half-widths of the distributions (default :meth:`Spreads.from_data`).
    decay, mid_year, tab_years
        As for the kernel.
    workers : int, optional
        Threads (default: one per core).

    Returns
    -------
    BatchPercentiles
        P10, P50 and P90 per patent (linear interpolation between order statistics).

    Notes
    -----
    Patents are processed in chunks of about ``2**20`` patent-draws, each a ``(chunk, draws)``
    array valued by the closed-form kernel; results do not depend on chunking or threads.

    References
    ----------
    .. [1] Glasserman (2003), §2.2 and §4.2; docs/DOMAIN.md §3.
    """
    n_draws = default_draws() if draws is None else draws
    dk, dg, dr, dl = (spreads or Spreads.from_data()).scaled_shocks(seed, n_draws)
    columns = np.broadcast_arrays(
        *(
            np.atleast_1d(np.asarray(a, dtype=np.float64))
            for a in (revenue, growth, royalty, tax, discount, life, legal_term, decay)
        )
    )
    size = columns[0].shape[0]
    out = np.empty((len(PERCENTILES), size))
    step = max(1, _CHUNK_CELLS // n_draws)

    def run(start: int) -> None:
        b, g, k, t, r, life_, legal, d = (c[start : start + step, None] for c in columns)
        values = income_kernel(
            b,
            g + dg,
            k * (1.0 + dk),
            t,
            r + dr,
            np.minimum(life_ * (1.0 + dl), legal),
            decay=d,
            mid_year=mid_year,
            tab_years=tab_years,
        )
        out[:, start : start + step] = np.percentile(values, PERCENTILES, axis=1)

    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        list(pool.map(run, range(0, size, step)))
    return BatchPercentiles(p10=out[0], p50=out[1], p90=out[2], seed=seed, draws=n_draws)


class ValueRange(BaseModel):
    """P10/P50/P90 of one patent's income value, with the point value and audit trail."""

    model_config = ConfigDict(frozen=True)

    point: Money
    p10: Money
    p50: Money
    p90: Money
    seed: int
    draws: int
    audit: AuditTrail


def _money(value: float, currency: str) -> Money:
    return Money(amount=round_money(Decimal(value), currency), currency=currency)


@dataclass(frozen=True, slots=True)
class _Setup:
    """What one patent's simulation needs: the point result and the resolved inputs."""

    point: IncomeResult
    spreads: Spreads
    draws: int
    legal: Decimal
    life: Decimal


def _setup(
    inputs: IncomeInputs,
    remaining_term_years: Decimal | int,
    draws: int | None,
    spreads: Spreads | None,
) -> _Setup:
    point = income_value(inputs, remaining_term_years)
    legal = to_decimal(remaining_term_years)
    life = inputs.economic_life_years if inputs.economic_life_years is not None else legal
    n_draws = default_draws() if draws is None else draws
    return _Setup(point, spreads or Spreads.from_data(), n_draws, legal, life)


def _draws(inputs: IncomeInputs, setup: _Setup, seed: int) -> FloatArray:
    tab = parameter("tab_amortisation_years") if inputs.tax_amortisation_benefit else None
    tab_years = None if tab is None else float(tab.value)
    mid_year = inputs.timing is Timing.MID_YEAR
    point = setup.point
    k, r, t = float(point.royalty_rate), float(point.discount_rate), float(point.tax_rate)
    margin = inputs.operating_margin if inputs.basis is Basis.PROFIT else None
    margin = _ONE if margin is None else margin  # B_t is revenue, or revenue × margin
    dk, dg, dr, dl = setup.spreads.scaled_shocks(seed, setup.draws)
    life, legal = float(setup.life), float(setup.legal)
    if inputs.revenues is None:
        base = inputs.base_revenue.amount if inputs.base_revenue is not None else Decimal(0)
        return income_kernel(
            float(base * margin),
            float(inputs.growth) + dg,
            k * (1.0 + dk),
            t,
            r + dr,
            np.minimum(life * (1.0 + dl), legal),
            decay=float(inputs.royalty_decay),
            mid_year=mid_year,
            tab_years=tab_years,
        )
    path = np.array([float(m.amount * margin) for m in inputs.revenues])
    return income_kernel_paths(
        path,
        k * (1.0 + dk),
        t,
        r + dr,
        np.minimum(life * (1.0 + dl), min(legal, path.size)),
        growth=dg,
        decay=float(inputs.royalty_decay),
        mid_year=mid_year,
        tab_years=tab_years,
    )


def income_draws(
    inputs: IncomeInputs,
    remaining_term_years: Decimal | int,
    *,
    seed: int,
    draws: int | None = None,
    spreads: Spreads | None = None,
) -> FloatArray:
    """The simulated income values of one patent (float64, unrounded), one per draw.

    These are the draws :func:`value_range` takes its percentiles from (a report charts them);
    the same inputs, seed and number of draws give the same array.

    References
    ----------
    .. [1] Glasserman (2003), §2.2; docs/DOMAIN.md §3 (P10/P50/P90).
    """
    return _draws(inputs, _setup(inputs, remaining_term_years, draws, spreads), seed)


def value_range(
    inputs: IncomeInputs,
    remaining_term_years: Decimal | int,
    *,
    seed: int,
    draws: int | None = None,
    spreads: Spreads | None = None,
) -> ValueRange:
    """Monte Carlo P10/P50/P90 of one patent, around the point value of ``income_value``.

    Uses the rates ``income_value`` resolved (given or defaulted). An explicit revenue forecast
    is kept as given, the growth shock compounding on it, and bounds the drawn period. The
    draws are those of :func:`income_draws`, evaluated as :func:`simulate` evaluates a batch.

    References
    ----------
    .. [1] Glasserman (2003), §2.2; docs/DOMAIN.md §3 (P10/P50/P90).
    """
    setup = _setup(inputs, remaining_term_years, draws, spreads)
    point, spreads, n_draws, life = setup.point, setup.spreads, setup.draws, setup.life
    p10, p50, p90 = (float(p) for p in np.percentile(_draws(inputs, setup, seed), PERCENTILES))
    currency = inputs.currency
    steps = (
        Step(
            name="royalty K",
            formula=f"K₀·(1 + {spreads.royalty_relative}·Z)",
            value=point.royalty_rate,
        ),
        Step(name="growth g", formula=f"g₀ + {spreads.growth_absolute}·Z", value=inputs.growth),
        Step(
            name="discount rate r",
            formula=f"r₀ + {spreads.discount_absolute}·Z",
            value=point.discount_rate,
        ),
        Step(
            name="economic life L",
            formula=f"L₀·(1 + {spreads.life_relative}·Z), n = min(L, legal term)",
            value=life,
        ),
    )
    audit = AuditTrail(
        input_hash=input_hash(inputs, setup.legal, seed, n_draws),
        method=f"Monte Carlo, {n_draws} draws, seed {seed}, PCG64, Z ~ Tri(−1, 0, 1) independent",
        steps=steps,
        constants=(*point.audit.constants, *spreads.constants),
        assumptions=("percentiles by linear interpolation between order statistics",),
    )
    return ValueRange(
        point=point.value,
        p10=_money(p10, currency),
        p50=_money(p50, currency),
        p90=_money(p90, currency),
        seed=seed,
        draws=n_draws,
        audit=audit,
    )


class TornadoBar(BaseModel):
    """One input moved to its low and its high value, the others at their point values."""

    model_config = ConfigDict(frozen=True)

    name: str
    low_input: Decimal
    high_input: Decimal
    value_at_low: Money
    value_at_high: Money
    swing: Money


class Tornado(BaseModel):
    """One-at-a-time sensitivity of one patent's income value, bars sorted by swing."""

    model_config = ConfigDict(frozen=True)

    base_value: Money
    bars: tuple[TornadoBar, ...]
    audit: AuditTrail


def tornado(
    inputs: IncomeInputs, remaining_term_years: Decimal | int, spreads: Spreads | None = None
) -> Tornado:
    """Move royalty, growth, discount rate and life one at a time to the ends of their spreads.

    Each bar is valued exactly by :func:`valuation.income.income_value`; the swing is
    ``|V(high) − V(low)|`` and bars come largest swing first. On an explicit forecast the growth
    bar compounds ``(1 ± s_g)^(t−1)`` on the forecast and life is capped at the forecast length.

    References
    ----------
    .. [1] Clemen and Reilly (2001), ch. 5; docs/DOMAIN.md §3 (tornado).
    """
    spreads = spreads or Spreads.from_data()
    base = income_value(inputs, remaining_term_years)
    legal = to_decimal(remaining_term_years)
    life = inputs.economic_life_years if inputs.economic_life_years is not None else legal
    k, r, g = base.royalty_rate, base.discount_rate, inputs.growth
    s_k, s_g = spreads.royalty_relative, spreads.growth_absolute
    s_r, s_l = spreads.discount_absolute, spreads.life_relative
    life_ends = (life * (_ONE - s_l), life * (_ONE + s_l))
    if inputs.revenues is not None:  # an explicit forecast bounds the period
        longest = Decimal(len(inputs.revenues))
        life_ends = (min(longest, life_ends[0]), min(longest, life_ends[1]))
    moves: dict[str, tuple[Decimal, Decimal]] = {
        "royalty_rate": (k * (_ONE - s_k), min(_ONE, k * (_ONE + s_k))),
        "growth": (g - s_g, g + s_g),
        "discount_rate": (r - s_r, r + s_r),
        "economic_life_years": life_ends,
    }
    bars: list[TornadoBar] = []
    for name, ends in moves.items():
        values = [income_value(_moved(inputs, name, end, g), legal).value for end in ends]
        swing = values[1] - values[0]
        bars.append(
            TornadoBar(
                name=name,
                low_input=ends[0],
                high_input=ends[1],
                value_at_low=values[0],
                value_at_high=values[1],
                swing=swing if swing.amount >= 0 else -swing,
            )
        )
    bars.sort(key=lambda bar: bar.swing.amount, reverse=True)
    audit = AuditTrail(
        input_hash=input_hash(inputs, legal),
        method="one-at-a-time sensitivity (tornado) of the income value",
        steps=tuple(
            Step(name=b.name, formula="|V(high) − V(low)|", value=b.swing.amount) for b in bars
        ),
        constants=spreads.constants,
    )
    return Tornado(base_value=base.value, bars=tuple(bars), audit=audit)


def _moved(inputs: IncomeInputs, name: str, value: Decimal, growth: Decimal) -> IncomeInputs:
    data = inputs.model_dump()
    if name == "growth" and inputs.revenues is not None:
        step = _ONE + value - growth
        data["revenues"] = [
            Money(amount=m.amount * step**t, currency=m.currency)
            for t, m in enumerate(inputs.revenues)
        ]
    else:
        data[name] = value
    return IncomeInputs.model_validate(data)

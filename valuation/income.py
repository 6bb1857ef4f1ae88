"""Income approach (收益法): relief from royalty on a revenue or a profit basis.

The value of a patent is the present value of the after-tax royalties its owner is relieved of
paying, over the shorter of its economic life and its remaining legal term — never a perpetuity::

    V = Σ_{t=1..⌈n⌉} B_t · K_t · w_t · (1 − T) · (1 + r)^(−τ_t)

    B_t = B_1 · (1 + g)^(t−1)    (or an explicit forecast; on the profit basis, revenue × margin)
    K_t = K · (1 − d)^(t−1)      (royalty, or profit share, decaying at d a year; K_1 = K, so
                                  d = 1 leaves the first year's royalty and nothing after)
    n   = min(economic life, remaining legal term at the base date)
    w_t = min(1, n − (t − 1))    (1 for a whole year, the fraction for a final part-year)
    τ_t = (t − 1) + w_t · (1 − h),   h = 0 end-of-year, h = 1/2 mid-year

so a final part-year contributes its cash flow scaled by its fraction, discounted at the end
(or middle) of the part-year. Two paths compute it: :func:`income_value`, exact in Decimal for one
patent with its yearly table and audit trail, and :func:`valuation.income_kernel.income_kernel` /
:func:`valuation.income_kernel.income_kernel_paths`, float64 numpy kernels for batches of millions.

References
----------
.. [1] China Appraisal Society, 《专利资产评估指导意见》 (Guiding Opinions on Patent Appraisal).
.. [2] GB/T 42748-2023 《专利评估指引》, CNIPA, PBOC, NFRA, in force 2023-09-01.
.. [3] IVSC, IVS 210 Intangible Assets (relief-from-royalty method).
.. [4] R. L. Parr, *Royalty Rates for Licensing Intellectual Property*, Wiley, 2007.
.. [5] R. F. Reilly, R. P. Schweihs, *Guide to Intangible Asset Valuation*, AICPA, 2013.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from models.money import DEFAULT_CURRENCY, Fraction, Money, Rate, round_money, to_decimal
from valuation.audit import AuditTrail, CitedConstant, Step, cite, input_hash
from valuation.constants import Constant, parameter, read_table

_ZERO, _ONE, _HALF = Decimal(0), Decimal(1), Decimal("0.5")
SCORE_MAX = Decimal(100)
"""Top of the indicator score scale (scores run 0..100)."""

Years = Annotated[Decimal, BeforeValidator(to_decimal), Field(ge=0)]
Score = Annotated[Decimal, BeforeValidator(to_decimal), Field(ge=0, le=SCORE_MAX)]


class Basis(StrEnum):
    """What B and K measure; K, B and r must share one basis."""

    REVENUE = "revenue"  # K is a sales royalty (提成率) on revenue
    PROFIT = "profit"  # K is a profit share (利润分成率) of operating profit


class Timing(StrEnum):
    END_OF_YEAR = "end_of_year"
    MID_YEAR = "mid_year"


class PeriodLimit(StrEnum):
    ECONOMIC_LIFE = "economic_life"
    LEGAL_TERM = "legal_term"


class IncomeNotAppliedError(ValueError):
    """The income approach cannot be applied to these inputs; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DerivedRate(BaseModel):
    """A rate the engine derived from data, with its formula and the constants it used."""

    model_config = ConfigDict(frozen=True)

    value: Decimal
    formula: str
    constants: tuple[CitedConstant, ...]


def _score(score: object) -> Decimal | None:
    if score is None:
        return None
    value = to_decimal(score)
    if not _ZERO <= value <= SCORE_MAX:
        raise ValueError(f"score {value} is outside 0..{SCORE_MAX}")
    return value


def _in_band(
    low: Decimal, high: Decimal, score: Decimal | None, symbol: str, *, descending: bool = False
) -> tuple[Decimal, str]:
    """Place a value in ``[low, high]`` by the score (midpoint without one), with its formula."""
    if score is None:
        return (low + high) / 2, f"{symbol} = (low + high) / 2 (no indicator score)"
    position = _ONE - score / SCORE_MAX if descending else score / SCORE_MAX
    sign = "high − (high − low)" if descending else "low + (high − low)"
    return low + (high - low) * position, f"{symbol} = {sign} · {score} / {SCORE_MAX}"


def royalty_industries() -> tuple[str, ...]:
    """The industry keys of the sales-royalty band table (``royalty_bands.csv``)."""
    return tuple(row["industry"] for row in read_table("royalty_bands"))


def default_royalty_rate(industry: str, score: Decimal | None = None) -> DerivedRate:
    """Sales royalty from the industry band, placed in the band by the indicator score.

    ``K = low + (high − low) · score / 100``; without a score, the band's midpoint. ``industry``
    is a key of ``royalty_bands.csv`` or its Chinese name.

    References
    ----------
    .. [1] Industry sales-royalty table of Chinese appraisal textbooks (source
       ``CN-ROYALTY-TEXTBOOK``, to verify); docs/DOMAIN.md §3.
    """
    key = industry.strip().lower()
    rows = [r for r in read_table("royalty_bands") if key in (r["industry"], r["name_zh"])]
    if not rows:
        raise ValueError(
            f"no royalty band for industry {industry!r}; known: {royalty_industries()}"
        )
    row = rows[0]
    low, high = (
        Constant(
            f"royalty_band.{row['industry']}.{end}", Decimal(row[end]), "fraction", row["source_id"]
        )
        for end in ("low", "high")
    )
    value, formula = _in_band(low.value, high.value, _score(score), "K")
    return DerivedRate(value=value, formula=formula, constants=(cite(low), cite(high)))


def default_profit_share(score: Decimal | None = None) -> DerivedRate:
    """Profit share in the 25 % (四分法) – 33 % (三分法) band, placed by the indicator score."""
    low, high = parameter("profit_share_low"), parameter("profit_share_high")
    value, formula = _in_band(low.value, high.value, _score(score), "K")
    return DerivedRate(value=value, formula=formula, constants=(cite(low), cite(high)))


def discount_rate_buildup(score: Decimal | None = None) -> DerivedRate:
    """Risk build-up discount rate (风险累加法).

    ``r = r_f + p_tech + p_market + p_capital + p_management``, where the technology premium is
    placed in its band by the indicator score, a higher score giving a lower premium:
    ``p_tech = high − (high − low) · score / 100`` (midpoint without a score).

    References
    ----------
    .. [1] China Appraisal Society, 《专利资产评估指导意见》; docs/DOMAIN.md §3 (12–18 % typical).
    """
    t_low, t_high = parameter("technology_premium_low"), parameter("technology_premium_high")
    names = ("risk_free_rate", "market_premium", "capital_premium", "management_premium")
    others = [parameter(n) for n in names]
    tech, formula = _in_band(t_low.value, t_high.value, _score(score), "p_tech", descending=True)
    return DerivedRate(
        value=tech + sum((c.value for c in others), _ZERO),
        formula=f"r = r_f + p_market + p_capital + p_management + p_tech; {formula}",
        constants=tuple(cite(c) for c in (*others, t_low, t_high)),
    )


class IncomeInputs(BaseModel):
    """Inputs of the relief-from-royalty valuation of one patent.

    Revenue is either an explicit yearly forecast ``revenues`` (year 1 first, covering the period)
    or ``base_revenue`` B_1 with ``growth`` g. Absent rates are defaulted from data: the royalty
    from the industry band (or the profit-share band) and the discount rate from the build-up,
    both placed by ``score``; the tax rate from ``corporate_tax_rate``.
    """

    model_config = ConfigDict(frozen=True)

    basis: Basis = Basis.REVENUE
    revenues: tuple[Money, ...] | None = None
    base_revenue: Money | None = None
    growth: Rate = _ZERO
    operating_margin: Fraction | None = None
    royalty_rate: Fraction | None = None
    royalty_decay: Fraction = _ZERO
    industry: str | None = None
    score: Score | None = None
    discount_rate: Rate | None = None
    tax_rate: Fraction | None = None
    economic_life_years: Years | None = None
    timing: Timing = Timing.END_OF_YEAR
    tax_amortisation_benefit: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> IncomeInputs:
        if self.revenues is not None and self.base_revenue is not None:
            raise ValueError("give either revenues or base_revenue, not both")
        if self.revenues is not None and self.growth != _ZERO:
            raise ValueError("growth applies to base_revenue; an explicit forecast has its own")
        amounts = self.revenues or (() if self.base_revenue is None else (self.base_revenue,))
        if any(a.amount < _ZERO for a in amounts):
            raise ValueError("revenue cannot be negative")
        if len({a.currency for a in amounts}) > 1:
            raise ValueError("revenues are in more than one currency")
        if self.growth <= -_ONE or (self.discount_rate is not None and self.discount_rate <= -_ONE):
            raise ValueError("growth and discount rate must be above −100 %")
        return self

    @property
    def currency(self) -> str:
        first = self.revenues[0] if self.revenues else self.base_revenue
        return DEFAULT_CURRENCY if first is None else first.currency


class IncomeYear(BaseModel):
    """One row of the yearly table; amounts unrounded, in the inputs' currency."""

    model_config = ConfigDict(frozen=True)

    t: int
    fraction: Decimal  # w_t: share of year t inside the period
    time: Decimal  # τ_t: when its cash flow is discounted
    revenue: Decimal
    basis_amount: Decimal  # B_t: revenue, or revenue × operating margin
    royalty_rate: Decimal  # K_t
    royalty: Decimal  # B_t · K_t · w_t
    after_tax: Decimal
    discount_factor: Decimal
    present_value: Decimal


class IncomeResult(BaseModel):
    """Value by the income approach with its yearly table, period and audit trail."""

    model_config = ConfigDict(frozen=True)

    value: Money
    years: tuple[IncomeYear, ...]
    period_years: Decimal
    period_limit: PeriodLimit
    period_reason: str
    basis: Basis
    royalty_rate: Decimal
    discount_rate: Decimal
    tax_rate: Decimal
    timing: Timing
    tab_factor: Decimal | None
    warnings: tuple[str, ...]
    audit: AuditTrail


def not_applied_reason(inputs: IncomeInputs) -> str | None:
    """Why the income approach cannot value ``inputs``, or None when it can."""
    if inputs.revenues is None and inputs.base_revenue is None:
        return "no revenue: income approach not applied"
    if inputs.basis is Basis.PROFIT and inputs.operating_margin is None:
        return "no operating margin for the profit basis: income approach not applied"
    if inputs.basis is Basis.REVENUE and inputs.royalty_rate is None and inputs.industry is None:
        return "no royalty rate and no industry to default it from: income approach not applied"
    return None


def economic_period(life: Decimal | None, legal_term: Decimal) -> tuple[Decimal, PeriodLimit, str]:
    """``n = min(economic life, remaining legal term)`` with the limit that binds and why."""
    if life is not None and life < legal_term:
        return life, PeriodLimit.ECONOMIC_LIFE, f"economic life {life} < legal term {legal_term}"
    why = "no economic life given" if life is None else f"≤ economic life {life}"
    return legal_term, PeriodLimit.LEGAL_TERM, f"remaining legal term {legal_term} years, {why}"


def tab_factor(discount_rate: Decimal, tax_rate: Decimal, years: int, timing: Timing) -> Decimal:
    """Tax amortisation benefit factor ``1 / (1 − T · AF / N)``.

    ``AF = Σ_{j=1..N} (1 + r)^−(j − h)`` is the present value of the straight-line amortisation of
    1 over N years (h = 1/2 mid-year, else 0); value with TAB = value × factor.

    References
    ----------
    .. [1] AICPA Practice Aid, *Assets Acquired in a Business Combination to Be Used in Research
       and Development Activities*, 2001; Reilly & Schweihs (2013).
    """
    h = _HALF if timing is Timing.MID_YEAR else _ZERO
    annuity = sum(((_ONE + discount_rate) ** (h - j) for j in range(1, years + 1)), _ZERO)
    denominator = _ONE - tax_rate * annuity / years
    if denominator <= _ZERO:
        raise ValueError(f"TAB undefined: 1 − T·AF/N = {denominator} is not positive")
    return _ONE / denominator


def _pick(
    given: Decimal | None, derive: Callable[[], DerivedRate], name: str, cited: list[CitedConstant]
) -> tuple[Decimal, Step]:
    if given is not None:
        return given, Step(name=name, formula="given", value=given)
    derived = derive()
    cited.extend(derived.constants)
    return derived.value, Step(name=name, formula=derived.formula, value=derived.value)


def _check_bands(
    inputs: IncomeInputs, k: Decimal, r: Decimal, cited: list[CitedConstant]
) -> list[str]:
    warnings: list[str] = []
    if inputs.basis is Basis.PROFIT:
        low, high = parameter("profit_share_warn_low"), parameter("profit_share_warn_high")
        bounds: tuple[Constant, ...] = (low, high)
        if not low.value <= k <= high.value:
            warnings.append(f"profit share {k} is outside {low.value}–{high.value}: justify it")
    else:
        rare = parameter("sales_royalty_rare_above")
        bounds = (rare,)
        if k > rare.value:
            warnings.append(f"sales royalty {k} is above {rare.value}, which is rare")
    r_low, r_high = parameter("discount_rate_common_low"), parameter("discount_rate_common_high")
    if not r_low.value <= r <= r_high.value:
        warnings.append(f"discount rate {r} is outside the common {r_low.value}–{r_high.value}")
    cited.extend(cite(c) for c in (*bounds, r_low, r_high))
    return warnings


def _schedule(
    inputs: IncomeInputs, n: Decimal, k: Decimal, r: Decimal, tax: Decimal
) -> tuple[IncomeYear, ...]:
    h = _HALF if inputs.timing is Timing.MID_YEAR else _ZERO
    margin = _ONE if inputs.basis is Basis.REVENUE else inputs.operating_margin or _ZERO
    rows: list[IncomeYear] = []
    t = 1
    while t - 1 < n:
        w = min(_ONE, n - (t - 1))
        if inputs.revenues is not None:
            revenue = inputs.revenues[t - 1].amount
        else:
            base = inputs.base_revenue.amount if inputs.base_revenue is not None else _ZERO
            revenue = base * (_ONE + inputs.growth) ** (t - 1)
        # (1 − d)^0 is 1 in year 1 even when d = 1 (Decimal refuses 0 ** 0): a decay of 1 keeps
        # the royalty K in the first year and nothing after it
        k_t = k if t == 1 else k * (_ONE - inputs.royalty_decay) ** (t - 1)
        time = (t - 1) + w * (_ONE - h)
        royalty = revenue * margin * k_t * w
        after_tax = royalty * (_ONE - tax)
        factor = (_ONE + r) ** -time
        rows.append(
            IncomeYear(
                t=t,
                fraction=w,
                time=time,
                revenue=revenue,
                basis_amount=revenue * margin,
                royalty_rate=k_t,
                royalty=royalty,
                after_tax=after_tax,
                discount_factor=factor,
                present_value=after_tax * factor,
            )
        )
        t += 1
    return tuple(rows)


def income_value(inputs: IncomeInputs, remaining_term_years: Decimal | int) -> IncomeResult:
    """Relief-from-royalty value of one patent, exact in Decimal, rounded to the fen at the end.

    Parameters
    ----------
    inputs : IncomeInputs
    remaining_term_years : Decimal
        Remaining legal term at the base date (``Patent.remaining_term(base_date)``); 0 at or
        after expiry, which gives a value of 0.

    Returns
    -------
    IncomeResult
        Value, yearly table, period and why, rates used, band warnings and the audit trail.

    Raises
    ------
    IncomeNotAppliedError
        When the inputs lack what the approach needs (e.g. no revenue).
    ValueError
        When an explicit forecast is shorter than the period.

    References
    ----------
    .. [1] China Appraisal Society, 《专利资产评估指导意见》; GB/T 42748-2023; IVS 210.
    """
    reason = not_applied_reason(inputs)
    if reason is not None:
        raise IncomeNotAppliedError(reason)
    legal = to_decimal(remaining_term_years)
    if legal < _ZERO:
        raise ValueError("remaining term cannot be negative")
    n, limit, why = economic_period(inputs.economic_life_years, legal)
    if inputs.revenues is not None and len(inputs.revenues) < n:
        raise ValueError(
            f"the revenue forecast covers {len(inputs.revenues)} years but the period is {n}: "
            "extend the forecast or give the economic life it covers"
        )
    cited: list[CitedConstant] = []
    if inputs.basis is Basis.PROFIT:
        k, k_step = _pick(
            inputs.royalty_rate, lambda: default_profit_share(inputs.score), "profit share K", cited
        )
    else:
        k, k_step = _pick(
            inputs.royalty_rate,
            lambda: default_royalty_rate(str(inputs.industry), inputs.score),
            "royalty rate K",
            cited,
        )
    r, r_step = _pick(
        inputs.discount_rate, lambda: discount_rate_buildup(inputs.score), "discount rate r", cited
    )
    if inputs.tax_rate is None:
        tax_constant = parameter("corporate_tax_rate")
        cited.append(cite(tax_constant))
        tax, tax_formula = tax_constant.value, "T = corporate_tax_rate"
    else:
        tax, tax_formula = inputs.tax_rate, "given"
    warnings = _check_bands(inputs, k, r, cited)
    years = _schedule(inputs, n, k, r, tax)
    pv = sum((y.present_value for y in years), _ZERO)
    steps = [
        Step(name="period n", formula="n = min(economic life, remaining legal term)", value=n),
        k_step,
        r_step,
        Step(name="tax rate T", formula=tax_formula, value=tax),
        Step(name="present value", formula="Σ B_t·K_t·w_t·(1 − T)·(1 + r)^−τ_t", value=pv),
    ]
    factor: Decimal | None = None
    if inputs.tax_amortisation_benefit:
        period = parameter("tab_amortisation_years")
        cited.append(cite(period))
        factor = tab_factor(r, tax, int(period.value), inputs.timing)
        steps.append(Step(name="TAB factor", formula="1 / (1 − T·AF/N)", value=factor))
        pv *= factor
    value = Money(amount=round_money(pv, inputs.currency), currency=inputs.currency)
    steps.append(
        Step(name="value", formula="V rounded half-even to the minor unit", value=value.amount)
    )
    assumptions = (
        f"{inputs.basis.value} basis: K, B and r are on the same basis",
        f"{inputs.timing.value} discounting; a final part-year counts pro rata",
        "no terminal value: the period ends with the economic life or the legal term",
    )
    audit = AuditTrail(
        input_hash=input_hash(inputs, legal),
        method=f"income approach: relief from royalty ({inputs.basis.value} basis)",
        steps=tuple(steps),
        constants=tuple(cited),
        assumptions=assumptions,
    )
    return IncomeResult(
        value=value,
        years=years,
        period_years=n,
        period_limit=limit,
        period_reason=why,
        basis=inputs.basis,
        royalty_rate=k,
        discount_rate=r,
        tax_rate=tax,
        timing=inputs.timing,
        tab_factor=factor,
        warnings=tuple(warnings),
        audit=audit,
    )

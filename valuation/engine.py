"""Valuation of one patent: every approach, reconciled, with pledge outputs and an audit trail.

:func:`value_patent` runs, for one patent at a base date: the indicator score
(:mod:`valuation.scoring`), the income approach (:mod:`valuation.income`), the market approach
(:mod:`valuation.market`, the shipped default model unless another is given), the cost approach
(:mod:`valuation.cost`), the reconciliation (:mod:`valuation.reconcile`), the pledge outputs
(:mod:`valuation.pledge_value`), the high-value criteria (:mod:`valuation.high_value`) and, on
request, the Monte Carlo range and tornado of :mod:`valuation.uncertainty`. The batch path
(:mod:`valuation.batch`) computes the same figures with vectorised kernels.

A patent that is no longer alive (lapsed, expired, invalidated, surrendered, withdrawn or
rejected) has no legal term left: every approach values it at zero. A patent is not valued at
a base date before its filing date (:class:`BeforeFilingError`): nothing existed to value.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from models.enums import LegalStatus
from models.money import Fraction, Money, Rate, to_decimal
from models.patent import Patent
from valuation import ENGINE_VERSION, bounds
from valuation.audit import AuditTrail, Citations, CitedConstant, Step, cite, input_hash
from valuation.constants import Constant, parameter, read_table
from valuation.cost import CostResult, cost_approach_for_patent
from valuation.features import FittedModel
from valuation.high_value import HighValueResult, classify_high_value
from valuation.income import (
    Basis,
    IncomeInputs,
    IncomeResult,
    income_value,
    not_applied_reason,
)
from valuation.market import default_model
from valuation.pledge_value import PledgeValueResult, pledge_value
from valuation.reconcile import DIVERGENCE, Approach, Reconciliation, reconcile
from valuation.renewal import MODEL_FILE_SOURCE
from valuation.scoring import ScoringResult, score_patent
from valuation.uncertainty import Tornado, ValueRange, tornado, value_range

LIVE_STATUSES = frozenset({LegalStatus.IN_FORCE, LegalStatus.PENDING})
Years = Annotated[Decimal, BeforeValidator(to_decimal), Field(ge=0)]


class BeforeFilingError(ValueError):
    """A valuation asked for at a base date before the patent's filing date."""

    def __init__(self, patent: Patent, base_date: date) -> None:
        super().__init__(
            f"{base_date} is before the filing date {patent.filing_date} of "
            f"{patent.number.patent_number}"
        )


class Financials(BaseModel):
    """The economic inputs of one patent, as in the batch schema; empty ones take defaults.

    Revenue growth, the discount rate and the economic life must lie in their bounds
    (:mod:`valuation.bounds`), as the batch checks them.
    """

    model_config = ConfigDict(frozen=True)

    revenue: Money | None = None
    revenue_growth: Rate | None = None
    operating_margin: Fraction | None = None
    royalty_basis: Basis = Basis.REVENUE
    royalty_rate: Fraction | None = None
    royalty_decay: Fraction | None = None
    discount_rate: Rate | None = None
    tax_rate: Fraction | None = None
    economic_life: Years | None = None
    rd_cost: Money | None = None

    @field_validator(*bounds.BOUNDED)
    @classmethod
    def _in_bounds(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        if value is None:
            return None
        assert info.field_name is not None
        return bounds.check(info.field_name, value)


class MarketValue(Citations):
    """The market approach's figure for one patent and the model that gave it: its label, its
    identity (identifier, kind, when and on how many patents it was fitted, the data, the engine
    that fitted it), its fitted parameters and the constants it predicts with, each cited.

    A result stored before the model's identity was kept reads with only ``model``."""

    value: Money
    p10: Money
    p90: Money
    model: str
    model_id: str | None = None
    kind: str | None = None
    fitted_at: str | None = None
    sample: int | None = None
    data: str | None = None
    fit_engine_version: str | None = None
    parameters: tuple[tuple[str, Decimal], ...] = ()
    constants: tuple[CitedConstant, ...] = ()
    sources: dict[str, str] = Field(default_factory=dict)


class ValuationResult(BaseModel):
    """Everything the engine found about one patent at one base date."""

    model_config = ConfigDict(frozen=True)

    patent_id: str
    base_date: date
    remaining_term: Decimal
    score: ScoringResult
    income: IncomeResult | None
    market: MarketValue | None
    cost: CostResult
    reconciliation: Reconciliation
    value: Money | None
    pledge: PledgeValueResult | None
    value_range: ValueRange | None = None
    reconciled_range: tuple[Money, Money, Money] | None = None
    tornado: Tornado | None = None
    high_value: HighValueResult
    audit: AuditTrail


def remaining_legal_term(patent: Patent, at: date) -> Decimal:
    """Years of legal term left at ``at``; zero for a patent that is no longer alive."""
    if patent.legal_status not in LIVE_STATUSES:
        return Decimal(0)
    return patent.remaining_term(at)


def patent_row(patent: Patent, financials: Financials) -> dict[str, Any]:
    """One row of the batch schema for ``patent`` and its ``financials``."""
    money = {
        name: (None if value is None else value.amount)
        for name, value in (("revenue", financials.revenue), ("rd_cost", financials.rd_cost))
    }
    return {
        "patent_id": patent.number.patent_number,
        "jurisdiction": patent.jurisdiction,
        "patent_type": patent.patent_type.value,
        "filing_date": patent.filing_date,
        "grant_date": patent.grant_date,
        "legal_status": patent.legal_status.value,
        "ipc": ";".join(patent.ipc_codes) or None,
        "claims": patent.claims,
        "independent_claims": patent.independent_claims,
        "forward_citations": patent.forward_citations,
        "backward_citations": patent.backward_citations,
        "npl_citations": patent.npl_citations,
        "family_size": patent.family_size,
        "family_countries": ";".join(patent.family_countries) or None,
        "inventors": len(patent.inventors) or None,
        "invalidations_survived": patent.invalidations_survived,
        "in_litigation": patent.in_litigation,
        "licences": len(patent.licences),
        "term_adjustment_days": patent.term_adjustment_days,
        "expiry_date": patent.expiry_date_given,
        "industry": patent.industry,
        "revenue_growth": financials.revenue_growth,
        "operating_margin": financials.operating_margin,
        "royalty_basis": financials.royalty_basis.value,
        "royalty_rate": financials.royalty_rate,
        "royalty_decay": financials.royalty_decay,
        "discount_rate": financials.discount_rate,
        "tax_rate": financials.tax_rate,
        "economic_life": financials.economic_life,
        **money,
    }


def income_inputs(patent: Patent, financials: Financials, score: Decimal) -> IncomeInputs:
    """The income approach's inputs: the financials, with the score to place defaults."""
    return IncomeInputs(
        basis=financials.royalty_basis,
        base_revenue=financials.revenue,
        growth=financials.revenue_growth or Decimal(0),
        operating_margin=financials.operating_margin,
        royalty_rate=financials.royalty_rate,
        royalty_decay=financials.royalty_decay or Decimal(0),
        industry=patent.industry,
        score=score,
        discount_rate=financials.discount_rate,
        tax_rate=financials.tax_rate,
        economic_life_years=financials.economic_life,
    )


def income_not_applied(inputs: IncomeInputs) -> str | None:
    """Why the income approach cannot run, including an industry without a royalty band."""
    reason = not_applied_reason(inputs)
    if reason is None and inputs.royalty_rate is None and inputs.basis is Basis.REVENUE:
        industry = (inputs.industry or "").strip().lower()
        bands = {row["industry"] for row in read_table("royalty_bands")}
        bands |= {row["name_zh"] for row in read_table("royalty_bands")}
        if industry not in bands:
            reason = (
                f"no royalty band for industry '{inputs.industry}': income approach not applied"
            )
    return reason


def _market(
    patent: Patent, financials: Financials, model: FittedModel, at: date, alive: bool
) -> MarketValue:
    # A validated patent needs no batch normalisation (checks and derived columns cost tens
    # of milliseconds on one row); the model reads the row as it is, as Python values, with the
    # same figures, and the patent's own expiry (the batch rule's, worked out here once).
    given = {**patent_row(patent, financials), "expiry_date": patent.expiry_date}
    value, p10, p90 = model.value_record(given, at)
    scale = 1 if alive else 0
    fit = model.fit_
    return MarketValue(
        value=Money(amount=to_decimal(str(value * scale))),
        p10=Money(amount=to_decimal(str(p10 * scale))),
        p90=Money(amount=to_decimal(str(p90 * scale))),
        model=model.label,
        model_id=model.identifier,
        kind=model.kind,
        fitted_at=str(fit.get("fitted_at", "")) or None,
        sample=fit.get("n"),
        data=str(fit.get("data", "")) or None,
        fit_engine_version=str(fit.get("engine_version", "")) or None,
        parameters=tuple((name, to_decimal(str(v))) for name, v in model.parameters()),
        constants=_model_constants(model),
    )


def _model_constants(model: FittedModel) -> tuple[CitedConstant, ...]:
    """The market model's constants, and the size of its sample: the shipped model's is the
    calibration data's (``MKT-CALIBRATION``), another's its file's."""
    shipped = model.fit_ == default_model().fit_
    sample = Constant(
        "market_model_sample",
        to_decimal(str(model.fit_.get("n", 0))),
        "patents",
        "MKT-CALIBRATION" if shipped else MODEL_FILE_SOURCE,
    )
    given = (Constant(n, to_decimal(str(v)), u, i) for n, v, u, i in model.constants())
    return tuple(cite(c) for c in (sample, *given))


def _weight_constants(weights: dict[Approach, Decimal] | None) -> list[CitedConstant]:
    """The default reconciliation weights used (those not overridden), as cited constants."""
    given = weights or {}
    rows = [row for row in read_table("reconcile_weights") if row["scenario"] == "pledge"]
    return [
        cite(
            Constant(
                f"weight.reconcile.{row['scenario']}.{row['approach']}",
                Decimal(row["weight"]),
                "fraction",
                row["source_id"],
            )
        )
        for row in rows
        if Approach(row["approach"]) not in given
    ]


def _reconciled_range(
    spread: ValueRange,
    values: dict[Approach, Money | None],
    reasons: dict[Approach, str],
    weights: dict[Approach, Decimal] | None,
) -> tuple[Money, Money, Money]:
    """P10/P50/P90 of the reconciled value: the income percentiles through the same weights.

    The reconciled value is increasing and affine in the income value when the other approaches
    are held, so its percentiles are those of the income value put through the reconciliation.
    """
    low, mid, high = (
        reconcile({**values, Approach.INCOME: q}, reasons, weights).value or q
        for q in (spread.p10, spread.p50, spread.p90)
    )
    return low, mid, high


def value_patent(
    patent: Patent,
    financials: Financials | None = None,
    *,
    base_date: date,
    model: FittedModel | None = None,
    weights: dict[Approach, Decimal] | None = None,
    draws: int | None = None,
    seed: int | None = None,
) -> ValuationResult:
    """Value ``patent`` at ``base_date``.

    Parameters
    ----------
    financials
        Revenue, rates, economic life and R&D cost; without them only the market approach (and
        the score) can run.
    model
        The market model; the shipped default when omitted.
    weights
        Overrides of the reconciliation weights.
    draws, seed
        With both, a Monte Carlo range (P10/P50/P90) and a tornado of the income approach.

    Raises
    ------
    BeforeFilingError
        When ``base_date`` is before the patent's filing date.
    """
    if base_date < patent.filing_date:
        raise BeforeFilingError(patent, base_date)
    financials = financials or Financials()
    model = model or default_model()
    term = remaining_legal_term(patent, base_date)
    alive = term > 0
    score = score_patent(patent, at=base_date)
    inputs = income_inputs(patent, financials, score.total_score)
    reasons: dict[Approach, str] = {}
    income: IncomeResult | None = None
    reason = income_not_applied(inputs)
    if reason is None:
        income = income_value(inputs, term)
        reason = f"relief from royalty over {income.period_years} years"
    reasons[Approach.INCOME] = reason
    market = _market(patent, financials, model, base_date, alive)
    reasons[Approach.MARKET] = f"{market.model} on bibliographic features"
    cost = cost_approach_for_patent(
        patent,
        financials.rd_cost,
        at=base_date,
        # A patent no longer alive has no life left for the cost approach either.
        economic_life=financials.economic_life if alive else Decimal(0),
    )
    reasons[Approach.COST] = cost.reason or "replacement cost less obsolescence (floor)"
    values = {
        Approach.INCOME: None if income is None else income.value,
        Approach.MARKET: market.value,
        Approach.COST: cost.value,
    }
    reconciliation = reconcile(values, reasons, weights)
    value = reconciliation.value
    pledge = (
        None if value is None else pledge_value(value, patent.patent_type, score=score.total_score)
    )
    spread: ValueRange | None = None
    bars: Tornado | None = None
    reconciled_range: tuple[Money, Money, Money] | None = None
    if income is not None and draws is not None and seed is not None:
        spread = value_range(inputs, term, seed=seed, draws=draws)
        bars = tornado(inputs, term)
        reconciled_range = _reconciled_range(spread, values, reasons, weights)
    high = classify_high_value(patent, at=base_date)
    constants: dict[str, CitedConstant] = {}
    parts = [score.audit, cost.audit, high.audit]
    if income is not None:
        parts.append(income.audit)
    if pledge is not None:
        parts.append(pledge.audit)
    for part in parts:
        constants.update((c.name, c) for c in part.constants)
    constants.update((c.name, c) for c in _weight_constants(weights))
    constants[DIVERGENCE] = cite(parameter(DIVERGENCE))
    steps = (
        Step(name="remaining legal term", formula="years from base date to expiry", value=term),
        Step(name="score", formula="GB/T 42748 indicator score", value=score.total_score),
        *(
            Step(name=f"{line.approach} weight", formula=line.reason, value=line.weight)
            for line in reconciliation.lines
        ),
        Step(name="value", formula="Σ w·V / Σ w", value=str(value)),
    )
    audit = AuditTrail(
        input_hash=input_hash(patent, financials, base_date, weights, draws, seed),
        method="reconciled income, market and cost approaches",
        steps=steps,
        constants=tuple(constants.values()),
        engine_version=ENGINE_VERSION,
    )
    return ValuationResult(
        patent_id=patent.number.patent_number,
        base_date=base_date,
        remaining_term=term,
        score=score,
        income=income,
        market=market,
        cost=cost,
        reconciliation=reconciliation,
        value=value,
        pledge=pledge,
        value_range=spread,
        reconciled_range=reconciled_range,
        tornado=bars,
        high_value=high,
        audit=audit,
    )

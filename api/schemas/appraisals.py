"""HTTP shapes of an appraisal: the request (a registered patent, its economic inputs, a base
date) and the stored result with its audit trail."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from api.schemas.common import Day, DecimalText, MoneyIn, MoneyRead, Strict
from models.enums import PatentType, ValueType
from models.money import to_decimal
from storage.appraisals import StoredAppraisal, StoredValuation
from valuation.engine import Financials, ValuationResult
from valuation.income import Basis
from valuation.reconcile import Approach


class FinancialsIn(Strict):
    """The economic inputs of the patent (the batch schema's); empty ones take the engine's
    sourced defaults, or leave the approach that needs them unapplied."""

    revenue: MoneyIn | None = None
    revenue_growth: DecimalText | None = None
    operating_margin: DecimalText | None = None
    royalty_basis: Basis = Basis.REVENUE
    royalty_rate: DecimalText | None = None
    royalty_decay: DecimalText | None = None
    discount_rate: DecimalText | None = None
    tax_rate: DecimalText | None = None
    economic_life: DecimalText | None = None
    rd_cost: MoneyIn | None = None

    def financials(self) -> Financials:
        """The engine's inputs."""
        data = self.model_dump(exclude_none=True, exclude={"revenue", "rd_cost"})
        if self.revenue is not None:
            data["revenue"] = self.revenue.money()
        if self.rd_cost is not None:
            data["rd_cost"] = self.rd_cost.money()
        return Financials.model_validate(data)


class AppraisalCreate(Strict):
    """Value one registered patent at a base date."""

    patent_number: Annotated[str, Field(min_length=3, max_length=60)]
    base_date: Day
    financials: FinancialsIn = FinancialsIn()
    weights: dict[Approach, DecimalText] | None = Field(
        default=None, description='Reconciliation weights, e.g. {"income": "0.7"}.'
    )
    draws: Annotated[int, Field(ge=100, le=5_000)] | None = Field(
        default=None,
        description="Monte Carlo draws of the value range, with seed; neither: the engine's "
        "default draws and the report seed",
    )
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None

    def weight_map(self) -> dict[Approach, object] | None:
        """The weights as decimals."""
        if self.weights is None:
            return None
        return {a: to_decimal(w) for a, w in self.weights.items()}


class ApproachRead(BaseModel):
    approach: Approach
    value: MoneyRead | None
    weight: str
    reason: str


class ValueRangeRead(BaseModel):
    """The Monte Carlo range: P10, P50 and P90 of the income approach's value and of the
    reconciled value (the income percentiles through the same weights), from ``draws`` draws
    with ``seed``."""

    income_p10: MoneyRead
    income_p50: MoneyRead
    income_p90: MoneyRead
    p10: MoneyRead | None
    p50: MoneyRead | None
    p90: MoneyRead | None
    draws: int
    seed: int


class AppraisedPatentRead(BaseModel):
    """One patent's value in an appraisal, with the engine's figures when it made them."""

    patent_number: str
    patent_type: PatentType
    base_date: date
    value: MoneyRead
    max_loan: MoneyRead | None
    realisable_value: MoneyRead | None = None
    score: str | None = None
    remaining_term_years: str | None = None
    approaches: list[ApproachRead] = []
    value_range: ValueRangeRead | None = None
    high_value_criteria: list[str] = []
    input_hash: str | None = None
    method: str | None = None
    engine_version: str | None = None

    @classmethod
    def of(cls, stored: StoredValuation) -> AppraisedPatentRead:
        """The HTTP shape of one stored value."""
        read = cls(
            patent_number=stored.patent_number,
            patent_type=stored.patent_type,
            base_date=stored.base_date,
            value=MoneyRead.of(stored.value),
            max_loan=MoneyRead.maybe(stored.max_loan),
            input_hash=stored.input_hash,
        )
        result = stored.result
        if result is None:
            return read
        return read.model_copy(
            update={
                "realisable_value": MoneyRead.maybe(
                    None if result.pledge is None else result.pledge.realisable_value
                ),
                "score": str(result.score.total_score),
                "remaining_term_years": str(result.remaining_term),
                "approaches": [
                    ApproachRead(
                        approach=line.approach,
                        value=MoneyRead.maybe(line.value),
                        weight=str(line.weight),
                        reason=line.reason,
                    )
                    for line in result.reconciliation.lines
                ],
                "value_range": _range_of(result),
                "high_value_criteria": [
                    c.criterion.value for c in result.high_value.criteria if c.met
                ],
                "method": result.audit.method,
                "engine_version": result.audit.engine_version,
            }
        )


def _range_of(result: ValuationResult) -> ValueRangeRead | None:
    spread = result.value_range
    if spread is None:
        return None
    low, mid, high = result.reconciled_range or (None, None, None)
    return ValueRangeRead(
        income_p10=MoneyRead.of(spread.p10),
        income_p50=MoneyRead.of(spread.p50),
        income_p90=MoneyRead.of(spread.p90),
        p10=MoneyRead.maybe(low),
        p50=MoneyRead.maybe(mid),
        p90=MoneyRead.maybe(high),
        draws=spread.draws,
        seed=spread.seed,
    )


class AppraisalRead(BaseModel):
    """A stored appraisal: its values, who asked, and each patent's figures."""

    appraisal_id: str
    base_date: date
    value_type: ValueType
    market_value: MoneyRead
    realisable_value: MoneyRead
    max_loan: MoneyRead
    engine_version: str
    requested_by: str | None
    requested_at: datetime | None
    appraiser_id: str | None
    patents: list[AppraisedPatentRead]

    @classmethod
    def of(cls, stored: StoredAppraisal) -> AppraisalRead:
        """The HTTP shape of a stored appraisal."""
        summary = stored.summary
        return cls(
            appraisal_id=summary.appraisal_id,
            base_date=summary.base_date,
            value_type=summary.value_type,
            market_value=MoneyRead.of(summary.market_value),
            realisable_value=MoneyRead.of(summary.realisable_value),
            max_loan=MoneyRead.of(summary.max_loan),
            engine_version=summary.engine_version,
            requested_by=stored.requested_by,
            requested_at=stored.requested_at,
            appraiser_id=stored.appraiser_id,
            patents=[AppraisedPatentRead.of(v) for v in stored.valuations],
        )

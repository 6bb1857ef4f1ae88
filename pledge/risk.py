r"""Credit risk of patent-pledged loans: expected loss, stress tests and risk sharing.

Expected loss of a loan and of a portfolio (Basel):

.. math::

    EL_j = PD_j \cdot LGD_j \cdot EAD_j, \qquad EL = \sum_j EL_j

Each :math:`EL_j` is rounded half-even to the fen and the portfolio figure is the sum of the
rounded parts. Under the foundation IRB approach a patent is not eligible collateral, so a
patent-pledged senior corporate loan takes the unsecured supervisory LGD: 45 % (Basel II) or 40 %
(Basel 3.1). PD comes from the loan itself, else from its rating category (long-run one-year
default rates, global scale), else from a single default; it is floored at the regime's PD floor.

Stress test: collateral values change by :math:`s_V` (e.g. −60 % when the technology is
superseded) and recoveries by :math:`s_R`:

.. math::

    V' = V (1 + s_V), \qquad LGD' = 1 - (1 - LGD)(1 + s_R), \qquad
    \text{shortfall} = O - V' \cdot L \text{ for loans with } O > V' \cdot L

The stressed expected loss uses :math:`LGD'` (and :math:`PD \cdot m`, capped at 1, for a PD
multiplier :math:`m`). With a supervisory LGD the value shock shows in LTV breaches and
shortfalls, not in the LGD.

Risk sharing among bank, insurer, guarantor and a government compensation fund: shares sum to
exactly 100 %; a loss is split by share, each part rounded half-even to the fen, and the rounding
remainder goes to the largest share (the first listed among equals), so the parts sum exactly.

Every constant is a row of ``pledge/data/parameters_risk.csv`` citing ``sources_risk.csv``.

References
----------
.. [1] BCBS, *Basel II: A Revised Framework*, June 2006, paras. 285, 287.
.. [2] BCBS, *Basel III: Finalising post-crisis reforms*, December 2017 (CRE32).
.. [3] docs/DOMAIN.md §4 "Pledge financing" (risk, stress, risk-sharing 60 : 20 : 20).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator, model_validator

from models.datafiles import DataFiles
from models.money import Fraction, Money, Rate, round_money, total
from pledge import constants
from pledge.monitoring import breaches, collateral_ratio, shortfall
from valuation import audit
from valuation.audit import Citations, CitedConstant
from valuation.constants import Constant, UnknownConstantError

_ZERO, _ONE = Decimal(0), Decimal(1)


class LgdRegime(StrEnum):
    """Which foundation-IRB supervisory parameters apply."""

    BASEL_II = "basel2"
    BASEL_3_1 = "basel3.1"


class RiskBearer(StrEnum):
    BANK = "bank"
    INSURER = "insurer"
    GUARANTOR = "guarantor"
    GOVERNMENT_FUND = "government_fund"  # 政府风险补偿基金


def parameter(name: str) -> Constant:
    """A risk constant of ``pledge/data/parameters_risk.csv``."""
    return constants.parameter(name)


def cite(constant: Constant) -> CitedConstant:
    """A risk constant as a result cites it, with its source."""
    return audit.cite(constant, constants.FILES)


def supervisory_lgd(regime: LgdRegime = LgdRegime.BASEL_II) -> Constant:
    """The foundation-IRB LGD of a senior claim without eligible collateral."""
    return parameter(f"lgd.foundation_irb.{regime.value}")


def pd_floor(regime: LgdRegime = LgdRegime.BASEL_II) -> Constant:
    return parameter(f"pd.floor.{regime.value}")


def rating_pd(rating: str | None) -> Constant:
    """The PD of a rating category ('BB+' counts as 'BB', 'CCC/C' as 'CCC'), or the single
    default PD when there is no rating."""
    if rating is None:
        return parameter("pd.default")
    category = rating.strip().upper().split("/")[0].rstrip("+-")
    try:
        return constants.parameters()[f"pd.rating.{category}"]
    except KeyError:
        names = constants.parameters()
        known = sorted(n.removeprefix("pd.rating.") for n in names if "pd.rating." in n)
        raise UnknownConstantError(f"no PD for rating {rating!r}; known: {known}") from None


class Exposure(BaseModel):
    """A loan as risk sees it. ``ead`` is the exposure at default (usually the outstanding
    principal, plus accrued interest if the lender counts it); ``pd`` and ``lgd`` override the
    defaults; collateral value and LTV limit are needed for stress tests."""

    model_config = ConfigDict(frozen=True)

    loan_id: str
    ead: Money
    pd: Fraction | None = None
    rating: str | None = None
    lgd: Fraction | None = None
    collateral_value: Money | None = None
    ltv_limit: Fraction | None = None

    @field_validator("ead")
    @classmethod
    def _non_negative(cls, value: Money) -> Money:
        if value.amount < 0:
            raise ValueError(f"exposure at default cannot be negative, got {value}")
        return value


class ExpectedLoss(Citations):
    """EL = PD × LGD × EAD of one loan, with the constants it used and their sources."""

    files: ClassVar[DataFiles] = constants.FILES

    loan_id: str
    pd: Decimal
    lgd: Decimal
    ead: Money
    expected_loss: Money
    constants: tuple[CitedConstant, ...] = ()
    sources: dict[str, str] = Field(default_factory=dict)


class PortfolioLoss(BaseModel):
    """Per-loan expected losses and their totals."""

    model_config = ConfigDict(frozen=True)

    currency: str
    items: tuple[ExpectedLoss, ...]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total_ead(self) -> Money:
        return total([item.ead for item in self.items], self.currency)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total_expected_loss(self) -> Money:
        return total([item.expected_loss for item in self.items], self.currency)


def expected_loss(
    exposure: Exposure,
    regime: LgdRegime = LgdRegime.BASEL_II,
    pd_multiplier: Decimal = _ONE,
    recovery_shock: Decimal = _ZERO,
) -> ExpectedLoss:
    """EL = PD × LGD × EAD, PD floored by the regime, optionally stressed (see module doc)."""
    used: list[Constant] = []
    if exposure.pd is None:
        used.append(rating_pd(exposure.rating))
    pd = exposure.pd if exposure.pd is not None else used[-1].value
    floor = pd_floor(regime)
    if pd < floor.value:
        pd = floor.value
        used.append(floor)
    if exposure.lgd is None:
        used.append(supervisory_lgd(regime))
    lgd = exposure.lgd if exposure.lgd is not None else used[-1].value
    pd = min(pd * pd_multiplier, _ONE)
    lgd = _ONE - (_ONE - lgd) * (_ONE + recovery_shock)
    amount = round_money(pd * lgd * exposure.ead.amount, exposure.ead.currency)
    return ExpectedLoss(
        loan_id=exposure.loan_id,
        pd=pd,
        lgd=lgd,
        ead=exposure.ead,
        expected_loss=Money(amount=amount, currency=exposure.ead.currency),
        constants=tuple(cite(c) for c in used),
    )


def _currency(exposures: list[Exposure]) -> str:
    currencies = {e.ead.currency for e in exposures}
    if len(currencies) > 1:
        raise ValueError(f"the portfolio mixes currencies {sorted(currencies)}: convert first")
    return currencies.pop() if currencies else "CNY"


def portfolio_expected_loss(
    exposures: Iterable[Exposure], regime: LgdRegime = LgdRegime.BASEL_II
) -> PortfolioLoss:
    """Expected loss of each loan and of the portfolio (the sum of the rounded parts)."""
    items = list(exposures)
    return PortfolioLoss(
        currency=_currency(items), items=tuple(expected_loss(e, regime) for e in items)
    )


class StressScenario(BaseModel):
    """Changes applied to collateral values and recoveries (−0.60 is −60 %), and a PD multiplier."""

    model_config = ConfigDict(frozen=True)

    name: str
    value_shock: Rate
    recovery_shock: Rate = _ZERO
    pd_multiplier: Annotated[Decimal, Field(ge=1)] = _ONE

    @field_validator("value_shock", "recovery_shock")
    @classmethod
    def _downward(cls, value: Decimal) -> Decimal:
        if not -_ONE <= value <= _ZERO:
            raise ValueError(f"a stress shock lies in −1..0 (−0.60 is −60 %), got {value}")
        return value

    @classmethod
    def from_data(cls, name: str = "technology_superseded") -> StressScenario:
        """The named scenario of ``parameters_risk.csv``."""
        return cls(
            name=name,
            value_shock=parameter(f"stress.value_shock.{name}").value,
            recovery_shock=parameter(f"stress.recovery_shock.{name}").value,
        )


class Breach(BaseModel):
    """A loan whose outstanding exceeds its shocked collateral value times its LTV limit."""

    model_config = ConfigDict(frozen=True)

    loan_id: str
    outstanding: Money
    shocked_value: Money
    ltv_limit: Decimal
    ratio: Decimal | None
    shortfall: Money


class StressResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    scenario: StressScenario
    breaches: tuple[Breach, ...]
    baseline: PortfolioLoss
    stressed: PortfolioLoss

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total_shortfall(self) -> Money:
        return total([b.shortfall for b in self.breaches], self.baseline.currency)


def stress_test(
    exposures: Iterable[Exposure],
    scenario: StressScenario,
    regime: LgdRegime = LgdRegime.BASEL_II,
) -> StressResult:
    """LTV breaches and shortfalls after the value shock; baseline and stressed expected loss."""
    items = list(exposures)
    found: list[Breach] = []
    for e in items:
        if e.collateral_value is None or e.ltv_limit is None:
            raise ValueError(
                f"loan {e.loan_id}: a stress test needs collateral value and LTV limit"
            )
        shocked = e.collateral_value * (_ONE + scenario.value_shock)
        if breaches(e.ead, shocked, e.ltv_limit):
            found.append(
                Breach(
                    loan_id=e.loan_id,
                    outstanding=e.ead,
                    shocked_value=shocked,
                    ltv_limit=e.ltv_limit,
                    ratio=collateral_ratio(e.ead, shocked),
                    shortfall=shortfall(e.ead, shocked, e.ltv_limit),
                )
            )
    currency = _currency(items)
    stressed = [
        expected_loss(e, regime, scenario.pd_multiplier, scenario.recovery_shock) for e in items
    ]
    return StressResult(
        scenario=scenario,
        breaches=tuple(found),
        baseline=portfolio_expected_loss(items, regime),
        stressed=PortfolioLoss(currency=currency, items=tuple(stressed)),
    )


def _percent(share: Decimal) -> str:
    return f"{(share * 100).normalize():f} %"


class RiskShare(BaseModel):
    model_config = ConfigDict(frozen=True)

    bearer: RiskBearer
    share: Fraction


class RiskSharing(BaseModel):
    """How a loss is shared; the shares sum to exactly 100 %."""

    model_config = ConfigDict(frozen=True)

    shares: Annotated[tuple[RiskShare, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _whole(self) -> RiskSharing:
        bearers = [s.bearer for s in self.shares]
        repeated = sorted({b.value for b in bearers if bearers.count(b) > 1})
        if repeated:
            raise ValueError(f"risk shares name {', '.join(repeated)} more than once")
        whole = sum((s.share for s in self.shares), _ZERO)
        if whole != _ONE:
            listed = ", ".join(f"{s.bearer.value} {_percent(s.share)}" for s in self.shares)
            raise ValueError(
                f"risk shares sum to {_percent(whole)} ({listed}); they must sum to exactly 100 %"
            )
        return self

    @classmethod
    def of(cls, shares: Mapping[RiskBearer | str, object]) -> RiskSharing:
        """From a mapping such as ``{"insurer": "0.6", "bank": "0.2", "guarantor": "0.2"}``."""
        return cls.model_validate(
            {"shares": [{"bearer": b, "share": s} for b, s in shares.items()]}
        )

    def split(self, loss: Money) -> dict[RiskBearer, Money]:
        """Each bearer's part of ``loss``; the parts sum exactly to the loss."""
        if loss.amount < 0:
            raise ValueError(f"a loss to share cannot be negative, got {loss}")
        parts = {s.bearer: round_money(loss.amount * s.share, loss.currency) for s in self.shares}
        largest = max(self.shares, key=lambda s: s.share).bearer
        parts[largest] += loss.amount - sum(parts.values(), _ZERO)
        return {b: Money(amount=a, currency=loss.currency) for b, a in parts.items()}

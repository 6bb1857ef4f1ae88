"""Expected loss, stress tests and risk sharing."""

from decimal import ROUND_HALF_EVEN, Decimal
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from models import Money
from pledge.constants import parameters, sources
from pledge.risk import (
    Exposure,
    LgdRegime,
    RiskBearer,
    RiskSharing,
    StressScenario,
    expected_loss,
    pd_floor,
    portfolio_expected_loss,
    rating_pd,
    stress_test,
    supervisory_lgd,
)
from valuation.constants import UnknownConstantError

MILLION = Money.of("1000000")


def test_constants_are_data_with_sources() -> None:
    # Foundation IRB, unsecured senior corporate claim: 45 % (Basel II), 40 % (Basel 3.1).
    assert supervisory_lgd().value == Decimal("0.45")
    assert supervisory_lgd().source_id == "BCBS-BASEL2-IRB"
    assert supervisory_lgd(LgdRegime.BASEL_3_1).value == Decimal("0.40")
    assert (pd_floor().value, pd_floor(LgdRegime.BASEL_3_1).value) == (
        Decimal("0.0003"),
        Decimal("0.0005"),
    )
    assert all(c.source_id in sources() for c in parameters().values())
    assert all(0 <= rating_pd(r).value <= 1 for r in ("AAA", "AA", "A", "BBB", "BB", "B", "CCC"))


def test_expected_loss_arithmetic() -> None:
    # EL = PD × LGD × EAD = 0.02 × 0.45 × 1,000,000 = 9,000.00;
    # Basel 3.1: 0.02 × 0.40 × 1,000,000 = 8,000.00.
    loan = Exposure(loan_id="L1", ead=MILLION, pd="0.02")
    assert expected_loss(loan).expected_loss == Money.of("9000.00")
    assert expected_loss(loan, LgdRegime.BASEL_3_1).expected_loss == Money.of("8000.00")
    assert [c.source_id for c in expected_loss(loan).constants] == ["BCBS-BASEL2-IRB"]
    assert "(Basel II)" in expected_loss(loan).sources["BCBS-BASEL2-IRB"]
    # An explicit LGD wins: 0.02 × 0.25 × 1,000,000 = 5,000.
    assert expected_loss(loan.model_copy(update={"lgd": Decimal("0.25")})).expected_loss == (
        Money.of("5000.00")
    )
    # Rounded once, half-even: 333,333.33 × 0.0123 × 0.45 = 1,844.99998… → 1,845.00.
    odd = Exposure(loan_id="L2", ead=Money.of("333333.33"), pd="0.0123")
    assert expected_loss(odd).expected_loss == Money.of("1845.00")


def test_pd_from_rating_default_and_floor() -> None:
    # 'BB+' counts as BB: 0.006 × 0.45 × 1,000,000 = 2,700.
    rated = expected_loss(Exposure(loan_id="L1", ead=MILLION, rating="BB+"))
    assert (rated.pd, rated.expected_loss) == (Decimal("0.0060"), Money.of("2700.00"))
    # AAA's 0 % is floored at 0.03 % (Basel II): 0.0003 × 0.45 × 1e6 = 135; Basel 3.1 0.05 % × 0.40.
    top = Exposure(loan_id="L1", ead=MILLION, rating="AAA")
    assert expected_loss(top).expected_loss == Money.of("135.00")
    assert expected_loss(top, LgdRegime.BASEL_3_1).expected_loss == Money.of("200.00")
    assert "pd.floor.basel2" in [c.name for c in expected_loss(top).constants]
    # No PD and no rating: the single default PD (2 %, [verify]).
    unrated = expected_loss(Exposure(loan_id="L1", ead=MILLION))
    assert unrated.pd == rating_pd(None).value == Decimal("0.0200")
    assert rating_pd("CCC/C").value == rating_pd("CCC").value
    with pytest.raises(UnknownConstantError, match="no PD for rating 'Z'"):
        rating_pd("Z")


def test_portfolio_sums_the_rounded_parts() -> None:
    loans = [
        Exposure(loan_id="L1", ead=MILLION, pd="0.02"),
        Exposure(loan_id="L2", ead=Money.of("333333.33"), pd="0.0123"),
    ]
    result = portfolio_expected_loss(loans)
    assert result.total_ead == Money.of("1333333.33")
    assert result.total_expected_loss == Money.of("10845.00")  # 9,000.00 + 1,845.00
    with pytest.raises(ValueError, match="mixes currencies"):
        portfolio_expected_loss([*loans, Exposure(loan_id="L3", ead=Money.of("1", "USD"))])
    assert portfolio_expected_loss([]).total_expected_loss == Money.of("0")


def collateralised(loan_id: str, ead: str, limit: str) -> Exposure:
    return Exposure(
        loan_id=loan_id, ead=Money.of(ead), pd="0.02", collateral_value=MILLION, ltv_limit=limit
    )


def test_stress_breaches_and_stressed_loss() -> None:
    scenario = StressScenario.from_data("technology_superseded")
    assert (scenario.value_shock, scenario.recovery_shock) == (Decimal("-0.60"), Decimal("-0.50"))
    loans = [
        collateralised("A", "200000", "0.30"),  # 1,000,000 × 0.4 × 0.30 = 120,000 < 200,000
        collateralised("B", "50000", "0.25"),  # 400,000 × 0.25 = 100,000 ≥ 50,000
        collateralised("C", "120000", "0.30"),  # exactly at the limit: no breach
    ]
    result = stress_test(loans, scenario)
    assert [b.loan_id for b in result.breaches] == ["A"]
    breach = result.breaches[0]
    assert breach.shocked_value == Money.of("400000")
    assert breach.shortfall == Money.of("80000.00")  # 200,000 − 400,000 × 0.30
    assert breach.ratio == Decimal("0.5")
    assert result.total_shortfall == Money.of("80000.00")
    # LGD' = 1 − (1 − 0.45) × (1 − 0.50) = 0.725; EL' of A = 0.02 × 0.725 × 200,000 = 2,900.
    assert result.stressed.items[0].lgd == Decimal("0.725")
    assert result.stressed.items[0].expected_loss == Money.of("2900.00")
    assert result.baseline.items[0].expected_loss == Money.of("1800.00")
    # Σ EAD = 370,000: baseline 0.02 × 0.45 × 370,000 = 3,330; stressed × 0.725 = 5,365.
    assert result.baseline.total_expected_loss == Money.of("3330.00")
    assert result.stressed.total_expected_loss == Money.of("5365.00")


def test_stress_pd_multiplier_and_refusals() -> None:
    doubled = StressScenario(name="x", value_shock="-0.2", pd_multiplier=Decimal(2))
    result = stress_test([collateralised("A", "200000", "0.30")], doubled)
    # PD 0.04, LGD unchanged: 0.04 × 0.45 × 200,000 = 3,600.
    assert result.stressed.items[0].expected_loss == Money.of("3600.00")
    assert result.breaches == ()
    with pytest.raises(ValidationError, match=r"−1\.\.0"):
        StressScenario(name="x", value_shock="0.1")
    with pytest.raises(ValidationError, match=r"−1\.\.0"):
        StressScenario(name="x", value_shock="-0.1", recovery_shock="-1.5")
    with pytest.raises(ValueError, match="needs collateral value"):
        stress_test([Exposure(loan_id="A", ead=MILLION)], doubled)


def test_risk_sharing_example() -> None:
    # docs/DOMAIN.md §4: insurer : bank : guarantor = 60 : 20 : 20.
    sharing = RiskSharing.of({"insurer": "0.6", "bank": "0.2", "guarantor": "0.2"})
    assert sharing.split(MILLION) == {
        RiskBearer.INSURER: Money.of("600000"),
        RiskBearer.BANK: Money.of("200000"),
        RiskBearer.GUARANTOR: Money.of("200000"),
    }
    # 0.07: 0.042 → 0.04, 0.014 → 0.01, 0.014 → 0.01 sum to 0.06; the fen left goes to the insurer.
    assert sharing.split(Money.of("0.07")) == {
        RiskBearer.INSURER: Money.of("0.05"),
        RiskBearer.BANK: Money.of("0.01"),
        RiskBearer.GUARANTOR: Money.of("0.01"),
    }
    # 0.03 at 50 : 25 : 25: 0.015 → 0.02, 0.0075 → 0.01, 0.0075 → 0.01 sum to 0.04; the largest
    # share gives a fen back.
    halves = RiskSharing.of({"bank": "0.5", "insurer": "0.25", "government_fund": "0.25"})
    assert list(halves.split(Money.of("0.03")).values()) == [Money.of("0.01")] * 3


def test_risk_shares_must_sum_to_100_percent() -> None:
    with pytest.raises(ValidationError, match=r"sum to 95 % \(insurer 55 %, bank 20 %, guarantor"):
        RiskSharing.of({"insurer": "0.55", "bank": "0.2", "guarantor": "0.2"})
    with pytest.raises(ValidationError, match="sum to 105 %"):
        RiskSharing.of({"insurer": "0.65", "bank": "0.2", "guarantor": "0.2"})
    with pytest.raises(ValidationError, match="bank more than once"):
        RiskSharing.model_validate(
            {"shares": [{"bearer": "bank", "share": "0.5"}, {"bearer": "bank", "share": "0.5"}]}
        )
    with pytest.raises(ValidationError, match="not accepted"):
        RiskSharing.of({"bank": 0.5, "insurer": 0.5})
    with pytest.raises(ValueError, match="cannot be negative"):
        RiskSharing.of({"bank": "1"}).split(Money.of("-1"))


@st.composite
def sharings(draw: st.DrawFn) -> RiskSharing:
    bearers = draw(st.lists(st.sampled_from(RiskBearer), min_size=1, max_size=4, unique=True))
    cuts = sorted(
        draw(
            st.lists(
                st.integers(1, 9999),
                min_size=len(bearers) - 1,
                max_size=len(bearers) - 1,
                unique=True,
            )
        )
    )
    bounds = [0, *cuts, 10000]
    shares = [Decimal(b - a) / 10000 for a, b in pairwise(bounds)]
    return RiskSharing.of(dict(zip(bearers, shares, strict=True)))


@settings(max_examples=300, deadline=None)
@given(sharings(), st.decimals(Decimal(0), Decimal("1e10"), places=2))
def test_loss_parts_sum_exactly(sharing: RiskSharing, loss: Decimal) -> None:
    parts = sharing.split(Money.of(loss))
    assert sum(p.amount for p in parts.values()) == loss
    largest = max(sharing.shares, key=lambda s: s.share).bearer
    for share in sharing.shares:
        exact = (loss * share.share).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
        if share.bearer is not largest:
            assert parts[share.bearer].amount == exact
        else:
            assert abs(parts[share.bearer].amount - exact) <= Decimal("0.01") * len(parts)

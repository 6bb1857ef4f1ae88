"""Reconciliation: printed weights, renormalised over the approaches applied, reasons kept."""

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from models import Money
from valuation.reconcile import Approach, default_weights, reconcile, reconcile_arrays

REASONS = {
    Approach.INCOME: "revenue given",
    Approach.MARKET: "default renewal model",
    Approach.COST: "no R&D cost: cost approach not applied",
}


def test_default_pledge_weights_come_from_data() -> None:
    weights = default_weights("pledge")
    assert weights == {
        Approach.INCOME: Decimal("0.6"),
        Approach.MARKET: Decimal("0.4"),
        Approach.COST: Decimal("0"),
    }


def test_weighted_mean_of_income_and_market() -> None:
    # 0.6 × 1,000,000 + 0.4 × 500,000 = 800,000
    result = reconcile(
        {Approach.INCOME: Money.of(1_000_000), Approach.MARKET: Money.of(500_000)}, REASONS
    )
    assert result.value == Money.of(800_000)
    weights = {line.approach: line.weight for line in result.lines}
    assert weights == {
        Approach.INCOME: Decimal("0.6000"),
        Approach.MARKET: Decimal("0.4000"),
        Approach.COST: Decimal("0.0000"),
    }
    assert next(line for line in result.lines if line.approach is Approach.COST).reason == (
        "no R&D cost: cost approach not applied"
    )


def test_missing_approach_renormalises_the_others() -> None:
    result = reconcile({Approach.INCOME: None, Approach.MARKET: Money.of(500_000)}, REASONS)
    assert result.value == Money.of(500_000)
    assert {line.approach: line.weight for line in result.lines}[Approach.MARKET] == 1


def test_cost_alone_when_nothing_else_applies_and_flagged_as_floor() -> None:
    alone = reconcile({Approach.COST: Money.of(300_000)}, REASONS)
    assert alone.value == Money.of(300_000)
    assert "only the cost approach" in alone.notes[0]
    below = reconcile({Approach.MARKET: Money.of(100), Approach.COST: Money.of(300)}, REASONS)
    assert below.value == Money.of(100)
    assert any("below the cost floor" in note for note in below.notes)


def test_weighed_approaches_that_disagree_are_flagged() -> None:
    """Above reconcile_divergence_ratio (3, parameters_reconcile.csv) between the highest and
    the lowest value weighed, the note names both; at the factor, or with the low one weighed 0,
    none."""
    income, market = Money.of("2450890.37"), Money.of("13748.06")
    apart = reconcile({Approach.INCOME: income, Approach.MARKET: market}, REASONS)
    assert apart.notes == (  # 2,450,890.37 / 13,748.06 = 178.27
        "income approach (CNY 2,450,890.37) and market approach (CNY 13,748.06) differ by a "
        "factor of 178.3 (above 3): explain the difference, or weigh one approach",
    )
    at_limit = {Approach.INCOME: Money.of(100), Approach.MARKET: Money.of(300)}
    assert reconcile(at_limit, REASONS).notes == ()
    past = reconcile({**at_limit, Approach.MARKET: Money.of("300.01")}, REASONS).notes
    assert past[0].startswith("market approach (CNY 300.01) and income approach (CNY 100.00)")
    unweighed = {Approach.INCOME: Money.of(1_000), Approach.COST: Money.of(10)}
    assert reconcile(unweighed, REASONS).notes == ()  # cost carries no weight by default
    zero = reconcile({Approach.INCOME: Money.of(100), Approach.MARKET: Money.of(0)}, REASONS)
    assert "by a factor of ∞" in zero.notes[0]


def test_overridden_weights_and_no_value() -> None:
    result = reconcile(
        {Approach.INCOME: Money.of(1_000), Approach.MARKET: Money.of(2_000)},
        REASONS,
        weights={Approach.INCOME: Decimal(1), Approach.MARKET: Decimal(3)},
    )
    assert result.value == Money.of(1_750)  # (1 × 1,000 + 3 × 2,000) / 4
    nothing = reconcile({}, REASONS)
    assert nothing.value is None
    assert "no approach" in nothing.notes[0]
    with pytest.raises(ValueError, match="negative"):
        reconcile({}, REASONS, weights={Approach.INCOME: Decimal(-1)})


values = st.one_of(st.none(), st.integers(0, 10**9))


@given(income=values, market=values, cost=values)
def test_arrays_agree_with_the_scalar_reconciliation(
    income: int | None, market: int | None, cost: int | None
) -> None:
    scalar = reconcile(
        {
            Approach.INCOME: None if income is None else Money.of(income),
            Approach.MARKET: None if market is None else Money.of(market),
            Approach.COST: None if cost is None else Money.of(cost),
        },
        REASONS,
    )

    def arr(v: int | None) -> np.ndarray:
        return np.array([np.nan if v is None else float(v)])

    vector = reconcile_arrays(arr(income), arr(market), arr(cost))[0]
    if scalar.value is None:
        assert np.isnan(vector)
    else:
        assert vector == pytest.approx(float(scalar.value.amount), abs=0.006)
        low = min(v for v in (income, market, cost) if v is not None)
        high = max(v for v in (income, market, cost) if v is not None)
        assert low - 0.01 <= vector <= high + 0.01

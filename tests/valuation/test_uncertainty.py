"""Uncertainty: seeded Monte Carlo percentiles and the one-at-a-time tornado."""

from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import Money
from valuation.income import IncomeInputs, income_value
from valuation.income_kernel import income_kernel
from valuation.uncertainty import (
    Spreads,
    default_draws,
    income_draws,
    simulate,
    tornado,
    triangular_shocks,
    value_range,
)

ZERO_SPREADS = Spreads(
    royalty_relative=Decimal(0),
    growth_absolute=Decimal(0),
    discount_absolute=Decimal(0),
    life_relative=Decimal(0),
)


def forecast_inputs(**changes: Any) -> IncomeInputs:
    """The first relief-from-royalty oracle of docs/DOMAIN.md §3 (explicit forecast)."""
    data: dict[str, Any] = {
        "revenues": tuple(
            Money.of(x) for x in ("1000000", "1100000", "1200000", "1300000", "1400000")
        ),
        "royalty_rate": "0.05",
        "discount_rate": "0.12",
        "tax_rate": "0.25",
        "economic_life_years": "5",
    }
    return IncomeInputs.model_validate(data | changes)


def growth_inputs(**changes: Any) -> IncomeInputs:
    """The second relief-from-royalty oracle of docs/DOMAIN.md §3 (base revenue and growth)."""
    data: dict[str, Any] = {
        "base_revenue": Money.of("50000000"),
        "growth": "0.08",
        "royalty_rate": "0.04",
        "discount_rate": "0.14",
        "tax_rate": "0.25",
        "economic_life_years": "8",
    }
    return IncomeInputs.model_validate(data | changes)


def batch(size: int, seed: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "revenue": rng.lognormal(16, 1, size),
        "growth": rng.uniform(-0.05, 0.15, size),
        "royalty": rng.uniform(0.01, 0.1, size),
        "tax": np.full(size, 0.25),
        "discount": rng.uniform(0.12, 0.18, size),
        "life": rng.uniform(1, 15, size),
        "legal_term": rng.uniform(0, 20, size),
    }


def test_spreads_are_data_with_sources() -> None:
    spreads = Spreads.from_data()
    assert spreads.royalty_relative > 0
    assert {c.source_id for c in spreads.constants} == {"PATENTVAL-MC-SPREADS"}
    assert default_draws() == 1000


def test_triangular_shocks_are_standard() -> None:
    z = triangular_shocks(seed=1, draws=200_000)
    assert z.shape == (4, 200_000)
    assert z.min() >= -1.0
    assert z.max() <= 1.0
    assert np.abs(z.mean(axis=1)).max() < 0.01
    assert z.var(axis=1) == pytest.approx(np.full(4, 1 / 6), rel=0.02)  # variance of Tri(−1, 0, 1)
    with pytest.raises(ValueError, match="draw"):
        triangular_shocks(seed=1, draws=0)


@settings(deadline=None, max_examples=25)
@given(st.integers(min_value=0, max_value=2**32), st.integers(min_value=1, max_value=50))
def test_percentiles_are_ordered(seed: int, size: int) -> None:
    result = simulate(**batch(size, seed % 1000), seed=seed, draws=200)
    assert np.all(result.p10 <= result.p50)
    assert np.all(result.p50 <= result.p90)
    assert np.all(result.p10 >= 0)


def test_same_seed_same_numbers_different_seed_different_numbers() -> None:
    inputs = batch(500)
    first = simulate(**inputs, seed=42, draws=300)
    again = simulate(**inputs, seed=42, draws=300)
    other = simulate(**inputs, seed=43, draws=300)
    assert np.array_equal(first.p50, again.p50)
    assert np.array_equal(first.p10, again.p10)
    assert not np.array_equal(first.p50, other.p50)


def test_a_patent_does_not_depend_on_its_batch_chunks_or_threads() -> None:
    inputs = batch(3000)
    together = simulate(**inputs, seed=9, draws=1000, workers=2)
    alone = simulate(**{k: v[1234:1235] for k, v in inputs.items()}, seed=9, draws=1000, workers=1)
    assert alone.p10[0] == together.p10[1234]
    assert alone.p90[0] == together.p90[1234]


def test_zero_spreads_reproduce_the_point_value() -> None:
    inputs = batch(100)
    result = simulate(**inputs, seed=1, draws=50, spreads=ZERO_SPREADS)
    period = np.minimum(inputs["life"], inputs["legal_term"])
    point = income_kernel(
        inputs["revenue"], inputs["growth"], inputs["royalty"], inputs["tax"], inputs["discount"],
        period,
    )  # fmt: skip
    assert result.p10 == pytest.approx(point, rel=1e-12)
    assert result.p90 == pytest.approx(point, rel=1e-12)


def test_unlimited_life_means_the_legal_term_binds() -> None:
    result = simulate(1e6, 0.05, 0.05, 0.25, 0.12, np.inf, 4.0, seed=1, draws=100)
    assert np.isfinite(result.p50).all()
    assert result.p90[0] > result.p10[0] > 0


@pytest.mark.parametrize("make", [forecast_inputs, growth_inputs])
def test_value_range_of_one_patent(make: Any) -> None:
    inputs = make()
    result = value_range(inputs, Decimal(10), seed=2024)
    point = income_value(inputs, Decimal(10)).value
    assert result.p10 <= result.p50 <= result.p90
    assert result.p10 < point < result.p90
    assert result.draws == default_draws()
    assert value_range(inputs, Decimal(10), seed=2024) == result
    assert value_range(inputs, Decimal(10), seed=2025).p50 != result.p50
    cited = {c.source_id for c in result.audit.constants}
    assert "PATENTVAL-MC-SPREADS" in cited
    flat = value_range(inputs, Decimal(10), seed=1, draws=20, spreads=ZERO_SPREADS)
    for value in (flat.p10, flat.p50, flat.p90):
        assert abs(value.amount - point.amount) <= Decimal("0.01")


@pytest.mark.parametrize("make", [forecast_inputs, growth_inputs])
def test_the_draws_are_those_the_range_takes_its_percentiles_from(make: Any) -> None:
    inputs = make()
    draws = income_draws(inputs, Decimal(10), seed=99, draws=500)
    spread = value_range(inputs, Decimal(10), seed=99, draws=500)
    assert draws.shape == (500,)
    quantiles = np.percentile(draws, (10, 50, 90))
    assert [round(float(q), 2) for q in quantiles] == [
        float(v.amount) for v in (spread.p10, spread.p50, spread.p90)
    ]
    assert np.array_equal(draws, income_draws(inputs, Decimal(10), seed=99, draws=500))


def test_one_patent_draws_the_batch_percentiles() -> None:
    inputs = growth_inputs()
    one = value_range(inputs, Decimal(8), seed=5, draws=300)
    batch_range = simulate(50_000_000.0, 0.08, 0.04, 0.25, 0.14, 8.0, 8.0, seed=5, draws=300)
    assert float(one.p50.amount) == pytest.approx(float(batch_range.p50[0]), abs=0.005)


def test_value_range_with_profit_basis_mid_year_and_tab() -> None:
    inputs = growth_inputs(
        basis="profit",
        operating_margin="0.2",
        royalty_rate="0.3",
        timing="mid_year",
        tax_amortisation_benefit=True,
    )
    flat = value_range(inputs, Decimal(10), seed=1, draws=10, spreads=ZERO_SPREADS)
    point = income_value(inputs, Decimal(10)).value.amount
    assert abs(flat.p50.amount - point) <= Decimal("0.01")


def test_tornado_sorts_bars_by_swing_and_moves_values_the_right_way() -> None:
    inputs = growth_inputs()
    result = tornado(inputs, Decimal(20))
    assert result.base_value == income_value(inputs, Decimal(20)).value
    swings = [bar.swing.amount for bar in result.bars]
    assert swings == sorted(swings, reverse=True)
    bars = {bar.name: bar for bar in result.bars}
    assert set(bars) == {"royalty_rate", "growth", "discount_rate", "economic_life_years"}
    assert (
        bars["royalty_rate"].value_at_high > result.base_value > bars["royalty_rate"].value_at_low
    )
    assert bars["discount_rate"].value_at_low > bars["discount_rate"].value_at_high
    assert bars["growth"].value_at_high > bars["growth"].value_at_low
    assert bars["economic_life_years"].value_at_high > bars["economic_life_years"].value_at_low
    spread = Spreads.from_data().royalty_relative
    assert bars["royalty_rate"].high_input == Decimal("0.04") * (1 + spread)


def test_tornado_life_bar_is_flat_when_the_legal_term_binds() -> None:
    result = tornado(growth_inputs(economic_life_years="30"), Decimal(5))
    life = next(bar for bar in result.bars if bar.name == "economic_life_years")
    assert life.swing == Money.zero()
    assert result.bars[-1].name == "economic_life_years"


def test_tornado_on_an_explicit_forecast() -> None:
    result = tornado(forecast_inputs(), Decimal(10))
    bars = {bar.name: bar for bar in result.bars}
    assert bars["growth"].value_at_high > result.base_value > bars["growth"].value_at_low
    assert bars["economic_life_years"].high_input == Decimal(5)  # capped at the forecast

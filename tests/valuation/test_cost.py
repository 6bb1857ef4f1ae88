"""Cost approach: references by hand, not-applied case, batch = single, term helpers, properties."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import Money, Patent
from models.patent_number import check_character
from valuation.constants import parameter
from valuation.cost import (
    NOT_APPLIED,
    below_cost_floor,
    cost_approach,
    cost_approach_for_patent,
    cost_batch,
    obsolescence,
    replacement_cost_array,
)

TYPE_DIGIT = {"invention": 1, "utility_model": 2, "design": 3}


def make(kind: str = "invention", filing: date = date(2015, 3, 1), **fields: Any) -> Patent:
    digits = f"{filing.year}{TYPE_DIGIT[kind]}{fields.pop('serial', 123456):07d}"
    data: dict[str, Any] = {
        "number": f"ZL{digits}.{check_character(digits)}",
        "filing_date": filing,
        "grant_date": filing + timedelta(days=500),
    }
    return Patent.model_validate(data | fields)


def test_reference_by_hand() -> None:
    # C_rep = 1,000,000 × (1 + 0.15) = 1,150,000; o = 5 / 20 = 0.25;
    # V = 1,150,000 × (1 − 0.25) = 862,500.00
    result = cost_approach(
        Money.of("1000000"),
        elapsed_life_years=Decimal(5),
        total_life_years=Decimal(20),
        developer_profit_rate=Decimal("0.15"),
    )
    assert result.applicable
    assert result.replacement_cost == Money.of("1150000")
    assert result.obsolescence == Decimal("0.25")
    assert result.value == Money.of("862500.00")
    assert result.role == "floor_corroboration"
    assert [s.name for s in result.audit.steps] == [
        "obsolescence",
        "replacement cost",
        "cost value",
    ]


def test_default_developer_profit_comes_from_data_and_is_cited() -> None:
    default = parameter("cost_developer_profit_rate")
    result = cost_approach(
        Money.of("100"), elapsed_life_years=Decimal(0), total_life_years=Decimal(10)
    )
    assert result.developer_profit_rate == default.value
    assert result.value == Money.of(Decimal(100) * (1 + default.value))
    assert [c.name for c in result.audit.constants] == ["cost_developer_profit_rate"]
    assert any("corroboration only" in a for a in result.audit.assumptions)


def test_not_applied_without_rd_cost() -> None:
    result = cost_approach(None, elapsed_life_years=Decimal(3), total_life_years=Decimal(10))
    assert not result.applicable
    assert result.reason == NOT_APPLIED == "no R&D cost: cost approach not applied"
    assert result.value is None
    assert result.replacement_cost is None


def test_for_patent_uses_the_legal_term_by_default() -> None:
    # Filed 2015-03-01, base date 2025-03-01: 10 years elapsed, 10 left (expiry 2035-03-01);
    # o = 10 / 20 = 0.5; V = 2,000,000 × 1.15 × 0.5 = 1,150,000.00
    patent = make(filing=date(2015, 3, 1))
    result = cost_approach_for_patent(
        patent, Money.of("2000000"), at=date(2025, 3, 1), developer_profit_rate=Decimal("0.15")
    )
    assert result.elapsed_life_years == 10
    assert result.total_life_years == 20
    assert result.value == Money.of("1150000.00")


def test_for_patent_with_an_economic_life_rounds_half_even_at_the_end() -> None:
    # 10 years elapsed, 5 left: o = 10 / 15 = 2/3; V = 2,000,000 × 1.15 / 3 = 766,666.666… → .67
    result = cost_approach_for_patent(
        make(filing=date(2015, 3, 1)),
        Money.of("2000000"),
        at=date(2025, 3, 1),
        economic_life=Decimal(5),
        developer_profit_rate=Decimal("0.15"),
    )
    assert result.value == Money.of("766666.67")
    # Half-even: 0.25 × 1.0 × (1 − 0.5) = 0.125 → 0.12
    tie = cost_approach(
        Money.of("0.25"),
        elapsed_life_years=Decimal(1),
        total_life_years=Decimal(2),
        developer_profit_rate=Decimal(0),
    )
    assert tie.value == Money.of("0.12")


def test_obsolescence_is_clamped_and_refuses_a_negative_life() -> None:
    assert obsolescence(Decimal(30), Decimal(20)) == 1
    assert obsolescence(Decimal(-1), Decimal(20)) == 0
    assert obsolescence(Decimal(0), Decimal(0)) == 1  # no economic life at all
    with pytest.raises(ValueError, match="negative"):
        obsolescence(Decimal(1), Decimal(-1))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rd_cost": Money.of("-1")}, "R&D cost"),
        ({"developer_profit_rate": Decimal("-0.1")}, "profit"),
    ],
)
def test_bad_inputs_are_refused(kwargs: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {
        "rd_cost": Money.of("1"),
        "elapsed_life_years": Decimal(1),
        "total_life_years": Decimal(2),
    }
    with pytest.raises(ValueError, match=message):
        cost_approach(**(arguments | kwargs))


def test_below_cost_floor() -> None:
    cost = cost_approach(
        Money.of("1000"), elapsed_life_years=Decimal(0), total_life_years=Decimal(10)
    )
    assert below_cost_floor(Money.of("5000"), cost) is None
    assert "below the cost-approach floor" in (below_cost_floor(Money.of("10"), cost) or "")


# -- vectorised ---------------------------------------------------------------------------------


def test_kernel_matches_the_reference_and_keeps_nan() -> None:
    values = replacement_cost_array([1_000_000.0, np.nan, 50.0], [5, 5, 30], [20, 20, 20], 0.15)
    assert values[0] == pytest.approx(862_500.0)
    assert np.isnan(values[1])
    assert values[2] == 0.0


@st.composite
def patents(draw: st.DrawFn) -> Patent:
    kind = draw(st.sampled_from(list(TYPE_DIGIT)))
    filing = draw(st.dates(date(2004, 1, 1), date(2024, 12, 31)))
    return make(
        kind,
        filing,
        serial=draw(st.integers(1, 9_999_999)),
        term_adjustment_days=draw(st.integers(0, 800)),
    )


def frame(items: list[Patent], costs: list[float | None], *, typed: bool = True) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "patent_id": [str(p.number) for p in items],
            "patent_type": [p.patent_type.value if typed else None for p in items],
            "filing_date": [p.filing_date for p in items],
            "term_adjustment_days": [p.term_adjustment_days for p in items],
            "rd_cost": costs,
        },
        schema_overrides={"patent_type": pl.String, "rd_cost": pl.Float64},
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(patents(), min_size=1, max_size=8),
    st.dates(date(2000, 1, 1), date(2050, 1, 1)),
    st.booleans(),
    st.data(),
)
def test_batch_equals_single(
    items: list[Patent], at: date, typed: bool, data: st.DataObject
) -> None:
    costs = [data.draw(st.none() | st.integers(0, 10**9)) for _ in items]
    batch = cost_batch(
        frame(items, [None if c is None else float(c) for c in costs], typed=typed), at=at
    )
    for patent, cost, line in zip(items, costs, batch.iter_rows(named=True), strict=True):
        single = cost_approach_for_patent(patent, None if cost is None else Money.of(cost), at=at)
        assert line["cost_elapsed_years"] == pytest.approx(float(single.elapsed_life_years))
        assert line["cost_total_years"] == pytest.approx(float(single.total_life_years))
        assert line["cost_obsolescence"] == pytest.approx(float(single.obsolescence))
        if single.value is None:
            assert line["cost_value"] is None
        else:
            assert abs(line["cost_value"] - float(single.value.amount)) <= 0.01


def test_batch_reads_economic_life_and_string_dates() -> None:
    batch = cost_batch(
        pl.DataFrame(
            {
                "patent_id": ["ZL201510123456.1"],
                "filing_date": ["2015-03-01"],
                "economic_life": [5.0],
                "rd_cost": [2_000_000.0],
            }
        ),
        at=date(2025, 3, 1),
        developer_profit_rate=Decimal("0.15"),
    )
    assert batch["cost_value"][0] == 766_666.67  # as the single reference above


# -- properties ---------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    st.integers(0, 10**10),
    st.decimals(0, 40, places=2),
    st.decimals(0, 40, places=2),
    st.decimals("0.01", 40, places=2),
)
def test_value_is_non_negative_and_non_increasing_in_elapsed_life(
    cost: int, elapsed: Decimal, more: Decimal, total: Decimal
) -> None:
    def value(years: Decimal) -> Decimal:
        result = cost_approach(Money.of(cost), elapsed_life_years=years, total_life_years=total)
        assert result.value is not None
        return result.value.amount

    assert value(elapsed) >= 0
    assert value(elapsed + more) <= value(elapsed)

"""Inputs at the edge of what the engine values: a royalty decay of 1, rates out of their
bounds, and batch rows whose money or computed values would not fit the output."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import polars as pl
import pytest
from pydantic import ValidationError

from models.money import Money
from valuation.batch import value_frame
from valuation.engine import Financials
from valuation.income import IncomeInputs, income_value
from valuation.income_kernel import income_kernel, income_kernel_paths

BASE = date(2025, 6, 1)


@pytest.mark.parametrize("period", ["0.5", "1", "3", "3.4"])
def test_a_decay_of_one_keeps_the_first_years_royalty_and_nothing_after(period: str) -> None:
    inputs = IncomeInputs(
        base_revenue=Money.of("1000000"),
        royalty_rate=Decimal("0.05"),
        royalty_decay=Decimal(1),
        discount_rate=Decimal("0.1"),
        tax_rate=Decimal("0.25"),
    )
    exact = income_value(inputs, Decimal(period))
    first_year = Decimal(1000000 * 0.05 * 0.75) / Decimal("1.1")
    if Decimal(period) >= 1:
        assert exact.value == Money.of(first_year)
    n = float(period)
    closed = income_kernel(1e6, 0.0, 0.05, 0.25, 0.1, n, decay=1.0)
    paths = income_kernel_paths(np.full(5, 1e6), 0.05, 0.25, 0.1, n, decay=1.0)
    assert float(exact.value.amount) == pytest.approx(float(closed), abs=0.01)
    assert float(exact.value.amount) == pytest.approx(float(paths), abs=0.01)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("revenue_growth", "999999999999999999"),
        ("revenue_growth", "-0.95"),
        ("discount_rate", "-0.05"),
        ("discount_rate", "0"),
        ("discount_rate", "1.5"),
        ("economic_life", "0"),
        ("economic_life", "51"),
    ],
)
def test_financials_refuse_rates_and_lives_out_of_their_bounds(name: str, value: str) -> None:
    with pytest.raises(ValidationError, match="outside the range accepted"):
        Financials.model_validate({name: value})


def test_financials_take_the_ends_of_their_bounds() -> None:
    Financials(revenue_growth=Decimal("-0.9"), discount_rate=Decimal(1), economic_life=Decimal(50))
    Financials(revenue_growth=Decimal(1), discount_rate=Decimal("0.0001"))


def _rows(**columns: list[str]) -> pl.DataFrame:
    size = len(next(iter(columns.values())))
    base = {
        "patent_id": ["ZL201710601862.3"] * size,
        "filing_date": ["2017-07-25"] * size,
        "industry": ["electrical"] * size,
        "royalty_rate": ["0.05"] * size,
    }
    return pl.DataFrame({**base, **columns})


def test_a_money_cell_out_of_range_is_its_rows_error_and_the_others_are_valued() -> None:
    frame = _rows(
        revenue=["1000000", "1e300", "100000000000000000000", "2000000"],
        rd_cost=["100", "100", "-1", "100"],
    )
    out = value_frame(frame, base_date=BASE)
    errors = out["error"].to_list()
    assert errors[0] is None
    assert errors[3] is None
    assert errors[1] == "revenue: 1e300 is at or above 1000000000000000"
    assert errors[2] == (
        "revenue: 100000000000000000000 is at or above 1000000000000000; rd_cost: -1 is below 0"
    )
    assert out["value"][0] is not None
    assert out["value"][3] is not None
    assert out["value"][1] is None
    assert out["value"][2] is None


def test_rates_out_of_bounds_are_row_errors_as_in_the_engine() -> None:
    out = value_frame(
        _rows(
            revenue=["1000000"] * 3,
            revenue_growth=["999", "0", "0"],
            discount_rate=["0.1", "-0.05", "0.1"],
        ),
        base_date=BASE,
    )
    assert out["error"].to_list() == [
        "revenue_growth: 999 is above 1",
        "discount_rate: -0.05 is at or below 0",
        None,
    ]


def test_a_computed_value_too_large_for_the_output_is_its_rows_error() -> None:
    frame = _rows(
        revenue=["999999999999999", "1000000"],
        royalty_rate=["1", "0.05"],
        revenue_growth=["1", "0"],
        discount_rate=["0.0001", "0.1"],
        term_adjustment_days=["5000", "0"],
        economic_life=["50", ""],
    )
    out = value_frame(frame, base_date=BASE)
    assert out["error"][0].startswith("income_value: the computed value ")
    assert out["error"][0].endswith("is too large: values must be below 10^18")
    assert out["income_value"][0] is None
    assert out["max_loan"][0] is None
    assert out["error"][1] is None
    assert out["value"][1] is not None

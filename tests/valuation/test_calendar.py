"""The column forms of the calendar arithmetic agree with models.dates, date by date."""

from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.dates import add_years as add_years_date
from models.dates import years_between as years_between_date
from valuation.calendar import add_years, day_number, is_leap_year, years_between

EPOCH = date(1970, 1, 1)
LEAP_DAYS = st.sampled_from([date(y, 2, 29) for y in (4, 1600, 1904, 1996, 2000, 2004, 2024)])
# The model steps one anniversary past the later date, so both stay a year inside its range.
DATES = st.one_of(
    st.dates(max_value=date(9998, 12, 31)),
    LEAP_DAYS,
    st.dates(date(1990, 1, 1), date(2060, 12, 31)),
)
PAIRS = st.lists(st.tuples(DATES, DATES), min_size=1, max_size=60)


def pairs_frame(pairs: list[tuple[date, date]]) -> pl.DataFrame:
    return pl.DataFrame(
        {"start": [a for a, _ in pairs], "end": [b for _, b in pairs]},
        schema={"start": pl.Date, "end": pl.Date},
    )


@settings(max_examples=300, deadline=None)
@given(PAIRS)
def test_years_between_columns_match_the_model(pairs: list[tuple[date, date]]) -> None:
    got = pairs_frame(pairs).select(years_between(pl.col("start"), pl.col("end")))
    want = [float(years_between_date(a, b)) for a, b in pairs]
    assert got.to_series().to_list() == pytest.approx(want, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(DATES, st.lists(DATES, min_size=1, max_size=30))
def test_years_between_a_date_and_a_column_both_ways(at: date, dates: list[date]) -> None:
    frame = pl.DataFrame({"d": dates}, schema={"d": pl.Date})
    got = frame.select(
        forward=years_between(pl.lit(at), pl.col("d")),
        back=years_between(pl.col("d"), pl.lit(at)),
    )
    assert got["forward"].to_list() == pytest.approx(
        [float(years_between_date(at, d)) for d in dates], abs=1e-12
    )
    assert got["back"].to_list() == pytest.approx(
        [float(years_between_date(d, at)) for d in dates], abs=1e-12
    )


@pytest.mark.parametrize(
    ("start", "end", "years"),
    [
        (date(2004, 2, 29), date(2005, 2, 28), 1.0),
        (date(2004, 2, 29), date(2008, 2, 29), 4.0),
        (date(2005, 2, 28), date(2004, 2, 29), -1.0),
        (date(2025, 3, 1), date(2015, 3, 1), -10.0),
        (date(2024, 6, 30), date(2024, 6, 30), 0.0),
    ],
)
def test_years_between_on_leap_days_and_negative_spans(
    start: date, end: date, years: float
) -> None:
    assert pl.select(years_between(pl.lit(start), pl.lit(end))).item() == years


def test_years_between_with_a_null_end_is_a_zero_span() -> None:
    frame = pl.DataFrame(
        {"start": [date(2020, 1, 1), None, None], "end": [None, date(2020, 1, 1), None]},
        schema={"start": pl.Date, "end": pl.Date},
    )
    got = frame.select(years_between(pl.col("start"), pl.col("end"))).to_series()
    assert got.to_list() == [0.0, 0.0, None]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(DATES, st.integers(-300, 300)), min_size=1, max_size=60))
def test_add_years_with_a_column_of_years_matches_the_model(
    rows: list[tuple[date, int]],
) -> None:
    rows = [(d, k) for d, k in rows if date.min.year <= d.year + k <= date.max.year]
    frame = pl.DataFrame(
        {"start": [d for d, _ in rows], "years": [k for _, k in rows]},
        schema={"start": pl.Date, "years": pl.Int64},
    )
    got = frame.select(add_years(pl.col("start"), pl.col("years"))).to_series().to_list()
    assert got == [add_years_date(d, k) for d, k in rows]


@given(DATES, st.integers(-50, 50))
def test_add_years_by_a_whole_number_matches_the_model(start: date, years: int) -> None:
    if not date.min.year <= start.year + years <= date.max.year:
        return
    assert pl.select(add_years(pl.lit(start), years)).item() == add_years_date(start, years)


def test_add_years_keeps_nulls_and_the_start_name() -> None:
    frame = pl.DataFrame(
        {"filing_date": [date(2004, 2, 29), None], "k": [None, 3]},
        schema={"filing_date": pl.Date, "k": pl.Int64},
    )
    got = frame.select(add_years(pl.col("filing_date"), pl.col("k")))
    assert got.columns == ["filing_date"]
    assert got.to_series().to_list() == [None, None]


@given(st.lists(st.dates(), min_size=1, max_size=60))
def test_day_numbers_are_days_since_1970(dates: list[date]) -> None:
    frame = pl.DataFrame({"d": dates}, schema={"d": pl.Date})
    parts = [pl.col("d").dt.year(), pl.col("d").dt.month(), pl.col("d").dt.day()]
    got = frame.select(day_number(*(p.cast(pl.Int64) for p in parts))).to_series().to_list()
    assert got == [(d - EPOCH).days for d in dates]
    assert [EPOCH + timedelta(days=n) for n in got] == dates


def test_leap_years_follow_the_gregorian_rule() -> None:
    years = [1900, 2000, 2023, 2024, 2100, 2400]
    got = pl.select(is_leap_year(pl.lit(pl.Series(years, dtype=pl.Int64)))).to_series()
    assert got.to_list() == [False, True, False, True, False, True]

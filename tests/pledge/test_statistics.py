"""Pledge statistics, each figure checked against a plain-Python count of the same rows."""

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pledge.statistics import (
    Dimension,
    StatisticsInputError,
    check_frame,
    live_as_of,
    pledge_statistics,
    registrations,
)

Row = dict[str, Any]

TABLE = """
P1  2023-05-10  -           ICBC   biomedicine          invention      E1  3  5000000.00  4000000.00
P2  2023-11-02  2024-06-30  ICBC   textiles             utility_model  E2  1  800000.00   0.00
P3  2024-01-15  -           BOC    biomedicine          invention      E1  2  3000000.50  2999999.99
P4  2024-06-30  -           BOC    new_energy_vehicles  design         E3  5  1200000.00  1100000.00
P5  2024-07-01  -           JHRCB  textiles             utility_model  E4  1  500000.00   500000.00
P6  2022-12-31  2024-01-14  JHRCB  hardware             invention      E2  4  2500000.00  0.00
"""
COLUMNS = [
    "pledge_id",
    "registered_on",
    "released_on",
    "bank",
    "industry",
    "patent_type",
    "enterprise",
    "patent_count",
    "secured_amount",
    "outstanding",
]


def table_rows() -> list[Row]:
    """The rows of TABLE, typed as the frame expects ('-' is a pledge not released)."""
    rows = []
    for line in TABLE.strip().splitlines():
        row: Row = dict(zip(COLUMNS, line.split(), strict=True))
        row["registered_on"] = date.fromisoformat(row["registered_on"])
        released = row["released_on"]
        row["released_on"] = None if released == "-" else date.fromisoformat(released)
        row["patent_count"] = int(row["patent_count"])
        row["secured_amount"] = Decimal(row["secured_amount"])
        row["outstanding"] = Decimal(row["outstanding"])
        rows.append(row)
    return rows


def frame(rows: list[Row]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "pledge_id": pl.String,
            "registered_on": pl.Date,
            "released_on": pl.Date,
            "bank": pl.String,
            "industry": pl.String,
            "patent_type": pl.String,
            "enterprise": pl.String,
            "patent_count": pl.Int64,
            "secured_amount": pl.Decimal(38, 2),
            "outstanding": pl.Decimal(38, 2),
        },
    )


def key_of(row: Row, dimension: Dimension) -> Any:
    registered: date = row["registered_on"]
    if dimension is Dimension.MONTH:
        return registered.replace(day=1)
    if dimension is Dimension.YEAR:
        return registered.year
    return row[dimension.value]


def oracle(
    rows: list[Row], by: list[Dimension], outstanding: bool = True
) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """The figures by plain Python: count, sum and distinct over the rows of each group."""
    groups: defaultdict[tuple[Any, ...], list[Row]] = defaultdict(list)
    for row in rows:
        groups[tuple(key_of(row, d) for d in by)].append(row)
    result = {}
    for key, members in groups.items():
        figures: tuple[Any, ...] = (
            len(members),
            sum(r["patent_count"] for r in members),
            len({r["enterprise"] for r in members}),
            sum((r["secured_amount"] for r in members), Decimal(0)),
        )
        if outstanding:
            figures += (sum((r["outstanding"] for r in members), Decimal(0)),)
        result[key] = figures
    return result


def live(rows: list[Row], as_of: date) -> list[Row]:
    return [
        r
        for r in rows
        if r["registered_on"] <= as_of and (r["released_on"] is None or r["released_on"] >= as_of)
    ]


def observed(result: pl.DataFrame, by: list[Dimension]) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    names = [d.value for d in by]
    figures = [c for c in result.columns if c not in names]
    return {
        tuple(row[n] for n in names): tuple(row[f] for f in figures)
        for row in result.iter_rows(named=True)
    }


def test_totals_as_of_dates() -> None:
    rows = table_rows()
    # 30 Jun 2024: P1, P2 (released that day: still counts), P3, P4 (registered that day);
    # not P5 (registered later) nor P6 (released 14 Jan 2024).
    result = pledge_statistics(frame(rows), date(2024, 6, 30))
    assert result.row(0) == (
        4,
        3 + 1 + 2 + 5,
        3,  # E1, E2, E3
        Decimal("10000000.50"),  # 5,000,000 + 800,000 + 3,000,000.50 + 1,200,000
        Decimal("8099999.99"),  # 4,000,000 + 0 + 2,999,999.99 + 1,100,000
    )
    assert observed(result, []) == oracle(live(rows, date(2024, 6, 30)), [])
    assert isinstance(result["registered_amount"].dtype, pl.Decimal)
    assert isinstance(result["outstanding"].dtype, pl.Decimal)
    assert set(live_as_of(frame(rows), date(2024, 7, 1))["pledge_id"]) == {"P1", "P3", "P4", "P5"}
    assert set(live_as_of(frame(rows), date(2024, 1, 14))["pledge_id"]) == {"P1", "P2", "P6"}
    assert set(live_as_of(frame(rows), date(2024, 1, 15))["pledge_id"]) == {"P1", "P2", "P3"}
    assert pledge_statistics(frame(rows), date(2020, 1, 1)).row(0)[:3] == (0, 0, 0)


@pytest.mark.parametrize(
    "by",
    [
        [Dimension.BANK],
        [Dimension.INDUSTRY],
        [Dimension.PATENT_TYPE],
        [Dimension.MONTH],
        [Dimension.YEAR],
        [Dimension.BANK, Dimension.YEAR],
    ],
)
@pytest.mark.parametrize("as_of", [date(2023, 12, 31), date(2024, 6, 30), date(2025, 1, 1)])
def test_grouped_figures_match_plain_python(by: list[Dimension], as_of: date) -> None:
    rows = table_rows()
    result = pledge_statistics(frame(rows), as_of, by)
    assert observed(result, by) == oracle(live(rows, as_of), by)
    assert result.columns[: len(by)] == [d.value for d in by]


def test_by_bank_example() -> None:
    rows = table_rows()
    result = pledge_statistics(frame(rows), date(2024, 6, 30), [Dimension.BANK])
    assert result.to_dicts() == [
        {
            "bank": "BOC",
            "deals": 2,
            "patents": 7,
            "enterprises": 2,
            "registered_amount": Decimal("4200000.50"),
            "outstanding": Decimal("4099999.99"),
        },
        {
            "bank": "ICBC",
            "deals": 2,
            "patents": 4,
            "enterprises": 2,
            "registered_amount": Decimal("5800000.00"),
            "outstanding": Decimal("4000000.00"),
        },
    ]


def test_registrations_per_year_count_released_pledges_too() -> None:
    rows = table_rows()
    result = registrations(frame(rows), Dimension.YEAR)
    assert observed(result, [Dimension.YEAR]) == oracle(rows, [Dimension.YEAR], outstanding=False)
    assert observed(result, [Dimension.YEAR])[(2022,)] == (1, 4, 1, Decimal("2500000.00"))
    until = registrations(frame(rows), Dimension.MONTH, until=date(2024, 1, 15))
    assert observed(until, [Dimension.MONTH]) == oracle(
        [r for r in rows if r["registered_on"] <= date(2024, 1, 15)], [Dimension.MONTH], False
    )
    with pytest.raises(ValueError, match="per month or year"):
        registrations(frame(rows), Dimension.BANK)


def test_money_input_is_read_exactly() -> None:
    rows = table_rows()
    text = frame(rows).with_columns(
        pl.col("secured_amount").cast(pl.String), pl.lit("1.005").alias("outstanding")
    )
    typed = check_frame(text)
    assert typed["outstanding"].to_list()[0] == Decimal("1.005")
    # Live on 1 Jan 2025: P1, P3, P4, P5 — 5,000,000 + 3,000,000.50 + 1,200,000 + 500,000.
    assert pledge_statistics(text, date(2025, 1, 1))["registered_amount"][0] == Decimal(
        "9700000.50"
    )
    whole = frame(rows).with_columns(pl.lit(7).alias("outstanding"))
    assert check_frame(whole)["outstanding"].dtype == pl.Decimal(38, 0)


def test_dates_given_as_text_are_read_and_a_bad_one_is_named() -> None:
    rows = table_rows()
    typed = frame(rows)
    text = typed.with_columns(
        pl.col("registered_on").cast(pl.String),
        pl.col("released_on").cast(pl.String).fill_null(" "),
    )
    assert check_frame(text).equals(check_frame(typed))
    wrong = text.with_columns(
        pl.when(pl.int_range(pl.len()) == 1)
        .then(pl.lit("2025-02-30"))
        .otherwise("registered_on")
        .alias("registered_on")
    )
    with pytest.raises(StatisticsInputError) as refused:
        check_frame(wrong)
    assert str(refused.value) == "row 2: registered_on: '2025-02-30' is not a date (YYYY-MM-DD)"


def test_bad_frames_are_refused() -> None:
    good = frame(table_rows())
    with pytest.raises(StatisticsInputError, match="never float"):
        check_frame(good.with_columns(pl.col("outstanding").cast(pl.Float64)))
    with pytest.raises(StatisticsInputError, match="lacks columns"):
        check_frame(good.drop("bank"))
    with pytest.raises(StatisticsInputError, match="not decimal numbers"):
        check_frame(good.with_columns(pl.lit("lots").alias("outstanding")))
    with pytest.raises(StatisticsInputError, match="released before they were registered"):
        check_frame(good.with_columns(pl.lit(date(2000, 1, 1)).alias("released_on")))
    with pytest.raises(StatisticsInputError, match="pledge_id repeats"):
        check_frame(pl.concat([good, good]))
    with pytest.raises(StatisticsInputError, match="empty cells"):
        check_frame(good.with_columns(pl.lit(None, dtype=pl.String).alias("bank")))
    with pytest.raises(StatisticsInputError, match="negative amount"):
        check_frame(good.with_columns(pl.lit(-1).alias("outstanding")))
    with pytest.raises(ValueError, match="repeated"):
        pledge_statistics(good, date(2024, 1, 1), [Dimension.BANK, Dimension.BANK])


DAYS = st.dates(date(2020, 1, 1), date(2025, 12, 31))


@st.composite
def pledge_rows(draw: st.DrawFn) -> list[Row]:
    count = draw(st.integers(0, 25))
    rows = []
    for number in range(count):
        registered = draw(DAYS)
        released = draw(st.one_of(st.none(), st.dates(registered, date(2026, 12, 31))))
        rows.append(
            {
                "pledge_id": f"P{number}",
                "registered_on": registered,
                "released_on": released,
                "bank": draw(st.sampled_from(["ICBC", "BOC", "JHRCB"])),
                "industry": draw(st.sampled_from(["textiles", "biomedicine"])),
                "patent_type": draw(st.sampled_from(["invention", "utility_model", "design"])),
                "enterprise": draw(st.sampled_from(["E1", "E2", "E3", "E4"])),
                "patent_count": draw(st.integers(1, 20)),
                "secured_amount": draw(st.decimals(0, 10**9, places=2)),
                "outstanding": draw(st.decimals(0, 10**9, places=2)),
            }
        )
    return rows


@settings(max_examples=100, deadline=None)
@given(pledge_rows(), DAYS, st.lists(st.sampled_from(Dimension), max_size=2, unique=True))
def test_random_frames_match_plain_python(
    rows: list[Row], as_of: date, by: list[Dimension]
) -> None:
    result = pledge_statistics(frame(rows), as_of, by)
    expected = oracle(live(rows, as_of), by)
    if not by and not expected:
        expected = {(): (0, 0, 0, Decimal(0), Decimal(0))}
    assert observed(result, by) == expected

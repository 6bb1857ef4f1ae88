"""Batch rows are typed and checked; each bad row carries its field and reason, none is lost."""

from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import Patent
from models.dates import years_between as years_between_dates
from models.patent_number import check_character
from valuation.frame import normalise, years_between

AT = date(2025, 3, 1)


def check(rows: list[dict[str, str]]) -> pl.DataFrame:
    return normalise(pl.DataFrame(rows), AT).collect()


def test_good_rows_are_typed_and_derived() -> None:
    out = check(
        [
            {"patent_id": "ZL 2017 1 0601862.3", "filing_date": "2017-07-24", "claims": "10"},
            {"patent_id": "95115608.X", "filing_date": "1995-02-01", "claims": ""},
            {
                "patent_id": "US6699658B1",
                "jurisdiction": "us",
                "patent_type": "invention",
                "filing_date": "2001-01-09",
            },
        ]
    )
    assert out["error"].to_list() == [None, None, None]
    assert out["patent_id"].to_list() == ["ZL201710601862.3", "ZL95115608.X", "US6699658B1"]
    assert out["patent_type"].to_list() == ["invention"] * 3
    assert out["jurisdiction"].to_list() == ["CN", "CN", "US"]
    assert out["expiry_date"].to_list() == [date(2037, 7, 24), date(2015, 2, 1), date(2021, 1, 9)]
    assert out["claims"].to_list() == [10, None, None]
    assert out["legal_status"].to_list() == ["in_force"] * 3


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"patent_id": "201710601862.4"}, "patent_id: '201710601862.4' has check character '4'"),
        ({"patent_id": "nonsense"}, "patent_id: 'nonsense' is not a Chinese patent number"),
        (
            {"patent_id": "ZL٢٠١٧١٠٦٠١٨٦٢.٣"},  # Arabic-Indic digits: refused, as one at a time
            "patent_id: 'ZL٢٠١٧١٠٦٠١٨٦٢.٣' is not a Chinese patent number",
        ),
        ({"patent_type": "software"}, "patent_type: 'software' is not one of"),
        ({"patent_type": "design"}, "patent_type: 'design' contradicts the number"),
        ({"filing_date": "2017-02-30"}, "filing_date: '2017-02-30' is not a date"),
        ({"grant_date": "2016-01-01"}, "grant_date: 2016-01-01 is before filing date 2017-07-24"),
        ({"claims": "-2"}, "claims: -2 is below 0"),
        ({"claims": "many"}, "claims: 'many' is not a whole number"),
        ({"claims": "3.7"}, "claims: '3.7' is not a whole number"),
        ({"in_litigation": "perhaps"}, "in_litigation: 'perhaps' is not true or false"),
        ({"royalty_rate": "5"}, "royalty_rate: 5 is above 1"),
        ({"discount_rate": "-1"}, "discount_rate: -1 is at or below 0"),
        ({"legal_status": "sleeping"}, "legal_status: 'sleeping' is not one of"),
        ({"claims": "2", "independent_claims": "3"}, "independent_claims: more than claims"),
        ({"jurisdiction": "US", "patent_type": "design"}, "expiry_date: no statutory term"),
    ],
)
def test_each_bad_cell_is_named_with_its_reason(row: dict[str, str], message: str) -> None:
    good = {"patent_id": "ZL201710601862.3", "filing_date": "2017-07-24"}
    out = check([good, {**good, **row}])
    assert out["error"][0] is None
    assert message in out["error"][1]


def test_a_row_can_carry_several_errors() -> None:
    out = check([{"patent_id": "201710601862.4", "filing_date": "2017-07-24", "claims": "-1"}])
    assert out["error"][0].count(";") == 1


def test_required_columns_are_named() -> None:
    with pytest.raises(ValueError, match="filing_date"):
        normalise(pl.DataFrame({"patent_id": ["ZL201710601862.3"]}), AT)


@settings(deadline=None)  # one polars query per example: timing depends on the machine's load
@given(
    year=st.integers(2003, 2024),
    digit=st.sampled_from([1, 2, 3]),
    serial=st.integers(0, 9_999_999),
    filed=st.dates(date(2003, 1, 1), date(2024, 12, 31)),
    at=st.dates(date(2003, 1, 1), date(2045, 12, 31)),
)
def test_expiry_and_remaining_term_agree_with_the_patent_model(
    year: int, digit: int, serial: int, filed: date, at: date
) -> None:
    filed = filed.replace(year=year) if not (filed.month == 2 and filed.day == 29) else filed
    digits = f"{filed.year}{digit}{serial:07d}"
    number = f"ZL{digits}.{check_character(digits)}"
    patent = Patent(number=number, filing_date=filed, legal_status="pending")
    out = normalise(
        pl.DataFrame({"patent_id": [number], "filing_date": [filed.isoformat()]}), at
    ).collect()
    assert out["expiry_date"][0] == patent.expiry_date
    assert out["remaining_term"][0] == pytest.approx(float(patent.remaining_term(at)), abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(
    st.dates(date(1990, 1, 1), date(2060, 12, 31)), st.dates(date(1990, 1, 1), date(2060, 12, 31))
)
def test_years_between_matches_the_model(start: date, end: date) -> None:
    got = pl.select(years_between(pl.lit(start), pl.lit(end))).item()
    assert got == pytest.approx(float(years_between_dates(start, end)), abs=1e-12)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2004, 2, 29), date(2005, 2, 28)),
        (date(2004, 2, 29), date(2005, 3, 1)),
        (date(2004, 2, 29), date(2008, 2, 29)),
        (date(2003, 2, 28), date(2004, 2, 29)),
        (date(2025, 3, 1), date(2015, 3, 1)),
    ],
)
def test_years_between_on_leap_days(start: date, end: date) -> None:
    got = pl.select(years_between(pl.lit(start), pl.lit(end))).item()
    assert got == pytest.approx(float(years_between_dates(start, end)), abs=1e-12)


def test_expiry_prefers_a_given_date_adds_adjustments_and_knows_the_2021_design_rule() -> None:
    rows = [
        {"patent_id": "x", "patent_type": "design", "filing_date": "2021-05-31"},
        {"patent_id": "y", "patent_type": "design", "filing_date": "2021-06-01"},
        {"patent_id": "z", "patent_type": "invention", "filing_date": "2004-02-29"},
        {"patent_id": "w", "patent_type": "invention", "filing_date": "2004-02-29"},
    ]
    rows[2]["expiry_date"] = "2030-01-01"
    rows[3]["term_adjustment_days"] = "365"
    out = normalise(
        pl.DataFrame(rows)
        .with_columns(jurisdiction=pl.lit("US"))
        .with_columns(
            pl.when(pl.col("patent_type") == "design")
            .then(pl.lit("CN"))
            .otherwise("jurisdiction")
            .alias("jurisdiction")
        )
    ).collect()
    assert out["expiry_date"].to_list() == [
        date(2031, 5, 31),
        date(2036, 6, 1),
        date(2030, 1, 1),
        date(2025, 2, 28),
    ]

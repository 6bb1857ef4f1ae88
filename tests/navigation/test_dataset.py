"""The dataset as of a day: each row's status rebuilt from its dates."""

from datetime import date

import polars as pl
import pytest

from navigation.dataset import as_of, prepare, status_on


def rows(**fields: object) -> pl.LazyFrame:
    base = {
        "patent_id": "201710601862.3",  # DOMAIN.md §2 oracle: a valid invention application
        "filing_date": date(2017, 7, 21),
        "grant_date": date(2019, 5, 10),
        "legal_status": "in_force",
        "status_date": None,
    }
    return prepare(pl.DataFrame([base | fields], schema_overrides={"status_date": pl.Date}))


@pytest.mark.parametrize(
    ("fields", "day", "status"),
    [
        ({}, date(2017, 7, 20), None),
        ({}, date(2017, 7, 21), "pending"),
        ({}, date(2019, 5, 9), "pending"),
        ({}, date(2019, 5, 10), "in_force"),
        ({}, date(2037, 7, 21), "expired"),  # 20 years from filing
        (
            {"legal_status": "lapsed", "status_date": date(2021, 7, 21)},
            date(2021, 7, 20),
            "in_force",
        ),
        ({"legal_status": "lapsed", "status_date": date(2021, 7, 21)}, date(2021, 7, 21), "lapsed"),
        ({"legal_status": "lapsed"}, date(2019, 5, 10), "lapsed"),  # no date: from the grant
        (
            {"legal_status": "rejected", "grant_date": None, "status_date": date(2019, 9, 1)},
            date(2019, 8, 31),
            "pending",
        ),
        ({"legal_status": "withdrawn", "grant_date": None}, date(2017, 7, 21), "withdrawn"),
    ],
)
def test_status_on_a_day(fields: dict[str, object], day: date, status: str | None) -> None:
    assert rows(**fields).select(status_on(day)).collect().item() == status


@pytest.mark.parametrize(
    ("fields", "day", "status"),
    [
        # Fees paid through patent year 5: year 6's fee falls due 2022-07-21 (the filing day's
        # anniversary), the 6-month grace period (models/rules) ends 2023-01-20.
        ({"fees_paid_through_year": 5}, date(2023, 1, 20), "in_force"),
        ({"fees_paid_through_year": 5}, date(2023, 1, 21), "lapsed"),
        ({"fees_paid_through_year": 20}, date(2030, 1, 1), "in_force"),
        ({"fees_paid_through_year": None}, date(2030, 1, 1), "in_force"),  # not known
        ({"fees_paid_through_year": 5}, date(2037, 7, 21), "expired"),  # the term ended first
        ({"fees_paid_through_year": 5, "grant_date": None}, date(2030, 1, 1), "pending"),
    ],
)
def test_a_patent_whose_fee_grace_period_ended_unpaid_has_lapsed(
    fields: dict[str, object], day: date, status: str
) -> None:
    frame = as_of(rows(**fields), day).collect()
    assert frame["legal_status"].to_list() == [status]
    assert frame["current_status"].to_list() == ["in_force"]  # as the register records it


def test_the_fee_rule_is_chinese_only() -> None:
    abroad = rows(fees_paid_through_year=5, jurisdiction="US")
    assert abroad.select(status_on(date(2030, 1, 1), fees=True)).collect().item() == "in_force"
    home = rows(fees_paid_through_year=5, jurisdiction="CN")
    assert home.select(status_on(date(2030, 1, 1), fees=True)).collect().item() == "lapsed"


def test_as_of_keeps_rows_filed_by_then_with_their_remaining_term() -> None:
    frame = as_of(rows(), date(2027, 7, 21)).collect()
    assert frame["legal_status"].to_list() == ["in_force"]
    assert frame["current_status"].to_list() == ["in_force"]
    assert frame["remaining_term"].to_list() == [10.0]
    assert as_of(rows(), date(2017, 7, 20)).collect().height == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"status_date": "2019-13-01"}, "status_date: '2019-13-01' is not a date (YYYY-MM-DD)"),
        ({"status_date": "2016-01-01"}, "status_date: 2016-01-01 is before filing date 2017-07-21"),
        ({"patent_id": "201710601862.4"}, "expected '3'"),
    ],
)
def test_a_bad_row_names_the_field_and_the_reason(fields: dict[str, object], message: str) -> None:
    base = {"patent_id": "201710601862.3", "filing_date": "2017-07-21", "status_date": ""}
    error = prepare(pl.DataFrame([base | fields])).collect()["error"].item()
    assert message in error

"""The synthetic demo city: the reported figures reproduced from the data, deterministically."""

from datetime import date

import polars as pl
import pytest

from models.patent_number import PatentNumber
from navigation.analytics import Navigation, navigate
from navigation.city import city_patents, reported
from navigation.dataset import prepare

# Reported by the city for January–October 2019 (docs/DOMAIN.md §1, source JINHUA-2019).
APPLICATIONS, GRANTS, INVENTION_APPLICATIONS, INVENTION_GRANTS = 35_043, 20_770, 5_202, 1_403


@pytest.fixture(scope="module")
def city() -> pl.DataFrame:
    return city_patents()


@pytest.fixture(scope="module")
def figures(city: pl.DataFrame) -> Navigation:
    return navigate(city, date(2019, 10, 31))


def test_the_reported_figures_are_data_with_their_source() -> None:
    target = reported()
    assert (target.window_start, target.window_end) == (date(2019, 1, 1), date(2019, 10, 31))
    assert (target.applications, target.grants) == (APPLICATIONS, GRANTS)
    assert (target.invention_applications, target.invention_grants) == (
        INVENTION_APPLICATIONS,
        INVENTION_GRANTS,
    )


def test_navigation_reproduces_the_reported_period(figures: Navigation) -> None:
    period = {r["metric"]: r["current"] for r in figures.tables["period"].to_dicts()}
    assert period["applications"] == APPLICATIONS
    assert period["grants"] == GRANTS
    assert period["invention_applications"] == INVENTION_APPLICATIONS
    assert period["invention_grants"] == INVENTION_GRANTS
    assert figures.refused == 0


def test_history_grows_and_cultivated_industries_gain_share(figures: Navigation) -> None:
    trend = figures.tables["trend"].filter(pl.col("year") < 2019)
    assert trend.height >= 5
    assert (trend["applications"].diff().drop_nulls() > 0).all()
    mix = figures.tables["by_industry"].with_columns(
        share=pl.col("applications") / pl.col("applications").sum().over("year")
    )
    cultivated = {"new_energy_vehicles", "biomedicine", "optoelectronics"}
    shares = (
        mix.filter(pl.col("industry").is_in(cultivated))
        .group_by("year")
        .agg(pl.col("share").sum())
        .sort("year")["share"]
    )
    assert shares[-1] > 2 * shares[0]


def test_rows_are_valid_distinct_and_the_same_every_time(city: pl.DataFrame) -> None:
    assert prepare(city).filter(pl.col("error").is_not_null()).collect().height == 0
    assert city["patent_id"].n_unique() == city.height
    sample = city.sample(200, seed=1)
    for number, kind in zip(sample["patent_id"], sample["patent_type"], strict=True):
        assert PatentNumber.parse(number).patent_type.value == kind
    assert city_patents().equals(city)
    lapsed = city.filter(pl.col("legal_status") == "lapsed")
    assert (lapsed["status_date"] > lapsed["grant_date"]).all()

"""The synthetic demo city: the reported figures reproduced from the data, deterministically."""

from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from models.patent_number import PatentNumber
from navigation.analytics import Navigation, navigate
from navigation.city import city_patents, city_pledges, portfolio_patents, reported
from navigation.dataset import prepare
from pledge.demo import jinhua_portfolio
from pledge.statistics import pledge_statistics

# Reported by the city for January–October 2019 (docs/DOMAIN.md §1, source JINHUA-2019).
APPLICATIONS, GRANTS, INVENTION_APPLICATIONS, INVENTION_GRANTS = 35_043, 20_770, 5_202, 1_403


@pytest.fixture(scope="module")
def city() -> pl.DataFrame:
    return city_patents()


@pytest.fixture(scope="module")
def figures(city: pl.DataFrame) -> Navigation:
    return navigate(city, date(2019, 10, 31))


@pytest.fixture(scope="module")
def pledged(city: pl.DataFrame) -> Navigation:
    return navigate(city, date(2019, 11, 30), pledges=city_pledges())


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


def test_pledge_financing_is_the_demo_portfolios(pledged: Navigation) -> None:
    portfolio = jinhua_portfolio()
    total = pledged.tables["pledges"].row(0, named=True)
    assert total["registered_amount"] == Decimal("1170000000.00")
    expected = pledge_statistics(portfolio.pledge_frame(date(2019, 11, 30)), date(2019, 11, 30))
    assert total == expected.row(0, named=True)
    by_bank = pledged.tables["pledges_by_bank"]
    assert by_bank["registered_amount"].sum() == Decimal("1170000000.00")


def test_the_portfolios_firms_and_patents_are_in_the_city(
    city: pl.DataFrame, pledged: Navigation
) -> None:
    ours = portfolio_patents()
    assert ours["patent_id"].is_in(city["patent_id"].implode()).all()
    firms = {p.name for p in jinhua_portfolio().parties if p.kind.value == "enterprise"}
    assert firms <= set(city["applicant"])
    capacity = {r["applicant"]: r for r in pledged.tables["capacity"].to_dicts()}
    live = city_pledges().filter(
        pl.col("released_on").is_null() | (pl.col("released_on") >= date(2019, 11, 30))
    )
    live = live.filter(pl.col("registered_on") <= date(2019, 11, 30))
    owed = live.group_by("enterprise").agg(pl.col("outstanding").sum())
    for firm, outstanding in owed.iter_rows():
        assert capacity[firm]["borrowed"] == outstanding
        assert capacity[firm]["headroom"] == max(capacity[firm]["capacity"] - outstanding, 0)
    # a pledged patent is not eligible again while its pledge lives
    firm = owed.sort("outstanding", descending=True)["enterprise"][0]
    assert capacity[firm]["eligible_patents"] < capacity[firm]["valid_patents"]

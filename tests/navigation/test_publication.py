"""Navigation for publication: the pledge tables withhold what the statistics withhold, and no
firm's borrowing is shown."""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from navigation.analytics import PLEDGE_TABLES, Navigation, navigate
from navigation.output import write
from pledge.disclosure import SUPPRESSED, DisclosureRule
from pledge.statistics import Dimension, pledge_statistics, registrations
from tests.navigation.builders import dataset, pledge_frame

DAY = date(2019, 6, 30)
RULE = DisclosureRule.standard()


def pledges() -> pl.DataFrame:
    """Bank A lends to one firm; bank B to three (one of them also borrows from A)."""
    return pledge_frame(
        {
            "pledge_id": ["P1", "P2", "P3", "P4", "P5"],
            "registered_on": [
                date(2018, 5, 1),
                date(2018, 9, 1),
                date(2019, 1, 5),
                date(2019, 2, 1),
                date(2019, 3, 1),
            ],
            "released_on": [None] * 5,
            "bank": ["A", "B", "B", "B", "A"],
            "industry": ["textiles", "textiles", "hardware", "hardware", "textiles"],
            "patent_type": ["invention"] * 5,
            "enterprise": ["甲公司", "乙公司", "丙公司", "甲公司", "甲公司"],
            "patent_count": [1, 2, 1, 1, 3],
            "secured_amount": [
                Decimal("3000000.00"),
                Decimal("1250000.50"),
                Decimal("800000.00"),
                Decimal("500000.00"),
                Decimal("700000.00"),
            ],
            "outstanding": [
                Decimal("2000000.00"),
                Decimal("1000000.00"),
                Decimal("800000.00"),
                Decimal("400000.00"),
                Decimal("700000.00"),
            ],
        }
    )


@pytest.fixture(scope="module")
def result() -> Navigation:
    return navigate(pl.DataFrame(dataset(200, seed=8)), DAY, pledges=pledges())


def test_the_pledge_tables_are_those_the_statistics_publish(result: Navigation) -> None:
    published = result.for_publication(pledges(), RULE)
    frame = pledges()
    expected = {
        "pledges": pledge_statistics(frame, DAY, disclosure=RULE),
        "pledges_by_bank": pledge_statistics(frame, DAY, [Dimension.BANK], disclosure=RULE),
        "pledges_by_industry": pledge_statistics(frame, DAY, [Dimension.INDUSTRY], disclosure=RULE),
        "pledge_registrations": registrations(frame, Dimension.YEAR, until=DAY, disclosure=RULE),
    }
    for name in PLEDGE_TABLES:
        assert published.tables[name].equals(expected[name]), name
    by_bank = {r["bank"]: r for r in published.tables["pledges_by_bank"].to_dicts()}
    # bank A's pledges are one firm's: withheld, and so is B's, which A's would follow from
    assert by_bank["A"][SUPPRESSED]
    assert by_bank["A"]["registered_amount"] is None
    assert by_bank["B"][SUPPRESSED]
    assert by_bank["B"]["outstanding"] is None
    assert (by_bank["A"]["deals"], by_bank["B"]["enterprises"]) == (2, 3)
    total = published.tables["pledges"].row(0, named=True)
    assert not total[SUPPRESSED]
    assert total["registered_amount"] == Decimal("6250000.50")
    # unprotected, every amount is shown
    assert result.tables["pledges_by_bank"]["registered_amount"].null_count() == 0
    assert SUPPRESSED not in result.tables["pledges_by_bank"].columns


def test_a_publication_shows_no_firm_borrowing_and_says_what_it_withholds(
    result: Navigation, tmp_path: Path
) -> None:
    assert "borrowed" in result.tables["capacity"].columns
    published = result.for_publication(pledges(), RULE)
    assert {"borrowed", "headroom"}.isdisjoint(published.tables["capacity"].columns)
    assert "withheld" in published.definition("pledges_by_bank")
    assert "withheld" not in result.definition("pledges_by_bank")
    path = tmp_path / "published.json"
    write(published, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["disclosure"]["min_enterprises"] == RULE.min_enterprises
    assert data["disclosure"]["source_id"] == RULE.source_id
    table = data["tables"]["pledges_by_bank"]
    rows = [dict(zip(table["columns"], row, strict=True)) for row in table["rows"]]
    assert {r["bank"]: r["registered_amount"] for r in rows} == {"A": None, "B": None}
    write(result, path)
    assert json.loads(path.read_text(encoding="utf-8"))["disclosure"] is None


def test_without_the_pledges_counted_the_tables_cannot_be_protected(result: Navigation) -> None:
    with pytest.raises(ValueError, match="protected from the pledges"):
        result.for_publication(None, RULE)
    bare = navigate(pl.DataFrame(dataset(50, seed=2)), DAY)
    assert bare.for_publication(None, RULE).disclosure == RULE

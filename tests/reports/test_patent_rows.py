"""Patents for a report from a batch file: exact money, pledge columns, errors naming the field."""

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from models import Money
from models.enums import FeeReduction
from reports.patent_rows import InputError, patent_rows, read_frame
from tests.reports.conftest import BASE, OWNER, number
from valuation.batch import value_frame
from valuation.engine import value_patent


def row(**cells: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "patent_id": number(2017, 1, 601862),
        "title": "一种电池",
        "owners": OWNER,
        "filing_date": "2017-07-20",
        "grant_date": "2019-05-01",
        "claims": "12",
        "ipc": "H01M 10/052;H01M 4/00",
        "family_countries": "CN;US",
        "industry": "electrical",
        "inventors": "3",
        "licences": "2",
        "revenue": "20,000,000.10",
        "revenue_growth": "0.05",
        "royalty_rate": "0.033",
        "rd_cost": "3000000",
    }
    data.update(cells)
    return data


def frame(*rows: dict[str, Any]) -> pl.DataFrame:
    names = list(dict.fromkeys(k for r in rows for k in r))
    return pl.DataFrame(
        [{n: r.get(n) for n in names} for r in rows], schema=dict.fromkeys(names, pl.String)
    )


def test_a_row_becomes_a_patent_and_exact_financials() -> None:
    [first] = patent_rows(frame(row()), BASE)
    patent, financials = first.patent, first.financials
    assert patent.title == "一种电池"
    assert [o.name for o in patent.owners] == [OWNER]
    assert patent.ipc_codes == ["H01M 10/052", "H01M 4/00"]
    assert patent.family_countries == ["CN", "US"]
    assert len(patent.inventors) == 3
    assert len(patent.licences) == 2
    assert financials.revenue == Money.of("20000000.10")
    assert financials.royalty_rate == Decimal("0.033")
    assert financials.rd_cost == Money.of("3000000")
    assert first.valuation is None
    assert patent.expiry_date_given is None


def test_the_single_patent_value_equals_the_batch_row() -> None:
    source = frame(row())
    [first] = patent_rows(source, BASE)
    single = value_patent(first.patent, first.financials, base_date=BASE)
    batch = value_frame(source, base_date=BASE)
    assert single.value is not None
    assert batch["value"][0] == single.value.amount


def test_co_owners_share_equally_and_consents_are_read() -> None:
    owners = "甲公司; 乙公司 ;丙公司"
    [first] = patent_rows(frame(row(owners=owners, consenting_owners="乙公司")), BASE)
    shares = [o.share_percent for o in first.patent.owners]
    assert shares == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert [o.consents_to_pledge for o in first.patent.owners] == [False, True, False]


def test_pledge_columns_and_an_appraised_value() -> None:
    cells = row(
        fees_paid_through_year="8",
        fee_reduction="single",
        ownership_dispute="否",
        invalidation_pending="是",
        preservation_until="2025-12-31",
        valuation_base_date="2025-01-01",
        appraised_value="1,500,000.50",
        expiry_date="2037-07-20",
    )
    [first] = patent_rows(frame(cells), BASE)
    patent = first.patent
    assert patent.fees_paid_through_year == 8
    assert patent.fee_reduction is FeeReduction.SINGLE
    assert (patent.ownership_dispute, patent.invalidation_pending) == (False, True)
    assert patent.preservation_until == date(2025, 12, 31)
    assert patent.expiry_date_given == date(2037, 7, 20)
    assert first.valuation is not None
    assert first.valuation.value == Money.of("1500000.50")
    assert first.valuation.base_date == date(2025, 1, 1)


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ({"claims": "-3"}, "row 1 (ZL201710601862.3): claims: -3 is below 0"),
        ({"revenue": "lots"}, "revenue: 'lots' is not a number"),
        ({"filing_date": None}, "filing_date: required"),
        (
            {"filing_date": "2031-01-02", "grant_date": None},
            "filing_date: 2031-01-02 is after 2025-06-30, the date of the valuation",
        ),
        ({"ipc": "not an ipc"}, "ipc: 'NOT AN IPC' is not an IPC code"),
        ({"ownership_dispute": "maybe"}, "ownership_dispute: 'maybe' is not true or false"),
        ({"appraised_value": "100"}, "valuation_base_date: give it together with appraised_value"),
        ({"fee_reduction": "half"}, "fee_reduction: Input should be 'single' or 'joint'"),
    ],
)
def test_a_bad_row_is_refused_with_its_field_and_reason(
    cells: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError) as caught:
        patent_rows(frame(row(**cells)), BASE)
    assert message in str(caught.value)


def test_every_bad_row_is_listed_and_repeats_are_refused() -> None:
    good = row()
    rows = [row(claims="-1"), good, good, *[row(claims="x") for _ in range(25)]]
    with pytest.raises(InputError) as caught:
        patent_rows(frame(*rows), BASE)
    problems = caught.value.problems
    assert problems[0].startswith("row 1 ")
    assert any("appears more than once" in p for p in problems)
    assert "… and" in str(caught.value)
    with pytest.raises(InputError, match="no patents"):
        patent_rows(frame(good).clear(), BASE)
    with pytest.raises(InputError, match="lacks the required column"):
        patent_rows(pl.DataFrame({"title": ["x"]}), BASE)


def test_files_are_read_as_text_or_parquet(tmp_path: Path) -> None:
    csv_path = tmp_path / "p.csv"
    frame(row()).write_csv(csv_path)
    assert read_frame(csv_path)["revenue"][0] == "20,000,000.10"
    parquet = tmp_path / "p.parquet"
    typed = frame(row(revenue="20000000.10")).with_columns(
        pl.col("revenue").cast(pl.Float64), pl.col("royalty_rate").cast(pl.Float64)
    )
    typed.write_parquet(parquet)
    [first] = patent_rows(read_frame(parquet), BASE)
    assert first.financials.revenue == Money.of("20000000.10")
    assert first.financials.royalty_rate == Decimal("0.033")
    with pytest.raises(InputError, match="no such file"):
        read_frame(tmp_path / "missing.csv")
    with pytest.raises(InputError, match="no such file"):
        read_frame(tmp_path)
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(InputError, match=r"expected a \.csv or \.parquet"):
        read_frame(tmp_path / "x.json")
    (tmp_path / "broken.parquet").write_text("not parquet")
    with pytest.raises(InputError, match="cannot be read"):
        read_frame(tmp_path / "broken.parquet")


def test_a_row_filed_after_the_date_is_refused_only_where_the_engine_would_value_it() -> None:
    later = {
        "patent_id": number(2025, 1, 601862),
        "filing_date": "2025-07-01",
        "grant_date": None,
        "legal_status": "pending",
    }
    with pytest.raises(InputError) as caught:
        patent_rows(frame(row(**later), row(patent_id=number(2017, 1, 7))), BASE)
    assert caught.value.problems == (
        f"row 1 ({later['patent_id']}): filing_date: 2025-07-01 is after 2025-06-30, the date of "
        "the valuation",
    )
    valued = row(**later, appraised_value="100", valuation_base_date="2025-06-30")
    [given] = patent_rows(frame(valued), BASE)
    assert given.valuation is not None

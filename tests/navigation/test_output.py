"""Navigation files: JSON with every figure, stacked Parquet, and XLSX without formulas."""

import json
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from navigation.analytics import CAPACITY_WITHOUT_BORROWING, DEFINITIONS, Navigation, navigate
from navigation.output import write
from tests.navigation.builders import dataset

DAY = date(2019, 6, 30)


@pytest.fixture(scope="module")
def result() -> Navigation:
    rows = dataset(120, seed=3)
    rows[0]["applicant"] = '=HYPERLINK("http://example.com","x")'
    rows[1]["applicant"] = "@SUM(A1)"
    return navigate(pl.DataFrame(rows), DAY)


def test_json_holds_every_table_with_its_definition(result: Navigation, tmp_path: Path) -> None:
    path = tmp_path / "nav.json"
    write(result, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["as_of"] == "2019-06-30"
    assert data["period"] == {"start": "2019-01-01", "end": "2019-06-30"}
    assert set(data["tables"]) == set(result.tables)
    for name, table in result.tables.items():
        assert data["tables"][name]["columns"] == table.columns
        assert len(data["tables"][name]["rows"]) == table.height
        assert data["tables"][name]["definition"] == DEFINITIONS[name]
    capacity = data["tables"]["capacity"]
    first = dict(zip(capacity["columns"], capacity["rows"][0], strict=True))
    assert Decimal(first["capacity"]) == result.tables["capacity"]["capacity"][0]


def test_json_without_firm_borrowing_says_so(result: Navigation, tmp_path: Path) -> None:
    path = tmp_path / "nav.json"
    write(result.without_firm_borrowing(), path)
    capacity = json.loads(path.read_text(encoding="utf-8"))["tables"]["capacity"]
    assert capacity["definition"] == CAPACITY_WITHOUT_BORROWING
    assert "borrowed" not in capacity["columns"]
    assert "headroom" not in capacity["columns"]
    assert "borrows" in DEFINITIONS["capacity"]


def test_parquet_stacks_the_tables_and_keeps_decimals(result: Navigation, tmp_path: Path) -> None:
    path = tmp_path / "nav.parquet"
    write(result, path)
    stacked = pl.read_parquet(path)
    assert set(stacked["table"].unique()) == set(result.tables)
    capacity = stacked.filter(pl.col("table") == "capacity")
    assert capacity.height == result.tables["capacity"].height
    assert isinstance(capacity.schema["headroom"], pl.Decimal)


def test_xlsx_has_a_sheet_a_table_and_no_formula(result: Navigation, tmp_path: Path) -> None:
    path = tmp_path / "nav.xlsx"
    write(result, path)
    with zipfile.ZipFile(path) as book:
        names = book.namelist()
        sheets = [n for n in names if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == len(result.tables) + 1
        strings = book.read("xl/sharedStrings.xml").decode("utf-8")
        cells = "".join(book.read(s).decode("utf-8") for s in sheets)
    assert "<f>" not in cells
    assert "&apos;=HYPERLINK" in strings or "'=HYPERLINK" in strings
    assert "'@SUM(A1)" in strings


def test_an_unknown_format_is_refused(result: Navigation, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"expected \.json, \.parquet or \.xlsx"):
        write(result, tmp_path / "nav.txt")

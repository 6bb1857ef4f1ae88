"""Spreadsheet-safe cells: a text cell that a spreadsheet would run as a formula is escaped;
numbers, decimals and dates are left as they are, a negative amount included."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl

from valuation.cells import FORMULA_PREFIXES, safe_text, spreadsheet_safe


def test_every_formula_prefix_is_escaped_and_plain_text_is_not() -> None:
    for prefix in FORMULA_PREFIXES:
        assert safe_text(f"{prefix}SUM(A1:A9)") == f"'{prefix}SUM(A1:A9)"
    for text in ("一种示例装置", "ZL201910601862.2", "", "a=b", "3-1", " =x"):
        assert safe_text(text) == text


def test_text_columns_are_neutralised_and_numeric_columns_keep_their_values() -> None:
    frame = pl.DataFrame(
        {
            "title": ['=HYPERLINK("http://x","y")', "+1", "-2", "@A1", "\tx", "plain"],
            "note": ["-3.5", None, "ok", "=1", "x", "y"],
            "amount": [Decimal("-1.50"), Decimal("2"), Decimal("0"), None, Decimal("-7"), None],
            "count": [-1, 2, -3, 4, -5, 6],
            "rate": [-0.5, 0.1, 0.2, 0.3, 0.4, 0.5],
            "on": [date(2025, 6, 1)] * 6,
        },
        schema_overrides={"amount": pl.Decimal(20, 2)},
    )
    safe = spreadsheet_safe(frame)
    assert safe.schema == frame.schema
    assert safe["title"].to_list() == [
        '\'=HYPERLINK("http://x","y")',
        "'+1",
        "'-2",
        "'@A1",
        "'\tx",
        "plain",
    ]
    assert safe["note"].to_list() == ["'-3.5", None, "ok", "'=1", "x", "y"]
    for numeric in ("amount", "count", "rate", "on"):
        assert safe[numeric].to_list() == frame[numeric].to_list()
    csv = safe.write_csv()
    assert "\n-1.50," in csv or ",-1.50," in csv  # a negative amount is still a number
    assert not any(line.startswith(("=", "+", "@")) for line in csv.splitlines())


def test_a_frame_without_text_is_returned_as_it_is() -> None:
    frame = pl.DataFrame({"count": [-1, 2]})
    assert spreadsheet_safe(frame) is frame

"""Text cells that a spreadsheet will not run: the one rule for every CSV and XLSX the project
writes.

A spreadsheet reads a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and, in some, a tab or
a carriage return) as a formula, so a patent title or a party name such as
``=HYPERLINK("http://…")`` would run when the file is opened. Every text cell that begins with
one of those characters is written with a leading apostrophe (``'=HYPERLINK(…)``), which
spreadsheets show as text; numbers, decimals and dates are typed columns and are left alone (a
negative amount stays a number). The same rule applies to CSV and XLSX, so the two exports of one
table read the same.
"""

from __future__ import annotations

import polars as pl

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""What a text cell may not begin with unescaped."""
ESCAPE = "'"
_LEADING = "^[" + "".join("\\" + c if c not in "\t\r" else c for c in FORMULA_PREFIXES) + "]"


def safe_text(text: str) -> str:
    """``text`` as a cell no spreadsheet reads as a formula."""
    return ESCAPE + text if text.startswith(FORMULA_PREFIXES) else text


def neutralised(column: pl.Expr) -> pl.Expr:
    """A text column whose cells no spreadsheet reads as formulas (see :func:`safe_text`)."""
    return pl.when(column.str.contains(_LEADING)).then(pl.lit(ESCAPE) + column).otherwise(column)


def spreadsheet_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every text column neutralised, ready for CSV or XLSX."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    if not text:
        return frame
    return frame.with_columns(neutralised(pl.col(name)).alias(name) for name in text)

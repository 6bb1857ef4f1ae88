"""Navigation figures as files: JSON (every figure), Parquet (every table, stacked) and XLSX.

* **JSON**: the as-of day, the period, what was read and refused, the engine version, the
  disclosure rule of a publication (null otherwise), each table's definition, and each table as
  ``{"columns": [...], "rows": [[...], ...]}``; money is a decimal string, dates ISO, so no
  figure goes through a float.
* **Parquet**: every table in one file, stacked with a leading ``table`` column (a column a table
  lacks is null on its rows); money stays Decimal.
* **XLSX**: a sheet a table, and a first sheet that says what the workbook holds. Text cells are
  written as text, never as formulas, and a cell that begins with ``=``, ``+``, ``-`` or ``@`` is
  prefixed with an apostrophe so that no spreadsheet reads it as one (:mod:`valuation.cells`,
  the rule of every CSV and XLSX the project writes).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from navigation.analytics import Navigation
from valuation.cells import spreadsheet_safe


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def as_json(result: Navigation) -> dict[str, Any]:
    """Every figure of ``result`` as JSON-ready data."""
    return {
        "as_of": result.as_of.isoformat(),
        "period": {"start": result.period_start.isoformat(), "end": result.as_of.isoformat()},
        "rows": {"read": result.rows, "refused": result.refused},
        "refusals": [
            dict(zip(result.refusals.columns, r, strict=True))
            for r in result.refusals.head(100).iter_rows()
        ],
        "engine_version": result.engine_version,
        "disclosure": None
        if result.disclosure is None
        else {
            "min_enterprises": result.disclosure.min_enterprises,
            "source_id": result.disclosure.source_id,
            "source": result.disclosure.source,
        },
        "tables": {
            name: {
                "definition": result.definition(name),
                "columns": table.columns,
                "rows": [[_plain(v) for v in row] for row in table.iter_rows()],
            }
            for name, table in result.tables.items()
        },
    }


def _stacked(result: Navigation) -> pl.DataFrame:
    tables = [t.select(pl.lit(name).alias("table"), pl.all()) for name, t in result.tables.items()]
    return pl.concat(tables, how="diagonal_relaxed")


def _xlsx(result: Navigation, path: Path) -> None:
    from xlsxwriter import Workbook

    with Workbook(path, {"strings_to_formulas": False, "strings_to_urls": False}) as book:
        about = pl.DataFrame(
            {
                "table": list(result.tables),
                "definition": [result.definition(n) for n in result.tables],
            }
        ).with_columns(as_of=pl.lit(result.as_of), engine_version=pl.lit(result.engine_version))
        spreadsheet_safe(about).write_excel(book, worksheet="about", autofit=True)
        for name, table in result.tables.items():
            spreadsheet_safe(table).write_excel(book, worksheet=name[:31], autofit=True)


def write(result: Navigation, path: Path) -> None:
    """Write ``result`` to ``path`` in the format its suffix names (.json, .parquet, .xlsx)."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        path.write_text(json.dumps(as_json(result), ensure_ascii=False, indent=1), encoding="utf-8")
    elif suffix == ".parquet":
        _stacked(result).write_parquet(path)
    elif suffix == ".xlsx":
        _xlsx(result, path)
    else:
        raise ValueError(f"{path}: expected .json, .parquet or .xlsx")

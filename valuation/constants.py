"""Valuation constants as data.

Every number the engine assumes (a risk premium, a royalty band, a haircut, a weight) is a row of a
CSV file under ``valuation/data/`` with a ``source_id`` that a ``sources*.csv`` file explains.
Scalars live in ``parameters*.csv`` files (``name, value, unit, source_id``), one per topic; tables
have a file each. Files are read once per process. Results cite the constants they used with
``valuation.audit.cite``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources

from models.rules import Source


@dataclass(frozen=True, slots=True)
class Constant:
    """A named scalar with its unit and source."""

    name: str
    value: Decimal
    unit: str
    source_id: str


class UnknownConstantError(KeyError):
    """A constant or table that the data files do not define."""


def read_table(name: str) -> tuple[dict[str, str], ...]:
    """Rows of ``valuation/data/<name>.csv``; every row must carry a known ``source_id``."""
    return _read_table(name)


@cache
def _read_table(name: str) -> tuple[dict[str, str], ...]:
    path = resources.files("valuation").joinpath("data", f"{name}.csv")
    if not path.is_file():
        raise UnknownConstantError(f"no data table {name!r}")
    rows = tuple(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    if not name.startswith("sources"):
        known = sources()
        for number, row in enumerate(rows, start=2):
            if row.get("source_id") not in known:
                raise UnknownConstantError(
                    f"{name}.csv line {number}: source_id {row.get('source_id')!r} "
                    "is not in sources.csv"
                )
    return rows


def _topic_files(prefix: str) -> list[str]:
    folder = resources.files("valuation").joinpath("data")
    names = (entry.name for entry in folder.iterdir())
    return sorted(n[:-4] for n in names if n.startswith(prefix) and n.endswith(".csv"))


@cache
def sources() -> dict[str, Source]:
    """Every source id with its citation, from all ``sources*.csv`` files."""
    result: dict[str, Source] = {}
    for name in _topic_files("sources"):
        for row in _read_table(name):
            if row["source_id"] in result:
                raise UnknownConstantError(f"source_id {row['source_id']!r} defined twice")
            result[row["source_id"]] = Source(**row)
    return result


@cache
def _parameters() -> dict[str, Constant]:
    result: dict[str, Constant] = {}
    for name in _topic_files("parameters"):
        for row in read_table(name):
            if row["name"] in result:
                raise UnknownConstantError(f"parameter {row['name']!r} defined twice")
            result[row["name"]] = Constant(
                name=row["name"],
                value=Decimal(row["value"]),
                unit=row["unit"],
                source_id=row["source_id"],
            )
    return result


def parameter(name: str) -> Constant:
    """The scalar constant ``name`` from the ``parameters*.csv`` files."""
    try:
        return _parameters()[name]
    except KeyError:
        raise UnknownConstantError(f"no parameter {name!r} in parameters*.csv") from None

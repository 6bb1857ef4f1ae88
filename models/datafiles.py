"""Constants as data: CSV tables in a package folder, every row citing a source.

Each package keeps its rules and constants in CSV files (``models/rules/``, ``valuation/data/``,
``pledge/data/``). A row carries a ``source_id`` that a ``sources*.csv`` file of the same folder,
or of a folder it builds on, explains. Scalars live in ``parameters*.csv`` files
(``name, value, unit, source_id``), one per topic; tables have a file each. Files are read once per
process.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources


@dataclass(frozen=True, slots=True)
class Source:
    """A source of constants. ``checked`` is false while a figure rests on a secondary source or
    on judgement and has not been checked against its primary source; ``to_check`` says what
    is still to be checked, when more than that."""

    source_id: str
    title: str
    reference: str
    checked: bool = True
    to_check: str = ""

    @classmethod
    def of_row(cls, row: dict[str, str], where: str) -> Source:
        """The source of a ``sources*.csv`` row (``checked`` is yes or no)."""
        checked = {"yes": True, "no": False}.get(row.get("checked", ""))
        if checked is None:
            raise UnknownConstantError(
                f"{where}: source {row['source_id']!r}: checked must be yes or no, "
                f"not {row.get('checked')!r}"
            )
        to_check = row.get("to_check") or ""
        if checked and to_check:
            raise UnknownConstantError(
                f"{where}: source {row['source_id']!r} is checked but names something to check"
            )
        return cls(row["source_id"], row["title"], row["reference"], checked, to_check)


@dataclass(frozen=True, slots=True)
class Constant:
    """A named scalar with its unit and source."""

    name: str
    value: Decimal
    unit: str
    source_id: str


class UnknownConstantError(KeyError):
    """A constant, table or source that the data files do not define."""


class DataFiles:
    """The CSV data of ``package``'s ``folder``; rows may also cite the sources of ``cites``."""

    def __init__(self, package: str, folder: str = "data", *, cites: tuple[DataFiles, ...] = ()):
        self.package, self.folder, self.cites = package, folder, cites
        self._tables: dict[str, tuple[dict[str, str], ...]] = {}
        self._sources: dict[str, Source] | None = None
        self._parameters: dict[str, Constant] | None = None

    def _path(self, name: str) -> resources.abc.Traversable:
        return resources.files(self.package).joinpath(self.folder, f"{name}.csv")

    def _names(self, prefix: str) -> list[str]:
        folder = resources.files(self.package).joinpath(self.folder)
        names = (entry.name for entry in folder.iterdir())
        return sorted(n[:-4] for n in names if n.startswith(prefix) and n.endswith(".csv"))

    def _rows(self, name: str) -> tuple[dict[str, str], ...]:
        path = self._path(name)
        if not path.is_file():
            raise UnknownConstantError(f"no data table {name!r} in {self.package}/{self.folder}")
        return tuple(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))

    def own_sources(self) -> dict[str, Source]:
        """The sources this folder's ``sources*.csv`` files define."""
        result: dict[str, Source] = {}
        for name in self._names("sources"):
            for row in self._rows(name):
                if row["source_id"] in result:
                    raise UnknownConstantError(f"source_id {row['source_id']!r} defined twice")
                where = f"{self.package}/{self.folder}/{name}.csv"
                result[row["source_id"]] = Source.of_row(row, where)
        return result

    def sources(self) -> dict[str, Source]:
        """Every source a row of this folder may cite: its own and those of ``cites``."""
        if self._sources is None:
            merged: dict[str, Source] = {}
            for other in self.cites:
                merged.update(other.sources())
            own = self.own_sources()
            if clash := sorted(set(own) & set(merged)):
                raise UnknownConstantError(f"source ids defined twice: {clash}")
            self._sources = merged | own
        return self._sources

    def read_table(self, name: str) -> tuple[dict[str, str], ...]:
        """Rows of ``<name>.csv``; every row must carry a known ``source_id``."""
        if name not in self._tables:
            rows = self._rows(name)
            known = self.sources()
            for number, row in enumerate(rows, start=2):
                if row.get("source_id") not in known:
                    raise UnknownConstantError(
                        f"{self.package}/{self.folder}/{name}.csv line {number}: source_id "
                        f"{row.get('source_id')!r} is not in a sources file"
                    )
            self._tables[name] = rows
        return self._tables[name]

    def parameters(self) -> dict[str, Constant]:
        """Every scalar constant of the ``parameters*.csv`` files, by name."""
        if self._parameters is None:
            found: dict[str, Constant] = {}
            for table in self._names("parameters"):
                for row in self.read_table(table):
                    if row["name"] in found:
                        raise UnknownConstantError(f"parameter {row['name']!r} defined twice")
                    found[row["name"]] = Constant(
                        name=row["name"],
                        value=Decimal(row["value"]),
                        unit=row["unit"],
                        source_id=row["source_id"],
                    )
            self._parameters = found
        return self._parameters

    def parameter(self, name: str) -> Constant:
        """The scalar constant ``name`` from the ``parameters*.csv`` files."""
        try:
            return self.parameters()[name]
        except KeyError:
            raise UnknownConstantError(
                f"no parameter {name!r} in {self.package}/{self.folder}/parameters*.csv"
            ) from None


RULES = DataFiles("models", "rules")
"""The statutory rules of ``models/rules/``."""

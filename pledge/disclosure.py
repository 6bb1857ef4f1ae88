"""Disclosure control of pledge statistics: a cell with few enterprises shows its counts, not
its amounts.

A regulator publishes aggregates, never one borrower's figures. A cell of a table that only one
or two enterprises make up would show them all the same: the one pledge of a bank with one
borrower, the one registration of a month. :func:`withheld` applies the threshold rule and
withholds the amounts of such cells (primary suppression). It then withholds the amounts of
further cells so that no withheld amount follows from the published ones by one subtraction
(secondary suppression).

**The tables.** Every table that can be asked for is protected at once, with one pattern: the
lattice of the tables by every subset of bank, industry and patent type, each in total, per
year or per month of registration (24 tables). A cell is the same cell in every request, so a
table cannot reveal what another withholds.

**The rule.** A cell is sensitive when 0 < enterprises < ``min_enterprises`` (an empty cell
shows nothing). A cell P of a table and the cells G of a finer table that make it up
(``P = Σ G``) form an equation. When P is shown, G has no withheld cell, or withheld cells
that together have at least ``min_enterprises`` enterprises: their sum is then no single
cell's amount, and no enterprise among them learns another's amount by taking its own away.
When P is withheld, at least one cell of G is withheld too. Where a cell must be added, the
shown cell of G that brings the most enterprises not yet counted is withheld, then the one
with the smallest amount. The rules are applied until nothing changes. Every table is
protected against every coarser one, not only its immediate margins.

Counts (deals, patents, enterprises) stay shown: they are what the threshold rule reads and
what a regulator follows. What the rule does not cover: a difference between two days' tables
(the pledges registered or released in between), and combinations of several equations
beyond a single subtraction.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from itertools import combinations
from types import MappingProxyType
from typing import Any

import polars as pl

from pledge.constants import parameter, sources

MONEY_FIGURES = ("registered_amount", "outstanding")
"""The figures withheld from a sensitive cell."""
SUPPRESSED = "suppressed"
"""The column a protected table carries: whether the cell's amounts are withheld."""
CATEGORIES = ("bank", "industry", "patent_type")
MONTH, YEAR = "month", "year"
TIME_LEVELS: tuple[str | None, ...] = (None, YEAR, MONTH)
"""Coarse to fine: no time breakdown, per year, per month of registration."""

Table = tuple[tuple[str, ...], str | None]
"""A table of the lattice: its categories (in CATEGORIES order) and its time level."""
Key = tuple[Any, ...]
"""A cell of a table: the values of its categories, then its period (when it has one)."""


@dataclass(frozen=True, slots=True)
class DisclosureRule:
    """The threshold rule: amounts are shown for cells of at least ``min_enterprises``."""

    min_enterprises: int
    source_id: str

    @classmethod
    def standard(cls) -> DisclosureRule:
        """The rule of ``pledge/data/parameters_disclosure.csv``."""
        constant = parameter("disclosure.min_enterprises")
        return cls(int(constant.value), constant.source_id)

    @property
    def source(self) -> str:
        """The title and reference of the rule's source."""
        cited = sources()[self.source_id]
        return f"{cited.title} — {cited.reference}"

    def sensitive(self, enterprises: int) -> bool:
        """Whether a cell of ``enterprises`` enterprises shows too little to show its amounts."""
        return 0 < enterprises < self.min_enterprises


def table_of(keys: Sequence[str]) -> Table:
    """The lattice table a breakdown by ``keys`` is (a month breakdown makes a year one
    redundant)."""
    unknown = set(keys) - {*CATEGORIES, MONTH, YEAR}
    if unknown:
        raise ValueError(f"no disclosure control by {sorted(unknown)}")
    level = MONTH if MONTH in keys else YEAR if YEAR in keys else None
    return tuple(c for c in CATEGORIES if c in keys), level


def _coarser(table: Table) -> Iterable[Table]:
    """Every table of the lattice that ``table``'s cells add up to, other than itself."""
    categories, level = table
    levels = TIME_LEVELS[: TIME_LEVELS.index(level) + 1]
    for size in range(len(categories) + 1):
        for kept in combinations(categories, size):
            for coarse in levels:
                if (kept, coarse) != table:
                    yield kept, coarse


def _names(table: Table) -> list[str]:
    """The key columns of a table: its categories, then its period."""
    categories, level = table
    return [*categories, *(() if level is None else (level,))]


@dataclass(eq=False)
class _Cell:
    enterprises: set[str]
    amount: Decimal
    withheld: bool = False
    equations: list[int] = field(default_factory=list)
    """The equations the cell is in (indexes), to check again when it is withheld."""


def withheld(rows: pl.DataFrame, rule: DisclosureRule) -> Mapping[Table, Mapping[Key, bool]]:
    """For each table of the lattice, whether each of its cells' amounts are withheld, from the
    pledges ``rows`` the tables count (see the module). The pattern of the same pledges is
    worked out once and kept (a statement asks for several tables of them)."""
    columns = (*CATEGORIES, "registered_on", "enterprise", "secured_amount")
    kept = rows.select(*columns)
    return _pattern(tuple(kept.rows()), tuple(kept.schema.items()), rule)


@lru_cache(maxsize=8)
def _pattern(
    records: tuple[tuple[Any, ...], ...],
    schema: tuple[tuple[str, pl.DataType], ...],
    rule: DisclosureRule,
) -> Mapping[Table, Mapping[Key, bool]]:
    tables = [
        (categories, level)
        for size in range(len(CATEGORIES) + 1)
        for categories in combinations(CATEGORIES, size)
        for level in TIME_LEVELS
    ]
    pledges = pl.DataFrame(list(records), schema=dict(schema), orient="row").with_columns(
        pl.col("registered_on").dt.year().alias(YEAR),
        pl.col("registered_on").dt.truncate("1mo").alias(MONTH),
    )
    # Each table's cells, numbered across the lattice, in the order of their keys.
    cells: list[_Cell] = []
    keyed: dict[Table, pl.DataFrame] = {}
    pattern: dict[Table, dict[Key, _Cell]] = {}
    for table in tables:
        names = _names(table)
        figures = (pl.col("enterprise").unique(), pl.col("secured_amount").sum())
        grouped = (
            pledges.group_by(names).agg(*figures).sort(names)
            if names
            else pledges.select(figures[0].implode(), figures[1])
        )
        start = len(cells)
        found: dict[Key, _Cell] = {}
        for *key, firms, amount in grouped.iter_rows():
            cell = _Cell(set(firms), amount)
            cell.withheld = rule.sensitive(len(cell.enterprises))
            found[tuple(key)] = cell
            cells.append(cell)
        pattern[table] = found
        keyed[table] = grouped.select(*names, pl.int_range(start, len(cells)).alias("id"))
    equations: list[tuple[int, _Cell, list[_Cell]]] = []
    for table in tables:
        for coarse in _coarser(table):
            projected = keyed[table].select(
                *(
                    pl.col(MONTH).dt.year().alias(YEAR) if (n, table[1]) == (YEAR, MONTH) else n
                    for n in _names(coarse)
                ),
                pl.col("id").alias("part"),
            )
            coarse_cells = keyed[coarse]
            if _names(coarse):
                joined = projected.join(coarse_cells, on=_names(coarse), maintain_order="left")
            else:
                joined = projected.with_columns(pl.lit(coarse_cells["id"][0]).alias("id"))
            fineness = len(coarse[0]) + TIME_LEVELS.index(coarse[1])
            for total, parts in joined.group_by("id", maintain_order=True).agg("part").rows():
                equations.append((fineness, cells[total], [cells[i] for i in parts]))
    # The finest totals first: their groups are small, and a cell withheld for one of them
    # often completes the coarser ones too.
    equations.sort(key=lambda equation: -equation[0])
    for index, (_, total, parts) in enumerate(equations):
        for cell in (total, *parts):
            cell.equations.append(index)
    # Only an equation with a withheld cell can be incomplete; it is checked again whenever one
    # of its cells is withheld, until every equation is complete.
    queue = deque(
        i for i, (_, t, ps) in enumerate(equations) if t.withheld or any(p.withheld for p in ps)
    )
    while queue:
        _, total, parts = equations[queue.popleft()]
        while not _complete(total, parts, rule):
            shown = [p for p in parts if not p.withheld]
            if not shown:
                pick = total  # its parts are all withheld: so is their sum
            else:
                counted = set().union(*(p.enterprises for p in parts if p.withheld))
                pick = max(shown, key=lambda p: (len(p.enterprises - counted), -p.amount))
            pick.withheld = True
            queue.extend(pick.equations)
    return MappingProxyType(
        {
            t: MappingProxyType({k: c.withheld for k, c in found.items()})
            for t, found in pattern.items()
        }
    )


def _complete(total: _Cell, parts: Sequence[_Cell], rule: DisclosureRule) -> bool:
    """Whether the equation ``total = Σ parts`` gives no withheld amount away (see the module)."""
    hidden, enterprises = 0, set()
    for part in parts:
        if not part.withheld:
            continue
        if total.withheld:
            return True
        hidden += 1
        enterprises |= part.enterprises
        if hidden >= 2 and len(enterprises) >= rule.min_enterprises:
            return True
    return hidden == 0 and not total.withheld


def protect(
    table: pl.DataFrame, keys: Sequence[str], rows: pl.DataFrame, rule: DisclosureRule
) -> pl.DataFrame:
    """``table`` (the cells of ``rows`` by ``keys``) with the amounts :func:`withheld` withholds
    set to null, and a ``suppressed`` column."""
    lattice_table = table_of(keys)
    columns = _names(lattice_table)
    if rows.is_empty():  # the one line of an empty total: nothing to withhold
        flags = [False] * table.height
    else:
        pattern = withheld(rows, rule)[lattice_table]
        keys_of = table.select(columns).rows() if columns else [()] * table.height
        flags = [pattern[tuple(key)] for key in keys_of]
    mask = pl.Series(SUPPRESSED, flags, dtype=pl.Boolean)
    money = [name for name in MONEY_FIGURES if name in table.columns]
    return table.with_columns(
        *(pl.when(mask).then(None).otherwise(pl.col(name)).alias(name) for name in money),
        mask,
    )

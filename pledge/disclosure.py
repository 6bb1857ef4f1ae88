"""Disclosure control of pledge statistics: a cell with few enterprises shows its counts, not
its amounts.

A regulator reads aggregates, never one borrower's figures; a cell of a table that only one or
two enterprises make up would show them all the same (the one pledge of a bank with one
borrower, the one registration of a month). :func:`protect` applies the threshold rule and
withholds the amounts of such cells (primary suppression), then withholds the amounts of further
cells so that no withheld amount is the difference between a margin and the amounts shown
(secondary suppression).

The rule: a cell is sensitive when 0 < enterprises < ``min_enterprises`` (an empty cell shows
nothing). The margins of a table by dimensions D are the tables by every proper subset of D,
the empty set being the total; a month coarsens to its year (the tables by year). Every margin
is itself a table a regulator can ask for, and it is protected by the same rule. After
:func:`protect`, each group of a table's cells that sums to one margin cell has no withheld
cell, or at least two, so subtracting the shown cells from a margin never yields one withheld
amount. Where a second cell is needed, the one with the smallest registered amount is withheld.

Counts (deals, patents, enterprises) stay shown: they are what the threshold rule reads and
what a regulator follows. What the rule does not cover: a difference between two days' tables
(the pledges registered or released in between), and linear combinations across several
margins beyond a single subtraction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import product
from typing import Any

import polars as pl

from pledge.constants import parameter, sources

MONEY_FIGURES = ("registered_amount", "outstanding")
"""The figures withheld from a sensitive cell."""
SUPPRESSED = "suppressed"
"""The column :func:`protect` adds: whether the cell's amounts are withheld."""
MONTH, YEAR = "month", "year"


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


def _margin_labels(table: pl.DataFrame, keys: Sequence[str]) -> list[list[tuple[Any, ...]]]:
    """For every margin of the table, each cell's label in it (the values it is summed by);
    the finer margins first (their groups are smaller, and a partner withheld in one often
    protects the coarser margins too)."""
    columns = {key: table[key].to_list() for key in keys}
    choices: list[list[list[Any] | None]] = []
    for key in keys:
        options: list[list[Any] | None] = [None, columns[key]]  # dropped, or kept
        if key == MONTH:
            months: list[date] = columns[key]
            options.append([m.year for m in months])  # coarsened to the year
        choices.append(options)
    margins: list[tuple[int, list[tuple[Any, ...]]]] = []
    for combination in product(*choices):
        if all(chosen is columns[key] for chosen, key in zip(combination, keys, strict=True)):
            continue  # the table itself
        kept = [chosen for chosen in combination if chosen is not None]
        labels = list(zip(*kept, strict=True)) if kept else [()] * table.height
        margins.append((len(kept), labels))
    margins.sort(key=lambda margin: -margin[0])
    return [labels for _, labels in margins]


def protect(table: pl.DataFrame, keys: Sequence[str], rule: DisclosureRule) -> pl.DataFrame:
    """``table`` (cells by ``keys`` with ``enterprises`` and money figures) with the amounts of
    its sensitive cells, and of the cells that would reveal them, withheld (null), and a
    ``suppressed`` column (see the module)."""
    withheld = [rule.sensitive(n) for n in table["enterprises"].to_list()]
    amounts = table["registered_amount"].to_list()
    margins = _margin_labels(table, keys)
    changed = any(withheld)
    while changed:
        changed = False
        for labels in margins:
            groups: defaultdict[tuple[Any, ...], list[int]] = defaultdict(list)
            for index, label in enumerate(labels):
                groups[label].append(index)
            for cells in groups.values():
                if sum(withheld[i] for i in cells) != 1 or len(cells) < 2:
                    continue
                shown = [i for i in cells if not withheld[i]]
                withheld[min(shown, key=lambda i: (amounts[i], i))] = True
                changed = True
    mask = pl.Series(SUPPRESSED, withheld, dtype=pl.Boolean)
    money = [name for name in MONEY_FIGURES if name in table.columns]
    return table.with_columns(
        *(pl.when(mask).then(None).otherwise(pl.col(name)).alias(name) for name in money),
        mask,
    )

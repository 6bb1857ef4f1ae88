"""Disclosure control: worked tables of the threshold rule with secondary suppression, and, on
random frames, that no withheld amount is a margin less the amounts shown."""

from collections import defaultdict
from datetime import date
from decimal import Decimal
from itertools import combinations
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pledge.disclosure import SUPPRESSED, DisclosureRule, protect
from pledge.statistics import Dimension, pledge_statistics, registrations
from tests.pledge.test_statistics import DAYS, Row, frame, pledge_rows

RULE = DisclosureRule(min_enterprises=3, source_id="OECD-SDC-THRESHOLD")
AS_OF = date(2025, 6, 30)


def pledge(number: int, bank: str, enterprise: str, amount: str, **fields: Any) -> Row:
    row: Row = {
        "pledge_id": f"P{number}",
        "registered_on": date(2024, 1, 10),
        "released_on": None,
        "bank": bank,
        "industry": "textiles",
        "patent_type": "invention",
        "enterprise": enterprise,
        "patent_count": 1,
        "secured_amount": Decimal(amount),
        "outstanding": Decimal(amount),
    }
    return row | fields


def withheld(table: pl.DataFrame, key: str) -> dict[Any, bool]:
    return dict(zip(table[key].to_list(), table[SUPPRESSED].to_list(), strict=True))


def test_the_standard_rule_is_the_sourced_threshold_of_three_enterprises() -> None:
    rule = DisclosureRule.standard()
    assert (rule.min_enterprises, rule.source_id) == (3, "OECD-SDC-THRESHOLD")
    assert "threshold rule" in rule.source
    assert "OECD" in rule.source
    assert [rule.sensitive(n) for n in range(5)] == [False, True, True, False, False]


def test_a_bank_of_one_borrower_and_the_smallest_other_bank_are_withheld() -> None:
    # A: 3 enterprises (60); B: 1 enterprise (7); C: 4 enterprises (30). B is sensitive; with B
    # alone withheld, B = total - A - C, so the smaller of A and C (C) is withheld too.
    rows = [
        *(pledge(i, "A", f"EA{i}", "20") for i in range(3)),
        pledge(3, "B", "EB", "7"),
        *(pledge(4 + i, "C", f"EC{i}", "7.50") for i in range(4)),
    ]
    table = pledge_statistics(frame(rows), AS_OF, [Dimension.BANK], disclosure=RULE)
    assert withheld(table, "bank") == {"A": False, "B": True, "C": True}
    shown = table.filter(~pl.col(SUPPRESSED))
    assert shown["registered_amount"].to_list() == [Decimal("60.00")]
    assert shown["outstanding"].to_list() == [Decimal("60.00")]
    assert table.filter(pl.col(SUPPRESSED))["registered_amount"].null_count() == 2
    assert table["deals"].to_list() == [3, 1, 4]  # counts stay shown
    total = pledge_statistics(frame(rows), AS_OF, disclosure=RULE)
    assert total[SUPPRESSED].to_list() == [False]  # 8 enterprises


def test_two_sensitive_banks_protect_each_other() -> None:
    rows = [
        *(pledge(i, "A", f"EA{i}", "20") for i in range(3)),
        pledge(3, "B", "EB", "7"),
        pledge(4, "C", "EC", "9"),
    ]
    table = pledge_statistics(frame(rows), AS_OF, [Dimension.BANK], disclosure=RULE)
    assert withheld(table, "bank") == {"A": False, "B": True, "C": True}


def test_a_total_of_two_enterprises_is_withheld_and_an_empty_one_is_not() -> None:
    rows = [pledge(1, "A", "E1", "10"), pledge(2, "A", "E2", "10"), pledge(3, "B", "E1", "5")]
    total = pledge_statistics(frame(rows), AS_OF, disclosure=RULE)
    assert total[SUPPRESSED].to_list() == [True]
    assert total["registered_amount"].to_list() == [None]
    assert total["enterprises"].to_list() == [2]
    empty = pledge_statistics(frame(rows), date(2020, 1, 1), disclosure=RULE)
    assert empty[SUPPRESSED].to_list() == [False]
    assert empty["registered_amount"].to_list() == [Decimal(0)]


def test_a_two_way_table_withholds_a_partner_in_the_row_and_in_the_column() -> None:
    # bank x industry, enterprises per cell:      textiles  hardware
    #                                   A             3         1     <- A/hardware sensitive
    #                                   B             4         5
    # A/hardware alone would be A's total less A/textiles, and hardware's total less
    # B/hardware: A/textiles and B/hardware are withheld, and then B/textiles with them.
    rows = []
    cells = {("A", "textiles"): 3, ("A", "hardware"): 1, ("B", "textiles"): 4, ("B", "hardware"): 5}
    for (bank, industry), firms in cells.items():
        for k in range(firms):
            rows.append(pledge(len(rows), bank, f"{bank}{industry}{k}", "10", industry=industry))
    by = [Dimension.BANK, Dimension.INDUSTRY]
    table = pledge_statistics(frame(rows), AS_OF, by, disclosure=RULE)
    flags = {(r["bank"], r["industry"]): r[SUPPRESSED] for r in table.iter_rows(named=True)}
    assert flags == dict.fromkeys(cells, True)


def test_a_month_is_protected_against_its_year() -> None:
    # Registrations: 2023-11 3 enterprises (30), 2023-12 1 (5), 2024-01 4 (4). December alone
    # would be 2023's figure less November's: November goes too, though January is smaller.
    rows = []
    for day, firms, amount in ((date(2023, 11, 5), 3, "10"), (date(2023, 12, 5), 1, "5")):
        start = len(rows)
        rows += [
            pledge(start + k, "A", f"E{day}{k}", amount, registered_on=day) for k in range(firms)
        ]
    january = date(2024, 1, 5)
    rows += [pledge(len(rows) + k, "A", f"J{k}", "1", registered_on=january) for k in range(4)]
    table = registrations(frame(rows), Dimension.MONTH, until=AS_OF, disclosure=RULE)
    assert withheld(table, "month") == {
        date(2023, 11, 1): True,
        date(2023, 12, 1): True,
        date(2024, 1, 1): False,
    }
    years = registrations(frame(rows), Dimension.YEAR, until=AS_OF, disclosure=RULE)
    assert withheld(years, "year") == {2023: False, 2024: False}


def test_without_a_rule_nothing_is_withheld() -> None:
    rows = [pledge(1, "A", "E1", "10")]
    table = pledge_statistics(frame(rows), AS_OF, [Dimension.BANK])
    assert SUPPRESSED not in table.columns
    assert table["registered_amount"].to_list() == [Decimal("10.00")]


def _groups(table: pl.DataFrame, keys: list[str], margin: tuple[str, ...]) -> list[list[int]]:
    """The cells of ``table`` that sum to each cell of the margin by ``margin`` (``year`` is
    the year of a ``month`` key)."""
    labels = []
    for row in table.iter_rows(named=True):
        label = []
        for key in margin:
            label.append(row["month"].year if key == "year" and "year" not in keys else row[key])
        labels.append(tuple(label))
    groups: defaultdict[tuple[Any, ...], list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        groups[label].append(index)
    return list(groups.values())


@st.composite
def dense_rows(draw: st.DrawFn) -> list[Row]:
    """Pledges of a few months across a year's end, many enterprises: cells of every size."""
    rows = draw(pledge_rows())
    for row in rows:
        row["registered_on"] = draw(st.dates(date(2024, 11, 1), date(2025, 2, 28)))
        row["released_on"] = None
        row["enterprise"] = draw(st.sampled_from([f"E{k}" for k in range(8)]))
    return rows


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(pledge_rows(), dense_rows()),
    DAYS,
    st.lists(
        st.sampled_from([Dimension.BANK, Dimension.INDUSTRY, Dimension.MONTH]),
        min_size=1,
        max_size=3,
        unique=True,
    ),
    st.integers(2, 4),
)
def test_no_withheld_amount_is_a_margin_less_the_amounts_shown(
    rows: list[Row], as_of: date, by: list[Dimension], threshold: int
) -> None:
    rule = DisclosureRule(min_enterprises=threshold, source_id="OECD-SDC-THRESHOLD")
    plain = pledge_statistics(frame(rows), as_of, by)
    table = pledge_statistics(frame(rows), as_of, by, disclosure=rule)
    keys = [d.value for d in by]
    flags = table[SUPPRESSED].to_list()
    # every sensitive cell is withheld; the amounts shown are the plain table's
    for flag, firms in zip(flags, table["enterprises"].to_list(), strict=True):
        assert flag or not 0 < firms < threshold
    shown = table.filter(~pl.col(SUPPRESSED))
    kept = plain.filter(~pl.Series(flags, dtype=pl.Boolean))
    assert shown["registered_amount"].to_list() == kept["registered_amount"].to_list()
    assert table.filter(pl.col(SUPPRESSED))["outstanding"].null_count() == sum(flags)
    # margins: every proper subset of the keys, a month also coarsened to its year
    margins = [m for size in range(len(keys)) for m in combinations(keys, size)]
    if "month" in keys:
        margins += [
            tuple("year" if k == "month" else k for k in m)
            for size in range(1, len(keys) + 1)
            for m in combinations(keys, size)
            if "month" in m
        ]
    for margin in margins:
        for cells in _groups(table, keys, margin):
            hidden = sum(flags[i] for i in cells)
            assert hidden != 1 or len(cells) == 1, (margin, cells)


def test_protect_on_a_table_without_sensitive_cells_changes_nothing() -> None:
    table = pl.DataFrame(
        {"bank": ["A", "B"], "enterprises": [3, 9], "registered_amount": [Decimal(1), Decimal(2)]}
    )
    protected = protect(table, ["bank"], RULE)
    assert protected[SUPPRESSED].to_list() == [False, False]
    assert protected["registered_amount"].to_list() == [Decimal(1), Decimal(2)]


@pytest.mark.parametrize("threshold", [1, 0])
def test_a_threshold_of_one_or_less_withholds_nothing(threshold: int) -> None:
    rule = DisclosureRule(min_enterprises=threshold, source_id="OECD-SDC-THRESHOLD")
    rows = [pledge(1, "A", "E1", "10")]
    table = pledge_statistics(frame(rows), AS_OF, [Dimension.BANK], disclosure=rule)
    assert table[SUPPRESSED].to_list() == [False]

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

from pledge.disclosure import SUPPRESSED, DisclosureRule
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


@pytest.mark.parametrize("second", ["EC", "EB"])
def test_two_single_borrower_banks_need_a_third_line_withheld(second: str) -> None:
    # B and C withheld alone: total - A = B + C, and B's borrower would learn C's amount (or,
    # one borrower behind both, it is that borrower's): A is withheld too.
    rows = [
        *(pledge(i, "A", f"EA{i}", "20") for i in range(3)),
        pledge(3, "B", "EB", "7"),
        pledge(4, "C", second, "9"),
    ]
    table = pledge_statistics(frame(rows), AS_OF, [Dimension.BANK], disclosure=RULE)
    assert withheld(table, "bank") == {"A": True, "B": True, "C": True}
    assert_nothing_follows(rows, AS_OF, RULE)


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


@st.composite
def dense_rows(draw: st.DrawFn) -> list[Row]:
    """Pledges of a few months across a year's end, many enterprises: cells of every size."""
    rows = draw(pledge_rows())
    for row in rows:
        row["registered_on"] = draw(st.dates(date(2024, 11, 1), date(2025, 2, 28)))
        row["released_on"] = None
        row["enterprise"] = draw(st.sampled_from([f"E{k}" for k in range(8)]))
    return rows


BREAKDOWNS = [
    [*categories, *periods]
    for size in range(4)
    for categories in combinations(
        [Dimension.BANK, Dimension.INDUSTRY, Dimension.PATENT_TYPE], size
    )
    for periods in ([], [Dimension.YEAR], [Dimension.MONTH])
]
"""Every table a regulator can ask for (a month breakdown with a year one is the month one)."""


def _label(row: dict[str, Any], names: list[str]) -> tuple[Any, ...]:
    return tuple(row[name] for name in names)


def _within(fine: list[str], coarse: list[str], cell: dict[str, Any]) -> tuple[Any, ...]:
    """The label of the coarse-table cell that a fine-table cell falls in."""
    label = []
    for name in coarse:
        if name == "year" and "year" not in fine:
            label.append(cell["month"].year)
        else:
            label.append(cell[name])
    return tuple(label)


def _enterprises(rows: list[Row], names: list[str], cell: dict[str, Any]) -> set[str]:
    """The enterprises of the pledges ``rows`` that make up ``cell`` (counted from the rows)."""
    found = set()
    for row in rows:
        values = {
            "bank": row["bank"],
            "industry": row["industry"],
            "patent_type": row["patent_type"],
            "year": row["registered_on"].year,
            "month": row["registered_on"].replace(day=1),
        }
        if all(values[name] == cell[name] for name in names):
            found.add(row["enterprise"])
    return found


def assert_nothing_follows(rows: list[Row], as_of: date, rule: DisclosureRule) -> None:
    """No published table of the pledges live on ``as_of`` gives a withheld amount away by one
    subtraction from another, and each shows the plain table's amounts where it shows any."""
    live = [
        r
        for r in rows
        if r["registered_on"] <= as_of and (r["released_on"] is None or r["released_on"] >= as_of)
    ]
    tables = {}
    for by in BREAKDOWNS:
        names = [d.value for d in by]
        plain = pledge_statistics(frame(rows), as_of, by)
        table = pledge_statistics(frame(rows), as_of, by, disclosure=rule)
        assert table.select(pl.exclude(SUPPRESSED, *MONEY)).equals(plain.select(pl.exclude(*MONEY)))
        for cell, bare in zip(
            table.iter_rows(named=True), plain.iter_rows(named=True), strict=True
        ):
            if rule.sensitive(cell["enterprises"]):
                assert cell[SUPPRESSED], (names, cell)
            for money in MONEY:
                assert cell[money] == (None if cell[SUPPRESSED] else bare[money])
        tables[tuple(names)] = (names, list(table.iter_rows(named=True)))
    for fine_names, fine in tables.values():
        for coarse_names, coarse in tables.values():
            is_margin = (
                set(coarse_names) - {"year"} <= set(fine_names) - {"year"}
                and ("year" not in coarse_names or {"year", "month"} & set(fine_names))
                and ("month" not in coarse_names or "month" in fine_names)
            )
            if not is_margin or coarse_names == fine_names:
                continue
            by_label = {_label(c, coarse_names): c for c in coarse}
            groups: defaultdict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
            for cell in fine:
                groups[_within(fine_names, coarse_names, cell)].append(cell)
            for label, parts in groups.items():
                total = by_label[label] if coarse_names or label in by_label else coarse[0]
                hidden = [p for p in parts if p[SUPPRESSED]]
                where = (fine_names, coarse_names, label)
                if total[SUPPRESSED]:
                    assert hidden, where  # else the total is the sum of the parts shown
                elif hidden:
                    assert len(hidden) >= 2, where
                    firms = set().union(*(_enterprises(live, fine_names, p) for p in hidden))
                    assert len(firms) >= rule.min_enterprises, where


MONEY = ("registered_amount", "outstanding")


@settings(max_examples=100, deadline=None)
@given(st.one_of(pledge_rows(), dense_rows()), DAYS, st.integers(2, 4))
def test_no_withheld_amount_follows_from_the_published_tables(
    rows: list[Row], as_of: date, threshold: int
) -> None:
    rule = DisclosureRule(min_enterprises=threshold, source_id="OECD-SDC-THRESHOLD")
    assert_nothing_follows(rows, as_of, rule)


def test_a_partner_alone_in_a_finer_table_is_not_shown_there() -> None:
    # Bank ICBC: 4 enterprises, all invention; BOC: 1 enterprise, invention; JHRCB: 3, design;
    # CCB: 2, utility model. Withholding ICBC/invention as BOC's partner in bank x type must
    # withhold ICBC in the table by bank too, or invention less ICBC is BOC.
    rows = []
    for bank, firms, kind, amount in (
        ("ICBC", 4, "invention", "1000000"),
        ("BOC", 1, "invention", "7777777"),
        ("JHRCB", 3, "design", "123456"),
        ("CCB", 2, "utility_model", "5555555"),
    ):
        start = len(rows)
        rows += [
            pledge(start + k, bank, f"{bank}{k}", amount, patent_type=kind) for k in range(firms)
        ]
    assert_nothing_follows(rows, AS_OF, RULE)
    banks = pledge_statistics(frame(rows), AS_OF, [Dimension.BANK], disclosure=RULE)
    types = pledge_statistics(frame(rows), AS_OF, [Dimension.PATENT_TYPE], disclosure=RULE)
    icbc = banks.filter(pl.col("bank") == "ICBC")["registered_amount"][0]
    invention = types.filter(pl.col("patent_type") == "invention")["registered_amount"][0]
    assert icbc is None or invention is None


def test_a_withheld_partner_is_withheld_in_the_finer_tables_too() -> None:
    # By bank, C (6 enterprises) partners B (1). By bank x industry C's two lines have 3
    # enterprises each: shown both, they would add up to C, and total - A - C is B.
    rows = [pledge(k, "A", f"A{k}", "20") for k in range(3)]
    rows.append(pledge(3, "B", "B0", "7"))
    rows += [
        pledge(4 + k, "C", f"C{k}", "5", industry="textiles" if k < 3 else "hardware")
        for k in range(6)
    ]
    banks = pledge_statistics(frame(rows), AS_OF, [Dimension.BANK], disclosure=RULE)
    assert withheld(banks, "bank") == {"A": False, "B": True, "C": True}
    by = [Dimension.BANK, Dimension.INDUSTRY]
    lines = pledge_statistics(frame(rows), AS_OF, by, disclosure=RULE)
    c_lines = lines.filter(pl.col("bank") == "C")
    assert c_lines["enterprises"].to_list() == [3, 3]
    assert any(c_lines[SUPPRESSED].to_list())
    assert_nothing_follows(rows, AS_OF, RULE)


FOUND = """
C  hardware  invention  E1  12  2024-01-10
A  hardware  design     E3  20  2023-12-10
A  textiles  invention  E3  19  2023-01-10
A  hardware  invention  E5  33  2023-01-10
A  hardware  design     E4  37  2024-01-10
C  hardware  invention  E5  13  2024-01-10
A  textiles  invention  E2  9   2023-12-10
B  hardware  invention  E2  4   2023-01-10
"""
"""Pledges (bank, industry, type, enterprise, amount, registered on) on which a year withheld
as a partner once left its one month shown, which is the same amount."""


def test_a_withheld_year_withholds_a_month_of_it() -> None:
    rows = []
    for number, line in enumerate(FOUND.strip().splitlines()):
        bank, industry, kind, firm, amount, day = line.split()
        on = date.fromisoformat(day)
        rows.append(
            pledge(
                number, bank, firm, amount, industry=industry, patent_type=kind, registered_on=on
            )
        )
    assert_nothing_follows(rows, AS_OF, RULE)


def test_a_table_without_small_cells_withholds_nothing() -> None:
    rows = [pledge(k, "A" if k < 3 else "B", f"E{k}", "10") for k in range(6)]
    for by in BREAKDOWNS:
        table = pledge_statistics(frame(rows), AS_OF, by, disclosure=RULE)
        assert not any(table[SUPPRESSED].to_list()), by


@pytest.mark.parametrize("threshold", [1, 0])
def test_a_threshold_of_one_or_less_withholds_nothing(threshold: int) -> None:
    rule = DisclosureRule(min_enterprises=threshold, source_id="OECD-SDC-THRESHOLD")
    rows = [pledge(1, "A", "E1", "10")]
    table = pledge_statistics(frame(rows), AS_OF, [Dimension.BANK], disclosure=rule)
    assert table[SUPPRESSED].to_list() == [False]

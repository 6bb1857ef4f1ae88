"""Every navigation figure against an independent computation over a small dataset.

The expected figures are counted with plain Python loops over the rows of
``tests/navigation/builders.py``; the high-value criteria come from the single-patent path
(:func:`valuation.high_value.classify_high_value` on :class:`models.Patent`), not the batch one.
"""

from collections import Counter, defaultdict
from datetime import date
from typing import Any

import polars as pl
import pytest

from models import Patent
from navigation.analytics import Navigation, navigate, previous_day
from tests.navigation.builders import dataset, status_on
from valuation.high_value import Criterion, classify_high_value

DAY = date(2019, 6, 30)
ROWS = dataset(600, seed=11)


@pytest.fixture(scope="module")
def result() -> Navigation:
    return navigate(pl.DataFrame(ROWS), DAY)


def table(result: Navigation, name: str) -> list[dict[str, Any]]:
    return result.tables[name].to_dicts()


def within(day: date | None, start: date, end: date) -> bool:
    return day is not None and start <= day <= end


def key(value: str | None) -> str:
    return value if value is not None else "unknown"


def ipc_class(text: str | None) -> str:
    code = (text or "").split(";")[0].replace(" ", "").upper()[:3]
    return code if len(code) == 3 else "unknown"


def flows(by: Any, day: date = DAY) -> dict[tuple[Any, ...], tuple[int, int]]:
    applications: Counter[tuple[Any, ...]] = Counter()
    grants: Counter[tuple[Any, ...]] = Counter()
    for row in ROWS:
        if row["filing_date"] <= day:
            applications[(row["filing_date"].year, by(row))] += 1
        if row["grant_date"] is not None and row["grant_date"] <= day:
            grants[(row["grant_date"].year, by(row))] += 1
    keys = set(applications) | set(grants)
    return {k: (applications[k], grants[k]) for k in keys}


def valid(day: date) -> list[dict[str, Any]]:
    return [r for r in ROWS if status_on(r, day) == "in_force"]


def high_value(row: dict[str, Any], day: date) -> set[Criterion]:
    patent = Patent(
        number=row["patent_id"],
        filing_date=row["filing_date"],
        grant_date=row["grant_date"],
        legal_status="in_force",
        ipc_codes=[c for c in (row["ipc"] or "").split(";") if c],
        industry=row["industry"],
        family_countries=[c for c in (row["family_countries"] or "").split(";") if c],
    )
    found = classify_high_value(patent, at=day)
    return set(found.met) if found.eligible else set()


def window(start: date, end: date) -> dict[str, int]:
    inv = "invention"
    return {
        "applications": sum(within(r["filing_date"], start, end) for r in ROWS),
        "invention_applications": sum(
            within(r["filing_date"], start, end) and r["patent_type"] == inv for r in ROWS
        ),
        "grants": sum(within(r["grant_date"], start, end) for r in ROWS),
        "invention_grants": sum(
            within(r["grant_date"], start, end) and r["patent_type"] == inv for r in ROWS
        ),
    }


def test_every_row_is_read(result: Navigation) -> None:
    assert result.rows == len(ROWS)
    assert result.refused == 0


@pytest.mark.parametrize(
    ("name", "by", "column"),
    [
        ("by_type", lambda r: r["patent_type"], "patent_type"),
        ("by_industry", lambda r: key(r["industry"]), "industry"),
        ("by_ipc_class", lambda r: ipc_class(r["ipc"]), "ipc_class"),
    ],
)
def test_flows_by_year_and_dimension(result: Navigation, name: str, by: Any, column: str) -> None:
    got = {(r["year"], r[column]): (r["applications"], r["grants"]) for r in table(result, name)}
    assert got == flows(by)


def test_period_against_the_same_window_a_year_earlier(result: Navigation) -> None:
    before = previous_day(DAY)
    current = window(date(2019, 1, 1), DAY) | {
        "valid_patents": len(valid(DAY)),
        "valid_inventions": sum(r["patent_type"] == "invention" for r in valid(DAY)),
        "high_value_inventions": sum(bool(high_value(r, DAY)) for r in valid(DAY)),
    }
    previous = window(date(2018, 1, 1), before) | {
        "valid_patents": len(valid(before)),
        "valid_inventions": sum(r["patent_type"] == "invention" for r in valid(before)),
        "high_value_inventions": sum(bool(high_value(r, before)) for r in valid(before)),
    }
    rows = {r["metric"]: r for r in table(result, "period")}
    assert {m: r["current"] for m, r in rows.items()} == current
    assert {m: r["previous"] for m, r in rows.items()} == previous
    for metric, row in rows.items():
        expected = (current[metric] - previous[metric]) / previous[metric]
        assert row["growth"] == pytest.approx(round(expected, 4))


def test_trend_compares_the_as_of_year_with_the_same_window(result: Navigation) -> None:
    rows = {r["year"]: r for r in table(result, "trend")}
    assert sorted(rows) == [2015, 2016, 2017, 2018, 2019]
    for year, row in rows.items():
        end = DAY if year == 2019 else date(year, 12, 31)
        assert row["period_end"] == end
        counts = window(date(year, 1, 1), end)
        assert {n: row[n] for n in counts} == counts
        if year > 2015:
            before_end = previous_day(DAY) if year == 2019 else date(year - 1, 12, 31)
            earlier = window(date(year - 1, 1, 1), before_end)
            growth = (counts["applications"] - earlier["applications"]) / earlier["applications"]
            assert row["applications_growth"] == pytest.approx(round(growth, 4))


def test_by_region(result: Navigation) -> None:
    start = date(2019, 1, 1)
    expected: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in ROWS:
        region = key(row["region"])
        expected[region]["applications"] += within(row["filing_date"], start, DAY)
        expected[region]["grants"] += within(row["grant_date"], start, DAY)
        if status_on(row, DAY) == "in_force":
            expected[region]["valid_patents"] += 1
            expected[region]["valid_inventions"] += row["patent_type"] == "invention"
    got = table(result, "by_region")
    assert {r["region"] for r in got} == set(expected)
    for row in got:
        for name in ("applications", "grants", "valid_patents", "valid_inventions"):
            assert row[name] == expected[row["region"]][name], (row["region"], name)
    assert [r["applications"] for r in got] == sorted(
        (r["applications"] for r in got), reverse=True
    )


def test_grant_rates(result: Navigation) -> None:
    counts: dict[tuple[int, str], Counter[str]] = defaultdict(Counter)
    for row in ROWS:
        status = status_on(row, DAY)
        if status is None:
            continue
        group = counts[(row["filing_date"].year, row["patent_type"])]
        group["filed"] += 1
        group["granted"] += row["grant_date"] is not None and row["grant_date"] <= DAY
        group["refused"] += status in ("rejected", "withdrawn")
        group["pending"] += status == "pending"
    got = {(r["filing_year"], r["patent_type"]): r for r in table(result, "grant_rates")}
    assert set(got) == set(counts)
    for group, expected in counts.items():
        row = got[group]
        names = ("filed", "granted", "refused", "pending")
        assert {n: row[n] for n in names} == {n: expected[n] for n in names}
        decided = expected["granted"] + expected["refused"]
        rate = round(expected["granted"] / decided, 4) if decided else None
        assert row["grant_rate"] == pytest.approx(rate)
        assert row["granted_share"] == pytest.approx(
            round(expected["granted"] / expected["filed"], 4)
        )


def test_top_applicants(result: Navigation) -> None:
    start = date(2019, 1, 1)
    firms: dict[str, Counter[str]] = defaultdict(Counter)
    for row in ROWS:
        if row["applicant"] is None:
            continue  # a row without an applicant is no firm's
        firm = firms[row["applicant"]]
        firm["applications"] += within(row["filing_date"], start, DAY)
        firm["grants"] += within(row["grant_date"], start, DAY)
        if status_on(row, DAY) == "in_force":
            firm["valid_patents"] += 1
            firm["valid_inventions"] += row["patent_type"] == "invention"
            firm["high_value_inventions"] += bool(high_value(row, DAY))
    ranked = sorted(firms, key=lambda f: (-firms[f]["applications"], -firms[f]["grants"], f))
    got = table(result, "top_applicants")
    assert [r["applicant"] for r in got] == ranked[: len(got)]
    assert [r["rank"] for r in got] == list(range(1, len(got) + 1))
    for row in got:
        for name in ("applications", "grants", "valid_patents", "valid_inventions"):
            assert row[name] == firms[row["applicant"]][name]
        assert row["high_value_inventions"] == firms[row["applicant"]]["high_value_inventions"]


def test_high_value_criteria_and_industries(result: Navigation) -> None:
    inventions = [r for r in valid(DAY) if r["patent_type"] == "invention"]
    met = [high_value(r, DAY) for r in inventions]
    got = {r["criterion"]: r["patents"] for r in table(result, "high_value")}
    for criterion in Criterion:
        assert got[criterion.value] == sum(criterion in m for m in met), criterion
    assert got["any"] == sum(bool(m) for m in met)
    per_industry: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row, criteria in zip(inventions, met, strict=True):
        per_industry[key(row["industry"])][0] += 1
        per_industry[key(row["industry"])][1] += bool(criteria)
    rows = {r["industry"]: r for r in table(result, "high_value_by_industry")}
    got_industries = {
        k: [r["valid_inventions"], r["high_value_inventions"]] for k, r in rows.items()
    }
    assert got_industries == dict(per_industry)


def test_a_bad_row_is_refused_with_its_reason_and_the_others_count() -> None:
    rows = [*ROWS[:50], {**ROWS[0], "patent_id": "201710601862.4", "status_date": None}]
    frame = pl.DataFrame(rows).with_columns(pl.col("status_date").cast(pl.String))
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 3)
        .then(pl.lit("2019-02-30"))
        .otherwise(pl.col("status_date"))
        .alias("status_date")
    )
    found = navigate(frame, DAY)
    assert found.refused == 2
    messages = dict(zip(found.refusals["row"], found.refusals["error"], strict=True))
    assert "status_date: '2019-02-30' is not a date" in messages[3]
    assert "expected '3'" in messages[50]
    period = {r["metric"]: r["current"] for r in found.tables["period"].to_dicts()}
    kept = [r for i, r in enumerate(rows) if i not in (3, 50)]
    assert period["applications"] == sum(
        within(r["filing_date"], date(2019, 1, 1), DAY) for r in kept
    )


def test_chunks_and_parts_do_not_change_a_figure(
    result: Navigation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows are prepared, and firms checked and valued, a chunk at a time: with chunks of 7 rows
    (and of 7 patents per part of the capacity table) every table is the same as in one piece,
    and a refused row keeps its position in the input."""
    monkeypatch.setattr("navigation.dataset.CHUNK_ROWS", 7)
    monkeypatch.setattr("navigation.capacity.CHUNK_ROWS", 7)
    chunked = navigate(pl.DataFrame(ROWS), DAY)
    assert chunked.rows == result.rows
    assert chunked.tables.keys() == result.tables.keys()
    for name, frame in result.tables.items():
        assert chunked.tables[name].equals(frame), name
    bad = pl.DataFrame(ROWS).with_columns(
        pl.when(pl.int_range(pl.len()) == 16)
        .then(pl.lit("ZL201710601862.4"))
        .otherwise(pl.col("patent_id"))
        .alias("patent_id")
    )
    assert navigate(bad, DAY).refusals["row"].to_list() == [16]

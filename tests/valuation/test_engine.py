"""One patent through the whole engine, and the batch path giving the same figures row by row."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import Money, Patent
from models.patent_number import check_character
from tests.valuation.test_scoring import patents as any_patent
from valuation.batch import value_file, value_frame
from valuation.engine import BeforeFilingError, Financials, patent_row, value_patent
from valuation.reconcile import Approach

BASE = date(2025, 6, 30)


def number(year: int, digit: int, serial: int) -> str:
    digits = f"{year}{digit}{serial:07d}"
    return f"ZL{digits}.{check_character(digits)}"


def test_oracle_two_through_the_engine() -> None:
    # docs/DOMAIN.md §3, oracle 2: revenue 50 M growing 8 %, royalty 4 %, tax 25 %, r 14 %,
    # 8 years, end-of-year discounting → 8,778,491.37.
    patent = Patent(
        number=number(2020, 1, 1234), filing_date=date(2020, 1, 1), grant_date=date(2022, 1, 1)
    )
    financials = Financials(
        revenue=Money.of("50000000"),
        revenue_growth="0.08",
        royalty_rate="0.04",
        tax_rate="0.25",
        discount_rate="0.14",
        economic_life="8",
    )
    result = value_patent(patent, financials, base_date=BASE)
    assert result.income is not None
    assert result.income.value == Money.of("8778491.37")
    assert result.value is not None
    assert result.pledge is not None
    assert result.pledge.realisable_value <= result.value
    assert result.pledge.max_loan <= result.pledge.realisable_value
    assert result.audit.engine_version
    assert result.audit.input_hash.startswith("sha256:")
    assert all(result.audit.sources[c.source_id] for c in result.audit.constants)
    # The income and market approaches are far apart here: the note says so and the factor it
    # is measured against is cited.
    assert any("differ by a factor of" in note for note in result.reconciliation.notes)
    cited = {c.name: c.source_id for c in result.audit.constants}
    assert cited["reconcile_divergence_ratio"] == "PATENTVAL-RECONCILE-DIVERGENCE"


def test_missing_inputs_skip_their_approach_and_say_why() -> None:
    patent = Patent(
        number=number(2019, 1, 77), filing_date=date(2019, 5, 1), grant_date=date(2021, 5, 1)
    )
    result = value_patent(patent, base_date=BASE)
    assert result.income is None
    lines = {line.approach: line for line in result.reconciliation.lines}
    assert lines[Approach.INCOME].reason == "no revenue: income approach not applied"
    assert lines[Approach.COST].reason == "no R&D cost: cost approach not applied"
    assert lines[Approach.MARKET].weight == 1
    assert result.market is not None
    assert result.value == result.market.value


def test_a_lapsed_patent_is_worth_nothing() -> None:
    patent = Patent(
        number=number(2015, 1, 5),
        filing_date=date(2015, 5, 1),
        grant_date=date(2017, 5, 1),
        legal_status="lapsed",
    )
    financials = Financials(revenue=Money.of(10_000_000), royalty_rate="0.05")
    result = value_patent(patent, financials, base_date=BASE)
    assert result.remaining_term == 0
    assert result.value == Money.zero()


def random_rows(n: int, seed: int) -> tuple[list[dict[str, str | None]], list[Patent]]:
    rng = np.random.default_rng(seed)
    rows, patents = [], []
    industries = ["electrical", "machinery", "pharmaceuticals", None, "shipbuilding"]
    for i in range(n):
        year, digit = int(rng.integers(2006, 2024)), int(rng.choice([1, 2, 3]))
        filed = date(year, int(rng.integers(1, 13)), int(rng.integers(1, 29)))
        granted = date(min(year + 2, 2025), filed.month, filed.day)
        status = "in_force" if rng.random() < 0.85 else "lapsed"
        industry = industries[int(rng.integers(0, len(industries)))]
        revenue = None if rng.random() < 0.2 else f"{rng.lognormal(16, 1):.2f}"
        rd_cost = None if rng.random() < 0.3 else f"{rng.lognormal(14, 1):.2f}"
        claims, cites, family = (int(rng.integers(lo, hi)) for lo, hi in ((1, 30), (0, 25), (1, 6)))
        pid = number(year, digit, i)
        rows.append(
            {
                "patent_id": pid,
                "filing_date": filed.isoformat(),
                "grant_date": granted.isoformat(),
                "legal_status": status,
                "claims": str(claims),
                "forward_citations": str(cites),
                "family_size": str(family),
                "ipc": "H01M 10/052",
                "industry": industry,
                "revenue": revenue,
                "revenue_growth": "0.05",
                "rd_cost": rd_cost,
            }
        )
        patents.append(
            Patent(
                number=pid,
                filing_date=filed,
                grant_date=granted,
                legal_status=status,
                claims=claims,
                forward_citations=cites,
                family_size=family,
                ipc_codes=["H01M 10/052"],
                industry=industry,
            )
        )
    return rows, patents


def money(value: Money | None) -> Decimal | None:
    return None if value is None else value.amount


def test_batch_equals_single_patent_row_by_row() -> None:
    rows, patents = random_rows(40, seed=11)
    batch = value_frame(pl.DataFrame(rows), base_date=BASE, draws=200, seed=3)
    for row, patent, out in zip(rows, patents, batch.iter_rows(named=True), strict=True):
        financials = Financials(
            revenue=None if row["revenue"] is None else Money.of(row["revenue"]),
            revenue_growth="0.05",
            rd_cost=None if row["rd_cost"] is None else Money.of(row["rd_cost"]),
        )
        single = value_patent(patent, financials, base_date=BASE, draws=200, seed=3)
        assert out["error"] is None
        assert out["income_value"] == money(single.income.value if single.income else None)
        assert out["market_value"] == money(single.market.value if single.market else None)
        assert out["cost_value"] == money(single.cost.value)
        assert out["value"] == money(single.value)
        assert out["realisable_value"] == money(single.pledge.realisable_value)  # type: ignore[union-attr]
        assert out["max_loan"] == money(single.pledge.max_loan)  # type: ignore[union-attr]
        assert Decimal(str(out["score"])) == single.score.total_score
        if single.reconciled_range is None:
            assert out["p10"] is None
        else:
            assert (out["p10"], out["p50"], out["p90"]) == tuple(
                q.amount for q in single.reconciled_range
            )
            assert out["p10"] <= out["p50"] <= out["p90"]


@settings(max_examples=12, deadline=None)
@given(
    st.lists(any_patent(), min_size=1, max_size=25), st.dates(date(2005, 1, 1), date(2045, 1, 1))
)
def test_one_patent_has_the_market_value_the_batch_gives_it(
    patents: list[Patent], base_date: date
) -> None:
    """The single-patent path reads the patent's row without the batch normalisation; every
    kind, status, IPC list, family and term adjustment gets the batch's market figures, and a
    patent filed after the base date is refused by both."""
    rows = [patent_row(p, Financials()) for p in patents]
    batch = value_frame(pl.DataFrame(rows), base_date=base_date)
    for patent, out in zip(patents, batch.iter_rows(named=True), strict=True):
        if patent.filing_date > base_date:
            with pytest.raises(BeforeFilingError):
                value_patent(patent, base_date=base_date)
            assert out["error"] == (
                f"filing_date: {patent.filing_date} is after {base_date}, the date of the valuation"
            )
            assert out["value"] is None
            continue
        single = value_patent(patent, base_date=base_date).market
        assert out["error"] is None
        assert single is not None
        assert out["market_value"] == single.value.amount


def test_a_patent_is_valued_from_its_filing_date_and_not_a_day_before() -> None:
    patent = Patent(
        number=number(2020, 1, 4321), filing_date=date(2020, 3, 2), grant_date=date(2022, 1, 1)
    )
    with pytest.raises(BeforeFilingError) as refused:
        value_patent(patent, base_date=date(2020, 3, 1))
    assert str(refused.value) == (
        f"2020-03-01 is before the filing date 2020-03-02 of {patent.number.patent_number}"
    )
    on_filing = value_patent(patent, base_date=date(2020, 3, 2))
    assert on_filing.remaining_term == Decimal(20)
    rows = [patent_row(patent, Financials())] * 2
    rows[1] = {**rows[1], "filing_date": date(2020, 3, 3), "claims": -1}
    batch = value_frame(pl.DataFrame(rows), base_date=date(2020, 3, 2))
    assert on_filing.market is not None
    assert batch["market_value"][0] == on_filing.market.value.amount
    assert batch["error"][1] == (
        "claims: -1 is below 0; "
        "filing_date: 2020-03-03 is after 2020-03-02, the date of the valuation"
    )
    assert batch["value"][1] is None


def test_a_bad_row_keeps_its_error_and_the_others_are_valued() -> None:
    rows, _ = random_rows(3, seed=5)
    rows[1] = {**rows[1], "claims": "-4", "revenue": "lots"}
    batch = value_frame(pl.DataFrame(rows), base_date=BASE)
    assert batch.height == 3
    assert batch["error"][1] == "revenue: 'lots' is not a number; claims: -4 is below 0"
    assert batch["value"][1] is None
    assert batch["value"][0] is not None
    assert batch["value"][2] is not None
    all_bad = value_frame(pl.DataFrame([rows[1]]), base_date=BASE)
    assert all_bad["error"][0] is not None


@pytest.mark.parametrize(("source", "target"), [("csv", "parquet"), ("parquet", "csv")])
def test_files_stream_in_chunks_to_the_same_result(
    tmp_path: Path, source: str, target: str
) -> None:
    rows, _ = random_rows(25, seed=8)
    frame = pl.DataFrame(rows)
    path = tmp_path / f"in.{source}"
    frame.write_csv(path) if source == "csv" else frame.write_parquet(path)
    out = tmp_path / f"out.{target}"
    seen: list[int] = []
    written = value_file(path, out, base_date=BASE, chunk_rows=7, progress=seen.append)
    assert written == 25
    assert seen == [7, 14, 21, 25]
    result = pl.read_parquet(out) if target == "parquet" else pl.read_csv(out, infer_schema=False)
    whole = value_frame(frame, base_date=BASE)
    assert result["patent_id"].to_list() == whole["patent_id"].to_list()
    assert [str(v) if v is not None else None for v in whole["value"]] == [
        None if v in (None, "") else str(v) for v in result["value"]
    ]

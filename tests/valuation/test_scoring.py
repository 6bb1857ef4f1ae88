"""Indicator scoring: tree and weight data, hand-computed references, batch = single, properties."""

import csv
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import LegalStatus, Licence, Money, Patent
from models.patent_number import check_character
from valuation import scoring
from valuation.constants import read_table, sources
from valuation.scoring import (
    Basis,
    Scenario,
    ScoringDataError,
    indicator_tree,
    place_in_band,
    score_batch,
    score_patent,
    weight_profile,
)

AT = date(2025, 3, 1)
STEP = 1e-4 + 1e-9  # one rounding step of the score, plus float error
TYPE_DIGIT = {"invention": 1, "utility_model": 2, "design": 3}
SCHEMA = {
    "patent_id": pl.String,
    "patent_type": pl.String,
    "filing_date": pl.Date,
    "grant_date": pl.Date,
    "legal_status": pl.String,
    "ipc": pl.String,
    "claims": pl.Int64,
    "independent_claims": pl.Int64,
    "forward_citations": pl.Int64,
    "npl_citations": pl.Int64,
    "family_size": pl.Int64,
    "family_countries": pl.String,
    "industry": pl.String,
    "invalidations_survived": pl.Int64,
    "in_litigation": pl.Boolean,
    "licences": pl.Int64,
    "term_adjustment_days": pl.Int64,
}


def cn_number(year: int, kind: str, serial: int = 123456) -> str:
    digits = f"{year}{TYPE_DIGIT[kind]}{serial:07d}"
    return f"ZL{digits}.{check_character(digits)}"


def make(kind: str = "invention", filing: date = date(2015, 3, 1), **fields: Any) -> Patent:
    data: dict[str, Any] = {
        "number": cn_number(filing.year, kind),
        "filing_date": filing,
        "grant_date": filing + timedelta(days=700),
    }
    return Patent.model_validate(data | fields)


def row(patent: Patent) -> dict[str, Any]:
    return {
        "patent_id": str(patent.number),
        "patent_type": patent.patent_type.value,
        "filing_date": patent.filing_date,
        "grant_date": patent.grant_date,
        "legal_status": patent.legal_status.value,
        "ipc": ";".join(patent.ipc_codes) or None,
        "claims": patent.claims,
        "independent_claims": patent.independent_claims,
        "forward_citations": patent.forward_citations,
        "npl_citations": patent.npl_citations,
        "family_size": patent.family_size,
        "family_countries": ";".join(patent.family_countries) or None,
        "industry": patent.industry,
        "invalidations_survived": patent.invalidations_survived,
        "in_litigation": patent.in_litigation,
        "licences": len(patent.licences),
        "term_adjustment_days": patent.term_adjustment_days,
    }


IPC = ["H01M 10/052", "H01M 4/00", "G06F 1/00", "A61K 39/00", "D06M 1/00", "B60L 1/00"]
INDUSTRIES = ["new_energy_vehicles", "machinery", "Biomedicine", "新能源产业", "textiles"]


@st.composite
def patents(draw: st.DrawFn) -> Patent:
    kind = draw(st.sampled_from(list(TYPE_DIGIT)))
    filing = draw(st.dates(date(2004, 1, 1), date(2024, 12, 31)))
    claims = draw(st.none() | st.integers(1, 60))
    return make(
        kind,
        filing,
        legal_status=draw(st.sampled_from(["in_force", "in_force", "lapsed", "expired"])),
        number=cn_number(filing.year, kind, draw(st.integers(1, 9_999_999))),
        claims=claims,
        independent_claims=None if claims is None else draw(st.none() | st.integers(1, claims)),
        forward_citations=draw(st.none() | st.integers(0, 200)),
        npl_citations=draw(st.none() | st.integers(0, 30)),
        family_size=draw(st.none() | st.integers(1, 40)),
        family_countries=draw(st.lists(st.sampled_from(["CN", "US", "EP", "JP"]), unique=True)),
        ipc_codes=draw(st.lists(st.sampled_from(IPC), max_size=4)),
        industry=draw(st.none() | st.sampled_from(INDUSTRIES)),
        invalidations_survived=draw(st.integers(0, 4)),
        in_litigation=draw(st.booleans()),
        licences=[Licence(licensee=f"L{i}") for i in range(draw(st.integers(0, 6)))],
        term_adjustment_days=draw(st.integers(0, 800)),
    )


# -- data ---------------------------------------------------------------------------------------


def test_tree_has_three_first_level_indicators_and_leaves_at_level_three() -> None:
    tree = indicator_tree()
    assert tree.children[None] == ("L", "T", "E")
    assert {leaf.level for leaf in tree.leaves} == {3}
    assert all(tree.nodes[c].level == 2 for first in "LTE" for c in tree.children[first])
    assert sources()["CNIPA-PVA-INDICATORS"].to_check == "against GB/T 42748-2023"


def test_proxies_are_batch_columns_or_patent_fields() -> None:
    proxies = {leaf.proxy for leaf in indicator_tree().leaves if leaf.proxy}
    assert proxies <= scoring.PROXIES
    assert {"forward_citations", "family_size", "ipc", "remaining_term"} <= proxies


def test_weights_sum_to_one_within_each_parent_in_the_csv() -> None:
    text = resources.files("valuation").joinpath("data", "weight_profiles.csv").read_text("utf-8")
    parents = {code: node.parent for code, node in indicator_tree().nodes.items()}
    sums: dict[tuple[str, str | None], Decimal] = defaultdict(Decimal)
    for line in csv.DictReader(text.splitlines()):
        sums[line["profile"], parents[line["code"]]] += Decimal(line["weight"])
    assert {profile for profile, _ in sums} == {s.value for s in Scenario}
    assert all(total == 1 for total in sums.values()), sums


@pytest.mark.parametrize("scenario", list(Scenario))
def test_every_profile_loads_and_effective_weights_sum_to_one(scenario: Scenario) -> None:
    profile = weight_profile(scenario)
    assert sum(profile.effective[leaf.code] for leaf in indicator_tree().leaves) == 1


def test_a_profile_whose_weights_do_not_sum_to_one_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = read_table

    def broken(name: str) -> tuple[dict[str, str], ...]:
        rows = real(name)
        if name != "weight_profiles":
            return rows
        return tuple(r | {"weight": "0.5"} if r["code"] == "L" else r for r in rows)

    monkeypatch.setattr("valuation.scoring.read_table", broken)
    weight_profile.cache_clear()
    try:
        with pytest.raises(ScoringDataError, match=r"weights under None sum to 1\.10"):
            weight_profile(Scenario.PLEDGE)
    finally:
        weight_profile.cache_clear()


# -- references computed by hand -----------------------------------------------------------------


def test_one_log_rule_by_hand() -> None:
    # T1.1 forward citations, log rule lo 0, hi 20, score 10..100, x = 5:
    # s = 10 + 90 · ln(6) / ln(21) = 10 + 90 · 1.7917595 / 3.0445224 = 10 + 52.96674 = 62.96674
    result = score_patent(make(forward_citations=5), at=AT)
    leaf = next(i for i in result.indicators if i.code == "T1.1")
    assert leaf.basis is Basis.OBSERVED
    assert abs(leaf.score - Decimal("62.9667")) <= Decimal("0.0001")
    # W = w_T · w_T1 · w_T1.1 = 0.25 · 0.25 · 0.6 = 0.0375
    assert leaf.effective_weight == Decimal("0.0375")


def test_reference_patent_by_hand() -> None:
    # Term: filed 2015-03-01 + 20 y + 1 day adjustment = 2035-03-02, 7,306 days; at 2025-03-01
    # 3,653 days are left: ratio 0.5, L5.1 = 0 + 100 · 0.5 = 50.
    patent = make(
        filing=date(2015, 3, 1),
        term_adjustment_days=1,
        invalidations_survived=1,  # L1.1 linear 0..2 → 50..100: 75
        claims=30,  # T3.2 log 1..30 → 20..100: at hi, 100
        independent_claims=3,  # L2.1 linear 1..5 → 30..100: 30 + 70 · 2/4 = 65
        in_litigation=True,  # L4.1 linear 0..1 → 50..75: 75
        family_countries=["CN", "US", "EP", "JP", "DE", "FR", "GB", "KR"],  # L6.1 8 = hi: 100
        family_size=25,  # L6.2 above hi 20: 100
        forward_citations=0,  # T1.1: 10
        npl_citations=10,  # T1.2 at hi: 90
        ipc_codes=["H01M 10/052", "H01M 4/00", "G06F 1/00", "A01B 1/00"],  # T3.1 3 subclasses: 65
        industry="new_energy_vehicles",  # E5.1 strategic: 90
    )  # licences: none, L7.1 = 50; every other leaf is not assessed: 50
    result = score_patent(patent, at=AT)
    # Pledge weights W (product along the path) and S = 50 + Σ W·(s − 50):
    #   L1.1 0.05·25 = 1.25   L2.1 0.03·15 = 0.45   L4.1 0.016·25 = 0.4
    #   L6.1 0.024·50 = 1.2   L6.2 0.016·50 = 0.8                         → L part 4.1
    #   T1.1 0.0375·(−40) = −1.5   T1.2 0.009375·40 = 0.375
    #   T3.1 0.01875·15 = 0.28125  T3.2 0.01875·50 = 0.9375               → T part 0.09375
    #   E5.1 0.042·40 = 1.68                                                → E part 1.68
    # S = 50 + 4.1 + 0.09375 + 1.68 = 55.87375 → 55.8738 (half-even at 4 decimals)
    assert result.total_score == Decimal("55.8738")
    # L = 50 + 4.1 / 0.40 = 60.25; T = 50 + 0.09375 / 0.25 = 50.375; E = 50 + 1.68 / 0.35 = 54.8
    assert [s.score for s in result.first_level] == [
        Decimal("60.25"),
        Decimal("50.375"),
        Decimal("54.8"),
    ]
    assert next(i for i in result.indicators if i.code == "L5.1").score == 50
    assert result.level_score("L") == Decimal("60.25")
    # Checked: 0.40 · 60.25 + 0.25 · 50.375 + 0.35 · 54.8 = 24.1 + 12.59375 + 19.18 = 55.87375
    batch = score_batch(pl.DataFrame([row(patent)], schema=SCHEMA), at=AT)
    assert abs(batch["score"][0] - 55.87375) <= 1e-4


def half_term() -> Patent:
    """Half its legal term left at AT (see the reference patent): every observed leaf at 50."""
    return make(filing=date(2015, 3, 1), term_adjustment_days=1)


def test_appraiser_inputs_move_the_score_by_their_effective_weight() -> None:
    # Every leaf at 50 except T2.1 at 90: S = 50 + 40 · W(T2.1) = 50 + 40 · 0.25 · 0.15 = 51.5
    result = score_patent(half_term(), {"T2.1": 90}, at=AT)
    assert result.total_score == Decimal("51.5")
    assert result.level_score("T") == Decimal("56")  # 50 + 40 · 0.15
    assert result.codes(Basis.APPRAISER) == ("T2.1",)


def test_appraiser_input_wins_over_the_proxy_and_all_inputs_at_70_give_70() -> None:
    leaves = [leaf.code for leaf in indicator_tree().leaves]
    result = score_patent(make(forward_citations=50), dict.fromkeys(leaves, "70"), at=AT)
    assert result.total_score == 70
    assert result.codes(Basis.OBSERVED) == ()
    assert result.assessed_weight == 1


def test_unassessed_indicators_are_reported_and_take_the_neutral_score() -> None:
    result = score_patent(make(), at=AT)
    not_assessed = result.codes(Basis.DEFAULT)
    assert {"T1.1", "L6.2", "T3.2", "E1.1", "E5.1"} <= set(not_assessed)
    assert {"L5.1", "L1.1", "L4.1", "L7.1"} <= set(result.codes(Basis.OBSERVED))
    assert all(i.score == 50 for i in result.indicators if i.basis is Basis.DEFAULT)
    assert 0 < result.assessed_weight < 1


def test_a_right_that_has_ended_has_no_term_left() -> None:
    lapsed = half_term().model_copy(update={"legal_status": LegalStatus.LAPSED})
    leaf = next(i for i in score_patent(lapsed, at=AT).indicators if i.code == "L5.1")
    assert (leaf.observed_value, leaf.score) == (0, 0)
    batch = score_batch(pl.DataFrame([row(lapsed)], schema=SCHEMA), at=AT)
    # S = 50 + W(L5.1) · (0 − 50) = 50 − 0.08 · 50 = 46
    assert batch["score"][0] == float(score_patent(lapsed, at=AT).total_score) == 46


def test_a_term_ended_before_the_date_leaves_no_term_not_a_negative_share() -> None:
    # Recorded in force, but its ten-year term ended 2023-03-05, before the date of 2025-06-30.
    ended = make("utility_model", filing=date(2013, 3, 5))
    at = date(2025, 6, 30)
    assert ended.expiry_date == date(2023, 3, 5)
    leaf = next(i for i in score_patent(ended, at=at).indicators if i.code == "L5.1")
    assert (leaf.observed_value, leaf.score) == (0, 0)
    batch = score_batch(pl.DataFrame([row(ended)], schema=SCHEMA), at=at)
    assert abs(batch["score"][0] - float(score_patent(ended, at=at).total_score)) <= STEP


def test_score_is_a_number_not_money_and_carries_an_audit_trail() -> None:
    result = score_patent(make(forward_citations=3), at=AT, scenario=Scenario.LICENSING)
    assert isinstance(result.total_score, Decimal)
    assert not isinstance(result.total_score, Money)
    assert result.audit.input_hash.startswith("sha256:")
    names = {c.name for c in result.audit.constants}
    assert {"scoring_neutral_score", "weight.licensing.L", "rule.T1.1.hi"} <= names
    assert result.audit.steps[-1].name == "total"


@pytest.mark.parametrize(
    ("inputs", "message"), [({"T2": 50}, "not a leaf"), ({"T2.1": 101}, "outside 0..100")]
)
def test_bad_appraiser_inputs_are_refused(inputs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        score_patent(make(), inputs, at=AT)


def test_place_in_band() -> None:
    # 0.30 + (0.50 − 0.30) · 25 / 100 = 0.35; reversed ends for a falling quantity
    assert place_in_band(Decimal("0.30"), Decimal("0.50"), Decimal(25)) == Decimal("0.35")
    assert place_in_band(Decimal("0.50"), Decimal("0.30"), Decimal(25)) == Decimal("0.45")
    with pytest.raises(ValueError, match="outside"):
        place_in_band(Decimal(0), Decimal(1), Decimal(-1))


def test_batch_reads_appraiser_columns_and_works_lazily() -> None:
    frame = pl.DataFrame([row(half_term())], schema=SCHEMA).with_columns(
        pl.lit(90.0).alias("appraiser_T2.1")
    )
    eager = score_batch(frame, at=AT)
    lazy = scoring.score_lazy(frame.lazy(), at=AT).collect()
    assert eager["score"][0] == lazy["score"][0] == 51.5


# -- batch = single, properties ------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(st.lists(patents(), min_size=1, max_size=8), st.dates(date(2005, 1, 1), date(2045, 1, 1)))
def test_batch_equals_single_row_by_row(items: list[Patent], at: date) -> None:
    # Single: Decimal, rounded half-even to 0.0001; batch: float64, rounded alike. They agree to
    # within one rounding step (a float can fall on the other side of a tie) plus float error.
    batch = score_batch(pl.DataFrame([row(p) for p in items], schema=SCHEMA), at=at)
    for patent, line in zip(items, batch.iter_rows(named=True), strict=True):
        single = score_patent(patent, at=at)
        assert abs(line["score"] - float(single.total_score)) <= STEP
        for level in single.first_level:
            assert abs(line[f"score_{level.code}"] - float(level.score)) <= STEP
        assert abs(line["score_assessed_weight"] - float(single.assessed_weight)) <= 1e-9


@settings(max_examples=60, deadline=None)
@given(patents(), st.dates(date(2000, 1, 1), date(2050, 1, 1)), st.sampled_from(list(Scenario)))
def test_score_is_within_0_and_100(patent: Patent, at: date, scenario: Scenario) -> None:
    result = score_patent(patent, at=at, scenario=scenario)
    assert 0 <= result.total_score <= 100
    assert all(0 <= s.score <= 100 for s in result.levels)


@settings(max_examples=60, deadline=None)
@given(
    patents(),
    st.integers(0, 100),
    st.integers(1, 40),
    st.integers(0, 30),
    st.sampled_from(list(Scenario)),
)
def test_score_is_monotone_in_forward_citations_and_family_size(
    patent: Patent, citations: int, family: int, more: int, scenario: Scenario
) -> None:
    def total(**fields: int) -> Decimal:
        changed = patent.model_copy(update=fields)
        return score_patent(changed, at=AT, scenario=scenario).total_score

    assert total(forward_citations=citations + more) >= total(forward_citations=citations)
    assert total(family_size=family + more) >= total(family_size=family)

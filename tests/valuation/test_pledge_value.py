"""Pledge outputs: haircut within its band by the score, LTV caps, rounding, batch = single."""

from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import Money, PatentType
from valuation.pledge_value import haircut_bands, ltv_caps, pledge_value, pledge_value_batch

SCORES = st.decimals(0, 100, places=4)
AMOUNTS = st.decimals(0, 10**10, places=2)


def test_data_bands_and_caps() -> None:
    caps = {kind: cap.value for kind, cap in ltv_caps().items()}
    # One bank's policy (docs/DOMAIN.md §4): invention 25 %, utility model 15 %; design chosen.
    assert caps == {
        PatentType.INVENTION: Decimal("0.25"),
        PatentType.UTILITY_MODEL: Decimal("0.15"),
        PatentType.DESIGN: Decimal("0.10"),
    }
    assert ltv_caps()[PatentType.DESIGN].source_id == "PATENTVAL-DESIGN-LTV"
    for band in haircut_bands().values():
        assert 0 <= band.low.value <= band.high.value <= 1


def test_reference_by_hand() -> None:
    # Invention band 30–50 %, score 60: h = 0.50 − (0.50 − 0.30) · 60 / 100 = 0.38
    # realisable = 1,000,000 × (1 − 0.38) = 620,000.00; max loan = 620,000 × 0.25 = 155,000.00
    result = pledge_value(Money.of("1000000"), PatentType.INVENTION, score=Decimal(60))
    assert result.haircut == Decimal("0.38")
    assert result.realisable_value == Money.of("620000.00")
    assert result.ltv_cap == Decimal("0.25")
    assert result.max_loan == Money.of("155000.00")
    assert [s.name for s in result.audit.steps] == ["haircut", "realisable value", "maximum loan"]
    cited = {c.name for c in result.audit.constants}
    assert cited == {"haircut.invention.low", "haircut.invention.high", "ltv_cap.invention"}


def test_without_a_score_the_conservative_end_applies() -> None:
    # Utility model band 40–60 %, no score: h = 0.60; 500,000 × 0.40 = 200,000; × 0.15 = 30,000
    result = pledge_value(Money.of("500000"), PatentType.UTILITY_MODEL)
    assert result.haircut == Decimal("0.60")
    assert result.realisable_value == Money.of("200000")
    assert result.max_loan == Money.of("30000")


def test_money_is_rounded_once_at_the_end() -> None:
    # Design, no score: h = 0.70; 333.33 × 0.30 = 99.999 → 100.00; the loan comes from the
    # exact 99.999: × 0.10 = 9.9999 → 10.00 (not 100.00 × 0.10 recomputed).
    design = pledge_value(Money.of("333.33"), PatentType.DESIGN)
    assert design.realisable_value == Money.of("100.00")
    assert design.max_loan == Money.of("10.00")
    # Half-even: invention, score 0 → h = 0.50; 0.25 × 0.5 = 0.125 → 0.12; × 0.25 = 0.03125 → 0.03
    tie = pledge_value(Money.of("0.25"), PatentType.INVENTION, score=Decimal(0))
    assert tie.realisable_value == Money.of("0.12")
    assert tie.max_loan == Money.of("0.03")


def test_overrides_are_recorded() -> None:
    result = pledge_value(
        Money.of("1000"), PatentType.INVENTION, haircut=Decimal("0.2"), ltv_cap=Decimal("0.3")
    )
    assert result.realisable_value == Money.of("800")
    assert result.max_loan == Money.of("240")
    assert any("haircut 0.2 given" in a for a in result.audit.assumptions)
    assert any("LTV cap 0.3 given" in a for a in result.audit.assumptions)


@pytest.mark.parametrize(
    ("amount", "kwargs", "message"),
    [
        ("-1", {}, "must not be negative"),
        ("1", {"score": Decimal(101)}, "outside 0..100"),
        ("1", {"haircut": Decimal("1.5")}, "outside 0..1"),
        ("1", {"ltv_cap": Decimal(-1)}, "outside 0..1"),
    ],
)
def test_bad_inputs_are_refused(amount: str, kwargs: dict[str, Decimal], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        pledge_value(Money.of(amount), PatentType.INVENTION, **kwargs)


def test_currency_is_kept() -> None:
    result = pledge_value(Money.of("100", "USD"), PatentType.INVENTION, score=Decimal(100))
    assert result.realisable_value == Money.of("70", "USD")


# -- properties and batch -----------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(AMOUNTS, st.sampled_from(list(PatentType)), st.none() | SCORES)
def test_max_loan_le_realisable_le_market(
    amount: Decimal, kind: PatentType, score: Decimal | None
) -> None:
    result = pledge_value(Money.of(amount), kind, score=score)
    assert Money.zero() <= result.max_loan <= result.realisable_value <= result.market_value


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(list(PatentType)), SCORES, SCORES)
def test_haircut_is_non_increasing_in_score(kind: PatentType, a: Decimal, b: Decimal) -> None:
    low, high = sorted((a, b))
    market = Money.of("1000000")
    assert (
        pledge_value(market, kind, score=high).haircut
        <= pledge_value(market, kind, score=low).haircut
    )
    assert pledge_value(market, kind, score=low).haircut <= pledge_value(market, kind).haircut


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(list(PatentType)), AMOUNTS, st.none() | SCORES),
        min_size=1,
        max_size=10,
    )
)
def test_batch_equals_single(items: list[tuple[PatentType, Decimal, Decimal | None]]) -> None:
    data = pl.DataFrame(
        {
            "patent_id": [f"p{i}" for i in range(len(items))],
            "patent_type": [kind.value for kind, _, _ in items],
            "market_value": [float(amount) for _, amount, _ in items],
            "score": [None if s is None else float(s) for _, _, s in items],
        },
        schema_overrides={"score": pl.Float64},
    )
    batch = pledge_value_batch(data)
    for (kind, amount, score), line in zip(items, batch.iter_rows(named=True), strict=True):
        single = pledge_value(Money.of(amount), kind, score=score)
        assert line["haircut"] == pytest.approx(float(single.haircut), abs=1e-12)
        assert line["ltv_cap"] == float(single.ltv_cap)
        # Float kernel vs Decimal: equal to the fen, or one fen apart on a float tie.
        assert abs(line["realisable_value"] - float(single.realisable_value.amount)) <= 0.0101
        assert abs(line["max_loan"] - float(single.max_loan.amount)) <= 0.0101

"""Income approach: relief from royalty, exact Decimal path and numpy kernels.

Reference results: the two relief-from-royalty oracles of docs/DOMAIN.md §3 (section "Income
approach", "Oracle" and "Oracle 2"), reproduced to the fen.
"""

from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from models import Money, Patent
from models.patent_number import check_character
from valuation.constants import parameter, sources
from valuation.income import (
    Basis,
    IncomeInputs,
    IncomeNotAppliedError,
    PeriodLimit,
    Timing,
    default_profit_share,
    default_royalty_rate,
    discount_rate_buildup,
    income_value,
    not_applied_reason,
    royalty_industries,
    tab_factor,
)
from valuation.income_kernel import income_kernel, income_kernel_paths

FEN = 0.01
FEN_DECIMAL = Decimal("0.01")
ORACLE_1_REVENUES = ("1000000", "1100000", "1200000", "1300000", "1400000")


def oracle_1(**changes: Any) -> IncomeInputs:
    """docs/DOMAIN.md §3, Oracle: revenue [1.0 … 1.4] M, K 5 %, r 12 %, tax 25 %, 5 years."""
    data: dict[str, Any] = {
        "revenues": tuple(Money.of(x) for x in ORACLE_1_REVENUES),
        "royalty_rate": "0.05",
        "discount_rate": "0.12",
        "tax_rate": "0.25",
    }
    return IncomeInputs.model_validate(data | changes)


def oracle_2(**changes: Any) -> IncomeInputs:
    """docs/DOMAIN.md §3, Oracle 2: 50 M growing 8 %/yr, K 4 %, tax 25 %, r 14 %, 8 years."""
    data: dict[str, Any] = {
        "base_revenue": Money.of("50000000"),
        "growth": "0.08",
        "royalty_rate": "0.04",
        "discount_rate": "0.14",
        "tax_rate": "0.25",
        "economic_life_years": "8",
    }
    return IncomeInputs.model_validate(data | changes)


# -- reference results ------------------------------------------------------------------------


def test_oracle_1_domain_md_section_3() -> None:
    result = income_value(oracle_1(), Decimal(5))
    assert result.value == Money.of("159167.92")
    assert [y.t for y in result.years] == [1, 2, 3, 4, 5]
    assert result.years[0].present_value == Decimal(37500) / Decimal("1.12")
    assert result.period_limit is PeriodLimit.LEGAL_TERM


def test_oracle_2_domain_md_section_3() -> None:
    result = income_value(oracle_2(), Decimal("13.5"))
    assert result.value == Money.of("8778491.37")
    assert result.period_years == 8
    assert result.period_limit is PeriodLimit.ECONOMIC_LIFE
    assert "economic life 8" in result.period_reason


def test_oracles_by_the_kernels() -> None:
    revenues = np.array([float(x) for x in ORACLE_1_REVENUES])
    assert income_kernel_paths(revenues, 0.05, 0.25, 0.12, 5.0) == pytest.approx(159167.92, abs=FEN)
    assert income_kernel(50e6, 0.08, 0.04, 0.25, 0.14, 8.0) == pytest.approx(8778491.37, abs=FEN)
    paths = 50e6 * 1.08 ** np.arange(8)
    assert income_kernel_paths(paths, 0.04, 0.25, 0.14, 8.0) == pytest.approx(8778491.37, abs=FEN)


# -- period, timing, part-years -----------------------------------------------------------------


def test_final_part_year_counts_pro_rata_at_its_own_time() -> None:
    inputs = oracle_2(growth="0", economic_life_years="2.5")
    result = income_value(inputs, Decimal(10))
    flow = Decimal(50_000_000) * Decimal("0.04") * Decimal("0.75")
    r = Decimal("1.14")
    expected = flow / r + flow / r**2 + flow * Decimal("0.5") / r ** Decimal("2.5")
    assert result.value.amount == expected.quantize(FEN_DECIMAL)
    assert result.years[-1].fraction == Decimal("0.5")
    assert result.years[-1].time == Decimal("2.5")


def test_mid_year_discounts_half_a_year_earlier() -> None:
    result = income_value(oracle_2(growth="0", economic_life_years="1.5", timing="mid_year"), 10)
    flow = Decimal(50_000_000) * Decimal("0.04") * Decimal("0.75")
    r = Decimal("1.14")
    expected = flow / r ** Decimal("0.5") + flow * Decimal("0.5") / r ** Decimal("1.25")
    assert result.value.amount == expected.quantize(FEN_DECIMAL)
    assert result.timing is Timing.MID_YEAR


def test_legal_term_caps_the_period_never_a_perpetuity() -> None:
    result = income_value(oracle_2(economic_life_years="30"), Decimal("3.25"))
    assert result.period_years == Decimal("3.25")
    assert result.period_limit is PeriodLimit.LEGAL_TERM
    assert len(result.years) == 4


def test_expired_patent_is_worth_nothing() -> None:
    digits = "201710601862"
    patent = Patent(
        number=f"{digits}.{check_character(digits)}",
        filing_date=date(2017, 7, 21),
        grant_date=date(2019, 1, 1),
    )
    for at in (patent.expiry_date, date(2040, 1, 1)):
        result = income_value(oracle_2(), patent.remaining_term(at))
        assert result.value == Money.zero()
        assert result.years == ()


def test_royalty_decays_each_year() -> None:
    result = income_value(oracle_2(royalty_decay="0.1"), 8)
    assert [y.royalty_rate for y in result.years[:3]] == [
        Decimal("0.04"),
        Decimal("0.036"),
        Decimal("0.0324"),
    ]


def test_forecast_must_cover_the_period() -> None:
    with pytest.raises(ValueError, match="covers 5 years"):
        income_value(oracle_1(), Decimal(7))
    assert income_value(oracle_1(economic_life_years="3"), 7).period_years == 3


# -- inputs refused or not applicable ---------------------------------------------------------


def test_no_revenue_means_not_applied() -> None:
    inputs = IncomeInputs(royalty_rate=Decimal("0.05"))
    assert not_applied_reason(inputs) == "no revenue: income approach not applied"
    with pytest.raises(IncomeNotAppliedError, match="no revenue") as caught:
        income_value(inputs, Decimal(5))
    assert caught.value.reason == "no revenue: income approach not applied"


def test_other_not_applied_reasons() -> None:
    base = Money.of("1000000")
    assert "operating margin" in str(
        not_applied_reason(IncomeInputs(base_revenue=base, basis="profit"))
    )
    assert "no royalty rate" in str(not_applied_reason(IncomeInputs(base_revenue=base)))
    assert not_applied_reason(oracle_1()) is None


@pytest.mark.parametrize(
    "changes",
    [
        {"royalty_rate": 0.05},  # a float
        {"discount_rate": 0.12},
        {"royalty_rate": "1.5"},  # a fraction above 1
        {"base_revenue": Money.of("1")},  # with revenues
        {"growth": "0.05"},  # growth on an explicit forecast
        {"revenues": (Money.of("-1"),)},
        {"revenues": (Money.of("1"), Money.of("1", "USD"))},
        {"score": "101"},
        {"economic_life_years": "-1"},
    ],
)
def test_bad_inputs_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        oracle_1(**changes)


def test_negative_remaining_term_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        income_value(oracle_1(), Decimal(-1))


# -- defaults from data -----------------------------------------------------------------------


def test_default_royalty_is_placed_in_the_industry_band() -> None:
    assert "machinery" in royalty_industries()
    assert default_royalty_rate("machinery").value == Decimal("0.0225")
    assert default_royalty_rate("machinery", Decimal(0)).value == Decimal("0.015")
    assert default_royalty_rate("machinery", Decimal(100)).value == Decimal("0.03")
    assert default_royalty_rate("医药", Decimal(50)).value == Decimal("0.0325")
    derived = default_royalty_rate("optics_electronics", Decimal(80))
    assert derived.value == Decimal("0.094")
    assert {c.source_id for c in derived.constants} == {"CN-ROYALTY-TEXTBOOK"}
    assert not sources()["CN-ROYALTY-TEXTBOOK"].checked  # a secondary source, still to check
    with pytest.raises(ValueError, match="no royalty band"):
        default_royalty_rate("basket weaving")
    with pytest.raises(ValueError, match="outside"):
        default_royalty_rate("machinery", Decimal(120))


def test_build_up_discount_rate_lands_in_the_common_range() -> None:
    low, high = parameter("discount_rate_common_low"), parameter("discount_rate_common_high")
    rates = [discount_rate_buildup(s).value for s in (None, Decimal(0), Decimal(100))]
    assert all(low.value <= r <= high.value for r in rates)
    assert rates[1] > rates[0] > rates[2]  # a higher score, a lower technology premium
    names = {c.name for c in discount_rate_buildup().constants}
    assert {"risk_free_rate", "market_premium", "technology_premium_low"} <= names


def test_defaults_are_used_and_cited() -> None:
    inputs = IncomeInputs(
        base_revenue=Money.of("20000000"), industry="machinery", score=Decimal(80)
    )
    result = income_value(inputs, Decimal("9.5"))
    assert result.royalty_rate == default_royalty_rate("machinery", Decimal(80)).value
    assert result.discount_rate == discount_rate_buildup(Decimal(80)).value
    assert result.tax_rate == parameter("corporate_tax_rate").value
    cited = {c.name for c in result.audit.constants}
    assert {"corporate_tax_rate", "risk_free_rate", "royalty_band.machinery.low"} <= cited
    assert all(result.audit.sources[c.source_id] for c in result.audit.constants)


def test_profit_basis_uses_margin_and_the_profit_share_band() -> None:
    inputs = oracle_2(basis="profit", operating_margin="0.2", royalty_rate=None)
    result = income_value(inputs, 8)
    assert result.basis is Basis.PROFIT
    assert result.royalty_rate == default_profit_share().value == Decimal("0.29")
    assert result.years[0].basis_amount == Decimal(10_000_000)
    assert result.warnings == ()
    outside = income_value(oracle_2(basis="profit", operating_margin="0.2", royalty_rate="0.45"), 8)
    assert any("profit share" in w for w in outside.warnings)


def test_band_warnings() -> None:
    rare = income_value(oracle_1(royalty_rate="0.2"), 5)
    assert any("rare" in w for w in rare.warnings)
    assert any(
        "discount rate" in w for w in income_value(oracle_1(discount_rate="0.3"), 5).warnings
    )
    assert income_value(oracle_2(), 8).warnings == ()


# -- tax amortisation benefit -----------------------------------------------------------------


def test_tab_is_off_by_default_and_follows_its_formula() -> None:
    assert income_value(oracle_1(), 5).tab_factor is None
    years = int(parameter("tab_amortisation_years").value)
    annuity = (1 - 1.12**-years) / 0.12  # AICPA practice aid: AF of the N-year amortisation
    expected = 1 / (1 - 0.25 * annuity / years)
    result = income_value(oracle_1(tax_amortisation_benefit=True), 5)
    assert float(result.tab_factor or 0) == pytest.approx(expected, rel=1e-12)
    assert float(result.value.amount) == pytest.approx(159167.9177 * expected, abs=FEN)
    revenues = np.array([float(x) for x in ORACLE_1_REVENUES])
    kernel = income_kernel_paths(revenues, 0.05, 0.25, 0.12, 5.0, tab_years=float(years))
    assert kernel == pytest.approx(float(result.value.amount), abs=FEN)
    with pytest.raises(ValueError, match="TAB undefined"):
        tab_factor(Decimal(0), Decimal(1), 1, Timing.END_OF_YEAR)


def test_audit_trail_lists_steps_and_hash() -> None:
    result = income_value(oracle_2(), 8)
    names = [s.name for s in result.audit.steps]
    assert names[0] == "period n"
    assert names[-1] == "value"
    assert result.audit.input_hash == income_value(oracle_2(), 8).audit.input_hash
    assert result.audit.input_hash != income_value(oracle_2(), 9).audit.input_hash


# -- kernels agree with the exact path --------------------------------------------------------


def realistic(seed: int, size: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    cases = []
    for _ in range(size):
        cases.append(
            {
                "revenue": Decimal(f"{rng.lognormal(16, 1.2):.2f}"),
                "growth": Decimal(f"{rng.uniform(-0.1, 0.3):.4f}"),
                "royalty": Decimal(f"{rng.uniform(0.005, 0.12):.4f}"),
                "decay": Decimal(f"{rng.choice([0, rng.uniform(0, 0.2)]):.4f}"),
                "discount": Decimal(f"{rng.uniform(0.08, 0.25):.4f}"),
                "tax": Decimal(f"{rng.choice([0.15, 0.25]):.2f}"),
                "life": Decimal(f"{rng.uniform(0, 20):.4f}"),
                "legal": Decimal(f"{rng.uniform(0, 20):.4f}"),
                "mid_year": bool(rng.integers(2)),
                "tab": bool(rng.integers(2)),
            }
        )
    return cases


def exact(case: dict[str, Any]) -> Decimal:
    inputs = IncomeInputs(
        base_revenue=Money.of(case["revenue"]),
        growth=case["growth"],
        royalty_rate=case["royalty"],
        royalty_decay=case["decay"],
        discount_rate=case["discount"],
        tax_rate=case["tax"],
        economic_life_years=case["life"],
        timing=Timing.MID_YEAR if case["mid_year"] else Timing.END_OF_YEAR,
        tax_amortisation_benefit=case["tab"],
    )
    return income_value(inputs, case["legal"]).value.amount


def columns(cases: list[dict[str, Any]], key: str) -> np.ndarray:
    return np.array([float(c[key]) for c in cases])


def test_kernels_agree_with_the_decimal_path_to_the_fen() -> None:
    cases = realistic(seed=20240901, size=400)
    period = np.minimum(columns(cases, "life"), columns(cases, "legal"))
    mid_year = np.array([c["mid_year"] for c in cases])
    tab = np.array([c["tab"] for c in cases])
    years = float(parameter("tab_amortisation_years").value)
    args = (columns(cases, "royalty"), columns(cases, "tax"), columns(cases, "discount"), period)
    decay = columns(cases, "decay")
    closed = np.where(
        tab,
        income_kernel(columns(cases, "revenue"), columns(cases, "growth"), *args, decay=decay,
                      mid_year=mid_year, tab_years=years),
        income_kernel(columns(cases, "revenue"), columns(cases, "growth"), *args, decay=decay,
                      mid_year=mid_year),
    )  # fmt: skip
    grown = columns(cases, "revenue")[:, None] * np.cumprod(
        np.c_[np.ones(len(cases)), np.repeat(1 + columns(cases, "growth")[:, None], 19, axis=1)],
        axis=1,
    )
    paths = income_kernel_paths(grown, *args, decay=decay, mid_year=mid_year)
    for i, case in enumerate(cases):
        value = float(exact(case))
        assert closed[i] == pytest.approx(value, abs=FEN), case
        if not case["tab"]:
            assert paths[i] == pytest.approx(value, abs=FEN), case


def test_kernel_handles_q_equal_to_one_and_zero_periods() -> None:
    # growth equal to the discount rate: q = 1, each whole year contributes a / (1 + r)
    value = income_kernel(1e6, 0.12, 0.05, 0.25, 0.12, 3.0)
    assert value == pytest.approx(3 * 37500 / 1.12, rel=1e-12)
    zeros = income_kernel(np.full(3, 1e6), 0.05, 0.05, 0.25, 0.12, np.array([0.0, -1.0, 0.0]))
    assert np.array_equal(zeros, np.zeros(3))
    with pytest.raises(ValueError, match="cover 2 years"):
        income_kernel_paths(np.ones((1, 2)), 0.05, 0.25, 0.12, 3.0)


# -- properties -------------------------------------------------------------------------------

rates = st.decimals(min_value="0", max_value="0.5", places=4)
royalties = st.decimals(min_value="0", max_value="0.3", places=4)
revenues = st.decimals(min_value="0", max_value="1e9", places=2)
terms = st.decimals(min_value="0", max_value="20", places=4)


def valued(
    revenue: Decimal, royalty: Decimal, discount: Decimal, term: Decimal, **kw: Any
) -> Decimal:
    inputs = IncomeInputs(
        base_revenue=Money.of(revenue),
        growth=kw.get("growth", Decimal("0.05")),
        royalty_rate=royalty,
        discount_rate=discount,
        tax_rate=Decimal("0.25"),
        timing=kw.get("timing", Timing.END_OF_YEAR),
    )
    return income_value(inputs, term).value.amount


@settings(deadline=None, max_examples=60)
@given(revenues, royalties, royalties, rates, terms)
def test_value_is_non_negative_and_monotone_in_royalty(
    revenue: Decimal, k1: Decimal, k2: Decimal, r: Decimal, term: Decimal
) -> None:
    low, high = sorted((k1, k2))
    assert Decimal(0) <= valued(revenue, low, r, term) <= valued(revenue, high, r, term)


@settings(deadline=None, max_examples=60)
@given(revenues, revenues, royalties, rates, terms)
def test_value_is_monotone_in_revenue(
    b1: Decimal, b2: Decimal, k: Decimal, r: Decimal, term: Decimal
) -> None:
    low, high = sorted((b1, b2))
    assert valued(low, k, r, term) <= valued(high, k, r, term)


@settings(deadline=None, max_examples=60)
@given(revenues, royalties, rates, rates, terms)
def test_value_is_non_increasing_in_the_discount_rate(
    b: Decimal, k: Decimal, r1: Decimal, r2: Decimal, term: Decimal
) -> None:
    low, high = sorted((r1, r2))
    assert valued(b, k, high, term) <= valued(b, k, low, term)


@settings(deadline=None, max_examples=30)
@given(revenues, royalties, rates)
def test_value_is_zero_without_remaining_term(b: Decimal, k: Decimal, r: Decimal) -> None:
    assert valued(b, k, r, Decimal(0)) == 0


@settings(deadline=None, max_examples=60)
@given(revenues, royalties, rates, terms)
def test_mid_year_is_worth_at_least_end_of_year(
    b: Decimal, k: Decimal, r: Decimal, term: Decimal
) -> None:
    end = valued(b, k, r, term, timing=Timing.END_OF_YEAR)
    assert valued(b, k, r, term, timing=Timing.MID_YEAR) >= end

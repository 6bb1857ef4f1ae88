"""Lender policy as data: lookup order, the shared default caps, validation, LTV, dates."""

from datetime import date
from decimal import Decimal

import pytest

from models import CurrencyMismatchError, Money, PatentType
from models.dates import add_months, months_elapsed
from pledge import constants
from pledge.policy import (
    DEFAULT_LENDER,
    PatentValuation,
    PolicyError,
    Setting,
    check_ltv,
    load_policies,
    policy_book,
    valuation_valid_until,
)
from tests.pledge.builders import make_patent, make_valuation
from valuation.pledge_value import ltv_caps


def row(lender: str, kind: str, setting: str, value: str, source: str = "BANK-PLEDGE-CAP"):
    return {
        "policy_version": "test",
        "lender": lender,
        "patent_type": kind,
        "setting": setting,
        "value": value,
        "unit": "",
        "source_id": source,
        "note": "",
    }


SHIPPED = list(constants.read_table("lender_policies"))


def test_shipped_default_policy() -> None:
    # docs/DOMAIN.md §4: invention 25 %, utility model 15 %, term ≤ 3 years, valuation 12 months.
    book = policy_book()
    invention = book.for_type(DEFAULT_LENDER, PatentType.INVENTION)
    utility = book.for_type(DEFAULT_LENDER, PatentType.UTILITY_MODEL)
    assert (invention.cap, utility.cap) == (Decimal("0.25"), Decimal("0.15"))
    assert (invention.max_term, invention.validity) == (36, 12)
    assert invention.ltv_cap.source_id == "BANK-PLEDGE-CAP"
    assert invention.valuation_validity_months.source_id == "CAS-REPORT-VALIDITY"


def test_default_caps_are_the_valuation_caps() -> None:
    book = policy_book()
    for kind, cap in ltv_caps().items():
        assert book.for_type(DEFAULT_LENDER, kind).cap == cap.value
        assert book.for_type(DEFAULT_LENDER, kind).ltv_cap.source_id == cap.source_id


def test_every_source_id_is_known() -> None:
    for name in ("lender_policies", "eligibility_messages"):
        assert all(r["source_id"] in constants.sources() for r in constants.read_table(name))


def test_unknown_lender_gets_the_default_policy() -> None:
    policy = policy_book().for_type("某农商行", PatentType.DESIGN)
    assert policy.lender == "某农商行"
    assert policy.ltv_cap.lender == DEFAULT_LENDER
    assert policy.cap == Decimal("0.10")


def test_lookup_order_type_then_star_then_default() -> None:
    book = load_policies(
        [
            *SHIPPED,
            row("bank-a", "*", "ltv_cap", "0.30"),
            row("bank-a", "invention", "ltv_cap", "0.40"),
            row("bank-a", "*", "max_term_months", "60"),
        ]
    )
    invention = book.for_type("bank-a", PatentType.INVENTION)
    utility = book.for_type("bank-a", PatentType.UTILITY_MODEL)
    assert (invention.cap, utility.cap) == (Decimal("0.40"), Decimal("0.30"))
    assert (invention.max_term, invention.validity) == (60, 12)
    assert invention.valuation_validity_months.lender == DEFAULT_LENDER
    assert "bank-a" in book.lenders


def test_a_lender_row_may_override_the_default_cap() -> None:
    book = load_policies([*SHIPPED, row(DEFAULT_LENDER, "invention", "ltv_cap", "0.20")])
    assert book.for_type("x", PatentType.INVENTION).cap == Decimal("0.20")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (row("b", "*", "haircut", "0.3"), "unknown setting"),
        (row("b", "plant", "ltv_cap", "0.3"), "unknown patent type"),
        (row("b", "*", "ltv_cap", "0.3", "NOWHERE"), "source_id"),
        (row("b", "*", "ltv_cap", "1.5"), "outside 0..1"),
        (row("b", "*", "max_term_months", "12.5"), "whole number"),
        (row("b", "*", "valuation_validity_months", "0"), "whole number"),
    ],
)
def test_bad_rows_are_refused(bad: dict[str, str], message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        load_policies([*SHIPPED, bad])


def test_a_setting_defined_twice_is_refused() -> None:
    with pytest.raises(PolicyError, match="twice"):
        load_policies([*SHIPPED, row("b", "*", "ltv_cap", "0.3"), row("b", "*", "ltv_cap", "0.4")])


def test_the_default_lender_must_answer_every_setting() -> None:
    without_term = [r for r in SHIPPED if r["setting"] != Setting.MAX_TERM_MONTHS]
    with pytest.raises(PolicyError, match="max_term_months"):
        load_policies(without_term)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 8, 31), 6, date(2025, 2, 28)),
        (date(2025, 3, 15), 12, date(2026, 3, 15)),
        (date(2025, 3, 15), -3, date(2024, 12, 15)),
    ],
)
def test_add_months_clips_to_the_month_end(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_months_elapsed() -> None:
    assert months_elapsed(date(2025, 3, 1), date(2025, 3, 1)) == 0
    assert months_elapsed(date(2025, 3, 1), date(2025, 3, 31)) == 0
    assert months_elapsed(date(2025, 3, 1), date(2025, 4, 1)) == 1
    assert months_elapsed(date(2025, 1, 31), date(2025, 2, 27)) == 0
    assert months_elapsed(date(2025, 1, 31), date(2025, 2, 28)) == 1


def test_valuation_validity() -> None:
    assert valuation_valid_until(date(2024, 6, 30), 12) == date(2025, 6, 30)


def test_portfolio_ltv_uses_the_value_weighted_cap() -> None:
    # 1,000,000 invention at 25 % + 1,000,000 utility model at 15 %: at most 400,000, cap 20 %.
    invention = make_valuation(make_patent())
    utility = make_valuation(make_patent("utility_model", serial=11))
    within = check_ltv(Money.of("400000"), [invention, utility], DEFAULT_LENDER)
    assert within.within
    assert (within.ltv, within.cap) == (Decimal("0.2000"), Decimal("0.2000"))
    assert within.policy_max_loan == Money.of("400000")
    assert within.appraised_total == Money.of("2000000")
    over = check_ltv(Money.of("400000.01"), [invention, utility], DEFAULT_LENDER)
    assert not over.within


def test_ltv_on_nothing_of_value() -> None:
    zero = make_valuation(make_patent(), value="0")
    result = check_ltv(Money.of("1"), [zero], DEFAULT_LENDER)
    assert (result.ltv, result.cap, result.within) == (None, None, False)


def test_ltv_refuses_mixed_currencies() -> None:
    valued = make_valuation(make_patent(), value="1000", base_date=date(2025, 1, 1))
    in_usd = valued.model_copy(update={"value": Money.of("1000", "USD")})
    with pytest.raises(CurrencyMismatchError):
        check_ltv(Money.of("100"), [in_usd], DEFAULT_LENDER)


def test_valuation_normalises_its_number_and_refuses_negative_values() -> None:
    patent = make_patent()
    typed = PatentValuation(
        patent_number="ZL 2019 1 0601862.2",
        patent_type=patent.patent_type,
        base_date=date(2025, 1, 1),
        value=Money.of("1"),
    )
    assert typed.patent_number == patent.number.patent_number
    with pytest.raises(ValueError, match="negative"):
        make_valuation(patent, value="-1")

"""Patents: terms, annual fees and validation (oracles from docs/DOMAIN.md §2)."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from models import FeeReduction, Money, Patent, PatentType, RuleError, annual_fee, late_surcharge
from models.dates import add_years, years_between
from models.patent_number import check_character


def cn_number(year: int, type_digit: int, serial: int = 123456) -> str:
    digits = f"{year}{type_digit}{serial:07d}"
    return f"ZL{digits}.{check_character(digits)}"


def make(**fields: Any) -> Patent:
    filing: date = fields.get("filing_date", date(2015, 3, 1))
    digit = {"invention": 1, "utility_model": 2, "design": 3}[fields.pop("kind", "invention")]
    data: dict[str, Any] = {
        "number": cn_number(filing.year, digit),
        "filing_date": filing,
        "grant_date": add_years(filing, 1),
    }
    data.update(fields)
    return Patent.model_validate(data)


# -- terms: Patent Law 2020 Art. 42 ---------------------------------------------------------


def test_invention_term_oracle() -> None:
    patent = make(filing_date=date(2015, 3, 1))
    assert patent.patent_type is PatentType.INVENTION
    assert patent.expiry_date == date(2035, 3, 1)
    assert patent.remaining_term(date(2025, 3, 1)) == Decimal("10.0000")


def test_utility_model_term_is_ten_years() -> None:
    patent = make(kind="utility_model", filing_date=date(2019, 7, 15))
    assert patent.expiry_date == date(2029, 7, 15)


@pytest.mark.parametrize(
    ("filed", "expires"),
    [(date(2021, 5, 31), date(2031, 5, 31)), (date(2021, 6, 1), date(2036, 6, 1))],
)
def test_design_term_changed_on_2021_06_01(filed: date, expires: date) -> None:
    assert make(kind="design", filing_date=filed).expiry_date == expires


def test_term_adjustment_extends_expiry() -> None:
    patent = make(filing_date=date(2015, 3, 1), term_adjustment_days=365)
    assert patent.expiry_date == date(2036, 2, 29)


def test_remaining_term_is_zero_after_expiry() -> None:
    patent = make(filing_date=date(2015, 3, 1))
    assert patent.remaining_term(date(2040, 1, 1)) == 0


def test_foreign_invention_takes_twenty_years_unless_expiry_given() -> None:
    common = {
        "patent_type": "invention",
        "filing_date": date(2001, 1, 9),
        "grant_date": date(2004, 3, 2),
    }
    assert Patent(number="US6699658B1", **common).expiry_date == date(2021, 1, 9)
    given_expiry = Patent(
        number="US6699658B1",
        expiry_date_given=date(2022, 5, 1),
        **common,
    )
    assert given_expiry.expiry_date == date(2022, 5, 1)
    with pytest.raises(ValidationError, match="expiry_date_given 2000-01-01 is not after"):
        Patent(number="US6699658B1", expiry_date_given=date(2000, 1, 1), **common)


def test_leap_day_anniversary_falls_back_to_28_february() -> None:
    assert add_years(date(2016, 2, 29), 10) == date(2026, 2, 28)
    assert add_years(date(2016, 2, 29), 20) == date(2036, 2, 29)


@given(
    start=st.dates(date(1985, 1, 1), date(2040, 12, 31)),
    years=st.integers(0, 30),
)
def test_years_between_anniversaries_is_whole(start: date, years: int) -> None:
    if not (start.month == 2 and start.day == 29):
        assert years_between(start, add_years(start, years)) == years


# -- fees: CNIPA schedule, reductions and surcharges --------------------------------------


def test_fee_oracles() -> None:
    assert annual_fee(PatentType.INVENTION, 13) == Money.of(6000)
    assert annual_fee(PatentType.DESIGN, 12) == Money.of(3000)
    assert annual_fee(PatentType.INVENTION, 1, FeeReduction.SINGLE) == Money.of(135)
    assert annual_fee(PatentType.INVENTION, 1, FeeReduction.JOINT) == Money.of(270)


def test_late_payment_in_month_three_adds_ten_percent() -> None:
    fee = Money.of(1200)
    assert late_surcharge(fee, 3) == Money.of(120)
    assert late_surcharge(fee, 1) == Money.zero()
    assert late_surcharge(fee, 6) == Money.of(300)
    with pytest.raises(RuleError, match="right has ended"):
        late_surcharge(fee, 7)


@pytest.mark.parametrize(
    ("patent_type", "year"),
    [(PatentType.INVENTION, 21), (PatentType.UTILITY_MODEL, 11), (PatentType.DESIGN, 16)],
)
def test_no_fee_beyond_the_term(patent_type: PatentType, year: int) -> None:
    with pytest.raises(RuleError, match=f"patent year {year}"):
        annual_fee(patent_type, year)


def test_patent_fee_uses_its_own_reduction_and_year_arithmetic() -> None:
    patent = make(filing_date=date(2015, 3, 1), fee_reduction="single")
    assert patent.annual_fee(4) == Money.of(180)
    assert patent.patent_year(date(2015, 3, 1)) == 1
    assert patent.patent_year(date(2025, 2, 28)) == 10
    assert patent.patent_year(date(2025, 3, 1)) == 11
    assert patent.fee_due_date(11) == date(2025, 3, 1)


def test_foreign_patents_have_no_cnipa_fee() -> None:
    patent = Patent(
        number="US6699658B1",
        patent_type="invention",
        filing_date=date(2001, 1, 9),
        legal_status="pending",
    )
    with pytest.raises(RuleError, match="jurisdiction US"):
        patent.annual_fee(3)


# -- bad input names the field and the reason ---------------------------------------------


def field_error(**fields: Any) -> tuple[tuple[str | int, ...], str]:
    with pytest.raises(ValidationError) as caught:
        make(**fields)
    error = caught.value.errors()[0]
    return error["loc"], error["msg"]


def test_grant_before_filing_is_refused() -> None:
    loc, msg = field_error(filing_date=date(2015, 3, 1), grant_date=date(2014, 1, 1))
    assert loc == ("grant_date",)
    assert "before filing date 2015-03-01" in msg


@pytest.mark.parametrize("field", ["claims", "forward_citations", "backward_citations"])
def test_negative_counts_are_refused(field: str) -> None:
    loc, msg = field_error(**{field: -1})
    assert loc == (field,)
    assert "greater than or equal to 0" in msg


def test_owner_shares_must_sum_to_100_percent() -> None:
    loc, msg = field_error(
        owners=[{"name": "A Co.", "share_percent": "60"}, {"name": "B Co.", "share_percent": "30"}]
    )
    assert loc == ("owners",)
    assert "sum to 90 %" in msg


def test_unknown_type_is_refused() -> None:
    loc, msg = field_error(patent_type="software")
    assert loc == ("patent_type",)
    assert "invention" in msg


def test_type_must_match_the_number() -> None:
    loc, msg = field_error(patent_type="design")
    assert loc == ("patent_type",)
    assert "type digit 1" in msg


def test_filing_year_must_match_the_number() -> None:
    with pytest.raises(ValidationError) as caught:
        Patent(number=cn_number(2015, 1), filing_date=date(2016, 1, 1))
    assert caught.value.errors()[0]["loc"] == ("filing_date",)


def test_independent_claims_cannot_exceed_claims() -> None:
    loc, _ = field_error(claims=3, independent_claims=4)
    assert loc == ("independent_claims",)


def test_bad_ipc_code_is_refused() -> None:
    loc, msg = field_error(ipc_codes=["H01M 10/052", "banana"])
    assert loc == ("ipc_codes",)
    assert "'BANANA' is not an IPC code" in msg
    _, other_script = field_error(ipc_codes=["H٠١M 10/052"])  # Arabic-Indic digits
    assert "is not an IPC code" in other_script


def test_in_force_needs_a_grant_date() -> None:
    with pytest.raises(ValidationError, match="grant_date is required"):
        make(grant_date=None)


def test_owners_and_ipc_are_normalised() -> None:
    patent = make(
        owners=[
            {"name": "A Co.", "share_percent": 50, "consents_to_pledge": True},
            {"name": "B Co.", "share_percent": "50"},
        ],
        ipc_codes=["h01m   10/052"],
        family_countries=["us", "EP"],
    )
    assert [o.share_percent for o in patent.owners] == [Decimal(50), Decimal(50)]
    assert patent.ipc_codes == ["H01M 10/052"]
    assert patent.family_countries == ["US", "EP"]

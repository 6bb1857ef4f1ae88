"""Chinese patent numbers: parsing, check characters, type digits (docs/DOMAIN.md §2)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from models import InvalidPatentNumberError, PatentNumber, PatentType
from models.patent_number import check_character


@pytest.mark.parametrize(
    "typed",
    [
        "201710601862.3",
        "ZL 2017 1 0601862.3",
        "CN201710601862.3",
        "ZL201710601862.3",
        "zl201710601862.3",
        "ＺＬ２０１７１０６０１８６２．３",  # full-width, as typed with a Chinese input method
        "2017106018623",
    ],
)
def test_forms_people_type_normalise_to_one_number(typed: str) -> None:
    number = PatentNumber.parse(typed)
    assert number.application_number == "201710601862.3"
    assert number.patent_number == "ZL201710601862.3"
    assert number.jurisdiction == "CN"
    assert number.filing_year == 2017
    assert number.patent_type is PatentType.INVENTION


@pytest.mark.parametrize(
    "typed",
    [
        "ZL٢٠١٧١٠٦٠١٨٦٢.٣",  # Arabic-Indic digits: no NFKC form, another key for the same patent
        "ZL२०१७१०६०१८६२.३",  # Devanagari
        "US१२३४५६७",
    ],
)
def test_digits_of_other_scripts_are_refused(typed: str) -> None:
    """Only ASCII digits, and the full-width ones a Chinese input method types, make a number:
    ``\\d`` alone would take any script's digits and store the same patent under a second
    number."""
    with pytest.raises(InvalidPatentNumberError):
        PatentNumber.parse(typed)


def test_check_character_oracle() -> None:
    # DOMAIN.md §2: weights 2,3,4,5,6,7,8,9,2,3,4,5; sum 157; 157 mod 11 = 3.
    assert check_character("201710601862") == "3"


def test_wrong_check_character_is_refused_naming_the_expected_one() -> None:
    with pytest.raises(InvalidPatentNumberError, match="expected '3'"):
        PatentNumber.parse("201710601862.4")


def test_missing_check_character_names_the_full_number() -> None:
    with pytest.raises(InvalidPatentNumberError, match=r"201710601862\.3"):
        PatentNumber.parse("ZL201710601862")


def test_pre_2003_number_with_x_check() -> None:
    # DOMAIN.md §2: 8 digits with weights 2..9; 186 mod 11 = 10, written X.
    number = PatentNumber.parse("95115608.X")
    assert check_character("95115608") == "X"
    assert number.filing_year == 1995
    assert number.patent_type is PatentType.INVENTION
    assert number.format(spaced=True) == "ZL 95 1 15608.X"


@pytest.mark.parametrize(
    ("digit", "patent_type", "pct"),
    [
        (1, PatentType.INVENTION, False),
        (2, PatentType.UTILITY_MODEL, False),
        (3, PatentType.DESIGN, False),
        (8, PatentType.INVENTION, True),
        (9, PatentType.UTILITY_MODEL, True),
    ],
)
def test_type_digit_decoded(digit: int, patent_type: PatentType, pct: bool) -> None:
    digits = f"2019{digit}0123456"
    number = PatentNumber.parse(f"{digits}.{check_character(digits)}")
    assert number.type_digit == digit
    assert number.patent_type is patent_type
    assert number.is_pct is pct


def test_unknown_type_digit_is_refused() -> None:
    digits = "201940123456"
    with pytest.raises(InvalidPatentNumberError, match="type digit 4"):
        PatentNumber.parse(f"{digits}.{check_character(digits)}")


@pytest.mark.parametrize("text", ["", "ZL", "2017106", "ABC", "CN12345"])
def test_unreadable_numbers_are_refused(text: str) -> None:
    with pytest.raises(InvalidPatentNumberError):
        PatentNumber.parse(text)


def test_other_jurisdictions_are_opaque_ids() -> None:
    number = PatentNumber.parse("US 6,699,658 B1".replace(",", ""))
    assert number.jurisdiction == "US"
    assert number.application_number == "US6699658B1"
    assert number.patent_type is None
    assert number.filing_year is None
    forced = PatentNumber.parse("1234567", jurisdiction="jp")
    assert (forced.jurisdiction, forced.application_number) == ("JP", "1234567")


def test_a_field_of_type_patent_number_reports_its_name() -> None:
    class Holder(BaseModel):
        number: PatentNumber

    with pytest.raises(ValidationError) as caught:
        Holder(number="201710601862.4")
    error = caught.value.errors()[0]
    assert error["loc"] == ("number",)
    assert "expected '3'" in error["msg"]


cn_digits = st.tuples(
    st.integers(2003, 2030), st.sampled_from([1, 2, 3, 8, 9]), st.integers(0, 9_999_999)
).map(lambda t: f"{t[0]}{t[1]}{t[2]:07d}")
old_digits = st.tuples(
    st.integers(85, 103), st.sampled_from([1, 2, 3, 8, 9]), st.integers(0, 99_999)
).map(lambda t: f"{t[0] % 100:02d}{t[1]}{t[2]:05d}")


@given(digits=st.one_of(cn_digits, old_digits), spaced=st.booleans())
def test_format_parse_format_round_trip(digits: str, spaced: bool) -> None:
    number = PatentNumber.parse(f"{digits}.{check_character(digits)}")
    text = number.format(spaced=spaced)
    again = PatentNumber.parse(text)
    assert again == number
    assert again.format(spaced=spaced) == text


@given(digits=cn_digits, wrong=st.sampled_from("0123456789X"))
def test_every_wrong_check_character_is_refused(digits: str, wrong: str) -> None:
    right = check_character(digits)
    if wrong == right:
        assert PatentNumber.parse(f"{digits}.{wrong}").application_number == f"{digits}.{wrong}"
    else:
        with pytest.raises(InvalidPatentNumberError, match=f"expected '{right}'"):
            PatentNumber.parse(f"{digits}.{wrong}")

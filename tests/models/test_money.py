"""Money is Decimal with a currency, rounded half-even to the minor unit; floats are refused."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from models import CurrencyMismatchError, Fraction, Money, Rate
from models.money import total


def test_float_amount_is_refused() -> None:
    with pytest.raises(ValidationError, match="float"):
        Money(amount=0.1)


@pytest.mark.parametrize(("given_amount", "rounded"), [("0.125", "0.12"), ("0.135", "0.14")])
def test_half_even_rounding_to_the_fen(given_amount: str, rounded: str) -> None:
    assert Money.of(given_amount).amount == Decimal(rounded)


def test_cny_is_the_default_currency_and_fen_count() -> None:
    money = Money.of("1234567.89")
    assert money.currency == "CNY"
    assert money.minor_units == 123456789
    assert str(money) == "CNY 1,234,567.89"


def test_mixed_currencies_are_refused() -> None:
    with pytest.raises(CurrencyMismatchError, match="CNY with USD"):
        Money.of(1) + Money.of(1, "USD")
    with pytest.raises(CurrencyMismatchError):
        _ = Money.of(1) < Money.of(2, "USD")


def test_unknown_currency_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown currency"):
        Money.of(1, "XYZ")


def test_yen_has_no_minor_unit() -> None:
    assert Money.of("100.5", "JPY").amount == Decimal("100")


def test_arithmetic_stays_decimal() -> None:
    assert Money.of("0.10") + Money.of("0.20") == Money.of("0.30")
    assert Money.of("10.00") * Decimal("0.333") == Money.of("3.33")
    assert Money.of("10.00") / 3 == Money.of("3.33")
    assert -Money.of("1.00") == Money.of("-1.00")
    assert total([Money.of("1.01"), Money.of("2.02")]) == Money.of("3.03")
    assert total([]) == Money.zero()
    with pytest.raises(ValueError, match="float"):
        _ = Money.of(1) * 0.5


@pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity", True, None, [1]])
def test_non_numbers_are_refused(bad: object) -> None:
    with pytest.raises(ValidationError):
        Money(amount=bad)


class _Terms(BaseModel):
    rate: Rate
    share: Fraction


def test_rates_refuse_floats_and_fractions_stay_in_range() -> None:
    assert _Terms(rate="-0.02", share="0.25").rate == Decimal("-0.02")
    with pytest.raises(ValidationError) as caught:
        _Terms(rate=0.05, share="0.25")
    assert caught.value.errors()[0]["loc"] == ("rate",)
    with pytest.raises(ValidationError, match=r"outside 0\.\.1"):
        _Terms(rate="0.05", share="25")


amounts = st.decimals(min_value=-(10**12), max_value=10**12, allow_nan=False, places=4)


@given(a=amounts, b=amounts)
def test_addition_is_exact_on_fen_amounts(a: Decimal, b: Decimal) -> None:
    left, right = Money(amount=a), Money(amount=b)
    assert (left + right).amount == left.amount + right.amount
    assert (left + right) - right == left


@given(a=amounts)
def test_rounding_is_idempotent_and_within_half_a_fen(a: Decimal) -> None:
    money = Money(amount=a)
    assert Money(amount=money.amount) == money
    assert abs(money.amount - a) <= Decimal("0.005")

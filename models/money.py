"""Money and rates as exact decimals.

Money is a Decimal amount with an ISO 4217 currency, rounded half-even to the currency's minor
unit (the fen for CNY) on construction. Floats are refused everywhere: a binary float cannot hold
0.1 exactly, and a ledger must never disagree with itself by a fen.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationInfo,
    field_validator,
)

# Minor-unit exponents (ISO 4217). A currency not listed here is refused rather than guessed.
_MINOR_UNITS: dict[str, int] = {
    "CNY": 2,
    "HKD": 2,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "JPY": 0,
    "KRW": 0,
}
DEFAULT_CURRENCY = "CNY"
AMOUNT_DIGITS = 15
"""Integer digits an amount may have: every amount the service takes in, computes for storage
or accrues on a loan is below 10^15 (a thousand trillion) in its currency, so that stored
amounts and the ledger's sums of them fit both engines exactly (``NUMERIC(20, 2)`` on
PostgreSQL; on SQLite the integer count of minor units, which must stay below 2^63)."""
AMOUNT_LIMIT = Decimal(10) ** AMOUNT_DIGITS
"""The bound of :data:`AMOUNT_DIGITS`: amounts are below it."""


class CurrencyMismatchError(ValueError):
    """Arithmetic or comparison between amounts in different currencies."""


def to_decimal(value: object) -> Decimal:
    """Convert an int, str or Decimal to a finite Decimal; refuse floats and booleans."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, float):
        raise ValueError(
            f"float {value!r} is not accepted: pass the number as a string or Decimal "
            "(e.g. '0.05'), since binary floats cannot hold decimal amounts exactly"
        )
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace("_", "")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a decimal number") from None
    else:
        raise ValueError(f"{type(value).__name__} is not a decimal number")
    if not result.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return result


def _finite(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("not a finite number")
    return value


def _fraction(value: Decimal) -> Decimal:
    if not Decimal(0) <= value <= Decimal(1):
        raise ValueError(f"{value} is outside 0..1 (write 5 % as 0.05)")
    return value


Rate = Annotated[Decimal, BeforeValidator(to_decimal), AfterValidator(_finite)]
"""A decimal rate (growth, discount, royalty): 0.05 means 5 %; may be negative; never a float."""

Fraction = Annotated[Decimal, BeforeValidator(to_decimal), AfterValidator(_fraction)]
"""A decimal share in 0..1 (a tax rate, a haircut, a loan-to-value ratio)."""


def minor_unit(currency: str) -> Decimal:
    """The smallest unit of ``currency`` as a Decimal quantum (Decimal('0.01') for CNY)."""
    return Decimal(1).scaleb(-_MINOR_UNITS[currency])


def round_money(amount: Decimal, currency: str = DEFAULT_CURRENCY) -> Decimal:
    """Round half-even to the currency's minor unit."""
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_EVEN)


class Money(BaseModel):
    """An amount of money: Decimal, one currency, rounded half-even to the minor unit."""

    model_config = ConfigDict(frozen=True)

    currency: str = DEFAULT_CURRENCY
    amount: Decimal

    @field_validator("currency", mode="before")
    @classmethod
    def _known_currency(cls, value: Any) -> str:
        if not isinstance(value, str) or value.strip().upper() not in _MINOR_UNITS:
            known = ", ".join(sorted(_MINOR_UNITS))
            raise ValueError(f"unknown currency {value!r}; known: {known}")
        return value.strip().upper()

    @field_validator("amount", mode="before")
    @classmethod
    def _exact_amount(cls, value: Any, info: ValidationInfo) -> Decimal:
        currency = info.data.get("currency", DEFAULT_CURRENCY)
        return round_money(to_decimal(value), currency)

    @classmethod
    def of(cls, amount: object, currency: str = DEFAULT_CURRENCY) -> Self:
        """Money from an int, str or Decimal amount."""
        return cls(amount=amount, currency=currency)  # type: ignore[arg-type]

    @classmethod
    def zero(cls, currency: str = DEFAULT_CURRENCY) -> Self:
        return cls(amount=Decimal(0), currency=currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatchError(
                f"cannot combine {self.currency} with {other.currency}: convert first"
            )

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(amount=self.amount - other.amount, currency=self.currency)

    def __neg__(self) -> Money:
        return Money(amount=-self.amount, currency=self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        return Money(amount=self.amount * to_decimal(factor), currency=self.currency)

    __rmul__ = __mul__

    def __truediv__(self, divisor: Decimal | int) -> Money:
        return Money(amount=self.amount / to_decimal(divisor), currency=self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def __str__(self) -> str:
        return f"{self.currency} {self.amount:,.{_MINOR_UNITS[self.currency]}f}"

    @property
    def minor_units(self) -> int:
        """The amount as an integer count of minor units (fen for CNY)."""
        return int(self.amount.scaleb(_MINOR_UNITS[self.currency]))


def total(amounts: list[Money], currency: str = DEFAULT_CURRENCY) -> Money:
    """Sum a list of Money in one currency (zero for an empty list)."""
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result


def within_limit(amount: Money) -> bool:
    """Whether ``amount`` is below :data:`AMOUNT_LIMIT` in magnitude."""
    return abs(amount.amount) < AMOUNT_LIMIT

"""Shapes shared by the HTTP schemas: money and decimals as strings, ids and patent numbers,
pages of a listing."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Generic, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from models.dates import FIRST_DAY, LAST_DAY, in_service_range
from models.money import AMOUNT_DIGITS, AMOUNT_LIMIT, Money, minor_unit, to_decimal

if TYPE_CHECKING:
    from storage.listings import Page


def _in_service_range(day: date) -> date:
    if not in_service_range(day):
        raise PydanticCustomError(
            "date_out_of_range",
            "{day} is outside the days the service accepts, {first} to {last}",
            {"day": day.isoformat(), "first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
        )
    return day


Day = Annotated[date, AfterValidator(_in_service_range)]
"""A day of a request (YYYY-MM-DD), from :data:`FIRST_DAY` to :data:`LAST_DAY`; every date of
the API's queries and bodies is one, so no date arithmetic downstream leaves the calendar."""


def _decimal_text(integers: int, places: int) -> Callable[[str], str]:
    """A check that text is a plain decimal number of at most ``integers`` digits before the
    point and ``places`` after, in ASCII digits (``\\d`` would let other scripts' digits by)."""
    pattern = re.compile(rf"-?[0-9]{{1,{integers}}}(?:\.[0-9]{{1,{places}}})?")

    def check(text: str) -> str:
        if pattern.fullmatch(text) is None:
            raise PydanticCustomError(
                "decimal_text",
                "'{text}' is not a plain decimal number: write digits 0-9 with an optional minus "
                "sign and decimal point, at most {integers} digits before the point and {places} "
                'after, e.g. "0.0435"',
                {"text": text[:40], "integers": integers, "places": places},
            )
        return text

    return check


DecimalText = Annotated[
    str,
    StringConstraints(strip_whitespace=True),
    AfterValidator(_decimal_text(18, 12)),
    Field(description='a decimal number as a string, e.g. "0.0435"; never a JSON number'),
]


def _loan_rate(text: str) -> str:
    if not Decimal(0) <= Decimal(text) < Decimal(1):
        raise PydanticCustomError(
            "loan_rate",
            "annual rate {text} is outside 0 (included) to 1 (excluded): write 4.35 % as 0.0435",
            {"text": text},
        )
    return text


LoanRate = Annotated[
    str,
    StringConstraints(strip_whitespace=True),
    AfterValidator(_decimal_text(1, 8)),
    AfterValidator(_loan_rate),
    Field(
        examples=["0.0435"],
        description="the annual rate as a decimal string from 0 up to (not including) 1, at "
        "most 8 places, as the loan keeps it",
    ),
]
"""A loan's annual rate as a loan stores it: 0 ≤ rate < 1, at most 8 decimal places."""
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["CNY"])]
RecordId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
PartyId = Annotated[str, Field(min_length=1, max_length=64)]
PatentNumbers = Annotated[
    list[Annotated[str, Field(min_length=3, max_length=60)]],
    Field(min_length=1, max_length=200),
]
"""One registered patent's number or up to 200 of them."""
Item = TypeVar("Item")
Record = TypeVar("Record")


class Strict(BaseModel):
    """A request body: unknown fields are refused, so a misspelt field is not ignored."""

    model_config = ConfigDict(extra="forbid")


_AMOUNT = re.compile(r"[0-9]+(\.[0-9]+)?")


def _amount_text(value: str) -> str:
    """A non-negative amount written in ASCII digits, below :data:`models.money.AMOUNT_LIMIT`."""
    if not _AMOUNT.fullmatch(value):
        raise ValueError(
            f"{value!r} is not an amount: write digits with an optional decimal point, such as "
            '"5000000.00" (no sign, no thousands separators, no exponent)'
        )
    if len(value.partition(".")[0].lstrip("0")) > AMOUNT_DIGITS:
        raise ValueError(
            f"{value} is too large: an amount has at most {AMOUNT_DIGITS} digits before the "
            f"point (below {AMOUNT_LIMIT:,})"
        )
    return value


class MoneyIn(Strict):
    """An amount of money: a decimal string and an ISO 4217 currency (CNY by default)."""

    amount: Annotated[
        str,
        StringConstraints(strip_whitespace=True),
        AfterValidator(_amount_text),
        Field(
            examples=["5000000.00"],
            description=f"decimal string of ASCII digits, at most the currency's places "
            f"(2 for CNY), below {AMOUNT_LIMIT:,}",
        ),
    ]
    currency: Currency = "CNY"

    @model_validator(mode="after")
    def _exact(self) -> Self:
        value = to_decimal(self.amount)
        if Money.of(value, self.currency).amount != value:
            raise ValueError(
                f"{self.amount} is finer than the {self.currency} minor unit "
                f"{minor_unit(self.currency)}"
            )
        return self

    def money(self) -> Money:
        """The amount as domain money."""
        return Money.of(self.amount, self.currency)


class MoneyRead(BaseModel):
    """An amount of money: a decimal string with the currency's places, and the currency."""

    amount: Annotated[str, Field(examples=["5000000.00"])]
    currency: Currency

    @classmethod
    def of(cls, money: Money) -> MoneyRead:
        """The HTTP shape of ``money``."""
        return cls(amount=str(money.amount), currency=money.currency)

    @classmethod
    def maybe(cls, money: Money | None) -> MoneyRead | None:
        """The HTTP shape of ``money``, or None."""
        return None if money is None else cls.of(money)


def decimal_text(value: Decimal | None) -> str | None:
    """A decimal as text (None stays None)."""
    return None if value is None else str(value)


def rate_text(value: Decimal) -> str:
    """A rate as the shortest decimal text that is exactly it: ``0.05000000`` (as a column
    keeps it) and ``0.05`` (as a client sent it) both read ``0.05``, so a record reads the same
    when it is created and when it is read back."""
    return format(value.normalize(), "f")


class PageRead(BaseModel, Generic[Item]):
    """A page of a listing: its items, the total and where the page starts."""

    items: list[Item]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(
        cls, page: Page[Record], item: Callable[[Record], Item], *, limit: int, offset: int
    ) -> Self:
        """The HTTP shape of a page of a listing, each record shaped by ``item``."""
        items = [item(record) for record in page.items]
        return cls(items=items, total=page.total, limit=limit, offset=offset)

"""The pages' forms: read as text, checked field by field; a bad field gets its error (a message
of the catalog with its values) and the form is shown again with what was typed.

Money is read as Decimal (thousands separators allowed, at most two decimals), rates as percent
(``3.5`` is 3.5 %), dates as ``YYYY-MM-DD`` within the service's range of days, patent numbers in
any form :mod:`models.patent_number` reads. Numbers are written in ASCII digits; the full-width
digits, point, minus and percent sign a Chinese input method types are read as their ASCII
forms, and digits of other scripts are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from models.dates import FIRST_DAY, LAST_DAY, in_service_range
from models.money import AMOUNT_LIMIT
from pledge.proposal import normalise_number
from reports.i18n import N_

MAX_PATENTS = 50
MAX_TEXT = 2_000
_SEPARATORS = re.compile(r"[\n\r,;，；、]+")
_HUNDRED = Decimal(100)
_CENT = Decimal("0.01")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．－＋％", "0123456789.-+%")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_WHOLE_NUMBER = re.compile(r"[0-9]+")


def _number_text(text: str) -> str:
    """``text`` with full-width digits and signs as ASCII (what a Chinese input method types)."""
    return text.translate(_FULL_WIDTH)


def _plain_decimal(text: str) -> Decimal:
    """The decimal a plain number in ASCII digits writes; NaN for anything else (an exponent,
    digits of another script: ``Decimal`` itself would read ``١٠٠`` as 100)."""
    if _PLAIN_NUMBER.fullmatch(text) is None:
        return Decimal("NaN")
    return Decimal(text)


@dataclass(frozen=True, slots=True)
class FieldError:
    """What is wrong with a field: a catalog message and its values."""

    name: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Form:
    """A submitted form: the text of each field, and the errors found reading it."""

    values: dict[str, str]
    errors: list[FieldError] = field(default_factory=list)

    @classmethod
    def of(cls, data: Any, names: tuple[str, ...]) -> Form:
        """The fields ``names`` of the submitted ``data`` (a form's multi-dict), as text."""
        values = {}
        for name in names:
            raw = data.get(name)
            values[name] = raw.strip()[:MAX_TEXT] if isinstance(raw, str) else ""
        return cls(values)

    def fail(self, name: str, message: str, **params: Any) -> None:
        """Record an error on field ``name``."""
        self.errors.append(FieldError(name, message, params))

    def error_of(self, name: str) -> FieldError | None:
        return next((e for e in self.errors if e.name == name), None)

    @property
    def ok(self) -> bool:
        return not self.errors

    def text(self, name: str, *, required: bool = False, limit: int = 200) -> str | None:
        value = self.values.get(name, "")
        if not value:
            if required:
                self.fail(name, N_("Fill this in."))
            return None
        if len(value) > limit:
            self.fail(name, N_("At most %(limit)s characters."), limit=limit)
            return None
        return value

    def day(self, name: str, *, default: date | None = None) -> date | None:
        value = self.values.get(name, "")
        if not value:
            if default is None:
                self.fail(name, N_("Fill this in."))
            return default
        try:
            day = date.fromisoformat(value)
        except ValueError:
            self.fail(name, N_("%(value)s is not a date: write it as YYYY-MM-DD."), value=value)
            return None
        if not in_service_range(day):
            self.fail(
                name,
                N_("%(value)s is outside the days accepted, %(first)s to %(last)s."),
                value=value,
                first=FIRST_DAY.isoformat(),
                last=LAST_DAY.isoformat(),
            )
            return None
        return day

    def money(self, name: str, *, required: bool = False) -> Decimal | None:
        value = self.values.get(name, "").replace(",", "").replace("，", "")
        if not value:
            if required:
                self.fail(name, N_("Fill this in."))
            return None
        amount = _plain_decimal(_number_text(value))
        if not amount.is_finite() or amount <= 0 or amount >= AMOUNT_LIMIT:
            self.fail(name, N_("%(value)s is not an amount of yuan above zero."), value=value)
            return None
        if amount != amount.quantize(_CENT):
            self.fail(name, N_("At most two decimals (fen)."))
            return None
        return amount.quantize(_CENT)

    def whole(self, name: str, *, low: int, high: int) -> int | None:
        value = self.values.get(name, "")
        if not value:
            return None
        digits = _number_text(value)
        # str.isdigit() would take "²" and other scripts' digits, which int() then refuses
        if _WHOLE_NUMBER.fullmatch(digits) is None or not low <= int(digits) <= high:
            self.fail(name, N_("Give a whole number from %(low)s to %(high)s."), low=low, high=high)
            return None
        return int(digits)

    def percent(self, name: str, *, low: Decimal, high: Decimal) -> Decimal | None:
        """A rate typed in percent, as a fraction (``3.5`` → 0.035)."""
        value = _number_text(self.values.get(name, "")).removesuffix("%").strip()
        if not value:
            return None
        rate = _plain_decimal(value)
        if not rate.is_finite() or not low <= rate <= high:
            self.fail(name, N_("Give a percentage from %(low)s to %(high)s."), low=low, high=high)
            return None
        return rate / _HUNDRED

    def patent_numbers(self, name: str) -> list[str]:
        """The patent numbers of a field (one a line, or separated by commas), normalised."""
        numbers: list[str] = []
        for part in _SEPARATORS.split(self.values.get(name, "")):
            text = part.strip()
            if not text:
                continue
            try:
                number = normalise_number(text)
            except ValueError:
                self.fail(name, N_("%(value)s is not a patent number."), value=text)
                continue
            if number in numbers:
                self.fail(name, N_("%(value)s is listed twice."), value=text)
                continue
            numbers.append(number)
        if not numbers and self.error_of(name) is None:
            self.fail(name, N_("Give at least one patent number."))
        if len(numbers) > MAX_PATENTS:
            self.fail(name, N_("At most %(limit)s patents at once."), limit=MAX_PATENTS)
        return numbers


ELIGIBILITY_FIELDS = ("patents", "amount", "term_months", "lender", "as_of")
APPRAISAL_FIELDS = (
    "patent_number",
    "base_date",
    "revenue",
    "revenue_growth",
    "royalty_rate",
    "discount_rate",
    "economic_life",
    "rd_cost",
    "form_id",
)
SCREENING_TERM_MONTHS = 12
"""The term a list of patents is screened for when the form gives no loan."""
PATENT_NUMBER_LENGTH = 60
"""The longest patent number a form takes (as the API's path parameter)."""
SCREENING_AMOUNT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class EligibilityInput:
    """A checked eligibility form: the patents, the loan (None: screen the patents) and the day."""

    patents: list[str]
    amount: Decimal | None
    term_months: int
    lender: str | None
    as_of: date

    def body(self) -> dict[str, Any]:
        """The JSON API's request body (``EligibilityCreate``) of this form."""
        amount = self.amount if self.amount is not None else SCREENING_AMOUNT
        return {
            "patents": self.patents,
            "loan": {
                "amount": {"amount": str(amount), "currency": "CNY"},
                "term_months": self.term_months,
                "lender": self.lender,
            },
            "as_of": self.as_of.isoformat(),
        }


def eligibility_input(form: Form, today: date) -> EligibilityInput | None:
    """The eligibility form read, its day ``today`` when it gives none; None when a field is
    wrong (the errors are in ``form``)."""
    patents = form.patent_numbers("patents")
    amount = form.money("amount")
    term = form.whole("term_months", low=1, high=360)
    if amount is not None and term is None and form.error_of("term_months") is None:
        form.fail("term_months", N_("Give the loan's term with its amount."))
    lender = form.text("lender", limit=64)
    as_of = form.day("as_of", default=today)
    if not form.ok or as_of is None:
        return None
    return EligibilityInput(patents, amount, term or SCREENING_TERM_MONTHS, lender, as_of)


def appraisal_body(form: Form, draws: int, seed: int, today: date) -> dict[str, Any] | None:
    """The JSON API's appraisal request (``AppraisalCreate``) of the appraisal form, with
    ``draws`` and ``seed`` for the value range and base date ``today`` when it gives none; None
    when a field is wrong."""
    number = form.text("patent_number", required=True, limit=PATENT_NUMBER_LENGTH)
    if number is not None:
        try:
            number = normalise_number(number)
        except ValueError:
            form.fail("patent_number", N_("%(value)s is not a patent number."), value=number)
    base_date = form.day("base_date", default=today)
    revenue = form.money("revenue")
    rd_cost = form.money("rd_cost")
    growth = form.percent("revenue_growth", low=Decimal(-50), high=Decimal(100))
    royalty = form.percent("royalty_rate", low=Decimal(0), high=Decimal(100))
    discount = form.percent("discount_rate", low=Decimal(0), high=Decimal(100))
    life = form.whole("economic_life", low=1, high=30)
    if not form.ok or number is None or base_date is None:
        return None
    financials: dict[str, Any] = {}
    for name, money in (("revenue", revenue), ("rd_cost", rd_cost)):
        if money is not None:
            financials[name] = {"amount": str(money), "currency": "CNY"}
    for name, rate in (
        ("revenue_growth", growth),
        ("royalty_rate", royalty),
        ("discount_rate", discount),
    ):
        if rate is not None:  # plain decimal text: str() would write 1E-9, which the API refuses
            financials[name] = format(rate, "f")
    if life is not None:
        financials["economic_life"] = str(life)
    return {
        "patent_number": number,
        "base_date": base_date.isoformat(),
        "financials": financials,
        "draws": draws,
        "seed": seed,
    }

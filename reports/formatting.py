"""Money, numbers and dates as a report prints them, per language, with Babel.

Every amount is formatted from its ``Decimal`` (Babel computes in Decimal), never through a float:
``¥1,234,567.89`` in Chinese, ``CN¥1,234,567.89`` in English (CLDR's symbols). Chinese headline
figures add the amount in 万元 / 亿元 (CLDR's compact decimal forms) when it is large enough for
one. The filters are registered on each report's Jinja2 environment by :mod:`reports.rendering`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from babel.dates import format_date, format_skeleton
from babel.numbers import format_compact_decimal, format_currency, format_decimal, format_percent

from models.money import DEFAULT_CURRENCY, Money
from reports.i18n import N_, Language, gettext_for

PERCENT_PATTERN = "#,##0.00%"
NUMBER_PATTERN = "#,##0.00"
WHOLE_PATTERN = "#,##0"
STEP_PATTERN = "#,##0.######"
"""Audit-trail values: up to six decimals, enough to retrace each step by hand."""
COMPACT_DIGITS = 2
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _amount(value: Money | Decimal) -> tuple[Decimal, str]:
    if isinstance(value, Money):
        return value.amount, value.currency
    return value, DEFAULT_CURRENCY


class Formatter:
    """The formatting filters of one language."""

    def __init__(self, language: Language) -> None:
        self.language = language
        self.locale = language.locale

    def _(self, message: str) -> str:
        return gettext_for(self.language, message)

    def money(self, value: Money | Decimal | None) -> str:
        """``¥1,234,567.89``; an em dash for no value."""
        if value is None:
            return "—"
        amount, currency = _amount(value)
        return format_currency(amount, currency, locale=self.locale)

    def amount(self, value: Money | Decimal | None) -> str:
        """The amount without its currency (``1,234,567.89``), for tables headed in CNY."""
        if value is None:
            return "—"
        amount, _currency = _amount(value)
        return format_decimal(amount, NUMBER_PATTERN, locale=self.locale)

    def compact_money(self, value: Money | Decimal) -> str | None:
        """The amount in 万元 / 亿元 (Chinese), or None when it is too small for a unit."""
        amount, _currency = _amount(value)
        figure = format_compact_decimal(amount, locale=self.locale, fraction_digits=COMPACT_DIGITS)
        if figure[-1:].isdigit():
            return None
        return self._("%(figure)s yuan") % {"figure": figure}

    def headline_money(self, value: Money | Decimal | None) -> str:
        """``¥2,227,892.34（222.79万元）`` in Chinese; as :meth:`money` in English."""
        text = self.money(value)
        if value is None or not self.language.shows_compact_money:
            return text
        compact = self.compact_money(value)
        return text if compact is None else f"{text}（{compact}）"

    def axis_money(self, value: float) -> str:
        """A chart axis tick: a compact figure (``222.79万``, ``2.23M``); floats are pixels here."""
        return str(format_compact_decimal(value, locale=self.locale, fraction_digits=1))

    def date(self, value: dt.date | None) -> str:
        """``2025年6月30日`` / ``June 30, 2025``."""
        return "—" if value is None else str(format_date(value, "long", locale=self.locale))

    def month(self, value: dt.date) -> str:
        """``2025年6月`` / ``Jun 2025``."""
        return str(format_skeleton("yMMM", value, locale=self.locale))

    def percent(self, value: Decimal | None) -> str:
        """A fraction as a percentage with two decimals: 0.25 → ``25.00%``."""
        return "—" if value is None else format_percent(value, PERCENT_PATTERN, locale=self.locale)

    def number(self, value: Decimal | int | None, pattern: str = NUMBER_PATTERN) -> str:
        """A number with two decimals (or the given pattern)."""
        return "—" if value is None else format_decimal(value, pattern, locale=self.locale)

    def whole(self, value: Decimal | int | None) -> str:
        """A count: ``1,234``."""
        return self.number(value, WHOLE_PATTERN)

    def years(self, value: Decimal | None) -> str:
        """``12.05 years`` / ``12.05 年``."""
        if value is None:
            return "—"
        return self._("%(years)s years") % {"years": self.number(value)}

    def colon(self, label: str) -> str:
        """``label`` followed by the language's colon (``委托人：`` / ``Client: ``)."""
        return self._("%(label)s: ") % {"label": label}

    def parens(self, text: str) -> str:
        """``text`` in the language's brackets, after a space in English: ``（法定）`` /
        `` (legal)``."""
        return self._(" (%(text)s)") % {"text": text}

    def step(self, value: Decimal | str) -> str:
        """An audit-trail value: a number to six decimals, or the text the engine wrote."""
        if isinstance(value, str):
            return value
        return format_decimal(value, STEP_PATTERN, locale=self.locale)

    def filters(self) -> dict[str, Callable[..., Any]]:
        """The Jinja2 filters, by name."""
        return {
            "money": self.money,
            "amount": self.amount,
            "headline_money": self.headline_money,
            "date": self.date,
            "month": self.month,
            "percent": self.percent,
            "number": self.number,
            "whole": self.whole,
            "years": self.years,
            "step": self.step,
            "colon": self.colon,
            "parens": self.parens,
        }


def css_string(text: str) -> str:
    """``text`` as a CSS string literal (quotes and backslashes escaped, no line breaks)."""
    cleaned = text.replace("\r", " ").replace("\n", " ")
    return '"' + cleaned.replace("\\", "\\\\").replace('"', '\\"') + '"'


def page_counter_content(language: Language) -> str:
    """The CSS ``content`` of the page footer: ``"第 " counter(page) " 页 共 " …``.

    From the message ``Page %(page)s of %(pages)s``: each placeholder becomes the CSS counter of
    the same name, each literal a CSS string.
    """
    template = gettext_for(language, N_("Page %(page)s of %(pages)s"))
    parts: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        if match.start() > position:
            parts.append(css_string(template[position : match.start()]))
        parts.append(f"counter({match.group(1)})")
        position = match.end()
    if position < len(template):
        parts.append(css_string(template[position:]))
    return " ".join(parts)

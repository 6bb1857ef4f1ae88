"""Calendar arithmetic shared by the domain: anniversaries, month steps, elapsed periods.

A date moved by whole years or months keeps its day of month, clipped to the end of a shorter
month (29 February becomes 28 February in a common year, 31 March plus one month is 30 April).
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal

MONTHS_PER_YEAR = 12
FIRST_DAY = date(1900, 1, 1)
"""The earliest day the service accepts: no patent in force, pledge or loan it records is older."""
LAST_DAY = date(2999, 12, 31)
"""The latest day the service accepts: far beyond any term, yet the statutory terms (at most 20
years and a term adjustment), loan terms (at most 30 years) and the navigation's years ahead added
to it stay well inside the calendar, which ends with 9999. The API, the pages and the command
line accept the days from :data:`FIRST_DAY` to this one."""


def in_service_range(day: date) -> bool:
    """Whether ``day`` is one the service accepts (:data:`FIRST_DAY` … :data:`LAST_DAY`)."""
    return FIRST_DAY <= day <= LAST_DAY


def add_years(start: date, years: int) -> date:
    """The anniversary ``years`` after ``start``; 29 February falls back to 28 February."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def years_between(start: date, end: date) -> Decimal:
    """Years from ``start`` to ``end`` counted by anniversaries, the last part pro rata by days."""
    if end < start:
        return -years_between(end, start)
    whole = end.year - start.year
    if add_years(start, whole) > end:
        whole -= 1
    anniversary = add_years(start, whole)
    year_days = (add_years(start, whole + 1) - anniversary).days
    return Decimal(whole) + Decimal((end - anniversary).days) / Decimal(year_days)


def add_months(start: date, months: int) -> date:
    """``start`` moved by ``months`` calendar months, the day clipped to the month's end."""
    index = start.year * MONTHS_PER_YEAR + start.month - 1 + months
    year, month = divmod(index, MONTHS_PER_YEAR)
    day = min(start.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day)


def months_elapsed(start: date, end: date) -> int:
    """Whole calendar months from ``start`` to ``end`` (the largest k with start + k ≤ end)."""
    months = (end.year - start.year) * MONTHS_PER_YEAR + end.month - start.month
    return months - 1 if add_months(start, months) > end else months

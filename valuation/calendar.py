r"""Calendar arithmetic of :mod:`models.dates` as polars expressions, for batch columns.

Anniversaries and years between dates are computed with integer arithmetic on each date's year,
month and day, so no per-row text (an offset such as ``"3y"``) is built or parsed. A date moved
by whole years keeps its month and day, except 29 February, which becomes 28 February in a common
year; years between two dates count whole anniversaries plus the last part-year by days.

Day numbers are days since 1970-01-01, polars' ``Date``. In the proleptic Gregorian calendar,
with years counted from 1 March so that the leap day closes its year [1]_, the day number of
year :math:`y`, month :math:`m` and day :math:`d` is

.. math::

    N(y, m, d) = 365\,y' + \lfloor y'/4 \rfloor - \lfloor y'/100 \rfloor
        + \lfloor y'/400 \rfloor + \left\lfloor \frac{153\,m' + 2}{5} \right\rfloor + d - 1 - N_0,

with :math:`y' = y - [m \le 2]`, :math:`m' = (m + 9) \bmod 12` (March is 0, February 11),
:math:`\lfloor (153\,m' + 2)/5 \rfloor` the days of the months before :math:`m'` in such a year,
and :math:`N_0 = 719\,468` the number of 1970-01-01 counted from 0000-03-01.

References
----------
.. [1] H. Hinnant, "chrono-Compatible Low-Level Date Algorithms", section ``days_from_civil``,
   https://howardhinnant.github.io/date_algorithms.html
"""

from __future__ import annotations

import polars as pl

from models.dates import MONTHS_PER_YEAR

FEBRUARY, LEAP_DAY, LEAP_FALLBACK = 2, 29, 28
"""29 February moved to a common year becomes 28 February."""
_COMMON_YEAR_DAYS = 365
_JULIAN_CYCLE, _CENTURY, _GREGORIAN_CYCLE = 4, 100, 400
"""A leap year every 4 years, except centuries, except every 400 years."""
_MONTH_SPAN_NUMERATOR, _MONTH_SPAN_DENOMINATOR, _MONTH_SPAN_OFFSET = 153, 5, 2
"""Days before month m' of a year starting in March: ⌊(153 m' + 2) / 5⌋."""
_MARCH_FIRST_SHIFT = MONTHS_PER_YEAR - 3
"""(m + 9) mod 12 numbers the months from March (0) to February (11)."""
_EPOCH_DAY = 719_468
"""Day number of 1970-01-01 counted from 0000-03-01 (proleptic Gregorian)."""


def _int(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.Int64)


def is_leap_year(year: pl.Expr) -> pl.Expr:
    """Whether ``year`` (an integer expression) is a Gregorian leap year."""
    return ((year % _JULIAN_CYCLE == 0) & (year % _CENTURY != 0)) | (year % _GREGORIAN_CYCLE == 0)


def day_number(year: pl.Expr, month: pl.Expr, day: pl.Expr) -> pl.Expr:
    """Days from 1970-01-01 to the valid date ``year-month-day`` (Int64; see the formula)."""
    shifted = year - (month <= FEBRUARY).cast(pl.Int64)
    leap_days = shifted // _JULIAN_CYCLE - shifted // _CENTURY + shifted // _GREGORIAN_CYCLE
    months = (
        _MONTH_SPAN_NUMERATOR * ((month + _MARCH_FIRST_SHIFT) % MONTHS_PER_YEAR)
        + _MONTH_SPAN_OFFSET
    ) // _MONTH_SPAN_DENOMINATOR
    return _COMMON_YEAR_DAYS * shifted + leap_days + months + day - 1 - _EPOCH_DAY


def anniversary_day(year: pl.Expr, month: pl.Expr, day: pl.Expr) -> pl.Expr:
    """The day of month of ``month``/``day`` in ``year``: 29 February is 28 in a common year."""
    falls_back = (month == FEBRUARY) & (day == LEAP_DAY) & ~is_leap_year(year)
    return day - falls_back.cast(pl.Int64) * (LEAP_DAY - LEAP_FALLBACK)


def _parts(prefix: str, date: pl.Expr) -> dict[str, pl.Expr]:
    return {
        f"{prefix}year": _int(date.dt.year()),
        f"{prefix}month": _int(date.dt.month()),
        f"{prefix}day": _int(date.dt.day()),
    }


def _named_as(start: pl.Expr, result: pl.Expr) -> pl.Expr:
    """``result`` under the output name of ``start``, as an expression rooted at it would be."""
    name = start.meta.output_name(raise_if_undetermined=False)
    return result if name is None else result.alias(name)


def add_years(start: pl.Expr, years: pl.Expr | int) -> pl.Expr:
    """The anniversary ``years`` after ``start`` (``models.dates.add_years``); null where
    either is."""
    if isinstance(years, int):  # one offset for every row: polars' own calendar step
        return start.dt.offset_by(f"{years}y")
    f = pl.field
    staged = pl.struct(start=start, years=_int(years))
    staged = staged.struct.with_fields(**_parts("", f("start")))
    staged = staged.struct.with_fields(year=f("year") + f("years"))
    day = anniversary_day(f("year"), f("month"), f("day"))
    moved = day_number(f("year"), f("month"), day).cast(pl.Date)
    return _named_as(start, staged.struct.with_fields(moved=moved).struct.field("moved"))


def years_between(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    r"""Years from ``start`` to ``end`` (``models.dates.years_between``), Float64.

    With :math:`a \le b` the earlier and later date, :math:`w` the whole anniversaries of
    :math:`a` up to :math:`b` and :math:`A_w` the :math:`w`-th anniversary,

    .. math::

        t = w + \frac{b - A_w}{A_{w+1} - A_w},

    negative when ``end`` is before ``start``. Where one of the two is null, the other stands
    for both (the span is 0); where both are, the result is null.
    """
    f = pl.field
    span = pl.struct(
        low=pl.min_horizontal(start, end),
        high=pl.max_horizontal(start, end),
        negative=end < start,
    )
    span = span.struct.with_fields(
        **_parts("", f("low")),
        **_parts("high_", f("high")),
        high_number=_int(f("high")),
    )
    # The anniversary in the later date's year, if after it, is not yet reached.
    in_high_year = anniversary_day(f("high_year"), f("month"), f("day"))
    not_reached = (f("month") > f("high_month")) | (
        (f("month") == f("high_month")) & (in_high_year > f("high_day"))
    )
    span = span.struct.with_fields(whole=f("high_year") - f("year") - not_reached.cast(pl.Int64))
    span = span.struct.with_fields(
        anniversary=_anniversary_number(f("year") + f("whole")),
        following=_anniversary_number(f("year") + f("whole") + 1),
    )
    years = f("whole").cast(pl.Float64) + (f("high_number") - f("anniversary")) / (
        f("following") - f("anniversary")
    )
    signed = pl.when(f("negative")).then(-years).otherwise(years)
    return _named_as(start, span.struct.with_fields(years=signed).struct.field("years"))


def _anniversary_number(year: pl.Expr) -> pl.Expr:
    """Day number of the struct's ``month``/``day`` in ``year`` (29 February falling back)."""
    f = pl.field
    return day_number(year, f("month"), anniversary_day(year, f("month"), f("day")))

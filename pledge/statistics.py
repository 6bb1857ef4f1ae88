"""Pledge-financing statistics for a regulator: totals by bank, industry, patent type and period.

The input is a polars frame with one row per pledge (deal):

=================  =============  ===========================================================
column             type           meaning
=================  =============  ===========================================================
pledge_id          String         unique id of the pledge registration
registered_on      Date           day the pledge was registered (the pledge exists from then)
released_on        Date, null     day it was released (注销); null while it is live
bank               String         the pledgee
industry           String         the pledgor's industry
patent_type        String         a ``PatentType`` value, or "mixed" for a mixed patent list
enterprise         String         the pledgor (its id or credit code)
patent_count       Int            number of patents pledged
secured_amount     Decimal        the registered pledge amount (担保金额)
outstanding        Decimal        the loan balance it secures, as known when the frame was taken
=================  =============  ===========================================================

Money columns must be ``pl.Decimal`` (integers and decimal strings are read into it exactly;
floats are refused) and stay Decimal in every output.

As of a date D, a pledge counts when it was registered on or before D and not released before D
(a pledge released on D itself still counts on D). ``outstanding`` is a snapshot: for a past D it
is exact only when the frame was taken on D.

Figures: ``deals`` (pledges), ``patents`` (Σ patent_count), ``enterprises`` (distinct pledgors),
``registered_amount`` (Σ secured_amount) and ``outstanding`` (Σ outstanding). For publication,
a ``disclosure`` rule withholds the amounts of lines of few enterprises (:mod:`pledge.disclosure`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import StrEnum

import polars as pl

from pledge.disclosure import DisclosureRule, protect

MIXED_TYPES = "mixed"
"""The ``patent_type`` of a pledge of patents of several types."""
UNCLASSIFIED = "unclassified"
"""The ``industry`` of a pledgor whose industry is not known."""
MONEY_COLUMNS = ("secured_amount", "outstanding")
TEXT_COLUMNS = ("pledge_id", "bank", "industry", "patent_type", "enterprise")
DATE_COLUMNS = ("registered_on", "released_on")
SCHEMA: dict[str, type[pl.DataType] | pl.DataType] = {
    "pledge_id": pl.String,
    "registered_on": pl.Date,
    "released_on": pl.Date,
    "bank": pl.String,
    "industry": pl.String,
    "patent_type": pl.String,
    "enterprise": pl.String,
    "patent_count": pl.Int64,
    "secured_amount": pl.Decimal,
    "outstanding": pl.Decimal,
}


class Dimension(StrEnum):
    """What statistics can be broken down by; month and year are of the registration."""

    BANK = "bank"
    INDUSTRY = "industry"
    PATENT_TYPE = "patent_type"
    MONTH = "month"
    YEAR = "year"


class StatisticsInputError(ValueError):
    """The pledge frame lacks a column, has a wrong type, or an impossible row."""


def _date(column: pl.Series) -> pl.Series:
    """A date column as Date: dates as they are, text read as YYYY-MM-DD (an empty cell is
    missing)."""
    if column.dtype == pl.Date:
        return column
    if column.dtype == pl.String:
        text = column.str.strip_chars().replace("", None)
        iso = text.str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")  # ASCII digits only
        parsed = pl.select(
            pl.when(iso).then(text.str.to_date("%Y-%m-%d", strict=False))
        ).to_series()
        bad = (text.is_not_null() & parsed.is_null()).arg_true().head(5).to_list()
        if bad:
            raise StatisticsInputError(
                "; ".join(
                    f"row {i + 1}: {column.name}: {text[i]!r} is not a date (YYYY-MM-DD)"
                    for i in bad
                )
            )
        return parsed
    return column.cast(pl.Date, strict=True)


def _money(column: pl.Series) -> pl.Series:
    """A money column as Decimal: integers and decimal strings are read exactly, floats refused."""
    if isinstance(column.dtype, pl.Decimal):
        return column
    if column.dtype.is_integer():
        return column.cast(pl.Decimal(38, 0))
    if column.dtype == pl.String:
        parsed = column.str.strip_chars().str.to_decimal()
        if parsed.null_count() > column.null_count():
            raise StatisticsInputError(f"{column.name} has cells that are not decimal numbers")
        scale = parsed.dtype.scale if isinstance(parsed.dtype, pl.Decimal) else 0
        return parsed.cast(pl.Decimal(38, scale))
    raise StatisticsInputError(
        f"{column.name} is {column.dtype}: money must be Decimal (or integers, or decimal "
        "strings), never float"
    )


def check_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with its columns in their documented types; refuse what cannot be read."""
    missing = [name for name in SCHEMA if name not in frame.columns]
    if missing:
        raise StatisticsInputError(f"the pledge frame lacks columns {missing}")
    try:
        typed = frame.select(
            *(pl.col(n).cast(pl.String) for n in TEXT_COLUMNS),
            *(_date(frame[n]) for n in DATE_COLUMNS),
            pl.col("patent_count").cast(pl.Int64, strict=True),
            *(_money(frame[n]) for n in MONEY_COLUMNS),
        )
    except pl.exceptions.PolarsError as error:
        raise StatisticsInputError(
            f"the pledge frame has a cell of the wrong type: {error}"
        ) from None
    required = [n for n in SCHEMA if n != "released_on" and typed[n].null_count() > 0]
    if required:
        raise StatisticsInputError(f"columns {required} have empty cells")
    if typed["pledge_id"].n_unique() != typed.height:
        raise StatisticsInputError("pledge_id repeats: one row per pledge")
    bad = typed.filter(pl.col("released_on") < pl.col("registered_on"))["pledge_id"].to_list()
    if bad:
        raise StatisticsInputError(f"pledges {bad} are released before they were registered")
    negative = typed.filter(
        (pl.col("patent_count") < 1) | pl.any_horizontal(pl.col(*MONEY_COLUMNS) < 0)
    )["pledge_id"].to_list()
    if negative:
        raise StatisticsInputError(f"pledges {negative} have no patents or a negative amount")
    return typed


def live_as_of(frame: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Pledges registered on or before ``as_of`` and not released before it."""
    typed = check_frame(frame)
    return typed.filter(
        (pl.col("registered_on") <= as_of)
        & (pl.col("released_on").is_null() | (pl.col("released_on") >= as_of))
    )


def _keys(by: Sequence[Dimension]) -> list[pl.Expr]:
    keys: list[pl.Expr] = []
    for dimension in by:
        if dimension is Dimension.MONTH:
            keys.append(pl.col("registered_on").dt.truncate("1mo").alias("month"))
        elif dimension is Dimension.YEAR:
            keys.append(pl.col("registered_on").dt.year().alias("year"))
        else:
            keys.append(pl.col(dimension.value))
    return keys


def _aggregate(
    frame: pl.DataFrame,
    by: Sequence[Dimension],
    outstanding: bool,
    disclosure: DisclosureRule | None,
) -> pl.DataFrame:
    figures = [
        pl.len().cast(pl.Int64).alias("deals"),
        pl.col("patent_count").sum().alias("patents"),
        pl.col("enterprise").n_unique().cast(pl.Int64).alias("enterprises"),
        pl.col("secured_amount").sum().alias("registered_amount"),
    ]
    if outstanding:
        figures.append(pl.col("outstanding").sum().alias("outstanding"))
    names = [d.value for d in by]
    table = frame.group_by(_keys(by)).agg(figures).sort(names) if by else frame.select(figures)
    return table if disclosure is None else protect(table, names, frame, disclosure)


def pledge_statistics(
    frame: pl.DataFrame,
    as_of: date,
    by: Sequence[Dimension] = (),
    *,
    disclosure: DisclosureRule | None = None,
) -> pl.DataFrame:
    """Deals, patents, enterprises, registered amount and outstanding of the pledges live on
    ``as_of``, grouped by ``by`` (none: one row of totals); with ``disclosure``, the amounts of
    cells with too few enterprises withheld (:func:`pledge.disclosure.protect`)."""
    if len(set(by)) != len(by):
        raise ValueError(f"a dimension is repeated in {[d.value for d in by]}")
    return _aggregate(live_as_of(frame, as_of), by, outstanding=True, disclosure=disclosure)


def registrations(
    frame: pl.DataFrame,
    period: Dimension = Dimension.YEAR,
    until: date | None = None,
    by: Sequence[Dimension] = (),
    *,
    disclosure: DisclosureRule | None = None,
) -> pl.DataFrame:
    """Pledges registered per month or year (a flow, whatever became of them later): deals,
    patents, enterprises and registered amount, for registrations on or before ``until``
    (amounts withheld as in :func:`pledge_statistics` with ``disclosure``)."""
    if period not in (Dimension.MONTH, Dimension.YEAR):
        raise ValueError(f"registrations are counted per month or year, not per {period.value}")
    typed = check_frame(frame)
    if until is not None:
        typed = typed.filter(pl.col("registered_on") <= until)
    dimensions = [period, *(d for d in by if d is not period)]
    return _aggregate(typed, dimensions, outstanding=False, disclosure=disclosure)

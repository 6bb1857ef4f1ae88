"""The portfolio statement (质押融资统计报表) for a bank or a regulator, from a pledge frame.

:func:`portfolio_statement` computes, with :mod:`pledge.statistics`, the pledges live on the
statement date — in total and by bank, industry and patent type — and the registrations per year
and per month (the twelve months up to the date); :func:`render_portfolio` writes it as HTML with
charts. The statement takes a frame in the schema ``pledge.statistics`` checks, wherever it came
from: :func:`read_pledges` reads one from a CSV or Parquet file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from markupsafe import Markup

from models.dates import add_months
from pledge.disclosure import SUPPRESSED, DisclosureRule
from pledge.statistics import (
    Dimension,
    StatisticsInputError,
    check_frame,
    pledge_statistics,
    registrations,
)
from reports import charts, wording
from reports.formatting import Formatter
from reports.i18n import DEFAULT_LANGUAGE, N_, Language, gettext_for
from reports.patent_rows import InputError, read_frame
from reports.rendering import render_html
from reports.vocabulary import industry_name, patent_type_name

TEMPLATE = "reports/portfolio.html"
MONTHS_SHOWN = 12
BANKS_CHARTED = 15


@dataclass(frozen=True, slots=True)
class Figures:
    """One line of the statement: a key (bank, industry, type, year or month) and its figures;
    ``suppressed`` when its amounts are withheld (None) for publication."""

    key: str
    deals: int
    patents: int
    enterprises: int
    registered_amount: Decimal | None
    outstanding: Decimal | None = None
    suppressed: bool = False


@dataclass(frozen=True, slots=True)
class PortfolioStatement:
    """Pledge totals on a date, by dimension, with registrations per period and charts."""

    as_of: date
    prepared_for: str | None
    disclosure: DisclosureRule | None
    totals: Figures
    by_bank: tuple[Figures, ...]
    by_industry: tuple[Figures, ...]
    by_patent_type: tuple[Figures, ...]
    by_year: tuple[Figures, ...]
    by_month: tuple[Figures, ...]
    bank_chart: Markup
    year_chart: Markup
    month_chart: Markup

    @property
    def registered_in_last_months(self) -> bool:
        """Whether any pledge was registered in the twelve months to the date (else the monthly
        chart would be an empty frame)."""
        return any(month.deals for month in self.by_month)


def read_pledges(path: Path) -> pl.DataFrame:
    """A pledge file (CSV or Parquet) as a frame ``pledge.statistics`` reads: dates typed.

    A date cell that is not ``YYYY-MM-DD`` is refused with its row and column
    (:func:`pledge.statistics.check_frame`).
    """
    try:
        return check_frame(read_frame(path))
    except StatisticsInputError as error:
        raise InputError([f"INPUT {path}: {error}"]) from None


def _figures(frame: pl.DataFrame, key: str | None, show: Any = str) -> tuple[Figures, ...]:
    rows = []
    for row in frame.iter_rows(named=True):
        rows.append(
            Figures(
                key="" if key is None else show(row[key]),
                deals=row["deals"],
                patents=row["patents"],
                enterprises=row["enterprises"],
                registered_amount=row["registered_amount"],
                outstanding=row.get("outstanding"),
                suppressed=row.get(SUPPRESSED, False),
            )
        )
    return tuple(rows)


def _by(
    frame: pl.DataFrame,
    as_of: date,
    dimension: Dimension,
    disclosure: DisclosureRule | None,
    show: Any = str,
) -> tuple[Figures, ...]:
    table = pledge_statistics(frame, as_of, [dimension], disclosure=disclosure)
    ordered = table.sort("outstanding", dimension.value, descending=[True, False], nulls_last=True)
    return _figures(ordered, dimension.value, show)


def _months(
    frame: pl.DataFrame, as_of: date, formatter: Formatter, disclosure: DisclosureRule | None
) -> tuple[Figures, ...]:
    """Registrations per month, in the twelve calendar months ending with ``as_of``'s month."""
    months = [add_months(as_of.replace(day=1), k - MONTHS_SHOWN + 1) for k in range(MONTHS_SHOWN)]
    table = registrations(frame, Dimension.MONTH, until=as_of, disclosure=disclosure)
    counted = {row["month"]: row for row in table.iter_rows(named=True)}
    return tuple(
        Figures(formatter.month(month), 0, 0, 0, Decimal(0))
        if month not in counted
        else _figures(pl.DataFrame([counted[month]]), "month", formatter.month)[0]
        for month in months
    )


def _industry_label(language: Language) -> Any:
    def show(value: str) -> str:
        return industry_name(language, value)

    return show


def _type_label(language: Language) -> Any:
    def show(value: str) -> str:
        return patent_type_name(language, value)

    return show


def _columns(
    rows: Sequence[Figures], title: str, formatter: Formatter, language: Language
) -> Markup:
    legend = (
        gettext_for(language, N_("Registered amount")),
        gettext_for(language, N_("Deals")),
    )
    return charts.columns(
        [r.key for r in rows],
        [r.registered_amount for r in rows],  # a withheld amount: no column
        counts=[r.deals for r in rows],
        formatter=formatter,
        title=title,
        legend=legend,
    )


def portfolio_statement(
    frame: pl.DataFrame,
    as_of: date,
    *,
    prepared_for: str | None = None,
    language: Language = DEFAULT_LANGUAGE,
    disclosure: DisclosureRule | None = None,
) -> PortfolioStatement:
    """The statement of the pledges of ``frame`` on ``as_of`` (labels and charts in
    ``language``); with ``disclosure``, for publication: the amounts of cells with too few
    enterprises withheld (:mod:`pledge.disclosure`)."""
    formatter = Formatter(language)
    totals = _figures(pledge_statistics(frame, as_of, disclosure=disclosure), None)[0]
    by_bank = _by(frame, as_of, Dimension.BANK, disclosure)
    years = registrations(frame, Dimension.YEAR, until=as_of, disclosure=disclosure)
    by_year = _figures(years, "year")
    by_month = _months(frame, as_of, formatter, disclosure)
    charted = [b for b in by_bank if b.outstanding][:BANKS_CHARTED]
    return PortfolioStatement(
        as_of=as_of,
        prepared_for=prepared_for,
        disclosure=disclosure,
        totals=totals,
        by_bank=by_bank,
        by_industry=_by(frame, as_of, Dimension.INDUSTRY, disclosure, _industry_label(language)),
        by_patent_type=_by(frame, as_of, Dimension.PATENT_TYPE, disclosure, _type_label(language)),
        by_year=by_year,
        by_month=by_month,
        bank_chart=charts.bars(
            [b.key for b in charted],
            [b.outstanding or Decimal(0) for b in charted],
            formatter=formatter,
            title=gettext_for(language, N_("Outstanding balance by bank")),
        ),
        year_chart=_columns(
            by_year, gettext_for(language, N_("Registrations per year")), formatter, language
        ),
        month_chart=_columns(
            by_month, gettext_for(language, N_("Registrations per month")), formatter, language
        ),
    )


def render_portfolio(statement: PortfolioStatement, language: Language = DEFAULT_LANGUAGE) -> str:
    """The statement's HTML in ``language`` (build the statement in the same language)."""
    return render_html(TEMPLATE, language, statement=statement, wording=wording)

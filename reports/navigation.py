"""The patent navigation report (专利导航报告): a region's patents and pledge capacity as of a day.

:func:`navigation_view` turns the tables of :func:`navigation.analytics.navigate` into what the
template prints — the period against the year before, the yearly trend, the industry mix, patent
types, IPC classes, districts, grant rates, top applicants, high-value patents, pledge financing
and each firm's pledge capacity — with charts drawn by :mod:`reports.charts`;
:func:`render_navigation` writes it as HTML (and :func:`reports.rendering.write` as PDF). The
figures are the tables' own: nothing is recomputed here but shares for display.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
from markupsafe import Markup

from models.enums import PatentType
from navigation.analytics import Navigation
from navigation.dataset import UNKNOWN
from pledge.disclosure import SUPPRESSED, DisclosureRule
from reports import charts, vocabulary
from reports.formatting import Formatter
from reports.i18n import DEFAULT_LANGUAGE, N_, Language, gettext_for
from reports.rendering import render_html
from reports.vocabulary import label

TEMPLATE = "reports/navigation.html"
IPC_CLASSES_SHOWN = 15
APPLICANTS_SHOWN = 20
FIRMS_SHOWN = 20
FIRMS_CHARTED = 10
GRANT_RATE_YEARS = 6
MIX_YEARS_BACK = 5

METRICS = {
    "applications": N_("Applications"),
    "invention_applications": N_("Invention applications"),
    "grants": N_("Grants"),
    "invention_grants": N_("Invention grants"),
    "valid_patents": N_("Valid patents (at the end of the window)"),
    "valid_inventions": N_("Valid invention patents"),
    "high_value_inventions": N_("High-value invention patents"),
}
CRITERIA = {
    "strategic_industry": N_("In a strategic emerging industry"),
    "foreign_family": N_("Granted family member abroad"),
    "long_maintained": N_("Maintained more than 10 years"),
    "high_pledge_financing": N_("High pledge-financing amount"),
    "award": N_("National science and technology award or China Patent Award"),
    "any": N_("High-value invention patents (any criterion)"),
}
NOTES = (
    N_(
        "An application counts in the year of its filing date, a grant in the year of its grant "
        "date, both on or before the as-of day."
    ),
    N_(
        "The period runs from 1 January to the as-of day; growth compares it with the same "
        "window one year earlier."
    ),
    N_(
        "A patent is valid on a day when it is granted, not expired, and no lapse, invalidation "
        "or surrender has taken effect by then."
    ),
    N_(
        "Grant rate: granted / (granted + rejected + withdrawn) among the applications of a "
        "filing year decided by the as-of day."
    ),
)
CAPACITY_NOTE = N_(
    "Pledge capacity: the patents of a firm that are valid and pass the pledge pre-check "
    "are valued by the engine; the loan they could secure is their realisable value times "
    "the lender's pledge-rate cap; headroom is capacity less the outstanding balance of the "
    "firm's live pledges, never below zero."
)
CAPACITY_NOTE_WITHOUT_BORROWING = N_(
    "Pledge capacity: the patents of a firm that are valid, pass the pledge pre-check and are "
    "in no live pledge are valued by the engine; the loan they could secure is their "
    "realisable value times the lender's pledge-rate cap. What each firm borrows is not shown."
)


@dataclass(frozen=True, slots=True)
class Line:
    """A labelled row of figures for a table."""

    label: str
    values: tuple[Any, ...]
    suppressed: bool = False
    """Whether the line's amounts are withheld for publication (None)."""


@dataclass(frozen=True, slots=True)
class NavigationView:
    """What the navigation template prints."""

    as_of: date
    period_start: date
    prepared_for: str | None
    rows: int
    refused: int
    period: tuple[Line, ...]
    trend: tuple[Line, ...]
    trend_chart: Markup
    mix_year: int
    mix_base_year: int | None
    mix: tuple[Line, ...]
    mix_chart: Markup
    types: tuple[Line, ...]
    ipc: tuple[Line, ...]
    regions: tuple[Line, ...]
    grant_rates: tuple[Line, ...]
    applicants: tuple[Line, ...]
    criteria: tuple[Line, ...]
    high_value_industries: tuple[Line, ...]
    pledges: dict[str, Any] | None
    pledge_banks: tuple[Line, ...]
    pledge_industries: tuple[Line, ...]
    capacity: tuple[Line, ...]
    capacity_chart: Markup
    """Empty when no firm has capacity (or, with borrowing shown, capacity or borrowing)."""
    firm_borrowing: bool
    """Whether the capacity table shows what each firm borrows and its headroom."""
    disclosure: DisclosureRule | None
    """The rule that withheld the amounts of pledge lines of few enterprises (a publication)."""
    firms_with_room: int
    """The firms with headroom (with capacity, when borrowing is not shown)."""
    room_total: Decimal
    """Their headroom (their capacity, when borrowing is not shown) in all."""
    notes: tuple[str, ...]


def industry_name(language: Language, key: str | None) -> str:
    """The industry's name in ``language`` (the key itself when it is not a known sector)."""
    if key is None or key == UNKNOWN:
        return gettext_for(language, N_("unknown"))
    return vocabulary.industry_name(language, key)


def _type_name(language: Language, value: str) -> str:
    try:
        return label(language, PatentType(value))
    except ValueError:
        return value


def _share(part: int, whole: int) -> Decimal | None:
    return Decimal(part) / Decimal(whole) if whole else None


def _growth(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _period(tables: dict[str, pl.DataFrame], language: Language) -> tuple[Line, ...]:
    return tuple(
        Line(
            gettext_for(language, METRICS[r["metric"]]),
            (r["current"], r["previous"], _growth(r["growth"])),
        )
        for r in tables["period"].to_dicts()
    )


def _trend(tables: dict[str, pl.DataFrame], language: Language) -> tuple[tuple[Line, ...], Markup]:
    rows = tables["trend"].to_dicts()
    lines = tuple(
        Line(
            str(r["year"]),
            (
                r["applications"],
                r["invention_applications"],
                r["grants"],
                r["invention_grants"],
                _growth(r["applications_growth"]),
            ),
        )
        for r in rows
    )
    chart = charts.lines(
        [str(r["year"]) for r in rows],
        [
            (gettext_for(language, N_("Applications")), [r["applications"] for r in rows]),
            (gettext_for(language, N_("Grants")), [r["grants"] for r in rows]),
            (gettext_for(language, N_("Invention grants")), [r["invention_grants"] for r in rows]),
        ],
        title=gettext_for(language, N_("Applications and grants per year")),
    )
    return lines, chart


def _mix(
    tables: dict[str, pl.DataFrame], year: int, language: Language
) -> tuple[int | None, tuple[Line, ...], Markup]:
    by = tables["by_industry"]
    years = sorted(set(by["year"].to_list()))
    base = year - MIX_YEARS_BACK
    base_year = base if base in years else (years[0] if years and years[0] < year else None)
    now = by.filter(pl.col("year") == year)
    total = int(now["applications"].sum())
    before = by.filter(pl.col("year") == base_year) if base_year is not None else by.clear()
    before_total = int(before["applications"].sum())
    earlier = dict(zip(before["industry"].to_list(), before["applications"].to_list(), strict=True))
    ordered = now.sort("applications", descending=True).to_dicts()
    lines = tuple(
        Line(
            industry_name(language, r["industry"]),
            (
                r["applications"],
                r["grants"],
                _share(r["applications"], total),
                _share(earlier.get(r["industry"], 0), before_total) if base_year else None,
            ),
        )
        for r in ordered
    )
    chart = charts.count_bars(
        [line.label for line in lines],
        [r["applications"] for r in ordered],
        title=gettext_for(language, N_("Applications by industry")),
    )
    return base_year, lines, chart


def _year_rows(frame: pl.DataFrame, year: int) -> list[dict[str, Any]]:
    return frame.filter(pl.col("year") == year).sort("applications", descending=True).to_dicts()


def _capacity(
    result: Navigation, formatter: Formatter, language: Language
) -> tuple[tuple[Line, ...], Markup, int, Decimal]:
    """The capacity lines and chart, and the firms with room and their room in all: headroom,
    or capacity when the figures do not show what firms borrow."""
    table = result.tables["capacity"]
    shown = table.head(FIRMS_SHOWN).to_dicts()
    amounts: tuple[str, ...] = ("eligible_value", "capacity")
    if result.firm_borrowing:
        amounts += ("borrowed", "headroom")
    lines = tuple(
        Line(r["applicant"], (r["valid_patents"], r["eligible_patents"], *(r[a] for a in amounts)))
        for r in shown
    )
    if result.firm_borrowing:
        room = table.filter(pl.col("headroom") > 0)["headroom"]
        # the firms whose capacity or borrowing is largest: where capacity and use differ most
        largest = pl.max_horizontal(pl.col("capacity"), pl.col("borrowed"))
        charted = (
            table.filter(largest > 0).sort(largest, descending=True).head(FIRMS_CHARTED).to_dicts()
        )
        chart = charts.paired_bars(
            [r["applicant"] for r in charted],
            [r["capacity"] for r in charted],
            [r["borrowed"] for r in charted],
            formatter=formatter,
            title=gettext_for(language, N_("Pledge capacity and borrowing of the largest firms")),
            legend=(gettext_for(language, N_("Capacity")), gettext_for(language, N_("Borrowed"))),
        )
    else:
        room = table.filter(pl.col("capacity") > 0)["capacity"]
        charted = table.head(FIRMS_CHARTED).filter(pl.col("capacity") > 0).to_dicts()
        chart = charts.bars(
            [r["applicant"] for r in charted],
            [r["capacity"] for r in charted],
            formatter=formatter,
            title=gettext_for(language, N_("Pledge capacity of the largest firms")),
        )
    if not charted:  # nothing to draw: no empty frame
        chart = Markup("")
    total = room.sum() if room.len() else Decimal(0)
    return lines, chart, room.len(), Decimal(total)


def _pledges(
    tables: dict[str, pl.DataFrame], language: Language
) -> tuple[dict[str, Any] | None, tuple[Line, ...], tuple[Line, ...]]:
    if "pledges" not in tables:
        return None, (), ()

    def lines(frame: pl.DataFrame, key: str, name: Any = str) -> tuple[Line, ...]:
        return tuple(
            Line(
                name(r[key]),
                (
                    r["deals"],
                    r["patents"],
                    r["enterprises"],
                    r["registered_amount"],
                    r["outstanding"],
                ),
                r.get(SUPPRESSED, False),
            )
            for r in frame.sort(
                "registered_amount", "deals", descending=True, nulls_last=True
            ).to_dicts()
        )

    total = {SUPPRESSED: False, **tables["pledges"].row(0, named=True)}
    return (
        total,
        lines(tables["pledges_by_bank"], "bank"),
        lines(tables["pledges_by_industry"], "industry", lambda k: industry_name(language, k)),
    )


def latest_filing_year(result: Navigation) -> int | None:
    """The last year, up to the as-of day, in which a patent of the data was applied for."""
    by = result.tables["by_industry"].filter(pl.col("applications") > 0)
    return None if by.is_empty() else int(by["year"].max())  # type: ignore[arg-type]


def navigation_view(
    result: Navigation,
    *,
    language: Language = DEFAULT_LANGUAGE,
    prepared_for: str | None = None,
    mix_year: int | None = None,
) -> NavigationView:
    """The report of ``result`` in ``language``; the industry mix, the patent types and the
    technology classes of ``mix_year`` (default: the as-of day's year)."""
    formatter = Formatter(language)
    tables = result.tables
    year = result.as_of.year
    trend, trend_chart = _trend(tables, language)
    mix_year = mix_year or year
    base_year, mix, mix_chart = _mix(tables, mix_year, language)
    capacity, capacity_chart, with_room, room = _capacity(result, formatter, language)
    pledges, banks, industries = _pledges(tables, language)
    rates = tables["grant_rates"].filter(
        (pl.col("patent_type") == PatentType.INVENTION.value)
        & (pl.col("filing_year") > year - GRANT_RATE_YEARS)
    )
    return NavigationView(
        as_of=result.as_of,
        period_start=result.period_start,
        prepared_for=prepared_for,
        rows=result.rows,
        refused=result.refused,
        period=_period(tables, language),
        trend=trend,
        trend_chart=trend_chart,
        mix_year=mix_year,
        mix_base_year=base_year,
        mix=mix,
        mix_chart=mix_chart,
        types=tuple(
            Line(_type_name(language, r["patent_type"]), (r["applications"], r["grants"]))
            for r in _year_rows(tables["by_type"], mix_year)
        ),
        ipc=tuple(
            Line(r["ipc_class"], (r["applications"], r["grants"]))
            for r in _year_rows(tables["by_ipc_class"], mix_year)[:IPC_CLASSES_SHOWN]
        ),
        regions=tuple(
            Line(
                r["region"] if r["region"] != UNKNOWN else gettext_for(language, N_("unknown")),
                (r["applications"], r["grants"], r["valid_patents"], r["valid_inventions"]),
            )
            for r in tables["by_region"].to_dicts()
        ),
        grant_rates=tuple(
            Line(
                str(r["filing_year"]),
                (r["filed"], r["granted"], r["refused"], r["pending"], _growth(r["grant_rate"])),
            )
            for r in rates.to_dicts()
        ),
        applicants=tuple(
            Line(
                r["applicant"],
                (
                    r["applications"],
                    r["grants"],
                    r["invention_grants"],
                    r["valid_inventions"],
                    r["high_value_inventions"],
                ),
            )
            for r in tables["top_applicants"].head(APPLICANTS_SHOWN).to_dicts()
        ),
        criteria=tuple(
            Line(gettext_for(language, CRITERIA[r["criterion"]]), (r["patents"],))
            for r in tables["high_value"].to_dicts()
        ),
        high_value_industries=tuple(
            Line(
                industry_name(language, r["industry"]),
                (r["valid_inventions"], r["high_value_inventions"], _growth(r["share"])),
            )
            for r in tables["high_value_by_industry"].to_dicts()
        ),
        pledges=pledges,
        pledge_banks=banks,
        pledge_industries=industries,
        capacity=capacity,
        capacity_chart=capacity_chart,
        firm_borrowing=result.firm_borrowing,
        disclosure=result.disclosure,
        firms_with_room=with_room,
        room_total=room,
        notes=tuple(
            gettext_for(language, n)
            for n in (
                *NOTES,
                CAPACITY_NOTE if result.firm_borrowing else CAPACITY_NOTE_WITHOUT_BORROWING,
            )
        ),
    )


def render_navigation(view: NavigationView, language: Language = DEFAULT_LANGUAGE) -> str:
    """The report's HTML in ``language`` (build the view in the same language)."""
    return render_html(TEMPLATE, language, view=view)

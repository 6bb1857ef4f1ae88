"""Regional patent statistics ("patent navigation", 专利导航) as of a day, with polars.

Every figure is counted from the dataset's rows (:mod:`navigation.dataset`) as of a day D:

* an **application** is counted in the year of its filing date, a **grant** in the year of its
  grant date, both only on or before D;
* the **period** is 1 January of D's year to D; the **previous period** is the same window one
  year earlier (a 29 February end falls back to 28 February), so that growth compares like with
  like;
* a patent is **valid** (有效) on D when its status on D is ``in_force``;
* the **grant rate** of a filing year is granted / (granted + rejected + withdrawn) among its
  applications decided by D; the **granted share** is granted / filed;
* the **main IPC class** of a patent is the first three characters of its first IPC code;
* a **high-value invention patent** is valid on D and meets a criterion of
  :mod:`valuation.high_value`; a pledged patent's pledge-financing amount is its share of the
  registered amounts of the live pledges that list it (amount / patent count).

The result is a set of named tables (:class:`Navigation`), each a polars frame; counts are
integers, rates are fractions rounded to four places, money stays Decimal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

import polars as pl

from models.dates import add_years
from models.enums import LegalStatus, PatentType
from navigation.capacity import pledge_capacity, without_borrowing
from navigation.constants import parameter
from navigation.dataset import UNKNOWN, as_of, key, prepared_rows
from navigation.pledges import patent_pledge_amounts, pledge_tables
from pledge.disclosure import SUPPRESSED, DisclosureRule
from pledge.policy import DEFAULT_LENDER
from valuation import ENGINE_VERSION
from valuation.features import FittedModel
from valuation.high_value import Criterion, high_value_flags, with_strategic_industry

RATE_DECIMALS = 4
TOP_APPLICANTS = int(parameter("top_applicants").value)
_TYPES = [t.value for t in PatentType]
_INVENTION = PatentType.INVENTION.value
_REFUSED = (LegalStatus.REJECTED.value, LegalStatus.WITHDRAWN.value)
_IN_FORCE = LegalStatus.IN_FORCE.value

DEFINITIONS: Mapping[str, str] = {
    "period": "applications and grants from 1 January to the as-of day, against the same window "
    "one year earlier; valid and high-value patents on each window's last day",
    "trend": "applications and grants per year (the as-of year to the as-of day), with growth "
    "against the same window of the year before",
    "by_type": "applications and grants per year and patent type",
    "by_industry": "applications and grants per year and industry",
    "by_ipc_class": "applications and grants per year and main IPC class (first 3 characters "
    "of the first IPC code)",
    "by_region": "applications and grants in the period, and valid patents on the as-of day, "
    "per region",
    "grant_rates": "per filing year and type: granted / (granted + rejected + withdrawn) among "
    "the applications decided by the as-of day, and granted / filed",
    "top_applicants": "the named applicants with the most applications in the period",
    "high_value": "valid invention patents on the as-of day meeting each high-value criterion",
    "high_value_by_industry": "valid and high-value invention patents per industry",
    "capacity": "per applicant: value of its eligible patents, the loan they could secure under "
    "the lender's policy, what it borrows, and the headroom (most headroom first)",
    "pledges": "pledges live on the as-of day: deals, patents, enterprises, registered amount, "
    "outstanding",
    "pledges_by_bank": "live pledges on the as-of day per bank",
    "pledges_by_industry": "live pledges on the as-of day per industry",
    "pledge_registrations": "pledges registered per year up to the as-of day",
}
PLEDGE_TABLES = ("pledges", "pledges_by_bank", "pledges_by_industry", "pledge_registrations")
"""The tables :meth:`Navigation.for_publication` protects."""
CAPACITY_WITHOUT_BORROWING = (
    "per applicant: value of its eligible patents (valid, passing the pre-check, not in a live "
    "pledge) and the loan they could secure under the lender's policy, most capacity first; "
    "what a firm borrows is not shown"
)
"""The capacity table's definition in :meth:`Navigation.without_firm_borrowing`."""


@dataclass(frozen=True)
class Navigation:
    """The figures of a dataset as of a day: named tables plus what was read."""

    as_of: date
    period_start: date
    rows: int
    refused: int
    refusals: pl.DataFrame
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    engine_version: str = ENGINE_VERSION
    firm_borrowing: bool = True
    """Whether the capacity table shows what each firm borrows."""
    disclosure: DisclosureRule | None = None
    """The rule that withheld the pledge tables' amounts of lines of few enterprises (None: all
    shown)."""

    def without_firm_borrowing(self) -> Navigation:
        """The same figures without what any firm borrows (the capacity table's
        :func:`~navigation.capacity.without_borrowing`); the pledge tables stay aggregates."""
        tables = {**self.tables, "capacity": without_borrowing(self.tables["capacity"])}
        return replace(self, tables=tables, firm_borrowing=False)

    def for_publication(self, pledges: pl.DataFrame | None, rule: DisclosureRule) -> Navigation:
        """The figures as they may be published: without what any firm borrows, and with the
        pledge tables of ``pledges`` (the pledges these figures count, each enterprise under one
        identity) protected by ``rule``: the amounts of lines that too few enterprises make up,
        and of the lines that would reveal them, withheld (:mod:`pledge.disclosure`). The
        pattern is the one every other table of the same pledges withholds (the statement's,
        the statistics endpoint's), so that no publication shows what another hides."""
        published = self.without_firm_borrowing()
        if "pledges" not in self.tables:
            return replace(published, disclosure=rule)
        if pledges is None:
            raise ValueError("the pledge tables are protected from the pledges they count")
        tables = {**published.tables, **pledge_tables(pledges, self.as_of, rule)}
        return replace(published, tables=tables, disclosure=rule)

    def definition(self, name: str) -> str:
        """What the table ``name`` holds (:data:`DEFINITIONS`)."""
        if name == "capacity" and not self.firm_borrowing:
            return CAPACITY_WITHOUT_BORROWING
        if name in PLEDGE_TABLES and self.disclosure is not None:
            return DEFINITIONS[name] + (
                f"; for publication: the amounts of a line that fewer than "
                f"{self.disclosure.min_enterprises} enterprises make up, and of the lines that "
                f"would reveal them, are withheld (empty, {SUPPRESSED} true); "
                f"rule: {self.disclosure.source}"
            )
        return DEFINITIONS.get(name, "")


def period_start(day: date) -> date:
    """1 January of ``day``'s year."""
    return date(day.year, 1, 1)


def previous_day(day: date) -> date:
    """The same day one year earlier (29 February falls back to 28 February)."""
    return add_years(day, -1)


def _count(condition: pl.Expr, name: str) -> pl.Expr:
    return condition.fill_null(value=False).sum().cast(pl.Int64).alias(name)


def _within(column: str, start: date, end: date) -> pl.Expr:
    return pl.col(column).is_between(pl.lit(start), pl.lit(end))


def _rate(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    return pl.when(denominator > 0).then(numerator / denominator).round(RATE_DECIMALS)


def _flows(rows: pl.LazyFrame, by: list[pl.Expr], day: date) -> pl.DataFrame:
    """Applications per filing year and grants per grant year, on or before ``day``, by ``by``."""
    filed = rows.filter(pl.col("filing_date") <= day).select(
        pl.col("filing_date").dt.year().cast(pl.Int32).alias("year"), *by
    )
    granted = rows.filter(pl.col("grant_date") <= day).select(
        pl.col("grant_date").dt.year().cast(pl.Int32).alias("year"), *by
    )
    keys = ["year", *(e.meta.output_name() for e in by)]
    applications = filed.group_by(keys).agg(pl.len().cast(pl.Int64).alias("applications"))
    grants = granted.group_by(keys).agg(pl.len().cast(pl.Int64).alias("grants"))
    joined = applications.join(grants, on=keys, how="full", coalesce=True)
    return joined.with_columns(pl.col("applications", "grants").fill_null(0)).sort(keys).collect()


def _window_counts(start: date, end: date) -> list[pl.Expr]:
    invention = pl.col("patent_type") == _INVENTION
    filed, granted = _within("filing_date", start, end), _within("grant_date", start, end)
    return [
        _count(filed, "applications"),
        _count(filed & invention, "invention_applications"),
        _count(granted, "grants"),
        _count(granted & invention, "invention_grants"),
    ]


def _stock(rows: pl.LazyFrame, day: date, pledge_amounts: pl.DataFrame | None) -> pl.DataFrame:
    """Per row valid on ``day``: patent type, industry, region, applicant and high-value flags."""
    valid = as_of(rows, day).filter(pl.col("legal_status") == _IN_FORCE)
    if pledge_amounts is not None:
        valid = valid.join(pledge_amounts.lazy(), on="patent_id", how="left")
    # One query: only the columns selected below are materialised for the valid rows.
    return (
        high_value_flags(valid, at=day)
        .select(
            "patent_id",
            "patent_type",
            key("industry"),
            key("region"),
            key("applicant"),
            "hv_eligible",
            "hv_is_high_value",
            *(f"hv_{c.value}" for c in Criterion),
        )
        .collect()
    )


def _period(
    rows: pl.LazyFrame, day: date, stock: pl.DataFrame, previous_stock: pl.DataFrame
) -> pl.DataFrame:
    before = previous_day(day)
    now = rows.select(_window_counts(period_start(day), day)).collect()
    then = rows.select(_window_counts(period_start(before), before)).collect()

    def stocks(frame: pl.DataFrame) -> dict[str, int]:
        return {
            "valid_patents": frame.height,
            "valid_inventions": int((frame["patent_type"] == _INVENTION).sum()),
            "high_value_inventions": int(frame["hv_is_high_value"].sum()),
        }

    current = {**now.row(0, named=True), **stocks(stock)}
    previous = {**then.row(0, named=True), **stocks(previous_stock)}
    return pl.DataFrame(
        {
            "metric": list(current),
            "current": list(current.values()),
            "previous": [previous[m] for m in current],
        },
        schema={"metric": pl.String, "current": pl.Int64, "previous": pl.Int64},
    ).with_columns(growth=_rate(pl.col("current") - pl.col("previous"), pl.col("previous")))


def _yearly(rows: pl.LazyFrame, day: date) -> pl.DataFrame:
    """Applications per filing year and grants per grant year, in total and of inventions."""
    invention = pl.col("patent_type") == _INVENTION

    def per_year(column: str, name: str) -> pl.LazyFrame:
        return (
            rows.filter(pl.col(column) <= day)
            .group_by(pl.col(column).dt.year().cast(pl.Int32).alias("year"))
            .agg(pl.len().cast(pl.Int64).alias(name), _count(invention, f"invention_{name}"))
        )

    joined = per_year("filing_date", "applications").join(
        per_year("grant_date", "grants"), on="year", how="full", coalesce=True
    )
    return joined.fill_null(0).sort("year").collect()


def _trend(rows: pl.LazyFrame, day: date) -> pl.DataFrame:
    """Each year's flows; growth against the year before, or for the as-of year against the
    same window of the year before."""
    yearly = _yearly(rows, day)
    names = ["applications", "invention_applications", "grants", "invention_grants"]
    before = previous_day(day)
    window = rows.select(_window_counts(period_start(before), before)).collect()
    previous = yearly.select("year", *names).with_columns(pl.col("year") + 1)
    # the as-of year is compared with the same window of the year before, not the whole year
    previous = previous.filter(pl.col("year") != day.year).vstack(
        window.select(pl.lit(day.year, dtype=pl.Int32).alias("year"), *names)
    )
    joined = yearly.join(previous, on="year", how="left", suffix="_previous")
    ends = pl.when(pl.col("year") == day.year).then(pl.lit(day))
    growth = [
        _rate(pl.col(n) - pl.col(f"{n}_previous"), pl.col(f"{n}_previous")).alias(f"{n}_growth")
        for n in names
    ]
    return joined.select(
        "year",
        ends.otherwise(pl.date(pl.col("year"), 12, 31)).alias("period_end"),
        *names,
        *growth,
    )


def _main_ipc_class() -> pl.Expr:
    first = pl.col("ipc").str.split(";").list.first().str.replace_all(r"\s+", "")
    code = first.str.to_uppercase().str.slice(0, 3)
    return pl.when(code.str.len_chars() == 3).then(code).otherwise(pl.lit("unknown"))


def _by_region(rows: pl.LazyFrame, day: date, stock: pl.DataFrame) -> pl.DataFrame:
    flows = rows.group_by(key("region")).agg(_window_counts(period_start(day), day)).collect()
    valid = stock.group_by("region").agg(
        pl.len().cast(pl.Int64).alias("valid_patents"),
        _count(pl.col("patent_type") == _INVENTION, "valid_inventions"),
    )
    joined = flows.join(valid, on="region", how="full", coalesce=True)
    return joined.fill_null(0).sort("applications", "region", descending=[True, False])


def _grant_rates(rows: pl.LazyFrame, day: date) -> pl.DataFrame:
    status = as_of(rows, day)
    granted = pl.col("grant_date") <= day
    refused = pl.col("legal_status").is_in(_REFUSED)
    table = (
        status.group_by(
            pl.col("filing_date").dt.year().cast(pl.Int32).alias("filing_year"), "patent_type"
        )
        .agg(
            pl.len().cast(pl.Int64).alias("filed"),
            _count(granted, "granted"),
            _count(refused, "refused"),
            _count(pl.col("legal_status") == LegalStatus.PENDING.value, "pending"),
        )
        .collect()
    )
    return table.with_columns(
        grant_rate=_rate(pl.col("granted"), pl.col("granted") + pl.col("refused")),
        granted_share=_rate(pl.col("granted"), pl.col("filed")),
    ).sort("filing_year", "patent_type")


def _top_applicants(rows: pl.LazyFrame, day: date, stock: pl.DataFrame, top: int) -> pl.DataFrame:
    named = rows.filter(pl.col("applicant").is_not_null())
    flows = named.group_by("applicant").agg(_window_counts(period_start(day), day)).collect()
    held = (
        stock.filter(pl.col("applicant") != UNKNOWN)
        .group_by("applicant")
        .agg(
            pl.len().cast(pl.Int64).alias("valid_patents"),
            _count(pl.col("patent_type") == _INVENTION, "valid_inventions"),
            _count(pl.col("hv_is_high_value"), "high_value_inventions"),
        )
    )
    joined = flows.join(held, on="applicant", how="left").fill_null(0)
    ranked = joined.sort(
        ["applications", "grants", "applicant"], descending=[True, True, False]
    ).head(top)
    return ranked.with_row_index("rank", offset=1).with_columns(pl.col("rank").cast(pl.Int64))


def _high_value(stock: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    eligible = stock.filter(pl.col("hv_eligible"))
    criteria = pl.DataFrame(
        {
            "criterion": [c.value for c in Criterion] + ["any"],
            "patents": [int(eligible[f"hv_{c.value}"].sum()) for c in Criterion]
            + [int(eligible["hv_is_high_value"].sum())],
        },
        schema={"criterion": pl.String, "patents": pl.Int64},
    )
    by_industry = (
        eligible.group_by("industry")
        .agg(
            pl.len().cast(pl.Int64).alias("valid_inventions"),
            _count(pl.col("hv_is_high_value"), "high_value_inventions"),
        )
        .with_columns(share=_rate(pl.col("high_value_inventions"), pl.col("valid_inventions")))
        .sort("high_value_inventions", "industry", descending=[True, False])
    )
    return criteria, by_industry


def navigate(
    frame: pl.DataFrame | pl.LazyFrame,
    day: date,
    *,
    pledges: pl.DataFrame | None = None,
    top: int = TOP_APPLICANTS,
    lender: str = DEFAULT_LENDER,
    model: FittedModel | None = None,
) -> Navigation:
    """Every figure of :data:`DEFINITIONS` for the dataset ``frame`` as of ``day``.

    ``pledges`` (the frame of :mod:`pledge.statistics`, optionally with ``pledged_patents``)
    adds the pledge-financing tables and the pledge-amount criterion; ``lender`` names the
    policy the capacity table applies, ``model`` the market model that values the patents.
    """
    prepared = prepared_rows(frame)
    refusals = prepared.filter(pl.col("error").is_not_null()).select(
        pl.col("_input_row").cast(pl.Int64).alias("row"), "patent_id", "error"
    )
    height = prepared.height
    # Filtering copies every column: when no row is refused, the prepared rows are used as they are.
    valid = prepared if refusals.height == 0 else prepared.filter(pl.col("error").is_null())
    del prepared
    # The strategic-industry test (a pattern over every IPC code) is computed once, for the
    # high-value criteria on both days and for the valuation of the capacity table.
    rows = with_strategic_industry(valid.drop("_input_row").lazy()).collect().lazy()
    amounts_now = patent_pledge_amounts(pledges, day) if pledges is not None else None
    before = previous_day(day)
    amounts_then = patent_pledge_amounts(pledges, before) if pledges is not None else None
    stock = _stock(rows, day, amounts_now)
    previous_stock = _stock(rows, before, amounts_then)
    criteria, hv_industry = _high_value(stock)
    tables = {
        "period": _period(rows, day, stock, previous_stock),
        "trend": _trend(rows, day),
        "by_type": _flows(rows, [pl.col("patent_type")], day),
        "by_industry": _flows(rows, [key("industry")], day),
        "by_ipc_class": _flows(rows, [_main_ipc_class().alias("ipc_class")], day),
        "by_region": _by_region(rows, day, stock),
        "grant_rates": _grant_rates(rows, day),
        "top_applicants": _top_applicants(rows, day, stock, top),
        "high_value": criteria,
        "high_value_by_industry": hv_industry,
        "capacity": pledge_capacity(rows, day, pledges=pledges, lender=lender, model=model),
    }
    if pledges is not None:
        tables |= pledge_tables(pledges, day)
    return Navigation(
        as_of=day,
        period_start=period_start(day),
        rows=height,
        refused=refusals.height,
        refusals=refusals,
        tables=tables,
    )

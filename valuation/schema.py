"""The batch column schema: what a valuation input file holds, column by column.

One row per patent. Money columns are in CNY (yuan, up to two decimals); rates are fractions
(0.05 is 5 %); counts are non-negative integers; dates are ISO ``YYYY-MM-DD``. An empty optional
cell takes the engine's sourced default, or leaves the approach that needs it unapplied.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    dtype: pl.DataType | type[pl.DataType]
    unit: str
    required: bool
    description: str


COLUMNS: tuple[Column, ...] = (
    Column("patent_id", pl.String, "", True, "patent or application number, e.g. ZL201710601862.3"),
    Column("jurisdiction", pl.String, "", False, "WIPO ST.3 code; default CN"),
    Column(
        "patent_type",
        pl.String,
        "",
        False,
        "invention, utility_model or design (CN: read from the number)",
    ),
    Column("filing_date", pl.Date, "date", True, "filing date"),
    Column("grant_date", pl.Date, "date", False, "grant date; empty for an application"),
    Column(
        "expiry_date",
        pl.Date,
        "date",
        False,
        "expiry, when no statutory term applies (other jurisdictions); default from the law",
    ),
    Column(
        "term_adjustment_days",
        pl.Int64,
        "days",
        False,
        "term compensation or new-drug extension added to the statutory term",
    ),
    Column(
        "legal_status",
        pl.String,
        "",
        False,
        "in_force (default), pending, lapsed, expired, invalidated, …",
    ),
    Column("ipc", pl.String, "", False, "IPC codes separated by ';', e.g. H01M 10/052;H01M 4/00"),
    Column("claims", pl.Int64, "count", False, "number of claims"),
    Column("independent_claims", pl.Int64, "count", False, "number of independent claims"),
    Column("forward_citations", pl.Int64, "count", False, "citations received"),
    Column("backward_citations", pl.Int64, "count", False, "patent citations made"),
    Column("npl_citations", pl.Int64, "count", False, "non-patent literature citations made"),
    Column("family_size", pl.Int64, "count", False, "members of the patent family"),
    Column(
        "family_countries", pl.String, "", False, "family countries separated by ';', e.g. CN;US;EP"
    ),
    Column("inventors", pl.Int64, "count", False, "number of inventors"),
    Column("invalidations_survived", pl.Int64, "count", False, "invalidation requests survived"),
    Column(
        "in_litigation", pl.Boolean, "", False, "in an infringement or ownership suit: true/false"
    ),
    Column("licences", pl.Int64, "count", False, "licences granted under the patent"),
    Column(
        "industry",
        pl.String,
        "",
        False,
        "industry of the products using the patent: a key of royalty_bands.csv "
        "(e.g. electrical) or its Chinese name",
    ),
    Column(
        "revenue",
        pl.Decimal(20, 2),
        "CNY/year",
        False,
        "year-1 revenue of the products using the patent; empty: no income approach",
    ),
    Column(
        "revenue_growth",
        pl.Decimal(12, 6),
        "fraction/year",
        False,
        "revenue growth per year; default 0",
    ),
    Column(
        "operating_margin",
        pl.Decimal(12, 6),
        "fraction",
        False,
        "operating margin; given with royalty_basis=profit",
    ),
    Column("royalty_basis", pl.String, "", False, "revenue (default) or profit"),
    Column(
        "royalty_rate",
        pl.Decimal(12, 6),
        "fraction",
        False,
        "royalty / profit share (分成率); default from the industry band and the score",
    ),
    Column(
        "royalty_decay",
        pl.Decimal(12, 6),
        "fraction/year",
        False,
        "yearly decay of the royalty; default 0",
    ),
    Column(
        "discount_rate", pl.Decimal(12, 6), "fraction", False, "discount rate; default a build-up"
    ),
    Column("tax_rate", pl.Decimal(12, 6), "fraction", False, "income tax rate; default 25 %"),
    Column(
        "economic_life",
        pl.Decimal(12, 4),
        "years",
        False,
        "economic life from the base date; default the remaining legal term",
    ),
    Column(
        "rd_cost", pl.Decimal(20, 2), "CNY", False, "historical R&D cost; empty: no cost approach"
    ),
    Column("price", pl.Decimal(20, 2), "CNY", False, "transaction price (calibration input only)"),
    Column("renewals_paid", pl.Int64, "count", False, "renewal fees paid (calibration input only)"),
)

BY_NAME: dict[str, Column] = {column.name: column for column in COLUMNS}
CALIBRATION_ONLY = frozenset({"price", "renewals_paid"})


def markdown_table() -> str:
    """The schema as a Markdown table, for the README."""
    lines = ["| column | unit | required | meaning |", "|---|---|---|---|"]
    for column in COLUMNS:
        required = "yes" if column.required else ""
        lines.append(f"| `{column.name}` | {column.unit} | {required} | {column.description} |")
    return "\n".join(lines)

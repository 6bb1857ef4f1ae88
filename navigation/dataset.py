"""The navigation dataset: patents of a region in the valuation batch schema, plus who and where.

A dataset holds one row per patent or application, in the columns of ``valuation/schema.py``
(read and checked by :func:`valuation.frame.normalise`) and the columns of
:data:`EXTRA_COLUMNS`:

=============== ====== =====================================================================
column          type   meaning
=============== ====== =====================================================================
``applicant``   text   the (first) applicant or patentee: an enterprise, university, person
``region``      text   the district or county of the applicant
``status_date`` date   the day the current ``legal_status`` took effect (lapse, expiry,
                       invalidation, surrender, withdrawal, rejection); empty while pending
                       or in force
=============== ====== =====================================================================

A dataset is read as of a day D (:func:`as_of`): a row counts once it is filed on or before D, and
its status on D is rebuilt from its dates. The status the row holds applies from its
``status_date``; before that day, and for a status that lasts (pending, in force), the row is
pending until its grant date and in force from then until its expiry. A terminal status given
without its ``status_date`` is taken to hold from the grant date (or, never granted, from the
filing date): the dataset then cannot say more. A dataset that has ``fees_paid_through_year`` (the
register's has) says more: a Chinese patent in force whose first unpaid annual fee is still
unpaid once its grace period ended has lapsed by D, as the pledge pre-check finds it
(``FEE_UNPAID``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from models import rules
from models.enums import LegalStatus
from pledge.eligibility import FEE_JURISDICTION
from valuation.frame import IN_MEMORY, add_years, normalise, remaining_term
from valuation.pipeline import in_order
from valuation.schema import Column

EXTRA_COLUMNS: tuple[Column, ...] = (
    Column("applicant", pl.String, "", False, "the (first) applicant or patentee"),
    Column("region", pl.String, "", False, "district or county of the applicant"),
    Column("status_date", pl.Date, "date", False, "day the current legal_status took effect"),
)
UNKNOWN = "unknown"
"""What an empty ``applicant``, ``region`` or ``industry`` is counted under."""

_LASTING = (LegalStatus.PENDING.value, LegalStatus.IN_FORCE.value)
CHUNK_ROWS = 500_000
"""Rows prepared at a time by :func:`prepared_rows`: checking a row needs several columns of
work beside it, so a chunk's, not the dataset's, are held at once."""


class DatasetError(ValueError):
    """The dataset cannot be read: a missing file, an unknown format or a missing column."""


def scan(path: Path) -> pl.LazyFrame:
    """The dataset file (CSV or Parquet) as a lazy frame; CSV cells are read as text."""
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pl.scan_parquet(path)
    if suffix == ".csv":
        return pl.scan_csv(path, infer_schema=False)
    raise DatasetError(f"{path}: expected a .csv or .parquet file")


def _text(name: str, schema: pl.Schema) -> pl.Expr:
    if name not in schema:
        return pl.lit(None, dtype=pl.String).alias(name)
    text = pl.col(name).cast(pl.String).str.strip_chars()
    return pl.when(text.str.len_chars() > 0).then(text).alias(name)


def key(name: str) -> pl.Expr:
    """A text column as a grouping key: an empty cell counts as :data:`UNKNOWN`."""
    return pl.col(name).fill_null(pl.lit(UNKNOWN)).alias(name)


def _status_date(schema: pl.Schema) -> tuple[pl.Expr, pl.Expr]:
    """The typed ``status_date`` and the message of a cell that is not a date."""
    if "status_date" not in schema:
        return pl.lit(None, dtype=pl.Date).alias("status_date"), pl.lit(None, dtype=pl.String)
    if schema["status_date"] == pl.Date:
        return pl.col("status_date"), pl.lit(None, dtype=pl.String)
    raw = pl.col("status_date").cast(pl.String).str.strip_chars()
    typed = raw.str.to_date("%Y-%m-%d", strict=False)
    bad = (raw.str.len_chars() > 0) & typed.is_null()
    message = pl.when(bad).then(pl.format("status_date: '{}' is not a date (YYYY-MM-DD)", raw))
    return typed.alias("status_date"), message


def prepare(frame: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """The dataset typed and checked: the batch columns as :func:`valuation.frame.normalise`
    makes them, ``applicant`` and ``region`` as trimmed text (null when empty) and
    ``status_date``; every problem of a row in its ``error`` column."""
    lazy = frame.lazy()
    schema = lazy.collect_schema()
    status_date, unreadable = _status_date(schema)
    # normalise types the schema's columns and keeps the others as they are
    staged = lazy.with_columns(status_date, unreadable.alias("_status_date_error"))
    checked = normalise(staged)
    before_filing = pl.when(pl.col("status_date") < pl.col("filing_date")).then(
        pl.format("status_date: {} is before filing date {}", "status_date", "filing_date")
    )
    error = pl.concat_str(
        [pl.col("error"), pl.col("_status_date_error"), before_filing],
        separator="; ",
        ignore_nulls=True,
    )
    return checked.with_columns(
        pl.when(error.str.len_chars() > 0).then(error).alias("error"),
        _text("applicant", schema),
        _text("region", schema),
    ).drop("_status_date_error")


def prepared_rows(frame: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """:func:`prepare` of every row, computed :data:`CHUNK_ROWS` rows at a time (two at once,
    :func:`valuation.pipeline.in_order`), with ``_input_row`` (the row's position in ``frame``,
    from 0)."""
    lazy = frame.lazy()
    numbered = lazy.with_row_index("_input_row").collect_batches(chunk_size=CHUNK_ROWS)
    chunks = list(in_order(numbered, _prepared_chunk))
    if not chunks:
        return prepare(lazy).with_row_index("_input_row").collect()
    return pl.concat(chunks, rechunk=False)


def _prepared_chunk(batch: pl.DataFrame) -> pl.DataFrame:
    return prepare(batch).collect(engine=IN_MEMORY)


def status_on(day: date, fees: bool = False) -> pl.Expr:
    """Each row's legal status on ``day`` (null when it was not yet filed); see the module.
    With ``fees`` (the rows have ``fees_paid_through_year``), a granted Chinese patent whose
    first unpaid annual fee is still unpaid when its grace period has ended by ``day`` has
    lapsed (Patent Law art. 44; the same rule as the pre-check's ``FEE_UNPAID``)."""
    at = pl.lit(day, dtype=pl.Date)
    status, grant = pl.col("legal_status"), pl.col("grant_date")
    lasting = status.is_in(_LASTING)
    started = pl.coalesce(pl.col("status_date"), grant, pl.col("filing_date"))
    granted = grant.is_not_null() & (grant <= at)
    ruled = (
        pl.when(pl.col("filing_date") > at)
        .then(pl.lit(None, dtype=pl.String))
        .when(~lasting & (started <= at))
        .then(status)
        .when(granted & (pl.col("expiry_date") <= at))
        .then(pl.lit(LegalStatus.EXPIRED.value))
    )
    if fees:
        ruled = ruled.when(granted & _fee_window_ended(at)).then(pl.lit(LegalStatus.LAPSED.value))
    return (
        ruled.when(granted)
        .then(pl.lit(LegalStatus.IN_FORCE.value))
        .otherwise(pl.lit(LegalStatus.PENDING.value))
    )


def _fee_window_ended(at: pl.Expr) -> pl.Expr:
    """Whether the grace period of the first annual fee not paid (the year after
    ``fees_paid_through_year``, due on that patent year's first day) ended before ``at``;
    false where the fees paid are not known or the patent is not Chinese."""
    paid = pl.col("fees_paid_through_year").cast(pl.Int64, strict=False)
    due = add_years(pl.col("filing_date"), paid)  # the first day of patent year paid + 1
    window_end = due.dt.offset_by(f"{rules.grace_months()}mo") - pl.duration(days=1)
    chinese = pl.col("jurisdiction").fill_null(FEE_JURISDICTION) == FEE_JURISDICTION
    return (chinese & paid.is_not_null() & (at > window_end)).fill_null(value=False)


def as_of(prepared: pl.LazyFrame, day: date) -> pl.LazyFrame:
    """The valid rows filed on or before ``day``, with ``legal_status`` as it stood on ``day``
    and ``remaining_term`` (years) at ``day``; ``current_status`` keeps the dataset's own."""
    fees = "fees_paid_through_year" in prepared.collect_schema().names()
    return (
        prepared.filter(pl.col("error").is_null() & (pl.col("filing_date") <= day))
        .with_columns(
            pl.col("legal_status").alias("current_status"),
            status_on(day, fees).alias("legal_status"),
        )
        .with_columns(remaining_term(day).alias("remaining_term"))
    )

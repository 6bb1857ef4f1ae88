"""Batch valuation: the engine of :mod:`valuation.engine`, vectorised over a frame of patents.

:func:`value_frame` values every row of a frame in the batch schema (:mod:`valuation.schema`) with
polars expressions and numpy kernels — no per-patent Python loop — and gives the same figures as
:func:`valuation.engine.value_patent`, row by row, to the fen. :func:`value_file` streams a CSV or
Parquet file through it in chunks, two at a time, so inputs larger than memory are valued in
bounded memory.

A row that fails its checks keeps its ``error`` (field and reason) and gets no values; the other
rows are valued.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import date
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import BinaryIO

import numpy as np
import polars as pl
import pyarrow.parquet as pq

from valuation import ENGINE_VERSION
from valuation.cells import spreadsheet_safe
from valuation.constants import parameter, read_table
from valuation.cost import cost_batch
from valuation.engine import LIVE_STATUSES
from valuation.features import FittedModel
from valuation.frame import IN_MEMORY, filed_by, normalised
from valuation.high_value import criteria_text, high_value_flags, with_strategic_industry
from valuation.income import Basis
from valuation.income_kernel import income_kernel
from valuation.market import default_model
from valuation.pipeline import DEFAULT_WORKERS, in_order
from valuation.pledge_value import pledge_value_batch
from valuation.reconcile import Approach, reconcile_arrays
from valuation.scoring import score_lazy
from valuation.uncertainty import simulate

FEN = 2
SCORE_MAX = 100.0
MONEY_OUT = pl.Decimal(20, 2)
MONEY_OUT_LIMIT = 1e18
"""What :data:`MONEY_OUT` holds: amounts below 10^18 (18 digits before the point)."""
OUTPUT_COLUMNS = (
    "patent_id",
    "income_value",
    "market_value",
    "cost_value",
    "value",
    "realisable_value",
    "max_loan",
    "score",
    "haircut",
    "ltv_cap",
    "remaining_term",
    "high_value_criteria",
    "income_note",
)
RANGE_COLUMNS = ("p10", "p50", "p90")
DEFAULT_CHUNK_ROWS = 250_000
DICTIONARY_COLUMNS = (
    "ltv_cap",
    "high_value_criteria",
    "income_note",
    "error",
    "base_date",
    "method",
)
"""Output columns with few distinct values, dictionary-encoded in Parquet (the others are written
plain: a dictionary of mostly distinct amounts costs time and space)."""


def _value(name: str) -> float:
    return float(parameter(name).value)


def _band(low: pl.Expr, high: pl.Expr, score: pl.Expr, *, descending: bool = False) -> pl.Expr:
    """``low + (high − low)·s/100`` (or from ``high`` down); the midpoint without a score."""
    position = 1.0 - score / SCORE_MAX if descending else score / SCORE_MAX
    return pl.when(score.is_null()).then((low + high) / 2).otherwise(low + (high - low) * position)


_BAND = ("_band_low", "_band_high")
"""Columns of the industry's royalty band while the income inputs are resolved."""


def _with_royalty_band(rows: pl.LazyFrame) -> pl.LazyFrame:
    """Adds the royalty band of each row's industry (``royalty_bands.csv``; null without one)."""
    table = read_table("royalty_bands")
    keys = {r["industry"]: r for r in table} | {r["name_zh"]: r for r in table}
    key = pl.col("_industry_key")
    ends = {
        name: key.replace_strict({k: float(r[end]) for k, r in keys.items()}, default=None)
        for name, end in zip(_BAND, ("low", "high"), strict=True)
    }
    industry = pl.col("industry").str.strip_chars().str.to_lowercase()
    return rows.with_columns(_industry_key=industry).with_columns(**ends).drop("_industry_key")


def _with_income_inputs(rows: pl.LazyFrame, term: pl.Expr) -> pl.LazyFrame:
    """Resolved income inputs (given, else the sourced default placed by the score).

    Staged so that the band lookup and the royalty, which several inputs read, are computed
    once; adds the columns of :func:`_income_columns`.
    """
    score = pl.col("score")
    profit = _profit_basis()
    default_k = (
        pl.when(profit)
        .then(_band(pl.lit(_value("profit_share_low")), pl.lit(_value("profit_share_high")), score))
        .otherwise(_band(pl.col(_BAND[0]), pl.col(_BAND[1]), score))
    )
    royalty = pl.coalesce(pl.col("royalty_rate"), default_k)
    return (
        _with_royalty_band(rows)
        .with_columns(royalty.alias("_royalty"))
        .with_columns(_income_columns(term))
        .drop(*_BAND)
    )


def _profit_basis() -> pl.Expr:
    return pl.col("royalty_basis").fill_null(Basis.REVENUE.value) == Basis.PROFIT.value


def _income_columns(term: pl.Expr) -> list[pl.Expr]:
    """The income inputs besides ``_royalty``, and the note of an approach not applied."""
    score = pl.col("score")
    profit = _profit_basis()
    others = sum(
        _value(n)
        for n in ("risk_free_rate", "market_premium", "capital_premium", "management_premium")
    )
    tech = _band(
        pl.lit(_value("technology_premium_low")),
        pl.lit(_value("technology_premium_high")),
        score,
        descending=True,
    )
    royalty = pl.col("_royalty")
    basis_amount = pl.when(profit).then(pl.col("revenue") * pl.col("operating_margin"))
    note = (
        pl.when(pl.col("revenue").is_null())
        .then(pl.lit("no revenue: income approach not applied"))
        .when(profit & pl.col("operating_margin").is_null())
        .then(pl.lit("no operating margin for the profit basis: income approach not applied"))
        .when(royalty.is_null() & pl.col("industry").is_null())
        .then(
            pl.lit(
                "no royalty rate and no industry to default it from: income approach not applied"
            )
        )
        .when(royalty.is_null())
        .then(
            pl.format("no royalty band for industry '{}': income approach not applied", "industry")
        )
    )
    return [
        basis_amount.otherwise(pl.col("revenue")).alias("_b1"),
        pl.col("revenue_growth").fill_null(0.0).alias("_growth"),
        pl.col("royalty_decay").fill_null(0.0).alias("_decay"),
        pl.coalesce(pl.col("tax_rate"), pl.lit(_value("corporate_tax_rate"))).alias("_tax"),
        pl.coalesce(pl.col("discount_rate"), others + tech).alias("_discount"),
        term.alias("_term"),
        pl.min_horizontal(pl.coalesce(pl.col("economic_life"), term), term).alias("_period"),
        pl.coalesce(pl.col("economic_life"), term).alias("_life"),
        note.alias("income_note"),
    ]


def _array(frame: pl.DataFrame, name: str) -> np.ndarray:
    return frame[name].cast(pl.Float64).fill_null(np.nan).to_numpy()


def _scored(rows: pl.DataFrame, base_date: date) -> pl.DataFrame:
    """``rows`` with the columns :func:`valuation.scoring.score_batch` adds, computed as there.

    On polars' default engine, as ``score_batch``: the order in which an engine adds the
    weighted parts of a score is its own, and with it the last bit of the sum. Only the columns
    the score reads enter that query; its few new columns come back in one chunk each.
    """
    query = score_lazy(rows.lazy(), at=base_date)
    added = [name for name in query.collect_schema() if name not in rows.columns]
    return rows.with_columns(query.select(added).collect().rechunk().get_columns())


def _prepared(rows: pl.DataFrame, base_date: date) -> pl.DataFrame:
    """The checked rows with what the kernels read.

    Adds the score and its parts (:func:`_scored`), then, as one lazy
    query, the resolved income inputs (:func:`_with_income_inputs`), the high-value criteria
    met (``high_value_criteria``) and, for a patent no longer alive, an economic life of zero.
    """
    live = pl.col("legal_status").is_in([s.value for s in LIVE_STATUSES])
    term = pl.when(live).then(pl.col("remaining_term")).otherwise(0.0)
    staged = _with_income_inputs(_scored(rows, base_date).lazy(), term).with_columns(
        # A patent no longer alive has no life left for the cost approach either.
        pl.when(live).then(pl.col("economic_life")).otherwise(0.0).alias("economic_life")
    )
    flagged = high_value_flags(staged, at=base_date)
    return flagged.with_columns(high_value_criteria=criteria_text()).collect(engine=IN_MEMORY)


def value_frame(
    frame: pl.DataFrame | pl.LazyFrame,
    *,
    base_date: date,
    model: FittedModel | None = None,
    weights: dict[Approach, Decimal] | None = None,
    draws: int | None = None,
    seed: int | None = None,
) -> pl.DataFrame:
    """Value every row of ``frame`` at ``base_date``; one output row per input row.

    Returns :data:`OUTPUT_COLUMNS` (money as ``Decimal(20, 2)`` CNY, half-even to the fen), plus
    :data:`RANGE_COLUMNS` when ``draws`` and ``seed`` are given, ``error``, and the provenance
    of every row: ``base_date`` and ``method`` (engine version and market model).
    """
    model = model or default_model()
    checked = (
        normalised(frame, base_date)
        .with_columns(filed_by(base_date))
        .with_row_index("_row")
        .collect(engine=IN_MEMORY)
    )
    valid = with_strategic_industry(checked.lazy().filter(pl.col("error").is_null()))
    rows = _prepared(valid.collect(engine=IN_MEMORY), base_date)
    # Only the identity and error of every row are kept for the end, not the whole frame.
    checked = checked.select("_row", "patent_id", "error")
    applied = rows["income_note"].is_null().to_numpy()
    income = income_kernel(
        _array(rows, "_b1"),
        _array(rows, "_growth"),
        _array(rows, "_royalty"),
        _array(rows, "_tax"),
        _array(rows, "_discount"),
        _array(rows, "_period"),
        decay=_array(rows, "_decay"),
    )
    income = np.where(applied, np.round(income, FEN), np.nan)
    market_frame = model.value(rows, as_of=base_date)
    market = np.round(market_frame["market_value"].to_numpy() * (_array(rows, "_term") > 0), FEN)
    cost = _array(cost_batch(rows, at=base_date), "cost_value")
    value = np.round(reconcile_arrays(income, market, cost, weights), FEN)
    out = rows.with_columns(
        income_value=pl.Series(income).fill_nan(None),
        market_value=pl.Series(market).fill_nan(None),
        cost_value=pl.Series(cost).fill_nan(None),
        value=pl.Series(value).fill_nan(None),
    )
    out = pledge_value_batch(out, market_value_column="value")
    columns: list[str] = list(OUTPUT_COLUMNS)
    if draws is not None and seed is not None:
        spread = simulate(
            _array(rows, "_b1"),
            _array(rows, "_growth"),
            _array(rows, "_royalty"),
            _array(rows, "_tax"),
            _array(rows, "_discount"),
            _array(rows, "_life"),
            _array(rows, "_term"),
            seed=seed,
            draws=draws,
            decay=_array(rows, "_decay"),
        )
        for name in RANGE_COLUMNS:
            income_q = np.where(applied, np.round(getattr(spread, name), FEN), np.nan)
            q = np.round(reconcile_arrays(income_q, market, cost, weights), FEN)
            out = out.with_columns(pl.Series(name, np.where(applied, q, np.nan)).fill_nan(None))
        columns += RANGE_COLUMNS
    money = {
        c for c in columns if c.endswith("_value") or c in ("value", "max_loan", *RANGE_COLUMNS)
    }
    out = _unfit(out, [c for c in columns if c in money])
    valued = out.select(
        "_row",
        "_unfit",
        *(pl.col(c).cast(MONEY_OUT) if c in money else pl.col(c) for c in columns[1:]),
    )
    # Rows that failed their checks keep their error and get no values; so do rows whose values
    # the output's decimal columns cannot hold.
    return checked.join(valued, on="_row", how="left", maintain_order="left").select(
        *columns,
        pl.coalesce("error", "_unfit").alias("error"),
        pl.lit(base_date).alias("base_date"),
        pl.lit(f"patentval {ENGINE_VERSION}; market model: {model.label}").alias("method"),
    )


def _unfit(out: pl.DataFrame, money: list[str]) -> pl.DataFrame:
    """``out`` with ``_unfit``, why a row's computed money does not fit :data:`MONEY_OUT` (null
    when it does), and no values on such a row."""
    bad = [
        pl.when(pl.col(c).abs() >= MONEY_OUT_LIMIT).then(
            pl.format(
                f"{c}: the computed value {{}} is too large: values must be below 10^18",
                pl.col(c),
            )
        )
        for c in money
    ]
    flagged = out.with_columns(_unfit=pl.coalesce(bad))  # the first is enough to say why
    if flagged["_unfit"].null_count() == flagged.height:
        return flagged
    keep = pl.col("_unfit").is_null()
    values = [c for c in (*OUTPUT_COLUMNS[1:], *RANGE_COLUMNS) if c in flagged.columns]
    return flagged.with_columns(pl.when(keep).then(pl.col(c)).alias(c) for c in values)


def _chunks(path: Path, rows: int) -> Iterator[pl.DataFrame]:
    lazy = (
        pl.scan_parquet(path)
        if path.suffix.lower() == ".parquet"
        else pl.scan_csv(path, infer_schema=False)
    )
    yield from lazy.collect_batches(chunk_size=rows)


class _ResultSink:
    """Appends result chunks to one CSV or Parquet file, in the order given."""

    def __init__(self, sink: BinaryIO, *, parquet: bool) -> None:
        self._sink = sink
        self._parquet = parquet
        self._writer: pq.ParquetWriter | None = None
        self._header = True

    def write(self, result: pl.DataFrame) -> None:
        if not self._parquet:
            spreadsheet_safe(result).write_csv(self._sink, include_header=self._header)
            self._header = False
            return
        table = result.to_arrow()
        if self._writer is None:
            dictionary = [c for c in DICTIONARY_COLUMNS if c in table.column_names]
            self._writer = pq.ParquetWriter(self._sink, table.schema, use_dictionary=dictionary)
        self._writer.write_table(table)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


_Pending = tuple["Future[None]", int]
"""A chunk being written, and its number of rows."""


def value_file(
    source: Path,
    target: Path,
    *,
    base_date: date,
    model: FittedModel | None = None,
    weights: dict[Approach, Decimal] | None = None,
    draws: int | None = None,
    seed: int | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    workers: int = DEFAULT_WORKERS,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Value the patents of ``source`` (CSV or Parquet) into ``target`` (CSV or Parquet).

    Reads and writes ``chunk_rows`` rows at a time, values up to ``workers`` chunks at once
    and writes each chunk's results, in order, in the background while the next are valued;
    so about ``workers + 1`` chunks are held in memory. Calls ``progress(rows_done)`` after
    each chunk is written. Returns the number of rows written.
    """
    model = model or default_model()
    value = partial(
        value_frame, base_date=base_date, model=model, weights=weights, draws=draws, seed=seed
    )
    done = 0
    with target.open("wb") as file, ThreadPoolExecutor(max_workers=1) as background:
        sink = _ResultSink(file, parquet=target.suffix.lower() == ".parquet")
        results = in_order(_chunks(source, chunk_rows), value, workers)
        pending: _Pending | None = None
        try:
            for result in results:
                if pending is not None:
                    done = _finish(pending, done, progress)
                pending = (background.submit(sink.write, result), result.height)
            if pending is not None:
                done, pending = _finish(pending, done, progress), None
        finally:
            results.close()  # on an error, chunks still being valued are waited for
            if pending is not None:  # and so is the write under way
                wait([pending[0]])
            sink.close()
    return done


def _finish(pending: _Pending, done: int, progress: Callable[[int], None] | None) -> int:
    """Waits for the chunk being written; returns the rows written so far."""
    writing, rows = pending
    writing.result()
    done += rows
    if progress is not None:
        progress(done)
    return done

"""Batch valuation: the engine of :mod:`valuation.engine`, vectorised over a frame of patents.

:func:`value_frame` values every row of a frame in the batch schema (:mod:`valuation.schema`) with
polars expressions and numpy kernels — no per-patent Python loop — and gives the same figures as
:func:`valuation.engine.value_patent`, row by row, to the fen. :func:`value_file` streams a CSV or
Parquet file through it in chunks, so inputs larger than memory are valued in bounded memory.

A row that fails its checks keeps its ``error`` (field and reason) and gets no values; the other
rows are valued.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq

from valuation import ENGINE_VERSION
from valuation.cells import spreadsheet_safe
from valuation.constants import parameter, read_table
from valuation.cost import cost_batch
from valuation.engine import LIVE_STATUSES
from valuation.features import FittedModel
from valuation.frame import normalise
from valuation.high_value import classify_high_value_batch
from valuation.income import Basis
from valuation.income_kernel import income_kernel
from valuation.market import default_model
from valuation.pledge_value import pledge_value_batch
from valuation.reconcile import Approach, reconcile_arrays
from valuation.scoring import score_batch
from valuation.uncertainty import simulate

FEN = 2
SCORE_MAX = 100.0
MONEY_OUT = pl.Decimal(20, 2)
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


def _value(name: str) -> float:
    return float(parameter(name).value)


def _band(low: pl.Expr, high: pl.Expr, score: pl.Expr, *, descending: bool = False) -> pl.Expr:
    """``low + (high − low)·s/100`` (or from ``high`` down); the midpoint without a score."""
    position = 1.0 - score / SCORE_MAX if descending else score / SCORE_MAX
    return pl.when(score.is_null()).then((low + high) / 2).otherwise(low + (high - low) * position)


def _royalty_band(industry: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    rows = read_table("royalty_bands")
    keys = {r["industry"]: r for r in rows} | {r["name_zh"]: r for r in rows}
    key = industry.str.strip_chars().str.to_lowercase()
    low = key.replace_strict({k: float(r["low"]) for k, r in keys.items()}, default=None)
    high = key.replace_strict({k: float(r["high"]) for k, r in keys.items()}, default=None)
    return low, high


def _income_columns(term: pl.Expr) -> list[pl.Expr]:
    """Resolved income inputs (given, else the sourced default placed by the score)."""
    score = pl.col("score")
    band_low, band_high = _royalty_band(pl.col("industry"))
    profit = pl.col("royalty_basis").fill_null(Basis.REVENUE.value) == Basis.PROFIT.value
    default_k = (
        pl.when(profit)
        .then(_band(pl.lit(_value("profit_share_low")), pl.lit(_value("profit_share_high")), score))
        .otherwise(_band(band_low, band_high, score))
    )
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
    royalty = pl.coalesce(pl.col("royalty_rate"), default_k)
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
        royalty.alias("_royalty"),
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
    checked = normalise(frame, base_date).with_row_index("_row").collect()
    rows = checked.filter(pl.col("error").is_null())
    live = pl.col("legal_status").is_in([s.value for s in LIVE_STATUSES])
    term = pl.when(live).then(pl.col("remaining_term")).otherwise(0.0)
    rows = score_batch(rows, at=base_date).with_columns(_income_columns(term))
    rows = rows.with_columns(
        # A patent no longer alive has no life left for the cost approach either.
        pl.when(live).then(pl.col("economic_life")).otherwise(0.0).alias("economic_life")
    )
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
    hv = classify_high_value_batch(out, at=base_date)
    out = out.with_columns(high_value_criteria=hv["hv_criteria"].list.join(";"))
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
    valued = out.select(
        "_row", *(pl.col(c).cast(MONEY_OUT) if c in money else pl.col(c) for c in columns[1:])
    )
    # Rows that failed their checks keep their error and get no values.
    return (
        checked.select("_row", "patent_id", "error")
        .join(valued, on="_row", how="left")
        .sort("_row")
        .select(
            *columns,
            "error",
            pl.lit(base_date).alias("base_date"),
            pl.lit(f"patentval {ENGINE_VERSION}; market model: {model.label}").alias("method"),
        )
    )


def _chunks(path: Path, rows: int) -> Iterator[pl.DataFrame]:
    if path.suffix.lower() == ".parquet":
        for batch in pq.ParquetFile(path).iter_batches(batch_size=rows):
            yield pl.DataFrame(pl.from_arrow(batch))
        return
    lazy = pl.scan_csv(path, infer_schema=False)
    yield from lazy.collect_batches(chunk_size=rows)


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
    progress: Callable[[int], None] | None = None,
) -> int:
    """Value the patents of ``source`` (CSV or Parquet) into ``target`` (CSV or Parquet).

    Reads and writes ``chunk_rows`` rows at a time; calls ``progress(rows_done)`` after each
    chunk. Returns the number of rows written.
    """
    model = model or default_model()
    done = 0
    parquet = target.suffix.lower() == ".parquet"
    with target.open("wb") as sink:
        writer: pq.ParquetWriter | None = None
        try:
            for chunk in _chunks(source, chunk_rows):
                result = value_frame(
                    chunk, base_date=base_date, model=model, weights=weights, draws=draws, seed=seed
                )
                if parquet:
                    table = result.to_arrow()
                    writer = writer or pq.ParquetWriter(sink, table.schema)
                    writer.write_table(table)
                else:
                    spreadsheet_safe(result).write_csv(sink, include_header=done == 0)
                done += result.height
                if progress is not None:
                    progress(done)
        finally:
            if writer is not None:
                writer.close()
    return done

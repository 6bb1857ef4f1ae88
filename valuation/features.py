"""The design matrix of the market approach: bibliographic batch columns → model features.

Both market models (:mod:`valuation.market`, the hedonic regression on prices, and
:mod:`valuation.renewal`, the ordered model of renewals paid) read their inputs through a
:class:`DesignBuilder`, so a model fitted on one batch sees another batch's features built the
same way. Features come in *groups*, each read from bibliographic columns only:

================== ==================== ==========================================================
group              input columns        features (float64)
================== ==================== ==========================================================
a count group      the count column     ``log1p_<group>`` = ln(1 + count)
ipc_sections       ``ipc``              ``ipc_B`` … ``ipc_H``: 1 if a code of the patent is in
                                        that IPC section (section A is the base)
patent_type        ``patent_type``      ``type_utility_model``, ``type_design`` (invention base)
remaining_life     ``filing_date``,     years of term left at the base date, ≥ 0; the expiry is
                   ``patent_type``,     ``expiry_date`` when given, else filing date + statutory
                   ``jurisdiction``     term (:mod:`models.rules`; an empty jurisdiction is CN)
================== ==================== ==========================================================

The count groups are :data:`COUNT_GROUPS`. Only these columns (and ``expiry_date``,
``as_of_date``) are ever read: renewal outcomes, legal status and prices
(:data:`LEAKAGE_COLUMNS`) cannot enter a feature, so a value is never a restatement of the outcome
it is validated against.

Missing values are explicit. With ``missing="impute"`` a missing entry (a null, or the column
absent) takes a value learnt at fit time — the training median for counts and remaining life, the
training share for a dummy — and, if the training data had missing entries in that group, a
``<group>_missing`` indicator (1 on imputed rows) enters the design, so its coefficient absorbs the
level of the imputed rows. With ``missing="refuse"`` a missing entry raises :class:`FeatureError`
naming the column.

References
----------
.. [1] D. Harhoff, F. M. Scherer, K. Vopel, "Citations, family size, opposition and the value of
   patent rights", *Research Policy* 32 (2003) 1343–1363.
.. [2] J. O. Lanjouw, M. Schankerman, "Patent quality and research productivity: measuring
   innovation with multiple indicators", *Economic Journal* 114 (2004) 441–465.
.. [3] J. Bessen, "The value of U.S. patents by owner and patent characteristics",
   *Research Policy* 37 (2008) 932–945.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any, ClassVar, Literal, Self

import numpy as np
import polars as pl
from numpy.typing import NDArray

from models.enums import PatentType
from valuation import ENGINE_VERSION
from valuation.frame import IN_MEMORY, expiry_date

FloatArray = NDArray[np.float64]
MissingPolicy = Literal["impute", "refuse"]

COUNT_GROUPS: tuple[str, ...] = (
    "claims",
    "independent_claims",
    "forward_citations",
    "backward_citations",
    "npl_citations",
    "family_size",
    "inventors",
)
IPC_SECTIONS: tuple[str, ...] = tuple("ABCDEFGH")
"""IPC sections; the first is the base level of the section dummies."""
_IPC_SEPARATOR = ";"
TYPE_LEVELS: tuple[str, ...] = tuple(t.value for t in PatentType)
"""Patent types; the first (invention) is the base level of the type dummies."""
GROUPS: tuple[str, ...] = (*COUNT_GROUPS, "ipc_sections", "patent_type", "remaining_life")
DEFAULT_JURISDICTION = "CN"
"""Jurisdiction of a row that gives none (the batch schema's default)."""
DAYS_PER_YEAR = 365.25
"""Length of the Julian year in days: the unit in which remaining life and age are counted."""

LEAKAGE_COLUMNS: frozenset[str] = frozenset(
    {"renewals_paid", "renewals_censored", "legal_status", "fees_paid_through_year"}
    | {"price", "payment_times", "paid_3p5yr", "paid_7p5yr", "paid_11p5yr"}
)
"""Outcome columns that no feature reads (they are targets, or consequences of value)."""

_INPUTS: dict[str, tuple[str, ...]] = {
    **{group: (group,) for group in COUNT_GROUPS},
    "ipc_sections": ("ipc",),
    "patent_type": ("patent_type",),
    "remaining_life": ("filing_date", "patent_type", "jurisdiction", "expiry_date", "as_of_date"),
}


class FeatureError(ValueError):
    """The batch cannot be turned into the model's features; the message names the column."""


def input_columns(groups: Sequence[str]) -> frozenset[str]:
    """The batch columns the feature ``groups`` read (never one of :data:`LEAKAGE_COLUMNS`)."""
    return frozenset(column for group in groups for column in _INPUTS[group])


def available_groups(frame: pl.DataFrame, groups: Sequence[str]) -> tuple[str, ...]:
    """The ``groups`` whose main input column (the count, ``ipc``, ``filing_date``) is present."""
    return tuple(g for g in _check_groups(groups) if _INPUTS[g][0] in frame.columns)


def _check_groups(groups: Sequence[str]) -> tuple[str, ...]:
    unknown = [g for g in groups if g not in _INPUTS]
    if unknown or len(set(groups)) != len(groups):
        raise FeatureError(f"feature groups {list(groups)} are unknown or repeat; known: {GROUPS}")
    return tuple(groups)


def _as_date(frame: pl.DataFrame, name: str) -> pl.Expr:
    if name not in frame.columns:
        return pl.lit(None, dtype=pl.Date)
    if frame.schema[name] == pl.String:
        return pl.col(name).str.to_date(strict=True)
    return pl.col(name).cast(pl.Date)


def _is_normalised(frame: pl.DataFrame) -> bool:
    """Whether :func:`valuation.frame.normalise` made ``frame``: its text is already trimmed,
    empty text is null and the patent type is in lower case."""
    return "error" in frame.columns and frame.schema.get("expiry_date") == pl.Date


def _text(frame: pl.DataFrame, name: str) -> pl.Expr:
    if name not in frame.columns:
        return pl.lit(None, dtype=pl.String)
    # Empty text as null; a replacement reads the text once (a when/then reads it twice).
    return pl.col(name).cast(pl.String).str.strip_chars().replace("", None)


def years_since(frame: pl.DataFrame, column: str, as_of: date) -> pl.Series:
    """Years from ``column`` (a date) to ``as_of``, never negative; null where the date is."""
    days = (pl.lit(as_of) - _as_date(frame, column)).dt.total_days().cast(pl.Float64)
    return frame.select((days / DAYS_PER_YEAR).clip(lower_bound=0.0).alias(column)).to_series()


def _feature_names(group: str) -> tuple[str, ...]:
    """The feature columns of ``group``, in design order."""
    if group in COUNT_GROUPS:
        return (f"log1p_{group}",)
    if group == "ipc_sections":
        return tuple(f"ipc_{s}" for s in IPC_SECTIONS[1:])
    if group == "patent_type":
        return tuple(f"type_{t}" for t in TYPE_LEVELS[1:])
    return ("remaining_life_years",)


def _staged(frame: pl.DataFrame, groups: Sequence[str]) -> pl.LazyFrame:
    """The input columns of ``groups``, each cleaned once: the patent type trimmed and in lower
    case (empty as null), the IPC codes each led by a ``;`` with the whitespace after it
    removed (``__codes``) and, for remaining life, the expiry (``__expiry``,
    :func:`valuation.frame.expiry_date`; as given in a frame that
    :func:`valuation.frame.normalise` made). Nothing else of ``frame`` is read."""
    normalised = _is_normalised(frame)
    wanted = {column for group in groups for column in _INPUTS[group]}
    if "remaining_life" in groups:
        wanted.add("term_adjustment_days")  # an input of the expiry, not a feature's own
    present = [c for c in frame.columns if c in wanted]
    lazy = frame.lazy().with_row_index("__row").select("__row", *present)
    staged: list[pl.Expr] = []
    if "patent_type" in wanted and not normalised:
        staged.append(_text(frame, "patent_type").str.to_lowercase().alias("patent_type"))
    if "ipc_sections" in groups:
        text = pl.col("ipc") if normalised and "ipc" in frame.columns else _text(frame, "ipc")
        codes = pl.concat_str([pl.lit(_IPC_SEPARATOR), text])
        led = codes.str.replace_all(rf"{_IPC_SEPARATOR}\s+", _IPC_SEPARATOR)
        staged.append(led.alias("__codes"))
    life = "remaining_life" in groups
    # An expiry given on every row is the expiry (the rule's term would only fill the gaps).
    given = frame.schema.get("expiry_date") == pl.Date
    given = given and not frame.get_column("expiry_date").null_count()
    if life and not (normalised or given):
        adjustment = (
            pl.col("term_adjustment_days").cast(pl.Int64)
            if "term_adjustment_days" in frame.columns
            else pl.lit(None, dtype=pl.Int64)
        )
        jurisdiction = _text(frame, "jurisdiction").str.to_uppercase()
        staged += [
            _as_date(frame, "filing_date").alias("filing_date"),
            jurisdiction.fill_null(DEFAULT_JURISDICTION).alias("jurisdiction"),
            _as_date(frame, "expiry_date").alias("expiry_date"),
            adjustment.alias("term_adjustment_days"),
        ]
    lazy = lazy.with_columns(staged)
    if life:
        expiry = pl.col("expiry_date") if normalised or given else expiry_date()
        lazy = lazy.with_columns(expiry.alias("__expiry"))
    return lazy


def _features(frame: pl.DataFrame, group: str, as_of: date | None) -> list[pl.Expr]:
    """The features of ``group`` as expressions over :func:`_staged` columns."""
    if group in COUNT_GROUPS:
        present = group in frame.columns
        count = pl.col(group).cast(pl.Float64) if present else pl.lit(None, dtype=pl.Float64)
        # A negative count is -inf (refused by _raw); a missing one stays null.
        logged = pl.when(count < 0).then(pl.lit(-math.inf)).otherwise(count.log1p())
        return [logged.alias(f"log1p_{group}")]
    if group == "ipc_sections":
        # A section is the text ";B" or ";b" in the led codes: plain substring tests.
        return [
            pl.col("__codes")
            .str.contains_any([f"{_IPC_SEPARATOR}{s}", f"{_IPC_SEPARATOR}{s.lower()}"])
            .cast(pl.Float64)
            .alias(f"ipc_{s}")
            for s in IPC_SECTIONS[1:]
        ]
    if group == "patent_type":
        return [
            (pl.col("patent_type") == t).cast(pl.Float64).alias(f"type_{t}")
            for t in TYPE_LEVELS[1:]
        ]
    base = pl.lit(as_of, dtype=pl.Date)
    if "as_of_date" in frame.columns:
        base = pl.coalesce(_as_date(frame, "as_of_date"), base)
    days = (pl.col("__expiry") - base).dt.total_days().cast(pl.Float64)
    return [(days / DAYS_PER_YEAR).clip(lower_bound=0.0).alias("remaining_life_years")]


def _raw(frame: pl.DataFrame, groups: Sequence[str], as_of: date | None) -> pl.DataFrame:
    """The features of ``groups`` before imputation, in one query: float64 columns, null where
    missing, in group order.

    Raises
    ------
    FeatureError
        A count is negative, a patent type unknown, or remaining life lacks a base date.
    """
    if "remaining_life" in groups and as_of is None:
        given = frame.get_column("as_of_date") if "as_of_date" in frame.columns else None
        if given is None or given.null_count():
            raise FeatureError(
                "remaining_life needs a base date: pass as_of= or give an 'as_of_date' column"
            )
    columns = [e for group in groups for e in _features(frame, group, as_of)]
    kind = pl.col("patent_type")
    unknown = kind.is_not_null() & ~kind.is_in(TYPE_LEVELS)
    checks = [unknown.fill_null(False).alias("__unknown")] if "patent_type" in groups else []
    raw = _staged(frame, groups).select("__row", *columns, *checks).collect(engine=IN_MEMORY)
    # Read as numpy: on a frame of a few rows each polars Series operation is a query.
    for group in groups:
        if group in COUNT_GROUPS and np.isneginf(raw.get_column(f"log1p_{group}").to_numpy()).any():
            raise FeatureError(f"column {group!r} has negative counts")
    if checks and raw.get_column("__unknown").to_numpy().any():
        staged = _staged(frame, ["patent_type"]).select(kind).collect(engine=IN_MEMORY)
        values = set(staged.to_series().drop_nulls().to_list()) - set(TYPE_LEVELS)
        raise FeatureError(f"column 'patent_type' has unknown values {sorted(values)}")
    return raw.drop("__row", *(c.meta.output_name() for c in checks))


def _record_text(value: Any) -> str | None:
    """:func:`_text` of one value: trimmed, empty as None."""
    return None if value is None else (str(value).strip() or None)


def _record_features(record: Mapping[str, Any], group: str, as_of: date | None) -> list[float]:
    """The features of ``group`` for one record, as :func:`_raw` computes them on a one-row
    frame (NaN where missing); the same errors.

    Raises
    ------
    FeatureError
        A count is negative, the patent type unknown, the expiry not a date (the record must
        give it), or remaining life lacks a base date.
    """
    if group in COUNT_GROUPS:
        count = record.get(group)
        if count is None:
            return [math.nan]
        if float(count) < 0:
            raise FeatureError(f"column {group!r} has negative counts")
        return [math.log1p(float(count))]
    if group == "ipc_sections":
        text = _record_text(record.get("ipc"))
        if text is None:
            return [math.nan] * (len(IPC_SECTIONS) - 1)
        codes = re.sub(rf"{_IPC_SEPARATOR}\s+", _IPC_SEPARATOR, _IPC_SEPARATOR + text)
        return [
            float(f"{_IPC_SEPARATOR}{s}" in codes or f"{_IPC_SEPARATOR}{s.lower()}" in codes)
            for s in IPC_SECTIONS[1:]
        ]
    if group == "patent_type":
        kind = _record_text(record.get("patent_type"))
        if kind is None:
            return [math.nan] * (len(TYPE_LEVELS) - 1)
        if kind.lower() not in TYPE_LEVELS:
            raise FeatureError(f"column 'patent_type' has unknown values {[kind.lower()]}")
        return [float(kind.lower() == t) for t in TYPE_LEVELS[1:]]
    base = record.get("as_of_date") or as_of
    if base is None:
        raise FeatureError(
            "remaining_life needs a base date: pass as_of= or give an 'as_of_date' column"
        )
    expiry = record.get("expiry_date")
    if not isinstance(expiry, date):
        raise FeatureError(f"a record gives its 'expiry_date' as a date, not {expiry!r}")
    return [max((expiry - base).days / DAYS_PER_YEAR, 0.0)]


def raw_features(frame: pl.DataFrame, group: str, as_of: date | None = None) -> pl.DataFrame:
    """The features of one ``group`` before imputation: float64 columns, null where missing.

    Raises
    ------
    FeatureError
        A count is negative, a patent type unknown, or remaining life lacks a base date.
    """
    return _raw(frame, (_check_groups([group])[0],), as_of)


@dataclass(frozen=True, slots=True)
class Design:
    """A design matrix with its column names and how many rows of each group were imputed."""

    matrix: FloatArray
    names: tuple[str, ...]
    imputed: Mapping[str, int] = field(default_factory=dict)


class DesignBuilder:
    """Turns batch columns into the float design matrix of a market model.

    Parameters
    ----------
    features : sequence of str
        Feature groups (see the module docstring), in design order.
    missing : {"impute", "refuse"}
        What a missing entry does: imputation with a learnt value plus an indicator, or an error.

    Attributes
    ----------
    fill_ : dict of str to float
        The value each feature column takes where its group is missing.
    indicators_ : tuple of str
        Groups with missing training entries, which carry a ``<group>_missing`` column.
    names_ : tuple of str
        The design's columns, in order.
    dropped_ : tuple of str
        Columns constant in the training data, left out (their coefficient is not identified).
    """

    def __init__(
        self, features: Sequence[str] = GROUPS, *, missing: MissingPolicy = "impute"
    ) -> None:
        self.features = features
        self.missing = missing

    def fit(self, frame: pl.DataFrame, as_of: date | None = None) -> Self:
        """Learn imputation values, indicators and the column list from a training batch."""
        groups = _check_groups(self.features)
        absent = [_INPUTS[g][0] for g in groups if _INPUTS[g][0] not in frame.columns]
        if absent or frame.height == 0:
            raise FeatureError(
                f"the training data has {frame.height} rows and lacks column(s) {absent}: supply "
                "them or leave their feature groups out"
            )
        self.fill_: dict[str, float] = {}
        indicators: list[str] = []
        raw = _raw(frame, groups, as_of)
        for group in groups:
            names = _feature_names(group)
            count = raw.select(pl.any_horizontal(pl.col(names).is_null()).sum()).item()
            if count == frame.height:
                raise FeatureError(f"feature group {group!r}: every training row is missing")
            if count:
                self._refuse_if_strict(group, count)
                indicators.append(group)
            for name in names:
                values = raw.get_column(name).drop_nulls().to_numpy().astype(np.float64)
                dummy = name.startswith(("ipc_", "type_"))
                self.fill_[name] = float(np.mean(values) if dummy else np.median(values))
        self.indicators_ = tuple(indicators)
        self.names_: tuple[str, ...] = ()
        full = self._assemble(frame, as_of)
        varies = full.matrix.max(axis=0) > full.matrix.min(axis=0)
        self.names_ = tuple(n for n, v in zip(full.names, varies, strict=True) if v)
        self.dropped_ = tuple(n for n, v in zip(full.names, varies, strict=True) if not v)
        if not self.names_:
            raise FeatureError("no feature varies in the training data")
        return self

    def _refuse_if_strict(self, group: str, count: int) -> None:
        if self.missing == "refuse":
            raise FeatureError(
                f"{count} row(s) lack {'/'.join(_INPUTS[group][:3])} (feature group {group!r}) "
                "and missing values are refused"
            )

    def _assemble(self, frame: pl.DataFrame, as_of: date | None) -> Design:
        raw = _raw(frame, self.features, as_of)
        values = raw.to_numpy().astype(np.float64).reshape(frame.height, raw.width)  # null: NaN
        return self._design(values, raw.columns)

    def _design(self, values: FloatArray, raw_columns: Sequence[str]) -> Design:
        """The design of the raw features ``values`` (rows × ``raw_columns``, NaN where
        missing): imputed, with the indicators, in :attr:`names_` order."""
        height = values.shape[0]
        index = {name: i for i, name in enumerate(raw_columns)}
        columns: dict[str, FloatArray] = {}
        imputed: dict[str, int] = {}
        for group in self.features:
            names = _feature_names(group)
            block = values[:, [index[n] for n in names]]
            is_missing = np.isnan(block).any(axis=1)
            if count := int(is_missing.sum()):
                self._refuse_if_strict(group, count)
                imputed[group] = count
            for j, name in enumerate(names):
                column = block[:, j]
                columns[name] = np.where(np.isnan(column), self.fill_[name], column).astype(
                    np.float64
                )
            if group in self.indicators_:
                columns[f"{group}_missing"] = np.asarray(is_missing, dtype=np.float64)
        names = self.names_ or tuple(columns)
        matrix = np.column_stack([columns[n] for n in names])
        return Design(matrix.reshape(height, len(names)), names, imputed)

    def transform(self, frame: pl.DataFrame, as_of: date | None = None) -> Design:
        """The design matrix of ``frame`` (rows in frame order, columns :attr:`names_`)."""
        if not hasattr(self, "names_"):
            raise FeatureError("the design builder is not fitted")
        return self._assemble(frame, as_of)

    def transform_record(self, record: Mapping[str, Any], as_of: date | None = None) -> Design:
        """The design row of one record (:class:`RecordRows`): :meth:`transform` of its one-row
        frame, without a polars query."""
        if not hasattr(self, "names_"):
            raise FeatureError("the design builder is not fitted")
        features = [_record_features(record, group, as_of) for group in self.features]
        names = [name for group in self.features for name in _feature_names(group)]
        values = np.array([[value for part in features for value in part]], dtype=np.float64)
        return self._design(values, names)

    def to_dict(self) -> dict[str, Any]:
        """The fitted builder as JSON-ready data."""
        return {
            "features": list(self.features),
            "missing": self.missing,
            "fill": self.fill_,
            "indicators": list(self.indicators_),
            "names": list(self.names_),
            "dropped": list(self.dropped_),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DesignBuilder:
        """A fitted builder from :meth:`to_dict` output."""
        builder = cls(_check_groups(data["features"]), missing=data["missing"])
        builder.fill_ = {str(k): float(v) for k, v in data["fill"].items()}
        builder.indicators_ = tuple(data["indicators"])
        builder.names_ = tuple(data["names"])
        builder.dropped_ = tuple(data["dropped"])
        return builder


# Shared by both market models ------------------------------------------------------------------

P10, P90 = 0.10, 0.90
"""Probability levels of the ``market_p10`` and ``market_p90`` columns: the 80 % interval."""
VALUE_COLUMNS: tuple[str, ...] = ("patent_id", "market_value", "market_p10", "market_p90")
POINTS: tuple[str, ...] = ("median", "mean")
"""Statistics a model may report as ``market_value``."""
Point = Literal["median", "mean"]
MODEL_FORMAT = "patentval-market-model"
"""The ``format`` field of a saved model's JSON."""
IDENTIFIER_DIGITS = 12
"""Hex digits of the model hash in :attr:`FittedModel.identifier`."""


@dataclass(frozen=True, slots=True)
class ModelSummary:
    """A fitted model's statsmodels summary, as text and as HTML, for a report to print."""

    text: str
    html: str

    def __str__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        return self.html


def patent_ids(frame: pl.DataFrame) -> pl.Series:
    """The ``patent_id`` column, which every valued batch must carry."""
    if "patent_id" not in frame.columns:
        raise FeatureError("column 'patent_id' is required to value a batch")
    return frame.get_column("patent_id")


def base_date(as_of: date | None) -> date:
    """The base date of a valuation: ``as_of``, or today (UTC) when none is given."""
    return as_of or datetime.now(UTC).date()


def quadratic_forms(x: FloatArray, cov: FloatArray) -> FloatArray:
    r"""The quadratic form :math:`x_i \Sigma x_i^\top` of each row :math:`x_i` of ``x``.

    The terms :math:`x_{ij} \Sigma_{jk} x_{ik}` are added for :math:`j`, then :math:`k`, in
    order, as ``np.einsum("ij,jk,ik->i", x, cov, x)`` adds them (a test holds the two to the
    last bit), one contiguous column at a time; one row in Python floats, the same terms in the
    same order (numpy's cost per call would be most of the time).
    """
    if x.shape[0] == 1:
        row, total_ = x[0].tolist(), 0.0
        for value, weights in zip(row, cov.tolist(), strict=True):
            for weight, other_ in zip(weights, row, strict=True):
                total_ += value * weight * other_
        return np.array([total_])
    columns = np.ascontiguousarray(x.T)
    total = np.zeros(x.shape[0])
    term = np.empty(x.shape[0])
    for j, column in enumerate(columns):
        for k, other in enumerate(columns):
            np.multiply(column, cov[j, k], out=term)
            np.multiply(term, other, out=term)
            np.add(total, term, out=total)
    return total


def lognormal(m: FloatArray, s: FloatArray, z10: float, z90: float) -> dict[str, FloatArray]:
    """``log_value`` m, median ``e^m``, mean ``e^{m+s²/2}`` and P10/P90 ``e^{m+z·s}`` of
    lognormal values."""
    return {
        "log_value": m,
        "median": np.exp(m),
        "mean": np.exp(m + s**2 / 2),
        "p10": np.exp(m + z10 * s),
        "p90": np.exp(m + z90 * s),
    }


class FrameRows:
    """The model inputs of a batch: its rows' design, remaining life and ages, each built in
    a polars query."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame

    def design(self, builder: DesignBuilder, as_of: date) -> Design:
        """The design matrix (:meth:`DesignBuilder.transform`)."""
        return builder.transform(self.frame, as_of)

    def remaining_life(self, as_of: date) -> FloatArray:
        """Years of term left at ``as_of``; :class:`FeatureError` where there is no expiry."""
        years = raw_features(self.frame, "remaining_life", as_of).to_series()
        if years.null_count():
            raise FeatureError(
                f"{years.null_count()} patent(s) have no determinable expiry: give "
                "'expiry_date', or 'filing_date' with a known 'patent_type' and 'jurisdiction'"
            )
        return years.to_numpy().astype(np.float64)

    def years_since(self, column: str, as_of: date) -> FloatArray:
        """Years from the date ``column`` to ``as_of`` (:func:`years_since`), 0 where none."""
        return years_since(self.frame, column, as_of).fill_null(0.0).to_numpy()


class RecordRows:
    """The model inputs of one patent's record, its batch columns as Python values (as
    ``valuation.engine.patent_row`` makes them, with its ``expiry_date``): the figures
    :class:`FrameRows` gives its one-row frame, without a polars query (a test holds the two
    equal)."""

    def __init__(self, record: Mapping[str, Any]) -> None:
        self.record = record

    def design(self, builder: DesignBuilder, as_of: date) -> Design:
        """The design row (:meth:`DesignBuilder.transform_record`)."""
        return builder.transform_record(self.record, as_of)

    def remaining_life(self, as_of: date) -> FloatArray:
        """Years of term left at ``as_of``, from the record's expiry."""
        return np.array(_record_features(self.record, "remaining_life", as_of))

    def years_since(self, column: str, as_of: date) -> FloatArray:
        """Years from the date ``column`` to ``as_of``, never negative; 0 where none."""
        start = self.record.get(column)
        if start is None:
            return np.array([0.0])
        if not isinstance(start, date):
            raise FeatureError(f"a record gives its {column!r} as a date, not {start!r}")
        return np.array([max((as_of - start).days / DAYS_PER_YEAR, 0.0)])


Rows = FrameRows | RecordRows


class FittedModel(ABC):
    """What both market models share: the value frame, the summary, JSON persistence.

    Subclasses set ``kind``, ``point``, ``summary_`` and ``fit_`` and implement
    :meth:`predict` (columns ``patent_id, median, mean, p10, p90`` in CNY) and :meth:`to_dict`.
    """

    kind: ClassVar[str]
    point: Point
    summary_: ModelSummary
    fit_: dict[str, Any]

    @abstractmethod
    def _statistics(self, rows: Rows, as_of: date) -> dict[str, FloatArray]:
        """The columns of :meth:`predict` but ``patent_id``, for ``rows`` at ``as_of``."""

    def predict(self, frame: pl.DataFrame, as_of: date | None = None) -> pl.DataFrame:
        """``patent_id``, the model's own columns, ``log_value, median, mean, p10, p90`` (CNY)
        of each patent's value at ``as_of`` (today, UTC, when omitted)."""
        statistics = self._statistics(FrameRows(frame), base_date(as_of))
        return pl.DataFrame({"patent_id": patent_ids(frame), **statistics})

    @abstractmethod
    def to_dict(self) -> dict[str, Any]: ...

    def value(self, frame: pl.DataFrame, as_of: date | None = None) -> pl.DataFrame:
        """``patent_id, market_value, market_p10, market_p90`` in CNY (floats) at ``as_of``.

        ``market_value`` is the predictive median (or mean, by ``point``); ``as_of`` is the base
        date, today (UTC) when omitted.
        """
        if self.point not in POINTS:
            raise FeatureError(f"point must be one of {POINTS}, not {self.point!r}")
        return self.predict(frame, as_of).select(
            pl.col("patent_id"),
            pl.col(self.point).alias("market_value"),
            pl.col("p10").alias("market_p10"),
            pl.col("p90").alias("market_p90"),
        )

    def value_record(self, record: Mapping[str, Any], as_of: date) -> tuple[float, float, float]:
        """``market_value, market_p10, market_p90`` of one patent's record at ``as_of``
        (:class:`RecordRows`): what :meth:`value` gives its one-row frame."""
        if self.point not in POINTS:
            raise FeatureError(f"point must be one of {POINTS}, not {self.point!r}")
        statistics = self._statistics(RecordRows(record), as_of)
        value, p10, p90 = (float(statistics[c][0]) for c in (self.point, "p10", "p90"))
        return value, p10, p90

    @property
    def label(self) -> str:
        """A one-line description: the kind of model and what it was fitted on."""
        fitted = str(self.fit_.get("fitted_at", ""))[:10]
        return f"{self.kind} model fitted on {self.fit_.get('n')} patents ({fitted})"

    def summary(self) -> ModelSummary:
        """The statsmodels summary of the fit, as text and HTML."""
        return self.summary_

    @property
    def identifier(self) -> str:
        """``<kind>-<12 hex digits>``: the SHA-256 of the model's JSON, so that two models with
        the same identifier predict alike (computed once per fit)."""
        key = str(self.fit_.get("fitted_at", ""))
        cached: tuple[str, str] | None = getattr(self, "_identifier", None)
        if cached is None or cached[0] != key:
            payload = json.dumps(self.to_dict(), sort_keys=True, default=str).encode("utf-8")
            digest = hashlib.sha256(payload).hexdigest()[:IDENTIFIER_DIGITS]
            cached = (key, f"{self.kind}-{digest}")
            self._identifier = cached
        return cached[1]

    def parameters(self) -> tuple[tuple[str, float], ...]:
        """The fitted parameters by name (coefficients and the like), as a report lists them."""
        return ()

    def constants(self) -> tuple[tuple[str, float, str, str], ...]:
        """The constants the model predicts with: ``(name, value, unit, source_id)``."""
        return ()

    def envelope(self) -> dict[str, Any]:
        """The JSON fields every saved model starts with."""
        return {"format": MODEL_FORMAT, "format_version": 1, "kind": self.kind, "point": self.point}

    def save(self, path: Path) -> None:
        """Write the model as JSON (never pickle): parameters, covariance, provenance, summary."""
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")


def fit_metadata(n: int, description: str, **statistics: float | int | str) -> dict[str, Any]:
    """Provenance of a fit: rows, data description, statistics, time (UTC) and versions."""
    return {
        "n": n,
        "data": description,
        **statistics,
        "fitted_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "engine_version": ENGINE_VERSION,
        "statsmodels_version": version("statsmodels"),
    }

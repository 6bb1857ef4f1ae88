"""Batch frames: reading the column schema (``valuation.schema``) into typed, checked columns.

:func:`normalise` turns a frame of text cells (as read from CSV, or typed as read from Parquet) into
the schema's types, derives what the schema lets a row leave out (the patent type from a Chinese
number, the jurisdiction, the legal status), and writes every problem of a row into its ``error``
column — the field and the reason — so that one bad row never costs the batch. Everything is a
polars expression: no per-row Python.

The date arithmetic follows ``models.patent`` (:mod:`valuation.calendar`): anniversaries fall back
from 29 February to 28 February, and remaining terms count whole anniversaries plus the last
part-year by days.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Final

import polars as pl

from models import rules
from models.enums import LegalStatus, PatentType
from models.money import AMOUNT_LIMIT
from models.patent_number import TYPE_DIGITS
from valuation.bounds import BOUNDED, bound
from valuation.calendar import add_years as add_years  # re-exported: pledge.eligibility_batch
from valuation.calendar import years_between as years_between
from valuation.schema import BY_NAME, COLUMNS

IN_MEMORY: Final = "in-memory"
"""The polars engine for batch queries over frames already in memory. The default streaming
engine spends more CPU on them and leaves every column in many chunks, which slows the numpy
steps that read them afterwards."""
HOME_JURISDICTION = "CN"
_NUMERIC = (pl.Int64, pl.Float64)
_CN_NUMBER = r"^(?:ZL|CN)?([0-9]{12}|[0-9]{8})\.?([0-9X])$"  # ASCII digits only
_WEIGHTS_12 = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_WEIGHTS_8 = (2, 3, 4, 5, 6, 7, 8, 9)
_RADIX, _MODULUS = 10, 11
_TYPES = tuple(t.value for t in PatentType)
_BOOLEAN_WORDS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
_STATUSES = tuple(s.value for s in LegalStatus)

MONEY_LIMIT: Final = float(AMOUNT_LIMIT)
"""Money columns (yuan) must be below :data:`models.money.AMOUNT_LIMIT`, the service's limit on
an amount of money, which also keeps every value computed from them inside the output's decimal
columns (as a float: the batch checks read the columns as Float64)."""

# Bounds each numeric column must respect: (lowest, highest, inclusive low, inclusive high).
_BOUNDS: dict[str, tuple[float | None, float | None, bool, bool]] = {
    "claims": (0, None, True, True),
    "independent_claims": (0, None, True, True),
    "forward_citations": (0, None, True, True),
    "backward_citations": (0, None, True, True),
    "npl_citations": (0, None, True, True),
    "family_size": (1, None, True, True),
    "inventors": (0, None, True, True),
    "revenue": (0, MONEY_LIMIT, True, False),
    "operating_margin": (0, 1, True, True),
    "royalty_rate": (0, 1, True, True),
    "royalty_decay": (0, 1, True, True),
    "tax_rate": (0, 1, True, True),
    "rd_cost": (0, MONEY_LIMIT, True, False),
    "price": (0, MONEY_LIMIT, False, False),
    "renewals_paid": (0, None, True, True),
    "term_adjustment_days": (0, None, True, True),
    "invalidations_survived": (0, None, True, True),
    "licences": (0, None, True, True),
}


def _bounds() -> dict[str, tuple[float | None, float | None, bool, bool]]:
    """:data:`_BOUNDS` and the engine's bounds of the income inputs (:mod:`valuation.bounds`)."""
    engine = {
        name: (float(b.low), float(b.high), b.low_included, True)
        for name in BOUNDED
        for b in (bound(name),)
    }
    return {**_BOUNDS, **engine}


def _join(errors: Sequence[pl.Expr]) -> pl.Expr:
    """The non-null messages joined with '; ', or null when there is none."""
    joined = pl.concat_str(errors, separator="; ", ignore_nulls=True)
    return _empty_as_null(joined)


def _empty_as_null(text: pl.Expr) -> pl.Expr:
    # A replacement reads the text once (a when/then reads it twice).
    return text.replace("", None)


def _text(name: str) -> pl.Expr:
    return _empty_as_null(pl.col(name).cast(pl.String).str.strip_chars())


def _parse(name: str, schema: pl.Schema) -> pl.Expr:
    """The column as its schema type; a cell that does not parse becomes null.

    A typed column given as text is parsed from its trimmed text, :func:`_raw` (see
    :func:`normalise`).
    """
    column = BY_NAME[name]
    if name not in schema:
        return pl.lit(None, dtype=_kernel_dtype(column.dtype)).alias(name)
    if column.dtype == pl.String:
        return _text(name).alias(name)
    given_as_text = schema[name] == pl.String
    text = pl.col(_raw(name)) if given_as_text else _text(name)
    if column.dtype == pl.Date:
        if schema[name] == pl.Date:
            return pl.col(name)
        return text.str.to_date("%Y-%m-%d", strict=False).alias(name)
    if column.dtype == pl.Boolean:
        if schema[name] == pl.Boolean:
            return pl.col(name)
        return (
            text.str.to_lowercase()
            .replace_strict(_BOOLEAN_WORDS, default=None, return_dtype=pl.Boolean)
            .alias(name)
        )
    dtype = _kernel_dtype(column.dtype)
    number = pl.col(name).cast(pl.Float64, strict=False)
    if given_as_text:
        number = text.str.replace_all(",", "").cast(pl.Float64, strict=False)
    if dtype == pl.Int64:  # a count: 3.7 is refused, not truncated
        return _whole(number).alias(name)
    return number.cast(dtype, strict=False).alias(name)


def _whole(number: pl.Expr) -> pl.Expr:
    """``number`` as Int64 where it is a whole number, else null (read once, in a struct)."""
    f = pl.field
    whole = pl.when(f("_number") == f("_number").floor()).then(f("_number").cast(pl.Int64))
    return pl.struct(_number=number).struct.with_fields(_whole=whole).struct.field("_whole")


def _kernel_dtype(dtype: pl.DataType | type[pl.DataType]) -> pl.DataType | type[pl.DataType]:
    # Money and rates are read into float64 for the kernels (converted back once, at the end).
    return pl.Float64 if isinstance(dtype, pl.Decimal) else dtype


Check = tuple[pl.Expr, pl.Expr]
"""A row check: the condition that flags a row, and the message (field: reason) it then gets."""


def _raw(name: str) -> str:
    return f"_raw_{name}"


def _unparsed(name: str, schema: pl.Schema) -> list[Check]:
    """A cell given as text that did not parse as its column's type."""
    if name not in schema or BY_NAME[name].dtype == pl.String or schema[name] != pl.String:
        return []
    dtype = BY_NAME[name].dtype
    what = "a number"
    if dtype == pl.Date:
        what = "a date (YYYY-MM-DD)"
    elif dtype == pl.Int64:
        what = "a whole number"
    elif dtype == pl.Boolean:
        what = "true or false"
    flag = pl.col(_raw(name)).is_not_null() & pl.col(name).is_null()
    return [(flag, pl.format(f"{name}: '{{}}' is not {what}", _raw(name)))]


def _out_of_bounds(
    name: str, limits: tuple[float | None, float | None, bool, bool], as_written: bool
) -> list[Check]:
    """Checks of column ``name`` against its ``limits``; the message shows the cell as it was
    written when it was given as text (``as_written``), else the value read."""
    low, high, low_included, high_included = limits
    value = pl.col(name)
    shown = pl.col(_raw(name)) if as_written else value
    checks = []
    if low is not None:
        relation = "below" if low_included else "at or below"
        flag = value < low if low_included else value <= low
        checks.append((flag, pl.format(f"{name}: {{}} is {relation} {_figure(low)}", shown)))
    if high is not None:
        relation = "above" if high_included else "at or above"
        flag = value > high if high_included else value >= high
        checks.append((flag, pl.format(f"{name}: {{}} is {relation} {_figure(high)}", shown)))
    return checks


def _figure(bound: float) -> str:
    """A bound as people write it: 0, -0.9, 1000000000000000."""
    return str(int(bound)) if bound == int(bound) else str(bound)


def _check_character(digits: pl.Expr) -> pl.Expr:
    r"""The check character of 12- or 8-digit numbers, by integer arithmetic on the digits.

    With :math:`q_0` the number and :math:`q_{k+1} = \lfloor q_k / 10 \rfloor`, the k-th digit
    from the right is :math:`q_k - 10\,q_{k+1}`; the weighted digit sum modulo 11 is the check
    (10 is written X).
    """
    f = pl.field
    staged = pl.struct(_q0=digits.cast(pl.Int64), _length=digits.str.len_bytes())
    for k in range(len(_WEIGHTS_12)):
        staged = staged.struct.with_fields(**{f"_q{k + 1}": f(f"_q{k}") // _RADIX})
    digit = [f(f"_q{k}") - _RADIX * f(f"_q{k + 1}") for k in range(len(_WEIGHTS_12))]
    long = sum(digit[len(_WEIGHTS_12) - 1 - i] * w for i, w in enumerate(_WEIGHTS_12))
    short = sum(digit[len(_WEIGHTS_8) - 1 - i] * w for i, w in enumerate(_WEIGHTS_8))
    remainder = pl.when(f("_length") == len(_WEIGHTS_12)).then(long).otherwise(short) % _MODULUS
    check = pl.when(remainder == _MODULUS - 1).then(pl.lit("X"))
    return staged.struct.with_fields(
        _check=check.otherwise(remainder.cast(pl.String))
    ).struct.field("_check")


def _number_parts(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Adds ``_digits``, ``_check``, ``_expected`` and ``_number_type`` for CN numbers.

    A number that matches :data:`_CN_NUMBER` is cut into the parts its groups capture by
    position (a prefix ZL or CN, the digits, an optional dot, the check character), which spares
    the slower capturing match.
    """
    cleaned = (
        pl.col("patent_id")
        .str.replace_all(r"[\s\-_]", "")
        .str.to_uppercase()
        .str.strip_prefix("ZL")
    )
    text = pl.col("_cleaned")
    prefixed = text.str.starts_with("ZL") | text.str.starts_with("CN")
    staged = frame.with_columns(_cleaned=cleaned).with_columns(
        _matches=text.str.contains(_CN_NUMBER),
        _body=pl.when(prefixed).then(text.str.slice(len("ZL"))).otherwise(text),
    )
    matched, body = pl.when(pl.col("_matches")), pl.col("_body")
    staged = staged.with_columns(
        matched.then(body.str.head(-1).str.strip_suffix(".")).alias("_digits"),
        matched.then(body.str.tail(1)).alias("_check"),
    ).drop("_cleaned", "_matches", "_body")
    digit_types = {str(d): kind.value for d, (kind, _pct) in TYPE_DIGITS.items()}
    type_digit = (
        pl.when(pl.col("_digits").str.len_bytes() == 12)
        .then(pl.col("_digits").str.slice(4, 1))
        .otherwise(pl.col("_digits").str.slice(2, 1))
    )
    return staged.with_columns(
        _check_character(pl.col("_digits")).alias("_expected"),
        type_digit.replace_strict(digit_types, default=None, return_dtype=pl.String).alias(
            "_number_type"
        ),
    )


def _number_checks(is_cn: pl.Expr) -> list[Check]:
    patent_id = pl.col("patent_id")
    return [
        (
            is_cn & pl.col("_digits").is_null(),
            pl.format("patent_id: '{}' is not a Chinese patent number", patent_id),
        ),
        (
            is_cn & (pl.col("_check") != pl.col("_expected")),
            pl.format(
                "patent_id: '{}' has check character '{}', expected '{}'",
                patent_id,
                "_check",
                "_expected",
            ),
        ),
        (
            is_cn & pl.col("_digits").is_not_null() & pl.col("_number_type").is_null(),
            pl.format("patent_id: '{}' has an unknown type digit", patent_id),
        ),
    ]


def expiry_date() -> pl.Expr:
    """Vectorised ``Patent.expiry_date``: the given expiry, else filing date + statutory term
    (+ term adjustment); null where no rule applies."""
    # The first rule that applies gives the term; the jurisdiction's own rules come first.
    terms: list[pl.Expr] = []
    for rule in sorted(rules.term_rules(), key=lambda r: r.jurisdiction == "*"):
        applies = pl.col("patent_type") == rule.patent_type.value
        if rule.jurisdiction != "*":
            applies &= pl.col("jurisdiction") == rule.jurisdiction
        if rule.filed_from is not None:
            applies &= pl.col("filing_date") >= rule.filed_from
        if rule.filed_before is not None:
            applies &= pl.col("filing_date") < rule.filed_before
        terms.append(pl.when(applies).then(pl.lit(rule.term_years, dtype=pl.Int64)))
    term = pl.coalesce(terms) if terms else pl.lit(None, dtype=pl.Int64)
    statutory = add_years(pl.col("filing_date"), term) + pl.duration(
        days=pl.col("term_adjustment_days").fill_null(0)
    )
    return pl.coalesce(pl.col("expiry_date"), statutory)


def remaining_term(at: date) -> pl.Expr:
    """Years of legal term left at ``at``, 0 at or after expiry, to four decimals.

    As ``Patent.remaining_term``.
    """
    years = years_between(pl.lit(at), pl.col("expiry_date")).clip(lower_bound=0.0)
    return years.round(4)


def filed_by(at: date) -> pl.Expr:
    """The ``error`` column of a normalised frame with, on each row filed after ``at``, why it
    cannot be valued at ``at`` (as :class:`valuation.engine.BeforeFilingError` says)."""
    late = pl.when(pl.col("filing_date") > pl.lit(at)).then(
        pl.format(f"filing_date: {{}} is after {at}, the date of the valuation", "filing_date")
    )
    return _join([pl.col("error"), late]).alias("error")


def normalised(frame: pl.DataFrame | pl.LazyFrame, at: date | None = None) -> pl.LazyFrame:
    """``frame`` as :func:`normalise` returns it: as it is if it already came from there (with
    ``remaining_term`` at ``at`` recomputed when ``at`` is given), else normalised now."""
    lazy = frame.lazy()
    schema = lazy.collect_schema()
    if "error" in schema and schema.get("expiry_date") == pl.Date:
        return lazy if at is None else lazy.with_columns(remaining_term(at).alias("remaining_term"))
    return normalise(lazy, at)


def normalise(frame: pl.DataFrame | pl.LazyFrame, at: date | None = None) -> pl.LazyFrame:
    """Typed, derived and checked batch columns plus ``error`` (null on a good row).

    Derives ``patent_type`` from Chinese numbers, ``jurisdiction`` (CN when empty),
    ``legal_status`` (in_force when empty) and ``expiry_date``; with ``at``, also
    ``remaining_term`` (years at ``at``). Columns outside the schema are kept as they are.
    """
    lazy = frame.lazy()
    schema = lazy.collect_schema()
    if "patent_id" not in schema or "filing_date" not in schema:
        missing = [c for c in ("patent_id", "filing_date") if c not in schema]
        raise ValueError(f"input lacks the required column(s) {', '.join(missing)}")
    given = [pl.col(c) for c in schema if c not in BY_NAME]
    raws = [
        _text(c.name).alias(_raw(c.name))
        for c in COLUMNS
        if c.name in schema and schema[c.name] == pl.String and c.dtype != pl.String
    ]
    # The text of typed columns given as text is trimmed once; they are parsed from it.
    raw_columns = [pl.col(raw.meta.output_name()) for raw in raws]
    typed = lazy.with_columns(*raws).select(
        *given, *(_parse(c.name, schema) for c in COLUMNS), *raw_columns
    )
    jurisdiction = pl.col("jurisdiction").str.to_uppercase().fill_null(HOME_JURISDICTION)
    is_cn = pl.col("jurisdiction") == HOME_JURISDICTION
    typed = _number_parts(typed.with_columns(jurisdiction.alias("jurisdiction")))
    given_type = pl.col("patent_type").str.to_lowercase()
    number_type = pl.when(is_cn).then(pl.col("_number_type"))
    typed = typed.with_columns(
        given_type.alias("_given_type"),
        number_type.alias("_number_type"),
        pl.col("legal_status").str.to_lowercase().fill_null(LegalStatus.IN_FORCE.value),
        pl.coalesce(given_type, number_type).alias("patent_type"),
    ).with_columns(expiry_date().alias("expiry_date"))
    raw_names = [raw.meta.output_name() for raw in raws]
    filing_missing = pl.col("filing_date").is_null()
    if _raw("filing_date") in raw_names:  # an unreadable date is reported as such
        filing_missing &= pl.col(_raw("filing_date")).is_null()
    checks: list[Check] = [
        *(check for c in COLUMNS for check in _unparsed(c.name, schema)),
        (pl.col("patent_id").is_null(), pl.lit("patent_id: required")),
        *_number_checks(is_cn),
        (
            pl.col("_given_type").is_not_null() & ~pl.col("_given_type").is_in(_TYPES),
            pl.format("patent_type: '{}' is not one of " + ", ".join(_TYPES), "_given_type"),
        ),
        (
            pl.col("patent_type").is_null(),
            pl.lit("patent_type: required when the number does not encode it"),
        ),
        (
            pl.col("_number_type").is_not_null()
            & pl.col("_given_type").is_in(_TYPES)
            & (pl.col("_given_type") != pl.col("_number_type")),
            pl.format("patent_type: '{}' contradicts the number's type digit", "_given_type"),
        ),
        (filing_missing, pl.lit("filing_date: required")),
        (
            pl.col("grant_date") < pl.col("filing_date"),
            pl.format("grant_date: {} is before filing date {}", "grant_date", "filing_date"),
        ),
        (
            ~pl.col("legal_status").is_in(_STATUSES),
            pl.format("legal_status: '{}' is not one of " + ", ".join(_STATUSES), "legal_status"),
        ),
        (
            pl.col("independent_claims") > pl.col("claims"),
            pl.lit("independent_claims: more than claims"),
        ),
        *(
            check
            for name, limits in _bounds().items()
            for check in _out_of_bounds(name, limits, _raw(name) in raw_names)
        ),
        (
            pl.col("expiry_date").is_null() & pl.col("patent_type").is_in(_TYPES),
            pl.lit("expiry_date: no statutory term applies to this jurisdiction and type"),
        ),
    ]
    typed = typed.with_row_index("_idx").with_columns(
        pl.any_horizontal(flag.fill_null(False) for flag, _ in checks).alias("_bad")
    )
    # Messages are formatted for the flagged rows only.
    messages = typed.filter("_bad").select(
        "_idx", _join([pl.when(flag).then(message) for flag, message in checks]).alias("error")
    )
    checked = typed.join(messages, on="_idx", how="left", maintain_order="left")
    valid_cn = (
        is_cn & (pl.col("_check") == pl.col("_expected")) & pl.col("_number_type").is_not_null()
    )
    checked = checked.with_columns(
        pl.when(valid_cn)
        .then(pl.concat_str([pl.lit("ZL"), "_digits", pl.lit("."), "_check"]))
        .otherwise(pl.col("patent_id").str.replace_all(r"\s", "").str.to_uppercase())
        .alias("patent_id")
    )
    if at is not None:
        checked = checked.with_columns(remaining_term(at).alias("remaining_term"))
    return checked.drop(
        "_idx",
        "_bad",
        *raw_names,
        "_given_type",
        "_number_type",
        "_digits",
        "_check",
        "_expected",
    )

"""The pledge pre-check over a batch frame: findings per patent for large lists, vectorised.

The frame holds one patent per row in the valuation batch schema (``valuation/schema.py``; read
and checked by :func:`valuation.frame.normalise`, which also derives the expiry date from the
statutory term, ``term_adjustment_days`` and a given ``expiry_date``) plus the columns of
:data:`EXTRA_COLUMNS`, every one optional:

======================== ============ ==========================================================
column                   type         meaning
======================== ============ ==========================================================
``owners``               text         registered patentees, separated by ``;``
``pledgor``              text         who pledges the patent; empty: the loan's pledgor
``consenting_owners``    text         co-owners who consent to the pledge, separated by ``;``
``fees_paid_through_year`` integer    last patent year whose annual fee is paid; empty: unchecked
``fee_reduction``        text         ``single`` or ``joint`` (费减); empty: none
``ownership_dispute``    boolean      an ownership dispute is open (default false)
``preservation_until``   date         last day of a court preservation order
``invalidation_pending`` boolean      an invalidation request is pending (default false)
``dual_filing``          boolean      a same-day twin filing is known outside the frame
``valuation_base_date``  date         base date of the patent's valuation; empty: none
``appraised_value``      CNY          appraised value, given together with the base date
======================== ============ ==========================================================

Booleans may be written ``true/false``, ``1/0``, ``yes/no`` or ``是/否``. The rules and messages are
those of :func:`pledge.eligibility.check_portfolio` (a test holds the two together); a row whose
input does not parse gets one ``INPUT_INVALID`` finding with the reasons. Each rule is a polars
expression; the rows it flags are stacked into one frame of findings: ``row`` (the input row),
``patent_id``, ``code``, ``severity``, ``field``, ``message_zh``, ``message_en``, sorted by row and
catalogue order.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache

import polars as pl

from models import rules
from models.enums import FeeReduction, PatentType
from models.money import DEFAULT_CURRENCY, Money
from models.patent import annual_fee, late_surcharge
from pledge.eligibility import (
    ENDED_STATUS,
    NOT_GRANTED_STATUS,
    POLICY_CODES,
    loan_findings,
    whose_policy,
)
from pledge.findings import (
    SEPARATOR,
    Code,
    Finding,
    Severity,
    catalogue,
    money_text,
    order,
    text,
)
from pledge.policy import LtvCheck, PolicyBook, ltv_by_type, policy_book
from pledge.proposal import ProposedLoan, normalise_number
from valuation.frame import IN_MEMORY, add_years, normalised, years_between
from valuation.schema import Column

EXTRA_COLUMNS: tuple[Column, ...] = (
    Column("owners", pl.String, "", False, "registered patentees separated by ';'"),
    Column("pledgor", pl.String, "", False, "who pledges the patent; empty: the loan's pledgor"),
    Column("consenting_owners", pl.String, "", False, "consenting co-owners separated by ';'"),
    Column("fees_paid_through_year", pl.Int64, "year", False, "last patent year paid"),
    Column("fee_reduction", pl.String, "", False, "single or joint; empty: none"),
    Column("ownership_dispute", pl.Boolean, "", False, "an ownership dispute is open"),
    Column("preservation_until", pl.Date, "date", False, "last day of a preservation order"),
    Column("invalidation_pending", pl.Boolean, "", False, "an invalidation request is pending"),
    Column("dual_filing", pl.Boolean, "", False, "a same-day twin filing is known"),
    Column("valuation_base_date", pl.Date, "date", False, "base date of the valuation"),
    Column("appraised_value", pl.Decimal(20, 2), "CNY", False, "appraised value"),
)
FINDING_SCHEMA = pl.Schema(
    {
        "row": pl.UInt32,
        "patent_id": pl.String,
        "code": pl.String,
        "severity": pl.String,
        "field": pl.String,
        "message_zh": pl.String,
        "message_en": pl.String,
    }
)
_TRUE, _FALSE = ("true", "1", "yes", "y", "是"), ("false", "0", "no", "n", "否")
_NO_REDUCTION = ""


@dataclass(frozen=True, slots=True)
class BatchEligibility:
    """Findings per patent, findings on the loan as a whole, and the LTV test when possible."""

    findings: pl.DataFrame
    loan_findings: tuple[Finding, ...]
    ltv: LtvCheck | None


def _parse(column: Column, schema: pl.Schema) -> tuple[pl.Expr, pl.Expr]:
    """The typed column, and the message for a cell that did not parse (null when fine)."""
    name = column.name
    if name not in schema:
        return pl.lit(None, dtype=column.dtype).alias(name), pl.lit(None, dtype=pl.String)
    raw = pl.col(name).cast(pl.String).str.strip_chars()
    given = raw.str.len_chars() > 0
    typed: pl.Expr
    if column.dtype == pl.Boolean and schema[name] != pl.Boolean:
        low = raw.str.to_lowercase()
        typed = pl.when(low.is_in(_TRUE)).then(True).when(low.is_in(_FALSE)).then(False)
        what = "true or false"
    elif column.dtype == pl.Date and schema[name] == pl.String:
        typed, what = raw.str.to_date("%Y-%m-%d", strict=False), "a date (YYYY-MM-DD)"
    elif schema[name] == pl.String and column.dtype != pl.String:
        typed = raw.str.replace_all(",", "").cast(column.dtype, strict=False)
        what = "a number"
    elif column.dtype == pl.String:
        return pl.when(given).then(raw).alias(name), pl.lit(None, dtype=pl.String)
    else:
        return pl.col(name).cast(column.dtype).alias(name), pl.lit(None, dtype=pl.String)
    error = pl.when(given & typed.is_null()).then(pl.format(f"{name}: '{{}}' is not {what}", raw))
    return typed.alias(name), error


@cache
def _fee_table() -> pl.DataFrame:
    """Annual fee and surcharge text for every type, year, reduction and grace month."""
    rows = []
    reductions: list[FeeReduction | None] = [None, *FeeReduction]
    for rule in rules.fee_rules():
        for year in range(rule.year_from, rule.year_to + 1):
            for reduction in reductions:
                fee = annual_fee(rule.patent_type, year, reduction)
                for month in range(1, rules.grace_months() + 1):
                    rows.append(
                        {
                            "patent_type": rule.patent_type.value,
                            "_year": year,
                            "_reduction": _NO_REDUCTION if reduction is None else reduction.value,
                            "_month": month,
                            **{
                                f"_{name}_{language}": money_text(amount, language)
                                for name, amount in (
                                    ("fee", fee),
                                    ("surcharge", late_surcharge(fee, month)),
                                )
                                for language in ("zh", "en")
                            },
                        }
                    )
    return pl.DataFrame(rows, schema_overrides={"_year": pl.Int64, "_month": pl.Int64})


def _names(name: str) -> pl.Expr:
    parts = pl.col(name).str.split(";").list.eval(pl.element().str.strip_chars())
    parts = parts.list.eval(pl.element().filter(pl.element().str.len_chars() > 0))
    return parts.list.unique(maintain_order=True).fill_null(pl.lit([], dtype=pl.List(pl.String)))


def _owner_key(owners: pl.Expr) -> pl.Expr:
    """The owners as one text, the same in any order (sorting only the lists that need it)."""
    single = owners.list.len() <= 1
    return (
        pl.when(single).then(owners.list.first()).otherwise(owners.list.sort().list.join("\u001f"))
    )


def _months_elapsed(start: pl.Expr, end: date) -> pl.Expr:
    """Vectorised :func:`pledge.policy.months_elapsed` from dates ``start`` to ``end``."""
    months = (end.year - start.dt.year().cast(pl.Int64)) * 12 + end.month - start.dt.month()
    later = start.dt.offset_by(pl.format("{}mo", months)) > pl.lit(end)
    return months - later.cast(pl.Int64)


def _stage(frame: pl.DataFrame | pl.LazyFrame, at: date) -> pl.DataFrame:
    """The normalised frame with the typed extra columns and every derived column the rules use."""
    lazy = normalised(frame, at)
    schema = lazy.collect_schema()
    parsed = [_parse(column, schema) for column in EXTRA_COLUMNS]
    reduction = pl.col("fee_reduction").str.to_lowercase()
    has_value = pl.col("appraised_value").is_not_null()
    checks = [
        pl.col("_parse_error"),
        pl.when(~reduction.is_in([r.value for r in FeeReduction])).then(
            pl.format("fee_reduction: '{}' is not single or joint", "fee_reduction")
        ),
        pl.when(has_value != pl.col("valuation_base_date").is_not_null()).then(
            pl.lit("valuation_base_date: give it together with appraised_value")
        ),
        pl.when(pl.col("appraised_value") < 0).then(pl.lit("appraised_value: negative")),
        pl.when(pl.col("grant_date").is_null() & (pl.col("legal_status") == "in_force")).then(
            pl.lit("grant_date: required when legal_status is in_force")
        ),
    ]
    unparsed = pl.concat_str([e for _, e in parsed], separator="; ", ignore_nulls=True)
    lazy = lazy.with_columns(*(typed for typed, _ in parsed), unparsed.alias("_parse_error"))
    errors = pl.concat_str([pl.col("error"), *checks], separator="; ", ignore_nulls=True)
    owners = _names("owners")
    lazy = lazy.with_row_index("_row").with_columns(
        pl.when(errors.str.len_chars() > 0).then(errors).alias("error"),
        owners.alias("_owners"),
        _names("consenting_owners").alias("_consenting"),
        reduction.fill_null(_NO_REDUCTION).alias("_reduction"),
        (pl.col("fees_paid_through_year") + 1).alias("_year"),
        years_between(pl.col("filing_date"), pl.lit(at)).floor().cast(pl.Int64).alias("_age"),
        _owner_key(owners).alias("_owner_key"),
    )
    due = add_years(pl.col("filing_date"), pl.col("_year") - 1)
    grace = rules.grace_months()
    lazy = lazy.with_columns(
        due.alias("_due"),
        (due.dt.offset_by(f"{grace}mo") - pl.duration(days=1)).alias("_window_end"),
        (_months_elapsed(due, at) + 1).alias("_month"),
    )
    staged = lazy.collect(engine=IN_MEMORY)
    # The fee lookup joins the key columns alone: a join copies every column it carries.
    keys = ["patent_type", "_year", "_reduction", "_month"]
    fees = staged.select(keys).join(_fee_table(), on=keys, how="left", maintain_order="left")
    return staged.with_columns(
        *(fees[f"_{name}_{language}"] for name in ("fee", "surcharge") for language in ("zh", "en"))
    )


Param = pl.Expr | Mapping[str, pl.Expr]
"""A message parameter: one expression, or one per language (a list of names, a policy's name)."""
Rule = tuple[pl.Expr, Code, str, Mapping[str, Param]]


def _rules(loan: ProposedLoan, at: date, book: PolicyBook, live: Iterable[str]) -> list[Rule]:
    """Every per-patent rule as (condition, code, variant, message parameters)."""
    col, lit = pl.col, pl.lit
    valid = col("error").is_null()
    pledgor = col("pledgor").fill_null(lit(loan.pledgor.strip()))
    status = col("legal_status")
    not_granted = status.replace_strict(
        {k.value: v for k, v in NOT_GRANTED_STATUS.items()}, default=None, return_dtype=pl.String
    )
    ended = status.replace_strict(
        {k.value: v for k, v in ENDED_STATUS.items()}, default=None, return_dtype=pl.String
    )
    in_force = not_granted.is_null() & ended.is_null()
    granted_later = in_force & (col("grant_date") > lit(at))
    term_ended = in_force & ~granted_later & (lit(at) >= col("expiry_date"))
    alive = in_force & ~granted_later & ~term_ended
    owing = (
        alive
        & (col("jurisdiction") == "CN")
        & (col("fees_paid_through_year") <= col("_age"))  # paid < patent year = age + 1
    )
    unpaid = owing & (lit(at) > col("_window_end"))
    others = pl.concat_list([col("_consenting"), pledgor])
    missing = col("_owners").list.set_difference(others).list.sort()
    kinds = list(PatentType)
    policies = {k.value: book.for_type(loan.lender, k) for k in kinds}
    max_term = col("patent_type").replace_strict(
        {k: p.max_term for k, p in policies.items()}, default=None, return_dtype=pl.Int64
    )
    validity = col("patent_type").replace_strict(
        {k: p.validity for k, p in policies.items()}, default=None, return_dtype=pl.Int64
    )
    valid_until = col("valuation_base_date").dt.offset_by(pl.format("{}mo", validity))

    def whose(owners: Mapping[str, str]) -> dict[str, pl.Expr]:  # the policy's name, by type
        named = {k: whose_policy(owner, loan) for k, owner in owners.items()}
        return {
            language: col("patent_type").replace_strict(
                {k: text(name, language) for k, name in named.items()},
                default=None,
                return_dtype=pl.String,
            )
            for language in SEPARATOR
        }

    def names(listed: pl.Expr) -> dict[str, pl.Expr]:  # a list of names, joined per language
        return {language: listed.list.join(joint) for language, joint in SEPARATOR.items()}

    term_policy = whose({k: p.max_term_months.lender for k, p in policies.items()})
    validity_policy = whose({k: p.valuation_validity_months.lender for k, p in policies.items()})
    has_owners = col("_owners").list.len() > 0
    group = ["filing_date", "_owner_key"]
    counted = valid & has_owners
    both_filed = (
        (counted & (col("patent_type") == PatentType.INVENTION.value)).any()
        & (counted & (col("patent_type") == PatentType.UTILITY_MODEL.value)).any()
    ).over(group)  # one window for both tests
    twin = (
        has_owners
        & col("patent_type").is_in([PatentType.INVENTION.value, PatentType.UTILITY_MODEL.value])
        & both_filed
    )
    contract = loan.contract
    listed = (
        lit(True)
        if contract is None or not contract.patents
        else col("patent_id").is_in(list(contract.patents))
    )
    ack = loan.acknowledged
    expiry, year = col("expiry_date"), col("_year")
    window = {"year": year, "due": col("_due"), "window_end": col("_window_end")}
    result: list[Rule] = [
        (~has_owners, Code.PLEDGOR_NOT_REGISTERED_OWNER, "no_owners", {"pledgor": pledgor}),
        (
            has_owners & ~col("_owners").list.contains(pledgor),
            Code.PLEDGOR_NOT_REGISTERED_OWNER,
            "",
            {"pledgor": pledgor, "owners": names(col("_owners"))},
        ),
        (
            # only co-owned patents need the set difference
            pl.when(col("_owners").list.len() > 1).then(missing.list.len() > 0).otherwise(False),
            Code.COOWNER_CONSENT_MISSING,
            "",
            {"coowners": names(missing)},
        ),
        *((not_granted == v, Code.NOT_GRANTED, v, {}) for v in NOT_GRANTED_STATUS.values()),
        (
            granted_later,
            Code.NOT_GRANTED,
            "granted_later",
            {"grant_date": col("grant_date"), "as_of": lit(at)},
        ),
        *((ended == v, Code.PATENT_NOT_IN_FORCE, v, {}) for v in ENDED_STATUS.values()),
        (term_ended, Code.PATENT_NOT_IN_FORCE, "term_ended", {"expiry": expiry}),
        (
            alive & (lit(loan.end(at)) > expiry),
            Code.TERM_EXCEEDS_PATENT_LIFE,
            "",
            {"loan_end": lit(loan.end(at)), "expiry": expiry},
        ),
        (unpaid, Code.FEE_UNPAID, "", window),
        (
            owing & ~unpaid & col("_fee_en").is_not_null(),
            Code.FEE_IN_GRACE,
            "",
            {
                **window,
                "fee": {language: col(f"_fee_{language}") for language in ("zh", "en")},
                "month": col("_month"),
                "surcharge": {language: col(f"_surcharge_{language}") for language in ("zh", "en")},
            },
        ),
        (col("ownership_dispute").fill_null(False), Code.SUSPENDED_OR_PRESERVED, "dispute", {}),
        (
            lit(at) <= col("preservation_until"),
            Code.SUSPENDED_OR_PRESERVED,
            "preservation",
            {"until": col("preservation_until")},
        ),
        (~listed, Code.CONTRACT_INCOMPLETE, "patent_not_listed", {"patent": col("patent_id")}),
        (
            col("patent_id").is_in(pl.Series(sorted(live), dtype=pl.String).implode()),
            Code.ALREADY_PLEDGED,
            "",
            {"patent": col("patent_id")},
        ),
        (
            (col("dual_filing").fill_null(False) | twin)
            & lit(Code.DUAL_FILING_ACK_REQUIRED not in ack),
            Code.DUAL_FILING_ACK_REQUIRED,
            "",
            {},
        ),
        (
            col("invalidation_pending").fill_null(False)
            & lit(Code.INVALIDATION_PENDING_ACK_REQUIRED not in ack),
            Code.INVALIDATION_PENDING_ACK_REQUIRED,
            "",
            {},
        ),
        (
            lit(loan.term_months) > max_term,
            Code.TERM_EXCEEDS_POLICY,
            "",
            {"term": lit(loan.term_months), "lender": term_policy, "max_term": max_term},
        ),
        (
            lit(at) > valid_until,
            Code.VALUATION_EXPIRED,
            "",
            {
                "base_date": col("valuation_base_date"),
                "lender": validity_policy,
                "validity": validity,
                "valid_until": valid_until,
            },
        ),
    ]
    checked = [(valid & cond.fill_null(False), code, v, params) for cond, code, v, params in result]
    return [(~valid, Code.INPUT_INVALID, "", {"error": col("error")}), *checked]


def _render(template: str, params: Mapping[str, Param], language: str) -> pl.Expr:
    """A catalogue template in ``language`` filled from expressions, as
    :func:`pledge.findings.text` would."""
    parts: list[pl.Expr] = []
    for literal, name, _, _ in string.Formatter().parse(template):
        if literal:
            parts.append(pl.lit(literal))
        if name:
            value = params[name]
            parts.append((value if isinstance(value, pl.Expr) else value[language]).cast(pl.String))
    return pl.concat_str(parts)


def _ltv(
    staged: pl.DataFrame, blocked: pl.Series, loan: ProposedLoan, book: PolicyBook
) -> LtvCheck | None:
    """The LTV test when every row is valid and valued, over the rows that can be pledged
    (``blocked`` holds the others' row numbers), as for a portfolio."""
    unvalued = staged["appraised_value"].null_count() > 0
    if staged.height == 0 or staged["error"].null_count() < staged.height or unvalued:
        return None
    pledgeable = staged.filter(~pl.col("_row").is_in(blocked.implode()))
    sums = pledgeable.group_by("patent_type").agg(pl.col("appraised_value").sum())
    values = {
        PatentType(kind): Money.of(amount, DEFAULT_CURRENCY) for kind, amount in sums.iter_rows()
    }
    return ltv_by_type(loan.amount, values, loan.lender, book)


def eligibility_batch(
    frame: pl.DataFrame | pl.LazyFrame,
    loan: ProposedLoan,
    at: date,
    *,
    live_pledges: Iterable[str] = (),
    book: PolicyBook | None = None,
) -> BatchEligibility:
    """Pre-check every patent of ``frame`` as collateral of ``loan``, as of ``at``.

    ``live_pledges`` are patent numbers already in a live pledge. Amounts are in CNY.
    """
    if loan.amount.currency != DEFAULT_CURRENCY:
        raise ValueError(f"batch amounts are in {DEFAULT_CURRENCY}, the loan is in another")
    book = book or policy_book()
    live = {normalise_number(n) for n in live_pledges}
    staged = _stage(frame, at)
    rules = _rules(loan, at, book, live)
    # Each rule's condition is evaluated once, over every row, before the rows it flags are kept.
    flags = (
        staged.lazy()
        .with_columns(*(condition.alias(f"_rule_{i}") for i, (condition, *_) in enumerate(rules)))
        .collect(engine=IN_MEMORY)
        .lazy()
    )
    entries = catalogue()
    pieces = [
        flags.filter(f"_rule_{i}").select(
            pl.col("_row").alias("row"),
            "patent_id",
            pl.lit(code.value).alias("code"),
            pl.lit(entries[(code, variant)].severity.value).alias("severity"),
            pl.lit(entries[(code, variant)].field).alias("field"),
            _render(entries[(code, variant)].message_zh, params, "zh").alias("message_zh"),
            _render(entries[(code, variant)].message_en, params, "en").alias("message_en"),
            pl.lit(entries[(code, variant)].order).alias("_order"),
        )
        for i, (_, code, variant, params) in enumerate(rules)
    ]
    findings = pl.concat(pieces).sort("row", "_order").drop("_order").collect()
    blocked = findings.filter(
        (pl.col("severity") == Severity.BLOCK.value) & ~pl.col("code").is_in(sorted(POLICY_CODES))
    )["row"]
    ltv = _ltv(staged, blocked, loan, book)
    any_pledgeable = blocked.n_unique() < staged.height
    found, _ = loan_findings(loan, ltv, any_pledgeable=any_pledgeable)
    return BatchEligibility(
        findings=findings.cast(FINDING_SCHEMA),
        loan_findings=tuple(sorted(found, key=order)),
        ltv=ltv,
    )

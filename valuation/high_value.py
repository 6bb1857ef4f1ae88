r"""High-value invention patents (高价值发明专利), the CNIPA statistical category.

An invention patent in force at the base date is high-value when it meets at least one of five
criteria; the result names each criterion met or not, with its reason:

1. ``strategic_industry``: its ``industry`` is one of the strategic emerging industries
   (``valuation/data/strategic_industries.csv``, kind ``industry``, matched on the key after
   lower-casing and turning spaces and hyphens into ``_``, or on the Chinese name), or one of its
   IPC codes starts with a listed prefix (kind ``ipc_prefix``, a hand-picked subset of the CNIPA
   concordance, still to check against it: ``checked`` no in ``sources_scoring.csv``);
2. ``foreign_family``: ``family_countries`` holds a country other than CN. The field is read as
   the countries where a family member is *granted*; the register data does not say more;
3. ``long_maintained``: granted and in force at the base date, and more than
   ``high_value_maintained_years`` (10) years have passed since the filing date, i.e.
   :math:`t > \text{filing} + 10\,\text{y}` by anniversary. The term runs from the filing date,
   so this is the reading under which the annual fee of the eleventh patent year has been paid;
4. ``high_pledge_financing``: the pledge-financing amount passed in is at least
   ``high_value_pledge_amount_threshold`` (configuration, still to check);
5. ``award``: a national science and technology award or the China Patent Award (a flag).

Eligibility: only invention patents in force at the base date (status ``in_force``, granted on or
before it, not yet expired) are counted.

References
----------
.. [1] CNIPA, statistical definition of high-value invention patents (14th Five-Year Plan
   indicator "high-value invention patents per 10,000 people"); docs/DOMAIN.md §2.
.. [2] National Bureau of Statistics, 战略性新兴产业分类（2018）, Order No. 23.
.. [3] CNIPA, 战略性新兴产业分类与国际专利分类参照关系表（2021）（试行）.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache

import polars as pl
from pydantic import BaseModel, ConfigDict

from models.dates import add_years
from models.enums import LegalStatus, PatentType
from models.money import Money
from models.patent import Patent
from valuation.audit import AuditTrail, Step, cite, input_hash
from valuation.constants import parameter, read_table, sources
from valuation.frame import IN_MEMORY, normalised

METHOD = "CNIPA high-value invention patent criteria (any one of five)"
HOME_COUNTRY = "CN"
_YEARS = "high_value_maintained_years"
_THRESHOLD = "high_value_pledge_amount_threshold"
_SEPARATOR = ";"
STRATEGIC_COLUMN = "_strategic_industry"
"""The strategic-industry test (with IPC prefixes) computed once for a batch."""


class Criterion(StrEnum):
    """The five criteria of the CNIPA high-value invention patent category."""

    STRATEGIC_INDUSTRY = "strategic_industry"
    FOREIGN_FAMILY = "foreign_family"
    LONG_MAINTAINED = "long_maintained"
    HIGH_PLEDGE_FINANCING = "high_pledge_financing"
    AWARD = "award"


class CriterionResult(BaseModel):
    """One criterion: met or not, and why."""

    model_config = ConfigDict(frozen=True)

    criterion: Criterion
    met: bool
    reason: str


class HighValueResult(BaseModel):
    """Classification of one patent with the reason for every criterion."""

    model_config = ConfigDict(frozen=True)

    patent_id: str
    base_date: date
    eligible: bool
    eligibility_reason: str
    is_high_value: bool
    criteria: tuple[CriterionResult, ...]
    audit: AuditTrail

    @property
    def met(self) -> tuple[Criterion, ...]:
        """The criteria met (whether or not the patent is eligible)."""
        return tuple(c.criterion for c in self.criteria if c.met)


@dataclass(frozen=True, slots=True)
class StrategicEntry:
    """A row of ``strategic_industries.csv``: an industry key or an IPC prefix."""

    kind: str
    key: str
    category_code: str
    name_zh: str
    name_en: str
    source_id: str


def normalise_industry(text: str) -> str:
    """Lower-case, trim, and turn runs of spaces and hyphens into ``_``."""
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def _normalise_ipc(code: str) -> str:
    return re.sub(r"\s+", "", code).upper()


@cache
def strategic_entries() -> tuple[StrategicEntry, ...]:
    """The strategic emerging industries and IPC prefixes, validated."""
    entries = tuple(
        StrategicEntry(
            kind=row["kind"],
            key=normalise_industry(row["key"]) if row["kind"] == "industry" else row["key"],
            category_code=row["category_code"],
            name_zh=row["name_zh"],
            name_en=row["name_en"],
            source_id=row["source_id"],
        )
        for row in read_table("strategic_industries")
    )
    for entry in entries:
        if entry.kind not in ("industry", "ipc_prefix"):
            raise ValueError(f"strategic_industries.csv: unknown kind {entry.kind!r}")
        if entry.kind == "ipc_prefix" and _normalise_ipc(entry.key) != entry.key:
            raise ValueError(f"strategic_industries.csv: IPC prefix {entry.key!r} not normalised")
    return entries


def _industry_lookup() -> dict[str, StrategicEntry]:
    table: dict[str, StrategicEntry] = {}
    for entry in strategic_entries():
        if entry.kind == "industry":
            table[entry.key] = entry
            table.setdefault(normalise_industry(entry.name_zh), entry)
    return table


def _prefixes() -> tuple[StrategicEntry, ...]:
    return tuple(e for e in strategic_entries() if e.kind == "ipc_prefix")


def strategic_match(
    industry: str | None, ipc_codes: Sequence[str], *, use_ipc: bool = True
) -> tuple[StrategicEntry, str] | None:
    """The strategic-industry entry matched, with what matched it, or None.

    The industry is tried first, then each IPC code against each prefix (when ``use_ipc``).
    """
    if industry is not None:
        entry = _industry_lookup().get(normalise_industry(industry))
        if entry is not None:
            return entry, industry
    if use_ipc:
        for code in ipc_codes:
            for entry in _prefixes():
                if _normalise_ipc(code).startswith(entry.key):
                    return entry, code
    return None


def split_codes(column: str) -> pl.Expr:
    """A ';'-separated text column as a list of trimmed, upper-cased, non-empty items."""
    item = pl.element()
    trimmed = pl.col(column).str.split(_SEPARATOR).list.eval(item.str.strip_chars())
    return trimmed.list.eval(item.filter(item != "").str.to_uppercase())


def foreign_country_expr(column: str) -> pl.Expr:
    """Whether a ';'-separated list of country codes holds one other than the home country."""
    wrapped = pl.concat_str(
        [
            pl.lit(_SEPARATOR),
            pl.col(column).str.to_uppercase().str.replace_all(r"\s+", ""),
            pl.lit(_SEPARATOR),
        ]
    )
    home = f"{_SEPARATOR}{HOME_COUNTRY}{_SEPARATOR}"
    # Twice, since matches of ";CN;" do not overlap: ";CN;CN;" leaves ";CN;" after one pass.
    others = wrapped.str.replace_all(home, _SEPARATOR, literal=True).str.replace_all(
        home, _SEPARATOR, literal=True
    )
    return others.str.contains(r"[A-Z]")


def _spaced(key: str) -> str:
    """A regex for ``key`` with any whitespace between its characters."""
    return r"\s*".join(re.escape(character) for character in key)


def industry_key_expr(column: str = "industry") -> pl.Expr:
    """Vectorised :func:`normalise_industry` of a text column."""
    return pl.col(column).str.strip_chars().str.to_lowercase().str.replace_all(r"[\s\-]+", "_")


def strategic_industry_expr(columns: Collection[str], *, use_ipc: bool = True) -> pl.Expr:
    """Vectorised strategic-industry test: Boolean, null when neither industry nor IPC is known.

    Reads ``industry`` and ``ipc`` (codes separated by ``;``) when present. IPC codes are read
    without their whitespace: a prefix matches at the start or after a ``;``, with any whitespace
    before or inside it. A frame that carries :data:`STRATEGIC_COLUMN` (see
    :func:`with_strategic_industry`) is read from that column instead.
    """
    if use_ipc and STRATEGIC_COLUMN in columns:
        return pl.col(STRATEGIC_COLUMN)
    known = pl.lit(value=False)
    match = pl.lit(value=False)
    if "industry" in columns:
        known |= pl.col("industry").is_not_null()
        match |= industry_key_expr().is_in(list(_industry_lookup())).fill_null(value=False)
    if "ipc" in columns:
        codes = pl.col("ipc").str.to_uppercase()
        known |= codes.str.contains(r"[^;\s]").fill_null(value=False)
        if use_ipc and _prefixes():
            prefixes = "|".join(_spaced(e.key) for e in _prefixes())
            pattern = rf"(?:^|{_SEPARATOR})\s*(?:{prefixes})"
            match |= codes.str.contains(pattern).fill_null(value=False)
    return pl.when(known).then(match).otherwise(None)


def with_strategic_industry(frame: pl.LazyFrame) -> pl.LazyFrame:
    """``frame`` with :data:`STRATEGIC_COLUMN`, so that the score and the high-value criteria,
    which both ask, compute the strategic-industry test once."""
    columns = frame.collect_schema().names()
    return frame.with_columns(strategic_industry_expr(columns).alias(STRATEGIC_COLUMN))


def _in_force(patent: Patent, at: date) -> bool:
    granted = patent.grant_date is not None and patent.grant_date <= at
    return patent.legal_status is LegalStatus.IN_FORCE and granted and at < patent.expiry_date


def classify_high_value(
    patent: Patent,
    *,
    at: date,
    pledge_amount: Money | None = None,
    award: bool = False,
    award_name: str | None = None,
    use_ipc: bool = True,
) -> HighValueResult:
    """Classify ``patent`` at base date ``at`` against the five CNIPA criteria.

    Parameters
    ----------
    pledge_amount
        Pledge-financing amount obtained on the patent, if known (criterion 4).
    award, award_name
        Whether it won a national S&T award or the China Patent Award, and which (criterion 5).
    use_ipc
        Whether IPC prefixes may establish a strategic industry (criterion 1).
    """
    years, threshold = parameter(_YEARS), parameter(_THRESHOLD)
    in_force = _in_force(patent, at)
    is_invention = patent.patent_type is PatentType.INVENTION
    eligible = is_invention and in_force
    if not is_invention:
        why = f"a {patent.patent_type.value} patent: only invention patents qualify"
    elif not in_force:
        why = f"not in force at {at} (status {patent.legal_status.value}): only valid patents count"
    else:
        why = f"an invention patent in force at {at}"

    match = strategic_match(patent.industry, patent.ipc_codes, use_ipc=use_ipc)
    if match is None:
        industry = patent.industry or "—"
        codes = ", ".join(patent.ipc_codes) or "—"
        strategic = f"industry {industry} and IPC {codes} match no listed entry"
    else:
        entry, matched = match
        if entry.kind == "industry":
            how = "industry"
        elif sources()[entry.source_id].checked:
            how = f"IPC prefix {entry.key}:"
        else:
            how = f"IPC prefix {entry.key} (still to check):"
        strategic = (
            f"{how} {matched} is {entry.name_zh} ({entry.name_en}, SEI {entry.category_code})"
        )

    abroad = sorted({c for c in patent.family_countries if c != HOME_COUNTRY})
    if abroad:
        foreign = f"family granted abroad in {', '.join(abroad)}"
    elif patent.family_countries:
        codes = ", ".join(patent.family_countries)
        foreign = f"no family country other than {HOME_COUNTRY} in {codes}"
    else:
        foreign = "no family country is recorded"

    limit = add_years(patent.filing_date, int(years.value))
    long_met = in_force and at > limit
    if long_met:
        maintained = f"in force at {at}, filed {patent.filing_date}: over {years.value} years"
    elif not in_force:
        maintained = f"not granted and in force at {at}"
    else:
        maintained = f"filed {patent.filing_date}: over {years.value} years only after {limit}"

    floor = Money.of(threshold.value)
    pledge_met = pledge_amount is not None and pledge_amount >= floor
    pledge = (
        "no pledge-financing amount given"
        if pledge_amount is None
        else f"pledge financing {pledge_amount} {'≥' if pledge_met else '<'} threshold {floor}"
    )
    prize = (
        f"award: {award_name or 'national S&T award or China Patent Award'}"
        if award
        else "no national S&T award or China Patent Award given"
    )

    criteria = (
        CriterionResult(
            criterion=Criterion.STRATEGIC_INDUSTRY, met=match is not None, reason=strategic
        ),
        CriterionResult(criterion=Criterion.FOREIGN_FAMILY, met=bool(abroad), reason=foreign),
        CriterionResult(criterion=Criterion.LONG_MAINTAINED, met=long_met, reason=maintained),
        CriterionResult(criterion=Criterion.HIGH_PLEDGE_FINANCING, met=pledge_met, reason=pledge),
        CriterionResult(criterion=Criterion.AWARD, met=award, reason=prize),
    )
    audit = AuditTrail(
        input_hash=input_hash(patent, at, pledge_amount, award, award_name, use_ipc),
        method=METHOD,
        steps=(
            Step(name="eligibility", formula=why, value=str(eligible)),
            *(Step(name=c.criterion.value, formula=c.reason, value=str(c.met)) for c in criteria),
        ),
        constants=(cite(years), cite(threshold)),
        assumptions=(
            "family_countries lists countries where a family member is granted",
            "IPC prefixes are a hand-picked subset of the CNIPA concordance, still to check",
        ),
    )
    return HighValueResult(
        patent_id=str(patent.number),
        base_date=at,
        eligible=eligible,
        eligibility_reason=why,
        is_high_value=eligible and any(c.met for c in criteria),
        criteria=criteria,
        audit=audit,
    )


def high_value_flags(frame: pl.LazyFrame, *, at: date, use_ipc: bool = True) -> pl.LazyFrame:
    """The criteria of :func:`classify_high_value_batch` as a lazy query, without the list.

    Adds ``hv_eligible``, one Boolean column per criterion (``hv_<criterion>``) and
    ``hv_is_high_value``; :func:`criteria_text` names the criteria met.
    """
    rows = normalised(frame)
    columns = rows.collect_schema().names()
    years = int(parameter(_YEARS).value)
    threshold = float(parameter(_THRESHOLD).value)
    kind, filing, expiry = pl.col("patent_type"), pl.col("filing_date"), pl.col("expiry_date")
    day = pl.lit(at, dtype=pl.Date)
    in_force = (
        (pl.col("legal_status") == LegalStatus.IN_FORCE.value)
        & (pl.col("grant_date") <= day)
        & (day < expiry)
    ).fill_null(value=False)
    met: dict[Criterion, pl.Expr] = {
        Criterion.STRATEGIC_INDUSTRY: strategic_industry_expr(columns, use_ipc=use_ipc),
        Criterion.FOREIGN_FAMILY: (
            foreign_country_expr("family_countries")
            if "family_countries" in columns
            else pl.lit(value=False)
        ),
        Criterion.LONG_MAINTAINED: in_force & (filing.dt.offset_by(f"{years}y") < day),
        Criterion.HIGH_PLEDGE_FINANCING: (
            pl.col("pledge_amount").cast(pl.Float64) >= threshold
            if "pledge_amount" in columns
            else pl.lit(value=False)
        ),
        Criterion.AWARD: pl.col("award") if "award" in columns else pl.lit(value=False),
    }
    flags = {_flag(c): e.fill_null(value=False) for c, e in met.items()}
    eligible = in_force & (kind == PatentType.INVENTION.value).fill_null(value=False)
    return rows.with_columns(hv_eligible=eligible, **flags).with_columns(
        hv_is_high_value=pl.col("hv_eligible") & pl.any_horizontal(list(flags))
    )


def _flag(criterion: Criterion) -> str:
    return f"hv_{criterion.value}"


def _named_if_met() -> list[pl.Expr]:
    return [pl.when(pl.col(_flag(c))).then(pl.lit(c.value)) for c in Criterion]


def criteria_text(separator: str = _SEPARATOR) -> pl.Expr:
    """The criteria met, in :class:`Criterion` order, joined by ``separator`` ("" when none);
    reads the flags of :func:`high_value_flags`."""
    return pl.concat_str(_named_if_met(), separator=separator, ignore_nulls=True)


def classify_high_value_batch(
    frame: pl.DataFrame, *, at: date, use_ipc: bool = True
) -> pl.DataFrame:
    """Vectorised classification over a batch frame.

    Reads ``patent_type``, ``legal_status``, ``filing_date``, ``grant_date``, ``industry``,
    ``ipc`` and, when present, ``family_countries`` (``;``-separated), ``pledge_amount`` (CNY),
    ``award`` (bool), ``expiry_date`` and ``term_adjustment_days``. Adds one Boolean column per
    criterion (``hv_<criterion>``), ``hv_eligible``, ``hv_is_high_value`` and ``hv_criteria``
    (the list of criteria met).
    """
    listed = pl.concat_list(_named_if_met()).list.drop_nulls()
    flagged = high_value_flags(frame.lazy(), at=at, use_ipc=use_ipc)
    return flagged.with_columns(hv_criteria=listed).collect(engine=IN_MEMORY)

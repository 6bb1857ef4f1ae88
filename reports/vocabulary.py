"""The engine's vocabulary as a report prints it: labels of its closed sets and its fixed phrases.

Each label is an English message id (marked with ``N_`` so that Babel extracts it), translated by
the catalog of the report's language when it is printed. A phrase the engine writes with figures
in it (a reason citing a number of years) is read back through its pattern (:data:`ENGINE_PATTERNS`)
and printed translated with its figures; any other text (a formula) as the audit trail holds it.
"""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from functools import cache

from babel.numbers import format_currency

from models.enums import LegalStatus, LoanStatus, PatentType, ValueType
from navigation.constants import read_table as navigation_table
from pledge.findings import Severity
from pledge.proposal import Unchecked
from pledge.statistics import MIXED_TYPES, UNCLASSIFIED
from reports.i18n import N_, Language, gettext_for
from valuation.constants import read_table as valuation_table
from valuation.high_value import Criterion
from valuation.income import Basis as IncomeBasis
from valuation.income import PeriodLimit, Timing
from valuation.reconcile import Approach
from valuation.scoring import Basis as ScoringBasis

LABELS: dict[StrEnum, str] = {
    PatentType.INVENTION: N_("Invention"),
    PatentType.UTILITY_MODEL: N_("Utility model"),
    PatentType.DESIGN: N_("Design"),
    LegalStatus.PENDING: N_("Pending"),
    LegalStatus.IN_FORCE: N_("In force"),
    LegalStatus.LAPSED: N_("Lapsed"),
    LegalStatus.EXPIRED: N_("Expired"),
    LegalStatus.INVALIDATED: N_("Invalidated"),
    LegalStatus.SURRENDERED: N_("Surrendered"),
    LegalStatus.WITHDRAWN: N_("Withdrawn"),
    LegalStatus.REJECTED: N_("Rejected"),
    ValueType.MARKET_VALUE: N_("Market value"),
    ValueType.REALISABLE_VALUE: N_("Realisable value"),
    Approach.INCOME: N_("Income approach"),
    Approach.MARKET: N_("Market approach"),
    Approach.COST: N_("Cost approach"),
    Criterion.STRATEGIC_INDUSTRY: N_("Strategic emerging industry"),
    Criterion.FOREIGN_FAMILY: N_("Family member granted abroad"),
    Criterion.LONG_MAINTAINED: N_("Maintained for more than 10 years"),
    Criterion.HIGH_PLEDGE_FINANCING: N_("High pledge-financing amount"),
    Criterion.AWARD: N_("National S&T award or China Patent Award"),
    ScoringBasis.OBSERVED: N_("From data"),
    ScoringBasis.APPRAISER: N_("Appraiser's input"),
    ScoringBasis.DEFAULT: N_("Not assessed (neutral)"),
    IncomeBasis.REVENUE: N_("Revenue (sales royalty)"),
    IncomeBasis.PROFIT: N_("Operating profit (profit share)"),
    Timing.END_OF_YEAR: N_("End of year"),
    Timing.MID_YEAR: N_("Mid-year"),
    PeriodLimit.ECONOMIC_LIFE: N_("Economic life"),
    PeriodLimit.LEGAL_TERM: N_("Remaining legal term"),
    Severity.BLOCK: N_("Blocks registration"),
    Severity.WARN: N_("Warning"),
    Unchecked.FEES: N_("Annual fees (payment record not given)"),
    Unchecked.CONTRACT: N_("Pledge contract (terms not given)"),
    Unchecked.VALUATION: N_("Valuation validity and loan-to-value (no valuation)"),
    LoanStatus.SUBMITTED: N_("Submitted"),
    LoanStatus.APPROVED: N_("Approved"),
    LoanStatus.ACTIVE: N_("Active"),
    LoanStatus.CLOSED: N_("Closed"),
    LoanStatus.WRITTEN_OFF: N_("Written off"),
    LoanStatus.RESCHEDULED: N_("Rescheduled"),
    LoanStatus.REJECTED: N_("Rejected"),
    LoanStatus.WITHDRAWN: N_("Withdrawn"),
}
"""The label of every member of the closed sets a report prints."""

LABELLED_ENUMS: tuple[type[StrEnum], ...] = (
    PatentType,
    LegalStatus,
    ValueType,
    Approach,
    Criterion,
    ScoringBasis,
    IncomeBasis,
    Timing,
    PeriodLimit,
    Severity,
    Unchecked,
    LoanStatus,
)

TORNADO_INPUTS: dict[str, str] = {
    "royalty_rate": N_("Royalty rate K"),
    "growth": N_("Growth g"),
    "discount_rate": N_("Discount rate r"),
    "economic_life_years": N_("Economic life L"),
}
"""The inputs the tornado moves (``valuation.uncertainty.tornado``), by the engine's name."""

ENGINE_PHRASES: tuple[str, ...] = (
    # step names of the audit trails
    N_("period n"),
    N_("royalty rate K"),
    N_("profit share K"),
    N_("discount rate r"),
    N_("tax rate T"),
    N_("present value"),
    N_("TAB factor"),
    N_("value"),
    N_("obsolescence"),
    N_("replacement cost"),
    N_("cost value"),
    N_("haircut"),
    N_("realisable value"),
    N_("maximum loan"),
    N_("remaining legal term"),
    N_("score"),
    N_("royalty K"),
    N_("growth g"),
    N_("economic life L"),
    N_("income weight"),
    N_("market weight"),
    N_("cost weight"),
    N_("eligibility"),
    N_("total"),
    # fixed reasons and notes
    N_("no revenue: income approach not applied"),
    N_("no operating margin for the profit basis: income approach not applied"),
    N_("no royalty rate and no industry to default it from: income approach not applied"),
    N_("no R&D cost: cost approach not applied"),
    N_("replacement cost less obsolescence (floor)"),
    N_("only the cost approach could be applied: value = cost"),
    N_("no approach could be applied: no value"),
    N_("income approach"),
    N_("market approach"),
    N_("cost approach"),
    N_("no pledge-financing amount given"),
    N_("no national S&T award or China Patent Award given"),
    N_("given"),
    N_("appraiser's input"),
    N_("not assessed: neutral score"),
    N_("years from base date to expiry"),
    N_("GB/T 42748 indicator score"),
    N_("T = corporate_tax_rate"),
    N_("n = min(economic life, remaining legal term)"),
    N_("V rounded half-even to the minor unit"),
    N_("reconciled income, market and cost approaches"),
    N_("no economic life given"),
    N_("national S&T award or China Patent Award"),
    N_("no family country is recorded"),
)
"""Phrases the engine writes without figures in them; printed translated."""

ENGINE_PATTERNS: tuple[str, ...] = (
    # valuation.engine: reasons and the market model's label (valuation.features)
    N_("relief from royalty over %(years)s years"),
    N_("%(model)s on bibliographic features"),
    N_("renewal model fitted on %(count)s patents (%(date)s)"),
    N_("hedonic model fitted on %(count)s patents (%(date)s)"),
    N_("no royalty band for industry '%(industry)s': income approach not applied"),
    # valuation.income: the period and the warnings
    N_("remaining legal term %(term)s years, %(why)s"),
    N_("≤ economic life %(life)s"),
    N_("economic life %(life)s < legal term %(term)s"),
    N_("profit share %(share)s is outside %(low)s–%(high)s: justify it"),
    # valuation.uncertainty
    N_("Monte Carlo, %(draws)s draws, seed %(seed)s, PCG64, Z ~ Tri(−1, 0, 1) independent"),
    # valuation.pledge_value: assumptions
    N_("haircut %(haircut)s given instead of the %(kind)s band"),
    N_("LTV cap %(cap)s given instead of the %(kind)s policy"),
    # valuation.reconcile and valuation.cost: corroboration notes
    N_("reconciled value %(value)s is below the cost floor %(cost)s: check the inputs"),
    N_(
        "%(high)s (%(high_value)s) and %(low)s (%(low_value)s) differ by a factor of "
        "%(factor)s (above %(limit)s): explain the difference, or weigh one approach"
    ),
    N_(
        "value %(value)s is below the cost-approach floor %(cost)s: check the income "
        "assumptions (a patent can be worth less than it cost, but say why)"
    ),
    # valuation.high_value: the reasons of each criterion
    N_("a %(kind)s patent: only invention patents qualify"),
    N_("not in force at %(date)s (status %(status)s): only valid patents count"),
    N_("an invention patent in force at %(date)s"),
    N_("industry %(industry)s and IPC %(ipc)s match no listed entry"),
    N_("industry %(matched)s is %(name_zh)s (%(name_en)s, SEI %(code)s)"),
    N_(
        "IPC prefix %(prefix)s (still to check): %(matched)s is %(name_zh)s (%(name_en)s, "
        "SEI %(code)s)"
    ),
    N_("IPC prefix %(prefix)s: %(matched)s is %(name_zh)s (%(name_en)s, SEI %(code)s)"),
    N_("family granted abroad in %(countries)s"),
    N_("no family country other than %(home)s in %(countries)s"),
    N_("in force at %(date)s, filed %(filed)s: over %(years)s years"),
    N_("not granted and in force at %(date)s"),
    N_("filed %(filed)s: over %(years)s years only after %(limit)s"),
    N_("pledge financing %(amount)s %(relation)s threshold %(threshold)s"),
    N_("award: %(award)s"),
    # valuation.engine: the refusal of a base date before the filing date (BeforeFilingError)
    N_("%(day)s is before the filing date %(filed)s of %(number)s"),
)
"""Phrases the engine writes with figures in them, each figure a ``%(name)s`` placeholder: a
text that matches one is printed translated, its figures (and any phrase or closed-set value
among them) in place. Each must read as the engine's f-string does (a test renders them)."""


def label(language: Language, member: StrEnum) -> str:
    """The label of ``member`` in ``language``."""
    return gettext_for(language, LABELS[member])


def tornado_input(language: Language, name: str) -> str:
    """The label of the tornado input ``name`` (the engine's name when it has none)."""
    message = TORNADO_INPUTS.get(name)
    return name if message is None else gettext_for(language, message)


def phrase(language: Language, text: str, patterns: tuple[str, ...] = ENGINE_PATTERNS) -> str:
    """An engine phrase in ``language``: a fixed one translated, one with figures translated
    around them (:data:`ENGINE_PATTERNS`, or the ``patterns`` given: a caller's own messages
    with figures, such as the refusals a page shows); any other text (a formula) as it is."""
    if text in _PHRASES:
        return gettext_for(language, text)
    for pattern, template in _patterns(patterns):
        found = pattern.fullmatch(text)
        if found is not None:
            parts = {
                name: _part(language, value, patterns) for name, value in found.groupdict().items()
            }
            return gettext_for(language, template) % parts
    return text


def _part(language: Language, text: str, patterns: tuple[str, ...]) -> str:
    """A figure or phrase inside an engine phrase: a closed-set value by its label (in lower
    case in English, inside a sentence), an amount of money as the report prints money
    (``CNY 1,234.50`` → ``¥1,234.50``), a phrase translated, another figure as it is."""
    money = _MONEY.fullmatch(text)
    if money is not None:
        amount = Decimal(money["amount"].replace(",", ""))
        return format_currency(amount, money["currency"], locale=language.locale)
    member = _CLOSED_VALUES.get(text)
    if member is None:
        return phrase(language, text, patterns)
    name = label(language, member)
    return name.lower() if language is Language.EN else name


_PHRASES = frozenset(ENGINE_PHRASES)
_CLOSED_VALUES: dict[str, StrEnum] = {m.value: m for m in (*PatentType, *LegalStatus)}
"""The closed-set values the engine writes into its phrases (a patent type, a legal status)."""
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_MONEY = re.compile(r"(?P<currency>[A-Z]{3}) (?P<amount>-?[0-9]{1,3}(?:,[0-9]{3})*(?:\.[0-9]+)?)")
"""An amount as :class:`models.money.Money` writes itself into an engine phrase."""


@cache
def _patterns(templates: tuple[str, ...]) -> tuple[tuple[re.Pattern[str], str], ...]:
    """Each of ``templates`` as a regular expression with a group per placeholder."""
    compiled = []
    for template in templates:
        pieces, at = [], 0
        for placeholder in _PLACEHOLDER.finditer(template):
            pieces.append(re.escape(template[at : placeholder.start()]))
            pieces.append(f"(?P<{placeholder.group(1)}>.+?)")
            at = placeholder.end()
        pieces.append(re.escape(template[at:]))
        compiled.append((re.compile("".join(pieces), re.DOTALL), template))
    return tuple(compiled)


@cache
def _industry_names() -> dict[str, dict[Language, str]]:
    """The city's sectors (``navigation/data/sectors.csv``) and the royalty bands' industries
    (``valuation/data/royalty_bands.csv``) in both languages: a band's Chinese name, and its
    English name where the sector table does not name the industry already."""
    names: dict[str, dict[Language, str]] = {
        row["sector"]: {Language.ZH: row["name_zh"], Language.EN: row["name_en"]}
        for row in navigation_table("sectors")
    }
    for row in valuation_table("royalty_bands"):
        found = names.setdefault(row["industry"], {})
        found[Language.ZH] = row["name_zh"]
        found.setdefault(Language.EN, row["name_en"])
    return names


def industry_name(language: Language, key: str) -> str:
    """An industry key by its name in ``language`` (the statistics' ``unclassified``, of a
    party without one, too); the key itself when no table names it."""
    if key == UNCLASSIFIED:
        return gettext_for(language, N_("Unclassified"))
    return _industry_names().get(key, {}).get(language, key)


def patent_type_name(language: Language, value: str) -> str:
    """A patent type by its label; the statistics' ``mixed`` (a pledge of patents of several
    types) as mixed types; any other value as it is."""
    if value == MIXED_TYPES:
        return gettext_for(language, N_("Mixed types"))
    try:
        return label(language, PatentType(value))
    except ValueError:
        return value

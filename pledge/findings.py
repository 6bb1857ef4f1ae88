"""Findings of the pledge pre-check: codes, severities and the bilingual message catalogue.

Each code of docs/DOMAIN.md §4 (plus ``VALUATION_EXPIRED``, ``TERM_EXCEEDS_POLICY`` and, for
batch rows that do not parse, ``INPUT_INVALID``) has one or more rows in
``pledge/data/eligibility_messages.csv``: a variant (empty for the plain case), the severity, the
field concerned, the message and how to fix it in Chinese and in English, and the source of the
rule. Messages are ``str.format`` templates with named placeholders; a value given as a tuple of
names is joined with ``、`` in Chinese and ``, `` in English. The catalogue is checked on load:
every code present, one severity per code, the same placeholders in both languages.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cache

from pydantic import BaseModel, ConfigDict

from models.money import Money
from pledge import constants


class Code(StrEnum):
    """Why a patent cannot be pledged as proposed, or what to watch (the pre-check's codes)."""

    PLEDGOR_NOT_REGISTERED_OWNER = "PLEDGOR_NOT_REGISTERED_OWNER"
    PATENT_NOT_IN_FORCE = "PATENT_NOT_IN_FORCE"
    NOT_GRANTED = "NOT_GRANTED"
    FEE_UNPAID = "FEE_UNPAID"
    FEE_IN_GRACE = "FEE_IN_GRACE"
    SUSPENDED_OR_PRESERVED = "SUSPENDED_OR_PRESERVED"
    TERM_EXCEEDS_PATENT_LIFE = "TERM_EXCEEDS_PATENT_LIFE"
    CONTRACT_INCOMPLETE = "CONTRACT_INCOMPLETE"
    COOWNER_CONSENT_MISSING = "COOWNER_CONSENT_MISSING"
    ALREADY_PLEDGED = "ALREADY_PLEDGED"
    DUAL_FILING_ACK_REQUIRED = "DUAL_FILING_ACK_REQUIRED"
    INVALIDATION_PENDING_ACK_REQUIRED = "INVALIDATION_PENDING_ACK_REQUIRED"
    FORFEITURE_CLAUSE = "FORFEITURE_CLAUSE"
    LTV_EXCEEDS_POLICY = "LTV_EXCEEDS_POLICY"
    VALUATION_EXPIRED = "VALUATION_EXPIRED"
    TERM_EXCEEDS_POLICY = "TERM_EXCEEDS_POLICY"
    INPUT_INVALID = "INPUT_INVALID"


class Severity(StrEnum):
    """A block finding stops registration; a warn finding needs attention only."""

    BLOCK = "block"
    WARN = "warn"


ACKNOWLEDGEABLE = frozenset({Code.DUAL_FILING_ACK_REQUIRED, Code.INVALIDATION_PENDING_ACK_REQUIRED})
"""Soft codes: a warning until the pledgee acknowledges the risk, then no finding."""

SEPARATOR = {"zh": "、", "en": ", "}
"""How a list of names is joined in each language."""


class CatalogueError(ValueError):
    """The message catalogue is incomplete or inconsistent."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One row of the message catalogue."""

    code: Code
    variant: str
    order: int
    severity: Severity
    field: str
    message_zh: str
    message_en: str
    fix_zh: str
    fix_en: str
    source_id: str


class Finding(BaseModel):
    """One finding of the pre-check on one patent or on the loan as a whole."""

    model_config = ConfigDict(frozen=True)

    code: Code
    variant: str = ""
    severity: Severity
    field: str
    message_zh: str
    message_en: str
    fix_zh: str
    fix_en: str
    source_id: str
    amount: Money | None = None  # the late-payment surcharge of FEE_IN_GRACE

    @property
    def blocks(self) -> bool:
        """Whether the finding stops registration."""
        return self.severity is Severity.BLOCK


def placeholders(template: str) -> frozenset[str]:
    """The named placeholders of a ``str.format`` template."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


@cache
def catalogue() -> dict[tuple[Code, str], Entry]:
    """Every (code, variant) with its messages, checked for completeness and consistency."""
    entries: dict[tuple[Code, str], Entry] = {}
    severities: dict[Code, Severity] = {}
    for order, row in enumerate(constants.read_table("eligibility_messages")):
        entry = Entry(
            code=Code(row["code"]),
            variant=row["variant"],
            order=order,
            severity=Severity(row["severity"]),
            field=row["field"],
            message_zh=row["message_zh"],
            message_en=row["message_en"],
            fix_zh=row["fix_zh"],
            fix_en=row["fix_en"],
            source_id=row["source_id"],
        )
        key = (entry.code, entry.variant)
        if key in entries:
            raise CatalogueError(f"{key} is in the catalogue twice")
        if severities.setdefault(entry.code, entry.severity) is not entry.severity:
            raise CatalogueError(f"{entry.code} has more than one severity")
        for zh, en in ((entry.message_zh, entry.message_en), (entry.fix_zh, entry.fix_en)):
            if not zh.strip() or not en.strip() or placeholders(zh) != placeholders(en):
                raise CatalogueError(f"{key}: the zh and en texts differ in placeholders")
        entries[key] = entry
    missing = set(Code) - set(severities)
    if missing:
        raise CatalogueError(f"no message for {sorted(missing)}")
    return entries


@dataclass(frozen=True, slots=True)
class Wording:
    """A placeholder value worded in each language (a name is the same in both)."""

    zh: str
    en: str


def money_text(money: Money, language: str) -> str:
    """Money in a message: ``¥300,000.00`` in Chinese (the yuan sign, as the reports print
    CNY), ``CNY 300,000.00`` in English and for other currencies."""
    if language == "zh" and money.currency == "CNY":
        return f"¥{money.amount:,.2f}"
    return str(money)


def text(value: object, language: str) -> str:
    """A placeholder value as text: dates ISO, money per :func:`money_text`, tuples of names
    joined per ``language``, a :class:`Wording` in ``language``."""
    if isinstance(value, Wording):
        return value.zh if language == "zh" else value.en
    if isinstance(value, Money):
        return money_text(value, language)
    if isinstance(value, tuple):
        return SEPARATOR[language].join(str(item) for item in value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _render(template: str, params: Mapping[str, object], language: str) -> str:
    return template.format_map({k: text(v, language) for k, v in params.items()})


def finding(
    code: Code, variant: str = "", *, amount: Money | None = None, **params: object
) -> Finding:
    """The finding ``code`` (``variant``) with its messages filled from ``params``."""
    entry = catalogue()[(code, variant)]
    return Finding(
        code=code,
        variant=variant,
        severity=entry.severity,
        field=entry.field,
        message_zh=_render(entry.message_zh, params, "zh"),
        message_en=_render(entry.message_en, params, "en"),
        fix_zh=_render(entry.fix_zh, params, "zh"),
        fix_en=_render(entry.fix_en, params, "en"),
        source_id=entry.source_id,
        amount=amount,
    )


def order(item: Finding) -> int:
    """Sort key of a finding: its catalogue row."""
    return catalogue()[(item.code, item.variant)].order


def percent(fraction: object) -> str:
    """A fraction as a percentage with two decimals: 0.25 → '25.00 %'."""
    return f"{Decimal(str(fraction)) * 100:.2f} %"

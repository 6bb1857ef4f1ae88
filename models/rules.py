"""Statutory rules as data: patent terms, annual fees, fee reductions, late-payment surcharges.

Each rule lives in a CSV file under ``models/rules/`` with a ``rules_version`` and a ``source_id``
column; ``sources.csv`` says what each source id refers to. The files are read once per process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache

from models.datafiles import RULES, Source
from models.enums import PatentType


@dataclass(frozen=True, slots=True)
class TermRule:
    rules_version: str
    jurisdiction: str  # "CN", or "*" for any other jurisdiction
    patent_type: PatentType
    filed_from: date | None
    filed_before: date | None
    term_years: int
    source_id: str

    def applies(self, jurisdiction: str, patent_type: PatentType, filing_date: date) -> bool:
        return (
            self.jurisdiction in (jurisdiction, "*")
            and self.patent_type is patent_type
            and (self.filed_from is None or filing_date >= self.filed_from)
            and (self.filed_before is None or filing_date < self.filed_before)
        )


@dataclass(frozen=True, slots=True)
class FeeRule:
    rules_version: str
    patent_type: PatentType
    year_from: int
    year_to: int
    fee_cny: Decimal
    source_id: str


@dataclass(frozen=True, slots=True)
class ReductionRule:
    rules_version: str
    reduction: str
    reduced_by: Decimal
    source_id: str


@dataclass(frozen=True, slots=True)
class SurchargeRule:
    rules_version: str
    grace_month: int
    surcharge: Decimal
    source_id: str


def _rows(name: str) -> tuple[dict[str, str], ...]:
    return RULES.read_table(name)


def _date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def sources() -> dict[str, Source]:
    """Every source id with its citation."""
    return RULES.sources()


@cache
def term_rules() -> tuple[TermRule, ...]:
    return tuple(
        TermRule(
            rules_version=row["rules_version"],
            jurisdiction=row["jurisdiction"],
            patent_type=PatentType(row["patent_type"]),
            filed_from=_date(row["filed_from"]),
            filed_before=_date(row["filed_before"]),
            term_years=int(row["term_years"]),
            source_id=row["source_id"],
        )
        for row in _rows("patent_terms")
    )


@cache
def fee_rules() -> tuple[FeeRule, ...]:
    return tuple(
        FeeRule(
            rules_version=row["rules_version"],
            patent_type=PatentType(row["patent_type"]),
            year_from=int(row["year_from"]),
            year_to=int(row["year_to"]),
            fee_cny=Decimal(row["fee_cny"]),
            source_id=row["source_id"],
        )
        for row in _rows("annual_fees")
    )


@cache
def reduction_rules() -> dict[str, ReductionRule]:
    return {
        row["reduction"]: ReductionRule(
            rules_version=row["rules_version"],
            reduction=row["reduction"],
            reduced_by=Decimal(row["reduced_by"]),
            source_id=row["source_id"],
        )
        for row in _rows("fee_reductions")
    }


@cache
def surcharge_rules() -> dict[int, SurchargeRule]:
    return {
        int(row["grace_month"]): SurchargeRule(
            rules_version=row["rules_version"],
            grace_month=int(row["grace_month"]),
            surcharge=Decimal(row["surcharge"]),
            source_id=row["source_id"],
        )
        for row in _rows("late_surcharges")
    }


def grace_months() -> int:
    """Length of the late-payment window in months (the last month with a surcharge rule)."""
    return max(surcharge_rules())


def term_rule(jurisdiction: str, patent_type: PatentType, filing_date: date) -> TermRule | None:
    """The term rule for a patent, or None when no rule applies (its expiry must be given)."""
    exact = [r for r in term_rules() if r.applies(jurisdiction, patent_type, filing_date)]
    # A rule naming the jurisdiction wins over the catch-all "*".
    exact.sort(key=lambda r: r.jurisdiction == "*")
    return exact[0] if exact else None


def fee_rule(patent_type: PatentType, year: int) -> FeeRule | None:
    for rule in fee_rules():
        if rule.patent_type is patent_type and rule.year_from <= year <= rule.year_to:
            return rule
    return None

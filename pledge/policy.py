"""Lender policy as data: LTV cap, maximum loan term and valuation validity per lender and type.

``pledge/data/lender_policies.csv`` holds one setting per row (``policy_version, lender,
patent_type, setting, value, unit, source_id, note``); ``patent_type`` ``*`` covers every type.
A setting for (lender, type) is looked up in this order: the lender's row for the type, the
lender's ``*`` row, the ``default`` lender's row for the type, its ``*`` row. A lender that has
no rows at all gets the default policy; the resolved policy names the lender whose row gave each
value.

The ``default`` lender's LTV cap (质押率) is not repeated here: it is the cap valuation already
uses for the indicative maximum loan (``valuation/data/ltv_caps.csv``, read through
``valuation.constants.read_table`` by :func:`valuation.pledge_value.ltv_caps`), so the pre-check
and the appraisal cannot drift apart. A lender's own ``ltv_cap`` rows override it.

The LTV of a loan is its amount over the sum of the appraised values of the pledged patents; the
cap of a portfolio mixing types is the value-weighted cap, so the loan fits the policy when
``amount ≤ Σ value_i · cap_i``, compared exactly, before any rounding.

References
----------
.. [1] docs/DOMAIN.md §4 "Pledge financing": one bank caps invention patents at 25 %, utility
   models at 15 %, term at most 3 years; a valuation is valid e.g. 12 months from its base date.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.dates import add_months
from models.enums import PatentType
from models.money import CurrencyMismatchError, Money
from models.patent_number import PatentNumber
from pledge import constants
from valuation.pledge_value import ltv_caps

if TYPE_CHECKING:
    from valuation.engine import ValuationResult

DEFAULT_LENDER = "default"
ALL_TYPES = "*"
_LTV_PLACES = Decimal("0.0001")


class PolicyError(ValueError):
    """The policy data are inconsistent, or a setting cannot be resolved."""


class Setting(StrEnum):
    """The settings a lender policy holds per patent type."""

    LTV_CAP = "ltv_cap"  # fraction of the appraised value
    MAX_TERM_MONTHS = "max_term_months"
    VALUATION_VALIDITY_MONTHS = "valuation_validity_months"


_INTEGER_SETTINGS = frozenset({Setting.MAX_TERM_MONTHS, Setting.VALUATION_VALIDITY_MONTHS})


class PolicyValue(BaseModel):
    """One resolved setting: its value, the lender whose row gave it, and its source."""

    model_config = ConfigDict(frozen=True)

    setting: Setting
    value: Decimal
    lender: str
    source_id: str


class TypePolicy(BaseModel):
    """A lender's policy for one patent type."""

    model_config = ConfigDict(frozen=True)

    lender: str
    patent_type: PatentType
    ltv_cap: PolicyValue
    max_term_months: PolicyValue
    valuation_validity_months: PolicyValue

    @property
    def cap(self) -> Decimal:
        """The LTV cap as a fraction (0.25 is 25 %)."""
        return self.ltv_cap.value

    @property
    def max_term(self) -> int:
        """The longest loan term the lender accepts, in months."""
        return int(self.max_term_months.value)

    @property
    def validity(self) -> int:
        """Months a valuation stays usable after its base date."""
        return int(self.valuation_validity_months.value)


@dataclass(frozen=True, slots=True)
class PolicyBook:
    """Every lender's settings, keyed by (lender, patent type or ``*``, setting)."""

    version: str
    values: Mapping[tuple[str, str, Setting], PolicyValue]

    @property
    def lenders(self) -> frozenset[str]:
        """The lenders with rows of their own (``default`` among them)."""
        return frozenset(lender for lender, _, _ in self.values)

    def resolve(self, lender: str, patent_type: PatentType, setting: Setting) -> PolicyValue:
        """The value of ``setting`` for ``lender`` and ``patent_type``, by the lookup order."""
        for who in (lender, DEFAULT_LENDER):
            for kind in (patent_type.value, ALL_TYPES):
                found = self.values.get((who, kind, setting))
                if found is not None:
                    return found
        raise PolicyError(f"no {setting.value} for lender {lender!r} and {patent_type.value}")

    def for_type(self, lender: str, patent_type: PatentType) -> TypePolicy:
        """The policy ``lender`` applies to patents of ``patent_type``."""
        return TypePolicy(
            lender=lender,
            patent_type=patent_type,
            **{s.value: self.resolve(lender, patent_type, s) for s in Setting},
        )


def _value(row: Mapping[str, str], setting: Setting, where: str) -> Decimal:
    value = Decimal(row["value"])
    if setting is Setting.LTV_CAP and not Decimal(0) <= value <= Decimal(1):
        raise PolicyError(f"{where}: ltv_cap {value} is outside 0..1")
    if setting in _INTEGER_SETTINGS and (value != value.to_integral_value() or value < 1):
        raise PolicyError(f"{where}: {setting.value} {value} is not a whole number of months ≥ 1")
    return value


def load_policies(rows: Iterable[Mapping[str, str]]) -> PolicyBook:
    """A policy book from rows shaped as ``lender_policies.csv``, with the default LTV caps."""
    sources = constants.sources()
    values: dict[tuple[str, str, Setting], PolicyValue] = {
        (DEFAULT_LENDER, kind.value, Setting.LTV_CAP): PolicyValue(
            setting=Setting.LTV_CAP, value=cap.value, lender=DEFAULT_LENDER, source_id=cap.source_id
        )
        for kind, cap in ltv_caps().items()
    }
    versions: set[str] = set()
    for number, row in enumerate(rows, start=2):
        where = f"lender_policies line {number}"
        try:
            setting = Setting(row["setting"])
        except ValueError:
            raise PolicyError(f"{where}: unknown setting {row['setting']!r}") from None
        kind = row["patent_type"]
        if kind != ALL_TYPES and kind not in {t.value for t in PatentType}:
            raise PolicyError(f"{where}: unknown patent type {kind!r}")
        if row["source_id"] not in sources:
            raise PolicyError(f"{where}: source_id {row['source_id']!r} is not a known source")
        key = (row["lender"].strip(), kind, setting)
        if key in values and not (key[0] == DEFAULT_LENDER and setting is Setting.LTV_CAP):
            raise PolicyError(f"{where}: {key} is defined twice")
        values[key] = PolicyValue(
            setting=setting,
            value=_value(row, setting, where),
            lender=key[0],
            source_id=row["source_id"],
        )
        versions.add(row["policy_version"])
    book = PolicyBook(version=";".join(sorted(versions)), values=values)
    for kind in PatentType:  # the default lender must answer every question
        book.for_type(DEFAULT_LENDER, kind)
    return book


@cache
def policy_book() -> PolicyBook:
    """The shipped lender policies (``pledge/data/lender_policies.csv``)."""
    return load_policies(constants.read_table("lender_policies"))


def valuation_valid_until(base_date: date, validity_months: int) -> date:
    """The last day a valuation with ``base_date`` may be relied on."""
    return add_months(base_date, validity_months)


class PatentValuation(BaseModel):
    """An appraisal of one patent as the pledge checks need it: base date, value, max loan."""

    model_config = ConfigDict(frozen=True)

    patent_number: str
    patent_type: PatentType
    base_date: date
    value: Money
    max_loan: Money | None = None

    @field_validator("patent_number", mode="before")
    @classmethod
    def _normalised(cls, value: Any) -> str:
        return PatentNumber.parse(str(value)).patent_number

    @field_validator("value")
    @classmethod
    def _not_negative(cls, value: Money) -> Money:
        if value.amount < 0:
            raise ValueError(f"appraised value must not be negative, got {value}")
        return value

    @classmethod
    def from_result(cls, result: ValuationResult) -> PatentValuation:
        """The valuation of ``valuation.engine.value_patent``'s result."""
        if result.value is None:
            raise ValueError(f"{result.patent_id} has no reconciled value to pledge against")
        kind = result.pledge.patent_type if result.pledge is not None else None
        kind = kind or PatentNumber.parse(result.patent_id).patent_type
        if kind is None:
            raise ValueError(f"{result.patent_id}: the patent type is not known")
        return cls(
            patent_number=result.patent_id,
            patent_type=kind,
            base_date=result.base_date,
            value=result.value,
            max_loan=None if result.pledge is None else result.pledge.max_loan,
        )


class LtvCheck(BaseModel):
    """A loan amount against the appraised values of its collateral and the lender's caps."""

    model_config = ConfigDict(frozen=True)

    amount: Money
    appraised_total: Money
    ltv: Annotated[Decimal, Field(ge=0)] | None
    cap: Decimal | None
    policy_max_loan: Money
    within: bool
    cap_lender: str = DEFAULT_LENDER
    """Whose policy rows gave the caps: the lender's own when any did, else ``default``."""


def ltv_by_type(
    amount: Money,
    values: Mapping[PatentType, Money],
    lender: str,
    book: PolicyBook | None = None,
) -> LtvCheck:
    """LTV = amount / Σ appraised values, against ``lender``'s value-weighted cap.

    ``values`` holds the appraised total of the collateral per patent type.
    """
    book = book or policy_book()
    currency = amount.currency
    for kind, value in values.items():
        if value.currency != currency:
            raise CurrencyMismatchError(
                f"the {kind.value} collateral is valued in {value.currency}, "
                f"the loan is in {currency}: convert first"
            )
    appraised = sum((v.amount for v in values.values()), Decimal(0))
    caps = {k: book.resolve(lender, k, Setting.LTV_CAP) for k in values}
    capped = sum((v.amount * caps[k].value for k, v in values.items()), Decimal(0))
    own = any(cap.lender == lender for cap in caps.values())
    exact = appraised != 0
    return LtvCheck(
        amount=amount,
        appraised_total=Money.of(appraised, currency),
        ltv=(amount.amount / appraised).quantize(_LTV_PLACES, ROUND_HALF_EVEN) if exact else None,
        cap=(capped / appraised).quantize(_LTV_PLACES, ROUND_HALF_EVEN) if exact else None,
        policy_max_loan=Money.of(capped, currency),
        within=amount.amount <= capped,
        cap_lender=lender if own else DEFAULT_LENDER,
    )


def check_ltv(
    amount: Money,
    valuations: Sequence[PatentValuation],
    lender: str,
    book: PolicyBook | None = None,
) -> LtvCheck:
    """LTV of ``amount`` against the appraised values of ``valuations`` (:func:`ltv_by_type`)."""
    values: dict[PatentType, Money] = {}
    for valuation in valuations:
        kind = valuation.patent_type
        values[kind] = values[kind] + valuation.value if kind in values else valuation.value
    return ltv_by_type(amount, values, lender, book)

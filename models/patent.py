"""The patent: what it is, who owns it, and what follows from the statutory rules."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from models import rules
from models.dates import add_years, years_between
from models.enums import FeeReduction, LegalStatus, LicenceKind, PatentType
from models.money import Money, round_money, to_decimal
from models.patent_number import PatentNumber

_IPC = re.compile(r"^[A-H]\d{2}[A-Z](?:\s*\d{1,4}/\d{1,6})?$", re.ASCII)
_HUNDRED = Decimal(100)


class RuleError(ValueError):
    """A statutory rule cannot be applied (no fee table, no term rule, year out of range)."""


class Owner(BaseModel):
    """A registered patentee (专利权人) with its share."""

    model_config = ConfigDict(frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=200)]
    party_id: str | None = None
    share_percent: Annotated[Decimal, Field(gt=0, le=100)] = _HUNDRED
    consents_to_pledge: bool = False

    @field_validator("share_percent", mode="before")
    @classmethod
    def _exact(cls, value: Any) -> Decimal:
        return to_decimal(value)


class Licence(BaseModel):
    """A licence granted under the patent (专利实施许可)."""

    model_config = ConfigDict(frozen=True)

    licensee: Annotated[str, Field(min_length=1)]
    kind: LicenceKind = LicenceKind.NON_EXCLUSIVE
    start: date | None = None
    end: date | None = None
    royalty_rate: Annotated[Decimal, Field(ge=0, le=1)] | None = None

    @field_validator("royalty_rate", mode="before")
    @classmethod
    def _exact(cls, value: Any) -> Decimal | None:
        return None if value is None else to_decimal(value)

    @field_validator("end")
    @classmethod
    def _after_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("start")
        if value is not None and start is not None and value < start:
            raise ValueError(f"licence ends {value} before it starts {start}")
        return value


class Patent(BaseModel):
    """A patent or application with the features valuation and pledge checks use.

    Dates follow the register; counts are non-negative; owners' shares sum to 100 %.
    For CN numbers the type and filing year are read from the number and must agree with the
    fields given.
    """

    model_config = ConfigDict(frozen=True)

    number: PatentNumber
    patent_type: PatentType
    title: Annotated[str, Field(max_length=500)] = ""
    owners: list[Owner] = Field(default_factory=list)
    filing_date: date
    grant_date: date | None = None
    legal_status: LegalStatus = LegalStatus.IN_FORCE
    fees_paid_through_year: Annotated[int, Field(ge=0, le=40)] | None = None
    fee_reduction: FeeReduction | None = None
    ipc_codes: list[str] = Field(default_factory=list)
    claims: NonNegativeInt | None = None
    independent_claims: NonNegativeInt | None = None
    forward_citations: NonNegativeInt | None = None
    backward_citations: NonNegativeInt | None = None
    npl_citations: NonNegativeInt | None = None
    family_size: Annotated[int, Field(ge=1)] | None = None
    family_countries: list[str] = Field(default_factory=list)
    inventors: list[str] = Field(default_factory=list)
    invalidation_pending: bool = False
    invalidations_survived: NonNegativeInt = 0
    in_litigation: bool = False
    ownership_dispute: bool = False
    preservation_until: date | None = None
    licences: list[Licence] = Field(default_factory=list)
    industry: str | None = None
    term_adjustment_days: Annotated[int, Field(ge=0, le=14 * 366)] = 0
    expiry_date_given: date | None = None

    @model_validator(mode="before")
    @classmethod
    def _type_from_number(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("patent_type") is None:
            try:
                number = PatentNumber.model_validate(data.get("number"))
            except ValueError:
                return data  # the number's own error is reported on its field
            if number.patent_type is not None:
                return {**data, "patent_type": number.patent_type}
        return data

    @field_validator("patent_type")
    @classmethod
    def _type_matches_number(cls, value: PatentType, info: ValidationInfo) -> PatentType:
        number: PatentNumber | None = info.data.get("number")
        if number is not None and number.patent_type not in (None, value):
            raise ValueError(
                f"{value.value} does not match number {number}, whose type digit "
                f"{number.type_digit} means {number.patent_type}"
            )
        return value

    @field_validator("owners")
    @classmethod
    def _shares_sum_to_100(cls, value: list[Owner]) -> list[Owner]:
        if value:
            shares = sum((o.share_percent for o in value), Decimal(0))
            if shares != _HUNDRED:
                raise ValueError(f"owners' shares sum to {shares} %, not 100 %")
        return value

    @field_validator("filing_date")
    @classmethod
    def _filing_year_matches(cls, value: date, info: ValidationInfo) -> date:
        number: PatentNumber | None = info.data.get("number")
        if number is not None and number.filing_year not in (None, value.year):
            raise ValueError(
                f"filed {value} but number {number} encodes filing year {number.filing_year}"
            )
        return value

    @field_validator("grant_date")
    @classmethod
    def _granted_after_filing(cls, value: date | None, info: ValidationInfo) -> date | None:
        filing: date | None = info.data.get("filing_date")
        if value is not None and filing is not None and value < filing:
            raise ValueError(f"grant date {value} is before filing date {filing}")
        return value

    @field_validator("ipc_codes")
    @classmethod
    def _ipc_format(cls, value: list[str]) -> list[str]:
        codes = [" ".join(code.split()).upper() for code in value]
        for code in codes:
            if not _IPC.match(code):
                raise ValueError(f"{code!r} is not an IPC code (e.g. H01M 10/052 or H01M)")
        return codes

    @field_validator("independent_claims")
    @classmethod
    def _independent_within_claims(cls, value: int | None, info: ValidationInfo) -> int | None:
        claims: int | None = info.data.get("claims")
        if value is not None and claims is not None and value > claims:
            raise ValueError(f"{value} independent claims exceed the {claims} claims")
        return value

    @field_validator("family_countries")
    @classmethod
    def _country_codes(cls, value: list[str]) -> list[str]:
        codes = [code.strip().upper() for code in value]
        for code in codes:
            if not re.fullmatch(r"[A-Z]{2}", code):
                raise ValueError(f"{code!r} is not a two-letter country code")
        return codes

    @model_validator(mode="after")
    def _has_term(self) -> Patent:
        if self.expiry_date_given is None and self.term_rule is None:
            raise ValueError(
                "expiry_date_given is required for a "
                f"{self.jurisdiction} {self.patent_type.value}: no statutory term rule applies"
            )
        if self.legal_status is LegalStatus.IN_FORCE and self.grant_date is None:
            raise ValueError("grant_date is required when legal_status is in_force")
        if self.expiry_date_given is not None and self.expiry_date_given <= self.filing_date:
            raise ValueError(
                f"expiry_date_given {self.expiry_date_given} is not after the filing date "
                f"{self.filing_date}"
            )
        return self

    # -- derived -------------------------------------------------------------------------------

    @property
    def jurisdiction(self) -> str:
        return self.number.jurisdiction

    @property
    def is_granted(self) -> bool:
        return self.grant_date is not None

    @property
    def term_rule(self) -> rules.TermRule | None:
        return rules.term_rule(self.jurisdiction, self.patent_type, self.filing_date)

    @property
    def expiry_date(self) -> date:
        """The day the term ends: filing date + statutory term (+ adjustment), or as given."""
        if self.expiry_date_given is not None:
            return self.expiry_date_given
        rule = self.term_rule
        if rule is None:  # excluded by validation
            raise RuleError(f"no term rule for {self.jurisdiction} {self.patent_type}")
        return add_years(self.filing_date, rule.term_years) + timedelta(
            days=self.term_adjustment_days
        )

    def remaining_term(self, at: date) -> Decimal:
        """Years of legal term left at ``at`` (0 at or after expiry), to four decimals."""
        years = max(years_between(at, self.expiry_date), Decimal(0))
        return years.quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)

    def legal_status_at(self, at: date) -> LegalStatus:
        """The legal status at ``at``: as recorded, except that a patent (or application)
        recorded as alive has expired once its term has ended, on or after the expiry date."""
        alive = self.legal_status in (LegalStatus.IN_FORCE, LegalStatus.PENDING)
        return LegalStatus.EXPIRED if alive and at >= self.expiry_date else self.legal_status

    def patent_year(self, at: date) -> int:
        """The patent year (1 from the filing date) in which ``at`` falls."""
        if at < self.filing_date:
            raise RuleError(f"{at} is before the filing date {self.filing_date}")
        return int(years_between(self.filing_date, at)) + 1

    def fee_due_date(self, year: int) -> date:
        """The date the annual fee for patent year ``year`` falls due (its first day)."""
        return add_years(self.filing_date, year - 1)

    def annual_fee(self, year: int, reduction: FeeReduction | None = None) -> Money:
        """The annual fee for patent year ``year``, after ``reduction`` (default: the patent's)."""
        return annual_fee(
            self.patent_type, year, reduction or self.fee_reduction, self.jurisdiction
        )


def annual_fee(
    patent_type: PatentType,
    year: int,
    reduction: FeeReduction | None = None,
    jurisdiction: str = "CN",
) -> Money:
    """The CNIPA annual fee for patent year ``year``, reduced by ``reduction`` if given."""
    if jurisdiction != "CN":
        raise RuleError(f"no annual fee table for jurisdiction {jurisdiction}")
    rule = rules.fee_rule(patent_type, year)
    if rule is None:
        raise RuleError(f"no annual fee for a {patent_type.value} in patent year {year}")
    fee = rule.fee_cny
    if reduction is not None:
        fee = fee * (1 - rules.reduction_rules()[reduction.value].reduced_by)
    return Money(amount=round_money(fee))


def late_surcharge(fee: Money, grace_month: int) -> Money:
    """Surcharge for paying ``fee`` in month ``grace_month`` (1-based) of the grace window."""
    table = rules.surcharge_rules()
    if grace_month not in table:
        raise RuleError(
            f"month {grace_month} is outside the {rules.grace_months()}-month grace window: "
            "the right has ended"
        )
    return fee * table[grace_month].surcharge

"""First shapes of the appraisal, pledge and loan records; the valuation and pledge packages
fill them out."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from models.enums import (
    DayCount,
    LoanStatus,
    PledgeStatus,
    RepaymentMethod,
    ValueType,
)
from models.money import Money, Rate
from models.patent_number import PatentNumber


class AppraisalSummary(BaseModel):
    """The headline of an appraisal: what was valued, as of when, and the values reached."""

    model_config = ConfigDict(frozen=True)

    appraisal_id: str
    patents: Annotated[list[PatentNumber], Field(min_length=1)]
    base_date: date
    value_type: ValueType = ValueType.MARKET_VALUE
    market_value: Money
    realisable_value: Money
    max_loan: Money
    engine_version: str


class Pledge(BaseModel):
    """A pledge of one or more patents by a pledgor to a pledgee, securing an amount."""

    model_config = ConfigDict(frozen=True)

    pledge_id: str
    patents: Annotated[list[PatentNumber], Field(min_length=1)]
    pledgor_id: str
    pledgee_id: str
    secured_amount: Money
    status: PledgeStatus = PledgeStatus.DRAFT
    registration_number: str | None = None
    registered_on: date | None = None

    @field_validator("secured_amount")
    @classmethod
    def _positive(cls, value: Money) -> Money:
        if value.amount <= 0:
            raise ValueError(f"secured amount must be positive, got {value}")
        return value

    @field_validator("pledgee_id")
    @classmethod
    def _distinct_parties(cls, value: str, info: ValidationInfo) -> str:
        if value == info.data.get("pledgor_id"):
            raise ValueError("pledgee and pledgor must be different parties")
        return value


class Loan(BaseModel):
    """A loan secured by a pledge."""

    model_config = ConfigDict(frozen=True)

    loan_id: str
    borrower_id: str
    lender_id: str
    pledge_id: str | None = None
    principal: Money
    annual_rate: Rate
    term_months: Annotated[int, Field(ge=1, le=360)]
    repayment: RepaymentMethod = RepaymentMethod.EQUAL_INSTALMENTS
    day_count: DayCount = DayCount.ACT_365
    status: LoanStatus = LoanStatus.SUBMITTED
    maker: str
    approver: str | None = None

    @field_validator("principal")
    @classmethod
    def _positive(cls, value: Money) -> Money:
        if value.amount <= 0:
            raise ValueError(f"principal must be positive, got {value}")
        return value

    @field_validator("annual_rate")
    @classmethod
    def _rate_range(cls, value: Rate) -> Rate:
        if not 0 <= value < 1:
            raise ValueError(f"annual rate {value} is outside 0..1 (write 4.35 % as 0.0435)")
        return value

    @field_validator("approver")
    @classmethod
    def _four_eyes(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and value == info.data.get("maker"):
            raise ValueError(f"the approver {value!r} is the maker: a second person must approve")
        return value

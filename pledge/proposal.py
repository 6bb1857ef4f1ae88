"""What the pledge pre-check is asked: the proposed loan and the contract's required items.

A :class:`ProposedLoan` names the amount, term, lender and pledgor, and carries what the parties
have stated: the contract terms (when drafted), whether the contract has a forfeiture clause, and
which soft findings the pledgee has acknowledged. The contract must state the parties, the secured
amount, the term, the list of pledged patents and the scope of the security (CNIPA Measures for
Patent Pledge Registration, docs/DOMAIN.md §4).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.dates import add_months
from models.money import Money
from models.patent_number import PatentNumber
from pledge.findings import ACKNOWLEDGEABLE, Code
from pledge.policy import DEFAULT_LENDER


class Unchecked(StrEnum):
    """Rules left unchecked because their input was not given."""

    FEES = "fees"  # fees_paid_through_year unknown, or no CN fee rules apply
    CONTRACT = "contract"  # no contract terms given
    VALUATION = "valuation"  # no valuation: validity, LTV and max loan unchecked


def normalise_number(number: object) -> str:
    """A patent number in its granted form (``ZL201710601862.3``)."""
    return PatentNumber.parse(str(number)).patent_number


class ContractTerms(BaseModel):
    """The items a pledge contract must state; a missing item is ``None`` or empty."""

    model_config = ConfigDict(frozen=True)

    pledgor: str | None = None
    pledgee: str | None = None
    secured_amount: Money | None = None
    term_months: Annotated[int, Field(ge=1)] | None = None
    patents: tuple[str, ...] = ()
    scope: str | None = None

    @field_validator("patents", mode="before")
    @classmethod
    def _numbers(cls, value: Any) -> tuple[str, ...]:
        return tuple(normalise_number(n) for n in value)

    def missing(self) -> tuple[str, ...]:
        """The missing items, as catalogue variants of ``CONTRACT_INCOMPLETE``."""
        given = {
            "parties": bool((self.pledgor or "").strip() and (self.pledgee or "").strip()),
            "secured_amount": self.secured_amount is not None,
            "term": self.term_months is not None,
            "patents": bool(self.patents),
            "scope": bool((self.scope or "").strip()),
        }
        return tuple(item for item, present in given.items() if not present)


class ProposedLoan(BaseModel):
    """The loan the patents are to secure, and what the parties have stated about it."""

    model_config = ConfigDict(frozen=True)

    amount: Money
    term_months: Annotated[int, Field(ge=1, le=360)]
    pledgor: Annotated[str, Field(min_length=1)]
    lender: str = DEFAULT_LENDER
    lender_name: str | None = None
    """How the findings name the lender (its party name); its id when not given."""
    start: date | None = None
    contract: ContractTerms | None = None
    forfeiture_clause: bool = False
    acknowledged: frozenset[Code] = frozenset()

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: Money) -> Money:
        if value.amount <= 0:
            raise ValueError(f"the loan amount must be positive, got {value}")
        return value

    @field_validator("acknowledged")
    @classmethod
    def _soft_only(cls, value: frozenset[Code]) -> frozenset[Code]:
        hard = value - ACKNOWLEDGEABLE
        if hard:
            raise ValueError(f"only soft findings can be acknowledged, not {sorted(hard)}")
        return value

    def end(self, at: date) -> date:
        """The day the debt term ends, counted from ``start`` (or ``at``)."""
        return add_months(self.start or at, self.term_months)

"""Domain types of patentval: money, patent numbers, patents, parties, and lending records.

Pure pydantic types; nothing here touches HTTP or a database.
"""

from models.enums import (
    DayCount,
    FeeReduction,
    LegalStatus,
    LicenceKind,
    LoanStatus,
    PartyKind,
    PatentType,
    PledgeStatus,
    RepaymentMethod,
    ValueType,
)
from models.lending import AppraisalSummary, Loan, Pledge
from models.money import CurrencyMismatchError, Fraction, Money, Rate, round_money, to_decimal
from models.parties import Party
from models.patent import Licence, Owner, Patent, RuleError, annual_fee, late_surcharge
from models.patent_number import InvalidPatentNumberError, PatentNumber

__all__ = [
    "AppraisalSummary",
    "CurrencyMismatchError",
    "DayCount",
    "FeeReduction",
    "Fraction",
    "InvalidPatentNumberError",
    "LegalStatus",
    "Licence",
    "LicenceKind",
    "Loan",
    "LoanStatus",
    "Money",
    "Owner",
    "Party",
    "PartyKind",
    "Patent",
    "PatentNumber",
    "PatentType",
    "Pledge",
    "PledgeStatus",
    "Rate",
    "RepaymentMethod",
    "RuleError",
    "ValueType",
    "annual_fee",
    "late_surcharge",
    "round_money",
    "to_decimal",
]

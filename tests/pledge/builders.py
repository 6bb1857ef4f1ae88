"""Builders shared by the pledge tests: a clean patent, a clean loan, a valuation.

Each builds a case with no finding; a test changes the one field it is about."""

from datetime import date
from typing import Any

from models import Money, Patent
from models.patent_number import check_character
from pledge.policy import PatentValuation
from pledge.proposal import ContractTerms, ProposedLoan

AT = date(2025, 6, 1)
OWNER = "金华示例科技有限公司"
DIGITS = {"invention": 1, "utility_model": 2, "design": 3}


def cn_number(year: int, kind: str = "invention", serial: int = 601862) -> str:
    digits = f"{year}{DIGITS[kind]}{serial:07d}"
    return f"ZL{digits}.{check_character(digits)}"


def make_patent(kind: str = "invention", serial: int = 601862, **fields: Any) -> Patent:
    """A granted patent in force, fees paid for the current year, one owner: no finding."""
    filing: date = fields.pop("filing_date", date(2019, 9, 1))
    data: dict[str, Any] = {
        "number": cn_number(filing.year, kind, serial),
        "filing_date": filing,
        "grant_date": date(filing.year + 2, 1, 15),
        "owners": [{"name": OWNER, "share_percent": "100"}],
        "fees_paid_through_year": 6,  # patent year 6 runs 2024-09-01 .. 2025-08-31
    }
    data.update(fields)
    return Patent.model_validate(data)


def make_loan(*listed: Patent, **fields: Any) -> ProposedLoan:
    """A 24-month loan of CNY 200,000 with a complete contract listing ``listed``: no finding."""
    numbers = tuple(p.number.patent_number for p in listed) or (cn_number(2019),)
    data: dict[str, Any] = {
        "amount": Money.of("200000"),
        "term_months": 24,
        "pledgor": OWNER,
        "contract": ContractTerms(
            pledgor=OWNER,
            pledgee="示例银行金华分行",
            secured_amount=Money.of("200000"),
            term_months=24,
            patents=numbers,
            scope="本金、利息、违约金及实现质权的费用",
        ),
    }
    data.update(fields)
    return ProposedLoan.model_validate(data)


def make_valuation(patent: Patent, value: str = "1000000", **fields: Any) -> PatentValuation:
    data: dict[str, Any] = {
        "patent_number": patent.number.patent_number,
        "patent_type": patent.patent_type,
        "base_date": date(2025, 1, 1),
        "value": Money.of(value),
    }
    data.update(fields)
    return PatentValuation.model_validate(data)

"""Builders shared by the storage tests: parties, a registered patent, a pledge ready to lend
against, and a disbursed loan. Each returns what it stored."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from models import Loan, Money, Party, Patent, Pledge
from pledge.lifecycle import LoanEvent, PledgeEvent
from storage import loans, parties, patents, pledges
from tests.pledge.builders import OWNER, make_patent, make_valuation

ON = date(2025, 6, 1)
BANK = Party(party_id="bank-jh", kind="bank", name="示例银行金华分行")
ENTERPRISE = Party(party_id="ent-jh", kind="enterprise", name=OWNER, industry="hardware")
CLERK, OFFICER = "clerk", "officer"


def stored_parties(session: Session) -> None:
    for party in (BANK, ENTERPRISE):
        parties.save_party(session, party, actor=CLERK)


def owned_patent(**fields: Any) -> Patent:
    """A clean patent (:func:`tests.pledge.builders.make_patent`) naming the enterprise as its
    owner."""
    owner = {"name": OWNER, "share_percent": "100", "party_id": ENTERPRISE.party_id}
    return make_patent(**{"owners": [owner], **fields})


def stored_patent(session: Session, serial: int = 601862, value: str = "1000000") -> Patent:
    """A clean invention patent owned by the enterprise, with a valuation of ``value``."""
    patent = owned_patent(serial=serial)
    patents.save_patent(session, patent, actor=CLERK)
    valuation = make_valuation(patent, value)
    summary = patents.summarise(f"A-{serial}", [valuation], method="test appraisal")
    patents.save_appraisal(session, summary, [valuation], actor=CLERK)
    return patent


def draft(pledge_id: str, *numbers: str, amount: str = "200000") -> Pledge:
    return Pledge(
        pledge_id=pledge_id,
        patents=list(numbers),  # type: ignore[arg-type]
        pledgor_id=ENTERPRISE.party_id,
        pledgee_id=BANK.party_id,
        secured_amount=Money.of(amount),
    )


def registered_pledge(session: Session, pledge_id: str = "P-1", serial: int = 601862) -> Pledge:
    """A registered pledge of one valued patent (parties stored first)."""
    stored_parties(session)
    patent = stored_patent(session, serial)
    pledges.create_pledge(
        session, draft(pledge_id, patent.number.patent_number), on=ON, actor=CLERK
    )
    for event, extra in (
        (PledgeEvent.PRECHECK_PASSED, {}),
        (PledgeEvent.SUBMIT, {}),
        (PledgeEvent.REGISTER, {"registration_number": f"Y2025-{pledge_id}"}),
    ):
        pledges.transition(session, pledge_id, event, on=ON, actor=CLERK, **extra)
    return pledges.get_pledge(session, pledge_id)


def application(loan_id: str = "L-1", pledge_id: str = "P-1", **fields: Any) -> Loan:
    data: dict[str, Any] = {
        "loan_id": loan_id,
        "borrower_id": ENTERPRISE.party_id,
        "lender_id": BANK.party_id,
        "pledge_id": pledge_id,
        "principal": Money.of("200000"),
        "annual_rate": Decimal("0.0435"),
        "term_months": 12,
        "maker": CLERK,
    }
    data.update(fields)
    return Loan.model_validate(data)


def active_loan(session: Session, loan_id: str = "L-1", **fields: Any) -> Loan:
    """A disbursed loan secured by a registered pledge."""
    pledge = registered_pledge(session, pledge_id=f"P-{loan_id}")
    loans.create_loan(session, application(loan_id, pledge.pledge_id, **fields), on=ON, actor=CLERK)
    loans.transition(session, loan_id, LoanEvent.APPROVE, on=ON, actor=OFFICER)
    return loans.transition(session, loan_id, LoanEvent.DISBURSE, on=ON, actor=OFFICER)

"""Refusals of the pure pledge package and validation errors become domain errors with a code,
the field and the reason."""

from datetime import date

import pytest
from sqlalchemy.orm import Session

from models import Party, Pledge
from pledge.lifecycle import PledgeEvent
from storage import loans, parties, pledges
from storage.errors import DomainError, ErrorKind, domain_errors
from storage.tables import LoanRow
from tests.storage.builders import (
    BANK,
    CLERK,
    ON,
    application,
    draft,
    registered_pledge,
    stored_parties,
    stored_patent,
)


def test_a_validation_error_names_its_field() -> None:
    with pytest.raises(DomainError) as refused, domain_errors():
        Pledge.model_validate(
            {
                "pledge_id": "P",
                "patents": ["ZL201710601862.3"],
                "pledgor_id": "a",
                "pledgee_id": "b",
                "secured_amount": {"amount": "-1"},
            }
        )
    assert (refused.value.code, refused.value.kind) == ("INVALID", ErrorKind.INVALID)
    assert refused.value.field == "secured_amount"
    assert "positive" in refused.value.reason


def test_an_event_before_the_registration_is_refused(session: Session) -> None:
    registered_pledge(session)
    with pytest.raises(DomainError) as refused:
        pledges.transition(
            session, "P-1", PledgeEvent.REQUEST_RELEASE, on=date(2025, 5, 1), actor=CLERK
        )
    assert "before the registration" in str(refused.value)
    assert pledges.get_pledge(session, "P-1").registered_on == ON


def test_each_party_takes_only_the_parts_its_kind_plays(session: Session) -> None:
    """A pledge is given by an enterprise to a bank; a loan is lent by a bank to an
    enterprise: any other pairing is WRONG_PARTY_KIND on the field, and writes nothing."""
    stored_parties(session)
    number = stored_patent(session).number.patent_number
    office = Party(party_id="office", kind="regulator", name="示例市场监督管理局")
    other_firm = Party(party_id="firm-2", kind="enterprise", name="另一家企业")
    guarantor = Party(party_id="guar", kind="guarantor", name="示例融资担保公司")
    for party in (office, other_firm, guarantor):
        parties.save_party(session, party, actor=CLERK)
    for pledgee in ("office", "guar", "firm-2"):
        wrong = draft("P-9", number).model_copy(update={"pledgee_id": pledgee})
        with pytest.raises(DomainError) as refused:
            pledges.create_pledge(session, wrong, on=ON, actor=CLERK)
        assert (refused.value.code, refused.value.field) == ("WRONG_PARTY_KIND", "pledgee_id")
    assert refused.value.reason == ("firm-2 is of kind enterprise: the pledgee is of kind bank")
    assert pledges.live_pledges(session) == {}
    for borrower in ("office", BANK.party_id):
        with pytest.raises(DomainError) as refused:
            loans.create_loan(
                session,
                application("L-9", pledge_id=None, borrower_id=borrower),
                on=ON,
                actor=CLERK,
            )
        assert (refused.value.code, refused.value.field) == ("WRONG_PARTY_KIND", "borrower_id")
    assert session.get(LoanRow, "L-9") is None

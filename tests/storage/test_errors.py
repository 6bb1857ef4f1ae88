"""Refusals of the pure pledge package and validation errors become domain errors with a code,
the field and the reason."""

from datetime import date

import pytest
from sqlalchemy.orm import Session

from models import Pledge
from pledge.lifecycle import PledgeEvent
from storage import pledges
from storage.errors import DomainError, ErrorKind, domain_errors
from tests.storage.builders import CLERK, ON, registered_pledge


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

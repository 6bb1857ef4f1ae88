"""Sessions of signed-in browsers and the inputs stored with an appraisal, on both engines."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.enums import Role
from models.money import Money
from storage import appraisals, credentials, patents
from storage.errors import DomainError
from storage.tables import WebSessionRow
from storage.web_sessions import close_session, find_session, open_session, token_hash
from tests.pledge.builders import make_patent
from tests.storage.builders import BANK, stored_parties
from valuation.engine import Financials, value_patent
from valuation.reconcile import Approach

HOUR = timedelta(hours=1)


def _credential(session: Session) -> str:
    stored_parties(session)
    issued = credentials.issue_credential(session, BANK.party_id, Role.BANK, label="web", actor="t")
    return issued.credential.credential_id


def test_a_session_is_found_by_its_token_and_stored_only_as_a_hash(session: Session) -> None:
    credential_id = _credential(session)
    token, csrf = open_session(session, credential_id, HOUR)
    found = find_session(session, token)
    assert found is not None
    assert found.credential.credential_id == credential_id
    assert found.csrf_token == csrf
    stored = session.execute(select(WebSessionRow.token_hash)).scalars().all()
    assert stored == [token_hash(token)]
    assert token not in stored
    assert find_session(session, token + "x") is None


def test_a_session_ends_when_closed_expired_or_its_key_revoked(session: Session) -> None:
    credential_id = _credential(session)
    closed, _ = open_session(session, credential_id, HOUR)
    close_session(session, closed)
    assert find_session(session, closed) is None
    expired, _ = open_session(session, credential_id, HOUR)
    session.execute(
        update(WebSessionRow)
        .where(WebSessionRow.token_hash == token_hash(expired))
        .values(expires_at=datetime.now(UTC) - HOUR)
    )
    assert find_session(session, expired) is None
    revoked, _ = open_session(session, credential_id, HOUR)  # clears the expired one
    assert session.get(WebSessionRow, token_hash(expired)) is None
    credentials.revoke_credential(session, credential_id, actor="t")
    assert find_session(session, revoked) is None


def test_the_inputs_of_an_appraisal_come_back_as_the_engine_valued_them(
    session: Session,
) -> None:
    stored_parties(session)
    patent = make_patent(serial=601870)
    patents.save_patent(session, patent, actor="t")
    inputs = appraisals.AppraisalInputs(
        patent=patent,
        financials=Financials(revenue=Money.of("30000000"), royalty_rate=Decimal("0.035")),
        weights={Approach.INCOME: Decimal("0.7"), Approach.MARKET: Decimal("0.3")},
        draws=200,
        seed=5,
    )
    result = value_patent(
        patent,
        inputs.financials,
        base_date=date(2025, 6, 30),
        weights=inputs.weights,
        draws=200,
        seed=5,
    )
    made = appraisals.request_appraisal(
        session,
        result,
        appraisal_id="ap-inputs",
        requested_by=BANK.party_id,
        actor="t",
        request={},
        inputs=inputs,
        idempotency_key="k-1",
    )
    session.expire_all()
    read = appraisals.get_appraisal(session, "ap-inputs")
    assert made == read  # what it returns is what it stored, to the microsecond
    again = appraisals.request_appraisal(
        session,
        result,
        appraisal_id="ap-again",
        requested_by=BANK.party_id,
        actor="t",
        request={},
        inputs=inputs,
        idempotency_key="k-1",
    )
    assert again == read  # a repeat under its key: the first appraisal, read back
    stored = read.valuations[0]
    assert stored.inputs == inputs
    assert stored.result is not None
    assert stored.inputs is not None
    assert stored.inputs.valued(stored.result)
    other = inputs.model_copy(update={"seed": 6})
    with pytest.raises(DomainError, match="not those the result was valued from"):
        appraisals.request_appraisal(
            session,
            result,
            appraisal_id="ap-other",
            requested_by=BANK.party_id,
            actor="t",
            request={},
            inputs=other,
        )

"""A command repeated under its idempotency key returns the first result and writes nothing; the
key cannot be reused for another request; a refused command does not use up its key."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Money
from pledge.lifecycle import PledgeEvent
from storage import audit, loans, pledges
from storage.errors import ErrorKind, IdempotencyConflictError, NotFoundError
from storage.tables import IdempotencyKeyRow, RepaymentRow
from tests.pledge.builders import make_patent
from tests.storage.builders import CLERK, ON, active_loan, draft, stored_parties, stored_patent


def count(session: Session, table: type) -> int:
    return session.execute(select(func.count()).select_from(table)).scalar_one()


def test_a_repeated_repayment_returns_the_first_result_and_changes_nothing(
    session: Session,
) -> None:
    active_loan(session)
    first = loans.repay(session, "L-1", Money.of("5000"), on=ON, actor=CLERK, idempotency_key="r-1")
    events = audit.count(session)
    again = loans.repay(session, "L-1", Money.of("5000"), on=ON, actor=CLERK, idempotency_key="r-1")
    assert again == first
    assert count(session, RepaymentRow) == 1
    assert audit.count(session) == events
    assert loans.position(session, "L-1").principal == Money.of("195000")


def test_another_request_under_a_used_key_is_refused(session: Session) -> None:
    active_loan(session)
    loans.repay(session, "L-1", Money.of("5000"), on=ON, actor=CLERK, idempotency_key="r-1")
    with pytest.raises(IdempotencyConflictError) as other_body:
        loans.repay(session, "L-1", Money.of("6000"), on=ON, actor=CLERK, idempotency_key="r-1")
    assert other_body.value.code == "IDEMPOTENCY_KEY_REUSED"
    assert other_body.value.kind is ErrorKind.CONFLICT
    assert other_body.value.field == "idempotency_key"
    with pytest.raises(IdempotencyConflictError, match=r"loan\.repay"):
        pledges.transition(
            session, "P-L-1", PledgeEvent.REQUEST_RELEASE, on=ON, actor=CLERK, idempotency_key="r-1"
        )
    assert count(session, RepaymentRow) == 1


def test_a_refused_command_leaves_its_key_free(session: Session) -> None:
    stored_parties(session)
    number = make_patent().number.patent_number
    with pytest.raises(NotFoundError):
        pledges.create_pledge(
            session, draft("P-1", number), on=ON, actor=CLERK, idempotency_key="p"
        )
    assert count(session, IdempotencyKeyRow) == 0
    stored_patent(session)
    created = pledges.create_pledge(
        session, draft("P-1", number), on=ON, actor=CLERK, idempotency_key="p"
    )
    replayed = pledges.create_pledge(
        session, draft("P-1", number), on=ON, actor=CLERK, idempotency_key="p"
    )
    assert created == replayed
    assert count(session, IdempotencyKeyRow) == 1

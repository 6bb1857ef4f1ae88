"""Pledges through the service: drafting, the pre-check, every registration event."""

from __future__ import annotations

from sqlalchemy.orm import Session

from api.errors import forbidden
from api.idempotency import idempotent, new_id
from api.schemas.common import PageRead
from api.schemas.financing import (
    PledgeCreate,
    PledgeEventCreate,
    PledgeRead,
    PrecheckCreate,
    PrecheckRead,
)
from api.security import Principal
from api.services.tenancy import scope_of, usable_patent, visible_patent, visible_pledge
from api.services.valuations import LOAN_PATHS
from models.enums import PledgeStatus, Role
from models.lending import Pledge
from pledge.lifecycle import PLEDGE_EVENT_REQUIRES, PledgeEvent
from storage import listings, pledges
from storage.errors import DomainError, domain_errors, request_paths
from storage.parties import get_party, lender_name

PLEDGEE_EVENTS = frozenset(
    {
        PledgeEvent.REQUEST_CORRECTION,
        PledgeEvent.REGISTER,
        PledgeEvent.REFUSE,
        PledgeEvent.RELEASE,
        PledgeEvent.IMPAIR,
        PledgeEvent.ENFORCE,
        PledgeEvent.REALISE,
        PledgeEvent.CANCEL,
    }
)
"""Events only the pledgee (the bank) records: the registration office's decisions as they
reach the bank, and enforcement."""
PLEDGOR_EVENTS = frozenset({PledgeEvent.SUBMIT})
"""Events only the pledgor (the enterprise) records: the application for registration, which
the pledgor signs, so that no pledge is registered without an act of the pledgor's, even when
the bank drafted it; the bank's own act is to record the registration. Either party revises,
withdraws a draft and asks for a release."""


def create_pledge(
    session: Session, principal: Principal, body: PledgeCreate, key: str | None
) -> PledgeRead:
    """Draft a pledge between the caller and the other party."""
    pledgor: str | None
    pledgee: str | None
    if principal.role is Role.BANK:
        pledgee, pledgor = body.pledgee_id or principal.party_id, body.pledgor_id
        if pledgee != principal.party_id:
            raise forbidden("a bank drafts pledges it holds itself", code="NOT_YOUR_PARTY")
        if pledgor is None:
            raise DomainError("body.pledgor_id", "name the enterprise that pledges (its party id)")
        numbers = [usable_patent(session, principal, n) for n in body.patents]
    else:
        pledgor, pledgee = body.pledgor_id or principal.party_id, body.pledgee_id
        if pledgor != principal.party_id:
            raise forbidden("an enterprise drafts pledges it gives itself", code="NOT_YOUR_PARTY")
        if pledgee is None:
            raise DomainError(
                "body.pledgee_id", "name the bank that takes the pledge (its party id)"
            )
        numbers = [visible_patent(session, principal, n) for n in body.patents]
    # the fingerprint keeps the field the body no longer has, so that a retry of a request
    # stored before it was removed (always null) still matches its first answer
    request = {**body.model_dump(mode="json"), "pledge_id": None}

    def work(storage_key: str | None) -> PledgeRead:
        with domain_errors(request_paths(PledgeCreate.model_fields)):
            pledge = Pledge.model_validate(
                {
                    "pledge_id": new_id("pl", storage_key),
                    "patents": numbers,
                    "pledgor_id": pledgor,
                    "pledgee_id": pledgee,
                    "secured_amount": body.secured_amount.money(),
                    "status": PledgeStatus.DRAFT,
                }
            )
        for name, party in (("pledgor_id", pledge.pledgor_id), ("pledgee_id", pledge.pledgee_id)):
            with domain_errors({"party_id": f"body.{name}"}):
                get_party(session, party)
        with domain_errors(request_paths(PledgeCreate.model_fields)):
            created = pledges.create_pledge(
                session, pledge, on=body.on, actor=principal.actor, idempotency_key=storage_key
            )
        return PledgeRead.of(created)

    return idempotent(session, principal, key, "pledge.create", request, PledgeRead, work)


def read_pledge(session: Session, principal: Principal, pledge_id: str) -> PledgeRead:
    """A pledge the caller is a party to."""
    visible_pledge(session, principal, pledge_id)
    return PledgeRead.of(pledges.get_pledge(session, pledge_id))


def list_pledges(
    session: Session,
    principal: Principal,
    *,
    status: PledgeStatus | None,
    patent: str | None,
    limit: int,
    offset: int,
) -> PageRead[PledgeRead]:
    """The pledges the caller is a party to, by id."""
    page = listings.list_pledges(
        session,
        scope_of(principal),
        status=None if status is None else status.value,
        patent=None if patent is None else usable_patent(session, principal, patent),
        limit=limit,
        offset=offset,
    )
    return PageRead[PledgeRead].of(page, PledgeRead.of, limit=limit, offset=offset)


def precheck(
    session: Session, principal: Principal, pledge_id: str, body: PrecheckCreate
) -> PrecheckRead:
    """Pre-check a draft pledge: READY when eligible, PRECHECK_FAILED otherwise."""
    visible_pledge(session, principal, pledge_id)
    current = pledges.get_pledge(session, pledge_id)
    pledgor = get_party(session, current.pledgor_id)
    with domain_errors(LOAN_PATHS):
        lender = body.loan.lender or current.pledgee_id
        loan = body.loan.proposed(pledgor.name, lender, lender_name(session, lender))
    with domain_errors(request_paths(PrecheckCreate.model_fields)):
        outcome = pledges.precheck(session, pledge_id, loan, on=body.on, actor=principal.actor)
    return PrecheckRead.of(outcome)


def transition(
    session: Session,
    principal: Principal,
    pledge_id: str,
    event: PledgeEvent,
    body: PledgeEventCreate,
) -> PledgeRead:
    """Apply one registration event (403 for an enterprise on an event only the pledgee
    records, for a bank on one only the pledgor records)."""
    if event in PLEDGEE_EVENTS and principal.role is not Role.BANK:
        raise forbidden(f"only the pledgee records {event.value}")
    if event in PLEDGOR_EVENTS and principal.role is not Role.ENTERPRISE:
        raise forbidden(
            f"only the pledgor records {event.value}: the application for registration "
            "carries the pledgor's signature"
        )
    visible_pledge(session, principal, pledge_id)
    given = body.model_dump()
    for name in PLEDGE_EVENT_REQUIRES.get(event, ()):
        if not given.get(name):
            raise DomainError(
                f"body.{name}", f"{event.value} must record {name}", code="MISSING_EVENT_DATA"
            )
    with domain_errors(request_paths(PledgeEventCreate.model_fields)):
        updated = pledges.transition(
            session,
            pledge_id,
            event,
            on=body.on,
            actor=principal.actor,
            registration_number=body.registration_number,
            reason=body.reason,
            impairment=body.impairment,
            proceeds=None if body.proceeds is None else body.proceeds.money(),
        )
    return PledgeRead.of(updated)

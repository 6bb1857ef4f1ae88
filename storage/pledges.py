"""Pledges: drafting, the pre-check, and every registration event, persisted one command at a
time through :func:`pledge.lifecycle.apply_pledge_event`.

A patent is in at most one live pledge (:data:`storage.tables.LIVE_PLEDGE_STATUSES`): a pledge
holds its patents from the pledgor's application for registration (submit) on; drafts hold
nothing. The commands check it first and refuse with :class:`~storage.errors.AlreadyPledgedError`;
the database's partial unique index is the guarantee when two requests race. A pledge is given
by a patentee: its pledgor is a party each of its patents names as an owner, when it is drafted
and again when it is submitted.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from pydantic import BaseModel, ConfigDict
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from models.enums import PartyKind, PledgeStatus
from models.lending import Pledge
from models.money import Money
from pledge.eligibility import PortfolioResult, check_portfolio
from pledge.lifecycle import ImpairmentReason, PledgeEvent, apply_pledge_event, apply_precheck
from pledge.policy import PatentValuation
from pledge.proposal import ProposedLoan
from storage import audit
from storage.commands import execute, registration_number_taken
from storage.errors import AlreadyExistsError, AlreadyPledgedError, DomainError, NotFoundError
from storage.parties import require_kind, require_parties
from storage.patents import get_patents, latest_valuations, require_registered
from storage.tables import (
    LIVE_PLEDGE_STATUSES,
    PatentOwnerRow,
    PatentRow,
    PledgedPatentRow,
    PledgeRow,
)

SUBJECT = "pledge"
PLEDGOR_KINDS = frozenset({PartyKind.ENTERPRISE})
"""Who pledges: the enterprise that owns the patents."""
PLEDGEE_KINDS = frozenset({PartyKind.BANK})
"""Who takes a pledge: the lending bank (the only pledgee that records the registration's
events; a guarantor's counter-security pledge is not a record this service keeps)."""


class PrecheckOutcome(BaseModel):
    """A pledge after its pre-check, the pre-check's findings, and the stored valuations
    they rest on (those the pledgee may rely on)."""

    model_config = ConfigDict(frozen=True)

    pledge: Pledge
    result: PortfolioResult
    valuations: tuple[PatentValuation, ...] = ()


def pledge_of(row: PledgeRow, patents: Iterable[str]) -> Pledge:
    """The domain pledge of a row and its patent numbers."""
    return Pledge(
        pledge_id=row.pledge_id,
        patents=list(patents),  # type: ignore[arg-type]
        pledgor_id=row.pledgor_id,
        pledgee_id=row.pledgee_id,
        secured_amount=Money.of(row.secured_amount, row.currency),
        status=PledgeStatus(row.status),
        registration_number=row.registration_number,
        registered_on=row.registered_on,
    )


def _patents_of(session: Session, pledge_id: str) -> list[str]:
    """The pledge's patent numbers, in their order."""
    return list(session.execute(_PATENTS, {"pledge_id": pledge_id}).scalars())


def patents_of_pledges(session: Session, pledge_ids: Iterable[str]) -> dict[str, list[str]]:
    """Each pledge's patent numbers, in their order, for ``pledge_ids``, in one query."""
    query = (
        select(PledgedPatentRow.pledge_id, PledgedPatentRow.patent_id)
        .where(PledgedPatentRow.pledge_id.in_(list(pledge_ids)))
        .order_by(PledgedPatentRow.pledge_id, PledgedPatentRow.position)
    )
    found: dict[str, list[str]] = {}
    for pledge_id, number in session.execute(query):
        found.setdefault(pledge_id, []).append(number)
    return found


_LOCK = (
    select(PledgeRow)
    .where(PledgeRow.pledge_id == bindparam("pledge_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)
_PATENTS = (
    select(PledgedPatentRow.patent_id)
    .where(PledgedPatentRow.pledge_id == bindparam("pledge_id"))
    .order_by(PledgedPatentRow.position)
)


def _locked(session: Session, pledge_id: str) -> PledgeRow:
    """The pledge's row, locked for the rest of the transaction."""
    row = session.execute(_LOCK, {"pledge_id": pledge_id}).scalar_one_or_none()
    if row is None:
        raise NotFoundError("pledge_id", f"no pledge {pledge_id!r}")
    return row


def get_pledge(session: Session, pledge_id: str) -> Pledge:
    """The pledge ``pledge_id``; :class:`NotFoundError` when there is none."""
    row = session.get(PledgeRow, pledge_id, populate_existing=True)
    if row is None:
        raise NotFoundError("pledge_id", f"no pledge {pledge_id!r}")
    return pledge_of(row, _patents_of(session, pledge_id))


_LIVE = select(PledgedPatentRow.patent_id, PledgedPatentRow.pledge_id).where(
    PledgedPatentRow.pledge_status.in_([s.value for s in LIVE_PLEDGE_STATUSES])
)
_LIVE_OF = _LIVE.where(PledgedPatentRow.patent_id.in_(bindparam("numbers", expanding=True)))


def live_pledges(session: Session, numbers: Iterable[str] | None = None) -> dict[str, str]:
    """Patent number → the live pledge holding it (of ``numbers``, or of every patent)."""
    if numbers is None:
        return dict(session.execute(_LIVE).all())
    return dict(session.execute(_LIVE_OF, {"numbers": list(numbers)}).all())


def _refuse_held(session: Session, numbers: list[str], pledge_id: str) -> None:
    """Refuse when another live pledge holds one of ``numbers``; the refusal names the
    patents, not the pledge, which may be another tenant's."""
    held = sorted(n for n, p in live_pledges(session, numbers).items() if p != pledge_id)
    if held:
        raise AlreadyPledgedError("patents", f"already in a live pledge: {', '.join(held)}")


_OWNED_BY = (
    select(PatentOwnerRow.patent_id)
    .where(PatentOwnerRow.patent_id.in_(bindparam("numbers", expanding=True)))
    .where(PatentOwnerRow.party_id == bindparam("party"))
)


_LOCK_PATENTS = (
    select(PatentRow.patent_id)
    .where(PatentRow.patent_id.in_(bindparam("numbers", expanding=True)))
    .order_by(PatentRow.patent_id)
    .with_for_update()
)


def _refuse_not_owned(session: Session, numbers: list[str], pledgor: str) -> None:
    """Refuse when a patent of ``numbers`` does not name party ``pledgor`` as an owner. The
    patents' rows are locked first (in their order): an update of their owners
    (:func:`storage.patents.save_patent`) waits for the pledge, and the pledge for it."""
    session.execute(_LOCK_PATENTS, {"numbers": numbers}).all()
    owned = set(session.execute(_OWNED_BY, {"numbers": numbers, "party": pledgor}).scalars())
    others = [n for n in numbers if n not in owned]
    if others:
        raise DomainError(
            "pledgor_id",
            f"{pledgor} is not named an owner of {', '.join(others)}: a patent is pledged by "
            "its patentee",
            code="PLEDGOR_NOT_OWNER",
        )


def create_pledge(
    session: Session,
    pledge: Pledge,
    *,
    on: date,
    actor: str,
    idempotency_key: str | None = None,
) -> Pledge:
    """Draft a pledge of registered patents, each naming the pledgor as an owner, between two
    known parties."""
    if pledge.status is not PledgeStatus.DRAFT or pledge.registration_number is not None:
        raise DomainError("status", f"a new pledge is a draft, not {pledge.status.value}")
    numbers = [p.patent_number for p in pledge.patents]
    if len(set(numbers)) != len(numbers):
        raise DomainError("patents", "a patent is listed twice")

    def work() -> Pledge:
        if session.get(PledgeRow, pledge.pledge_id) is not None:
            raise AlreadyExistsError("pledge_id", f"pledge {pledge.pledge_id} exists")
        found = require_parties(session, [pledge.pledgor_id, pledge.pledgee_id])
        require_kind(found[pledge.pledgor_id], PLEDGOR_KINDS, "pledgor_id", "the pledgor")
        require_kind(found[pledge.pledgee_id], PLEDGEE_KINDS, "pledgee_id", "the pledgee")
        require_registered(session, numbers)
        _refuse_not_owned(session, numbers, pledge.pledgor_id)
        _refuse_held(session, numbers, pledge.pledge_id)
        session.add(
            PledgeRow(
                pledge_id=pledge.pledge_id,
                pledgor_id=pledge.pledgor_id,
                pledgee_id=pledge.pledgee_id,
                currency=pledge.secured_amount.currency,
                secured_amount=pledge.secured_amount.amount,
                status=pledge.status.value,
                drafted_on=on,
            )
        )
        session.flush()
        session.add_all(
            PledgedPatentRow(
                pledge_id=pledge.pledge_id,
                patent_id=number,
                position=position,
                pledge_status=pledge.status.value,
            )
            for position, number in enumerate(numbers)
        )
        session.flush()
        audit.append(
            session,
            actor=actor,
            action="pledge.create",
            subject_type=SUBJECT,
            subject_id=pledge.pledge_id,
            payload={"pledge": pledge, "on": on},
        )
        return pledge

    request = {"pledge": pledge, "on": on, "actor": actor}
    return execute(session, "pledge.create", request, Pledge, work, idempotency_key)


def _store_transition(session: Session, row: PledgeRow, pledge: Pledge, on: date) -> None:
    """Write the pledge's new status and registration to its row."""
    row.status = pledge.status.value
    row.registration_number, row.registered_on = pledge.registration_number, pledge.registered_on
    if pledge.status is PledgeStatus.CANCELLED and pledge.registered_on is not None:
        row.released_on = on  # released: a pledge withdrawn before it was registered was not
    session.flush()


def _dated(row: PledgeRow, on: date) -> None:
    """Refuse an event dated before the pledge was drafted: its history runs forward (once it
    is registered, the lifecycle refuses one dated before the registration,
    :func:`pledge.lifecycle.apply_pledge_event`)."""
    if row.registered_on is None and on < row.drafted_on:
        raise DomainError(
            "on",
            f"{on} is before pledge {row.pledge_id} was drafted on {row.drafted_on}",
            code="BEFORE_PLEDGE",
        )


def _refuse_recorded(session: Session, number: str, pledge_id: str) -> None:
    """Refuse a registration number another pledge already records (409)."""
    query = select(PledgeRow.pledge_id).where(
        PledgeRow.registration_number == number, PledgeRow.pledge_id != pledge_id
    )
    if session.execute(query.limit(1)).first() is not None:
        raise AlreadyExistsError("registration_number", registration_number_taken(number))


def transition(
    session: Session,
    pledge_id: str,
    event: PledgeEvent,
    *,
    on: date,
    actor: str,
    registration_number: str | None = None,
    reason: str | None = None,
    impairment: ImpairmentReason | None = None,
    proceeds: Money | None = None,
    idempotency_key: str | None = None,
) -> Pledge:
    """Apply one registration event (submit, register, refuse, release, impair, …)."""

    def work() -> Pledge:
        row = _locked(session, pledge_id)
        _dated(row, on)
        numbers = _patents_of(session, pledge_id)
        current = pledge_of(row, numbers)
        updated, record = apply_pledge_event(
            current,
            event,
            on=on,
            actor=actor,
            registration_number=registration_number,
            reason=reason,
            impairment=impairment,
            proceeds=proceeds,
        )
        if updated.status in LIVE_PLEDGE_STATUSES and current.status not in LIVE_PLEDGE_STATUSES:
            # the application holds the patents: the pledgor must own them still, and no other
            # application may hold them
            _refuse_not_owned(session, numbers, updated.pledgor_id)
            _refuse_held(session, numbers, pledge_id)
        given = updated.registration_number
        if given is not None and given != current.registration_number:
            _refuse_recorded(session, given, pledge_id)
        _store_transition(session, row, updated, on)
        audit.append(
            session,
            actor=actor,
            action=f"pledge.{event.value}",
            subject_type=SUBJECT,
            subject_id=pledge_id,
            payload=record,
        )
        return updated

    request = {
        "pledge_id": pledge_id,
        "event": event,
        "on": on,
        "actor": actor,
        "registration_number": registration_number,
        "reason": reason,
        "impairment": impairment,
        "proceeds": proceeds,
    }
    return execute(session, f"pledge.{event.value}", request, Pledge, work, idempotency_key)


def precheck(
    session: Session,
    pledge_id: str,
    loan: ProposedLoan,
    *,
    on: date,
    actor: str,
    idempotency_key: str | None = None,
) -> PrecheckOutcome:
    """Pre-check a draft pledge's patents against ``loan`` as of ``on`` (with their stored
    valuations and the other live pledges): READY when eligible, else PRECHECK_FAILED."""

    def work() -> PrecheckOutcome:
        row = _locked(session, pledge_id)
        _dated(row, on)
        numbers = _patents_of(session, pledge_id)
        current = pledge_of(row, numbers)
        patents = get_patents(session, numbers)
        held = {n for n, p in live_pledges(session, numbers).items() if p != pledge_id}
        valuations = latest_valuations(session, numbers, on, relied_on_by=row.pledgee_id)
        result = check_portfolio(patents, loan, on, valuations=valuations, live_pledges=held)
        updated, record = apply_precheck(current, result, on=on, actor=actor)
        _store_transition(session, row, updated, on)
        audit.append(
            session,
            actor=actor,
            action=f"pledge.{record.event.value}",
            subject_type=SUBJECT,
            subject_id=pledge_id,
            payload={"event": record, "eligible": result.eligible},
        )
        return PrecheckOutcome(pledge=updated, result=result, valuations=tuple(valuations))

    request = {"pledge_id": pledge_id, "loan": loan, "on": on, "actor": actor}
    return execute(session, "pledge.precheck", request, PrecheckOutcome, work, idempotency_key)

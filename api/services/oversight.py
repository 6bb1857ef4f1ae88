"""Monitoring, statistics, parties and credentials."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from api.schemas.common import PageRead
from api.schemas.oversight import (
    AlertRead,
    CollateralRead,
    CredentialCreate,
    CredentialRead,
    DisclosureRead,
    IssuedCredentialRead,
    PartyCreate,
    PartyRead,
    StatisticsRead,
    WhoAmIRead,
)
from api.security import Principal
from api.services.tenancy import scope_of, visible_loan
from models.enums import LoanStatus
from models.parties import Party
from pledge.disclosure import DisclosureRule
from pledge.monitoring import MonitoringEvent
from pledge.statistics import Dimension
from storage import credentials, listings, parties
from storage.collateral import collateral_position
from storage.errors import AlreadyExistsError, DomainError, domain_errors, request_paths
from storage.statistics import statistics


def collateral(session: Session, principal: Principal, loan_id: str, as_of: date) -> CollateralRead:
    """A loan's collateral position as of a day."""
    visible_loan(session, principal, loan_id)
    return CollateralRead.of(collateral_position(session, loan_id, as_of))


def shortfalls(session: Session, principal: Principal, as_of: date) -> list[CollateralRead]:
    """The caller's active loans whose outstanding is above collateral value × limit."""
    ids = listings.loan_ids(session, scope_of(principal), status=LoanStatus.ACTIVE.value)
    positions = (collateral_position(session, loan_id, as_of) for loan_id in ids)
    return [CollateralRead.of(p) for p in positions if p.breach]


def alerts(
    session: Session,
    principal: Principal,
    *,
    kind: MonitoringEvent | None,
    loan_id: str | None,
    limit: int,
    offset: int,
) -> PageRead[AlertRead]:
    """Alerts on the caller's loans, newest first."""
    page = listings.list_alerts(
        session,
        scope_of(principal),
        kind=None if kind is None else kind.value,
        loan_id=loan_id,
        limit=limit,
        offset=offset,
    )
    return PageRead[AlertRead].of(page, AlertRead.of, limit=limit, offset=offset)


def pledge_statistics(
    session: Session, as_of: date, by: list[Dimension], *, for_publication: bool = False
) -> StatisticsRead:
    """Registered pledges live on ``as_of``, in total or by the dimensions ``by``; for
    publication, with the amounts of cells of few enterprises withheld."""
    if len(set(by)) != len(by):
        raise DomainError("by", "each breakdown once")
    rule = DisclosureRule.standard() if for_publication else None
    figures = statistics(session, as_of, tuple(by), disclosure=rule)
    rows = [
        {k: (str(v) if isinstance(v, Decimal | date) else v) for k, v in row.items()}
        for row in figures.iter_rows(named=True)
    ]
    disclosure = None if rule is None else DisclosureRead.of(rule)
    return StatisticsRead(as_of=as_of, by=by, disclosure=disclosure, rows=rows)


def create_party(session: Session, principal: Principal, body: PartyCreate) -> PartyRead:
    """Register a new party (409 when its id is taken)."""
    with domain_errors(request_paths(PartyCreate.model_fields)):
        party = Party.model_validate(body.model_dump())
    try:
        parties.get_party(session, party.party_id)
    except DomainError:
        return PartyRead.of(parties.save_party(session, party, actor=principal.actor))
    raise AlreadyExistsError("party_id", f"party {party.party_id} exists")


def read_party(session: Session, party_id: str) -> PartyRead:
    """One party."""
    return PartyRead.of(parties.get_party(session, party_id))


def list_parties(session: Session, *, limit: int, offset: int) -> PageRead[PartyRead]:
    """Every party, by id."""
    page = listings.list_parties(session, limit=limit, offset=offset)
    return PageRead[PartyRead].of(page, PartyRead.of, limit=limit, offset=offset)


def issue(session: Session, principal: Principal, body: CredentialCreate) -> IssuedCredentialRead:
    """Issue a new API key; the key is in this answer only."""
    issued = credentials.issue_credential(
        session, body.party_id, body.role, label=body.label, actor=principal.actor
    )
    return IssuedCredentialRead(credential=CredentialRead.of(issued.credential), key=issued.key)


def list_credentials(session: Session, party_id: str | None) -> list[CredentialRead]:
    """Every credential (of one party), without secrets."""
    return [CredentialRead.of(c) for c in credentials.list_credentials(session, party_id)]


def revoke(session: Session, principal: Principal, credential_id: str) -> CredentialRead:
    """Revoke a key: it stops working at once."""
    revoked = credentials.revoke_credential(session, credential_id, actor=principal.actor)
    return CredentialRead.of(revoked)


def whoami(session: Session, principal: Principal) -> WhoAmIRead:
    """The calling credential and its party."""
    return WhoAmIRead(
        credential=CredentialRead.of(credentials.get_credential(session, principal.credential_id)),
        party=PartyRead.of(parties.get_party(session, principal.party_id)),
    )

"""/v1/monitoring, /v1/statistics, /v1/parties, /v1/credentials and /v1/me."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import (
    Admin,
    Borrowing,
    CommittingRoute,
    CurrentPrincipal,
    ReadSessionDep,
    Regulator,
    SessionDep,
)
from api.routes.common import AsOf, ForPublication, Limit, Offset
from api.schemas.common import PageRead
from api.schemas.oversight import (
    AlertRead,
    CollateralRead,
    CredentialCreate,
    CredentialRead,
    IssuedCredentialRead,
    PartyCreate,
    PartyRead,
    StatisticsRead,
    WhoAmIRead,
)
from api.services import oversight
from pledge.monitoring import MonitoringEvent
from pledge.statistics import Dimension

router = APIRouter(prefix="/v1", route_class=CommittingRoute)
LoanId = Annotated[str, Path(max_length=64)]


@router.get("/monitoring/loans/{loan_id}", tags=["monitoring"])
def collateral(
    loan_id: LoanId, as_of: AsOf, session: ReadSessionDep, caller: Borrowing
) -> CollateralRead:
    """A loan's LTV status: outstanding against collateral value × limit."""
    return oversight.collateral(session, caller, loan_id, as_of)


@router.get("/monitoring/shortfalls", tags=["monitoring"])
def shortfalls(as_of: AsOf, session: ReadSessionDep, caller: Borrowing) -> list[CollateralRead]:
    """The caller's active loans in breach of their LTV limit, with the shortfall."""
    return oversight.shortfalls(session, caller, as_of)


@router.get("/monitoring/alerts", tags=["monitoring"])
def alerts(
    session: ReadSessionDep,
    caller: Borrowing,
    kind: MonitoringEvent | None = None,
    loan_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageRead[AlertRead]:
    """Margin calls and impairment alerts on the caller's loans, newest first."""
    return oversight.alerts(session, caller, kind=kind, loan_id=loan_id, limit=limit, offset=offset)


@router.get("/statistics/pledges", tags=["statistics"])
def pledge_statistics(
    as_of: AsOf,
    session: ReadSessionDep,
    caller: Regulator,
    by: Annotated[list[Dimension] | None, Query(max_length=5)] = None,
    for_publication: ForPublication = False,
) -> StatisticsRead:
    """Registered pledges live on a day: totals, or by bank, industry, patent type, month."""
    return oversight.pledge_statistics(session, as_of, by or [], for_publication=for_publication)


@router.post("/parties", status_code=201, tags=["admin"])
def create_party(body: PartyCreate, session: SessionDep, caller: Admin) -> PartyRead:
    """Register a party."""
    return oversight.create_party(session, caller, body)


@router.get("/parties/{party_id}", tags=["admin"])
def get_party(
    party_id: Annotated[str, Path(max_length=64)], session: ReadSessionDep, caller: Admin
) -> PartyRead:
    """One party."""
    return oversight.read_party(session, party_id)


@router.get("/parties", tags=["admin"])
def list_parties(
    session: ReadSessionDep, caller: Admin, limit: Limit = 50, offset: Offset = 0
) -> PageRead[PartyRead]:
    """Every party."""
    return oversight.list_parties(session, limit=limit, offset=offset)


@router.post("/credentials", status_code=201, tags=["admin"])
def issue_credential(
    body: CredentialCreate, session: SessionDep, caller: Admin
) -> IssuedCredentialRead:
    """Issue an API key; the key is in this answer only, and only its hash is stored."""
    return oversight.issue(session, caller, body)


@router.get("/credentials", tags=["admin"])
def list_credentials(
    session: ReadSessionDep,
    caller: Admin,
    party_id: Annotated[str | None, Query(max_length=64)] = None,
) -> list[CredentialRead]:
    """Every credential, without secrets."""
    return oversight.list_credentials(session, party_id)


@router.post("/credentials/{credential_id}/revoke", tags=["admin"])
def revoke_credential(
    credential_id: Annotated[str, Path(max_length=32)], session: SessionDep, caller: Admin
) -> CredentialRead:
    """Revoke an API key: it stops working at once."""
    return oversight.revoke(session, caller, credential_id)


@router.get("/me", tags=["service"])
def whoami(session: ReadSessionDep, caller: CurrentPrincipal) -> WhoAmIRead:
    """The calling credential and its party."""
    return oversight.whoami(session, caller)

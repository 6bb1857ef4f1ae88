"""/v1/patents: the patent register."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import CommittingRoute, PatentReaders, ReadSessionDep, Register, SessionDep
from api.routes.common import Limit, Offset
from api.schemas.common import PageRead
from api.schemas.patents import PatentCreate, PatentRead
from api.services import patents
from models.enums import LegalStatus, PatentType

router = APIRouter(prefix="/v1/patents", tags=["patents"], route_class=CommittingRoute)
Number = Annotated[str, Path(max_length=60, examples=["ZL201710601862.3"])]


@router.post("", status_code=201)
def register_patent(body: PatentCreate, session: SessionDep, caller: Register) -> PatentRead:
    """Register a patent (an enterprise: one it owns)."""
    return patents.register_patent(session, caller, body)


@router.put("/{number}")
def update_patent(
    number: Number, body: PatentCreate, session: SessionDep, caller: Register
) -> PatentRead:
    """Replace a registered patent's record."""
    return patents.update_patent(session, caller, number, body)


@router.get("/{number}")
def get_patent(number: Number, session: ReadSessionDep, caller: PatentReaders) -> PatentRead:
    """One patent."""
    return patents.read_patent(session, caller, number)


@router.get("")
def list_patents(
    session: ReadSessionDep,
    caller: PatentReaders,
    patent_type: PatentType | None = None,
    legal_status: LegalStatus | None = None,
    industry: Annotated[str | None, Query(max_length=64)] = None,
    owner: Annotated[str | None, Query(max_length=64, description="Owner party id.")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageRead[PatentRead]:
    """The patents the caller may read, by number."""
    return patents.list_patents(
        session,
        caller,
        patent_type=patent_type,
        legal_status=legal_status,
        industry=industry,
        owner=owner,
        limit=limit,
        offset=offset,
    )

"""The patent register: register, update, read and list patents."""

from __future__ import annotations

from sqlalchemy.orm import Session

from api.errors import forbidden
from api.schemas.common import PageRead
from api.schemas.patents import PatentCreate, PatentRead
from api.security import Principal
from api.services.tenancy import scope_of, visible_patent
from models.enums import LegalStatus, PatentType, Role
from models.patent import Patent
from storage import listings
from storage.errors import AlreadyExistsError, DomainError, domain_errors, request_paths
from storage.patents import get_patents, save_patent


def _domain_patent(principal: Principal, body: PatentCreate) -> Patent:
    """The domain patent of a request; an enterprise must name itself an owner (403)."""
    with domain_errors(request_paths(PatentCreate.model_fields)):
        patent = Patent.model_validate(body.record())
    if principal.role is Role.ENTERPRISE and all(
        o.party_id != principal.party_id for o in patent.owners
    ):
        raise forbidden(
            f"an enterprise registers its own patents: name {principal.party_id} as an owner "
            "(owners[].party_id)",
            code="NOT_OWNER",
        )
    return patent


def register_patent(session: Session, principal: Principal, body: PatentCreate) -> PatentRead:
    """Register a new patent (409 when its number is registered already)."""
    patent = _domain_patent(principal, body)
    number = patent.number.patent_number
    if listings.patent_in_scope(session, number, listings.EVERYONE):
        raise AlreadyExistsError("number", f"patent {number} is registered already")
    return PatentRead.of(save_patent(session, patent, actor=principal.actor))


def update_patent(
    session: Session, principal: Principal, number: str, body: PatentCreate
) -> PatentRead:
    """Replace the record of a registered patent the caller may change."""
    normal = visible_patent(session, principal, number)
    patent = _domain_patent(principal, body)
    if patent.number.patent_number != normal:
        raise DomainError(
            "body.number", f"the body is patent {patent.number.patent_number}, not {normal}"
        )
    return PatentRead.of(save_patent(session, patent, actor=principal.actor))


def read_patent(session: Session, principal: Principal, number: str) -> PatentRead:
    """A patent the caller may read."""
    normal = visible_patent(session, principal, number)
    return PatentRead.of(get_patents(session, [normal])[0])


def list_patents(
    session: Session,
    principal: Principal,
    *,
    patent_type: PatentType | None,
    legal_status: LegalStatus | None,
    industry: str | None,
    owner: str | None,
    limit: int,
    offset: int,
) -> PageRead[PatentRead]:
    """The patents the caller may read, by number."""
    page = listings.list_patents(
        session,
        scope_of(principal),
        patent_type=None if patent_type is None else patent_type.value,
        legal_status=None if legal_status is None else legal_status.value,
        industry=industry,
        owner=owner,
        limit=limit,
        offset=offset,
    )
    return PageRead[PatentRead].of(page, PatentRead.of, limit=limit, offset=offset)

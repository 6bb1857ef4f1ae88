"""HTTP shapes of a patent: what a client sends to register or update one, and what it reads."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, Field

from api.schemas.common import Day, DecimalText, Strict
from models.enums import FeeReduction, LegalStatus, LicenceKind, PatentType
from models.patent import Patent


class OwnerIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    party_id: Annotated[str, Field(max_length=64)] | None = None
    share_percent: DecimalText = "100"
    consents_to_pledge: bool = False


class LicenceIn(Strict):
    licensee: Annotated[str, Field(min_length=1, max_length=200)]
    kind: LicenceKind = LicenceKind.NON_EXCLUSIVE
    start: Day | None = None
    end: Day | None = None
    royalty_rate: DecimalText | None = None


Count = Annotated[int, Field(ge=0, le=1_000_000)]


class PatentCreate(Strict):
    """A patent as the register records it; derived facts (expiry, type of a CN number) are
    worked out by the service."""

    number: Annotated[str, Field(min_length=3, max_length=40, examples=["ZL201710601862.3"])]
    patent_type: PatentType | None = None
    title: Annotated[str, Field(max_length=500)] = ""
    owners: Annotated[list[OwnerIn], Field(max_length=50)] = []
    filing_date: Day
    grant_date: Day | None = None
    legal_status: LegalStatus = LegalStatus.IN_FORCE
    fees_paid_through_year: Annotated[int, Field(ge=0, le=40)] | None = None
    fee_reduction: FeeReduction | None = None
    ipc_codes: Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=100)] = []
    claims: Count | None = None
    independent_claims: Count | None = None
    forward_citations: Count | None = None
    backward_citations: Count | None = None
    npl_citations: Count | None = None
    family_size: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    family_countries: Annotated[
        list[Annotated[str, Field(max_length=2)]], Field(max_length=250)
    ] = []
    inventors: Annotated[list[Annotated[str, Field(max_length=200)]], Field(max_length=200)] = []
    invalidation_pending: bool = False
    invalidations_survived: Count = 0
    in_litigation: bool = False
    ownership_dispute: bool = False
    preservation_until: Day | None = None
    licences: Annotated[list[LicenceIn], Field(max_length=200)] = []
    industry: Annotated[str, Field(max_length=64)] | None = None
    term_adjustment_days: Annotated[int, Field(ge=0, le=14 * 366)] = 0
    expiry_date_given: Day | None = None

    def record(self) -> dict[str, Any]:
        """The fields the domain ``Patent`` is validated from."""
        data = self.model_dump(exclude_none=True)
        return data


class OwnerRead(BaseModel):
    name: str
    party_id: str | None
    share_percent: str
    consents_to_pledge: bool


class PatentRead(BaseModel):
    """A registered patent, with what follows from the statutory rules."""

    patent_number: str
    application_number: str
    jurisdiction: str
    patent_type: PatentType
    title: str
    owners: list[OwnerRead]
    filing_date: date
    grant_date: date | None
    expiry_date: date
    legal_status: LegalStatus
    fees_paid_through_year: int | None
    ipc_codes: list[str]
    claims: int | None
    independent_claims: int | None
    forward_citations: int | None
    family_size: int | None
    family_countries: list[str]
    invalidation_pending: bool
    in_litigation: bool
    ownership_dispute: bool
    preservation_until: date | None
    industry: str | None

    @classmethod
    def of(cls, patent: Patent) -> PatentRead:
        """The HTTP shape of a domain patent."""
        return cls(
            patent_number=patent.number.patent_number,
            application_number=patent.number.application_number,
            jurisdiction=patent.jurisdiction,
            patent_type=patent.patent_type,
            title=patent.title,
            owners=[
                OwnerRead(
                    name=o.name,
                    party_id=o.party_id,
                    share_percent=str(o.share_percent),
                    consents_to_pledge=o.consents_to_pledge,
                )
                for o in patent.owners
            ],
            filing_date=patent.filing_date,
            grant_date=patent.grant_date,
            expiry_date=patent.expiry_date,
            legal_status=patent.legal_status,
            fees_paid_through_year=patent.fees_paid_through_year,
            ipc_codes=list(patent.ipc_codes),
            claims=patent.claims,
            independent_claims=patent.independent_claims,
            forward_citations=patent.forward_citations,
            family_size=patent.family_size,
            family_countries=list(patent.family_countries),
            invalidation_pending=patent.invalidation_pending,
            in_litigation=patent.in_litigation,
            ownership_dispute=patent.ownership_dispute,
            preservation_until=patent.preservation_until,
            industry=patent.industry,
        )

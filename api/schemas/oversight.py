"""HTTP shapes of monitoring (collateral positions, alerts), statistics, parties and
credentials."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from api.schemas.common import MoneyRead, PartyId, RecordId, Strict
from models.enums import LoanStatus, PartyKind, Role
from models.money import Money
from models.parties import Party
from pledge.disclosure import DisclosureRule
from pledge.statistics import Dimension
from storage.collateral import CollateralPosition
from storage.credentials import Credential
from storage.tables import AlertRow


class CollateralRead(BaseModel):
    """A loan's outstanding principal against its collateral value and LTV limit."""

    loan_id: str
    status: LoanStatus
    as_of: date
    outstanding: MoneyRead
    collateral_value: MoneyRead
    ltv_limit: str
    ratio: str | None
    breach: bool
    shortfall: MoneyRead
    patents_not_in_force: list[str]
    patents_without_valuation: list[str]
    secured: bool = Field(
        description="whether the loan's pledge held its patents on the day (registered by then "
        "and not released before it); when not, the collateral value is zero"
    )

    @classmethod
    def of(cls, position: CollateralPosition) -> CollateralRead:
        """The HTTP shape of a collateral position."""
        return cls(
            loan_id=position.loan_id,
            status=position.status,
            as_of=position.as_of,
            outstanding=MoneyRead.of(position.outstanding),
            collateral_value=MoneyRead.of(position.collateral_value),
            ltv_limit=str(position.ltv_limit),
            ratio=None if position.ratio is None else str(position.ratio),
            breach=position.breach,
            shortfall=MoneyRead.of(position.shortfall),
            patents_not_in_force=list(position.patents_not_in_force),
            patents_without_valuation=list(position.patents_without_valuation),
            secured=position.secured,
        )


class AlertRead(BaseModel):
    """A stored monitoring alert: a margin call or an impaired pledged patent."""

    alert_id: int
    kind: str
    as_of: date
    loan_id: str | None
    patent_id: str | None
    shortfall: MoneyRead | None
    message: str

    @classmethod
    def of(cls, row: AlertRow) -> AlertRead:
        """The HTTP shape of an alert row."""
        shortfall = None
        if row.shortfall is not None and row.currency is not None:
            shortfall = MoneyRead.of(Money.of(row.shortfall, row.currency))
        return cls(
            alert_id=row.alert_id,
            kind=row.kind,
            as_of=row.as_of,
            loan_id=row.loan_id,
            patent_id=row.patent_id,
            shortfall=shortfall,
            message=row.message,
        )


class DisclosureRead(BaseModel):
    """The rule that withheld amounts for publication (:mod:`pledge.disclosure`)."""

    min_enterprises: int
    source_id: str
    source: str

    @classmethod
    def of(cls, rule: DisclosureRule) -> DisclosureRead:
        """The HTTP shape of a disclosure rule."""
        return cls(
            min_enterprises=rule.min_enterprises, source_id=rule.source_id, source=rule.source
        )


class StatisticsRead(BaseModel):
    """Registered pledges live on ``as_of``, in total or per group of ``by``: deals, patents,
    enterprises, registered amount and outstanding principal (money as decimal strings).

    For publication, ``disclosure`` is the rule applied: each row then says whether its amounts
    are withheld (``suppressed``, the amounts null)."""

    as_of: date
    by: list[Dimension]
    currency: str = "CNY"
    disclosure: DisclosureRead | None = None
    rows: list[dict[str, Any]]


class PartyCreate(Strict):
    """A party to pledge financing."""

    party_id: RecordId
    kind: PartyKind
    name: Annotated[str, Field(min_length=1, max_length=200)]
    credit_code: Annotated[str, Field(max_length=18)] | None = None
    region: Annotated[str, Field(max_length=100)] | None = None
    industry: Annotated[str, Field(max_length=64)] | None = None


class PartyRead(BaseModel):
    party_id: str
    kind: PartyKind
    name: str
    credit_code: str | None
    region: str | None
    industry: str | None

    @classmethod
    def of(cls, party: Party) -> PartyRead:
        """The HTTP shape of a party."""
        return cls(
            party_id=party.party_id,
            kind=party.kind,
            name=party.name,
            credit_code=party.credit_code,
            region=party.region,
            industry=party.industry,
        )


class CredentialCreate(Strict):
    """A new API key for a party in a role."""

    party_id: PartyId
    role: Role
    label: Annotated[str, Field(min_length=1, max_length=100)]


class CredentialRead(BaseModel):
    """A credential, never its secret."""

    credential_id: str
    party_id: str
    role: Role
    label: str
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, credential: Credential) -> CredentialRead:
        """The HTTP shape of a credential."""
        return cls(
            credential_id=credential.credential_id,
            party_id=credential.party_id,
            role=credential.role,
            label=credential.label,
            created_at=credential.created_at,
            revoked_at=credential.revoked_at,
        )


class IssuedCredentialRead(BaseModel):
    """A new credential and its key: shown this once, stored only as a hash."""

    credential: CredentialRead
    key: str


class WhoAmIRead(BaseModel):
    """The calling credential and its party."""

    credential: CredentialRead
    party: PartyRead

"""The tables: SQLAlchemy 2 typed mappings, with the constraints the database itself enforces.

Rows are persistence records, not domain types; the repository modules (:mod:`storage.parties`,
:mod:`storage.pledges`, :mod:`storage.loans`, …) convert between the two. The schema is created
and changed only by the Alembic migrations in ``storage/migrations``; triggers (append-only
journal and audit log, balanced entries, the audit chain's links) live there, per engine.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    literal_column,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from models.enums import (
    DayCount,
    LegalStatus,
    LoanStatus,
    PartyKind,
    PatentType,
    PledgeStatus,
    RepaymentMethod,
    RescheduleStatus,
    Role,
    ValueType,
)
from pledge.ledger import Account, EntryKind, Side
from pledge.monitoring import MonitoringEvent
from storage.types import Amount, Document, ExactDecimal, UtcDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

UNSUBMITTED_PLEDGE_STATUSES = (PledgeStatus.DRAFT, PledgeStatus.READY, PledgeStatus.PRECHECK_FAILED)
"""Before the pledgor's application for registration: the pledge is a proposal only."""
LIVE_PLEDGE_STATUSES: tuple[PledgeStatus, ...] = tuple(
    s
    for s in PledgeStatus
    if s not in (*UNSUBMITTED_PLEDGE_STATUSES, PledgeStatus.REFUSED, PledgeStatus.CANCELLED)
)
"""Statuses in which a pledge holds its patents: from the pledgor's application for
registration (submitted, correction requested) until it is cancelled (registered, release
requested, impaired, enforcing, realised). A draft, ready or failed pledge holds nothing, so
that a bank's draft cannot stop the patentee from pledging elsewhere, and a patentee may ask two
banks at once: the first application submitted holds the patents. A refusal or a cancellation
frees them (migration 0008)."""

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first audit event."""


def one_of(column: str, values: Iterable[StrEnum]) -> str:
    """SQL text: ``column`` is one of the enum ``values``."""
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table_of(mapped: type[Base]) -> Table:
    """The Core table of a mapped class (for statements built once and run many times)."""
    return cast(Table, mapped.__table__)


class PartyRow(Base):
    __tablename__ = "parties"
    __table_args__ = (CheckConstraint(one_of("kind", PartyKind), name="kind"),)

    party_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    region: Mapped[str | None] = mapped_column(String(100))
    industry: Mapped[str | None] = mapped_column(String(64))


class PatentRow(Base):
    """A patent's searchable fields, and its whole record as a JSON document."""

    __tablename__ = "patents"
    __table_args__ = (
        CheckConstraint(one_of("patent_type", PatentType), name="patent_type"),
        CheckConstraint(one_of("legal_status", LegalStatus), name="legal_status"),
    )

    patent_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    jurisdiction: Mapped[str] = mapped_column(String(2))
    patent_type: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(500))
    filing_date: Mapped[date] = mapped_column(Date)
    grant_date: Mapped[date | None] = mapped_column(Date)
    legal_status: Mapped[str] = mapped_column(String(16))
    industry: Mapped[str | None] = mapped_column(String(64))
    record: Mapped[dict[str, Any]] = mapped_column(Document())


class PatentOwnerRow(Base):
    """An owner of a patent as its record lists it, with the party it names (if any): what
    tells whose patents a patent is, without reading the JSON record."""

    __tablename__ = "patent_owners"

    patent_id: Mapped[str] = mapped_column(ForeignKey("patents.patent_id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    party_id: Mapped[str | None] = mapped_column(String(64), index=True)


class AppraisalRow(Base):
    """An appraisal (资产评估) of one or more patents at one base date."""

    __tablename__ = "appraisals"
    __table_args__ = (CheckConstraint(one_of("value_type", ValueType), name="value_type"),)

    appraisal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    appraiser_id: Mapped[str | None] = mapped_column(ForeignKey("parties.party_id"))
    base_date: Mapped[date] = mapped_column(Date)
    value_type: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    market_value: Mapped[Decimal] = mapped_column(Amount())
    realisable_value: Mapped[Decimal] = mapped_column(Amount())
    max_loan: Mapped[Decimal] = mapped_column(Amount())
    engine_version: Mapped[str] = mapped_column(String(40))


class ValuationRow(Base):
    """One patent's value in an appraisal; ``result`` holds the engine's result and audit trail."""

    __tablename__ = "valuations"
    __table_args__ = (
        CheckConstraint(one_of("patent_type", PatentType), name="patent_type"),
        CheckConstraint("value >= 0", name="value_not_negative"),
        Index(None, "patent_id", "base_date", "appraisal_id"),
        Index(None, "patent_id", "requested_by", "base_date", "appraisal_id"),
    )

    appraisal_id: Mapped[str] = mapped_column(
        ForeignKey("appraisals.appraisal_id"), primary_key=True
    )
    patent_id: Mapped[str] = mapped_column(ForeignKey("patents.patent_id"), primary_key=True)
    requested_by: Mapped[str | None] = mapped_column(ForeignKey("parties.party_id"))
    """The party that asked for the appraisal (its :class:`AppraisalRequestRow`'s), null for one
    made outside the service: what :func:`storage.patents.latest_valuations` filters on."""
    patent_type: Mapped[str] = mapped_column(String(16))
    base_date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    value: Mapped[Decimal] = mapped_column(Amount())
    max_loan: Mapped[Decimal | None] = mapped_column(Amount())
    input_hash: Mapped[str | None] = mapped_column(String(80))
    result: Mapped[dict[str, Any] | None] = mapped_column(Document())
    inputs: Mapped[dict[str, Any] | None] = mapped_column(Document())
    """What the engine valued: the patent's record, its financials, the weights, draws and seed
    (so that a report can show the patent as valued and redraw the Monte Carlo chart)."""


class PledgeRow(Base):
    __tablename__ = "pledges"
    __table_args__ = (
        CheckConstraint(one_of("status", PledgeStatus), name="status"),
        CheckConstraint("secured_amount > 0", name="secured_amount_positive"),
        CheckConstraint("pledgor_id <> pledgee_id", name="distinct_parties"),
        CheckConstraint(
            "(registration_number IS NULL) = (registered_on IS NULL)", name="registration"
        ),
        # The target of pledged_patents' (pledge_id, pledge_status) copy.
        UniqueConstraint("pledge_id", "status"),
    )

    pledge_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    pledgor_id: Mapped[str] = mapped_column(ForeignKey("parties.party_id"))
    pledgee_id: Mapped[str] = mapped_column(ForeignKey("parties.party_id"))
    currency: Mapped[str] = mapped_column(String(3))
    secured_amount: Mapped[Decimal] = mapped_column(Amount())
    status: Mapped[str] = mapped_column(String(24))
    drafted_on: Mapped[date] = mapped_column(Date)
    registration_number: Mapped[str | None] = mapped_column(String(64), unique=True)
    registered_on: Mapped[date | None] = mapped_column(Date)
    released_on: Mapped[date | None] = mapped_column(Date)


class PledgedPatentRow(Base):
    """A patent in a pledge. ``pledge_status`` is the pledge's status, kept equal to it by the
    database (a foreign key on (pledge_id, status) with ON UPDATE CASCADE), so that a partial
    unique index can hold each patent in at most one live pledge."""

    __tablename__ = "pledged_patents"
    __table_args__ = (
        ForeignKeyConstraint(
            ["pledge_id", "pledge_status"],
            ["pledges.pledge_id", "pledges.status"],
            name="fk_pledged_patents_pledge_status",
            onupdate="CASCADE",
        ),
        Index(
            "uq_pledged_patents_live_patent",
            "patent_id",
            unique=True,
            sqlite_where=literal_column(one_of("pledge_status", LIVE_PLEDGE_STATUSES)),
            postgresql_where=literal_column(one_of("pledge_status", LIVE_PLEDGE_STATUSES)),
        ),
    )

    pledge_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    patent_id: Mapped[str] = mapped_column(ForeignKey("patents.patent_id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    pledge_status: Mapped[str] = mapped_column(String(24))


class LoanRow(Base):
    __tablename__ = "loans"
    __table_args__ = (
        CheckConstraint(one_of("status", LoanStatus), name="status"),
        CheckConstraint(one_of("repayment", RepaymentMethod), name="repayment"),
        CheckConstraint(one_of("day_count", DayCount), name="day_count"),
        CheckConstraint("principal > 0", name="principal_positive"),
        CheckConstraint("term_months BETWEEN 1 AND 360", name="term_months"),
        CheckConstraint("approver IS NULL OR approver <> maker", name="four_eyes"),
    )

    loan_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    borrower_id: Mapped[str] = mapped_column(ForeignKey("parties.party_id"))
    lender_id: Mapped[str] = mapped_column(ForeignKey("parties.party_id"))
    pledge_id: Mapped[str | None] = mapped_column(ForeignKey("pledges.pledge_id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    principal: Mapped[Decimal] = mapped_column(Amount())
    annual_rate: Mapped[Decimal] = mapped_column(ExactDecimal(12, 8))
    term_months: Mapped[int] = mapped_column(Integer)
    repayment: Mapped[str] = mapped_column(String(24))
    day_count: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    maker: Mapped[str] = mapped_column(String(64))
    approver: Mapped[str | None] = mapped_column(String(64))
    submitted_on: Mapped[date] = mapped_column(Date)
    disbursed_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)


class LoanRescheduleRow(Base):
    """A rescheduled loan and the successor loan that continues its debt: each loan is
    rescheduled once at most and continues at most one other."""

    __tablename__ = "loan_reschedules"
    __table_args__ = (CheckConstraint("successor_id <> loan_id", name="distinct"),)

    loan_id: Mapped[str] = mapped_column(ForeignKey("loans.loan_id"), primary_key=True)
    successor_id: Mapped[str] = mapped_column(ForeignKey("loans.loan_id"), unique=True)
    rescheduled_on: Mapped[date] = mapped_column(Date)


PENDING_RESCHEDULE = f"status = '{RescheduleStatus.SUBMITTED.value}'"
"""A reschedule request not yet decided: a loan has one at most."""


class LoanRescheduleRequestRow(Base):
    """A request to reschedule a loan on new terms from a day, by one officer of the lender;
    another approves it (the successor then exists) or it is rejected."""

    __tablename__ = "loan_reschedule_requests"
    __table_args__ = (
        CheckConstraint(one_of("status", RescheduleStatus), name="status"),
        CheckConstraint(one_of("repayment", RepaymentMethod), name="repayment"),
        CheckConstraint(one_of("day_count", DayCount), name="day_count"),
        CheckConstraint("term_months BETWEEN 1 AND 360", name="term_months"),
        CheckConstraint(
            "status <> 'approved' OR (decided_by <> requested_by AND successor_id IS NOT NULL)",
            name="four_eyes",
        ),
        CheckConstraint("(status = 'submitted') = (decided_at IS NULL)", name="decided"),
        Index(
            "uq_loan_reschedule_requests_pending",
            "loan_id",
            unique=True,
            sqlite_where=literal_column(PENDING_RESCHEDULE),
            postgresql_where=literal_column(PENDING_RESCHEDULE),
        ),
    )

    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    loan_id: Mapped[str] = mapped_column(ForeignKey("loans.loan_id"), index=True)
    annual_rate: Mapped[Decimal] = mapped_column(ExactDecimal(12, 8))
    term_months: Mapped[int] = mapped_column(Integer)
    repayment: Mapped[str] = mapped_column(String(24))
    day_count: Mapped[str] = mapped_column(String(8))
    rescheduled_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decision_note: Mapped[str | None] = mapped_column(Text)
    successor_id: Mapped[str | None] = mapped_column(ForeignKey("loans.loan_id"), unique=True)


class JournalEntryRow(Base):
    """The header of a journal entry. Its legs are inserted first; inserting the header seals
    the entry, and the database refuses it unless its legs balance (see the migrations)."""

    __tablename__ = "journal_entries"
    __table_args__ = (
        CheckConstraint(one_of("kind", EntryKind), name="kind"),
        CheckConstraint("(kind = 'reversal') = (reverses IS NOT NULL)", name="reversal"),
    )

    entry_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    loan_id: Mapped[str] = mapped_column(ForeignKey("loans.loan_id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    posted_on: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    reverses: Mapped[str | None] = mapped_column(
        ForeignKey("journal_entries.entry_id"), unique=True
    )
    memo: Mapped[str] = mapped_column(String(500))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class JournalLegRow(Base):
    __tablename__ = "journal_legs"
    __table_args__ = (
        CheckConstraint(one_of("account", Account), name="account"),
        CheckConstraint(one_of("side", Side), name="side"),
        CheckConstraint("amount > 0", name="amount_positive"),
        # Deferred: the legs go in before the header that seals them.
        ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entries.entry_id"],
            name="fk_journal_legs_entry_id_journal_entries",
            deferrable=True,
            initially="DEFERRED",
        ),
    )

    entry_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    line: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(8))
    amount: Mapped[Decimal] = mapped_column(Amount())


class RepaymentRow(Base):
    __tablename__ = "repayments"
    __table_args__ = (
        CheckConstraint("amount = interest + principal", name="split"),
        CheckConstraint("interest >= 0 AND principal >= 0", name="not_negative"),
    )

    repayment_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    loan_id: Mapped[str] = mapped_column(ForeignKey("loans.loan_id"), index=True)
    paid_on: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Amount())
    interest: Mapped[Decimal] = mapped_column(Amount())
    principal: Mapped[Decimal] = mapped_column(Amount())
    entry_id: Mapped[str] = mapped_column(ForeignKey("journal_entries.entry_id"), unique=True)


class AlertRow(Base):
    """A monitoring event: a margin call on a loan, or an impaired pledged patent."""

    __tablename__ = "monitoring_alerts"
    __table_args__ = (CheckConstraint(one_of("kind", MonitoringEvent), name="kind"),)

    alert_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    as_of: Mapped[date] = mapped_column(Date)
    loan_id: Mapped[str | None] = mapped_column(ForeignKey("loans.loan_id"), index=True)
    patent_id: Mapped[str | None] = mapped_column(ForeignKey("patents.patent_id"))
    currency: Mapped[str | None] = mapped_column(String(3))
    shortfall: Mapped[Decimal | None] = mapped_column(Amount())
    message: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(Document())


class AuditEventRow(Base):
    """An event of the append-only audit log: ``hash`` is SHA-256 of ``prev_hash`` and the
    event's canonical content (:mod:`storage.audit`); ``seq`` counts from 1 without gaps."""

    __tablename__ = "audit_events"
    __table_args__ = (Index(None, "subject_type", "subject_id"),)

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(80))
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class IdempotencyKeyRow(Base):
    """A command's idempotency key, the hash of its request, and its first result."""

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    command: Mapped[str] = mapped_column(String(64))
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AppraisalRequestRow(Base):
    """Who asked for an appraisal made by the service: the party it belongs to."""

    __tablename__ = "appraisal_requests"

    appraisal_id: Mapped[str] = mapped_column(
        ForeignKey("appraisals.appraisal_id"), primary_key=True
    )
    requested_by: Mapped[str] = mapped_column(ForeignKey("parties.party_id"), index=True)
    actor: Mapped[str] = mapped_column(String(128))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CredentialRow(Base):
    """An API key: its public id, the party and role it acts for, and only a hash of its
    secret (argon2id); a revoked key keeps its row."""

    __tablename__ = "credentials"
    __table_args__ = (CheckConstraint(one_of("role", Role), name="role"),)

    credential_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    party_id: Mapped[str] = mapped_column(ForeignKey("parties.party_id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(128))
    secret_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class HttpIdempotencyRow(Base):
    """An Idempotency-Key of an HTTP request, scoped to the credential that sent it: the
    request's fingerprint and, once it succeeded, its status and body (null while in flight)."""

    __tablename__ = "http_idempotency"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WebSessionRow(Base):
    """A signed-in browser: the SHA-256 of its session token (the cookie holds the token, never
    an API key), the credential it acts with, its CSRF token and when it expires."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.credential_id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())

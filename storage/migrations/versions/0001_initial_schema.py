"""Initial schema: parties, patents, appraisals, pledges, loans, the ledger, alerts, the audit log
and idempotency keys.

Revision ID: 0001
Revises:
Created: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import Amount, Document, ExactDecimal

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

LIVE_PLEDGE = (
    "pledge_status IN ('draft', 'ready', 'submitted', 'correction_requested', 'registered', "
    "'release_requested', 'impaired', 'enforcing', 'realised')"
)
PATENT_TYPES = "('invention', 'utility_model', 'design')"


def _check(condition: str, name: str) -> sa.CheckConstraint:
    """A named CHECK constraint."""
    return sa.CheckConstraint(condition, name=op.f(name))


def upgrade() -> None:
    """Create the tables."""
    op.create_table(
        "parties",
        sa.Column("party_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("credit_code", sa.String(18)),
        sa.Column("region", sa.String(100)),
        sa.Column("industry", sa.String(64)),
        _check(
            "kind IN ('enterprise', 'bank', 'guarantor', 'insurer', 'government_fund', "
            "'appraisal_firm', 'regulator')",
            "ck_parties_kind",
        ),
        sa.PrimaryKeyConstraint("party_id", name=op.f("pk_parties")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_parties_credit_code")),
    )
    op.create_table(
        "patents",
        sa.Column("patent_id", sa.String(40), nullable=False),
        sa.Column("jurisdiction", sa.String(2), nullable=False),
        sa.Column("patent_type", sa.String(16), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("filing_date", sa.Date(), nullable=False),
        sa.Column("grant_date", sa.Date()),
        sa.Column("legal_status", sa.String(16), nullable=False),
        sa.Column("industry", sa.String(64)),
        sa.Column("record", Document(), nullable=False),
        _check(
            "legal_status IN ('pending', 'in_force', 'lapsed', 'expired', 'invalidated', "
            "'surrendered', 'withdrawn', 'rejected')",
            "ck_patents_legal_status",
        ),
        _check(f"patent_type IN {PATENT_TYPES}", "ck_patents_patent_type"),
        sa.PrimaryKeyConstraint("patent_id", name=op.f("pk_patents")),
    )
    op.create_table(
        "appraisals",
        sa.Column("appraisal_id", sa.String(64), nullable=False),
        sa.Column("appraiser_id", sa.String(64)),
        sa.Column("base_date", sa.Date(), nullable=False),
        sa.Column("value_type", sa.String(20), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("market_value", Amount(), nullable=False),
        sa.Column("realisable_value", Amount(), nullable=False),
        sa.Column("max_loan", Amount(), nullable=False),
        sa.Column("engine_version", sa.String(40), nullable=False),
        _check("value_type IN ('market_value', 'realisable_value')", "ck_appraisals_value_type"),
        sa.ForeignKeyConstraint(
            ["appraiser_id"],
            ["parties.party_id"],
            name=op.f("fk_appraisals_appraiser_id_parties"),
        ),
        sa.PrimaryKeyConstraint("appraisal_id", name=op.f("pk_appraisals")),
    )
    op.create_table(
        "valuations",
        sa.Column("appraisal_id", sa.String(64), nullable=False),
        sa.Column("patent_id", sa.String(40), nullable=False),
        sa.Column("patent_type", sa.String(16), nullable=False),
        sa.Column("base_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("value", Amount(), nullable=False),
        sa.Column("max_loan", Amount()),
        sa.Column("input_hash", sa.String(80)),
        sa.Column("result", Document()),
        _check(f"patent_type IN {PATENT_TYPES}", "ck_valuations_patent_type"),
        _check("value >= 0", "ck_valuations_value_not_negative"),
        sa.ForeignKeyConstraint(
            ["appraisal_id"],
            ["appraisals.appraisal_id"],
            name=op.f("fk_valuations_appraisal_id_appraisals"),
        ),
        sa.ForeignKeyConstraint(
            ["patent_id"], ["patents.patent_id"], name=op.f("fk_valuations_patent_id_patents")
        ),
        sa.PrimaryKeyConstraint("appraisal_id", "patent_id", name=op.f("pk_valuations")),
    )
    op.create_index(
        op.f("ix_valuations_patent_id_base_date"), "valuations", ["patent_id", "base_date"]
    )
    op.create_table(
        "pledges",
        sa.Column("pledge_id", sa.String(64), nullable=False),
        sa.Column("pledgor_id", sa.String(64), nullable=False),
        sa.Column("pledgee_id", sa.String(64), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("secured_amount", Amount(), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("drafted_on", sa.Date(), nullable=False),
        sa.Column("registration_number", sa.String(64)),
        sa.Column("registered_on", sa.Date()),
        sa.Column("released_on", sa.Date()),
        _check(
            "status IN ('draft', 'ready', 'precheck_failed', 'submitted', "
            "'correction_requested', 'registered', 'refused', 'release_requested', 'impaired', "
            "'enforcing', 'realised', 'cancelled')",
            "ck_pledges_status",
        ),
        _check(
            "(registration_number IS NULL) = (registered_on IS NULL)", "ck_pledges_registration"
        ),
        _check("pledgor_id <> pledgee_id", "ck_pledges_distinct_parties"),
        _check("secured_amount > 0", "ck_pledges_secured_amount_positive"),
        sa.ForeignKeyConstraint(
            ["pledgee_id"], ["parties.party_id"], name=op.f("fk_pledges_pledgee_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["pledgor_id"], ["parties.party_id"], name=op.f("fk_pledges_pledgor_id_parties")
        ),
        sa.PrimaryKeyConstraint("pledge_id", name=op.f("pk_pledges")),
        sa.UniqueConstraint("pledge_id", "status", name=op.f("uq_pledges_pledge_id_status")),
        sa.UniqueConstraint("registration_number", name=op.f("uq_pledges_registration_number")),
    )
    op.create_table(
        "pledged_patents",
        sa.Column("pledge_id", sa.String(64), nullable=False),
        sa.Column("patent_id", sa.String(40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("pledge_status", sa.String(24), nullable=False),
        sa.ForeignKeyConstraint(
            ["patent_id"], ["patents.patent_id"], name=op.f("fk_pledged_patents_patent_id_patents")
        ),
        # pledge_status follows the pledge's status: the database copies every change.
        sa.ForeignKeyConstraint(
            ["pledge_id", "pledge_status"],
            ["pledges.pledge_id", "pledges.status"],
            name="fk_pledged_patents_pledge_status",
            onupdate="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pledge_id", "patent_id", name=op.f("pk_pledged_patents")),
    )
    # At most one live pledge per patent.
    op.create_index(
        "uq_pledged_patents_live_patent",
        "pledged_patents",
        ["patent_id"],
        unique=True,
        sqlite_where=sa.text(LIVE_PLEDGE),
        postgresql_where=sa.text(LIVE_PLEDGE),
    )
    op.create_table(
        "loans",
        sa.Column("loan_id", sa.String(64), nullable=False),
        sa.Column("borrower_id", sa.String(64), nullable=False),
        sa.Column("lender_id", sa.String(64), nullable=False),
        sa.Column("pledge_id", sa.String(64)),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("principal", Amount(), nullable=False),
        sa.Column("annual_rate", ExactDecimal(12, 8), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("repayment", sa.String(24), nullable=False),
        sa.Column("day_count", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("maker", sa.String(64), nullable=False),
        sa.Column("approver", sa.String(64)),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("disbursed_on", sa.Date()),
        sa.Column("ended_on", sa.Date()),
        _check("day_count IN ('act/365', '30/360')", "ck_loans_day_count"),
        _check("repayment IN ('equal_instalments', 'equal_principal')", "ck_loans_repayment"),
        _check(
            "status IN ('submitted', 'approved', 'active', 'closed', 'written_off', "
            "'rescheduled', 'rejected', 'withdrawn')",
            "ck_loans_status",
        ),
        _check("approver IS NULL OR approver <> maker", "ck_loans_four_eyes"),
        _check("principal > 0", "ck_loans_principal_positive"),
        _check("term_months BETWEEN 1 AND 360", "ck_loans_term_months"),
        sa.ForeignKeyConstraint(
            ["borrower_id"], ["parties.party_id"], name=op.f("fk_loans_borrower_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["lender_id"], ["parties.party_id"], name=op.f("fk_loans_lender_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["pledge_id"], ["pledges.pledge_id"], name=op.f("fk_loans_pledge_id_pledges")
        ),
        sa.PrimaryKeyConstraint("loan_id", name=op.f("pk_loans")),
    )
    op.create_index(op.f("ix_loans_pledge_id"), "loans", ["pledge_id"])
    op.create_table(
        "journal_entries",
        sa.Column("entry_id", sa.String(80), nullable=False),
        sa.Column("loan_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("reverses", sa.String(80)),
        sa.Column("memo", sa.String(500), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        _check("(kind = 'reversal') = (reverses IS NOT NULL)", "ck_journal_entries_reversal"),
        _check(
            "kind IN ('disbursement', 'interest_accrual', 'repayment', 'write_off', 'reversal')",
            "ck_journal_entries_kind",
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.loan_id"], name=op.f("fk_journal_entries_loan_id_loans")
        ),
        sa.ForeignKeyConstraint(
            ["reverses"],
            ["journal_entries.entry_id"],
            name=op.f("fk_journal_entries_reverses_journal_entries"),
        ),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_journal_entries")),
        # An entry is reversed at most once.
        sa.UniqueConstraint("reverses", name=op.f("uq_journal_entries_reverses")),
    )
    op.create_index(op.f("ix_journal_entries_loan_id"), "journal_entries", ["loan_id"])
    op.create_table(
        "journal_legs",
        sa.Column("entry_id", sa.String(80), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(32), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("amount", Amount(), nullable=False),
        _check(
            "account IN ('cash', 'loans_receivable', 'interest_receivable', 'interest_income', "
            "'credit_loss_expense')",
            "ck_journal_legs_account",
        ),
        _check("side IN ('debit', 'credit')", "ck_journal_legs_side"),
        _check("amount > 0", "ck_journal_legs_amount_positive"),
        # Deferred: legs are inserted before the header that seals them.
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entries.entry_id"],
            name="fk_journal_legs_entry_id_journal_entries",
            deferrable=True,
            initially="DEFERRED",
        ),
        sa.PrimaryKeyConstraint("entry_id", "line", name=op.f("pk_journal_legs")),
    )
    op.create_table(
        "repayments",
        sa.Column("repayment_id", sa.String(80), nullable=False),
        sa.Column("loan_id", sa.String(64), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", Amount(), nullable=False),
        sa.Column("interest", Amount(), nullable=False),
        sa.Column("principal", Amount(), nullable=False),
        sa.Column("entry_id", sa.String(80), nullable=False),
        _check("amount = interest + principal", "ck_repayments_split"),
        _check("interest >= 0 AND principal >= 0", "ck_repayments_not_negative"),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entries.entry_id"],
            name=op.f("fk_repayments_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.loan_id"], name=op.f("fk_repayments_loan_id_loans")
        ),
        sa.PrimaryKeyConstraint("repayment_id", name=op.f("pk_repayments")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_repayments_entry_id")),
    )
    op.create_index(op.f("ix_repayments_loan_id"), "repayments", ["loan_id"])
    op.create_table(
        "monitoring_alerts",
        sa.Column("alert_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("loan_id", sa.String(64)),
        sa.Column("patent_id", sa.String(40)),
        sa.Column("currency", sa.String(3)),
        sa.Column("shortfall", Amount()),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("detail", Document(), nullable=False),
        _check("kind IN ('margin_call', 'impairment')", "ck_monitoring_alerts_kind"),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.loan_id"], name=op.f("fk_monitoring_alerts_loan_id_loans")
        ),
        sa.ForeignKeyConstraint(
            ["patent_id"],
            ["patents.patent_id"],
            name=op.f("fk_monitoring_alerts_patent_id_patents"),
        ),
        sa.PrimaryKeyConstraint("alert_id", name=op.f("pk_monitoring_alerts")),
    )
    op.create_index(op.f("ix_monitoring_alerts_loan_id"), "monitoring_alerts", ["loan_id"])
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("subject_type", sa.String(32), nullable=False),
        sa.Column("subject_id", sa.String(80), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_events_hash")),
    )
    op.create_index(
        op.f("ix_audit_events_subject_type_subject_id"),
        "audit_events",
        ["subject_type", "subject_id"],
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("command", sa.String(64), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("response", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_idempotency_keys")),
    )


def downgrade() -> None:
    """Drop the tables."""
    for table in (
        "idempotency_keys",
        "audit_events",
        "monitoring_alerts",
        "repayments",
        "journal_legs",
        "journal_entries",
        "loans",
        "pledged_patents",
        "pledges",
        "valuations",
        "appraisals",
        "patents",
        "parties",
    ):
        op.drop_table(table)

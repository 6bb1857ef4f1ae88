"""Reschedules take four eyes: a request by one officer of the lender, approved by another.

Revision ID: 0009
Revises: 0008
Created: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import ExactDecimal

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

PENDING = "status = 'submitted'"
STATUS = "status IN ('submitted', 'approved', 'rejected')"
REPAYMENT = "repayment IN ('equal_instalments', 'equal_principal')"
DAY_COUNT = "day_count IN ('act/365', '30/360')"


def upgrade() -> None:
    """Add the ``loan_reschedule_requests`` table, one pending request a loan at most."""
    op.create_table(
        "loan_reschedule_requests",
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("loan_id", sa.String(64), nullable=False),
        sa.Column("annual_rate", ExactDecimal(12, 8), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("repayment", sa.String(24), nullable=False),
        sa.Column("day_count", sa.String(8), nullable=False),
        sa.Column("rescheduled_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(64)),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("decision_note", sa.Text()),
        sa.Column("successor_id", sa.String(64)),
        sa.CheckConstraint(
            STATUS,
            name=op.f("ck_loan_reschedule_requests_status"),
        ),
        sa.CheckConstraint(
            REPAYMENT,
            name=op.f("ck_loan_reschedule_requests_repayment"),
        ),
        sa.CheckConstraint(
            DAY_COUNT,
            name=op.f("ck_loan_reschedule_requests_day_count"),
        ),
        sa.CheckConstraint(
            "term_months BETWEEN 1 AND 360", name=op.f("ck_loan_reschedule_requests_term_months")
        ),
        sa.CheckConstraint(
            "status <> 'approved' OR (decided_by <> requested_by AND successor_id IS NOT NULL)",
            name=op.f("ck_loan_reschedule_requests_four_eyes"),
        ),
        sa.CheckConstraint(
            "(status = 'submitted') = (decided_at IS NULL)",
            name=op.f("ck_loan_reschedule_requests_decided"),
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.loan_id"], name=op.f("fk_loan_reschedule_requests_loan_id_loans")
        ),
        sa.ForeignKeyConstraint(
            ["successor_id"],
            ["loans.loan_id"],
            name=op.f("fk_loan_reschedule_requests_successor_id_loans"),
        ),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_loan_reschedule_requests")),
        sa.UniqueConstraint("successor_id", name=op.f("uq_loan_reschedule_requests_successor_id")),
    )
    op.create_index(
        op.f("ix_loan_reschedule_requests_loan_id"), "loan_reschedule_requests", ["loan_id"]
    )
    op.create_index(
        "uq_loan_reschedule_requests_pending",
        "loan_reschedule_requests",
        ["loan_id"],
        unique=True,
        sqlite_where=sa.text(PENDING),
        postgresql_where=sa.text(PENDING),
    )


def downgrade() -> None:
    """Drop it (the reschedules done stay, in ``loan_reschedules``)."""
    op.drop_table("loan_reschedule_requests")

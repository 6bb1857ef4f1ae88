"""A rescheduled loan's link to the successor loan that continues its debt.

Revision ID: 0007
Revises: 0006
Created: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the ``loan_reschedules`` table."""
    op.create_table(
        "loan_reschedules",
        sa.Column("loan_id", sa.String(64), nullable=False),
        sa.Column("successor_id", sa.String(64), nullable=False),
        sa.Column("rescheduled_on", sa.Date(), nullable=False),
        sa.CheckConstraint("successor_id <> loan_id", name=op.f("ck_loan_reschedules_distinct")),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.loan_id"], name=op.f("fk_loan_reschedules_loan_id_loans")
        ),
        sa.ForeignKeyConstraint(
            ["successor_id"], ["loans.loan_id"], name=op.f("fk_loan_reschedules_successor_id_loans")
        ),
        sa.PrimaryKeyConstraint("loan_id", name=op.f("pk_loan_reschedules")),
        sa.UniqueConstraint("successor_id", name=op.f("uq_loan_reschedules_successor_id")),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_table("loan_reschedules")

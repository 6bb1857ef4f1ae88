"""Each valuation row names the party that asked for its appraisal (a copy of
``appraisal_requests.requested_by``; null for an appraisal made outside the service), indexed with
the patent and base date: the latest valuation a party may rely on is then one index descent for
its own appraisals and one for those made outside the service, however many other parties'
appraisals the patent has.

Revision ID: 0006
Revises: 0005
Created: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``valuations.requested_by``, fill it from the requests, and index it."""
    with op.batch_alter_table("valuations") as table:
        table.add_column(sa.Column("requested_by", sa.String(64)))
        table.create_foreign_key(
            op.f("fk_valuations_requested_by_parties"), "parties", ["requested_by"], ["party_id"]
        )
    op.execute(
        "UPDATE valuations SET requested_by = (SELECT r.requested_by FROM appraisal_requests r "
        "WHERE r.appraisal_id = valuations.appraisal_id)"
    )
    op.create_index(
        op.f("ix_valuations_patent_id_requested_by_base_date_appraisal_id"),
        "valuations",
        ["patent_id", "requested_by", "base_date", "appraisal_id"],
    )


def downgrade() -> None:
    """Drop the index and the column."""
    op.drop_index(
        op.f("ix_valuations_patent_id_requested_by_base_date_appraisal_id"),
        table_name="valuations",
    )
    with op.batch_alter_table("valuations") as table:
        table.drop_constraint(op.f("fk_valuations_requested_by_parties"), type_="foreignkey")
        table.drop_column("requested_by")

"""The index of valuations by patent and base date also orders by appraisal id, so that a
patent's latest valuation is read from the index alone, however often it was appraised.

Revision ID: 0005
Revises: 0004
Created: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Replace ``ix_valuations_patent_id_base_date`` with one that ends in ``appraisal_id``."""
    op.drop_index(op.f("ix_valuations_patent_id_base_date"), table_name="valuations")
    op.create_index(
        op.f("ix_valuations_patent_id_base_date_appraisal_id"),
        "valuations",
        ["patent_id", "base_date", "appraisal_id"],
    )


def downgrade() -> None:
    """Put the two-column index back."""
    op.drop_index(op.f("ix_valuations_patent_id_base_date_appraisal_id"), table_name="valuations")
    op.create_index(
        op.f("ix_valuations_patent_id_base_date"), "valuations", ["patent_id", "base_date"]
    )

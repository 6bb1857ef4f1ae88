"""A pledge holds its patents from the pledgor's application for registration, not from its draft.

The partial unique index that keeps a patent in at most one live pledge no longer counts drafts
and ready pledges: a bank's draft does not stop the patentee from pledging elsewhere, and a
patentee may propose the same patents to two banks; the first application submitted holds them.

Revision ID: 0008
Revises: 0007
Created: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

INDEX = "uq_pledged_patents_live_patent"
HELD_FROM_SUBMISSION = (
    "pledge_status IN ('submitted', 'correction_requested', 'registered', 'release_requested', "
    "'impaired', 'enforcing', 'realised')"
)
HELD_FROM_DRAFT = (
    "pledge_status IN ('draft', 'ready', 'submitted', 'correction_requested', 'registered', "
    "'release_requested', 'impaired', 'enforcing', 'realised')"
)


def _index(where: str) -> None:
    op.create_index(
        INDEX,
        "pledged_patents",
        ["patent_id"],
        unique=True,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def upgrade() -> None:
    """Hold a patent from its pledge's submission on."""
    op.drop_index(INDEX, table_name="pledged_patents")
    _index(HELD_FROM_SUBMISSION)


def downgrade() -> None:
    """Hold a patent from its pledge's draft on again. Fails (a unique violation, nothing
    changed) while two unsubmitted pledges, or one and a submitted pledge, list one patent:
    withdraw all but one first."""
    op.drop_index(INDEX, table_name="pledged_patents")
    _index(HELD_FROM_DRAFT)

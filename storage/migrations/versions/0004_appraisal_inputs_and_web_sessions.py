"""What each stored valuation valued (the patent as valued, its financials, weights, draws and
seed), and the sessions of signed-in browsers.

Revision ID: 0004
Revises: 0003
Created: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import Document

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``valuations.inputs`` and the ``web_sessions`` table."""
    with op.batch_alter_table("valuations") as table:
        table.add_column(sa.Column("inputs", Document()))
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("credential_id", sa.String(32), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.credential_id"],
            name=op.f("fk_web_sessions_credential_id_credentials"),
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_web_sessions")),
    )
    op.create_index(op.f("ix_web_sessions_credential_id"), "web_sessions", ["credential_id"])


def downgrade() -> None:
    """Drop them."""
    op.drop_table("web_sessions")
    with op.batch_alter_table("valuations") as table:
        table.drop_column("inputs")

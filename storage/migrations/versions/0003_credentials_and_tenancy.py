"""Credentials (API keys, hashed), HTTP idempotency keys, who asked for each appraisal, and each
patent's owners as rows (filled from the patents already stored).

Revision ID: 0003
Revises: 0002
Created: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import Document

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ROLES = "role IN ('bank', 'enterprise', 'regulator', 'admin')"


def _owner_rows() -> list[dict[str, object]]:
    """One row per owner of every stored patent, as its record lists them."""
    patents = sa.table(
        "patents", sa.column("patent_id", sa.String), sa.column("record", Document())
    )
    rows: list[dict[str, object]] = []
    for patent_id, record in op.get_bind().execute(
        sa.select(patents.c.patent_id, patents.c.record)
    ):
        for position, owner in enumerate(record.get("owners") or []):
            rows.append(
                {
                    "patent_id": patent_id,
                    "position": position,
                    "name": owner["name"],
                    "party_id": owner.get("party_id"),
                }
            )
    return rows


def upgrade() -> None:
    """Create the tables; fill patent_owners from the stored records."""
    owners = op.create_table(
        "patent_owners",
        sa.Column("patent_id", sa.String(40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("party_id", sa.String(64)),
        sa.ForeignKeyConstraint(
            ["patent_id"],
            ["patents.patent_id"],
            name=op.f("fk_patent_owners_patent_id_patents"),
        ),
        sa.PrimaryKeyConstraint("patent_id", "position", name=op.f("pk_patent_owners")),
    )
    op.create_index(op.f("ix_patent_owners_party_id"), "patent_owners", ["party_id"])
    op.create_table(
        "appraisal_requests",
        sa.Column("appraisal_id", sa.String(64), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["appraisal_id"],
            ["appraisals.appraisal_id"],
            name=op.f("fk_appraisal_requests_appraisal_id_appraisals"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["parties.party_id"],
            name=op.f("fk_appraisal_requests_requested_by_parties"),
        ),
        sa.PrimaryKeyConstraint("appraisal_id", name=op.f("pk_appraisal_requests")),
    )
    op.create_index(
        op.f("ix_appraisal_requests_requested_by"), "appraisal_requests", ["requested_by"]
    )
    op.create_table(
        "credentials",
        sa.Column("credential_id", sa.String(32), nullable=False),
        sa.Column("party_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("label", sa.String(128), nullable=False),
        sa.Column("secret_hash", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint(ROLES, name=op.f("ck_credentials_role")),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.party_id"], name=op.f("fk_credentials_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("credential_id", name=op.f("pk_credentials")),
    )
    op.create_index(op.f("ix_credentials_party_id"), "credentials", ["party_id"])
    op.create_table(
        "http_idempotency",
        sa.Column("key", sa.String(160), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer()),
        sa.Column("body", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_http_idempotency")),
    )
    rows = _owner_rows()
    if rows:
        op.bulk_insert(owners, rows)


def downgrade() -> None:
    """Drop the tables."""
    for table in ("http_idempotency", "credentials", "appraisal_requests", "patent_owners"):
        op.drop_table(table)

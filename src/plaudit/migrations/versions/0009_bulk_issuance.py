"""bulk issuance

Revision ID: 0009
Revises: 0008
Bulk CSV issuance jobs and their per-row keys.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import plaudit.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bulk_issuances",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("file_key", sa.String(length=255), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("notify", sa.Boolean(), nullable=False),
        sa.Column("skip_invalid", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "running",
                "completed",
                "failed",
                name="bulkstatus",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("processed_rows", sa.Integer(), nullable=False),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column(
            "errors",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", plaudit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", plaudit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", plaudit.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_bulk_issuances_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_issuances")),
        sa.UniqueConstraint(
            "organization_id", "sha256", name=op.f("uq_bulk_issuances_organization_id_sha256")
        ),
    )
    with op.batch_alter_table("bulk_issuances", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bulk_issuances_organization_id"), ["organization_id"], unique=False
        )
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("issuance_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_credentials_issuance_key_organization_id"),
            ["issuance_key", "organization_id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_credentials_issuance_key_organization_id"), type_="unique"
        )
        batch_op.drop_column("issuance_key")
    with op.batch_alter_table("bulk_issuances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bulk_issuances_organization_id"))
    op.drop_table("bulk_issuances")

"""connectors

Revision ID: 0010
Revises: 0009
Inbound connectors and the payloads they received.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import plaudit.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "connectors",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("preset", sa.String(length=50), nullable=True),
        sa.Column("mapping", _json(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("secret_rotated_at", plaudit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("signature", _json(), nullable=True),
        sa.Column("signature_secret_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", plaudit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", plaudit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_connectors_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connectors")),
        sa.UniqueConstraint(
            "organization_id", "name", name=op.f("uq_connectors_organization_id_name")
        ),
    )
    with op.batch_alter_table("connectors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_connectors_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "connector_payloads",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("connector_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "mapped",
                "duplicate",
                "ignored",
                "unmapped",
                "failed",
                name="payloadstatus",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("errors", _json(), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=True),
        sa.Column("payload", _json(), nullable=True),
        sa.Column("raw_body", sa.Text(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=True),
        sa.Column("awards_count", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("received_at", plaudit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("processed_at", plaudit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["connector_id"],
            ["connectors.id"],
            name=op.f("fk_connector_payloads_connector_id_connectors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_connector_payloads_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connector_payloads")),
    )
    with op.batch_alter_table("connector_payloads", schema=None) as batch_op:
        batch_op.create_index(
            "ix_connector_payloads_connector_status", ["connector_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_connector_payloads_organization_id"), ["organization_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("connector_payloads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_connector_payloads_organization_id"))
        batch_op.drop_index("ix_connector_payloads_connector_status")

    op.drop_table("connector_payloads")
    with op.batch_alter_table("connectors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_connectors_organization_id"))

    op.drop_table("connectors")

"""vendor numbers and events

Revision ID: 0020
Revises: 0019
The badge vendors' APIs (plaudit.vendors): integers standing for templates and credentials, for
clients that store Accredible's ids in integer columns; and Credly-style template events, which
a webhook names and the receiver reads back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import plaudit.db

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "vendor_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("template_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", plaudit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("badge_template", _json(), nullable=False),
        sa.Column("created_at", plaudit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_vendor_events_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vendor_events")),
    )
    with op.batch_alter_table("vendor_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_vendor_events_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_vendor_events_template_id"), ["template_id"], unique=False
        )

    op.create_table(
        "vendor_numbers",
        sa.Column("number", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", plaudit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_vendor_numbers_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_vendor_numbers")),
        sa.UniqueConstraint("kind", "target_id", name=op.f("uq_vendor_numbers_kind_target_id")),
    )
    with op.batch_alter_table("vendor_numbers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_vendor_numbers_organization_id"), ["organization_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("vendor_numbers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vendor_numbers_organization_id"))
    op.drop_table("vendor_numbers")
    with op.batch_alter_table("vendor_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vendor_events_template_id"))
        batch_op.drop_index(batch_op.f("ix_vendor_events_organization_id"))
    op.drop_table("vendor_events")

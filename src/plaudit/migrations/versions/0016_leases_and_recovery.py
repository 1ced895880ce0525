"""leases and recovery

Revision ID: 0016
Revises: 0015
Background work survives kill -9: locks become leases that expire unless renewed, and the
recovery pass finds credentials whose signing job was lost through a small partial index.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import plaudit.db

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("expires_at", plaudit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.create_index(
            "ix_credentials_unsigned",
            ["created_at"],
            unique=False,
            sqlite_where=sa.text("signed_at IS NULL AND imported = 0"),
            postgresql_where=sa.text("signed_at IS NULL AND NOT imported"),
        )


def downgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_index("ix_credentials_unsigned")
    op.drop_table("leases")

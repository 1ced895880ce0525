"""recipient experience

Revision ID: 0007
Revises: 0006
Credentials can be made private by their learner; engagement
with each credential is counted per day.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import plaudit.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "engagement_counts",
        sa.Column("credential_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_engagement_counts_credential_id_credentials"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_engagement_counts_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("credential_id", "day", "kind", name=op.f("pk_engagement_counts")),
    )
    with op.batch_alter_table("engagement_counts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_engagement_counts_org_day", ["organization_id", "day"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_engagement_counts_organization_id"), ["organization_id"], unique=False
        )

    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("private", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_column("private")

    with op.batch_alter_table("engagement_counts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_engagement_counts_organization_id"))
        batch_op.drop_index("ix_engagement_counts_org_day")

    op.drop_table("engagement_counts")

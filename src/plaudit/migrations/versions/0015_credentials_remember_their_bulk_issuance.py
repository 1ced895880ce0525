"""credentials remember their bulk issuance

Revision ID: 0015
Revises: 0014
A bulk issuance job lists exactly the credentials it issued.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bulk_issuance_id", sa.Uuid(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_credentials_bulk_issuance_id"), ["bulk_issuance_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_credentials_bulk_issuance_id_bulk_issuances"),
            "bulk_issuances",
            ["bulk_issuance_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_credentials_bulk_issuance_id_bulk_issuances"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_credentials_bulk_issuance_id"))
        batch_op.drop_column("bulk_issuance_id")

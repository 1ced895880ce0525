"""bulk uploaded by

Revision ID: 0014
Revises: 0013
The dashboard's history of bulk uploads says who sent each file.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bulk_issuances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("uploaded_by", sa.String(length=320), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bulk_issuances", schema=None) as batch_op:
        batch_op.drop_column("uploaded_by")

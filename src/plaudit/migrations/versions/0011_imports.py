"""imports

Revision ID: 0011
Revises: 0010
Imports of credentials issued elsewhere: where each came from, the original document as
received, what was found when it was imported; a legacy id is imported once per source.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("import_source", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("import_format", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("imported_document", _json(), nullable=True))
        batch_op.add_column(sa.Column("import_details", _json(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_credentials_organization_id_import_source_legacy_id"),
            ["organization_id", "import_source", "legacy_id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_credentials_organization_id_import_source_legacy_id"), type_="unique"
        )
        batch_op.drop_column("import_details")
        batch_op.drop_column("imported_document")
        batch_op.drop_column("import_format")
        batch_op.drop_column("import_source")

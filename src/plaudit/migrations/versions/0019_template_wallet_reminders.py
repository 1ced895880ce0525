"""template wallet reminders

Revision ID: 0019
Revises: 0018
A template may remind learners, once, to take a credential into a wallet app some days after it
was signed (`wallet_reminder_days`, 1 to 365); NULL, every existing template's value, is never.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("templates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wallet_reminder_days", sa.Integer(), nullable=True))


def downgrade() -> None:
    # Not in batch mode: on SQLite that copies the table and drops the old one, and dropping
    # `templates` with foreign keys on deletes every credential and version of it (ON DELETE
    # CASCADE). SQLite drops a plain column in place (3.35+), as PostgreSQL does.
    op.drop_column("templates", "wallet_reminder_days")

"""credentials by creation

Revision ID: 0017
Revises: 0016
The overview counts the credentials Plaudit issued in a period on the day it created them,
whatever issue date they carry (a back-dated CSV row counts on the day its file was issued).
Until now a back-dated row was also *created* at its issue date; those rows get the time their
bulk job started instead (the nearest record of when Plaudit issued them), and so do their
award logs, which the daily digest counts.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

credentials = sa.table(
    "credentials",
    sa.column("award_log_id"),
    sa.column("bulk_issuance_id"),
    sa.column("created_at"),
    sa.column("updated_at"),
)
bulk_issuances = sa.table(
    "bulk_issuances", sa.column("id"), sa.column("created_at"), sa.column("started_at")
)
award_logs = sa.table("award_logs", sa.column("id"), sa.column("created_at"))


def upgrade() -> None:
    job_started = (
        sa.select(sa.func.coalesce(bulk_issuances.c.started_at, bulk_issuances.c.created_at))
        .where(bulk_issuances.c.id == credentials.c.bulk_issuance_id)
        .scalar_subquery()
    )
    op.execute(
        credentials.update()
        .where(
            credentials.c.bulk_issuance_id.is_not(None),
            credentials.c.created_at < job_started,
        )
        .values(
            created_at=job_started,
            updated_at=sa.case(
                (credentials.c.updated_at < job_started, job_started),
                else_=credentials.c.updated_at,
            ),
        )
    )
    issued = (
        sa.select(credentials.c.created_at)
        .where(credentials.c.award_log_id == award_logs.c.id)
        .scalar_subquery()
    )
    op.execute(
        award_logs.update().where(award_logs.c.created_at < issued).values(created_at=issued)
    )
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.create_index(
            "ix_credentials_org_created", ["organization_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_index("ix_credentials_org_created")

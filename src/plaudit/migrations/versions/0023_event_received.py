"""event received

Revision ID: 0023
Revises: 0022
The event as its sender posted it (`events.received`): the JSON document of the API's
/events (an item of /events/batch), the xAPI statement, or a connector's payload, as text so
that its keys keep their order. The dashboard's event page shows it. NULL for the events
received before (the page then says it shows what was stored).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("received", sa.Text(), nullable=True))


def downgrade() -> None:
    # Not in batch mode: on SQLite that would copy the table (see 0019); SQLite drops a plain
    # column in place (3.35+), as PostgreSQL does.
    op.drop_column("events", "received")

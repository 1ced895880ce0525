"""sending version

Revision ID: 0025
Revises: 0024
Each organization's sending version: a token that changes whenever what decides its emails and
webhook deliveries changes (its email settings: on/off, the topics off, the admin copies; its
webhook endpoints: added, removed, their address, kinds or on/off), set by triggers as the rules
version is (0024). The award loop reads it with the rules version, in the same statement, and
the announcement of each award then uses what this process keeps under it instead of reading the
settings and the endpoints again (plaudit.organizations.versions).

Only the columns that decide who is told trigger it: an endpoint's failure streak or an email
template changing would only make the caches reload.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WATCHED = {
    "email_settings": ("enabled", "topics_off", "admin_notifications", "admin_emails"),
    "webhook_endpoints": ("organization_id", "url", "kinds", "enabled"),
}

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION plaudit_bump_sending_version() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE organizations SET sending_version = md5(random()::text || clock_timestamp()::text)
        WHERE id = OLD.organization_id;
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.organization_id <> OLD.organization_id) THEN
        UPDATE organizations SET sending_version = md5(random()::text || clock_timestamp()::text)
        WHERE id = NEW.organization_id;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""


def create_triggers(table: str) -> None:
    """The triggers that bump the sending version on a change to ``table``."""
    columns = ", ".join(WATCHED[table])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER {table}_bump_sending_version "
            f"AFTER INSERT OR UPDATE OF {columns} OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION plaudit_bump_sending_version()"
        )
        return
    bump = "UPDATE organizations SET sending_version = lower(hex(randomblob(16))) WHERE id = "
    for action, event, body in (
        ("insert", "INSERT", f"{bump}NEW.organization_id;"),
        (
            "update",
            f"UPDATE OF {columns}",
            f"{bump}OLD.organization_id; {bump}NEW.organization_id;",
        ),
        ("delete", "DELETE", f"{bump}OLD.organization_id;"),
    ):
        op.execute(
            f"CREATE TRIGGER {table}_bump_sending_version_{action} "
            f"AFTER {event} ON {table} FOR EACH ROW BEGIN {body} END"
        )


def upgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sending_version", sa.String(length=32), server_default="", nullable=False)
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
    for table in WATCHED:
        create_triggers(table)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_sending_version ON {table}")
        op.execute("DROP FUNCTION IF EXISTS plaudit_bump_sending_version()")
    else:
        for table in WATCHED:
            for action in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_sending_version_{action}")
    # Not in batch mode: on SQLite that would copy the table; SQLite 3.35+ drops it in place.
    op.drop_column("organizations", "sending_version")

"""rules version

Revision ID: 0024
Revises: 0023
Each organization's rules version: a token that changes whenever one of its rules, templates or
template versions is inserted, updated or deleted, set by triggers so that every path that
changes them (services, imports, the catalog, SQL by hand) bumps it. The award loop caches the
rules and awardable templates of an organization under it (plaudit.ingest.rulebook) and reads it
in each transaction: a change committed by any process is seen by the next event.

A random token rather than a counter: a transaction that changed a rule and rolled back must
not leave a cache entry under a number that the next change would reuse.

On SQLite, a later migration that rebuilds one of these tables (batch "move and copy") drops its
triggers with it, and must create them again (``create_triggers``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WATCHED = ("rules", "templates", "template_versions")

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION plaudit_bump_rules_version() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE organizations SET rules_version = md5(random()::text || clock_timestamp()::text)
        WHERE id = OLD.organization_id;
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.organization_id <> OLD.organization_id) THEN
        UPDATE organizations SET rules_version = md5(random()::text || clock_timestamp()::text)
        WHERE id = NEW.organization_id;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""


def create_triggers(table: str) -> None:
    """The triggers that bump the rules version on a change to ``table``."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER {table}_bump_rules_version "
            f"AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION plaudit_bump_rules_version()"
        )
        return
    bump = "UPDATE organizations SET rules_version = lower(hex(randomblob(16))) WHERE id = "
    for action, body in (
        ("insert", f"{bump}NEW.organization_id;"),
        ("update", f"{bump}OLD.organization_id; {bump}NEW.organization_id;"),
        ("delete", f"{bump}OLD.organization_id;"),
    ):
        op.execute(
            f"CREATE TRIGGER {table}_bump_rules_version_{action} "
            f"AFTER {action.upper()} ON {table} FOR EACH ROW BEGIN {body} END"
        )


def upgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("rules_version", sa.String(length=32), server_default="", nullable=False)
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
    for table in WATCHED:
        create_triggers(table)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_rules_version ON {table}")
        op.execute("DROP FUNCTION IF EXISTS plaudit_bump_rules_version()")
    else:
        for table in WATCHED:
            for action in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_rules_version_{action}")
    # Not in batch mode: on SQLite that would copy the table; SQLite 3.35+ drops it in place.
    op.drop_column("organizations", "rules_version")

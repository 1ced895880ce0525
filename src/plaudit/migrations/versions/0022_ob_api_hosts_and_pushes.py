"""ob api hosts and pushes

Revision ID: 0022
Revises: 0021
Organization-wide clients of the Open Badges API (approved by an administrator; their tokens
have no learner), and Plaudit as a client of other Open Badges 3.0 hosts (plaudit.obapi.hosts):
the hosts learners connected (the client registered there, tokens sealed with the vault, the
single-use state of a pending authorization) and the credentials pushed to them with their
outcome and retry schedule.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import plaudit.db

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("obapi_clients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("organization_wide_at", plaudit.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("organization_wide_by", sa.String(length=320), nullable=True))
    with op.batch_alter_table("obapi_tokens", schema=None) as batch_op:
        batch_op.alter_column("learner_id", existing_type=sa.Uuid(), nullable=True)

    op.create_table(
        "obapi_hosts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "connected",
                "refused",
                "disconnected",
                name="hoststatus",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("discovery_url", sa.String(length=2048), nullable=False),
        sa.Column("api_url", sa.String(length=2048), nullable=False),
        sa.Column("authorize_url", sa.String(length=2048), nullable=False),
        sa.Column("token_url", sa.String(length=2048), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("client_secret", sa.LargeBinary(), nullable=True),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("state_hash", sa.String(length=64), nullable=True),
        sa.Column("state_expires_at", plaudit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("code_verifier", sa.LargeBinary(), nullable=True),
        sa.Column("access_token", sa.LargeBinary(), nullable=True),
        sa.Column("refresh_token", sa.LargeBinary(), nullable=True),
        sa.Column("expires_at", plaudit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", plaudit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", plaudit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learners.id"],
            name=op.f("fk_obapi_hosts_learner_id_learners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_obapi_hosts_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_obapi_hosts")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_obapi_hosts_state_hash")),
    )
    with op.batch_alter_table("obapi_hosts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_obapi_hosts_learner_id"), ["learner_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_obapi_hosts_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "obapi_pushes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("host_id", sa.Uuid(), nullable=False),
        sa.Column("credential_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "sent",
                "failed",
                name="pushstatus",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", plaudit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_outcome", sa.Text(), nullable=True),
        sa.Column("sent_at", plaudit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", plaudit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", plaudit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_obapi_pushes_credential_id_credentials"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["obapi_hosts.id"],
            name=op.f("fk_obapi_pushes_host_id_obapi_hosts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_obapi_pushes_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_obapi_pushes")),
    )
    with op.batch_alter_table("obapi_pushes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_obapi_pushes_credential_id"), ["credential_id"], unique=False
        )
        batch_op.create_index("ix_obapi_pushes_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_obapi_pushes_host_id"), ["host_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_obapi_pushes_organization_id"), ["organization_id"], unique=False
        )


def downgrade() -> None:
    # An organization-wide client's tokens have no learner: they go.
    op.execute("DELETE FROM obapi_tokens WHERE learner_id IS NULL")
    with op.batch_alter_table("obapi_tokens", schema=None) as batch_op:
        batch_op.alter_column("learner_id", existing_type=sa.Uuid(), nullable=False)
    with op.batch_alter_table("obapi_clients", schema=None) as batch_op:
        batch_op.drop_column("organization_wide_by")
        batch_op.drop_column("organization_wide_at")
    with op.batch_alter_table("obapi_pushes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_obapi_pushes_organization_id"))
        batch_op.drop_index(batch_op.f("ix_obapi_pushes_host_id"))
        batch_op.drop_index("ix_obapi_pushes_due")
        batch_op.drop_index(batch_op.f("ix_obapi_pushes_credential_id"))

    op.drop_table("obapi_pushes")
    with op.batch_alter_table("obapi_hosts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_obapi_hosts_organization_id"))
        batch_op.drop_index(batch_op.f("ix_obapi_hosts_learner_id"))

    op.drop_table("obapi_hosts")

"""ob api oauth

Revision ID: 0021
Revises: 0020
The Open Badges 3.0 API (plaudit.obapi): OAuth 2.0 clients registered per organization (RFC 7591,
secrets hashed), authorization codes (single-use: a conditional UPDATE of used_at), access and
refresh tokens (hashed; refreshing rotates them), and the profile properties a learner's client
puts beyond the learner's own columns.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import plaudit.db

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "obapi_clients",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=True),
        sa.Column("auth_method", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "redirect_uris",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "grant_types",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column(
            "registration",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", plaudit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", plaudit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_obapi_clients_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_obapi_clients")),
        sa.UniqueConstraint("client_id", name=op.f("uq_obapi_clients_client_id")),
    )
    with op.batch_alter_table("obapi_clients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_obapi_clients_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "obapi_codes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("redirect_uri", sa.String(length=2048), nullable=True),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("code_challenge", sa.String(length=128), nullable=False),
        sa.Column("code_challenge_method", sa.String(length=8), nullable=False),
        sa.Column("expires_at", plaudit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", plaudit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", plaudit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["obapi_clients.id"],
            name=op.f("fk_obapi_codes_client_id_obapi_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learners.id"],
            name=op.f("fk_obapi_codes_learner_id_learners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_obapi_codes_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_obapi_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_obapi_codes_code_hash")),
    )
    with op.batch_alter_table("obapi_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_obapi_codes_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_obapi_codes_learner_id"), ["learner_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_obapi_codes_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "obapi_profiles",
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column(
            "properties",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", plaudit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", plaudit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learners.id"],
            name=op.f("fk_obapi_profiles_learner_id_learners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_obapi_profiles_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("learner_id", name=op.f("pk_obapi_profiles")),
    )
    with op.batch_alter_table("obapi_profiles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_obapi_profiles_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "obapi_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column("grant_id", sa.Uuid(), nullable=False),
        sa.Column("access_token_hash", sa.String(length=64), nullable=False),
        sa.Column("refresh_token_hash", sa.String(length=64), nullable=True),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("expires_at", plaudit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("refresh_expires_at", plaudit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", plaudit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rotated_at", plaudit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", plaudit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["obapi_clients.id"],
            name=op.f("fk_obapi_tokens_client_id_obapi_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learners.id"],
            name=op.f("fk_obapi_tokens_learner_id_learners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_obapi_tokens_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_obapi_tokens")),
        sa.UniqueConstraint("access_token_hash", name=op.f("uq_obapi_tokens_access_token_hash")),
        sa.UniqueConstraint("refresh_token_hash", name=op.f("uq_obapi_tokens_refresh_token_hash")),
    )
    with op.batch_alter_table("obapi_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_obapi_tokens_client_id"), ["client_id"], unique=False)
        batch_op.create_index("ix_obapi_tokens_grant", ["grant_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_obapi_tokens_learner_id"), ["learner_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_obapi_tokens_organization_id"), ["organization_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("obapi_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_obapi_tokens_organization_id"))
        batch_op.drop_index(batch_op.f("ix_obapi_tokens_learner_id"))
        batch_op.drop_index("ix_obapi_tokens_grant")
        batch_op.drop_index(batch_op.f("ix_obapi_tokens_client_id"))

    op.drop_table("obapi_tokens")
    with op.batch_alter_table("obapi_profiles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_obapi_profiles_organization_id"))

    op.drop_table("obapi_profiles")
    with op.batch_alter_table("obapi_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_obapi_codes_organization_id"))
        batch_op.drop_index(batch_op.f("ix_obapi_codes_learner_id"))
        batch_op.drop_index(batch_op.f("ix_obapi_codes_client_id"))

    op.drop_table("obapi_codes")
    with op.batch_alter_table("obapi_clients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_obapi_clients_organization_id"))

    op.drop_table("obapi_clients")

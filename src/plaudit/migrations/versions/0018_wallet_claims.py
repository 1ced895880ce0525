"""wallet claims

Revision ID: 0018
Revises: 0017
A credential offered to a learner's wallet (VC API exchange, OpenID4VCI): single-use,
expiring and revocable, recording what the wallet did; and the one-time nonces wallets sign.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import plaudit.db

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "claim_nonces",
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", plaudit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", plaudit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", plaudit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("nonce_hash", name=op.f("pk_claim_nonces")),
    )
    with op.batch_alter_table("claim_nonces", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_claim_nonces_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "claims",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("credential_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "claimed",
                "revoked",
                name="claimstatus",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("expires_at", plaudit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("code_used_at", plaudit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tx_code_required", sa.Boolean(), nullable=False),
        sa.Column("tx_code_failures", sa.Integer(), nullable=False),
        sa.Column("access_token_hash", sa.String(length=64), nullable=True),
        sa.Column("access_token_expires_at", plaudit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", plaudit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("protocol", sa.String(length=32), nullable=True),
        sa.Column("wallet", sa.String(length=200), nullable=True),
        sa.Column("holder", sa.String(length=2000), nullable=True),
        sa.Column("notification_id", sa.String(length=64), nullable=True),
        sa.Column(
            "notice",
            sa.Enum(
                "accepted",
                "deleted",
                "failure",
                name="walletnotice",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("noticed_at", plaudit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", plaudit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", plaudit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", plaudit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_claims_credential_id_credentials"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_claims_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
        sa.UniqueConstraint("access_token_hash", name=op.f("uq_claims_access_token_hash")),
        sa.UniqueConstraint("notification_id", name=op.f("uq_claims_notification_id")),
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index("ix_claims_credential", ["credential_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_claims_organization_id"), ["organization_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claims_organization_id"))
        batch_op.drop_index("ix_claims_credential")

    op.drop_table("claims")
    with op.batch_alter_table("claim_nonces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_nonces_expires_at"))

    op.drop_table("claim_nonces")

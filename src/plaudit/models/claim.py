"""Claims: a credential offered to a learner's wallet, and the one-time nonces wallets sign."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from plaudit.db import Base, UTCDateTime
from plaudit.models._types import CreatedAt, IdPk, OrgFk, UpdatedAt, str_enum


class ClaimStatus(enum.StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    REVOKED = "revoked"


class WalletNotice(enum.StrEnum):
    """What an OpenID4VCI wallet said it did with the credential (its notification event)."""

    ACCEPTED = "accepted"
    DELETED = "deleted"
    FAILURE = "failure"


class Claim(Base):
    """One offer of a credential to a wallet: single-use, expiring, revocable.

    Its secrets (the interaction token, the pre-authorized code, the DID-auth challenge, the
    transaction code) are derived from its id with the instance key, so none is stored; the
    access token a wallet gets is stored hashed. Each step that must happen once is a
    conditional UPDATE, which the database settles across processes and restarts.
    """

    __tablename__ = "claims"
    __table_args__ = (Index("ix_claims_credential", "credential_id"),)

    id: Mapped[IdPk]
    organization_id: Mapped[OrgFk]
    credential_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("credentials.id", ondelete="CASCADE")
    )
    status: Mapped[ClaimStatus] = mapped_column(str_enum(ClaimStatus), default=ClaimStatus.OPEN)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # OpenID4VCI: the pre-authorized code is used once; the access token it buys is short-lived.
    code_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tx_code_required: Mapped[bool] = mapped_column(default=False)
    tx_code_failures: Mapped[int] = mapped_column(Integer, default=0)
    access_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    access_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What happened: by which protocol, from which wallet, bound to which DID.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    protocol: Mapped[str | None] = mapped_column(String(32))
    wallet: Mapped[str | None] = mapped_column(String(200))
    holder: Mapped[str | None] = mapped_column(String(2000))
    notification_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    notice: Mapped[WalletNotice | None] = mapped_column(str_enum(WalletNotice))
    noticed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]


class ClaimNonce(Base):
    """A nonce a wallet must sign (OpenID4VCI c_nonce): used at most once, expiring."""

    __tablename__ = "claim_nonces"

    nonce_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[CreatedAt]

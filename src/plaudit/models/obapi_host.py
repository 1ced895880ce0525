"""Plaudit as a client of other Open Badges 3.0 hosts: the hosts a learner connected (the
client registration and tokens Plaudit holds there) and the credentials pushed to them."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from plaudit.db import Base, UTCDateTime
from plaudit.models._types import CreatedAt, IdPk, OrgFk, UpdatedAt, str_enum


class HostStatus(enum.StrEnum):
    PENDING = "pending"  # the learner was sent to the host's consent page
    CONNECTED = "connected"
    REFUSED = "refused"  # the learner denied, or the host refused the exchange
    # Its tokens stopped working (revoked there, refresh refused): connect again.
    DISCONNECTED = "disconnected"


class PushStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt
    SENT = "sent"
    FAILED = "failed"  # out of attempts, or refused for good


class ObApiHost(Base):
    """A host a learner connected: where its API is, the client Plaudit registered there, and
    the tokens the learner's consent bought, sealed with the vault (the row id is the sealing
    context, so a sealed value cannot be moved to another row).

    While pending, ``state_hash`` and the sealed PKCE verifier wait for the host's answer at
    Plaudit's callback: the state is used once (a conditional UPDATE clears it)."""

    __tablename__ = "obapi_hosts"

    id: Mapped[IdPk]
    organization_id: Mapped[OrgFk]
    learner_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("learners.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[HostStatus] = mapped_column(str_enum(HostStatus), default=HostStatus.PENDING)
    name: Mapped[str] = mapped_column(String(200))
    discovery_url: Mapped[str] = mapped_column(String(2048))
    api_url: Mapped[str] = mapped_column(String(2048))
    authorize_url: Mapped[str] = mapped_column(String(2048))
    token_url: Mapped[str] = mapped_column(String(2048))
    client_id: Mapped[str] = mapped_column(String(255))
    client_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    scope: Mapped[str] = mapped_column(Text)
    state_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    state_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    code_verifier: Mapped[bytes | None] = mapped_column(LargeBinary)
    access_token: Mapped[bytes | None] = mapped_column(LargeBinary)
    refresh_token: Mapped[bytes | None] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]


class ObApiPush(Base):
    """One credential sent (or to be sent) to a connected host with upsertCredential."""

    __tablename__ = "obapi_pushes"
    __table_args__ = (Index("ix_obapi_pushes_due", "status", "next_attempt_at"),)

    id: Mapped[IdPk]
    organization_id: Mapped[OrgFk]
    host_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("obapi_hosts.id", ondelete="CASCADE"), index=True
    )
    credential_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("credentials.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[PushStatus] = mapped_column(str_enum(PushStatus), default=PushStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The host's answer to the last attempt ("201 Created", "connection refused", ...).
    last_outcome: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

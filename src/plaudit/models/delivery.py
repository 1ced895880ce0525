"""The outbox (every email and webhook, recorded with its cause), delivery attempts, webhook
endpoints and an organization's email settings."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from plaudit.db import Base, UTCDateTime
from plaudit.models._types import CreatedAt, IdPk, JSONType, OrgFk, UpdatedAt, str_enum


class Channel(enum.StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class MessageStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its first or next attempt (next_attempt_at)
    SENDING = "sending"  # claimed by a worker until lease_until
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up after its last retry
    CANCELLED = "cancelled"  # nothing to send any more (unsubscribed, endpoint disabled...)


class OutboxMessage(Base):
    """One message to one recipient, written in the transaction that caused it.

    ``dedupe_key`` is unique: the same cause recorded twice (a job run again, a retried
    request) yields one message, so a recipient is never told twice.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_credential", "credential_id"),
        Index("ix_outbox_endpoint", "endpoint_id", "created_at"),
    )

    id: Mapped[IdPk]
    organization_id: Mapped[OrgFk]
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))
    topic: Mapped[str] = mapped_column(String(64))
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    recipient: Mapped[str] = mapped_column(String(2048))
    credential_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    endpoint_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[MessageStatus] = mapped_column(str_enum(MessageStatus))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]


class DeliveryAttempt(Base):
    """What happened when a message was sent once: the log people read when asking "why"."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (Index("ix_delivery_attempts_message", "message_id", "number"),)

    id: Mapped[IdPk]
    organization_id: Mapped[OrgFk]
    message_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("outbox.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    ok: Mapped[bool] = mapped_column(Boolean)
    # An HTTP status, or an SMTP reply code; None when no answer came (refused, timed out).
    response_code: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[CreatedAt]


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[IdPk]
    organization_id: Mapped[OrgFk]
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(String(500))
    # whsec_... sealed by the vault; shown once, at creation and rotation.
    secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    kinds: Mapped[list[str]] = mapped_column(JSONType, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    # First failure since the last success; None while deliveries succeed.
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]


class EmailSettings(Base):
    """An organization's own SMTP server, sender, admin copies and email template overrides.
    Without a row (or without a host) the instance's SMTP settings are used."""

    __tablename__ = "email_settings"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    smtp_host: Mapped[str | None] = mapped_column(String(255))
    smtp_port: Mapped[int | None] = mapped_column(Integer)
    smtp_security: Mapped[str | None] = mapped_column(String(16))
    smtp_username: Mapped[str | None] = mapped_column(String(255))
    smtp_password_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    from_address: Mapped[str | None] = mapped_column(String(320))
    from_name: Mapped[str | None] = mapped_column(String(200))
    reply_to: Mapped[str | None] = mapped_column(String(320))
    # "off", "copy" (each learner email copied to the admins) or "digest" (one a day).
    admin_notifications: Mapped[str] = mapped_column(String(16), default="off")
    admin_emails: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # Topics that send email; a missing topic is on.
    topics_off: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # topic -> {"subject": ..., "text": ..., "html": ...} Jinja2 sources (sandboxed).
    templates: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

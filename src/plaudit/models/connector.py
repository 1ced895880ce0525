"""Inbound connectors (an authenticated webhook URL and its mapping) and what they received."""

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
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from plaudit.db import Base, UTCDateTime
from plaudit.models._types import CreatedAt, IdPk, JSONType, OrgFk, UpdatedAt, str_enum


class PayloadStatus(enum.StrEnum):
    MAPPED = "mapped"  # became a new event
    DUPLICATE = "duplicate"  # mapped to an event id already received: acknowledged, no change
    IGNORED = "ignored"  # the mapping's `when` does not take it, or the connector was disabled
    UNMAPPED = "unmapped"  # the mapping could not make a valid event of it: see `reason`
    FAILED = "failed"  # the body could not be read, or processing the event failed


class Connector(Base):
    __tablename__ = "connectors"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[IdPk]
    organization_id: Mapped[OrgFk]
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(500))
    preset: Mapped[str | None] = mapped_column(String(50))
    # plaudit.connectors.mapping.Mapping, as validated when it was saved.
    mapping: Mapped[dict[str, Any]] = mapped_column(JSONType)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # The URL's secret is only hashed, like API keys; it is shown once, at creation or rotation.
    secret_hash: Mapped[str] = mapped_column(String(64))
    secret_rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Optional HMAC of the body: {"header", "algorithm", "encoding", "prefix"}. Its key comes
    # from the LMS, so it must be readable again: sealed by the vault, never shown.
    signature: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    signature_secret_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]


class ConnectorPayload(Base):
    """One request a connector received, kept whatever became of it so it can be replayed."""

    __tablename__ = "connector_payloads"
    __table_args__ = (Index("ix_connector_payloads_connector_status", "connector_id", "status"),)

    id: Mapped[IdPk]
    organization_id: Mapped[OrgFk]
    connector_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("connectors.id", ondelete="CASCADE")
    )
    status: Mapped[PayloadStatus] = mapped_column(str_enum(PayloadStatus))
    reason: Mapped[str | None] = mapped_column(Text)
    errors: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)
    content_type: Mapped[str | None] = mapped_column(String(200))
    # The body as read (JSON, or a form as nested objects); the raw text only if unreadable.
    payload: Mapped[Any] = mapped_column(JSONType, nullable=True)
    raw_body: Mapped[str | None] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[str | None] = mapped_column(String(200))
    awards_count: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    received_at: Mapped[CreatedAt]
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime)

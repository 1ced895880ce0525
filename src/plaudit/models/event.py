"""Learning events as received, with the trace of every rule decision they caused."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from plaudit.db import Base, UTCDateTime
from plaudit.models._types import CreatedAt, IdPk, JSONType, OrgFk, str_enum


class EventOutcome(enum.StrEnum):
    AWARDED = "awarded"  # at least one credential issued or revoked
    NO_AWARD = "no_award"  # processed; no rule gave anything
    NO_RULE = "no_rule"  # no active rule's trigger matched


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        # The caller's id makes delivery idempotent: a repeat is acknowledged and changes nothing.
        UniqueConstraint("organization_id", "external_id"),
        Index("ix_events_org_learner_time", "organization_id", "learner_id", "occurred_at"),
        Index("ix_events_org_type", "organization_id", "type"),
        # The dashboard's event log and counts: an organization's events as they arrived.
        Index("ix_events_org_received", "organization_id", "received_at"),
    )

    id: Mapped[IdPk]
    organization_id: Mapped[OrgFk]
    external_id: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    learner_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("learners.id", ondelete="CASCADE")
    )
    entity_type: Mapped[str | None] = mapped_column(String(100))
    entity_id: Mapped[str | None] = mapped_column(String(255))
    entity_title: Mapped[str | None] = mapped_column(String(500))
    entity_parents: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    source: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[EventOutcome] = mapped_column(str_enum(EventOutcome), index=True)
    awards_count: Mapped[int] = mapped_column(Integer, default=0)
    # Per rule: trigger, condition steps with the values that decided them, action results.
    trace: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # The JSON document the sender posted, as text (JSONB would sort its keys): the API's
    # event, an xAPI statement, a connector's payload. None: received before it was kept.
    received: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[CreatedAt]

    @property
    def entity(self) -> dict[str, Any] | None:
        """The entity as the API and the rules see it, or None for an event without one."""
        if self.entity_id is None:
            return None
        return {
            "type": self.entity_type,
            "id": self.entity_id,
            "title": self.entity_title,
            "parents": self.entity_parents,
        }

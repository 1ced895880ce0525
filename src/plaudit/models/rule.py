"""Award rules: trigger, condition, application mode and actions."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from plaudit.db import Base, UTCDateTime
from plaudit.models._types import CreatedAt, IdPk, JSONType, OrgFk, UpdatedAt, str_enum


class RuleStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"


class RuleMode(enum.StrEnum):
    ONCE = "once"
    ALWAYS = "always"
    FALLBACK = "fallback"


class Rule(Base):
    __tablename__ = "rules"

    id: Mapped[IdPk]
    organization_id: Mapped[OrgFk]
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[RuleStatus] = mapped_column(str_enum(RuleStatus), index=True)
    priority: Mapped[int] = mapped_column(Integer, default=100)
    mode: Mapped[RuleMode] = mapped_column(str_enum(RuleMode))
    # {"event_types": [...], "entity_type": ..., "entity_ids": [...]}
    trigger: Mapped[dict[str, Any]] = mapped_column(JSONType)
    condition: Mapped[Any] = mapped_column(JSONType, nullable=True)
    # [{"type": "award", "template_id"}, {"type": "issue_certificate", "template_id", "fields"},
    #  {"type": "revoke", "template_id", "reason"}]
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]


class BackfillStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class Backfill(Base):
    """A retroactive application of a rule to stored history, resumable learner by learner."""

    __tablename__ = "backfills"

    id: Mapped[IdPk]
    organization_id: Mapped[OrgFk]
    rule_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("rules.id", ondelete="CASCADE"))
    status: Mapped[BackfillStatus] = mapped_column(str_enum(BackfillStatus))
    total_learners: Mapped[int] = mapped_column(Integer, default=0)
    processed_learners: Mapped[int] = mapped_column(Integer, default=0)
    awarded: Mapped[int] = mapped_column(Integer, default=0)
    # The last learner id done: a restarted job continues after it.
    cursor: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[CreatedAt]
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

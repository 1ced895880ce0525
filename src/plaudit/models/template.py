"""Credential templates, their frozen published versions and their tags."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plaudit.db import Base, UTCDateTime
from plaudit.models._types import CreatedAt, IdPk, JSONType, OrgFk, UpdatedAt, str_enum


class TemplateKind(enum.StrEnum):
    BADGE = "badge"
    CERTIFICATE = "certificate"


class TemplateStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class TemplateOrigin(enum.StrEnum):
    CUSTOM = "custom"
    CATALOG = "catalog"


class Template(Base):
    """The working copy of a template. What awards use is its published TemplateVersion."""

    __tablename__ = "templates"
    __table_args__ = (Index("ix_templates_org_status_kind", "organization_id", "status", "kind"),)

    id: Mapped[IdPk]
    organization_id: Mapped[OrgFk]
    kind: Mapped[TemplateKind] = mapped_column(str_enum(TemplateKind))
    status: Mapped[TemplateStatus] = mapped_column(str_enum(TemplateStatus))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    criteria_narrative: Mapped[str | None] = mapped_column(Text)
    criteria_url: Mapped[str | None] = mapped_column(String(2048))
    achievement_type: Mapped[str] = mapped_column(String(64))
    default_language: Mapped[str] = mapped_column(String(35))
    # ",en,it," : every language, delimited so that a portable LIKE can filter by one.
    languages: Mapped[str] = mapped_column(String(400))
    # Other languages: [{"lang", "name", "description", "criteria"}].
    translations: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # [{"name", "url", "framework", "code", "description"}]
    alignments: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # {"type": "none"} | {"type": "duration", "duration": "P1Y"} | {"type": "fixed_date", ...}
    expiry: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # Certificates: [{"name", "label", "type", "required", "default"}]
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    layout: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    image_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("images.id", ondelete="SET NULL")
    )
    origin: Mapped[TemplateOrigin] = mapped_column(str_enum(TemplateOrigin))
    catalog_key: Mapped[str | None] = mapped_column(String(64))
    catalog_version: Mapped[int | None] = mapped_column(Integer)
    sync_with_catalog: Mapped[bool] = mapped_column(default=False)
    # Days after signing to remind a learner who has not taken the credential into a wallet;
    # None: never. A delivery policy, read live by the reminder job: not in the versions.
    wallet_reminder_days: Mapped[int | None] = mapped_column(Integer)
    # The latest published version number, None until first published.
    published_version: Mapped[int | None] = mapped_column(Integer)
    # True when the working copy differs from the latest published version.
    has_unpublished_changes: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    tags: Mapped[list[TemplateTag]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="TemplateTag.priority",
        passive_deletes=True,
    )


class TemplateTag(Base):
    __tablename__ = "template_tags"
    __table_args__ = (
        UniqueConstraint("template_id", "name"),
        Index("ix_template_tags_org_name", "organization_id", "name"),
    )

    id: Mapped[IdPk]
    organization_id: Mapped[OrgFk]
    template_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("templates.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(64))
    # Lower comes first when tags are displayed.
    priority: Mapped[int] = mapped_column(Integer, default=0)


class TemplateVersion(Base):
    """An immutable snapshot frozen at publish time; awards record which one they came from."""

    __tablename__ = "template_versions"
    __table_args__ = (UniqueConstraint("template_id", "number"),)

    id: Mapped[IdPk]
    organization_id: Mapped[OrgFk]
    template_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("templates.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONType)
    image_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("images.id", ondelete="RESTRICT")
    )
    created_at: Mapped[CreatedAt]

"""A template as the vendors' APIs describe it: its published version's words and image (what an
award of it states), or the working copy's for a template never published."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from plaudit.images import service as images
from plaudit.models.template import Template, TemplateStatus, TemplateVersion
from plaudit.openbadges.credential import iso
from plaudit.templates.snapshot import snapshot_of

# Credly's words for a template's state (its badge templates are draft, active or archived).
STATE = {
    TemplateStatus.DRAFT: "draft",
    TemplateStatus.PUBLISHED: "active",
    TemplateStatus.ARCHIVED: "archived",
}
STATUS = {word: status for status, word in STATE.items()}


@dataclass(frozen=True)
class Described:
    id: uuid.UUID
    name: str
    description: str
    state: str
    image_id: uuid.UUID | None
    criteria_url: str | None
    language: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, template: Template, version: TemplateVersion | None) -> Described:
        if version is not None:
            snapshot = snapshot_of(version)
            name, description = snapshot.name, snapshot.description
            criteria_url, language = snapshot.criteria.url, snapshot.language
            image_id = version.image_id
        else:
            name, description = template.name, template.description
            criteria_url, language = template.criteria_url, template.default_language
            image_id = template.image_id
        return cls(
            id=template.id,
            name=name,
            description=description,
            state=STATE[template.status],
            image_id=image_id,
            criteria_url=criteria_url,
            language=language,
            created_at=template.created_at,
            updated_at=template.updated_at,
        )

    def image_url(self, base_url: str) -> str | None:
        urls = images.urls(base_url, self.image_id)
        return urls["standard"] if urls else None

    def stored(self) -> dict[str, Any]:
        """As kept with an event (no URL: the address of the instance may change)."""
        return {
            "id": str(self.id),
            "name": self.name,
            "description": self.description,
            "state": self.state,
            "image_id": str(self.image_id) if self.image_id else None,
            "criteria_url": self.criteria_url,
            "language": self.language,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        }

    @classmethod
    def read(cls, data: dict[str, Any]) -> Described:
        return cls(
            id=uuid.UUID(data["id"]),
            name=data["name"],
            description=data["description"],
            state=data["state"],
            image_id=uuid.UUID(data["image_id"]) if data.get("image_id") else None,
            criteria_url=data.get("criteria_url"),
            language=data.get("language") or "en",
            created_at=datetime.fromisoformat(data["created_at"]),
            updated_at=datetime.fromisoformat(data["updated_at"]),
        )


def query(
    *, organization_id: uuid.UUID, statuses: set[TemplateStatus] | None = None
) -> Select[Template, TemplateVersion]:
    """The organization's templates with their published version (None if never published),
    oldest first: a stable order for pages."""
    stmt = (
        select(Template, TemplateVersion)
        .outerjoin(
            TemplateVersion,
            (TemplateVersion.template_id == Template.id)
            & (TemplateVersion.number == Template.published_version),
        )
        .where(Template.organization_id == organization_id)
        .order_by(Template.created_at, Template.id)
    )
    if statuses is not None:
        stmt = stmt.where(Template.status.in_(list(statuses)))
    return stmt


def page(
    session: Session,
    *,
    organization_id: uuid.UUID,
    statuses: set[TemplateStatus] | None,
    number: int,
    per: int,
) -> tuple[list[Described], int]:
    """One page of templates (``number`` from 1) and how many there are in all."""
    stmt = query(organization_id=organization_id, statuses=statuses)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.execute(stmt.offset((number - 1) * per).limit(per)).all()
    return [Described.of(template, version) for template, version in rows], total


def one(
    session: Session, *, organization_id: uuid.UUID, template_id: uuid.UUID
) -> Described | None:
    row = session.execute(
        query(organization_id=organization_id).where(Template.id == template_id)
    ).first()
    return Described.of(row[0], row[1]) if row else None

"""Read templates back for lists and pickers: the filtered list, tags, versions, names."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plaudit.api.numbered import NumberedPage, Window, numbered_page
from plaudit.models.template import (
    Template,
    TemplateKind,
    TemplateStatus,
    TemplateTag,
    TemplateVersion,
)
from plaudit.templates import service as templates


def listing(
    session: Session,
    *,
    organization_id: uuid.UUID,
    kind: TemplateKind | None,
    status: TemplateStatus | None,
    tag: str | None,
    search: str | None,
    window: Window,
) -> NumberedPage[Template]:
    """The most recently changed first."""
    stmt = templates.query(
        organization_id=organization_id, kind=kind, status=status, tag=tag, search=search
    ).order_by(Template.updated_at.desc(), Template.id.desc())
    return numbered_page(session, stmt, window)


def tag_names(session: Session, *, organization_id: uuid.UUID, limit: int = 200) -> list[str]:
    return list(
        session.scalars(
            select(TemplateTag.name)
            .distinct()
            .where(TemplateTag.organization_id == organization_id)
            .order_by(TemplateTag.name)
            .limit(limit)
        )
    )


def versions(
    session: Session, *, template: Template, window: Window
) -> NumberedPage[TemplateVersion]:
    """The published versions, the latest first."""
    stmt = templates.versions_query(template=template).order_by(TemplateVersion.number.desc())
    return numbered_page(session, stmt, window)


def all_of(session: Session, *, organization_id: uuid.UUID) -> list[Template]:
    """Every template, by name (for a picker)."""
    return list(
        session.scalars(
            select(Template)
            .where(Template.organization_id == organization_id)
            .order_by(Template.name, Template.id)
        )
    )


def choices(
    session: Session, *, organization_id: uuid.UUID, limit: int
) -> list[tuple[uuid.UUID, str]]:
    """(id, name) of the first ``limit`` templates by name (for a filter)."""
    rows = session.execute(
        select(Template.id, Template.name)
        .where(Template.organization_id == organization_id)
        .order_by(Template.name, Template.id)
        .limit(limit)
    ).all()
    return [(ident, name) for ident, name in rows]


def names(
    session: Session, *, organization_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The names of these templates (those of the organization; others are left out)."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.execute(
        select(Template.id, Template.name).where(
            Template.organization_id == organization_id, Template.id.in_(wanted)
        )
    ).all()
    return {row.id: row.name for row in rows}


def published_count(session: Session, *, organization_id: uuid.UUID) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Template)
            .where(
                Template.organization_id == organization_id,
                Template.status == TemplateStatus.PUBLISHED,
            )
        )
        or 0
    )

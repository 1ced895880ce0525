"""Read credentials back for the dashboard: one credential, its engagement, what an event gave."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plaudit.models.award import AwardLog, Credential
from plaudit.models.engagement import EngagementCount
from plaudit.models.template import Template


def find(
    session: Session, *, organization_id: uuid.UUID, credential_id: uuid.UUID
) -> Credential | None:
    return session.scalar(
        select(Credential).where(
            Credential.id == credential_id, Credential.organization_id == organization_id
        )
    )


def engagement(session: Session, credential: Credential) -> dict[str, int]:
    """How many times each kind of engagement happened, by kind."""
    rows = session.execute(
        select(EngagementCount.kind, func.sum(EngagementCount.count))
        .where(
            EngagementCount.credential_id == credential.id,
            EngagementCount.organization_id == credential.organization_id,
        )
        .group_by(EngagementCount.kind)
    ).all()
    return {kind: int(count or 0) for kind, count in rows}


def template_of(session: Session, credential: Credential) -> Template | None:
    return session.get(Template, credential.template_id)


def award_log_of(session: Session, credential: Credential) -> AwardLog | None:
    return session.get(AwardLog, credential.award_log_id) if credential.award_log_id else None


def awarded_by_event(
    session: Session, *, organization_id: uuid.UUID, event_id: uuid.UUID
) -> list[tuple[Credential, str]]:
    """(credential, template name) rows of what an event gave, as they stand now (a credential
    may have been revoked since), in the order they were issued."""
    rows = session.execute(
        select(Credential, Template.name)
        .join(AwardLog, AwardLog.id == Credential.award_log_id)
        .join(Template, Template.id == Credential.template_id)
        .where(Credential.organization_id == organization_id, AwardLog.event_id == event_id)
        .order_by(Credential.emitted_at, Credential.id)
    ).all()
    return [(credential, name) for credential, name in rows]

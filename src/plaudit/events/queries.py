"""Read events back: search, detail, and the dashboard's lists."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from plaudit.api.numbered import NumberedPage, Window, numbered_page
from plaudit.errors import NotFound
from plaudit.events.schemas import EventOut
from plaudit.learners import service as learners
from plaudit.models.event import Event, EventOutcome
from plaudit.models.learner import Learner


def search(
    session: Session,
    *,
    organization_id: uuid.UUID,
    learner: str | None = None,
    type: str | None = None,
    outcome: EventOutcome | None = None,
    entity_id: str | None = None,
) -> Select[Event]:
    stmt = select(Event).where(Event.organization_id == organization_id)
    if learner:
        ids = select(Learner.id).where(
            Learner.organization_id == organization_id,
            or_(Learner.external_id == learner, Learner.email == learner.lower()),
        )
        stmt = stmt.where(Event.learner_id.in_(ids))
    if type:
        stmt = stmt.where(Event.type == type)
    if outcome is not None:
        stmt = stmt.where(Event.outcome == outcome)
    if entity_id:
        stmt = stmt.where(Event.entity_id == entity_id)
    return stmt


def get(session: Session, *, organization_id: uuid.UUID, external_id: str) -> Event:
    event = session.scalar(
        select(Event).where(
            Event.organization_id == organization_id, Event.external_id == external_id
        )
    )
    if event is None:
        raise NotFound(f"No event with id '{external_id}' was received by this organization.")
    return event


def to_out(event: Event) -> EventOut:
    return EventOut(
        id=event.external_id,
        type=event.type,
        occurred_at=event.occurred_at,
        learner_id=event.learner_id,
        entity=event.entity,
        data=event.data,
        source=event.source,
        outcome=event.outcome,
        awards_count=event.awards_count,
        received_at=event.received_at,
    )


# --- the dashboard's lists ---------------------------------------------------------------


def listing(
    session: Session,
    *,
    organization_id: uuid.UUID,
    type: str | None,
    outcome: EventOutcome | None,
    learner_search: str | None,
    received_from: datetime | None,
    received_before: datetime | None,
    window: Window,
) -> NumberedPage[Any]:
    """(event, learner) rows, the latest received first; ``learner_search`` finds the learner
    by name, email or id as the learners' search does."""
    stmt = search(session, organization_id=organization_id, type=type, outcome=outcome)
    if learner_search:
        found = learners.query(
            organization_id=organization_id, search=learner_search
        ).with_only_columns(Learner.id)
        stmt = stmt.where(Event.learner_id.in_(found))
    if received_from is not None:
        stmt = stmt.where(Event.received_at >= received_from)
    if received_before is not None:
        stmt = stmt.where(Event.received_at < received_before)
    stmt = (
        stmt.add_columns(Learner)
        .join(Learner, Learner.id == Event.learner_id)
        .order_by(Event.received_at.desc(), Event.id.desc())
    )
    return numbered_page(session, stmt, window, scalars=False)


def types(session: Session, *, organization_id: uuid.UUID, limit: int) -> list[str]:
    """The event types the organization received (for a filter), by name."""
    return list(
        session.scalars(
            select(Event.type)
            .where(Event.organization_id == organization_id)
            .distinct()
            .order_by(Event.type)
            .limit(limit)
        )
    )


def find(session: Session, *, organization_id: uuid.UUID, event_id: uuid.UUID) -> Event | None:
    return session.scalar(
        select(Event).where(Event.id == event_id, Event.organization_id == organization_id)
    )


def recent(
    session: Session, *, organization_id: uuid.UUID, limit: int
) -> list[tuple[Event, Learner]]:
    """The latest (event, learner), newest first by when they happened (the time a list of
    them shows)."""
    rows = session.execute(
        select(Event, Learner)
        .join(Learner, Learner.id == Event.learner_id)
        .where(Event.organization_id == organization_id)
        .order_by(Event.occurred_at.desc(), Event.received_at.desc(), Event.id.desc())
        .limit(limit)
    ).all()
    return [(event, learner) for event, learner in rows]


def of_learner(
    session: Session, *, organization_id: uuid.UUID, learner_id: uuid.UUID, window: Window
) -> NumberedPage[Event]:
    """A learner's events, the latest occurred first."""
    stmt = (
        select(Event)
        .where(Event.organization_id == organization_id, Event.learner_id == learner_id)
        .order_by(Event.occurred_at.desc(), Event.id.desc())
    )
    return numbered_page(session, stmt, window)


# --- the rule pickers: what the organization has received -----------------------------------


@dataclass(frozen=True)
class SeenEntity:
    """An entity (a course, a learning path…) as the events named it, latest title first."""

    type: str | None
    id: str
    title: str | None
    events: int
    last_seen: datetime


def seen_entities(session: Session, *, organization_id: uuid.UUID, limit: int) -> list[SeenEntity]:
    """The entities named by the organization's events, the latest seen first."""
    last = func.max(Event.occurred_at)
    rows = session.execute(
        select(Event.entity_type, Event.entity_id, func.max(Event.entity_title), func.count(), last)
        .where(Event.organization_id == organization_id, Event.entity_id.is_not(None))
        .group_by(Event.entity_type, Event.entity_id)
        .order_by(last.desc(), Event.entity_id)
        .limit(limit)
    ).all()
    return [
        SeenEntity(type=kind, id=str(ident), title=title, events=count, last_seen=seen)
        for kind, ident, title, count, seen in rows
    ]


def entity_titles(
    session: Session, *, organization_id: uuid.UUID, ids: Collection[str]
) -> dict[str, str]:
    """Entity id -> a title the events gave it (for sentences that name courses)."""
    if not ids:
        return {}
    rows = session.execute(
        select(Event.entity_id, func.max(Event.entity_title))
        .where(
            Event.organization_id == organization_id,
            Event.entity_id.in_(list(ids)),
            Event.entity_title.is_not(None),
        )
        .group_by(Event.entity_id)
    ).all()
    return {str(ident): str(title) for ident, title in rows if title}


def with_learner(
    session: Session, *, organization_id: uuid.UUID, event_id: uuid.UUID
) -> tuple[Event, Learner] | None:
    row = session.execute(
        select(Event, Learner)
        .join(Learner, Learner.id == Event.learner_id)
        .where(Event.organization_id == organization_id, Event.id == event_id)
    ).first()
    return None if row is None else (row[0], row[1])

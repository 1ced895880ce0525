"""Read events back: search and detail."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from plaudit.errors import NotFound
from plaudit.events.schemas import EventOut
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

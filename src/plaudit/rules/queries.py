"""Read rules back for the dashboard: the list, a rule's backfills, and a stored event as the
simulator takes it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaudit.api.numbered import NumberedPage, Window, numbered_page
from plaudit.models.award import AwardGuard
from plaudit.models.event import Event
from plaudit.models.learner import Learner
from plaudit.models.rule import Backfill, BackfillStatus, Rule, RuleMode, RuleStatus
from plaudit.rules import service as rule_service
from plaudit.rules.schemas import SimulationIn

MAX_HISTORY = 1000  # as SimulationIn allows
MAX_HELD = 100


def listing(
    session: Session,
    *,
    organization_id: uuid.UUID,
    status: RuleStatus | None,
    mode: RuleMode | None,
    window: Window,
) -> NumberedPage[Rule]:
    """In the order the engine tries them."""
    stmt = rule_service.query(organization_id=organization_id, status=status, mode=mode)
    return numbered_page(session, stmt.order_by(Rule.priority, Rule.name, Rule.id), window)


def backfills(
    session: Session, *, organization_id: uuid.UUID, rule_id: uuid.UUID, window: Window
) -> NumberedPage[Backfill]:
    """A rule's backfills, the latest first."""
    stmt = (
        select(Backfill)
        .where(Backfill.organization_id == organization_id, Backfill.rule_id == rule_id)
        .order_by(Backfill.created_at.desc(), Backfill.id.desc())
    )
    return numbered_page(session, stmt, window)


def running_backfill(session: Session, *, rule_id: uuid.UUID) -> Backfill | None:
    return session.scalar(
        select(Backfill).where(
            Backfill.rule_id == rule_id,
            Backfill.status.in_([BackfillStatus.PENDING, BackfillStatus.RUNNING]),
        )
    )


def event_payload(event: Event, learner: Learner) -> dict[str, Any]:
    """A stored event in the shape the API takes (so the simulator runs it as if it came in)."""
    person: dict[str, Any] = {
        "email": learner.email,
        "first_name": learner.first_name,
        "last_name": learner.last_name,
        "locale": learner.locale,
    }
    if not (learner.external_id.startswith("email:") and learner.email):
        person["id"] = learner.external_id
    payload: dict[str, Any] = {
        "id": event.external_id,
        "type": event.type,
        "occurred_at": event.occurred_at.isoformat(),
        "learner": {k: v for k, v in person.items() if v is not None},
        "data": event.data,
    }
    if event.entity is not None:
        entity = {k: v for k, v in event.entity.items() if v is not None}
        payload["entity"] = entity
    if event.source:
        payload["source"] = event.source
    return payload


def stored_simulation(
    session: Session, *, organization_id: uuid.UUID, event_id: uuid.UUID
) -> SimulationIn | None:
    """A stored event with the learner's earlier events and the templates they hold now."""
    row = session.execute(
        select(Event, Learner)
        .join(Learner, Learner.id == Event.learner_id)
        .where(Event.organization_id == organization_id, Event.id == event_id)
    ).first()
    if row is None:
        return None
    event, learner = row
    earlier = list(
        session.scalars(
            select(Event)
            .where(
                Event.organization_id == organization_id,
                Event.learner_id == learner.id,
                Event.occurred_at <= event.occurred_at,
                Event.id != event.id,
            )
            .order_by(Event.occurred_at.desc(), Event.id.desc())
            .limit(MAX_HISTORY)
        )
    )
    held = session.scalars(
        select(AwardGuard.template_id)
        .where(AwardGuard.learner_id == learner.id)
        .order_by(AwardGuard.created_at)
        .limit(MAX_HELD)
    )
    return SimulationIn.model_validate(
        {
            "event": event_payload(event, learner),
            "history": [
                {
                    "id": e.external_id,
                    "type": e.type,
                    "occurred_at": e.occurred_at,
                    "entity": e.entity,
                    "data": e.data,
                }
                for e in earlier
            ],
            "held_template_ids": list(held),
        }
    )

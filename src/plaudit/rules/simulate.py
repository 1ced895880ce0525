"""Simulate a rule against a sample event and history: the decision and trace, no writes.

The rule is judged and carried out exactly as a live event would be (``apply``), into a
``DryRunBook`` that never writes: the trace says "would award" where a live one says
"awarded", and every other word is the same.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from plaudit.awards.service import awardable_templates
from plaudit.events.schemas import EventIn
from plaudit.models.learner import Learner
from plaudit.models.rule import Rule
from plaudit.rule_engine.engine import decide
from plaudit.rule_engine.facts import EventFacts, History
from plaudit.rules.apply import DryRunBook, Occasion, apply_decisions
from plaudit.rules.schemas import HistoryEventIn, SimulationOut
from plaudit.rules.service import LoadedRule


def event_facts(event: EventIn) -> EventFacts:
    entity: dict[str, Any] = {}
    if event.entity is not None:
        entity = event.entity.model_dump()
    return EventFacts(
        id=event.id,
        type=event.type,
        occurred_at=event.occurred_at,
        learner=event.learner.model_dump(mode="json") | {"id": event.learner.key},
        entity=entity,
        data=event.data.model_dump(exclude_none=True, mode="json"),
        source=event.source,
    )


def _history_facts(item: HistoryEventIn, learner: dict[str, Any]) -> EventFacts:
    return EventFacts(
        id=item.id,
        type=item.type,
        occurred_at=item.occurred_at,
        learner=learner,
        entity=item.entity or {},
        data=item.data,
    )


def simulate(
    session: Session,
    *,
    organization_id: uuid.UUID,
    rule: Rule,
    event: EventIn,
    history: list[HistoryEventIn],
    held_template_ids: list[uuid.UUID],
) -> SimulationOut:
    facts = event_facts(event)
    # The learner exists only in this request: never added to the session.
    learner = Learner(
        id=uuid.uuid4(),
        organization_id=organization_id,
        external_id=event.learner.key,
        email=event.learner.email,
        first_name=event.learner.first_name,
        last_name=event.learner.last_name,
    )
    book = DryRunBook.holding(learner.id, held_template_ids)
    past = History(
        events=tuple(
            sorted(
                (_history_facts(h, dict(facts.learner)) for h in history),
                key=lambda f: f.occurred_at,
            )
        ),
        held=dict(book.held[learner.id]),
    )
    loaded = LoadedRule.of(rule)
    decisions = decide([loaded.spec], event=facts, history=past)
    templates = awardable_templates(
        session,
        organization_id=organization_id,
        template_ids={a.template_id for a in loaded.actions},
    )
    outcome = apply_decisions(
        book,
        decisions=decisions,
        rules={loaded.spec.id: loaded},
        templates=templates,
        occasion=Occasion(learner=learner, facts=facts, history=past),
    )
    trace = [dict(entry) for entry in outcome.trace]
    would = [
        dict(action)
        for entry in outcome.trace
        for action in entry["actions"]
        if action["result"] == "awarded"
    ]
    return SimulationOut(fires=any(d.fires for d in decisions), would_award=would, trace=trace)

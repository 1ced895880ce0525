"""Simulate a rule against a sample event and history: the decision and trace, no writes."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from plaudit.automations.schemas import HistoryEventIn, SimulationOut
from plaudit.automations.service import to_spec
from plaudit.awards.service import awardable_templates
from plaudit.events.processing import FieldTooCostly, certificate_fields, trace_entry
from plaudit.events.schemas import EventIn
from plaudit.models.rule import Rule
from plaudit.rules.engine import decide
from plaudit.rules.facts import EventFacts, History


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
    past = History(
        events=tuple(
            sorted(
                (_history_facts(h, dict(facts.learner)) for h in history),
                key=lambda f: f.occurred_at,
            )
        ),
        held={str(t): 1 for t in held_template_ids},
    )
    spec = to_spec(rule)
    decisions = decide([spec], event=facts, history=past)
    templates = awardable_templates(
        session,
        organization_id=organization_id,
        template_ids={uuid.UUID(a["template_id"]) for a in rule.actions if a["type"] != "revoke"},
    )
    trace = []
    would: list[dict[str, Any]] = []
    for decision in decisions:
        entry = trace_entry(decision)
        trace.append(entry)
        if not decision.fires:
            continue
        for action in rule.actions:
            planned = _plan(action, templates, rule, facts, past)
            entry["actions"].append(planned)
            if planned["outcome"].startswith("would"):
                would.append(planned)
    return SimulationOut(fires=any(d.fires for d in decisions), would_award=would, trace=trace)


def _plan(
    action: dict[str, Any],
    templates: dict[uuid.UUID, Any],
    rule: Rule,
    facts: EventFacts,
    history: History,
) -> dict[str, Any]:
    template_id = uuid.UUID(action["template_id"])
    planned: dict[str, Any] = {"type": action["type"], "template_id": str(template_id)}
    if action["type"] == "revoke":
        planned["outcome"] = "would revoke the learner's credentials of this template"
        return planned
    template = templates.get(template_id)
    if isinstance(template, str) or template is None:
        planned["outcome"] = f"skipped: {template or 'template does not exist'}"
        return planned
    if rule.mode.value == "once" and history.held.get(str(template_id), 0) > 0:
        planned["outcome"] = "skipped: the learner already holds it (rule applies once)"
        return planned
    if action["type"] == "issue_certificate":
        try:
            planned["fields"] = certificate_fields(
                action.get("fields") or {}, template, facts, history
            )
        except FieldTooCostly as exc:
            planned["outcome"] = f"skipped: {exc}"
            return planned
    planned["outcome"] = "would award"
    planned["template_name"] = template.name
    planned["template_version"] = template.version
    return planned

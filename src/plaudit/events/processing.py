"""Process learning events: store them, decide with the rules engine, apply the actions.

A batch is one transaction. Rules and templates are loaded once; learners' histories once for
all of them; events of one learner are processed in time order so each sees the ones before.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from plaudit.automations import service as automations
from plaudit.awards.service import AwardableTemplate, AwardBook, Grant, awardable_templates
from plaudit.db import new_id
from plaudit.events.schemas import AwardResult, EventIn, EventResult
from plaudit.learners import service as learners
from plaudit.lifecycle import awarding
from plaudit.models.event import Event, EventOutcome
from plaudit.models.learner import Learner
from plaudit.rules.budget import TooCostly
from plaudit.rules.engine import RuleDecision, decide
from plaudit.rules.facts import EventFacts, History
from plaudit.rules.jsonlogic import compute

log = logging.getLogger(__name__)

# A concurrent worker can win a race on a unique constraint (the same event, or the same ONCE
# award); the batch is then retried from a savepoint and sees what the winner committed.
MAX_ATTEMPTS = 10


def facts_of(event: Event, learner: Learner) -> EventFacts:
    entity = event.entity or {}
    return EventFacts(
        id=event.external_id,
        type=event.type,
        occurred_at=event.occurred_at,
        learner={
            "id": learner.external_id,
            "email": learner.email,
            "first_name": learner.first_name,
            "last_name": learner.last_name,
            "locale": learner.locale,
        },
        entity=entity,
        data=event.data,
        source=event.source,
    )


def load_histories(
    session: Session, *, organization_id: uuid.UUID, learners_by_id: dict[uuid.UUID, Learner]
) -> dict[uuid.UUID, list[EventFacts]]:
    histories: dict[uuid.UUID, list[EventFacts]] = defaultdict(list)
    if not learners_by_id:
        return histories
    for event in session.scalars(
        select(Event)
        .where(Event.organization_id == organization_id, Event.learner_id.in_(list(learners_by_id)))
        .order_by(Event.occurred_at, Event.id)
    ):
        histories[event.learner_id].append(facts_of(event, learners_by_id[event.learner_id]))
    return histories


@dataclass
class Outcome:
    trace: list[dict[str, Any]] = field(default_factory=list)
    awards: list[AwardResult] = field(default_factory=list)


def apply_decisions(
    *,
    book: AwardBook,
    decisions: Sequence[RuleDecision],
    rules: dict[str, automations.LoadedRule],
    templates: dict[uuid.UUID, AwardableTemplate | str],
    learner: Learner,
    event: Event | None,
    facts: EventFacts,
    history: History,
    backfill_id: uuid.UUID | None = None,
) -> Outcome:
    """Carry out the actions of the rules that fired, and explain every decision."""
    outcome = Outcome()
    for decision in decisions:
        entry = trace_entry(decision)
        outcome.trace.append(entry)
        if not decision.fires:
            continue
        loaded = rules[decision.rule_id]
        for action in loaded.row.actions:
            entry["actions"].append(
                _apply(
                    book,
                    loaded,
                    action,
                    templates,
                    learner,
                    event,
                    facts,
                    history,
                    outcome,
                    backfill_id,
                )
            )
    return outcome


def trace_entry(decision: RuleDecision) -> dict[str, Any]:
    """How one rule judged one event, in words an administrator can follow."""
    entry: dict[str, Any] = {
        "rule_id": decision.rule_id,
        "rule": decision.rule_name,
        "trigger": {"matched": decision.trigger_matched, "reason": decision.trigger_reason},
        "condition": None,
        "fires": decision.fires,
        "skipped": decision.skipped_reason,
        "actions": [],
    }
    if decision.condition is not None:
        entry["condition"] = {
            "passed": decision.condition.passed,
            "summary": decision.condition.summary(),
            "steps": [
                {"at": s.pointer, "op": s.op, "explain": s.explain, "result": _jsonable(s.result)}
                for s in decision.condition.steps
            ],
        }
    return entry


def _apply(
    book: AwardBook,
    loaded: automations.LoadedRule,
    action: dict[str, Any],
    templates: dict[uuid.UUID, AwardableTemplate | str],
    learner: Learner,
    event: Event | None,
    facts: EventFacts,
    history: History,
    outcome: Outcome,
    backfill_id: uuid.UUID | None,
) -> dict[str, Any]:
    template_id = uuid.UUID(action["template_id"])
    kind = action["type"]
    result: dict[str, Any] = {"type": kind, "template_id": str(template_id)}
    if kind == "revoke":
        revoked = book.revoke(
            learner_id=learner.id,
            template_id=template_id,
            reason=action.get("reason") or loaded.row.name,
        )
        result["outcome"] = (
            f"revoked {len(revoked)} credential(s)" if revoked else "nothing to revoke"
        )
        for credential_id in revoked:
            outcome.awards.append(
                AwardResult(
                    template_id=template_id,
                    credential_id=credential_id,
                    action="revoked",
                    rule_id=loaded.row.id,
                )
            )
        return result
    template = templates.get(template_id, "template does not exist")
    if isinstance(template, str):
        result["outcome"] = f"skipped: {template}"
        return result
    once = loaded.spec.mode.value == "once"
    if once and book.holds(learner.id, template_id):
        result["outcome"] = "skipped: the learner already holds it (rule applies once)"
        return result
    fields: dict[str, Any] = {}
    if kind == "issue_certificate":
        try:
            fields = certificate_fields(action.get("fields") or {}, template, facts, history)
        except FieldTooCostly as exc:
            result["outcome"] = f"skipped: {exc}"
            return result
    credential_id = book.grant(
        Grant(
            learner=learner,
            template=template,
            rule_id=loaded.row.id,
            event_id=event.id if event is not None else None,
            occurred_at=facts.occurred_at,
            entity_type=facts.entity.get("type"),
            entity_id=facts.entity.get("id"),
            entity_title=facts.entity.get("title"),
            fields=fields,
            evidence=[
                {
                    "type": "event",
                    "id": facts.id,
                    "event_type": facts.type,
                    "occurred_at": facts.occurred_at.isoformat(),
                }
            ],
            backfill_id=backfill_id,
        ),
        once=once,
    )
    result["outcome"] = "awarded"
    result["credential_id"] = str(credential_id)
    result["template_version"] = template.version
    outcome.awards.append(
        AwardResult(
            template_id=template_id,
            credential_id=credential_id,
            action="awarded",
            rule_id=loaded.row.id,
        )
    )
    return result


class FieldTooCostly(Exception):
    """A certificate field's mapping ran out of its budget for this event: nothing is issued."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"certificate field '{name}' too costly to compute ({reason})")


def certificate_fields(
    mapping: dict[str, Any], template: AwardableTemplate, facts: EventFacts, history: History
) -> dict[str, Any]:
    """Each declared field from its mapping expression, else its default.

    Raises FieldTooCostly when a mapping exceeds its evaluation budget.
    """
    values: dict[str, Any] = {}
    for spec in template.snapshot.get("fields", []):
        name = spec["name"]
        if name in mapping:
            try:
                value = compute(mapping[name], event=facts, history=history)
            except TooCostly as exc:
                raise FieldTooCostly(name, exc.reason) from None
            values[name] = _jsonable(value)
        elif spec.get("default") is not None:
            values[name] = spec["default"]
    return values


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def ingest(
    session: Session, *, organization_id: uuid.UUID, items: Sequence[tuple[int, EventIn]]
) -> list[EventResult]:
    """Store and process events; repeats (by id) are acknowledged and change nothing."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with session.begin_nested():
                return _ingest_once(session, organization_id=organization_id, items=items)
        except (IntegrityError, OperationalError) as exc:
            # Lost a race for a new learner or event (unique keys), or a deadlock: the savepoint
            # is rolled back and the batch runs again, now seeing what the winner committed.
            if attempt == MAX_ATTEMPTS or not _retryable(exc):
                raise
            log.info("event batch lost a race (attempt %d); retrying", attempt)
            time.sleep(random.uniform(0, 0.02 * attempt))  # noqa: S311 (jitter, not security)
    raise AssertionError("unreachable")


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return code in {"40P01", "40001"}  # deadlock detected, serialization failure


def _ingest_once(
    session: Session, *, organization_id: uuid.UUID, items: Sequence[tuple[int, EventIn]]
) -> list[EventResult]:
    results: dict[int, EventResult] = {}
    # Learners first: their row locks make any concurrent worker's events for them visible below.
    by_key = learners.upsert_many(
        session, organization_id=organization_id, learners=[item.learner for _, item in items]
    )
    fresh: list[tuple[int, EventIn]] = []
    seen: set[str] = set()
    existing = {
        row.external_id: row
        for row in session.scalars(
            select(Event).where(
                Event.organization_id == organization_id,
                Event.external_id.in_([item.id for _, item in items]),
            )
        )
    }
    for index, item in items:
        if item.id in existing or item.id in seen:
            earlier = existing.get(item.id)
            results[index] = EventResult(
                index=index,
                id=item.id,
                status="duplicate",
                outcome=earlier.outcome if earlier is not None else None,
            )
        else:
            seen.add(item.id)
            fresh.append((index, item))
    if not fresh:
        return [results[i] for i, _ in items]

    learners_by_id = {learner.id: learner for learner in by_key.values()}
    histories = load_histories(
        session, organization_id=organization_id, learners_by_id=learners_by_id
    )
    rules = automations.load_active(session, organization_id=organization_id)
    templates = awardable_templates(
        session,
        organization_id=organization_id,
        template_ids={
            uuid.UUID(a["template_id"])
            for r in rules.values()
            for a in r.row.actions
            if a["type"] != "revoke"
        },
    )
    book = AwardBook.load(session, organization_id=organization_id, learner_ids=learners_by_id)
    specs = [r.spec for r in rules.values()]

    ordered = sorted(fresh, key=lambda pair: (pair[1].learner.key, pair[1].occurred_at, pair[0]))
    for index, item in ordered:
        learner = by_key[item.learner.key]
        event = Event(
            id=new_id(),
            organization_id=organization_id,
            external_id=item.id,
            type=item.type,
            occurred_at=item.occurred_at,
            learner_id=learner.id,
            entity_type=item.entity.type if item.entity else None,
            entity_id=item.entity.id if item.entity else None,
            entity_title=item.entity.title if item.entity else None,
            entity_parents=[p.model_dump() for p in item.entity.parents] if item.entity else [],
            data=item.data.model_dump(exclude_none=True, mode="json"),
            source=item.source,
            outcome=EventOutcome.NO_RULE,
        )
        facts = facts_of(event, learner)
        past = histories[learner.id]
        history = History(events=tuple(past), held=dict(book.held[learner.id]))
        decisions = decide(specs, event=facts, history=history)
        outcome = apply_decisions(
            book=book,
            decisions=decisions,
            rules=rules,
            templates=templates,
            learner=learner,
            event=event,
            facts=facts,
            history=history,
        )
        event.trace = outcome.trace
        event.awards_count = len(outcome.awards)
        if outcome.awards:
            event.outcome = EventOutcome.AWARDED
        elif any(d.trigger_matched for d in decisions):
            event.outcome = EventOutcome.NO_AWARD
        session.add(event)
        past.append(facts)
        results[index] = EventResult(
            index=index,
            id=item.id,
            status="processed",
            outcome=event.outcome,
            awards=outcome.awards,
        )
    awarding.settle(session, book.write())
    return [results[i] for i, _ in items]

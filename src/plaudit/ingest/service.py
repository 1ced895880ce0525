"""Receive learning events: store them, let the rules judge them, make their awards.

A batch is one transaction. Rules and templates are loaded once; learners' histories once for
all of them; events of one learner are processed in time order so each sees the ones before.
What a rule that fired does is ``rule_service.apply`` (shared with backfills and the
simulator); what follows the awards is ``lifecycle.awarding.settle``.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from plaudit.awards.service import AwardBook, awardable_templates
from plaudit.db import new_id
from plaudit.events.schemas import AwardResult, EventIn, EventResult
from plaudit.learners import service as learners
from plaudit.lifecycle import awarding
from plaudit.models.event import Event, EventOutcome
from plaudit.rule_engine.engine import decide
from plaudit.rule_engine.facts import History
from plaudit.rules import service as rule_service
from plaudit.rules.apply import Occasion, apply_decisions, facts_of, load_histories

log = logging.getLogger(__name__)

# A concurrent worker can win a race on a unique constraint (the same event, or the same ONCE
# award); the batch is then retried from a savepoint and sees what the winner committed.
MAX_ATTEMPTS = 10


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
    rules = rule_service.load_active(session, organization_id=organization_id)
    templates = awardable_templates(
        session,
        organization_id=organization_id,
        template_ids={a.template_id for r in rules.values() for a in r.actions},
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
            book,
            decisions=decisions,
            rules=rules,
            templates=templates,
            occasion=Occasion(learner=learner, facts=facts, history=history, event=event),
        )
        event.trace = [dict(entry) for entry in outcome.trace]
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
            awards=[
                AwardResult(
                    template_id=a.template_id,
                    credential_id=a.credential_id,
                    action=a.action,
                    rule_id=a.rule_id,
                )
                for a in outcome.awards
            ],
        )
    awarding.settle(session, book.write())
    return [results[i] for i, _ in items]

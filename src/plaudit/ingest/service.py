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
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from plaudit.awards.service import AwardBook
from plaudit.db import new_id, utcnow
from plaudit.events.schemas import AwardResult, EventIn, EventResult
from plaudit.ingest import rulebook as rulebooks
from plaudit.learners import service as learners
from plaudit.lifecycle import awarding
from plaudit.models.event import Event, EventOutcome
from plaudit.organizations import versions
from plaudit.rule_engine.engine import decide
from plaudit.rule_engine.facts import EventFacts, History
from plaudit.rules.apply import (
    EventId,
    Occasion,
    apply_decisions,
    learner_facts,
    recorded,
)

log = logging.getLogger(__name__)

# A concurrent worker can win a race on a unique constraint (the same event, or the same ONCE
# award); the batch is then retried from a savepoint and sees what the winner committed.
MAX_ATTEMPTS = 10


def ingest(
    session: Session,
    *,
    organization_id: uuid.UUID,
    items: Sequence[tuple[int, EventIn]],
    documents: Mapping[int, str] | None = None,
    retry_here: bool = True,
) -> list[EventResult]:
    """Store and process events; repeats (by id) are acknowledged and change nothing.
    ``documents``: by index, the JSON document each item was sent as (kept with the event).
    ``retry_here=False``: the caller runs its whole transaction again when it loses a race (an
    API route does: plaudit.api.routing), so no savepoint is kept to run the events again from
    (two round trips, a sixth of a single event's on PostgreSQL)."""
    if not retry_here:
        return _ingest_once(
            session, organization_id=organization_id, items=items, documents=documents
        )
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with session.begin_nested():
                return _ingest_once(
                    session, organization_id=organization_id, items=items, documents=documents
                )
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
    session: Session,
    *,
    organization_id: uuid.UUID,
    items: Sequence[tuple[int, EventIn]],
    documents: Mapping[int, str] | None = None,
) -> list[EventResult]:
    results: dict[int, EventResult] = {}
    # Learners first: their row locks make any concurrent worker's events for them visible below.
    by_key, created = learners.upsert_and_tell(
        session, organization_id=organization_id, learners=[item.learner for _, item in items]
    )
    fresh: list[tuple[int, EventIn]] = []
    seen: set[str] = set()
    # Learners created just now have no past: only the others' is read, with the repeats.
    known = {learner.id: learner for learner in by_key.values() if learner.id not in created}
    existing, histories = recorded(
        session,
        organization_id=organization_id,
        external_ids={item.id for _, item in items},
        learners_by_id=known,
    )
    for index, item in items:
        if item.id in existing or item.id in seen:
            results[index] = EventResult(
                index=index, id=item.id, status="duplicate", outcome=existing.get(item.id)
            )
        else:
            seen.add(item.id)
            fresh.append((index, item))
    if not fresh:
        return [results[i] for i, _ in items]

    stamps = versions.read(session, organization_id)  # both versions, one read
    rulebook = rulebooks.current(session, organization_id=organization_id, version=stamps.rules)
    rules, templates = rulebook.rules, rulebook.templates
    book = AwardBook.load(session, organization_id=organization_id, learner_ids=known)
    specs = rulebook.specs

    # The events are inserted as rows, in one statement, once judged (ORM objects cost more
    # than the database's work here); awards point at their ids.
    rows: list[dict[str, Any]] = []
    said = {learner.id: learner_facts(learner) for learner in by_key.values()}
    received = utcnow()
    ordered = sorted(fresh, key=lambda pair: (pair[1].learner.key, pair[1].occurred_at, pair[0]))
    for index, item in ordered:
        learner = by_key[item.learner.key]
        event_id = new_id()
        entity = item.entity
        parents = [p.model_dump() for p in entity.parents] if entity else []
        data = item.data.model_dump(exclude_none=True, mode="json")
        # The facts a stored event gives (``facts_of``): the same whether judged now or later.
        facts = EventFacts(
            id=item.id,
            type=item.type,
            occurred_at=item.occurred_at,
            learner=said[learner.id],
            entity=(
                {"type": entity.type, "id": entity.id, "title": entity.title, "parents": parents}
                if entity
                else {}
            ),
            data=data,
            source=item.source,
        )
        past = histories[learner.id]
        history = History(events=tuple(past), held=dict(book.held[learner.id]))
        decisions = decide(specs, event=facts, history=history)
        outcome = apply_decisions(
            book,
            decisions=decisions,
            rules=rules,
            templates=templates,
            occasion=Occasion(
                learner=learner, facts=facts, history=history, event=EventId(event_id)
            ),
        )
        if outcome.awards:
            result = EventOutcome.AWARDED
        elif any(d.trigger_matched for d in decisions):
            result = EventOutcome.NO_AWARD
        else:
            result = EventOutcome.NO_RULE
        rows.append(
            {
                "id": event_id,
                "organization_id": organization_id,
                "external_id": item.id,
                "type": item.type,
                "occurred_at": item.occurred_at,
                "learner_id": learner.id,
                "entity_type": entity.type if entity else None,
                "entity_id": entity.id if entity else None,
                "entity_title": entity.title if entity else None,
                "entity_parents": parents,
                "data": data,
                "source": item.source,
                "outcome": result,
                "awards_count": len(outcome.awards),
                "trace": outcome.trace,
                "received": documents.get(index) if documents else None,
                "received_at": received,
            }
        )
        past.append(facts)
        # Built from values of our own making: constructed, not validated (per event, that
        # validation was about 9% of a profiled batch).
        results[index] = EventResult.model_construct(
            index=index,
            id=item.id,
            status="processed",
            outcome=result,
            awards=[
                AwardResult.model_construct(
                    template_id=a.template_id,
                    credential_id=a.credential_id,
                    action=a.action,
                    rule_id=a.rule_id,
                )
                for a in outcome.awards
            ],
            errors=[],
        )
    awarding.settle(session, book.write(before=[(Event, rows)]), sending_version=stamps.sending)
    return [results[i] for i, _ in items]

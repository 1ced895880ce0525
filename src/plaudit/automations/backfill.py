"""Backfill: apply a rule to the stored history, first as a dry run, then as a resumable job."""

from __future__ import annotations

import dataclasses
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plaudit.automations.schemas import BackfillPreviewOut
from plaudit.automations.service import to_spec
from plaudit.awards.service import AwardableTemplate, AwardBook, Grant, awardable_templates
from plaudit.db import utcnow
from plaudit.errors import Conflict, not_found
from plaudit.events.processing import FieldTooCostly, certificate_fields, facts_of
from plaudit.lifecycle import awarding
from plaudit.models.award import AwardGuard, AwardLog
from plaudit.models.event import Event
from plaudit.models.learner import Learner
from plaudit.models.rule import Backfill, BackfillStatus, Rule, RuleMode
from plaudit.rules.engine import decide, match_trigger
from plaudit.rules.facts import EventFacts, History
from plaudit.webhooks import service as webhooks

CHUNK = 200  # learners per transaction: progress is saved (and resumable) chunk by chunk


@dataclass(frozen=True)
class Planned:
    learner: Learner
    event: Event
    facts: EventFacts
    history: History
    action: dict[str, Any]


def plan(session: Session, *, rule: Rule, learners: list[Learner]) -> list[Planned]:
    """The awards the rule would make now from these learners' stored events, in time order."""
    spec = dataclasses.replace(to_spec(rule), active=True)  # a draft rule can be previewed
    by_id = {learner.id: learner for learner in learners}
    if not by_id:
        return []
    events: dict[uuid.UUID, list[Event]] = defaultdict(list)
    for event in session.scalars(
        select(Event)
        .where(Event.organization_id == rule.organization_id, Event.learner_id.in_(list(by_id)))
        .order_by(Event.occurred_at, Event.id)
    ):
        events[event.learner_id].append(event)
    already_logged = {
        (event_id, template_id)
        for event_id, template_id in session.execute(
            select(AwardLog.event_id, AwardLog.template_id).where(AwardLog.rule_id == rule.id)
        )
    }
    held: dict[uuid.UUID, set[str]] = defaultdict(set)
    for guard in session.scalars(select(AwardGuard).where(AwardGuard.learner_id.in_(list(by_id)))):
        held[guard.learner_id].add(str(guard.template_id))
    grants = [a for a in rule.actions if a["type"] != "revoke"]

    planned: list[Planned] = []
    for learner_id, learner_events in events.items():
        learner = by_id[learner_id]
        past: list[EventFacts] = []
        for event in learner_events:
            facts = facts_of(event, learner)
            if match_trigger(spec.trigger, facts)[0]:
                history = History(events=tuple(past), held=dict.fromkeys(held[learner_id], 1))
                if any(d.fires for d in decide([spec], event=facts, history=history)):
                    for action in grants:
                        template_id = action["template_id"]
                        if rule.mode is RuleMode.ONCE:
                            if template_id in held[learner_id]:
                                continue
                        elif (event.id, uuid.UUID(template_id)) in already_logged:
                            continue
                        held[learner_id].add(template_id)
                        planned.append(Planned(learner, event, facts, history, action))
            past.append(facts)
    return planned


def _learner_chunk(
    session: Session, *, organization_id: uuid.UUID, after: uuid.UUID | None, limit: int
) -> list[Learner]:
    stmt = select(Learner).where(Learner.organization_id == organization_id)
    if after is not None:
        stmt = stmt.where(Learner.id > after)
    return list(session.scalars(stmt.order_by(Learner.id).limit(limit)))


def preview(session: Session, *, rule: Rule, sample_size: int = 50) -> BackfillPreviewOut:
    planned: list[Planned] = []
    after: uuid.UUID | None = None
    while chunk := _learner_chunk(
        session, organization_id=rule.organization_id, after=after, limit=1000
    ):
        planned += plan(session, rule=rule, learners=chunk)
        after = chunk[-1].id
    return BackfillPreviewOut(
        rule_id=rule.id,
        learners=len({p.learner.id for p in planned}),
        awards=len(planned),
        sample=[
            {
                "learner": p.learner.external_id,
                "email": p.learner.email,
                "event": p.event.external_id,
                "occurred_at": p.event.occurred_at.isoformat(),
                "template_id": p.action["template_id"],
            }
            for p in planned[:sample_size]
        ],
    )


def start(session: Session, *, rule: Rule) -> Backfill:
    running = session.scalar(
        select(Backfill).where(
            Backfill.rule_id == rule.id,
            Backfill.status.in_([BackfillStatus.PENDING, BackfillStatus.RUNNING]),
        )
    )
    if running is not None:
        raise Conflict(f"A backfill of this rule is already {running.status.value} ({running.id}).")
    total = session.scalar(
        select(func.count())
        .select_from(Learner)
        .where(Learner.organization_id == rule.organization_id)
    )
    backfill = Backfill(
        organization_id=rule.organization_id,
        rule_id=rule.id,
        status=BackfillStatus.PENDING,
        total_learners=total or 0,
    )
    session.add(backfill)
    session.flush()
    return backfill


def get(session: Session, *, organization_id: uuid.UUID, backfill_id: uuid.UUID) -> Backfill:
    backfill = session.scalar(
        select(Backfill).where(
            Backfill.id == backfill_id, Backfill.organization_id == organization_id
        )
    )
    if backfill is None:
        raise not_found("backfill", backfill_id)
    return backfill


def run_chunk(session: Session, *, backfill_id: uuid.UUID, chunk_size: int = CHUNK) -> bool:
    """Award for the next chunk of learners and save progress. Returns True when finished."""
    backfill = session.get(Backfill, backfill_id)
    if backfill is None or backfill.status in (BackfillStatus.COMPLETED, BackfillStatus.FAILED):
        return True
    rule = session.get(Rule, backfill.rule_id)
    if rule is None:
        backfill.status, backfill.error = BackfillStatus.FAILED, "the rule was deleted"
        backfill.finished_at = utcnow()
        return True
    backfill.status = BackfillStatus.RUNNING
    learners = _learner_chunk(
        session, organization_id=backfill.organization_id, after=backfill.cursor, limit=chunk_size
    )
    if not learners:
        backfill.status = BackfillStatus.COMPLETED
        backfill.finished_at = utcnow()
        session.flush()
        webhooks.emit(
            session,
            organization_id=backfill.organization_id,
            kind="backfill.completed",
            occurrence=str(backfill.id),
            data={
                "backfill_id": str(backfill.id),
                "rule_id": str(backfill.rule_id),
                "awarded": backfill.awarded,
                "processed_learners": backfill.processed_learners,
                "finished_at": backfill.finished_at.isoformat(),
            },
        )
        return True
    planned = plan(session, rule=rule, learners=learners)
    templates = awardable_templates(
        session,
        organization_id=rule.organization_id,
        template_ids={uuid.UUID(p.action["template_id"]) for p in planned},
    )
    book = AwardBook.load(
        session,
        organization_id=rule.organization_id,
        learner_ids=[learner.id for learner in learners],
    )
    for item in planned:
        template = templates.get(uuid.UUID(item.action["template_id"]))
        if not isinstance(template, AwardableTemplate):
            continue
        once = rule.mode is RuleMode.ONCE
        if once and book.holds(item.learner.id, template.template_id):
            continue
        fields = {}
        if item.action["type"] == "issue_certificate":
            try:
                fields = certificate_fields(
                    item.action.get("fields") or {}, template, item.facts, item.history
                )
            except FieldTooCostly:
                continue  # as live processing does: this event issues nothing
        book.grant(
            Grant(
                learner=item.learner,
                template=template,
                rule_id=rule.id,
                event_id=item.event.id,
                occurred_at=item.event.occurred_at,
                entity_type=item.event.entity_type,
                entity_id=item.event.entity_id,
                entity_title=item.event.entity_title,
                fields=fields,
                evidence=[
                    {
                        "type": "event",
                        "id": item.event.external_id,
                        "event_type": item.event.type,
                        "occurred_at": item.event.occurred_at.isoformat(),
                        "backfill": True,
                    }
                ],
                backfill_id=backfill.id,
            ),
            once=once,
        )
        backfill.awarded += 1
    backfill.cursor = learners[-1].id
    backfill.processed_learners += len(learners)
    awarding.settle(session, book.write())
    return False

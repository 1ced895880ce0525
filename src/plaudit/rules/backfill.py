"""Backfill: apply a rule to the stored history, first as a dry run, then as a resumable job.

Each learner's stored events are judged in time order and what fired is carried out by
``apply``, as live events are: into a ``DryRunBook`` for the preview, into an ``AwardBook``
for the job. Only a rule's awards are replayed (a backfill never revokes), and an event the
rule already awarded for is not awarded again.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plaudit.awards.service import AwardBook, awardable_templates
from plaudit.db import utcnow
from plaudit.errors import Conflict, not_found
from plaudit.lifecycle import awarding
from plaudit.models.award import AwardLog
from plaudit.models.event import Event
from plaudit.models.learner import Learner
from plaudit.models.rule import Backfill, BackfillStatus, Rule, RuleMode
from plaudit.rule_engine.engine import decide
from plaudit.rule_engine.facts import EventFacts, History
from plaudit.rules.apply import (
    Awarded,
    Book,
    DryRunBook,
    Occasion,
    Outcome,
    apply_decisions,
    facts_of,
    stored_events,
)
from plaudit.rules.schemas import BackfillPreviewOut, RevokeAction
from plaudit.rules.service import LoadedRule
from plaudit.webhooks import service as webhooks

CHUNK = 200  # learners per transaction: progress is saved (and resumable) chunk by chunk


@dataclass(frozen=True)
class Judged:
    """How the rule judged one stored event of a learner, and what it did (or would do)."""

    learner: Learner
    event: Event
    outcome: Outcome


@dataclass(frozen=True)
class Planned:
    learner: Learner
    event: Event
    award: Awarded


def replay(
    session: Session,
    book: Book,
    *,
    rule: Rule,
    learners: list[Learner],
    backfill_id: uuid.UUID | None = None,
) -> list[Judged]:
    """Judge these learners' stored events with the rule, in time order, and carry out its
    awards into ``book``."""
    loaded = LoadedRule.of(rule)
    loaded = dataclasses.replace(
        loaded,
        spec=dataclasses.replace(loaded.spec, active=True),  # a draft rule can be previewed
        actions=[a for a in loaded.actions if not isinstance(a, RevokeAction)],
    )
    by_id = {learner.id: learner for learner in learners}
    events = stored_events(session, organization_id=rule.organization_id, learner_ids=by_id)
    if not events:
        return []
    skip = None
    if rule.mode is not RuleMode.ONCE:  # a ONCE rule is held back by the learner's guard
        skip = {
            (event_id, template_id)
            for event_id, template_id in session.execute(
                select(AwardLog.event_id, AwardLog.template_id).where(
                    AwardLog.rule_id == rule.id, AwardLog.event_id.is_not(None)
                )
            )
            if event_id is not None
        }
    templates = awardable_templates(
        session,
        organization_id=rule.organization_id,
        template_ids={a.template_id for a in loaded.actions},
    )
    judged: list[Judged] = []
    for learner_id, learner_events in events.items():
        learner = by_id[learner_id]
        past: list[EventFacts] = []
        for event in learner_events:
            facts = facts_of(event, learner)
            history = History(events=tuple(past), held=dict(book.held[learner_id]))
            outcome = apply_decisions(
                book,
                decisions=decide([loaded.spec], event=facts, history=history),
                rules={loaded.spec.id: loaded},
                templates=templates,
                occasion=Occasion(learner, facts, history, event=event, backfill_id=backfill_id),
                skip=skip,
            )
            judged.append(Judged(learner, event, outcome))
            past.append(facts)
    return judged


def plan(session: Session, *, rule: Rule, learners: list[Learner]) -> list[Planned]:
    """The awards the rule would make now from these learners' stored events (a dry run)."""
    book = DryRunBook.load(
        session, organization_id=rule.organization_id, learner_ids=[x.id for x in learners]
    )
    return [
        Planned(j.learner, j.event, award)
        for j in replay(session, book, rule=rule, learners=learners)
        for award in j.outcome.awards
    ]


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
                "template_id": str(p.award.template_id),
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
    book = AwardBook.load(
        session,
        organization_id=rule.organization_id,
        learner_ids=[learner.id for learner in learners],
    )
    judged = replay(session, book, rule=rule, learners=learners, backfill_id=backfill.id)
    backfill.awarded += sum(len(j.outcome.awards) for j in judged)
    backfill.cursor = learners[-1].id
    backfill.processed_learners += len(learners)
    awarding.settle(session, book.write())
    return False

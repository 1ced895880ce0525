"""What the rules that fired do for a learner: written once, for every path that awards.

Live events (``plaudit.ingest``), backfills and the simulator all come here: ``carry_out``
decides what one action of one rule does for one learner's event (the ONCE guard, the
template's state, the certificate's fields, the evidence) and says it in the words of the
trace. They differ only in the book they hand it: an ``AwardBook`` writes, a
``DryRunBook`` remembers what it would have written and never touches the database.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NotRequired, Protocol, TypedDict

from sqlalchemy import select, union_all
from sqlalchemy.orm import Session

from plaudit.awards.service import AwardableTemplate, Grant, holdings
from plaudit.models.event import Event, EventOutcome
from plaudit.models.learner import Learner
from plaudit.models.rule import Rule, RuleMode
from plaudit.models.template import TemplateKind
from plaudit.rule_engine.budget import TooCostly
from plaudit.rule_engine.engine import RuleDecision
from plaudit.rule_engine.facts import EventFacts, History
from plaudit.rule_engine.jsonlogic import compute
from plaudit.rules.schemas import Action, CertificateAction, RevokeAction
from plaudit.rules.service import LoadedRule

# --- the trace: how each rule judged an event, in words an administrator can follow ---------


class StepTrace(TypedDict):
    at: str
    op: str
    explain: str
    result: Any


class ConditionTrace(TypedDict):
    passed: bool
    summary: str
    steps: list[StepTrace]


class TriggerTrace(TypedDict):
    matched: bool
    reason: str


class ActionTrace(TypedDict):
    type: str
    template_id: str
    # "awarded", "revoked" or "skipped"; ``outcome`` says it in words ("would award" in a
    # dry run, "skipped: the learner already holds it (rule applies once)").
    result: str
    outcome: str
    credential_id: NotRequired[str]
    template_name: NotRequired[str]
    template_version: NotRequired[int]
    fields: NotRequired[dict[str, Any]]


class RuleTrace(TypedDict):
    rule_id: str
    rule: str
    trigger: TriggerTrace
    condition: ConditionTrace | None
    fires: bool
    skipped: str | None
    actions: list[ActionTrace]


class EventEvidence(TypedDict):
    """Why a credential was awarded: the event, as its sender named it."""

    type: str
    id: str
    event_type: str
    occurred_at: str
    backfill: NotRequired[bool]


def trace_entry(decision: RuleDecision) -> RuleTrace:
    condition: ConditionTrace | None = None
    if decision.condition is not None:
        condition = {
            "passed": decision.condition.passed,
            "summary": decision.condition.summary(),
            "steps": [
                {"at": s.pointer, "op": s.op, "explain": s.explain, "result": _jsonable(s.result)}
                for s in decision.condition.steps
            ],
        }
    return {
        "rule_id": decision.rule_id,
        "rule": decision.rule_name,
        "trigger": {"matched": decision.trigger_matched, "reason": decision.trigger_reason},
        "condition": condition,
        "fires": decision.fires,
        "skipped": decision.skipped_reason,
        "actions": [],
    }


# --- books: where grants and revocations go --------------------------------------------------


class Book(Protocol):
    dry_run: bool
    held: dict[uuid.UUID, dict[str, int]]

    def holds(self, learner_id: uuid.UUID, template_id: uuid.UUID) -> bool: ...

    def grant(self, grant: Grant, *, once: bool) -> uuid.UUID: ...

    def revoke(
        self, *, learner_id: uuid.UUID, template_id: uuid.UUID, reason: str
    ) -> list[uuid.UUID]: ...


@dataclass
class DryRunBook:
    """A book that never writes: what an ``AwardBook`` would do, kept in memory only."""

    guards: set[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=set)
    held: dict[uuid.UUID, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    granted: list[Grant] = field(default_factory=list)
    dry_run: bool = True

    @classmethod
    def load(
        cls, session: Session, *, organization_id: uuid.UUID, learner_ids: Iterable[uuid.UUID]
    ) -> DryRunBook:
        """What these learners hold, as an ``AwardBook`` would load it (read only)."""
        guards, held = holdings(session, organization_id=organization_id, learner_ids=learner_ids)
        return cls(guards=guards, held=held)

    @classmethod
    def holding(cls, learner_id: uuid.UUID, template_ids: Iterable[uuid.UUID]) -> DryRunBook:
        """A learner said to hold one credential of each of these templates."""
        book = cls()
        for template_id in template_ids:
            book.guards.add((learner_id, template_id))
            book.held[learner_id][str(template_id)] = 1
        return book

    def holds(self, learner_id: uuid.UUID, template_id: uuid.UUID) -> bool:
        return (learner_id, template_id) in self.guards

    def grant(self, grant: Grant, *, once: bool) -> uuid.UUID:
        key = (grant.learner.id, grant.template.template_id)
        if once and key in self.guards:
            raise AssertionError("a ONCE grant for a held template must be skipped by the caller")
        self.guards.add(key)
        counts = self.held[grant.learner.id]
        counts[str(grant.template.template_id)] = counts.get(str(grant.template.template_id), 0) + 1
        self.granted.append(grant)
        return uuid.uuid4()

    def revoke(
        self, *, learner_id: uuid.UUID, template_id: uuid.UUID, reason: str
    ) -> list[uuid.UUID]:
        held = self.held[learner_id].pop(str(template_id), 0)
        self.guards.discard((learner_id, template_id))
        return [uuid.uuid4() for _ in range(held)]


# --- carrying out what fired ------------------------------------------------------------------


class StoredEvent(Protocol):
    """A stored event as an award points at it: a row, or the id of one about to be inserted."""

    @property
    def id(self) -> uuid.UUID: ...


@dataclass(frozen=True)
class EventId:
    """An event the caller inserts itself (``plaudit.ingest`` writes a batch's in one statement)."""

    id: uuid.UUID


@dataclass(frozen=True)
class Occasion:
    """What a rule judged: one learner's event, what came before it, and whence it came."""

    learner: Learner
    facts: EventFacts
    history: History
    event: StoredEvent | None = None  # the stored event; None in a simulation
    backfill_id: uuid.UUID | None = None


@dataclass
class Awarded:
    template_id: uuid.UUID
    credential_id: uuid.UUID
    action: str  # "awarded" or "revoked"
    rule_id: uuid.UUID


@dataclass
class Outcome:
    trace: list[RuleTrace] = field(default_factory=list)
    awards: list[Awarded] = field(default_factory=list)


def apply_decisions(
    book: Book,
    *,
    decisions: Sequence[RuleDecision],
    rules: dict[str, LoadedRule],
    templates: dict[uuid.UUID, AwardableTemplate | str],
    occasion: Occasion,
    skip: set[tuple[uuid.UUID, uuid.UUID]] | None = None,
) -> Outcome:
    """Carry out the actions of the rules that fired, and explain every decision."""
    outcome = Outcome()
    for decision in decisions:
        entry = trace_entry(decision)
        outcome.trace.append(entry)
        if not decision.fires:
            continue
        rule = rules[decision.rule_id]
        for action in rule.actions:
            done, awarded = carry_out(book, rule.row, action, templates, occasion, skip=skip)
            entry["actions"].append(done)
            outcome.awards.extend(awarded)
    return outcome


def carry_out(
    book: Book,
    rule: Rule,
    action: Action,
    templates: dict[uuid.UUID, AwardableTemplate | str],
    occasion: Occasion,
    *,
    skip: set[tuple[uuid.UUID, uuid.UUID]] | None = None,
) -> tuple[ActionTrace, list[Awarded]]:
    """What one action of a rule that fired does for the occasion's learner.

    ``skip``: (event, template) pairs this rule awarded already (a backfill does not award
    an event twice)."""
    template_id = action.template_id
    learner = occasion.learner

    def said(result: str, outcome: str) -> ActionTrace:
        return {
            "type": action.type,
            "template_id": str(template_id),
            "result": result,
            "outcome": outcome,
        }

    if isinstance(action, RevokeAction):
        revoked = book.revoke(
            learner_id=learner.id, template_id=template_id, reason=action.reason or rule.name
        )
        if not revoked:
            return said("skipped", "nothing to revoke"), []
        verb = "would revoke" if book.dry_run else "revoked"
        return said("revoked", f"{verb} {len(revoked)} credential(s)"), [
            Awarded(template_id, credential_id, "revoked", rule.id) for credential_id in revoked
        ]
    template = templates.get(template_id, "template does not exist")
    if isinstance(template, str):
        return said("skipped", f"skipped: {template}"), []
    event = occasion.event
    if skip is not None and event is not None and (event.id, template_id) in skip:
        return said("skipped", "skipped: this rule awarded it for this event already"), []
    once = rule.mode is RuleMode.ONCE
    if once and book.holds(learner.id, template_id):
        return said("skipped", "skipped: the learner already holds it (rule applies once)"), []
    fields: dict[str, Any] = {}
    # A badge in a certificate action (HighLevel's way) is awarded exactly as 'award' does.
    certifies = template.snapshot.kind is TemplateKind.CERTIFICATE
    if certifies and isinstance(action, CertificateAction):
        try:
            fields = certificate_fields(action.fields, template, occasion.facts, occasion.history)
        except FieldTooCostly as exc:
            return said("skipped", f"skipped: {exc}"), []
    facts = occasion.facts
    evidence: EventEvidence = {
        "type": "event",
        "id": facts.id,
        "event_type": facts.type,
        "occurred_at": facts.occurred_at.isoformat(),
    }
    if occasion.backfill_id is not None:
        evidence["backfill"] = True
    credential_id = book.grant(
        Grant(
            learner=learner,
            template=template,
            rule_id=rule.id,
            event_id=event.id if event is not None else None,
            occurred_at=facts.occurred_at,
            entity_type=facts.entity.get("type"),
            entity_id=facts.entity.get("id"),
            entity_title=facts.entity.get("title"),
            fields=fields,
            evidence=[dict(evidence)],
            backfill_id=occasion.backfill_id,
        ),
        once=once,
    )
    done = said("awarded", "would award" if book.dry_run else "awarded")
    if not book.dry_run:
        done["credential_id"] = str(credential_id)
    done["template_name"] = template.name
    done["template_version"] = template.version
    if certifies and isinstance(action, CertificateAction):
        done["fields"] = fields
    return done, [Awarded(template_id, credential_id, "awarded", rule.id)]


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
    for spec in template.snapshot.fields:
        name = spec.name
        if name in mapping:
            try:
                value = compute(mapping[name], event=facts, history=history)
            except TooCostly as exc:
                raise FieldTooCostly(name, exc.reason) from None
            values[name] = _jsonable(value)
        elif spec.default is not None:
            values[name] = spec.default
    return values


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


# --- the facts rules judge, from stored events ------------------------------------------------


def learner_facts(learner: Learner) -> dict[str, Any]:
    return {
        "id": learner.external_id,
        "email": learner.email,
        "first_name": learner.first_name,
        "last_name": learner.last_name,
        "locale": learner.locale,
    }


def facts_of(event: Event, learner: Learner, known: dict[str, Any] | None = None) -> EventFacts:
    """``known``: the learner's facts, when the caller built them already (one per learner)."""
    return EventFacts(
        id=event.external_id,
        type=event.type,
        occurred_at=event.occurred_at,
        learner=known if known is not None else learner_facts(learner),
        entity=event.entity or {},
        data=event.data,
        source=event.source,
    )


def stored_events(
    session: Session, *, organization_id: uuid.UUID, learner_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[Event]]:
    """Each learner's stored events, oldest first."""
    events: dict[uuid.UUID, list[Event]] = defaultdict(list)
    ids = list(learner_ids)
    if not ids:
        return events
    for event in session.scalars(
        select(Event)
        .where(Event.organization_id == organization_id, Event.learner_id.in_(ids))
        .order_by(Event.occurred_at, Event.id)
    ):
        events[event.learner_id].append(event)
    return events


def recorded(
    session: Session,
    *,
    organization_id: uuid.UUID,
    external_ids: Collection[str],
    learners_by_id: dict[uuid.UUID, Learner],
) -> tuple[dict[str, EventOutcome], dict[uuid.UUID, list[EventFacts]]]:
    """In one query: which of ``external_ids`` are stored already, with their outcome, and the
    stored events of these learners, oldest first, as the facts rules judge (read as rows: an
    ORM object per past event cost more than the query)."""
    columns = (
        Event.id,
        Event.external_id,
        Event.learner_id,
        Event.type,
        Event.occurred_at,
        Event.entity_type,
        Event.entity_id,
        Event.entity_title,
        Event.entity_parents,
        Event.data,
        Event.source,
        Event.outcome,
    )
    # Two SELECTs, not one with OR: SQLite answers an OR of two indexed columns by reading all
    # of the organization's events (measured: the single event's latency grew with them).
    repeats = select(*columns).where(
        Event.organization_id == organization_id, Event.external_id.in_(list(external_ids))
    )
    query = (
        union_all(
            repeats,
            select(*columns).where(
                Event.organization_id == organization_id,
                Event.learner_id.in_(list(learners_by_id)),
            ),
        )
        if learners_by_id
        else repeats
    )
    found = {row.id: row for row in session.execute(query)}  # one row per event
    rows = sorted(found.values(), key=lambda row: (row.occurred_at, row.id))
    ids = set(external_ids)
    outcomes: dict[str, EventOutcome] = {}
    histories: dict[uuid.UUID, list[EventFacts]] = defaultdict(list)
    said = {learner_id: learner_facts(learner) for learner_id, learner in learners_by_id.items()}
    for row in rows:
        if row.external_id in ids:
            outcomes[row.external_id] = row.outcome
        known = said.get(row.learner_id)
        if known is None:
            continue
        entity = (
            {
                "type": row.entity_type,
                "id": row.entity_id,
                "title": row.entity_title,
                "parents": row.entity_parents,
            }
            if row.entity_id is not None
            else {}
        )
        histories[row.learner_id].append(
            EventFacts(
                id=row.external_id,
                type=row.type,
                occurred_at=row.occurred_at,
                learner=known,
                entity=entity,
                data=row.data,
                source=row.source,
            )
        )
    return outcomes, histories

"""Dashboard: events — the live log with filters, and each event's trace (which rules it
triggered, how each condition was decided and with which values, what was awarded)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from plaudit.admin.forms import FormErrors
from plaudit.admin.trace_words import in_words
from plaudit.admin.web import ADMIN, Viewer, paged, parse_uuid, render, window
from plaudit.api.deps import SessionDep
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.credentials import queries as credential_queries
from plaudit.errors import not_found
from plaudit.events import queries
from plaudit.learners import queries as learner_queries
from plaudit.models.event import Event, EventOutcome
from plaudit.templates import queries as template_queries

router = APIRouter(prefix=ADMIN, include_in_schema=False, route_class=UnitOfWorkRoute)

OUTCOMES = (
    ("", "Any outcome"),
    (EventOutcome.AWARDED.value, "Awarded"),
    (EventOutcome.NO_AWARD.value, "Nothing awarded (a rule was triggered)"),
    (EventOutcome.NO_RULE.value, "No rule triggered"),
)
OUTCOME_WORDS = {
    EventOutcome.AWARDED: "awarded",
    EventOutcome.NO_AWARD: "nothing awarded",
    EventOutcome.NO_RULE: "no rule triggered",
}
# How often the live log looks for new events (the script; a <noscript> meta refresh
# reloads the whole page a little less often).
LIVE_SECONDS = 5
MAX_TYPES = 200


def _day(raw: str, name: str, errors: FormErrors) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.add(name, "Give a date as YYYY-MM-DD.")
        return None


@router.get("/events")
def event_list(
    request: Request,
    admin: Viewer,
    session: SessionDep,
    type: str = "",
    learner: str = "",
    outcome: str = "",
    since: str = "",
    until: str = "",
    live: str = "",
) -> Response:
    filters = {
        "type": type.strip()[:100],
        "learner": learner.strip()[:200],
        "outcome": outcome if outcome in {o.value for o in EventOutcome} else "",
        "since": since.strip()[:10],
        "until": until.strip()[:10],
    }
    errors = FormErrors()
    first = _day(filters["since"], "since", errors)
    last = _day(filters["until"], "until", errors)
    if first and last and last < first:
        errors.add("until", "The end of the range comes before its start.")
        last = None
    # Dates are UTC days, both ends included, on the time the event arrived.
    found = queries.listing(
        session,
        organization_id=admin.organization_id,
        type=filters["type"] or None,
        outcome=EventOutcome(filters["outcome"]) if filters["outcome"] else None,
        learner_search=filters["learner"] or None,
        received_from=datetime.combine(first, time(), tzinfo=UTC) if first else None,
        received_before=(
            datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC) if last else None
        ),
        window=window(request),
    )
    paged_events = paged(request, found)
    types = queries.types(session, organization_id=admin.organization_id, limit=MAX_TYPES)
    following = live == "1" and paged_events.page == 1
    query = {k: v for k, v in filters.items() if v}
    return render(
        request,
        admin,
        "admin/events_list.html",
        {
            "paged": paged_events,
            "filters": filters,
            "errors": errors,
            "outcomes": OUTCOMES,
            "words": OUTCOME_WORDS,
            "types": types,
            "live": following,
            "live_seconds": LIVE_SECONDS,
            "live_on": {**query, "live": "1"},
            "live_off": query,
        },
        status=422 if errors else 200,
        section="events",
    )


# --- the trace ---------------------------------------------------------------------------


@dataclass
class ActionView:
    kind: str
    outcome: str
    template_id: str | None
    template_name: str | None
    credential_id: str | None
    awarded: bool


@dataclass
class StepView:
    passed: bool
    words: str


@dataclass
class RuleView:
    """One rule's decision about the event, as an administrator reads it."""

    rule_id: str | None
    name: str
    triggered: bool
    trigger_reason: str
    verdict: str
    fired: bool
    condition: dict[str, Any] | None
    skipped: str | None
    actions: list[ActionView] = field(default_factory=list)
    steps: list[StepView] = field(default_factory=list)
    condition_summary: str | None = None


def _verdict(entry: dict[str, Any], actions: list[ActionView]) -> str:
    """One short sentence; the reasons are the card's items (trigger, steps, actions)."""
    trigger = entry.get("trigger") or {}
    if entry.get("skipped"):
        return f"Skipped: {in_words(str(entry['skipped']))}."
    if not trigger.get("matched"):
        return "Not triggered."
    if not entry.get("fires"):
        return "Condition not met." if entry.get("condition") is not None else "Did not fire."
    if any(a.awarded for a in actions):
        return "Fired and awarded."
    if not actions:
        return "Fired, but nothing was awarded: the rule has no action."
    return "Fired, but nothing was awarded: each action below says why."


def explain(trace: list[dict[str, Any]], templates: dict[str, str]) -> list[RuleView]:
    """The stored trace in words: per rule, why it did or did not give anything."""
    views = []
    for entry in trace:
        actions = [
            ActionView(
                kind=str(a.get("type", "")),
                outcome=str(a.get("outcome", "")),
                template_id=a.get("template_id"),
                template_name=templates.get(str(a.get("template_id"))),
                credential_id=a.get("credential_id"),
                awarded=a.get("outcome") == "awarded",
            )
            for a in entry.get("actions", [])
        ]
        trigger = entry.get("trigger") or {}
        condition = entry.get("condition")
        steps = [
            StepView(bool(step.get("result")), in_words(str(step.get("explain", ""))))
            for step in (condition or {}).get("steps", [])
        ]
        summary_text = (condition or {}).get("summary")
        views.append(
            RuleView(
                rule_id=entry.get("rule_id"),
                name=str(entry.get("rule") or entry.get("rule_id") or "a rule"),
                triggered=bool(trigger.get("matched")),
                # Event types and entity ids, as the sender named them: not fields.
                trigger_reason=str(trigger.get("reason", "")),
                verdict=_verdict(entry, actions),
                fired=bool(entry.get("fires")),
                condition=condition,
                skipped=in_words(str(entry["skipped"])) if entry.get("skipped") else None,
                actions=actions,
                steps=steps,
                condition_summary=in_words(str(summary_text)) if summary_text else None,
            )
        )
    return views


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def summary(event: Event, rules: list[RuleView]) -> str:
    """One sentence that answers "why did (or didn't) this event give a badge?"."""
    if event.outcome is EventOutcome.AWARDED:
        awarded = sum(a.awarded for r in rules for a in r.actions)
        revoked = event.awards_count - awarded
        done = [f"awarded {_count(awarded, 'credential')}"] if awarded else []
        done += [f"revoked {_count(revoked, 'credential')}"] if revoked > 0 else []
        return f"This event {' and '.join(done)}: the rules below say how."
    if not rules:
        return "There was no active rule when this event arrived, so nothing could be awarded."
    triggered = [r for r in rules if r.triggered]
    if not triggered:
        return (
            f"None of the active rules ({len(rules)} in all) is triggered by this "
            f"{event.type} event, so nothing was awarded: each rule's trigger says why."
        )
    # The rules are named as a list beside this sentence (``triggered`` in the page), never
    # run together in it: a rule's name may hold commas and "and".
    return (
        f"Triggered {_count(len(triggered), 'rule')}, but nothing was awarded: "
        f"{'it says' if len(triggered) == 1 else 'each one says'} why below."
    )


def received_document(event: Event) -> tuple[str, bool]:
    """The event as its sender posted it, pretty-printed (keys in the sender's order), and
    True; for an event received before they were kept, what was stored, and False."""
    if event.received is not None:
        try:
            return json.dumps(json.loads(event.received), indent=2, ensure_ascii=False), True
        except ValueError:
            return event.received, True
    stored = queries.to_out(event).model_dump(mode="json")
    return json.dumps(stored, indent=2, ensure_ascii=False), False


@router.get("/events/{event_id}")
def event_detail(event_id: str, request: Request, admin: Viewer, session: SessionDep) -> Response:
    ident = parse_uuid(event_id)
    event = (
        queries.find(session, organization_id=admin.organization_id, event_id=ident)
        if ident is not None
        else None
    )
    if event is None:
        raise not_found("event", event_id)
    learner = learner_queries.find(session, event.learner_id)
    template_ids = {
        uuid.UUID(str(a["template_id"]))
        for entry in event.trace
        for a in entry.get("actions", [])
        if parse_uuid(str(a.get("template_id", "")))
    }
    templates = {
        str(t_id): name
        for t_id, name in template_queries.names(
            session, organization_id=admin.organization_id, ids=template_ids
        ).items()
    }
    rules = explain(event.trace, templates)
    # What the event gave, as it stands now (a credential may have been revoked since).
    awarded = credential_queries.awarded_by_event(
        session, organization_id=admin.organization_id, event_id=event.id
    )
    payload, as_received = received_document(event)
    return render(
        request,
        admin,
        "admin/events_detail.html",
        {
            "event": event,
            "learner": learner,
            "payload": payload,
            "as_received": as_received,
            "rules": [r for r in rules if r.triggered or r.skipped],
            "untriggered": [r for r in rules if not r.triggered and not r.skipped],
            "summary": summary(event, rules),
            "triggered": [r for r in rules if r.triggered]
            if event.outcome is not EventOutcome.AWARDED
            else [],
            "awarded": awarded,
            "words": OUTCOME_WORDS,
        },
        section="events",
    )

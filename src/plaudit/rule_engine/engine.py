"""Which rules fire for a learning event, and why: triggers, conditions, fallback rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from plaudit.rule_engine.budget import TooCostly
from plaudit.rule_engine.facts import EventFacts, History
from plaudit.rule_engine.jsonlogic import Outcome, evaluate
from plaudit.rule_engine.language import ConditionError
from plaudit.rule_engine.patterns import type_matches, type_pattern_problem


class Mode(StrEnum):
    ONCE = "once"
    ALWAYS = "always"
    # Fires only when no other (non-fallback) rule fired for the same event.
    FALLBACK = "fallback"


@dataclass(frozen=True)
class Trigger:
    event_types: tuple[str, ...]
    entity_type: str | None = None
    # The event's entity, or one of its parents (a course inside a learning path), must be listed.
    entity_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleSpec:
    id: str
    name: str
    priority: int
    mode: Mode
    trigger: Trigger
    condition: Any
    template_ids: tuple[str, ...]
    active: bool = True


@dataclass(frozen=True)
class RuleDecision:
    rule_id: str
    rule_name: str
    trigger_matched: bool
    trigger_reason: str
    condition: Outcome | None
    fires: bool
    # Set only when a rule was held back for a reason other than its trigger or its condition.
    skipped_reason: str | None


def match_trigger(trigger: Trigger, event: EventFacts) -> tuple[bool, str]:
    pattern = next((p for p in trigger.event_types if type_matches(p, event.type)), None)
    if pattern is None:
        return False, f"type {event.type} is not one of {', '.join(trigger.event_types)}"
    reasons = [f"type {event.type} matches" + ("" if pattern == event.type else f" {pattern}")]
    entity = event.entity_ref
    if trigger.entity_type is not None:
        entity_type = entity.type if entity else None
        if entity_type != trigger.entity_type:
            return False, f"entity type {entity_type or 'none'} is not {trigger.entity_type}"
        reasons.append(f"entity type {entity_type} matches")
    if trigger.entity_ids:
        wanted = ", ".join(trigger.entity_ids)
        if entity is None:
            return False, f"the event has no entity, needs one of {wanted}"
        if entity.id in trigger.entity_ids:
            reasons.append(f"entity {entity.id} matches")
        else:
            parent = next((p for p in event.parents if p.id in trigger.entity_ids), None)
            if parent is None:
                reason = f"entity {entity.id} is not one of {wanted}"
                if event.parents:
                    reason += f" (nor are its parents {', '.join(p.id for p in event.parents)})"
                return False, reason
            reasons.append(f"entity {entity.id} is inside {parent.id}")
    return True, "; ".join(reasons)


def decide(rules: Sequence[RuleSpec], *, event: EventFacts, history: History) -> list[RuleDecision]:
    """One decision per rule, in evaluation order.

    Rules run by (priority ascending, then id), so the order never depends on how the caller
    listed them; all non-fallback rules come first, then the fallback rules, which fire only if
    no non-fallback rule fired. Several fallback rules may fire together. A rule whose condition
    is invalid, or too costly to evaluate within its budget, does not fire and says why, rather
    than failing (or stalling) the whole event.
    """
    ordered = sorted(rules, key=lambda rule: (rule.priority, rule.id))
    decisions = [
        _decide_one(rule, event, history) for rule in ordered if rule.mode is not Mode.FALLBACK
    ]
    applied = next((decision for decision in decisions if decision.fires), None)
    for rule in ordered:
        if rule.mode is not Mode.FALLBACK:
            continue
        if applied is None:
            decisions.append(_decide_one(rule, event, history))
        else:
            decisions.append(_held_back(rule, event, applied.rule_name))
    return decisions


def once_blocked(rule: RuleSpec, history: History) -> str | None:
    """Why a ONCE rule must not award again; the caller decides, this engine only reports."""
    if rule.mode is not Mode.ONCE or not rule.template_ids:
        return None
    if all(history.held.get(template_id, 0) > 0 for template_id in rule.template_ids):
        return f"already holds {', '.join(rule.template_ids)}"
    return None


def validate_trigger(trigger: Trigger) -> None:
    if not trigger.event_types:
        raise ConditionError("a trigger needs at least one event type", "/trigger/event_types")
    for index, pattern in enumerate(trigger.event_types):
        if problem := type_pattern_problem(pattern):
            raise ConditionError(problem, f"/trigger/event_types/{index}")
    if trigger.entity_type is not None and not trigger.entity_type.strip():
        raise ConditionError("entity_type must not be empty", "/trigger/entity_type")
    for index, entity_id in enumerate(trigger.entity_ids):
        if not entity_id.strip():
            raise ConditionError("an entity id must not be empty", f"/trigger/entity_ids/{index}")


def _decide_one(rule: RuleSpec, event: EventFacts, history: History) -> RuleDecision:
    matched, reason = match_trigger(rule.trigger, event)
    if not rule.active:
        return _decision(rule, matched, reason, skipped="rule is not active")
    if not matched:
        return _decision(rule, matched, reason)
    try:
        outcome = evaluate(rule.condition, event=event, history=history)
    except ConditionError as exc:
        skipped = f"condition is invalid at {exc.pointer or 'the top'}: {exc.message}"
        return _decision(rule, matched, reason, skipped=skipped)
    except TooCostly as exc:
        skipped = (
            f"condition too costly to evaluate: {exc.reason} for this event (the limit for one"
            " rule); nothing is awarded by this rule"
        )
        return _decision(rule, matched, reason, skipped=skipped)
    return _decision(rule, matched, reason, outcome=outcome, fires=outcome.passed)


def _held_back(rule: RuleSpec, event: EventFacts, applied_by: str) -> RuleDecision:
    matched, reason = match_trigger(rule.trigger, event)
    if not rule.active:
        return _decision(rule, matched, reason, skipped="rule is not active")
    if not matched:
        return _decision(rule, matched, reason)
    skipped = f"fallback: rule {applied_by} already applied to this event"
    return _decision(rule, matched, reason, skipped=skipped)


def _decision(
    rule: RuleSpec,
    matched: bool,
    reason: str,
    *,
    outcome: Outcome | None = None,
    fires: bool = False,
    skipped: str | None = None,
) -> RuleDecision:
    return RuleDecision(
        rule_id=rule.id,
        rule_name=rule.name,
        trigger_matched=matched,
        trigger_reason=reason,
        condition=outcome,
        fires=fires,
        skipped_reason=skipped,
    )

"""Rules: validate and store them, load them for the engine, simulate, and backfill."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from plaudit.errors import InvalidInput, not_found
from plaudit.models.rule import Rule, RuleMode, RuleStatus
from plaudit.models.template import Template, TemplateKind
from plaudit.rule_engine import cost, jsonlogic
from plaudit.rule_engine.engine import Mode, RuleSpec, Trigger, validate_trigger
from plaudit.rules.schemas import (
    Action,
    CertificateAction,
    RuleIn,
    RuleUpdate,
    TriggerIn,
)

_ACTIONS: TypeAdapter[list[Action]] = TypeAdapter(list[Action])


def actions_of(rule: Rule) -> list[Action]:
    """The rule's actions as their typed models (stored as the JSON they were saved from)."""
    return _ACTIONS.validate_python(rule.actions)


@dataclass(frozen=True)
class LoadedRule:
    """A rule as the award loop needs it: its row (id, name, mode), the engine's view of it,
    and its actions, parsed once."""

    row: Rule
    spec: RuleSpec
    actions: list[Action]

    @classmethod
    def of(cls, rule: Rule) -> LoadedRule:
        return cls(rule, to_spec(rule), actions_of(rule))


def _trigger(data: dict[str, Any]) -> Trigger:
    return Trigger(
        event_types=tuple(data["event_types"]),
        entity_type=data.get("entity_type"),
        entity_ids=tuple(data.get("entity_ids") or ()),
    )


def to_spec(rule: Rule) -> RuleSpec:
    return RuleSpec(
        id=str(rule.id),
        name=rule.name,
        priority=rule.priority,
        mode=Mode(rule.mode.value),
        trigger=_trigger(rule.trigger),
        condition=rule.condition,
        template_ids=tuple(a["template_id"] for a in rule.actions if a["type"] != "revoke"),
        active=rule.status is RuleStatus.ACTIVE,
    )


def load_active(session: Session, *, organization_id: uuid.UUID) -> dict[str, LoadedRule]:
    """Active rules, and paused ones so that traces can say a paused rule would have matched."""
    rows = session.scalars(
        select(Rule).where(
            Rule.organization_id == organization_id,
            Rule.status.in_([RuleStatus.ACTIVE, RuleStatus.PAUSED]),
        )
    )
    return {str(r.id): LoadedRule.of(r) for r in rows}


def _invalid(message: str, field: str, pointer: str | None = None) -> InvalidInput:
    error = {"field": field, "reason": message}
    if pointer is not None:
        error["at"] = pointer
    return InvalidInput(
        f"'{field}' is invalid{f' at {pointer}' if pointer else ''}: {message}",
        extra={"errors": [error]},
    )


def validate(
    session: Session, *, organization_id: uuid.UUID, data: RuleIn, before: RuleIn | None = None
) -> None:
    """Refuse a rule that could not run: bad condition, trigger, templates or field mapping, or
    a condition or mapping whose estimated cost is over the run-time budget.

    Expressions unchanged from ``before`` (the stored rule) are not estimated again, so that a
    rule saved before the limit existed can still be paused or renamed; the run-time budget
    still stops it.
    """
    try:
        jsonlogic.validate(data.condition)
        if before is None or data.condition != before.condition:
            cost.check(data.condition)
    except jsonlogic.ConditionError as exc:
        raise _invalid(exc.message, "condition", exc.pointer or "/") from None
    try:
        validate_trigger(_trigger(data.trigger.model_dump()))
    except jsonlogic.ConditionError as exc:
        raise _invalid(exc.message, "trigger", exc.pointer) from None
    ids = {a.template_id for a in data.actions}
    found = {
        t.id: t
        for t in session.scalars(
            select(Template).where(
                Template.organization_id == organization_id, Template.id.in_(ids)
            )
        )
    }
    for index, action in enumerate(data.actions):
        field = f"actions.{index}.template_id"
        template = found.get(action.template_id)
        if template is None:
            raise _invalid(f"no template '{action.template_id}' in this organization", field)
        if isinstance(action, CertificateAction):
            _validate_mapping(index, action, template, _mappings(before))


def _mappings(rule: RuleIn | None) -> list[Any]:
    if rule is None:
        return []
    return [
        expression
        for action in rule.actions
        if isinstance(action, CertificateAction)
        for expression in action.fields.values()
    ]


def _validate_mapping(
    index: int, action: CertificateAction, template: Template, stored: list[Any]
) -> None:
    if template.kind is not TemplateKind.CERTIFICATE:
        # HighLevel's "Issue Certificate" action issues badges too (seed 000): a badge template
        # is awarded as an 'award' action would, but it has no dynamic fields to fill.
        if action.fields:
            raise _invalid(
                f"'{template.name}' is a badge and has no dynamic fields; "
                f"remove 'fields' ({', '.join(action.fields)}) or choose a certificate template",
                f"actions.{index}.fields",
            )
        return
    declared = {f["name"]: f for f in template.fields}
    for name, expression in action.fields.items():
        if name not in declared:
            raise _invalid(
                f"the template declares no field '{name}' "
                f"(it has: {', '.join(declared) or 'none'})",
                f"actions.{index}.fields.{name}",
            )
        try:
            jsonlogic.validate(expression)
            if expression not in stored:
                cost.check(expression, result=True)
        except jsonlogic.ConditionError as exc:
            raise _invalid(exc.message, f"actions.{index}.fields.{name}", exc.pointer) from None
    for name, spec in declared.items():
        if spec.get("required") and spec.get("default") is None and name not in action.fields:
            raise _invalid(
                f"required field '{name}' has no mapping and no default", f"actions.{index}.fields"
            )


def _store(rule: Rule, data: RuleIn) -> None:
    rule.name = data.name
    rule.description = data.description
    rule.status = data.status
    rule.priority = data.priority
    rule.mode = data.mode
    rule.trigger = data.trigger.model_dump(mode="json", exclude_none=True)
    rule.condition = data.condition if data.condition not in ({}, None) else None
    rule.actions = [a.model_dump(mode="json", exclude_none=True) for a in data.actions]


def create(session: Session, *, organization_id: uuid.UUID, data: RuleIn) -> Rule:
    validate(session, organization_id=organization_id, data=data)
    rule = Rule(organization_id=organization_id)
    _store(rule, data)
    session.add(rule)
    session.flush()
    return rule


def as_input(rule: Rule) -> RuleIn:
    return RuleIn.model_validate(
        {
            "name": rule.name,
            "description": rule.description,
            "status": rule.status,
            "priority": rule.priority,
            "mode": rule.mode,
            "trigger": TriggerIn.model_validate(rule.trigger),
            "condition": rule.condition,
            "actions": rule.actions,
        }
    )


def update(session: Session, *, rule: Rule, data: RuleUpdate) -> Rule:
    stored = as_input(rule)
    merged = stored.model_dump()
    merged.update(data.model_dump(exclude_unset=True))
    complete = RuleIn.model_validate(merged)
    validate(session, organization_id=rule.organization_id, data=complete, before=stored)
    _store(rule, complete)
    session.flush()
    return rule


def get(session: Session, *, organization_id: uuid.UUID, rule_id: uuid.UUID) -> Rule:
    rule = session.scalar(
        select(Rule).where(Rule.id == rule_id, Rule.organization_id == organization_id)
    )
    if rule is None:
        raise not_found("rule", rule_id)
    return rule


def query(
    *, organization_id: uuid.UUID, status: RuleStatus | None = None, mode: RuleMode | None = None
) -> Select[Rule]:
    stmt = select(Rule).where(Rule.organization_id == organization_id)
    if status is not None:
        stmt = stmt.where(Rule.status == status)
    if mode is not None:
        stmt = stmt.where(Rule.mode == mode)
    return stmt


def delete(session: Session, *, rule: Rule) -> None:
    session.delete(rule)
    session.flush()


def unsaved(organization_id: uuid.UUID, data: RuleIn, rule_id: uuid.UUID | None = None) -> Rule:
    """A transient Rule for simulation: never added to the session."""
    rule = Rule(id=rule_id or uuid.uuid4(), organization_id=organization_id)
    _store(rule, data)
    return rule


def rules_by_id(rules: Sequence[Rule]) -> dict[str, LoadedRule]:
    return {str(r.id): LoadedRule.of(r) for r in rules}

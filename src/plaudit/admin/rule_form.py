"""The rule editor's form: what it shows for a rule, how a posted form becomes the API's
``RuleIn`` (checked once, by the service that saves it), and the lookups the rule pages share."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData

from plaudit.admin.forms import FormErrors, Spot, errors_from, parse, text
from plaudit.admin.web import Admin, parse_uuid
from plaudit.api.deps import SessionDep
from plaudit.errors import InvalidInput, not_found
from plaudit.models.rule import Rule, RuleMode, RuleStatus
from plaudit.models.template import Template, TemplateKind
from plaudit.rules import service as rule_service
from plaudit.rules.schemas import RuleIn
from plaudit.templates import queries as template_queries

MAX_ACTIONS = 10  # as RuleIn allows
# A mapping value that reads like this is a field of the event ({"var": ...}); anything else
# that is not JSON is a constant text.
FIELD_PATH = re.compile(r"(event|learner|entity)(\.[A-Za-z0-9_-]+)+")
STATUSES = [(s.value, s.value.title()) for s in RuleStatus]
MODES = [
    (RuleMode.ONCE.value, "Once: at most one credential per learner"),
    (RuleMode.ALWAYS.value, "Always: every match awards again"),
    (RuleMode.FALLBACK.value, "Fallback: only when no other rule fired"),
]
ACTION_TYPES = [
    ("award", "Award a badge"),
    ("issue_certificate", "Issue a certificate"),
    ("revoke", "Revoke"),
]


# --- the rule form: what the editor shows, and how a posted form becomes a RuleIn -----------


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _mapping_value(expression: Any) -> str:
    """One field mapping as typed in the editor (``_parse_mapping`` reads it back the same)."""
    if isinstance(expression, dict) and list(expression) == ["var"]:
        path = expression["var"]
        if isinstance(path, str) and FIELD_PATH.fullmatch(path):
            return path
    if isinstance(expression, str) and not FIELD_PATH.fullmatch(expression):
        try:
            json.loads(expression)
        except ValueError:
            if expression == expression.strip() and expression:
                return expression
    return json.dumps(expression, ensure_ascii=False)


def mapping_text(fields: dict[str, Any]) -> str:
    return "\n".join(f"{name} = {_mapping_value(value)}" for name, value in fields.items())


def _parse_mapping(raw: str) -> tuple[dict[str, Any], str | None]:
    """Lines of ``field = value``: an event field (event.data.score), JSON (a number, "text",
    JSON Logic), or else plain text."""
    fields: dict[str, Any] = {}
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name:
            return fields, f"Line {number}: write one field a line, as name = value."
        if FIELD_PATH.fullmatch(value):
            fields[name] = {"var": value}
            continue
        try:
            fields[name] = json.loads(value)
        except ValueError:
            fields[name] = value
    return fields, None


def _blank_action() -> dict[str, str]:
    return {"type": "award", "template": "", "reason": "", "fields": ""}


def _with_blank(actions: list[dict[str, str]]) -> list[dict[str, str]]:
    """The editor always offers one more action row (ignored while no template is chosen)."""
    if len(actions) < MAX_ACTIONS and not any(not a["template"] for a in actions):
        actions = [*actions, _blank_action()]
    return actions


def form_of(rule: Rule | None) -> dict[str, Any]:
    if rule is None:
        return {
            "name": "",
            "description": "",
            "status": RuleStatus.DRAFT.value,
            "priority": "100",
            "mode": RuleMode.ONCE.value,
            "event_types": "",
            "entity_type": "",
            "entity_ids": "",
            "condition": "",
            "actions": [_blank_action()],
        }
    trigger = rule.trigger
    return {
        "name": rule.name,
        "description": rule.description,
        "status": rule.status.value,
        "priority": str(rule.priority),
        "mode": rule.mode.value,
        "event_types": ", ".join(trigger.get("event_types") or []),
        "entity_type": trigger.get("entity_type") or "",
        "entity_ids": "\n".join(trigger.get("entity_ids") or []),
        "condition": "" if rule.condition is None else pretty(rule.condition),
        "actions": _with_blank(
            [
                {
                    "type": a["type"],
                    "template": a["template_id"],
                    "reason": a.get("reason") or "",
                    "fields": mapping_text(a.get("fields") or {}),
                }
                for a in rule.actions
            ]
        ),
    }


def _posted_actions(form: FormData) -> list[dict[str, str]]:
    return [
        {
            "type": text(form, f"action-{i}-type") or "award",
            "template": text(form, f"action-{i}-template"),
            "reason": text(form, f"action-{i}-reason"),
            "fields": str(form.get(f"action-{i}-fields") or ""),
        }
        for i in range(MAX_ACTIONS + 1)
        if f"action-{i}-type" in form or f"action-{i}-template" in form
    ]


def kept_form(form: FormData) -> dict[str, Any]:
    """What the user typed, to show again (the condition exactly as typed)."""
    return {
        "name": text(form, "name"),
        "description": text(form, "description"),
        "status": text(form, "status"),
        "priority": text(form, "priority"),
        "mode": text(form, "mode"),
        "event_types": text(form, "event_types"),
        "entity_type": text(form, "entity_type"),
        "entity_ids": str(form.get("entity_ids") or ""),
        "condition": str(form.get("condition") or ""),
        "actions": _with_blank(_posted_actions(form)),
        "sim_event": str(form.get("sim_event") or ""),
    }


def _split(raw: str, separators: str) -> list[str]:
    return [part.strip() for part in re.split(separators, raw) if part.strip()]


@dataclass
class ReadForm:
    """A posted rule form: the RuleIn it makes (None if it has mistakes), and the mistakes."""

    data: RuleIn | None
    errors: FormErrors
    rows: list[int]  # the editor row of each action the RuleIn holds, for messages

    def row_of(self, index: int) -> int:
        return self.rows[index] if index < len(self.rows) else 0

    def spot(self, loc: Sequence[str]) -> Spot:
        """Where a RuleIn error is shown: the trigger's parts and each action have their own."""
        if not loc:
            return Spot("")
        if loc[0] == "trigger" and len(loc) > 1 and loc[1] in _TRIGGER_FIELDS:
            return Spot(loc[1], loc[2] if len(loc) > 2 else "")
        if loc[0] == "actions" and len(loc) > 1 and loc[1].isdigit():
            return Spot(f"action-{self.row_of(int(loc[1]))}")
        return Spot(loc[0])

    def reason(self, item: Mapping[str, Any]) -> tuple[str, str] | None:
        """Where a service's reason is shown (the condition's with its JSON pointer)."""
        field, reason, pointer = str(item["field"]), str(item["reason"]), item.get("at")
        parts = field.split(".")
        if field == "condition":
            return "condition", f"At {pointer}: {reason}" if pointer else reason
        if field == "trigger":
            name = next((n for n in _TRIGGER_FIELDS if f"/{n}" in str(pointer)), "event_types")
            return name, reason
        if parts[0] == "actions" and len(parts) > 1 and parts[1].isdigit():
            return f"action-{self.row_of(int(parts[1]))}", reason
        return None


def read_form(form: FormData) -> ReadForm:
    errors = FormErrors()
    actions: list[dict[str, Any]] = []
    rows: list[int] = []
    for row, posted in enumerate(_posted_actions(form)):
        if not posted["template"]:
            continue
        action: dict[str, Any] = {"type": posted["type"], "template_id": posted["template"]}
        if posted["type"] == "revoke" and posted["reason"]:
            action["reason"] = posted["reason"]
        if posted["type"] == "issue_certificate":
            action["fields"], problem = _parse_mapping(posted["fields"])
            if problem:
                errors.add(f"action-{row}", problem)
        actions.append(action)
        rows.append(row)
    if not actions:
        errors.add("actions", "Choose the template to award, issue or revoke.")

    condition: Any = None
    raw_condition = str(form.get("condition") or "").strip()
    if raw_condition:
        try:
            condition = json.loads(raw_condition)
        except json.JSONDecodeError as exc:
            errors.add(
                "condition",
                f"This is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).",
            )

    data = {
        "name": text(form, "name"),
        "description": text(form, "description"),
        "status": text(form, "status") or RuleStatus.DRAFT.value,
        "priority": text(form, "priority") or "100",
        "mode": text(form, "mode") or RuleMode.ONCE.value,
        "trigger": {
            "event_types": _split(text(form, "event_types"), r"[\s,]+"),
            "entity_type": text(form, "entity_type") or None,
            "entity_ids": _split(str(form.get("entity_ids") or ""), r"[\n,]+"),
        },
        "condition": condition,
        "actions": actions,
    }
    read = ReadForm(None, errors, rows)
    parsed, schema_errors = parse(RuleIn, data, place=read.spot)
    errors.merge(schema_errors)
    if not errors:
        read.data = parsed
    return read


_TRIGGER_FIELDS = {"event_types", "entity_type", "entity_ids"}


def validated(
    session: SessionDep, admin: Admin, form: FormData, *, rule: Rule | None = None
) -> ReadForm:
    """The form as a rule, checked as the API checks it: an edit against the stored ``rule``
    (expressions it keeps unchanged are not estimated again, as PATCH does)."""
    read = read_form(form)
    if read.data is not None:
        try:
            rule_service.validate(
                session,
                organization_id=admin.organization_id,
                data=read.data,
                before=rule_service.as_input(rule) if rule is not None else None,
            )
        except InvalidInput as exc:
            read.errors.merge(errors_from(exc, reason=read.reason))
            read.data = None
    return read


# --- lookups ---------------------------------------------------------------------------------


def rule_of(session: SessionDep, admin: Admin, rule_id: str) -> Rule:
    ident = parse_uuid(rule_id)
    if ident is None:
        raise not_found("rule", rule_id)
    return rule_service.get(session, organization_id=admin.organization_id, rule_id=ident)


def templates_of(session: SessionDep, admin: Admin) -> list[Template]:
    return template_queries.all_of(session, organization_id=admin.organization_id)


def template_names(
    session: SessionDep, admin: Admin, actions: Iterable[dict[str, Any]]
) -> dict[str, str]:
    """Template id -> name, for the templates these actions name."""
    ids = {
        parsed
        for action in actions
        if (parsed := parse_uuid(str(action.get("template_id")))) is not None
    }
    found = template_queries.names(session, organization_id=admin.organization_id, ids=ids)
    return {str(ident): name for ident, name in found.items()}


def _field_hint(template: Template) -> str:
    return ", ".join(
        f["name"] + (" (required)" if f.get("required") else "") for f in template.fields
    )


def template_choices(templates: list[Template]) -> list[dict[str, Any]]:
    return [
        {
            "id": str(t.id),
            "name": t.name,
            "label": f"{t.name} ({t.kind.value}, {t.status.value})",
            "kind": t.kind.value,
            "fields": _field_hint(t) if t.kind is TemplateKind.CERTIFICATE else "",
        }
        for t in templates
    ]

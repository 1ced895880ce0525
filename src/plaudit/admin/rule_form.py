"""The rule editor's form: what it shows for a rule, how a posted form becomes the API's
``RuleIn`` (checked once, by the service that saves it), and the lookups the rule pages share."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData

from plaudit.admin.forms import FormErrors, Spot, errors_from, parse, text, texts
from plaudit.admin.web import Admin, parse_uuid
from plaudit.api.deps import SessionDep
from plaudit.errors import InvalidInput, not_found
from plaudit.models.rule import Rule, RuleMode, RuleStatus
from plaudit.models.template import Template, TemplateKind, TemplateStatus
from plaudit.rules import service as rule_service
from plaudit.rules.schemas import RuleIn
from plaudit.templates import queries as template_queries

MAX_ACTIONS = 10  # as RuleIn allows
# A mapping value that reads like this is a field of the event ({"var": ...}); anything else
# that is not JSON is a constant text.
FIELD_PATH = re.compile(r"(event|learner|entity)(\.[A-Za-z0-9_-]+)+")
# As the API's TypePattern: lowercase words joined by dots, a last part of * for any.
TYPE_PATTERN = re.compile(r"[a-z][a-z0-9_]*(\.([a-z][a-z0-9_]*|\*))+")
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
        "picked": texts(form, "pick_entity"),
        "condition": str(form.get("condition") or ""),
        "actions": _with_blank(_posted_actions(form)),
        "sim_event": str(form.get("sim_event") or ""),
    }


def with_another_action(kept: dict[str, Any]) -> dict[str, Any]:
    """ "Add action" without scripts: the form again, with one more empty action row."""
    actions = list(kept["actions"])
    if len(actions) < MAX_ACTIONS:
        actions.append(_blank_action())
    return {**kept, "actions": actions}


def _event_type_problem(typed: str) -> str | None:
    """A typed event type in words: "course completed" is not one, course.completed is."""
    if not typed or TYPE_PATTERN.fullmatch(typed):
        return None
    guess = re.sub(r"[\s-]+", ".", typed.strip().lower())
    hint = (
        f" Did you mean {guess}?"
        if TYPE_PATTERN.fullmatch(guess)
        else " Event types are lowercase words joined by dots, such as course.completed."
    )
    return f"“{typed}” is not an event type.{hint} Pick one from the suggestions."


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

    # Commas separate types; so do spaces between valid types (as before), but "course
    # completed" is a type written in words, and gets words back, not the schema's pattern.
    event_types = [
        part
        for typed in _split(text(form, "event_types"), r",")
        for part in (typed.split() if all(map(TYPE_PATTERN.fullmatch, typed.split())) else [typed])
    ]
    for typed in event_types:
        if problem := _event_type_problem(typed):
            errors.add("event_types", problem)
            break
    picked = [value.partition(":")[2] or value for value in texts(form, "pick_entity")]
    entity_ids = _split(str(form.get("entity_ids") or ""), r"[\n,]+")
    data = {
        "name": text(form, "name"),
        "description": text(form, "description"),
        "status": text(form, "status") or RuleStatus.DRAFT.value,
        "priority": text(form, "priority") or "100",
        "mode": text(form, "mode") or RuleMode.ONCE.value,
        "trigger": {
            "event_types": event_types,
            "entity_type": text(form, "entity_type") or None,
            "entity_ids": list(dict.fromkeys([*entity_ids, *picked])),
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
    """Each template as the pickers show it: name, version and status, and, for templates
    that share a name, enough to tell them apart (when each was made, and its id's start)."""
    counts = Counter(t.name.casefold() for t in templates)
    choices = []
    for t in templates:
        version = f"v{t.published_version}" if t.published_version else "never published"
        label = f"{t.name} · {t.kind.value} · {version} · {t.status.value}"
        if counts[t.name.casefold()] > 1:
            # Ids are time-ordered (UUIDv7): their end, not their start, tells twins apart.
            label += f" · made {t.created_at:%Y-%m-%d %H:%M} · #{t.id.hex[-6:]}"
        choices.append(
            {
                "id": str(t.id),
                "name": t.name,
                "label": label,
                "kind": t.kind.value,
                "status": t.status.value,
                # Only a published template is awarded; a draft is shown, not chosen.
                "usable": t.status is TemplateStatus.PUBLISHED,
                "fields": _field_hint(t) if t.kind is TemplateKind.CERTIFICATE else "",
            }
        )
    return choices


# Which templates an action offers (a revoke may name any template).
ACTION_KINDS = {"award": "badge", "issue_certificate": "certificate"}


def choices_for(choices: list[dict[str, Any]], action_type: str, chosen: str) -> list[Any]:
    """The templates an action of this type offers, plus the one it names already."""
    kind = ACTION_KINDS.get(action_type)
    return [
        c
        for c in choices
        if c["id"] == chosen or ((kind is None or c["kind"] == kind) and c["status"] != "archived")
    ]

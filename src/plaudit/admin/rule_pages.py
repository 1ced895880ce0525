"""Dashboard: rules — the list, the editor (a condition builder over JSON Logic), the simulator,
and backfills (a dry-run list, then the job with its progress)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from plaudit import jobs
from plaudit.admin.forms import FormErrors, Spot, errors_from, parse, text
from plaudit.admin.web import (
    ADMIN,
    Admin,
    Editor,
    FormDep,
    Viewer,
    paged,
    parse_uuid,
    redirect,
    render,
    window,
)
from plaudit.api.deps import SessionDep
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.errors import Conflict, InvalidInput, not_found
from plaudit.events import queries as event_queries
from plaudit.models.rule import BackfillStatus, Rule, RuleMode, RuleStatus
from plaudit.models.template import Template, TemplateKind
from plaudit.rules import backfill as backfills
from plaudit.rules import queries as rule_queries
from plaudit.rules import service as rule_service
from plaudit.rules import tasks as rule_tasks
from plaudit.rules.schemas import RuleIn, RuleUpdate, SimulationIn, SimulationOut
from plaudit.rules.simulate import simulate
from plaudit.templates import queries as template_queries

router = APIRouter(prefix=ADMIN, include_in_schema=False, route_class=UnitOfWorkRoute)
RULES = f"{ADMIN}/rules"

MAX_ACTIONS = 10  # as RuleIn allows
RECENT_EVENTS = 20
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


def _pretty(value: Any) -> str:
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


def _mapping_text(fields: dict[str, Any]) -> str:
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


def _form_of(rule: Rule | None) -> dict[str, Any]:
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
        "condition": "" if rule.condition is None else _pretty(rule.condition),
        "actions": _with_blank(
            [
                {
                    "type": a["type"],
                    "template": a["template_id"],
                    "reason": a.get("reason") or "",
                    "fields": _mapping_text(a.get("fields") or {}),
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


def _kept(form: FormData) -> dict[str, Any]:
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
class _Read:
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


def _read(form: FormData) -> _Read:
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
    read = _Read(None, errors, rows)
    parsed, schema_errors = parse(RuleIn, data, place=read.spot)
    errors.merge(schema_errors)
    if not errors:
        read.data = parsed
    return read


_TRIGGER_FIELDS = {"event_types", "entity_type", "entity_ids"}


def _validated(
    session: SessionDep, admin: Admin, form: FormData, *, rule: Rule | None = None
) -> _Read:
    """The form as a rule, checked as the API checks it: an edit against the stored ``rule``
    (expressions it keeps unchanged are not estimated again, as PATCH does)."""
    read = _read(form)
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


def _rule(session: SessionDep, admin: Admin, rule_id: str) -> Rule:
    ident = parse_uuid(rule_id)
    if ident is None:
        raise not_found("rule", rule_id)
    return rule_service.get(session, organization_id=admin.organization_id, rule_id=ident)


def _templates(session: SessionDep, admin: Admin) -> list[Template]:
    return template_queries.all_of(session, organization_id=admin.organization_id)


def _template_names(
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


def _template_choices(templates: list[Template]) -> list[dict[str, Any]]:
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


# --- the list ------------------------------------------------------------------------------


@router.get("/rules")
def rule_list(
    request: Request, admin: Viewer, session: SessionDep, status: str = "", mode: str = ""
) -> Response:
    chosen_status = status if status in {s.value for s in RuleStatus} else None
    chosen_mode = mode if mode in {m.value for m in RuleMode} else None
    found = rule_queries.listing(
        session,
        organization_id=admin.organization_id,
        status=RuleStatus(chosen_status) if chosen_status else None,
        mode=RuleMode(chosen_mode) if chosen_mode else None,
        window=window(request),
    )
    listed = paged(request, found)
    return render(
        request,
        admin,
        "admin/rules_list.html",
        {
            "paged": listed,
            "names": _template_names(session, admin, (a for r in listed.items for a in r.actions)),
            "status": chosen_status or "",
            "mode": chosen_mode or "",
            "statuses": STATUSES,
            "modes": [(value, value.title()) for value, _ in MODES],
        },
        section="rules",
    )


# --- the editor ----------------------------------------------------------------------------


def _editor(
    request: Request,
    admin: Admin,
    session: SessionDep,
    *,
    rule: Rule | None,
    form: dict[str, Any],
    errors: FormErrors | None = None,
    status: int = 200,
    simulation: dict[str, Any] | None = None,
) -> Response:
    return render(
        request,
        admin,
        "admin/rules_form.html",
        {
            "rule": rule,
            "form": form,
            "errors": errors or FormErrors(),
            "templates": _template_choices(_templates(session, admin)),
            "statuses": STATUSES,
            "modes": MODES,
            "action_types": ACTION_TYPES,
            "simulation": simulation,
        },
        status=status,
        section="rules",
    )


@router.get("/rules/new")
def new_rule(request: Request, admin: Viewer, session: SessionDep) -> Response:
    form = _form_of(None)
    form["sim_event"] = _sample_event(None)
    return _editor(request, admin, session, rule=None, form=form)


@router.post("/rules")
def create_rule(request: Request, admin: Editor, form: FormDep, session: SessionDep) -> Response:
    # The form is read here, and checked against the stored templates once, by the service
    # that saves it (it refuses before it writes anything).
    read = _read(form)
    if read.data is not None:
        try:
            rule = rule_service.create(
                session, organization_id=admin.organization_id, data=read.data
            )
        except InvalidInput as exc:
            read.errors.merge(errors_from(exc, reason=read.reason))
        else:
            return redirect(f"{RULES}/{rule.id}", flash=f"The rule “{rule.name}” was created.")
    return _editor(
        request, admin, session, rule=None, form=_kept(form), errors=read.errors, status=422
    )


@router.post("/rules/simulate")
def simulate_unsaved(
    request: Request, admin: Editor, form: FormDep, session: SessionDep
) -> Response:
    """The editor's rule as typed, against a pasted event; nothing is saved."""
    rule = None
    if rule_id := text(form, "rule_id"):
        rule = _rule(session, admin, rule_id)
    kept = _kept(form)
    read = _validated(session, admin, form, rule=rule)
    if read.data is None:
        read.errors.add("sim_event", "Correct the rule first: it cannot be simulated yet.")
        return _editor(
            request, admin, session, rule=rule, form=kept, errors=read.errors, status=422
        )
    body, errors = _simulation_input(kept["sim_event"], "", field="sim_event")
    if body is None:
        return _editor(request, admin, session, rule=rule, form=kept, errors=errors, status=422)
    as_active = read.data.model_copy(update={"status": RuleStatus.ACTIVE})
    result = simulate(
        session,
        organization_id=admin.organization_id,
        rule=rule_service.unsaved(admin.organization_id, as_active, rule.id if rule else None),
        event=body.event,
        history=body.history,
        held_template_ids=body.held_template_ids,
    )
    return _editor(
        request,
        admin,
        session,
        rule=rule,
        form=kept,
        simulation=_shown(session, admin, result, body.event.model_dump(mode="json")),
    )


@router.get("/rules/{rule_id}/edit")
def edit_rule(request: Request, rule_id: str, admin: Viewer, session: SessionDep) -> Response:
    rule = _rule(session, admin, rule_id)
    form = _form_of(rule)
    form["sim_event"] = _sample_event(rule)
    return _editor(request, admin, session, rule=rule, form=form)


@router.post("/rules/{rule_id}")
def update_rule(
    request: Request, rule_id: str, admin: Editor, form: FormDep, session: SessionDep
) -> Response:
    rule = _rule(session, admin, rule_id)
    read = _read(form)
    if read.data is not None:
        try:
            # The whole rule, as PATCH /api/v1/rules/{id} with every field would (checked once,
            # by the service, against the stored rule).
            rule_service.update(
                session, rule=rule, data=RuleUpdate.model_validate(read.data.model_dump())
            )
        except InvalidInput as exc:
            read.errors.merge(errors_from(exc, reason=read.reason))
        else:
            return redirect(f"{RULES}/{rule.id}", flash=f"The rule “{rule.name}” was saved.")
    return _editor(
        request, admin, session, rule=rule, form=_kept(form), errors=read.errors, status=422
    )


@router.post("/rules/{rule_id}/delete")
def delete_rule(rule_id: str, admin: Editor, session: SessionDep) -> Response:
    rule = _rule(session, admin, rule_id)
    name = rule.name
    rule_service.delete(session, rule=rule)
    return redirect(RULES, flash=f"The rule “{name}” was deleted; its award log stays.")


# --- a rule's page and its simulator ----------------------------------------------------------


def _sample_event(rule: Rule | None) -> str:
    """A starting point for the simulator, shaped by the rule's trigger."""
    types = [t for t in (rule.trigger.get("event_types") or []) if "*" not in t] if rule else []
    sample: dict[str, Any] = {
        "id": "test-1",
        "type": types[0] if types else "course.completed",
        "occurred_at": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "learner": {"id": "learner-1", "email": "learner@example.org", "first_name": "Ada"},
        "data": {"score": 85},
    }
    entity_ids = rule.trigger.get("entity_ids") if rule else None
    if entity_ids:
        entity_type = rule.trigger.get("entity_type") if rule else None
        sample["entity"] = {"type": entity_type or "course", "id": entity_ids[0]}
    return _pretty(sample)


def _stored_input(session: SessionDep, admin: Admin, event_id: str) -> SimulationIn | None:
    ident = parse_uuid(event_id)
    if ident is None:
        return None
    return rule_queries.stored_simulation(
        session, organization_id=admin.organization_id, event_id=ident
    )


def _simulation_input(
    raw_event: str, raw_history: str, *, field: str
) -> tuple[SimulationIn | None, FormErrors]:
    errors = FormErrors()
    if not raw_event.strip():
        errors.add(field, "Paste an event (JSON), or pick one of the recent events.")
        return None, errors
    try:
        event = json.loads(raw_event)
    except json.JSONDecodeError as exc:
        errors.add(field, f"This is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).")
        return None, errors
    history: Any = []
    if raw_history.strip():
        try:
            history = json.loads(raw_history)
        except json.JSONDecodeError as exc:
            errors.add("history", f"This is not JSON: {exc.msg} (line {exc.lineno}).")
            return None, errors

    def place(loc: Sequence[str]) -> Spot:
        """The event's (or the history's) errors name where in the JSON they are."""
        name = "history" if loc[:1] == ["history"] else field
        where = ".".join(loc[1:]) if loc[:1] in (["event"], ["history"]) else ".".join(loc)
        return Spot(name, where, required="is required")

    return parse(SimulationIn, {"event": event, "history": history}, place=place)


def _shown(
    session: SessionDep, admin: Admin, result: SimulationOut, event: dict[str, Any]
) -> dict[str, Any]:
    names = _template_names(session, admin, (a for e in result.trace for a in e["actions"]))
    awarded = [
        (item.get("template_name") or names.get(item["template_id"], item["template_id"]))
        + (" (certificate)" if item["type"] == "issue_certificate" else "")
        for item in result.would_award
    ]
    return {"result": result, "event": _pretty(event), "names": names, "awarded": awarded}


def _detail(
    request: Request,
    admin: Admin,
    session: SessionDep,
    rule: Rule,
    *,
    sim: dict[str, str],
    errors: FormErrors | None = None,
    simulation: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    param = "backfills_page"
    backfill_list = paged(
        request,
        rule_queries.backfills(
            session,
            organization_id=admin.organization_id,
            rule_id=rule.id,
            window=window(request, param=param, per_page=10),
        ),
        param=param,
    )
    return render(
        request,
        admin,
        "admin/rules_detail.html",
        {
            "rule": rule,
            "names": _template_names(session, admin, rule.actions),
            "condition": None if rule.condition is None else _pretty(rule.condition),
            "mappings": [_mapping_text(a.get("fields") or {}) for a in rule.actions],
            "recent": event_queries.recent(
                session, organization_id=admin.organization_id, limit=RECENT_EVENTS
            ),
            "sim": sim,
            "errors": errors or FormErrors(),
            "simulation": simulation,
            "backfills": backfill_list,
        },
        status=status,
        section="rules",
    )


@router.get("/rules/{rule_id}")
def rule_detail(request: Request, rule_id: str, admin: Viewer, session: SessionDep) -> Response:
    rule = _rule(session, admin, rule_id)
    sim = {"event_id": "", "event": _sample_event(rule), "history": ""}
    return _detail(request, admin, session, rule, sim=sim)


@router.get("/rules/{rule_id}/simulate")
def simulate_saved(
    request: Request,
    rule_id: str,
    admin: Viewer,
    session: SessionDep,
    event_id: str = "",
    event: str = "",
    history: str = "",
) -> Response:
    """A GET form: it writes nothing, so viewers may simulate too, as with the API."""
    rule = _rule(session, admin, rule_id)
    sim = {"event_id": event_id, "event": event, "history": history}
    if event_id:
        body = _stored_input(session, admin, event_id)
        errors = FormErrors()
        if body is None:
            errors.add("event_id", "This event is not in this organization; pick another.")
    else:
        body, errors = _simulation_input(event, history, field="event")
    if body is None:
        return _detail(request, admin, session, rule, sim=sim, errors=errors, status=422)
    # Judged as if active: trying a draft before switching it on is what the simulator is for.
    as_active = rule_service.as_input(rule).model_copy(update={"status": RuleStatus.ACTIVE})
    result = simulate(
        session,
        organization_id=admin.organization_id,
        rule=rule_service.unsaved(admin.organization_id, as_active, rule.id),
        event=body.event,
        history=body.history,
        held_template_ids=body.held_template_ids,
    )
    shown = _shown(session, admin, result, body.event.model_dump(mode="json", exclude_none=True))
    shown["history_count"] = len(body.history)
    shown["held_count"] = len(body.held_template_ids)
    return _detail(request, admin, session, rule, sim=sim, simulation=shown)


# --- backfill --------------------------------------------------------------------------------


@router.get("/rules/{rule_id}/backfill")
def backfill_preview(
    request: Request, rule_id: str, admin: Viewer, session: SessionDep
) -> Response:
    """The dry run: who would be awarded what from the stored events (nothing is written)."""
    rule = _rule(session, admin, rule_id)
    preview = backfills.preview(session, rule=rule)
    running = rule_queries.running_backfill(session, rule_id=rule.id)
    return render(
        request,
        admin,
        "admin/rules_backfill.html",
        {
            "rule": rule,
            "preview": preview,
            "names": _template_names(session, admin, rule.actions),
            "running": running,
        },
        section="rules",
    )


@router.post("/rules/{rule_id}/backfills")
def backfill_start(rule_id: str, admin: Editor, session: SessionDep) -> Response:
    rule = _rule(session, admin, rule_id)
    try:
        backfill = backfills.start(session, rule=rule)
    except Conflict as exc:
        return redirect(f"{RULES}/{rule.id}/backfill", flash=exc.detail, kind="error")
    jobs.enqueue(session, rule_tasks.run_backfill, str(backfill.id))
    return redirect(
        f"{RULES}/{rule.id}/backfills/{backfill.id}",
        flash="The backfill has started; this page follows its progress.",
    )


@router.get("/rules/{rule_id}/backfills/{backfill_id}")
def backfill_progress(
    request: Request, rule_id: str, backfill_id: str, admin: Viewer, session: SessionDep
) -> Response:
    rule = _rule(session, admin, rule_id)
    ident = parse_uuid(backfill_id)
    if ident is None:
        raise not_found("backfill", backfill_id)
    backfill = backfills.get(session, organization_id=admin.organization_id, backfill_id=ident)
    if backfill.rule_id != rule.id:
        raise not_found("backfill", backfill_id)
    return render(
        request,
        admin,
        "admin/rules_backfill_progress.html",
        {
            "rule": rule,
            "backfill": backfill,
            "running": backfill.status in (BackfillStatus.PENDING, BackfillStatus.RUNNING),
        },
        section="rules",
    )

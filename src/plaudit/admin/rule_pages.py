"""Dashboard: rules — the list, the editor (a condition builder over JSON Logic) and the simulator;
the form itself is rule_form.py, backfills rule_backfill_pages.py."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from plaudit.admin import rule_wizard
from plaudit.admin.forms import FormErrors, Spot, errors_from, parse, text
from plaudit.admin.rule_form import (
    ACTION_TYPES,
    MAX_ACTIONS,
    MODES,
    STATUSES,
    choices_for,
    form_of,
    kept_form,
    mapping_text,
    pretty,
    read_form,
    rule_of,
    template_choices,
    template_names,
    templates_of,
    validated,
    with_another_action,
)
from plaudit.admin.rule_sentence import condition_sentence, trigger_sentence
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
from plaudit.errors import InvalidInput
from plaudit.events import queries as event_queries
from plaudit.events.schemas import BUILT_IN_TYPES
from plaudit.models.rule import Rule, RuleMode, RuleStatus
from plaudit.rules import queries as rule_queries
from plaudit.rules import service as rule_service
from plaudit.rules.schemas import RuleUpdate, SimulationIn, SimulationOut
from plaudit.rules.simulate import simulate

router = APIRouter(prefix=ADMIN, include_in_schema=False, route_class=UnitOfWorkRoute)
RULES = f"{ADMIN}/rules"
RECENT_EVENTS = 20
PICKER_ENTITIES = 300  # the entities seen most recently, for the pickers
PICKER_TYPES = 200


def _sentences(session: SessionDep, admin: Admin, rules: Sequence[Rule]) -> dict[str, Any]:
    """Rule id -> its trigger and condition as sentences, entities named by their titles."""
    ids = {
        ident
        for r in rules
        for ident in [
            *(r.trigger.get("entity_ids") or []),
            *_condition_ids(r.condition),
        ]
    }
    titles = event_queries.entity_titles(session, organization_id=admin.organization_id, ids=ids)
    names = template_names(session, admin, _held_badges(rules))
    return {
        str(r.id): {
            "trigger": trigger_sentence(r.trigger, titles=titles),
            "condition": condition_sentence(r.condition, titles=titles, names=names),
        }
        for r in rules
    }


def _condition_ids(condition: Any) -> list[str]:
    """Entity ids a condition names (completed_all/any), to look their titles up."""
    found: list[str] = []
    if isinstance(condition, dict):
        for op, raw in condition.items():
            if op in ("completed_all", "completed_any"):
                ids = raw.get("entity_ids") if isinstance(raw, dict) else raw
                found += [i for i in ids or [] if isinstance(i, str)]
            else:
                found += _condition_ids(raw)
    elif isinstance(condition, list):
        for item in condition:
            found += _condition_ids(item)
    return found


def _held_badges(rules: Sequence[Rule]) -> list[dict[str, Any]]:
    """The templates named by holds_badge, as actions are (for template_names)."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for op, raw in node.items():
                if op == "holds_badge":
                    found.append({"template_id": raw})
                walk(raw)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for r in rules:
        walk(r.condition)
    return found


def _pickers(session: SessionDep, admin: Admin) -> dict[str, Any]:
    """What the "when" pickers list: event types known and received, entities seen."""
    received = event_queries.types(
        session, organization_id=admin.organization_id, limit=PICKER_TYPES
    )
    return {
        "event_types": rule_wizard.type_choices(BUILT_IN_TYPES, received),
        "entities": event_queries.seen_entities(
            session, organization_id=admin.organization_id, limit=PICKER_ENTITIES
        ),
    }


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
            "names": template_names(session, admin, (a for r in listed.items for a in r.actions)),
            "sentences": _sentences(session, admin, listed.items),
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
            "templates": template_choices(templates_of(session, admin)),
            "choices_for": choices_for,
            "max_actions": MAX_ACTIONS,
            "statuses": STATUSES,
            "modes": MODES,
            "action_types": ACTION_TYPES,
            "simulation": simulation,
            **_pickers(session, admin),
        },
        status=status,
        section="rules",
    )


@router.get("/rules/new")
def new_rule(request: Request, admin: Viewer, session: SessionDep) -> Response:
    form = form_of(None)
    form["sim_event"] = _sample_event(None)
    return _editor(request, admin, session, rule=None, form=form)


# --- the wizard: the common cases, saved as ordinary rules ---------------------------------


def _wizard(
    request: Request,
    admin: Admin,
    session: SessionDep,
    *,
    form: dict[str, Any],
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        admin,
        "admin/rules_wizard.html",
        {
            "form": form,
            "errors": errors or FormErrors(),
            "kinds": rule_wizard.KINDS,
            "badges": [
                t for t in template_choices(templates_of(session, admin)) if t["kind"] == "badge"
            ],
            **_pickers(session, admin),
        },
        status=status,
        section="rules",
    )


@router.get("/rules/wizard")
def wizard(request: Request, admin: Viewer, session: SessionDep) -> Response:
    return _wizard(request, admin, session, form=rule_wizard.blank())


@router.post("/rules/wizard")
def create_with_wizard(
    request: Request, admin: Editor, form: FormDep, session: SessionDep
) -> Response:
    badges = {
        t["id"]: t["name"]
        for t in template_choices(templates_of(session, admin))
        if t["kind"] == "badge" and t["usable"]
    }
    picked = [value.partition(":")[2] for value in form.getlist("entity") if isinstance(value, str)]
    titles = event_queries.entity_titles(session, organization_id=admin.organization_id, ids=picked)
    read = rule_wizard.read(form, template_names=badges, titles=titles)
    if read.data is not None:
        try:
            rule = rule_service.create(
                session, organization_id=admin.organization_id, data=read.data
            )
        except InvalidInput as exc:
            read.errors.merge(errors_from(exc))
        else:
            return redirect(
                f"{RULES}/{rule.id}",
                flash=f"The rule “{rule.name}” was created; the full editor can change it.",
            )
    return _wizard(
        request, admin, session, form=rule_wizard.kept(form), errors=read.errors, status=422
    )


@router.post("/rules")
def create_rule(request: Request, admin: Editor, form: FormDep, session: SessionDep) -> Response:
    if "add_action" in form:
        more = with_another_action(kept_form(form))
        return _editor(request, admin, session, rule=None, form=more)
    # The form is read here, and checked against the stored templates once, by the service
    # that saves it (it refuses before it writes anything).
    read = read_form(form)
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
        request, admin, session, rule=None, form=kept_form(form), errors=read.errors, status=422
    )


@router.post("/rules/simulate")
def simulate_unsaved(
    request: Request, admin: Editor, form: FormDep, session: SessionDep
) -> Response:
    """The editor's rule as typed, against a pasted event; nothing is saved."""
    rule = None
    if rule_id := text(form, "rule_id"):
        rule = rule_of(session, admin, rule_id)
    kept = kept_form(form)
    read = validated(session, admin, form, rule=rule)
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
    rule = rule_of(session, admin, rule_id)
    form = form_of(rule)
    form["sim_event"] = _sample_event(rule)
    return _editor(request, admin, session, rule=rule, form=form)


@router.post("/rules/{rule_id}")
def update_rule(
    request: Request, rule_id: str, admin: Editor, form: FormDep, session: SessionDep
) -> Response:
    rule = rule_of(session, admin, rule_id)
    if "add_action" in form:
        more = with_another_action(kept_form(form))
        return _editor(request, admin, session, rule=rule, form=more)
    read = read_form(form)
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
        request, admin, session, rule=rule, form=kept_form(form), errors=read.errors, status=422
    )


@router.post("/rules/{rule_id}/delete")
def delete_rule(rule_id: str, admin: Editor, session: SessionDep) -> Response:
    rule = rule_of(session, admin, rule_id)
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
    return pretty(sample)


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
    names = template_names(session, admin, (a for e in result.trace for a in e["actions"]))
    awarded = [
        (item.get("template_name") or names.get(item["template_id"], item["template_id"]))
        + (" (certificate)" if item["type"] == "issue_certificate" else "")
        for item in result.would_award
    ]
    return {"result": result, "event": pretty(event), "names": names, "awarded": awarded}


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
            "names": template_names(session, admin, rule.actions),
            "condition": None if rule.condition is None else pretty(rule.condition),
            "sentence": _sentences(session, admin, [rule])[str(rule.id)],
            "mappings": [mapping_text(a.get("fields") or {}) for a in rule.actions],
            "recent": _recent(session, admin, sim.get("event_id", "")),
            "sim": sim,
            "errors": errors or FormErrors(),
            "simulation": simulation,
            "backfills": backfill_list,
        },
        status=status,
        section="rules",
    )


def _recent(session: SessionDep, admin: Admin, chosen: str) -> list[Any]:
    """The recent events, newest first, with the one just judged among them even when it is
    older than the rest (the page shows the event it judged, selected)."""
    recent = event_queries.recent(
        session, organization_id=admin.organization_id, limit=RECENT_EVENTS
    )
    ident = parse_uuid(chosen)
    if ident is not None and all(event.id != ident for event, _ in recent):
        found = event_queries.with_learner(
            session, organization_id=admin.organization_id, event_id=ident
        )
        if found is not None:
            recent.append(found)
    return recent


@router.get("/rules/{rule_id}")
def rule_detail(request: Request, rule_id: str, admin: Viewer, session: SessionDep) -> Response:
    rule = rule_of(session, admin, rule_id)
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
    rule = rule_of(session, admin, rule_id)
    sim = {"event_id": event_id, "event": event, "history": history}
    if event_id:
        body = _stored_input(session, admin, event_id)
        errors = FormErrors()
        if body is None:
            errors.add("event_id", "This event is not in this organization; pick another.")
        else:
            # The text box shows the stored event it judged, not what it held before.
            sim["event"] = pretty(body.event.model_dump(mode="json", exclude_none=True))
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

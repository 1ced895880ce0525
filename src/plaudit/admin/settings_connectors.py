"""Dashboard settings: inbound connectors (an LMS's webhooks become events), from a preset or
a custom mapping; their URL and secret (shown once), the payloads received, and replay."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from plaudit.admin.forms import FormErrors, Spot, checked, parse, text, values
from plaudit.admin.settings_common import SETTINGS, page, sub_router, uuid_or_404
from plaudit.admin.web import Admin, Editor, FormDep, Viewer, paged, redirect, window
from plaudit.api.deps import RuntimeDep, SessionDep
from plaudit.connectors import presets
from plaudit.connectors import queries as connector_queries
from plaudit.connectors import service as connectors
from plaudit.connectors.schemas import ConnectorCreate, ConnectorUpdate
from plaudit.errors import Conflict
from plaudit.models.connector import Connector, PayloadStatus
from plaudit.runtime import Runtime

router = sub_router()
BASE = f"{SETTINGS}/connectors"
CUSTOM = "custom"


def inbound_url(runtime: Runtime, connector: Connector) -> str:
    return f"{runtime.settings.public_base_url}/hooks/{connector.id}"


def _place(loc: Sequence[str]) -> Spot:
    """A mapping's errors name where in its JSON they are."""
    if loc[:1] == ["mapping"]:
        return Spot("mapping", ".".join(loc[1:]), required=None)
    return Spot(loc[0] if loc else "")


def _mapping_json(form: FormData, errors: FormErrors) -> Any:
    raw = text(form, "mapping")
    if not raw:
        errors.add("mapping", "Paste the mapping as JSON (start from a preset's, shown below).")
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        errors.add(
            "mapping", f"This is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        )
        return None


def _preset_choices() -> list[tuple[str, str]]:
    return [(p.name, p.title) for p in presets.all_presets()] + [(CUSTOM, "Custom mapping (JSON)")]


def _list_page(
    request: Request,
    admin: Admin,
    session: SessionDep,
    *,
    form: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    found = connector_queries.listing(
        session, organization_id=admin.organization_id, window=window(request)
    )
    example = presets.all_presets()[0]
    return page(
        request,
        admin,
        "admin/settings_connectors.html",
        "connectors",
        {
            "paged": paged(request, found),
            "form": form if form is not None else {"source": example.name, "enabled": True},
            "errors": errors or FormErrors(),
            "choices": _preset_choices(),
            "presets": presets.all_presets(),
            "example_mapping": json.dumps(example.mapping.dump(), indent=2),
        },
        status=status,
    )


@router.get("/settings/connectors")
def connector_list(request: Request, admin: Viewer, session: SessionDep) -> Response:
    return _list_page(request, admin, session)


def _secret_page(
    request: Request,
    admin: Admin,
    runtime: Runtime,
    connector: Connector,
    secret: str,
    *,
    created: bool,
) -> Response:
    url = inbound_url(runtime, connector)
    return page(
        request,
        admin,
        "admin/settings_secret.html",
        "connectors",
        {
            "heading": f"Connector “{connector.name}” created" if created else "New secret",
            "what": "Set the inbound URL as the webhook address in your LMS, and send the "
            "secret as 'Authorization: Bearer <secret>', or use the URL with the token if "
            "the LMS only takes a URL.",
            "items": [
                ("Inbound URL", url),
                ("Secret", secret),
                ("URL with the token", f"{url}?token={secret}"),
            ],
            "back": f"{BASE}/{connector.id}",
            "back_label": "Go to the connector",
        },
    )


@router.post("/settings/connectors")
def create_connector(
    request: Request, admin: Editor, form: FormDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    source = text(form, "source")
    errors = FormErrors()
    data: dict[str, Any] = {
        "name": text(form, "name"),
        "description": text(form, "description") or None,
        "enabled": checked(form, "enabled"),
    }
    if source == CUSTOM:
        data["mapping"] = _mapping_json(form, errors)
    else:
        data["preset"] = source or None
    body: ConnectorCreate | None = None
    if not errors:
        body, errors = parse(ConnectorCreate, data, place=_place)
    if not text(form, "name"):
        errors.fields["name"] = "Give the connector a name (e.g. the LMS's)."
    if (
        body is not None
        and body.preset is not None
        and body.preset not in {p.name for p in presets.all_presets()}
    ):
        errors.add("source", "Choose a preset from the list, or a custom mapping.")
    if errors or body is None:
        kept: dict[str, Any] = values(form)
        kept["enabled"] = checked(form, "enabled")
        return _list_page(request, admin, session, form=kept, errors=errors, status=422)
    try:
        connector, secret = connectors.create(
            session, organization_id=admin.organization_id, data=body, vault=runtime.vault
        )
    except Conflict as exc:
        errors.add("name", exc.detail)
        kept = dict(values(form))
        kept["enabled"] = checked(form, "enabled")
        return _list_page(request, admin, session, form=kept, errors=errors, status=422)
    return _secret_page(request, admin, runtime, connector, secret, created=True)


def _connector(session: SessionDep, admin: Admin, connector_id: str) -> Connector:
    return connectors.get(
        session,
        organization_id=admin.organization_id,
        connector_id=uuid_or_404(connector_id, "connector"),
    )


def _connector_form(connector: Connector) -> dict[str, Any]:
    return {
        "name": connector.name,
        "description": connector.description or "",
        "mapping": json.dumps(connector.mapping, indent=2, ensure_ascii=False),
        "enabled": connector.enabled,
    }


def _detail_page(
    request: Request,
    admin: Admin,
    session: SessionDep,
    runtime: Runtime,
    connector: Connector,
    *,
    form: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    wanted = [s for s in PayloadStatus if s.value == request.query_params.get("status")]
    found = connector_queries.payloads(
        session,
        organization_id=admin.organization_id,
        connector_id=connector.id,
        statuses=wanted or None,
        window=window(request),
    )
    return page(
        request,
        admin,
        "admin/settings_connector.html",
        "connectors",
        {
            "connector": connector,
            "url": inbound_url(runtime, connector),
            "counts": connectors.payload_counts(session, connector=connector),
            "paged": paged(request, found),
            "statuses": [s.value for s in PayloadStatus],
            "status_filter": wanted[0].value if wanted else "",
            "form": form if form is not None else _connector_form(connector),
            "errors": errors or FormErrors(),
        },
        status=status,
    )


@router.get("/settings/connectors/{connector_id}")
def connector_page(
    request: Request, connector_id: str, admin: Viewer, session: SessionDep, runtime: RuntimeDep
) -> Response:
    connector = _connector(session, admin, connector_id)
    return _detail_page(request, admin, session, runtime, connector)


@router.post("/settings/connectors/{connector_id}")
def update_connector(
    request: Request,
    connector_id: str,
    admin: Editor,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    connector = _connector(session, admin, connector_id)
    errors = FormErrors()
    mapping = _mapping_json(form, errors)
    body: ConnectorUpdate | None = None
    if not errors:
        body, errors = parse(
            ConnectorUpdate,
            {
                "name": text(form, "name"),
                "description": text(form, "description") or None,
                "mapping": mapping,
                "enabled": checked(form, "enabled"),
            },
        )
    if not text(form, "name"):
        errors.fields["name"] = "Give the connector a name."
    if not errors and body is not None:
        try:
            connectors.update(session, connector=connector, data=body, vault=runtime.vault)
        except Conflict as exc:
            errors.add("name", exc.detail)
    if errors or body is None:
        kept: dict[str, Any] = values(form)
        kept["enabled"] = checked(form, "enabled")
        return _detail_page(
            request, admin, session, runtime, connector, form=kept, errors=errors, status=422
        )
    return redirect(
        f"{BASE}/{connector.id}",
        flash="The connector was saved. Replay kept payloads to map them with the new mapping.",
    )


@router.post("/settings/connectors/{connector_id}/rotate-secret")
def rotate_connector_secret(
    request: Request,
    connector_id: str,
    admin: Editor,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    connector = _connector(session, admin, connector_id)
    secret = connectors.rotate_secret(session, connector=connector)
    return _secret_page(request, admin, runtime, connector, secret, created=False)


@router.post("/settings/connectors/{connector_id}/delete")
def delete_connector(connector_id: str, admin: Editor, session: SessionDep) -> Response:
    connector = _connector(session, admin, connector_id)
    name = connector.name
    connectors.delete(session, connector=connector)
    return redirect(BASE, flash=f"The connector “{name}” was deleted; its events stay.")


@router.post("/settings/connectors/{connector_id}/payloads/{payload_id}/replay")
def replay_payload(
    connector_id: str, payload_id: str, admin: Editor, session: SessionDep
) -> Response:
    connector = _connector(session, admin, connector_id)
    row = connectors.get_payload(
        session,
        organization_id=admin.organization_id,
        connector_id=connector.id,
        payload_id=uuid_or_404(payload_id, "payload"),
    )
    row = connectors.replay(session, connector=connector, row=row)
    return redirect(
        f"{BASE}/{connector.id}",
        flash=f"The payload was mapped again: {row.status.value}"
        + (f" ({row.reason})" if row.reason else "")
        + ".",
        kind="ok" if row.status in (PayloadStatus.MAPPED, PayloadStatus.DUPLICATE) else "warn",
    )


@router.post("/settings/connectors/{connector_id}/replay")
def replay_failed(connector_id: str, admin: Editor, session: SessionDep) -> Response:
    connector = _connector(session, admin, connector_id)
    rows = connectors.replay_many(
        session,
        connector=connector,
        statuses=[PayloadStatus.UNMAPPED, PayloadStatus.FAILED],
        limit=100,
    )
    mapped = sum(1 for r in rows if r.status is PayloadStatus.MAPPED)
    return redirect(
        f"{BASE}/{connector.id}",
        flash=f"{len(rows)} payload(s) mapped again; {mapped} became events.",
    )

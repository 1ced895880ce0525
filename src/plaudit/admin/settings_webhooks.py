"""Dashboard settings: webhook endpoints, their secret, a ping, and what was sent to each
(with every attempt's response code) with manual redelivery."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from plaudit.admin.forms import FormErrors, checked, parse, text, values
from plaudit.admin.settings_apps import CREDLY
from plaudit.admin.settings_common import SETTINGS, page, sub_router, uuid_or_404
from plaudit.admin.web import Admin, Editor, FormDep, Viewer, paged, redirect, window
from plaudit.api.deps import RuntimeDep, SessionDep
from plaudit.delivery import queries as delivery_queries
from plaudit.delivery import service as deliveries
from plaudit.errors import Conflict, InvalidInput
from plaudit.models.delivery import (
    WebhookEndpoint,
)
from plaudit.runtime import Runtime
from plaudit.webhooks import queries as webhook_queries
from plaudit.webhooks import service as webhooks
from plaudit.webhooks.routes import EndpointCreate

router = sub_router()
BASE = f"{SETTINGS}/webhooks"
# The one kind of endpoint a connection sets up today: Open edX's Credly-shaped template webhook.
MANAGED = "This endpoint is Open edX's template webhook: change it here, where its kinds are kept."


def _endpoint_form(endpoint: WebhookEndpoint | None) -> dict[str, Any]:
    if endpoint is None:
        return {"url": "", "description": "", "kinds": [], "enabled": True}
    return {
        "url": endpoint.url,
        "description": endpoint.description or "",
        "kinds": list(endpoint.kinds or []),
        "enabled": endpoint.enabled,
    }


def _kept(form: FormData) -> dict[str, Any]:
    kept: dict[str, Any] = values(form)
    kept["kinds"] = form.getlist("kinds")
    kept["enabled"] = checked(form, "enabled")
    return kept


def _check(
    form: FormData, runtime: Runtime
) -> tuple[EndpointCreate | None, str | None, FormErrors]:
    """The API's schema, then the service's URL and kind checks, each message on its field."""
    body, errors = parse(
        EndpointCreate,
        {
            "url": text(form, "url"),
            "description": text(form, "description") or None,
            "kinds": [k for k in form.getlist("kinds") if isinstance(k, str)],
        },
    )
    if not text(form, "url"):
        errors.fields["url"] = "Enter the address that receives the webhooks."
    url = None
    if body is not None:
        try:
            url = webhooks.check_url(
                body.url, allow_private=runtime.settings.webhooks_allow_private_networks
            )
        except InvalidInput as exc:
            errors.add("url", exc.detail)
        try:
            webhooks.check_kinds(body.kinds)
        except InvalidInput as exc:
            errors.add("kinds", exc.detail)
    return body, url, errors


@router.get("/settings/webhooks")
def endpoints(request: Request, admin: Viewer, session: SessionDep) -> Response:
    found = webhook_queries.listing(
        session, organization_id=admin.organization_id, window=window(request)
    )
    return page(
        request,
        admin,
        "admin/settings_webhooks.html",
        "webhooks",
        {"paged": paged(request, found), "max": webhooks.MAX_ENDPOINTS},
    )


def _form_page(
    request: Request,
    admin: Admin,
    *,
    endpoint: WebhookEndpoint | None,
    form: dict[str, Any],
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    return page(
        request,
        admin,
        "admin/settings_webhook_form.html",
        "webhooks",
        {
            "endpoint": endpoint,
            "form": form,
            "errors": errors or FormErrors(),
            "kinds": webhooks.KINDS,
        },
        status=status,
    )


@router.get("/settings/webhooks/new")
def new_endpoint(request: Request, admin: Viewer) -> Response:
    return _form_page(request, admin, endpoint=None, form=_endpoint_form(None))


def _secret_page(
    request: Request, admin: Admin, endpoint: WebhookEndpoint, secret: str, *, created: bool
) -> Response:
    return page(
        request,
        admin,
        "admin/settings_secret.html",
        "webhooks",
        {
            "heading": "Webhook endpoint added" if created else "New signing secret",
            "what": f"Webhooks sent to {endpoint.url} are signed with this secret "
            "(the webhook-signature header, Standard Webhooks).",
            "items": [("Signing secret", secret)],
            "back": f"{BASE}/{endpoint.id}",
            "back_label": "Go to the endpoint",
        },
    )


@router.post("/settings/webhooks")
def create_endpoint(
    request: Request, admin: Editor, form: FormDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    body, url, errors = _check(form, runtime)
    if errors or body is None or url is None:
        return _form_page(
            request, admin, endpoint=None, form=_kept(form), errors=errors, status=422
        )
    try:
        endpoint, secret = webhooks.create(
            session,
            runtime.vault,
            organization_id=admin.organization_id,
            url=url,
            description=body.description,
            kinds=body.kinds,
            allow_private=runtime.settings.webhooks_allow_private_networks,
        )
    except InvalidInput as exc:
        errors.add("", exc.detail)
        return _form_page(
            request, admin, endpoint=None, form=_kept(form), errors=errors, status=422
        )
    # Shown now, in this response, and never again: only its sealed form is stored.
    return _secret_page(request, admin, endpoint, secret, created=True)


def _endpoint(session: SessionDep, admin: Admin, endpoint_id: str) -> WebhookEndpoint:
    return webhooks.get(
        session,
        organization_id=admin.organization_id,
        endpoint_id=uuid_or_404(endpoint_id, "webhook endpoint"),
    )


@router.get("/settings/webhooks/{endpoint_id}")
def endpoint_page(
    request: Request, endpoint_id: str, admin: Viewer, session: SessionDep
) -> Response:
    endpoint = _endpoint(session, admin, endpoint_id)
    messages = paged(
        request,
        delivery_queries.of_endpoint(
            session,
            organization_id=admin.organization_id,
            endpoint_id=endpoint.id,
            window=window(request),
        ),
    )
    attempts = delivery_queries.attempts(session, [m.id for m in messages.items])
    return page(
        request,
        admin,
        "admin/settings_webhook.html",
        "webhooks",
        {
            "endpoint": endpoint,
            "paged": messages,
            "attempts": attempts,
            "form": _endpoint_form(endpoint),
            "kinds": webhooks.KINDS,
            "edit_url": CREDLY if webhooks.is_managed(endpoint) else f"{BASE}/{endpoint.id}/edit",
        },
    )


@router.get("/settings/webhooks/{endpoint_id}/edit")
def edit_endpoint(
    request: Request, endpoint_id: str, admin: Viewer, session: SessionDep
) -> Response:
    endpoint = _endpoint(session, admin, endpoint_id)
    if webhooks.is_managed(endpoint):
        return redirect(CREDLY, flash=MANAGED)
    return _form_page(request, admin, endpoint=endpoint, form=_endpoint_form(endpoint))


@router.post("/settings/webhooks/{endpoint_id}")
def update_endpoint(
    request: Request,
    endpoint_id: str,
    admin: Editor,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    endpoint = _endpoint(session, admin, endpoint_id)
    if webhooks.is_managed(endpoint):
        return redirect(CREDLY, flash=MANAGED)
    body, url, errors = _check(form, runtime)
    if errors or body is None or url is None:
        return _form_page(
            request, admin, endpoint=endpoint, form=_kept(form), errors=errors, status=422
        )
    webhooks.edit(
        session,
        endpoint,
        url=url,
        description=body.description,
        set_description=True,
        kinds=body.kinds,
        enabled=checked(form, "enabled"),
    )
    return redirect(f"{BASE}/{endpoint.id}", flash="The endpoint was saved.")


@router.post("/settings/webhooks/{endpoint_id}/enable")
def enable_endpoint(endpoint_id: str, admin: Editor, session: SessionDep) -> Response:
    endpoint = _endpoint(session, admin, endpoint_id)
    webhooks.edit(session, endpoint, enabled=True)
    return redirect(
        f"{BASE}/{endpoint.id}",
        flash="The endpoint is enabled again. Redeliver below what failed meanwhile.",
    )


@router.post("/settings/webhooks/{endpoint_id}/disable")
def disable_endpoint(endpoint_id: str, admin: Editor, session: SessionDep) -> Response:
    endpoint = _endpoint(session, admin, endpoint_id)
    webhooks.edit(session, endpoint, enabled=False)
    return redirect(f"{BASE}/{endpoint.id}", flash="The endpoint is disabled.")


@router.post("/settings/webhooks/{endpoint_id}/delete")
def delete_endpoint(endpoint_id: str, admin: Editor, session: SessionDep) -> Response:
    endpoint = _endpoint(session, admin, endpoint_id)
    url = endpoint.url
    webhooks.delete(session, endpoint)
    return redirect(BASE, flash=f"The endpoint {url} was deleted.")


@router.post("/settings/webhooks/{endpoint_id}/rotate-secret")
def rotate_endpoint_secret(
    request: Request, endpoint_id: str, admin: Editor, session: SessionDep, runtime: RuntimeDep
) -> Response:
    endpoint = _endpoint(session, admin, endpoint_id)
    secret = webhooks.rotate_secret(session, runtime.vault, endpoint)
    return _secret_page(request, admin, endpoint, secret, created=False)


@router.post("/settings/webhooks/{endpoint_id}/ping")
def ping_endpoint(endpoint_id: str, admin: Editor, session: SessionDep) -> Response:
    endpoint = _endpoint(session, admin, endpoint_id)
    webhooks.ping(session, endpoint)
    return redirect(
        f"{BASE}/{endpoint.id}",
        flash="A signed webhook.ping is on its way; reload in a moment to see the answer.",
    )


@router.post("/settings/webhooks/{endpoint_id}/deliveries/{message_id}/redeliver")
def redeliver(endpoint_id: str, message_id: str, admin: Editor, session: SessionDep) -> Response:
    endpoint = _endpoint(session, admin, endpoint_id)
    try:
        message = deliveries.redeliver(
            session,
            organization_id=admin.organization_id,
            message_id=uuid_or_404(message_id, "delivery"),
            endpoint_id=endpoint.id,
        )
    except Conflict as exc:
        return redirect(f"{BASE}/{endpoint.id}", flash=exc.detail, kind="error")
    return redirect(
        f"{BASE}/{endpoint.id}", flash=f"The {message.topic} webhook is being sent again."
    )

"""Dashboard settings: connected apps. The Open Badges API's clients registered with the
organization, the learners who let each in, and revoking that access; and the other hosts
learners connected to send their credentials to (the consumer role), with each push's outcome."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from plaudit.admin.forms import FormErrors, checked, text
from plaudit.admin.settings_common import SETTINGS, page, sub_router, uuid_or_404
from plaudit.admin.web import Admin, Editor, FormDep, Viewer, paged, redirect, window
from plaudit.api.deps import RuntimeDep, SessionDep
from plaudit.delivery import queries as delivery_queries
from plaudit.errors import Conflict, InvalidInput, NotFound
from plaudit.models.oauth import ObApiClient
from plaudit.obapi import hosts as obapi_hosts
from plaudit.obapi import oauth
from plaudit.obapi import queries as obapi_queries
from plaudit.vendors import credly_webhooks

router = sub_router()
BASE = f"{SETTINGS}/apps"


@router.get("/settings/apps")
def connected_apps(request: Request, admin: Viewer, session: SessionDep) -> Response:
    found = paged(
        request,
        obapi_queries.clients(
            session, organization_id=admin.organization_id, window=window(request)
        ),
    )
    return page(
        request,
        admin,
        "admin/settings_apps.html",
        "apps",
        {
            "paged": found,
            "consents": obapi_queries.consents(
                session,
                organization_id=admin.organization_id,
                client_ids=[c.id for c in found.items],
            ),
            "hosts": obapi_hosts.connections(
                session, organization_id=admin.organization_id, limit=100
            ),
        },
    )


def _client(session: SessionDep, admin: Admin, client_id: str) -> ObApiClient:
    found = obapi_queries.client(
        session,
        organization_id=admin.organization_id,
        client_id=uuid_or_404(client_id, "connected app"),
    )
    if found is None:
        raise NotFound(f"No connected app with id '{client_id}' exists in this organization.")
    return found


@router.post("/settings/apps/{client_id}/revoke")
def revoke_app(client_id: str, admin: Editor, session: SessionDep) -> Response:
    client = _client(session, admin, client_id)
    oauth.revoke_consent(session, organization_id=admin.organization_id, client_id=client.id)
    return redirect(
        BASE,
        flash=f"“{client.name}” no longer has access to any learner's record; it stops working "
        "now. It stays registered: a learner may let it in again.",
    )


@router.post("/settings/apps/{client_id}/learners/{learner_id}/revoke")
def revoke_learner(client_id: str, learner_id: str, admin: Editor, session: SessionDep) -> Response:
    client = _client(session, admin, client_id)
    oauth.revoke_consent(
        session,
        organization_id=admin.organization_id,
        client_id=client.id,
        learner_id=uuid_or_404(learner_id, "learner"),
    )
    return redirect(BASE, flash=f"“{client.name}” no longer has access to this learner's record.")


@router.post("/settings/apps/{client_id}/organization-wide")
def approve_organization_wide(client_id: str, admin: Editor, session: SessionDep) -> Response:
    client = _client(session, admin, client_id)
    try:
        oauth.approve_organization_wide(client, by=admin.user.email)
    except oauth.NotConfidential:
        raise Conflict(
            f"“{client.name}” is a public application (it has no secret): anyone holding its "
            "client id could read every learner's credentials. Only an application with a "
            "secret can be approved for the whole organization."
        ) from None
    return redirect(
        BASE,
        flash=f"“{client.name}” may now read every learner's credentials in this organization "
        "(credential.readonly, with its client id and secret).",
    )


@router.post("/settings/apps/{client_id}/organization-wide/withdraw")
def withdraw_organization_wide(client_id: str, admin: Editor, session: SessionDep) -> Response:
    client = _client(session, admin, client_id)
    oauth.withdraw_organization_wide(session, client)
    return redirect(
        BASE,
        flash=f"“{client.name}” no longer reads every learner's credentials; its "
        "organization-wide tokens stop working now. Learners' own consents stay.",
    )


# --- Open edX: the Credly-shaped template webhook ---------------------------------------------

CREDLY = f"{BASE}/credly-webhook"


def _credly_page(
    request: Request,
    admin: Admin,
    session: SessionDep,
    *,
    form: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    endpoint = credly_webhooks.endpoint_of(session, organization_id=admin.organization_id)
    deliveries = None
    attempts: dict[Any, Any] = {}
    if endpoint is not None:
        deliveries = paged(
            request,
            delivery_queries.of_endpoint(
                session,
                organization_id=admin.organization_id,
                endpoint_id=endpoint.id,
                window=window(request, per_page=20),
            ),
        )
        attempts = delivery_queries.attempts(session, [m.id for m in deliveries.items])
    shown = form or {
        "url": endpoint.url if endpoint else "",
        "enabled": endpoint.enabled if endpoint else True,
    }
    return page(
        request,
        admin,
        "admin/settings_credly_webhook.html",
        "apps",
        {
            "endpoint": endpoint,
            "paged": deliveries,
            "attempts": attempts,
            "form": shown,
            "errors": errors or FormErrors(),
            "events": (credly_webhooks.CREATED, credly_webhooks.CHANGED, credly_webhooks.DELETED),
        },
        status=status,
    )


@router.get("/settings/apps/credly-webhook")
def credly_webhook(request: Request, admin: Viewer, session: SessionDep) -> Response:
    return _credly_page(request, admin, session)


@router.post("/settings/apps/credly-webhook")
def save_credly_webhook(
    request: Request, admin: Editor, form: FormDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """The URL and on/off only: the endpoint's kind is not the admin's to change (it is what
    keeps Plaudit's own events from reaching the LMS)."""
    url = text(form, "url")
    enabled = checked(form, "enabled")
    errors = FormErrors()
    if not url:
        errors.add("url", "Enter the address of Open edX's Credly webhook.")
    else:
        try:
            credly_webhooks.configure(
                session,
                runtime.vault,
                organization_id=admin.organization_id,
                url=url,
                enabled=enabled,
                allow_private=runtime.settings.webhooks_allow_private_networks,
            )
        except InvalidInput as exc:
            errors.add("url", exc.detail)
    if errors:
        kept = {"url": url, "enabled": enabled}
        return _credly_page(request, admin, session, form=kept, errors=errors, status=422)
    said = "on" if enabled else "off (nothing is sent until you turn it on)"
    return redirect(CREDLY, flash=f"The Credly template webhook goes to {url}; it is {said}.")

"""Credly's API under /credly/v1/ (the subset Open edX's badges app calls), and where an
organization points its Credly-shaped template webhook (/api/v1/vendors/credly/webhook).

Open edX joins its ``CREDLY_API_BASE_URL`` with ``organizations/{id}/`` and each path below, so
the paths keep Credly's trailing slashes; a request without one is redirected to it.
"""

from __future__ import annotations

import uuid
from enum import Enum
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from pydantic import StringConstraints

from plaudit.api import API_PREFIX
from plaudit.api.deps import AdminPrincipal, RuntimeDep, SessionDep
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.errors import NotFound
from plaudit.schemas import Input, Output
from plaudit.vendors import awarding, credly, credly_webhooks
from plaudit.vendors.auth import CredlyIssuer, CredlyReader
from plaudit.vendors.routing import takes
from plaudit.vendors.schemas import CredlyBadgeIn, CredlyRevokeIn

PREFIX = "/credly/v1"
ORGANIZATION = f"{PREFIX}/organizations/{{organization_id}}"

router = APIRouter(route_class=UnitOfWorkRoute)
TAGS: list[str | Enum] = ["Credly-shaped API"]


OrganizationId = Annotated[str, StringConstraints(max_length=200)]
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "The template is not published, or needs fields this API cannot send"}
}


@router.get(
    f"{ORGANIZATION}/",
    tags=TAGS,
    summary="Credly: the organization",
    dependencies=[takes()],
)
def read_organization(
    organization_id: OrganizationId, session: SessionDep, principal: CredlyReader
) -> dict[str, Any]:
    org = credly.organization(
        session, organization_id=principal.organization_id, ident=organization_id
    )
    return credly.organization_out(org)


@router.get(
    f"{ORGANIZATION}/badge_templates/",
    tags=TAGS,
    summary="Credly: the badge templates, by pages",
    dependencies=[takes("filter", "page", "per")],
)
def list_badge_templates(
    request: Request,
    organization_id: OrganizationId,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CredlyReader,
    filter_: Annotated[
        str | None,
        Query(alias="filter", max_length=500, description="state::active (or draft, archived)"),
    ] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per: Annotated[int, Query(ge=1, le=credly.MAX_PER)] = credly.DEFAULT_PER,
) -> dict[str, Any]:
    org = credly.organization(
        session, organization_id=principal.organization_id, ident=organization_id
    )
    base_url = runtime.settings.public_base_url
    kept = {"filter": filter_} if filter_ is not None else {}

    def page_url(number: int) -> str:
        query = urlencode({**kept, "page": number, "per": per})
        return f"{base_url}{request.url.path}?{query}"

    return credly.templates_page(
        session,
        org,
        filter_=filter_,
        number=page,
        per=per,
        base_url=base_url,
        page_url=page_url,
    )


@router.get(
    f"{ORGANIZATION}/events/{{event_id}}/",
    tags=TAGS,
    summary="Credly: a badge template event a webhook named",
    dependencies=[takes()],
)
def read_event(
    organization_id: OrganizationId,
    event_id: Annotated[str, StringConstraints(max_length=200)],
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CredlyReader,
) -> dict[str, Any]:
    org = credly.organization(
        session, organization_id=principal.organization_id, ident=organization_id
    )
    return credly.event_out(
        session,
        org,
        event_id=credly.parse_id(event_id, "event"),
        base_url=runtime.settings.public_base_url,
    )


@router.post(
    f"{ORGANIZATION}/badges/",
    tags=TAGS,
    status_code=201,
    summary="Credly: issue a badge (once per template, email and issued_at)",
    responses={
        200: {"description": "Issued before by the same request: the same badge"},
        **CONFLICT,
    },
    dependencies=[takes()],
)
def issue_badge(
    organization_id: OrganizationId,
    body: CredlyBadgeIn,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CredlyIssuer,
) -> dict[str, Any]:
    org = credly.organization(
        session, organization_id=principal.organization_id, ident=organization_id
    )
    credential, new = awarding.issue(
        session,
        organization_id=org.id,
        template_id=body.badge_template_id,
        recipient=awarding.Recipient(
            email=str(body.recipient_email),
            first_name=body.issued_to_first_name,
            last_name=body.issued_to_last_name,
            external_id=body.issuer_earner_id,
        ),
        issued_at=body.issued_at,
        expires_at=body.expires_at,
        key=credly.issue_key(
            org, body.badge_template_id, str(body.recipient_email), body.issued_at
        ),
    )
    if not new:
        response.status_code = 200
    return credly.badge_out(session, credential, org, base_url=runtime.settings.public_base_url)


@router.put(
    f"{ORGANIZATION}/badges/{{badge_id}}/revoke/",
    tags=TAGS,
    summary="Credly: revoke a badge (the reason shows on its public page)",
    dependencies=[takes()],
)
def revoke_badge(
    organization_id: OrganizationId,
    badge_id: Annotated[str, StringConstraints(max_length=200)],
    body: CredlyRevokeIn,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CredlyIssuer,
) -> dict[str, Any]:
    org = credly.organization(
        session, organization_id=principal.organization_id, ident=organization_id
    )
    credential = awarding.revoke(
        session,
        organization_id=org.id,
        credential_id=credly.parse_id(badge_id, "badge"),
        reason=body.reason,
        kind="badge",
    )
    return credly.badge_out(session, credential, org, base_url=runtime.settings.public_base_url)


# Where the organization's LMS hears of template changes (admin scope, Plaudit's own API).

WEBHOOK = f"{API_PREFIX}/vendors/credly/webhook"


class CredlyWebhookIn(Input):
    url: Annotated[str, StringConstraints(min_length=1, max_length=2048)]


class CredlyWebhookOut(Output):
    endpoint_id: uuid.UUID
    url: str
    enabled: bool
    disabled_reason: str | None
    organization_id: uuid.UUID
    credly_api_base_url: str


def _webhook_out(endpoint: Any, *, organization_id: uuid.UUID, base_url: str) -> CredlyWebhookOut:
    return CredlyWebhookOut(
        endpoint_id=endpoint.id,
        url=endpoint.url,
        enabled=endpoint.enabled,
        disabled_reason=endpoint.disabled_reason,
        organization_id=organization_id,
        credly_api_base_url=f"{base_url}{PREFIX}/",
    )


@router.get(
    WEBHOOK,
    response_model=CredlyWebhookOut,
    tags=["vendors"],
    summary="Where Credly-shaped template events go, and the ids Open edX needs",
)
def read_credly_webhook(
    session: SessionDep, runtime: RuntimeDep, principal: AdminPrincipal
) -> CredlyWebhookOut:
    endpoint = credly_webhooks.endpoint_of(session, organization_id=principal.organization_id)
    if endpoint is None:
        raise NotFound("This organization has no Credly webhook; PUT its URL here.")
    return _webhook_out(
        endpoint,
        organization_id=principal.organization_id,
        base_url=runtime.settings.public_base_url,
    )


@router.put(
    WEBHOOK,
    response_model=CredlyWebhookOut,
    tags=["vendors"],
    summary="Send Credly-shaped template events to this URL (Open edX's credly/webhook/)",
    responses={201: {"description": "The webhook was created"}},
)
def set_credly_webhook(
    body: CredlyWebhookIn,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: AdminPrincipal,
) -> CredlyWebhookOut:
    endpoint, created = credly_webhooks.set_url(
        session,
        runtime.vault,
        organization_id=principal.organization_id,
        url=body.url,
        allow_private=runtime.settings.webhooks_allow_private_networks,
    )
    if created:
        response.status_code = 201
    return _webhook_out(
        endpoint,
        organization_id=principal.organization_id,
        base_url=runtime.settings.public_base_url,
    )


@router.delete(
    WEBHOOK, status_code=204, tags=["vendors"], summary="Stop sending Credly-shaped events"
)
def delete_credly_webhook(session: SessionDep, principal: AdminPrincipal) -> Response:
    credly_webhooks.remove(session, organization_id=principal.organization_id)
    return Response(status_code=204)

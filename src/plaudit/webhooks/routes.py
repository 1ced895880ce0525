"""Webhook endpoints (admin scope): subscribe, rotate the secret, ping, read deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import Field, StringConstraints
from sqlalchemy import select

from plaudit.api import API_PREFIX
from plaudit.api.deps import AdminPrincipal, RuntimeDep, SessionDep
from plaudit.api.idempotency import Idempotent
from plaudit.api.pagination import Page, PageDep, paginate
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.delivery.routes import MessageOut, described
from plaudit.models.delivery import OutboxMessage, WebhookEndpoint
from plaudit.schemas import Input, NotNull, Output
from plaudit.webhooks import service

router = APIRouter(prefix=f"{API_PREFIX}/webhooks", tags=["webhooks"], route_class=UnitOfWorkRoute)

Kinds = list[Annotated[str, StringConstraints(max_length=64)]]


class EndpointCreate(Input):
    url: Annotated[str, StringConstraints(min_length=1, max_length=2048)]
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    kinds: Kinds = Field(
        default_factory=list,
        max_length=len(service.KINDS),
        description="Event kinds to receive; empty for all: " + ", ".join(service.KINDS),
    )


class EndpointUpdate(Input):
    url: NotNull[Annotated[str, StringConstraints(min_length=1, max_length=2048)]] = None
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    kinds: NotNull[Kinds] = Field(default=None, max_length=len(service.KINDS))
    enabled: NotNull[bool] = Field(
        default=None, description="true re-enables an endpoint that was disabled."
    )


class EndpointOut(Output):
    id: uuid.UUID
    url: str
    description: str | None
    kinds: list[str]
    enabled: bool
    disabled_reason: str | None
    failing_since: datetime | None
    created_at: datetime


class EndpointWithSecret(EndpointOut):
    secret: str = Field(
        description="whsec_...: verify the webhook-signature header with it. Shown only now."
    )


class PingOut(Output):
    message_id: uuid.UUID


@router.post("", response_model=EndpointWithSecret, status_code=201, summary="Add an endpoint")
def create(
    body: EndpointCreate, session: SessionDep, runtime: RuntimeDep, principal: AdminPrincipal
) -> EndpointWithSecret:
    endpoint, secret = service.create(
        session,
        runtime.vault,
        organization_id=principal.organization_id,
        url=body.url,
        description=body.description,
        kinds=body.kinds,
        allow_private=runtime.settings.webhooks_allow_private_networks,
    )
    return EndpointWithSecret(**EndpointOut.model_validate(endpoint).model_dump(), secret=secret)


@router.get("", response_model=Page[EndpointOut], summary="List endpoints")
def list_endpoints(
    session: SessionDep, principal: AdminPrincipal, page: PageDep
) -> Page[EndpointOut]:
    stmt = service.query(organization_id=principal.organization_id)
    rows, cursor = paginate(session, stmt, id_column=WebhookEndpoint.id, params=page)
    return Page[EndpointOut](
        items=[EndpointOut.model_validate(r) for r in rows], next_cursor=cursor
    )


@router.get("/{endpoint_id}", response_model=EndpointOut, summary="Read an endpoint")
def read(endpoint_id: uuid.UUID, session: SessionDep, principal: AdminPrincipal) -> object:
    return service.get(session, organization_id=principal.organization_id, endpoint_id=endpoint_id)


@router.patch("/{endpoint_id}", response_model=EndpointOut, summary="Change or re-enable")
def update(
    endpoint_id: uuid.UUID,
    body: EndpointUpdate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: AdminPrincipal,
) -> object:
    endpoint = service.get(
        session, organization_id=principal.organization_id, endpoint_id=endpoint_id
    )
    url = None
    if body.url is not None:
        url = service.check_url(
            body.url, allow_private=runtime.settings.webhooks_allow_private_networks
        )
    return service.edit(
        session,
        endpoint,
        url=url,
        description=body.description,
        set_description="description" in body.model_fields_set,
        kinds=body.kinds,
        enabled=body.enabled,
    )


@router.delete("/{endpoint_id}", status_code=204, summary="Delete an endpoint")
def delete(endpoint_id: uuid.UUID, session: SessionDep, principal: AdminPrincipal) -> None:
    endpoint = service.get(
        session, organization_id=principal.organization_id, endpoint_id=endpoint_id
    )
    service.delete(session, endpoint)


@router.post(
    "/{endpoint_id}/rotate-secret",
    response_model=EndpointWithSecret,
    summary="Replace the signing secret (shown once)",
)
def rotate_secret(
    endpoint_id: uuid.UUID, session: SessionDep, runtime: RuntimeDep, principal: AdminPrincipal
) -> EndpointWithSecret:
    endpoint = service.get(
        session, organization_id=principal.organization_id, endpoint_id=endpoint_id
    )
    secret = service.rotate_secret(session, runtime.vault, endpoint)
    return EndpointWithSecret(**EndpointOut.model_validate(endpoint).model_dump(), secret=secret)


@router.post(
    "/{endpoint_id}/ping",
    dependencies=[Idempotent],
    response_model=PingOut,
    status_code=202,
    summary="Send a signed webhook.ping now (see its result under deliveries)",
)
def ping(endpoint_id: uuid.UUID, session: SessionDep, principal: AdminPrincipal) -> PingOut:
    endpoint = service.get(
        session, organization_id=principal.organization_id, endpoint_id=endpoint_id
    )
    return PingOut(message_id=service.ping(session, endpoint))


@router.get(
    "/{endpoint_id}/deliveries",
    response_model=Page[MessageOut],
    summary="What was sent to this endpoint, newest first, with every attempt",
)
def deliveries(
    endpoint_id: uuid.UUID, session: SessionDep, principal: AdminPrincipal, page: PageDep
) -> Page[MessageOut]:
    service.get(session, organization_id=principal.organization_id, endpoint_id=endpoint_id)
    stmt = select(OutboxMessage).where(
        OutboxMessage.organization_id == principal.organization_id,
        OutboxMessage.endpoint_id == endpoint_id,
    )
    rows, cursor = paginate(session, stmt, id_column=OutboxMessage.id, params=page)
    return Page[MessageOut](items=described(session, rows, with_payload=True), next_cursor=cursor)

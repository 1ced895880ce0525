"""HTTP routes of connectors: management (admin scope) and the public webhook URL."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping as AnyMapping
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from plaudit.api import API_PREFIX
from plaudit.api.deps import AdminPrincipal, RuntimeDep, SessionDep
from plaudit.api.idempotency import Idempotent
from plaudit.api.pagination import Page, PageParams, page_params, paginate
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.connectors import mapping as mappings
from plaudit.connectors import presets
from plaudit.connectors import service as connectors
from plaudit.connectors.schemas import (
    ConnectorCreate,
    ConnectorCreated,
    ConnectorOut,
    ConnectorUpdate,
    HookResult,
    PayloadOut,
    PresetOut,
    PreviewIn,
    PreviewOut,
    ReplayMany,
    ReplayOut,
    SignatureOut,
)
from plaudit.errors import PayloadTooLarge, Unauthenticated
from plaudit.models.connector import Connector, ConnectorPayload, PayloadStatus
from plaudit.runtime import Runtime

router = APIRouter(
    prefix=f"{API_PREFIX}/connectors", tags=["connectors"], route_class=UnitOfWorkRoute
)
hooks_router = APIRouter(prefix="/hooks", tags=["connectors"], route_class=UnitOfWorkRoute)


def _url(runtime: Runtime, connector: Connector) -> str:
    return f"{runtime.settings.public_base_url}/hooks/{connector.id}"


def _out(
    runtime: Runtime, connector: Connector, counts: dict[PayloadStatus, int] | None = None
) -> ConnectorOut:
    return ConnectorOut(
        id=connector.id,
        name=connector.name,
        description=connector.description,
        preset=connector.preset,
        mapping=connector.mapping,
        enabled=connector.enabled,
        signature=(
            SignatureOut.model_validate(connector.signature) if connector.signature else None
        ),
        url=_url(runtime, connector),
        secret_rotated_at=connector.secret_rotated_at,
        created_at=connector.created_at,
        updated_at=connector.updated_at,
        payloads=counts,
    )


def _created(runtime: Runtime, connector: Connector, secret: str) -> ConnectorCreated:
    out = _out(runtime, connector)
    return ConnectorCreated(
        **out.model_dump(), secret=secret, url_with_token=f"{out.url}?token={secret}"
    )


def _preset_out(preset: presets.Preset) -> PresetOut:
    return PresetOut(
        name=preset.name,
        title=preset.title,
        description=preset.description,
        mapping=preset.mapping.dump(),
        example=preset.example,
    )


@router.get("/presets", response_model=list[PresetOut], summary="Ready-made mappings for LMSs")
def list_presets(principal: AdminPrincipal) -> list[PresetOut]:
    return [_preset_out(p) for p in presets.all_presets()]


@router.get("/presets/{name}", response_model=PresetOut, summary="A preset and its example")
def read_preset(name: str, principal: AdminPrincipal) -> PresetOut:
    return _preset_out(presets.get(name))


@router.post(
    "/preview",
    response_model=PreviewOut,
    summary="What a payload would become under a mapping (writes nothing)",
)
def preview(body: PreviewIn, principal: AdminPrincipal) -> PreviewOut:
    mapping = body.mapping if body.mapping is not None else presets.get(str(body.preset)).mapping
    outcome = connectors.preview(mapping=mapping, payload=body.payload)
    if isinstance(outcome, mappings.Mapped):
        event = outcome.event.model_dump(mode="json", exclude_none=True)
        return PreviewOut(status="mapped", event=event)
    if isinstance(outcome, mappings.Ignored):
        return PreviewOut(status="ignored", reason=outcome.reason)
    errors = [{"field": e.field, "reason": e.reason} for e in outcome.errors]
    return PreviewOut(status="unmapped", reason=outcome.reason, errors=errors)


# No Idempotency-Key on creation and rotation: replaying the first response would mean
# storing the secret in clear, which is exactly what it must never be.
@router.post(
    "",
    response_model=ConnectorCreated,
    status_code=201,
    summary="Create a connector (its secret is shown once)",
)
def create(
    body: ConnectorCreate, session: SessionDep, principal: AdminPrincipal, runtime: RuntimeDep
) -> ConnectorCreated:
    connector, secret = connectors.create(
        session, organization_id=principal.organization_id, data=body, vault=runtime.vault
    )
    return _created(runtime, connector, secret)


@router.get("", response_model=Page[ConnectorOut], summary="List connectors")
def list_connectors(
    session: SessionDep,
    principal: AdminPrincipal,
    runtime: RuntimeDep,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[ConnectorOut]:
    rows, cursor = paginate(
        session,
        connectors.query(organization_id=principal.organization_id),
        id_column=Connector.id,
        params=page,
    )
    return Page[ConnectorOut](items=[_out(runtime, r) for r in rows], next_cursor=cursor)


@router.get(
    "/{connector_id}", response_model=ConnectorOut, summary="Read a connector and its counts"
)
def read(
    connector_id: uuid.UUID, session: SessionDep, principal: AdminPrincipal, runtime: RuntimeDep
) -> ConnectorOut:
    connector = connectors.get(
        session, organization_id=principal.organization_id, connector_id=connector_id
    )
    return _out(runtime, connector, connectors.payload_counts(session, connector=connector))


@router.patch("/{connector_id}", response_model=ConnectorOut, summary="Change a connector")
def update(
    connector_id: uuid.UUID,
    body: ConnectorUpdate,
    session: SessionDep,
    principal: AdminPrincipal,
    runtime: RuntimeDep,
) -> ConnectorOut:
    connector = connectors.get(
        session, organization_id=principal.organization_id, connector_id=connector_id
    )
    return _out(
        runtime, connectors.update(session, connector=connector, data=body, vault=runtime.vault)
    )


@router.delete(
    "/{connector_id}",
    status_code=204,
    summary="Delete a connector and its kept payloads (its events stay)",
)
def delete(connector_id: uuid.UUID, session: SessionDep, principal: AdminPrincipal) -> Response:
    connector = connectors.get(
        session, organization_id=principal.organization_id, connector_id=connector_id
    )
    connectors.delete(session, connector=connector)
    return Response(status_code=204)


@router.post(
    "/{connector_id}/rotate-secret",
    response_model=ConnectorCreated,
    summary="Replace the secret (the old one stops working at once)",
)
def rotate_secret(
    connector_id: uuid.UUID, session: SessionDep, principal: AdminPrincipal, runtime: RuntimeDep
) -> ConnectorCreated:
    connector = connectors.get(
        session, organization_id=principal.organization_id, connector_id=connector_id
    )
    secret = connectors.rotate_secret(session, connector=connector)
    return _created(runtime, connector, secret)


@router.get(
    "/{connector_id}/payloads",
    response_model=Page[PayloadOut],
    summary="Payloads received, newest first",
)
def list_payloads(
    connector_id: uuid.UUID,
    session: SessionDep,
    principal: AdminPrincipal,
    page: Annotated[PageParams, Depends(page_params)],
    status: Annotated[
        list[PayloadStatus] | None,
        Query(description="Only these statuses (repeat the parameter for several)."),
    ] = None,
) -> Page[PayloadOut]:
    connector = connectors.get(
        session, organization_id=principal.organization_id, connector_id=connector_id
    )
    rows, cursor = paginate(
        session,
        connectors.payloads_query(
            organization_id=principal.organization_id, connector_id=connector.id, statuses=status
        ),
        id_column=ConnectorPayload.id,
        params=page,
    )
    return Page[PayloadOut](items=[PayloadOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get(
    "/{connector_id}/payloads/{payload_id}", response_model=PayloadOut, summary="Read a payload"
)
def read_payload(
    connector_id: uuid.UUID, payload_id: uuid.UUID, session: SessionDep, principal: AdminPrincipal
) -> object:
    return connectors.get_payload(
        session,
        organization_id=principal.organization_id,
        connector_id=connector_id,
        payload_id=payload_id,
    )


@router.post(
    "/{connector_id}/payloads/{payload_id}/replay",
    response_model=PayloadOut,
    dependencies=[Idempotent],
    summary="Map a kept payload again with the current mapping",
)
def replay(
    connector_id: uuid.UUID, payload_id: uuid.UUID, session: SessionDep, principal: AdminPrincipal
) -> object:
    connector = connectors.get(
        session, organization_id=principal.organization_id, connector_id=connector_id
    )
    row = connectors.get_payload(
        session,
        organization_id=principal.organization_id,
        connector_id=connector.id,
        payload_id=payload_id,
    )
    return connectors.replay(session, connector=connector, row=row)


@router.post(
    "/{connector_id}/replay",
    response_model=ReplayOut,
    dependencies=[Idempotent],
    summary="Map kept payloads again (by default the unmapped and failed ones), oldest first",
)
def replay_many(
    connector_id: uuid.UUID, body: ReplayMany, session: SessionDep, principal: AdminPrincipal
) -> ReplayOut:
    connector = connectors.get(
        session, organization_id=principal.organization_id, connector_id=connector_id
    )
    rows = connectors.replay_many(
        session, connector=connector, statuses=body.status, limit=body.limit
    )
    return ReplayOut(
        replayed=len(rows),
        by_status=dict(Counter(r.status for r in rows)),
        items=[PayloadOut.model_validate(r) for r in rows],
    )


@hooks_router.post(
    "/{connector_id}",
    response_model=HookResult,
    status_code=202,
    summary="Receive an LMS's webhook (JSON or form); authenticated by the connector's secret",
)
async def receive(
    connector_id: str,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    token: Annotated[str | None, Query(max_length=200)] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> HookResult:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > connectors.MAX_BODY_BYTES:
        raise _too_large()
    body = await request.body()
    if len(body) > connectors.MAX_BODY_BYTES:
        raise _too_large()
    bearer = None
    if authorization is not None:
        scheme, _, value = authorization.partition(" ")
        bearer = value.strip() if scheme.lower() == "bearer" and value.strip() else None
    if bearer is not None and token is not None and bearer != token:
        raise Unauthenticated("Send the connector's secret once: in the header or in the URL.")
    presented = bearer or token
    return await run_in_threadpool(
        _receive,
        session,
        runtime,
        connector_id=connector_id,
        token=presented,
        body=body,
        content_type=request.headers.get("content-type"),
        headers=request.headers,
    )


def _receive(
    session: Session,
    runtime: Runtime,
    *,
    connector_id: str,
    token: str | None,
    body: bytes,
    content_type: str | None,
    headers: AnyMapping[str, str],
) -> HookResult:
    connector = connectors.authenticate(
        session,
        connector_id=connector_id,
        token=token,
        headers=headers,
        body=body,
        vault=runtime.vault,
    )
    row = connectors.receive(
        session, connector=connector, body=body, content_type=content_type, token=token
    )
    return HookResult(
        payload_id=row.id,
        status=row.status,
        reason=row.reason,
        event_id=row.event_id,
        awards=row.awards_count,
    )


def _too_large() -> PayloadTooLarge:
    return PayloadTooLarge(
        f"A connector accepts bodies of at most {connectors.MAX_BODY_BYTES:,} bytes."
    )

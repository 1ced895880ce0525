"""HTTP routes of API keys (admin scope)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from plaudit.api import API_PREFIX
from plaudit.api.deps import AdminPrincipal, SessionDep
from plaudit.api.pagination import Page, PageParams, page_params, paginate
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.apikeys import service as apikeys
from plaudit.apikeys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from plaudit.models.apikey import ApiKey

router = APIRouter(prefix=f"{API_PREFIX}/api-keys", tags=["api keys"], route_class=UnitOfWorkRoute)


# No Idempotency-Key here on purpose: replaying the first response would mean storing the
# secret token in clear, which is exactly what keys must never be.
@router.post("", response_model=ApiKeyCreated, status_code=201, summary="Create an API key")
def create(body: ApiKeyCreate, session: SessionDep, principal: AdminPrincipal) -> ApiKeyCreated:
    key, token = apikeys.create(
        session, organization_id=principal.organization_id, name=body.name, scopes=body.scopes
    )
    return ApiKeyCreated(**ApiKeyOut.model_validate(key).model_dump(), token=token)


@router.get("", response_model=Page[ApiKeyOut], summary="List API keys")
def list_keys(
    session: SessionDep,
    principal: AdminPrincipal,
    page: Annotated[PageParams, Depends(page_params)],
    revoked: Annotated[
        bool | None, Query(description="Only revoked (true) or live (false) keys.")
    ] = None,
) -> Page[ApiKeyOut]:
    rows, cursor = paginate(
        session,
        apikeys.query(organization_id=principal.organization_id, revoked=revoked),
        id_column=ApiKey.id,
        params=page,
    )
    return Page[ApiKeyOut](items=[ApiKeyOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/{key_id}", response_model=ApiKeyOut, summary="Read an API key")
def read(key_id: uuid.UUID, session: SessionDep, principal: AdminPrincipal) -> object:
    return apikeys.get(session, organization_id=principal.organization_id, key_id=key_id)


@router.delete("/{key_id}", response_model=ApiKeyOut, summary="Revoke an API key")
def revoke(key_id: uuid.UUID, session: SessionDep, principal: AdminPrincipal) -> object:
    return apikeys.revoke(session, organization_id=principal.organization_id, key_id=key_id)

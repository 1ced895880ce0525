"""Signing keys over HTTP: rotation and listing (admin), and the public JWKS of an issuer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import Field
from sqlalchemy import select

from plaudit.api import API_PREFIX
from plaudit.api.deps import AdminPrincipal, RuntimeDep, SessionDep
from plaudit.api.idempotency import Idempotent
from plaudit.api.pagination import Page, PageDep, paginate
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.keys import service as keys
from plaudit.models.signing_key import KeyAlgorithm, KeyStatus, SigningKey
from plaudit.schemas import Input, Output

router = APIRouter(prefix=f"{API_PREFIX}/keys", tags=["keys"], route_class=UnitOfWorkRoute)
jwks_router = APIRouter(tags=["public"], route_class=UnitOfWorkRoute)


class RotateIn(Input):
    algorithm: KeyAlgorithm = Field(
        default=KeyAlgorithm.ED25519, description="Which key to rotate: Ed25519 or RSA."
    )


class KeyOut(Output):
    id: uuid.UUID
    algorithm: KeyAlgorithm
    status: KeyStatus
    created_at: datetime
    retired_at: datetime | None
    jwk: dict[str, Any] = Field(description="The public JWK (never any private member).")


def _out(key: SigningKey) -> KeyOut:
    return KeyOut(
        id=key.id,
        algorithm=key.algorithm,
        status=key.status,
        created_at=key.created_at,
        retired_at=key.retired_at,
        jwk=keys.public_jwk(key),
    )


@router.get("", response_model=Page[KeyOut], summary="List the signing keys, retired included")
def list_keys(session: SessionDep, principal: AdminPrincipal, page: PageDep) -> Page[KeyOut]:
    stmt = select(SigningKey).where(SigningKey.organization_id == principal.organization_id)
    rows, cursor = paginate(session, stmt, id_column=SigningKey.id, params=page)
    return Page[KeyOut](items=[_out(k) for k in rows], next_cursor=cursor)


@router.post(
    "/rotate",
    response_model=KeyOut,
    status_code=201,
    summary="Retire the active key of an algorithm and create its successor",
    dependencies=[Idempotent],
)
def rotate(
    body: RotateIn, session: SessionDep, runtime: RuntimeDep, principal: AdminPrincipal
) -> KeyOut:
    key = keys.rotate(
        session,
        organization_id=principal.organization_id,
        vault=runtime.vault,
        algorithm=body.algorithm,
    )
    return _out(key)


@jwks_router.get("/orgs/{slug}/jwks.json", summary="The issuer's public keys as a JWK Set")
def jwks(slug: str, session: SessionDep, runtime: RuntimeDep) -> dict[str, Any]:
    base_url = runtime.settings.public_base_url
    return {"keys": keys.published_jwks(session, organization_slug=slug, base_url=base_url)}

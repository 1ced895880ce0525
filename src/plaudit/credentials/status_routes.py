"""Revoke, suspend and reinstate credentials; publish the organization's status lists."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select

from plaudit.api import API_PREFIX
from plaudit.api.deps import IssuePrincipal, RuntimeDep, SessionDep
from plaudit.api.idempotency import Idempotent
from plaudit.api.openapi import media
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.credentials import issuance
from plaudit.credentials import service as credentials
from plaudit.credentials.routes import VC_MEDIA_TYPE
from plaudit.credentials.schemas import CredentialOut, ReasonIn
from plaudit.errors import NotFound
from plaudit.models.organization import Organization
from plaudit.models.status_list import StatusList, StatusPurpose

router = APIRouter(route_class=UnitOfWorkRoute)

# Verifiers may cache a list this long: a revocation shows within a minute.
LIST_MAX_AGE = 60


@router.post(
    f"{API_PREFIX}/credentials/{{credential_id}}/revoke",
    response_model=CredentialOut,
    tags=["credentials"],
    summary="Revoke a credential (final; the learner may earn the template again)",
    dependencies=[Idempotent],
)
def revoke(
    credential_id: uuid.UUID, body: ReasonIn, session: SessionDep, principal: IssuePrincipal
) -> object:
    return credentials.revoke(
        session,
        organization_id=principal.organization_id,
        credential_id=credential_id,
        reason=body.reason,
    )


@router.post(
    f"{API_PREFIX}/credentials/{{credential_id}}/suspend",
    response_model=CredentialOut,
    tags=["credentials"],
    summary="Suspend a credential until it is unsuspended",
    dependencies=[Idempotent],
)
def suspend(
    credential_id: uuid.UUID, body: ReasonIn, session: SessionDep, principal: IssuePrincipal
) -> object:
    return credentials.suspend(
        session,
        organization_id=principal.organization_id,
        credential_id=credential_id,
        reason=body.reason,
    )


@router.post(
    f"{API_PREFIX}/credentials/{{credential_id}}/unsuspend",
    response_model=CredentialOut,
    tags=["credentials"],
    summary="Reinstate a suspended credential",
    dependencies=[Idempotent],
)
def unsuspend(credential_id: uuid.UUID, session: SessionDep, principal: IssuePrincipal) -> object:
    return credentials.unsuspend(
        session, organization_id=principal.organization_id, credential_id=credential_id
    )


@router.get(
    "/status/{org_slug}/{purpose}",
    tags=["public"],
    response_class=Response,
    responses={200: media("The signed status list credential", VC_MEDIA_TYPE)},
    summary="An organization's signed Bitstring Status List credential",
)
def status_list(org_slug: str, purpose: str, session: SessionDep, runtime: RuntimeDep) -> Response:
    organization = session.scalar(select(Organization).where(Organization.slug == org_slug))
    found = None
    if organization is not None and purpose in {p.value for p in StatusPurpose}:
        found = session.scalar(
            select(StatusList).where(
                StatusList.organization_id == organization.id,
                StatusList.purpose == StatusPurpose(purpose),
            )
        )
    if organization is None or found is None:
        raise NotFound("There is no status list at this address.")
    document = found.document
    if document is None or found.stale:
        # The re-signing job has not run yet: sign here, so that the list is never stale.
        # Not stored: this is a read transaction; the job stores it.
        document = issuance.signed_status_list(
            session, runtime, organization=organization, status_list=found
        )
    return JSONResponse(
        document,
        media_type=VC_MEDIA_TYPE,
        headers={"Cache-Control": f"max-age={LIST_MAX_AGE}"},
    )

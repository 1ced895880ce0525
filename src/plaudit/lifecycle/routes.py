"""HTTP routes that revoke, suspend and reinstate credentials."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from plaudit.api import API_PREFIX
from plaudit.api.deps import IssuePrincipal, SessionDep
from plaudit.api.idempotency import Idempotent
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.credentials.schemas import CredentialOut, ReasonIn
from plaudit.lifecycle import status as credentials

router = APIRouter(route_class=UnitOfWorkRoute)


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

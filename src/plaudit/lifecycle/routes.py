"""HTTP routes that revoke, suspend and reinstate credentials; each answers the credential's
record as ``GET /credentials/{id}`` does."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from sqlalchemy.orm import Session

from plaudit.api import API_PREFIX
from plaudit.api.deps import IssuePrincipal, RuntimeDep, SessionDep
from plaudit.api.idempotency import Idempotent
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.credentials.schemas import BadgeRecordOut, ReasonIn
from plaudit.learners import service as learners
from plaudit.lifecycle import status as credentials
from plaudit.models.award import Credential
from plaudit.runtime import Runtime

router = APIRouter(route_class=UnitOfWorkRoute)


def _record(session: Session, runtime: Runtime, credential: Credential) -> BadgeRecordOut:
    [record] = learners.badge_records(
        session, [credential], base_url=runtime.settings.public_base_url
    )
    return record


@router.post(
    f"{API_PREFIX}/credentials/{{credential_id}}/revoke",
    response_model=BadgeRecordOut,
    tags=["credentials"],
    summary="Revoke a credential (final; the learner may earn the template again)",
    dependencies=[Idempotent],
)
def revoke(
    credential_id: uuid.UUID,
    body: ReasonIn,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: IssuePrincipal,
) -> BadgeRecordOut:
    credential = credentials.revoke(
        session,
        organization_id=principal.organization_id,
        credential_id=credential_id,
        reason=body.reason,
    )
    return _record(session, runtime, credential)


@router.post(
    f"{API_PREFIX}/credentials/{{credential_id}}/suspend",
    response_model=BadgeRecordOut,
    tags=["credentials"],
    summary="Suspend a credential until it is unsuspended",
    dependencies=[Idempotent],
)
def suspend(
    credential_id: uuid.UUID,
    body: ReasonIn,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: IssuePrincipal,
) -> BadgeRecordOut:
    credential = credentials.suspend(
        session,
        organization_id=principal.organization_id,
        credential_id=credential_id,
        reason=body.reason,
    )
    return _record(session, runtime, credential)


@router.post(
    f"{API_PREFIX}/credentials/{{credential_id}}/unsuspend",
    response_model=BadgeRecordOut,
    tags=["credentials"],
    summary="Reinstate a suspended credential",
    dependencies=[Idempotent],
)
def unsuspend(
    credential_id: uuid.UUID, session: SessionDep, runtime: RuntimeDep, principal: IssuePrincipal
) -> BadgeRecordOut:
    credential = credentials.unsuspend(
        session, organization_id=principal.organization_id, credential_id=credential_id
    )
    return _record(session, runtime, credential)

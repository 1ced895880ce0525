"""Publish the organization's status lists."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select

from plaudit.api.deps import RuntimeDep, SessionDep
from plaudit.api.openapi import media
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.credentials import issuance
from plaudit.credentials.routes import VC_MEDIA_TYPE
from plaudit.errors import NotFound
from plaudit.models.organization import Organization
from plaudit.models.status_list import StatusList, StatusPurpose

router = APIRouter(route_class=UnitOfWorkRoute)

# Verifiers may cache a list this long: a revocation shows within a minute.
LIST_MAX_AGE = 60


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

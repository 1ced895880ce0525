"""HTTP routes of organizations: the calling key's own organization."""

from __future__ import annotations

from fastapi import APIRouter

from plaudit.api import API_PREFIX
from plaudit.api.deps import AdminPrincipal, ReadPrincipal, SessionDep
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.organizations import service as organizations
from plaudit.organizations.schemas import OrganizationOut, OrganizationUpdate

router = APIRouter(
    prefix=f"{API_PREFIX}/organization", tags=["organization"], route_class=UnitOfWorkRoute
)


@router.get("", response_model=OrganizationOut, summary="The API key's organization")
def read(session: SessionDep, principal: ReadPrincipal) -> object:
    return organizations.get(session, principal.organization_id)


@router.patch("", response_model=OrganizationOut, summary="Update the issuer profile")
def update(body: OrganizationUpdate, session: SessionDep, principal: AdminPrincipal) -> object:
    org = organizations.get(session, principal.organization_id)
    return organizations.update(session, organization=org, data=body)

"""HTTP routes of the catalog of ready-made templates."""

from __future__ import annotations

from fastapi import APIRouter

from plaudit.api import API_PREFIX
from plaudit.api.deps import ReadPrincipal, RuntimeDep, SessionDep, WritePrincipal
from plaudit.api.idempotency import Idempotent
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.catalog import service as catalog
from plaudit.catalog.schemas import CatalogCopy, CatalogEntryOut
from plaudit.organizations import service as organizations
from plaudit.templates.routes import to_out
from plaudit.templates.schemas import TemplateOut

router = APIRouter(prefix=f"{API_PREFIX}/catalog", tags=["catalog"], route_class=UnitOfWorkRoute)


@router.get("", response_model=list[CatalogEntryOut], summary="The ready-made templates")
def list_catalog(principal: ReadPrincipal, runtime: RuntimeDep) -> list[CatalogEntryOut]:
    return catalog.entries_out(base_url=runtime.settings.public_base_url)


@router.post(
    "/{key}/copy",
    response_model=TemplateOut,
    status_code=201,
    dependencies=[Idempotent],
    summary="Copy a catalog entry into a new template (a draft with its artwork)",
)
def copy_from_catalog(
    key: str, body: CatalogCopy, session: SessionDep, principal: WritePrincipal, runtime: RuntimeDep
) -> TemplateOut:
    org = organizations.get(session, principal.organization_id)
    template = catalog.copy(session, runtime.files, organization=org, key=key, data=body)
    return to_out(template, base_url=runtime.settings.public_base_url, wanted=[])

"""HTTP routes of templates."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Header, Path, Query, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from plaudit.api import API_PREFIX
from plaudit.api.deps import Principal, ReadPrincipal, RuntimeDep, SessionDep, WritePrincipal
from plaudit.api.idempotency import Idempotent
from plaudit.api.pagination import Page, PageParams, page_params, paginate
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.images import service as images
from plaudit.images.processing import MAX_BYTES
from plaudit.models.image import Image
from plaudit.models.template import Template, TemplateKind, TemplateStatus, TemplateVersion
from plaudit.organizations import service as organizations
from plaudit.organizations.schemas import LanguageTag
from plaudit.runtime import Runtime
from plaudit.templates import service as templates
from plaudit.templates.localize import parse_accept_language
from plaudit.templates.schemas import (
    CriteriaOut,
    LocalizedOut,
    TemplateCreate,
    TemplateOut,
    TemplateUpdate,
    VersionOut,
)

router = APIRouter(
    prefix=f"{API_PREFIX}/templates", tags=["templates"], route_class=UnitOfWorkRoute
)

LangQuery = Annotated[
    LanguageTag | None,
    Query(description="Preferred language; falls back to Accept-Language, then the default."),
]
AcceptLanguage = Annotated[str | None, Header(include_in_schema=False)]


def _wanted(lang: str | None, accept_language: str | None) -> list[str]:
    return ([lang] if lang else []) + parse_accept_language(accept_language)


def to_out(template: Template, *, base_url: str, wanted: list[str]) -> TemplateOut:
    return TemplateOut(
        id=template.id,
        kind=template.kind,
        status=template.status,
        name=template.name,
        description=template.description,
        criteria=CriteriaOut(narrative=template.criteria_narrative, url=template.criteria_url),
        achievement_type=template.achievement_type,
        language=template.default_language,
        languages=[template.default_language, *(t["lang"] for t in template.translations)],
        translations=template.translations,
        localized=LocalizedOut.model_validate(templates.localized(template, wanted=wanted)),
        alignments=template.alignments,
        tags=[{"name": t.name, "priority": t.priority} for t in templates._ordered_tags(template)],
        expiry=template.expiry,
        fields=template.fields,
        layout=templates.layout_of(template),
        metadata=template.metadata_,
        image=images.urls(base_url, template.image_id),
        origin=template.origin,
        catalog_key=template.catalog_key,
        catalog_version=template.catalog_version,
        sync_with_catalog=template.sync_with_catalog,
        wallet_reminder_days=template.wallet_reminder_days,
        published_version=template.published_version,
        has_unpublished_changes=template.has_unpublished_changes,
        allowed_transitions=templates.allowed_transitions(template),
        created_at=template.created_at,
        updated_at=template.updated_at,
        published_at=template.published_at,
        archived_at=template.archived_at,
    )


def _version_out(version: TemplateVersion, *, base_url: str) -> VersionOut:
    return VersionOut(
        number=version.number,
        template_id=version.template_id,
        created_at=version.created_at,
        snapshot=version.snapshot,
        image=images.urls(base_url, version.image_id),
    )


@router.post(
    "",
    response_model=TemplateOut,
    status_code=201,
    dependencies=[Idempotent],
    summary="Create a template (a draft)",
)
def create(
    body: TemplateCreate,
    session: SessionDep,
    principal: WritePrincipal,
    runtime: RuntimeDep,
    lang: LangQuery = None,
    accept_language: AcceptLanguage = None,
) -> TemplateOut:
    org = organizations.get(session, principal.organization_id)
    template = templates.create(session, organization=org, data=body)
    return to_out(
        template, base_url=runtime.settings.public_base_url, wanted=_wanted(lang, accept_language)
    )


@router.get("", response_model=Page[TemplateOut], summary="List templates")
def list_templates(
    session: SessionDep,
    principal: ReadPrincipal,
    runtime: RuntimeDep,
    page: Annotated[PageParams, Depends(page_params)],
    kind: TemplateKind | None = None,
    status: TemplateStatus | None = None,
    tag: Annotated[
        str | None, Query(max_length=64, description="Only templates with this tag.")
    ] = None,
    has_language: Annotated[
        LanguageTag | None, Query(description="Only templates in this language.")
    ] = None,
    q: Annotated[str | None, Query(max_length=200, description="Name contains (any case).")] = None,
    lang: LangQuery = None,
    accept_language: AcceptLanguage = None,
) -> Page[TemplateOut]:
    stmt = templates.query(
        organization_id=principal.organization_id,
        kind=kind,
        status=status,
        tag=tag,
        lang=has_language,
        search=q,
    )
    rows, cursor = paginate(session, stmt, id_column=Template.id, params=page)
    wanted = _wanted(lang, accept_language)
    base = runtime.settings.public_base_url
    return Page[TemplateOut](
        items=[to_out(t, base_url=base, wanted=wanted) for t in rows], next_cursor=cursor
    )


@router.get("/{template_id}", response_model=TemplateOut, summary="Read a template")
def read(
    template_id: uuid.UUID,
    session: SessionDep,
    principal: ReadPrincipal,
    runtime: RuntimeDep,
    lang: LangQuery = None,
    accept_language: AcceptLanguage = None,
) -> TemplateOut:
    template = templates.get(
        session, organization_id=principal.organization_id, template_id=template_id
    )
    return to_out(
        template, base_url=runtime.settings.public_base_url, wanted=_wanted(lang, accept_language)
    )


@router.patch(
    "/{template_id}",
    response_model=TemplateOut,
    summary="Edit the working copy (a published version keeps serving awards)",
)
def update(
    template_id: uuid.UUID,
    body: TemplateUpdate,
    session: SessionDep,
    principal: WritePrincipal,
    runtime: RuntimeDep,
    lang: LangQuery = None,
    accept_language: AcceptLanguage = None,
) -> TemplateOut:
    template = templates.get(
        session, organization_id=principal.organization_id, template_id=template_id
    )
    templates.update(session, template=template, data=body)
    return to_out(
        template, base_url=runtime.settings.public_base_url, wanted=_wanted(lang, accept_language)
    )


@router.delete("/{template_id}", status_code=204, summary="Delete a draft that was never published")
def delete(template_id: uuid.UUID, session: SessionDep, principal: WritePrincipal) -> Response:
    template = templates.get(
        session, organization_id=principal.organization_id, template_id=template_id
    )
    templates.delete(session, template=template)
    return Response(status_code=204)


def _transition(action: str):  # type: ignore[no-untyped-def]
    def run(
        template_id: uuid.UUID, session: SessionDep, principal: WritePrincipal, runtime: RuntimeDep
    ) -> TemplateOut:
        template = templates.get(
            session, organization_id=principal.organization_id, template_id=template_id
        )
        getattr(templates, action)(session, template=template)
        return to_out(template, base_url=runtime.settings.public_base_url, wanted=[])

    return run


router.add_api_route(
    "/{template_id}/publish",
    _transition("publish"),
    methods=["POST"],
    response_model=TemplateOut,
    dependencies=[Idempotent],
    summary="Publish: freeze the working copy as a new version",
)
router.add_api_route(
    "/{template_id}/archive",
    _transition("archive"),
    methods=["POST"],
    response_model=TemplateOut,
    dependencies=[Idempotent],
    summary="Archive: no more awards from it",
)
router.add_api_route(
    "/{template_id}/unarchive",
    _transition("unarchive"),
    methods=["POST"],
    response_model=TemplateOut,
    dependencies=[Idempotent],
    summary="Unarchive: back to draft",
)


@router.get(
    "/{template_id}/versions", response_model=Page[VersionOut], summary="List published versions"
)
def list_versions(
    template_id: uuid.UUID,
    session: SessionDep,
    principal: ReadPrincipal,
    runtime: RuntimeDep,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[VersionOut]:
    template = templates.get(
        session, organization_id=principal.organization_id, template_id=template_id
    )
    rows, cursor = paginate(
        session,
        templates.versions_query(template=template),
        id_column=TemplateVersion.id,
        params=page,
    )
    base = runtime.settings.public_base_url
    return Page[VersionOut](
        items=[_version_out(r, base_url=base) for r in rows], next_cursor=cursor
    )


@router.get(
    "/{template_id}/versions/{number}", response_model=VersionOut, summary="Read one version"
)
def read_version(
    template_id: uuid.UUID,
    number: Annotated[int, Path(ge=1, le=2**31 - 1)],
    session: SessionDep,
    principal: ReadPrincipal,
    runtime: RuntimeDep,
) -> VersionOut:
    template = templates.get(
        session, organization_id=principal.organization_id, template_id=template_id
    )
    version = templates.get_version(session, template=template, number=number)
    return _version_out(version, base_url=runtime.settings.public_base_url)


async def _upload_into(
    template_id: uuid.UUID,
    image: UploadFile,
    session: Session,
    principal: Principal,
    runtime: Runtime,
    place: Callable[[Session, Template, Image], object],
) -> TemplateOut:
    """Store an uploaded image (checked) for the template, and `place` it on the template."""
    data = await image.read(MAX_BYTES + 1)

    def store() -> TemplateOut:
        template = templates.get(
            session, organization_id=principal.organization_id, template_id=template_id
        )
        stored = images.store(
            session,
            runtime.files,
            organization_id=principal.organization_id,
            data=data,
            declared_type=image.content_type,
            filename=image.filename,
        )
        place(session, template, stored)
        return to_out(template, base_url=runtime.settings.public_base_url, wanted=[])

    return await run_in_threadpool(store)


@router.put(
    "/{template_id}/image",
    response_model=TemplateOut,
    summary=f"Upload the image (PNG, JPEG, WebP or SVG, up to {MAX_BYTES // 1_048_576} MB)",
)
async def upload_image(
    template_id: uuid.UUID,
    image: Annotated[UploadFile, File()],
    session: SessionDep,
    principal: WritePrincipal,
    runtime: RuntimeDep,
) -> TemplateOut:
    return await _upload_into(
        template_id,
        image,
        session,
        principal,
        runtime,
        lambda s, template, stored: templates.set_image(s, template=template, image=stored),
    )


@router.put(
    "/{template_id}/layout/{slot}",
    response_model=TemplateOut,
    summary="Upload a certificate's background or signature image",
)
async def upload_layout_image(
    template_id: uuid.UUID,
    slot: Literal["background", "signature"],
    image: Annotated[UploadFile, File()],
    session: SessionDep,
    principal: WritePrincipal,
    runtime: RuntimeDep,
) -> TemplateOut:
    return await _upload_into(
        template_id,
        image,
        session,
        principal,
        runtime,
        lambda s, template, stored: templates.set_layout_image(
            s, template=template, slot=slot, image=stored
        ),
    )

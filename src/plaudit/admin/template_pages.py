"""Dashboard: templates — the list with filters, the builder (new and edit) with its badge and
certificate previews, the lifecycle (publish, archive, unarchive, delete), the published
versions, and copies from the catalog. Every change goes through the API's services."""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from plaudit.admin import template_form
from plaudit.admin.forms import FormErrors, errors_from, first_part, parse, text, upload
from plaudit.admin.web import (
    ADMIN,
    Admin,
    Editor,
    FormDep,
    Paged,
    Viewer,
    page_number,
    paged,
    parse_uuid,
    redirect,
    render,
    window,
)
from plaudit.api.deps import RuntimeDep, SessionDep
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.catalog import service as catalog
from plaudit.catalog.schemas import CatalogCopy
from plaudit.certificates import service as certificates
from plaudit.errors import InvalidInput, PlauditError, not_found
from plaudit.images import service as images
from plaudit.images.processing import MAX_BYTES
from plaudit.models.image import Image
from plaudit.models.template import (
    Template,
    TemplateKind,
    TemplateOrigin,
    TemplateStatus,
)
from plaudit.organizations import service as organizations
from plaudit.runtime import Runtime
from plaudit.templates import queries as template_queries
from plaudit.templates import service as templates
from plaudit.templates import vocabulary as v
from plaudit.templates.schemas import TemplateCreate, TemplateUpdate

router = APIRouter(prefix=ADMIN, include_in_schema=False, route_class=UnitOfWorkRoute)
BASE = f"{ADMIN}/templates"
CATALOG_PER_PAGE = 12
ACTIONS = {
    templates.PUBLISH: "published",
    templates.ARCHIVE: "archived",
    templates.UNARCHIVE: "unarchived (it is a draft again)",
}


def _choice(value: str, enum: Any) -> Any:
    return next((member for member in enum if member.value == value), None)


def image_url(image_id: uuid.UUID | str | None, variant: str = "standard") -> str | None:
    """Same-origin address of a stored image (the public /files route)."""
    return f"/files/images/{image_id}/{variant}" if image_id else None


def _render(
    request: Request, admin: Admin, template: str, context: dict[str, Any], status: int = 200
) -> Response:
    context = {"image_url": image_url, **context}
    return render(request, admin, template, context, status=status, section="templates")


def _template(session: SessionDep, admin: Admin, template_id: str) -> Template:
    ident = parse_uuid(template_id)
    if ident is None:
        raise not_found("template", template_id)
    return templates.get(session, organization_id=admin.organization_id, template_id=ident)


# --- the list ----------------------------------------------------------------------------


@router.get("/templates")
def template_list(
    request: Request,
    admin: Viewer,
    session: SessionDep,
    kind: str = "",
    status: str = "",
    tag: str = "",
    q: str = "",
) -> Response:
    chosen_kind = _choice(kind, TemplateKind)
    chosen_status = _choice(status, TemplateStatus)
    tag, q = tag.strip()[:64], q.strip()[:200]
    found = template_queries.listing(
        session,
        organization_id=admin.organization_id,
        kind=chosen_kind,
        status=chosen_status,
        tag=tag or None,
        search=q or None,
        window=window(request),
    )
    return _render(
        request,
        admin,
        "admin/templates_list.html",
        {
            "paged": paged(request, found),
            "kind": chosen_kind.value if chosen_kind else "",
            "status": chosen_status.value if chosen_status else "",
            "tag": tag,
            "q": q,
            "known_tags": template_queries.tag_names(
                session, organization_id=admin.organization_id
            ),
            "filtered": bool(chosen_kind or chosen_status or tag or q),
        },
    )


# --- the catalog -------------------------------------------------------------------------


def _catalog_page(
    request: Request,
    admin: Admin,
    session: SessionDep,
    *,
    errors: dict[str, FormErrors] | None = None,
    status: int = 200,
) -> Response:
    entries = catalog.entries_out(base_url="")  # same-origin artwork: /files/catalog/<key>.svg
    pages = max(1, math.ceil(len(entries) / CATALOG_PER_PAGE))
    number = min(page_number(request), pages)
    start = (number - 1) * CATALOG_PER_PAGE
    paged = Paged(
        items=entries[start : start + CATALOG_PER_PAGE],
        page=number,
        pages=pages,
        total=len(entries),
        base_query={},
    )
    language = organizations.get(session, admin.organization_id).default_language
    return _render(
        request,
        admin,
        "admin/templates_catalog.html",
        {"paged": paged, "language": language, "errors": errors or {}},
        status=status,
    )


@router.get("/templates/catalog")
def catalog_list(request: Request, admin: Viewer, session: SessionDep) -> Response:
    return _catalog_page(request, admin, session)


@router.post("/templates/catalog/{key}/copy")
def catalog_copy(
    request: Request,
    key: str,
    admin: Editor,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    entry = catalog.find(key)
    body, errors = parse(
        CatalogCopy,
        {
            "language": text(form, "language") or None,
            "sync_with_catalog": text(form, "sync_with_catalog") == "on",
        },
    )
    if body is None:
        return _catalog_page(request, admin, session, errors={entry.key: errors}, status=422)
    org = organizations.get(session, admin.organization_id)
    template = catalog.copy(session, runtime.files, organization=org, key=entry.key, data=body)
    return redirect(
        f"{BASE}/{template.id}",
        flash=f"“{template.name}” was copied from the catalog as a draft: edit it, then "
        "publish it.",
    )


# --- the builder -------------------------------------------------------------------------


def _preview(form: dict[str, Any], lang: str) -> dict[str, Any]:
    """The badge as its public page shows it, in one of the form's languages."""
    for i, row in enumerate(form["translations"]):
        if row.get("lang") and row["lang"].lower() == lang.lower() and row.get("name"):
            return {
                "lang": row["lang"],
                "source": f"tr-{i}-",
                "name": row["name"],
                "description": row["description"],
                "criteria": row["criteria"] or form["criteria"],
            }
    return {
        "lang": form["language"],
        "source": "",
        "name": form["name"],
        "description": form["description"],
        "criteria": form["criteria"],
    }


def _builder(
    request: Request,
    admin: Admin,
    session: SessionDep,
    *,
    template: Template | None,
    kind: TemplateKind,
    form: dict[str, Any],
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    preview_lang = request.query_params.get("preview", "")[:35] or form["language"]
    versions = None
    if template is not None:
        param = "versions_page"
        versions = paged(
            request,
            template_queries.versions(
                session, template=template, window=window(request, param=param, per_page=10)
            ),
            param=param,
        )
    languages = [form["language"], *(r["lang"] for r in form["translations"] if r.get("lang"))]
    return _render(
        request,
        admin,
        "admin/templates_builder.html",
        {
            "template": template,
            "kind": kind.value,
            "form": form,
            "rows": template_form.with_blank_rows(form),
            "errors": errors or FormErrors(),
            "versions": versions,
            "actions": templates.allowed_transitions(template) if template else [],
            "preview": _preview(form, preview_lang),
            "languages": [lang for lang in languages if lang],
            "organization": organizations.get(session, admin.organization_id).name,
            "achievement_types": v.ACHIEVEMENT_TYPES,
            "field_types": [(t, t) for t in template_form.FIELD_TYPES],
            "limits": {
                "translations": template_form.MAX_TRANSLATIONS,
                "alignments": v.MAX_ALIGNMENTS,
                "fields": v.MAX_FIELDS,
            },
            "max_mb": MAX_BYTES // 1_048_576,
        },
        status=status,
    )


@router.get("/templates/new")
def new_template(
    request: Request, admin: Viewer, session: SessionDep, kind: str = "badge"
) -> Response:
    chosen = _choice(kind, TemplateKind) or TemplateKind.BADGE
    language = organizations.get(session, admin.organization_id).default_language
    form = template_form.blank(chosen, language=language)
    return _builder(request, admin, session, template=None, kind=chosen, form=form)


def _store(
    form: FormData,
    name: str,
    session: SessionDep,
    runtime: Runtime,
    admin: Admin,
    errors: FormErrors,
) -> Image | None:
    """An uploaded image, checked and stored exactly as the API's upload does."""
    chosen = upload(form, name)
    if chosen is None:
        return None
    try:
        return images.store(
            session,
            runtime.files,
            organization_id=admin.organization_id,
            data=chosen.file.read(MAX_BYTES + 1),
            declared_type=chosen.content_type,
            filename=chosen.filename,
        )
    except PlauditError as exc:
        errors.add(name, exc.detail)
        return None


def _layout_images(
    form: FormData,
    session: SessionDep,
    runtime: Runtime,
    admin: Admin,
    template: Template | None,
    errors: FormErrors,
) -> dict[str, uuid.UUID | None]:
    """Each slot's image after this save: a new upload, none if removed, else the one it had."""
    before = templates.layout_of(template) if template is not None else None
    chosen: dict[str, uuid.UUID | None] = {}
    for slot in template_form.IMAGE_SLOTS:
        stored = _store(form, f"layout_{slot}", session, runtime, admin, errors)
        if stored is not None:
            chosen[slot] = stored.id
        elif text(form, f"layout_remove_{slot}"):
            chosen[slot] = None
        else:
            chosen[slot] = getattr(before, f"{slot}_image_id", None)
    return chosen


def _service_reason(item: Mapping[str, Any]) -> tuple[str, str]:
    name, reason = first_part(item)
    # The layout's checks (which fields it shows, its images) are shown by its fields' list.
    return ("layout_show_fields" if name == "layout" else name), reason


def _update_of(body: TemplateCreate, template: Template, form: dict[str, Any]) -> dict[str, Any]:
    """Every field of the form, as the PATCH of the API takes them."""
    changes: dict[str, Any] = {
        "name": body.name,
        "description": body.description,
        "criteria": body.criteria,
        "achievement_type": body.achievement_type
        or ("Badge" if template.kind is TemplateKind.BADGE else "Certificate"),
        "language": body.language or template.default_language,
        "translations": body.translations,
        "alignments": body.alignments,
        "tags": body.tags,
        "expiry": body.expiry,
        "metadata": body.metadata,
        "wallet_reminder_days": body.wallet_reminder_days,
    }
    if template.kind is TemplateKind.CERTIFICATE:
        changes["fields"] = body.fields or []
        changes["layout"] = body.layout
    if template.origin is TemplateOrigin.CATALOG:
        changes["sync_with_catalog"] = form["sync_with_catalog"]
    return changes


class _Refused(Exception):
    """Raised inside the save's savepoint to undo it; carries what to show beside the fields."""

    def __init__(self, errors: FormErrors) -> None:
        super().__init__("the template form was refused")
        self.errors = errors


def _write(
    form: FormData,
    typed: dict[str, Any],
    session: SessionDep,
    runtime: Runtime,
    admin: Admin,
    *,
    template: Template | None,
    kind: TemplateKind,
) -> Template:
    """The uploads, then the template, through the API's services; every mistake is collected
    before anything is saved, and raised as one refusal."""
    errors = FormErrors()
    image = _store(form, "image", session, runtime, admin, errors)
    layout_images = (
        _layout_images(form, session, runtime, admin, template, errors)
        if kind is TemplateKind.CERTIFICATE
        else {}
    )
    body, schema_errors = template_form.to_schema(
        typed, kind=kind, previous=template, layout_images=layout_images
    )
    errors.merge(schema_errors)
    if template is not None and not typed["language"]:
        errors.add("language", "Enter the main language, such as 'en' or 'pt-BR'.")
    if errors or body is None:
        raise _Refused(errors)
    try:
        if template is None:
            org = organizations.get(session, admin.organization_id)
            saved = templates.create(session, organization=org, data=body)
        else:
            changes = TemplateUpdate.model_validate(_update_of(body, template, typed))
            saved = templates.update(session, template=template, data=changes)
        if image is not None:
            templates.set_image(session, template=saved, image=image)
    except PlauditError as exc:
        raise _Refused(errors_from(exc, reason=_service_reason)) from exc
    return saved


def _save(
    request: Request,
    admin: Admin,
    form: FormData,
    session: SessionDep,
    runtime: Runtime,
    *,
    template: Template | None,
    kind: TemplateKind,
) -> Response:
    """Validate everything first (so every message shows at once), then save in one go; on
    any refusal, undo it all (uploaded files included) and show the form again as typed."""
    typed = template_form.from_post(form, kind=kind)
    try:
        # One savepoint for the uploads and the save: a refusal anywhere undoes both (the
        # files written go with it) and leaves the request's transaction as it was.
        with session.begin_nested():
            saved = _write(form, typed, session, runtime, admin, template=template, kind=kind)
    except _Refused as refused:
        errors = refused.errors
        before = None
        if template is not None:
            template = _template(session, admin, str(template.id))
            before = templates.layout_of(template)
        slots = template_form.IMAGE_SLOTS
        if upload(form, "image") or any(upload(form, f"layout_{slot}") for slot in slots):
            errors.add("files", "Files are not kept when a form comes back: choose them again.")
        # What was uploaded with this form was rolled back: the layout shows what it had.
        typed["layout"].update(
            {f"{s}_image_id": getattr(before, f"{s}_image_id", None) for s in slots}
        )
        return _builder(
            request,
            admin,
            session,
            template=template,
            kind=kind,
            form=typed,
            errors=errors,
            status=422,
        )
    flash = "The template was created as a draft." if template is None else "Saved."
    if saved.status is TemplateStatus.PUBLISHED and saved.has_unpublished_changes:
        flash += " The published version stays in use until you publish again."
    elif saved.image_id is None:
        flash += " Upload an image before publishing it."
    return redirect(f"{BASE}/{saved.id}", flash=flash)


@router.post("/templates")
def create_template(
    request: Request, admin: Editor, form: FormDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    kind = _choice(text(form, "kind"), TemplateKind) or TemplateKind.BADGE
    return _save(request, admin, form, session, runtime, template=None, kind=kind)


@router.get("/templates/{template_id}")
def template_page(
    request: Request, template_id: str, admin: Viewer, session: SessionDep
) -> Response:
    template = _template(session, admin, template_id)
    return _builder(
        request,
        admin,
        session,
        template=template,
        kind=template.kind,
        form=template_form.from_template(template),
    )


@router.post("/templates/{template_id}")
def update_template(
    request: Request,
    template_id: str,
    admin: Editor,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    template = _template(session, admin, template_id)
    return _save(request, admin, form, session, runtime, template=template, kind=template.kind)


# --- the lifecycle -----------------------------------------------------------------------


def _transition(action: str, template_id: str, admin: Admin, session: SessionDep) -> Response:
    template = _template(session, admin, template_id)
    try:
        if action == templates.PUBLISH:
            version = templates.publish(session, template=template)
            message = f"“{template.name}” is published: version {version.number} is in use."
        else:
            getattr(templates, action)(session, template=template)
            message = f"“{template.name}” was {ACTIONS[action]}."
    except PlauditError as exc:
        # The lifecycle's services refuse before they change anything: nothing to undo.
        return redirect(f"{BASE}/{template_id}", flash=exc.detail, kind="error")
    return redirect(f"{BASE}/{template.id}", flash=message)


@router.post("/templates/{template_id}/publish")
def publish_template(template_id: str, admin: Editor, session: SessionDep) -> Response:
    return _transition(templates.PUBLISH, template_id, admin, session)


@router.post("/templates/{template_id}/archive")
def archive_template(template_id: str, admin: Editor, session: SessionDep) -> Response:
    return _transition(templates.ARCHIVE, template_id, admin, session)


@router.post("/templates/{template_id}/unarchive")
def unarchive_template(template_id: str, admin: Editor, session: SessionDep) -> Response:
    return _transition(templates.UNARCHIVE, template_id, admin, session)


@router.post("/templates/{template_id}/delete")
def delete_template(template_id: str, admin: Editor, session: SessionDep) -> Response:
    template = _template(session, admin, template_id)
    name = template.name
    try:
        templates.delete(session, template=template)
    except PlauditError as exc:  # refused before anything was deleted
        return redirect(f"{BASE}/{template_id}", flash=exc.detail, kind="error")
    return redirect(BASE, flash=f"The draft “{name}” was deleted.")


# --- previews and versions ---------------------------------------------------------------


@router.get("/templates/{template_id}/certificate-preview")
def certificate_preview(
    template_id: str, admin: Viewer, session: SessionDep, runtime: RuntimeDep, lang: str = ""
) -> Response:
    """As GET /api/v1/templates/{id}/certificate-preview, for the signed-in person."""
    template = _template(session, admin, template_id)
    if template.kind is not TemplateKind.CERTIFICATE:
        raise InvalidInput("Only certificate templates have a PDF; this one is a badge.")
    pdf = certificates.preview(session, runtime, template=template, lang=lang[:35] or None)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": 'inline; filename="certificate-preview.pdf"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "SAMEORIGIN",
        },
    )


@router.get("/templates/{template_id}/versions/{number}")
def version_page(
    request: Request, template_id: str, number: str, admin: Viewer, session: SessionDep
) -> Response:
    template = _template(session, admin, template_id)
    if not number.isdigit() or not 0 < int(number) < 1_000_000:
        raise not_found("version", number)
    version = templates.get_version(session, template=template, number=int(number))
    return _render(
        request,
        admin,
        "admin/templates_version.html",
        {
            "template": template,
            "version": version,
            "snapshot": version.snapshot,
        },
    )

"""Templates: create, edit, publish into immutable versions, archive; read in any language."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from plaudit.db import utcnow
from plaudit.errors import Conflict, InvalidInput, not_found
from plaudit.models.image import Image
from plaudit.models.organization import Organization
from plaudit.models.template import (
    Template,
    TemplateKind,
    TemplateOrigin,
    TemplateStatus,
    TemplateTag,
    TemplateVersion,
)
from plaudit.templates import vocabulary as v
from plaudit.templates.layout import CertificateLayout
from plaudit.templates.localize import best_language
from plaudit.templates.schemas import (
    DEFAULT_CERTIFICATE_FIELDS,
    TemplateCreate,
    TemplateUpdate,
)
from plaudit.templates.snapshot import Snapshot

# The lifecycle: which actions each status allows.
PUBLISH, ARCHIVE, UNARCHIVE, DELETE = "publish", "archive", "unarchive", "delete"

# Features above this one that follow what is awardable (the badge vendors' template webhooks)
# subscribe here. Each is called with the action, in the transaction that published, archived,
# unarchived or deleted the template, after the change (before it, for a deletion).
LifecycleListener = Callable[[Session, Template, str], None]
_lifecycle_listeners: list[LifecycleListener] = []


def on_lifecycle(listener: LifecycleListener) -> LifecycleListener:
    if listener not in _lifecycle_listeners:
        _lifecycle_listeners.append(listener)
    return listener


def _lifecycle(session: Session, template: Template, action: str) -> None:
    for listener in list(_lifecycle_listeners):
        listener(session, template, action)


def allowed_transitions(template: Template) -> list[str]:
    if template.status is TemplateStatus.DRAFT:
        return [PUBLISH] if template.published_version is not None else [PUBLISH, DELETE]
    if template.status is TemplateStatus.PUBLISHED:
        return [PUBLISH, ARCHIVE] if template.has_unpublished_changes else [ARCHIVE]
    return [UNARCHIVE]


def _refuse(template: Template, action: str, why: str) -> Conflict:
    allowed = allowed_transitions(template)
    return Conflict(
        f"Cannot {action} this template: {why} Allowed now: {', '.join(allowed) or 'nothing'}.",
        extra={"status_now": template.status.value, "allowed_transitions": allowed},
    )


def _languages(default: str, translations: list[dict[str, Any]]) -> str:
    return "," + ",".join([default, *(t["lang"] for t in translations)]) + ","


def _dump_list(items: list[Any] | None) -> list[dict[str, Any]]:
    return [item.model_dump(mode="json", exclude_none=True) for item in items or []]


def create(
    session: Session,
    *,
    organization: Organization,
    data: TemplateCreate,
    origin: TemplateOrigin = TemplateOrigin.CUSTOM,
    catalog_key: str | None = None,
    catalog_version: int | None = None,
    sync_with_catalog: bool = False,
    image_id: uuid.UUID | None = None,
) -> Template:
    language = data.language or organization.default_language
    translations = _dump_list(data.translations)
    _check_main_language(language, translations)
    fields = data.fields
    if fields is None and data.kind is TemplateKind.CERTIFICATE:
        fields = DEFAULT_CERTIFICATE_FIELDS
    template = Template(
        organization_id=organization.id,
        kind=data.kind,
        status=TemplateStatus.DRAFT,
        name=data.name,
        description=data.description,
        criteria_narrative=data.criteria.narrative,
        criteria_url=str(data.criteria.url) if data.criteria.url else None,
        achievement_type=data.achievement_type
        or ("Badge" if data.kind is TemplateKind.BADGE else "Certificate"),
        default_language=language,
        languages=_languages(language, translations),
        translations=translations,
        alignments=_dump_list(data.alignments),
        expiry=data.expiry.model_dump(mode="json", exclude_none=True),
        fields=_dump_list(fields),
        layout=data.layout.model_dump(mode="json") if data.layout else {},
        metadata_=data.metadata,
        image_id=image_id,
        origin=origin,
        catalog_key=catalog_key,
        catalog_version=catalog_version,
        sync_with_catalog=sync_with_catalog,
        wallet_reminder_days=data.wallet_reminder_days,
        has_unpublished_changes=True,
        tags=[
            TemplateTag(organization_id=organization.id, name=t.name, priority=t.priority)
            for t in data.tags
        ],
    )
    _check_layout(session, template)
    session.add(template)
    session.flush()
    return template


def layout_of(template: Template) -> CertificateLayout | None:
    if template.kind is not TemplateKind.CERTIFICATE:
        return None
    return CertificateLayout.model_validate(template.layout or {})


def _check_layout(session: Session, template: Template) -> None:
    """Fields it shows are declared; images it uses are the organization's own."""
    layout = layout_of(template)
    if layout is None:
        return
    declared = {f["name"] for f in template.fields}
    unknown = [name for name in layout.show_fields if name not in declared]
    if unknown:
        raise InvalidInput(
            f"The layout shows fields the template does not declare: {', '.join(unknown)}.",
            extra={"errors": [{"field": "layout.show_fields", "reason": "unknown field"}]},
        )
    for slot in ("background_image_id", "signature_image_id"):
        image_id = getattr(layout, slot)
        if image_id is None:
            continue
        owner = session.scalar(select(Image.organization_id).where(Image.id == image_id))
        if owner != template.organization_id:
            raise InvalidInput(
                f"No image '{image_id}' was uploaded to this organization.",
                extra={"errors": [{"field": f"layout.{slot}", "reason": "unknown image"}]},
            )


def set_layout_image(
    session: Session, *, template: Template, slot: str, image: Image | None
) -> Template:
    """Put an uploaded image in the layout's background or signature slot (None clears it)."""
    if template.kind is not TemplateKind.CERTIFICATE:
        raise InvalidInput("Only certificate templates have a layout with images.")
    if template.status is TemplateStatus.ARCHIVED:
        raise _refuse(template, "edit", "it is archived; unarchive it first.")
    layout = {**(template.layout or {}), f"{slot}_image_id": str(image.id) if image else None}
    template.layout = layout
    _refresh_change_flag(session, template)
    return template


def _check_main_language(language: str, translations: list[dict[str, Any]]) -> None:
    if any(t["lang"].lower() == language.lower() for t in translations):
        raise InvalidInput(
            f"'{language}' is the main language; do not repeat it in 'translations'.",
            extra={"errors": [{"field": "translations", "reason": "repeats the main language"}]},
        )


def get(session: Session, *, organization_id: uuid.UUID, template_id: uuid.UUID) -> Template:
    template = session.scalar(
        select(Template)
        .options(selectinload(Template.tags))
        .where(Template.id == template_id, Template.organization_id == organization_id)
    )
    if template is None:
        raise not_found("template", template_id)
    return template


def query(
    *,
    organization_id: uuid.UUID,
    kind: TemplateKind | None = None,
    status: TemplateStatus | None = None,
    tag: str | None = None,
    lang: str | None = None,
    search: str | None = None,
) -> Select[Template]:
    stmt = (
        select(Template)
        .options(selectinload(Template.tags))
        .where(Template.organization_id == organization_id)
    )
    if kind is not None:
        stmt = stmt.where(Template.kind == kind)
    if status is not None:
        stmt = stmt.where(Template.status == status)
    if tag:
        tagged = select(TemplateTag.template_id).where(
            TemplateTag.organization_id == organization_id,
            func.lower(TemplateTag.name) == tag.lower(),
        )
        stmt = stmt.where(Template.id.in_(tagged))
    if lang:
        stmt = stmt.where(Template.languages.like(f"%,{lang},%"))
    if search:
        needle = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(func.lower(Template.name).like(f"%{needle}%", escape="\\"))
    return stmt


def update(session: Session, *, template: Template, data: TemplateUpdate) -> Template:
    if template.status is TemplateStatus.ARCHIVED:
        raise _refuse(template, "edit", "it is archived; unarchive it first.")
    sent = data.model_fields_set
    if data.name is not None:  # null is refused by TemplateUpdate
        template.name = data.name
    if "description" in sent:
        template.description = data.description or ""
    if "criteria" in sent:
        template.criteria_narrative = data.criteria.narrative if data.criteria else None
        template.criteria_url = (
            str(data.criteria.url) if data.criteria and data.criteria.url else None
        )
    if data.achievement_type is not None:  # null is refused by TemplateUpdate
        template.achievement_type = data.achievement_type
    if data.language is not None:  # null is refused by TemplateUpdate
        template.default_language = data.language
    if "translations" in sent:
        template.translations = _dump_list(data.translations)
    _check_main_language(template.default_language, template.translations)
    if len(template.translations) + 1 > v.MAX_LANGUAGES:
        raise InvalidInput(
            f"A template has at most {v.MAX_LANGUAGES} languages.",
            extra={"errors": [{"field": "translations", "reason": "too many languages"}]},
        )
    template.languages = _languages(template.default_language, template.translations)
    if "alignments" in sent:
        template.alignments = _dump_list(data.alignments)
    if "expiry" in sent:
        template.expiry = (
            data.expiry.model_dump(mode="json", exclude_none=True)
            if data.expiry
            else {"type": "none"}
        )
    if "fields" in sent:
        if data.fields and template.kind is TemplateKind.BADGE:
            raise InvalidInput(
                "Only certificate templates declare dynamic 'fields'.",
                extra={"errors": [{"field": "fields", "reason": "badges have no fields"}]},
            )
        template.fields = _dump_list(data.fields)
    if "layout" in sent:
        if data.layout is not None and template.kind is TemplateKind.BADGE:
            raise InvalidInput(
                "Only certificate templates have a 'layout'.",
                extra={"errors": [{"field": "layout", "reason": "badges have no layout"}]},
            )
        template.layout = data.layout.model_dump(mode="json") if data.layout else {}
    if "layout" in sent or "fields" in sent:
        _check_layout(session, template)
    if "metadata" in sent:
        template.metadata_ = data.metadata or {}
    if data.sync_with_catalog is not None:
        if template.origin is not TemplateOrigin.CATALOG and data.sync_with_catalog:
            raise InvalidInput(
                "Only templates copied from the catalog can follow it.",
                extra={"errors": [{"field": "sync_with_catalog", "reason": "not a catalog copy"}]},
            )
        template.sync_with_catalog = data.sync_with_catalog
    if "wallet_reminder_days" in sent:
        # Not in the snapshot: the reminder job reads it live, so no publishing is needed.
        template.wallet_reminder_days = data.wallet_reminder_days
    if "tags" in sent:
        _replace_tags(session, template, data)
    _refresh_change_flag(session, template)
    session.flush()
    return template


def _replace_tags(session: Session, template: Template, data: TemplateUpdate) -> None:
    template.tags.clear()
    session.flush()  # delete the old rows before inserting names that may repeat
    for tag in data.tags or []:
        template.tags.append(
            TemplateTag(
                organization_id=template.organization_id, name=tag.name, priority=tag.priority
            )
        )


def set_image(session: Session, *, template: Template, image: Image) -> Template:
    if template.status is TemplateStatus.ARCHIVED:
        raise _refuse(template, "change the image of", "it is archived; unarchive it first.")
    template.image_id = image.id
    _refresh_change_flag(session, template)
    session.flush()
    return template


def snapshot(template: Template) -> dict[str, Any]:
    """What a published version freezes: everything an award and its credential show."""
    return {
        "kind": template.kind.value,
        "name": template.name,
        "description": template.description,
        "criteria": {"narrative": template.criteria_narrative, "url": template.criteria_url},
        "achievement_type": template.achievement_type,
        "language": template.default_language,
        "translations": template.translations,
        "alignments": template.alignments,
        "tags": [{"name": t.name, "priority": t.priority} for t in _ordered_tags(template)],
        "expiry": template.expiry,
        "fields": template.fields,
        "layout": template.layout,
        "metadata": template.metadata_,
        "image_id": str(template.image_id) if template.image_id else None,
    }


def _ordered_tags(template: Template) -> list[TemplateTag]:
    return sorted(template.tags, key=lambda t: (t.priority, t.name.lower()))


def latest_version(session: Session, template: Template) -> TemplateVersion | None:
    if template.published_version is None:
        return None
    return session.scalar(
        select(TemplateVersion).where(
            TemplateVersion.template_id == template.id,
            TemplateVersion.number == template.published_version,
        )
    )


def _refresh_change_flag(session: Session, template: Template) -> None:
    latest = latest_version(session, template)
    template.has_unpublished_changes = latest is None or latest.snapshot != snapshot(template)


def publish(session: Session, *, template: Template) -> TemplateVersion:
    """Freeze the working copy as the next version (or reuse the latest if nothing changed)."""
    if PUBLISH not in allowed_transitions(template):
        why = {
            TemplateStatus.PUBLISHED: "the published version already matches; edit it first.",
            TemplateStatus.ARCHIVED: "it is archived; unarchive it first.",
        }.get(template.status, "")
        raise _refuse(template, "publish", why)
    if template.image_id is None:
        raise _refuse(template, "publish", "it has no image yet; upload one first.")
    frozen = snapshot(template)
    latest = latest_version(session, template)
    if latest is not None and latest.snapshot == frozen:
        version = latest
    else:
        version = TemplateVersion(
            organization_id=template.organization_id,
            template_id=template.id,
            number=(template.published_version or 0) + 1,
            snapshot=frozen,
            image_id=template.image_id,
        )
        session.add(version)
        template.published_version = version.number
    template.status = TemplateStatus.PUBLISHED
    template.has_unpublished_changes = False
    template.published_at = utcnow()
    template.archived_at = None
    session.flush()
    _lifecycle(session, template, PUBLISH)
    return version


def archive(session: Session, *, template: Template) -> Template:
    if ARCHIVE not in allowed_transitions(template):
        raise _refuse(template, "archive", "only a published template can be archived.")
    template.status = TemplateStatus.ARCHIVED
    template.archived_at = utcnow()
    session.flush()
    _lifecycle(session, template, ARCHIVE)
    return template


def unarchive(session: Session, *, template: Template) -> Template:
    if UNARCHIVE not in allowed_transitions(template):
        raise _refuse(template, "unarchive", "it is not archived.")
    template.status = TemplateStatus.DRAFT
    template.archived_at = None
    _refresh_change_flag(session, template)
    session.flush()
    _lifecycle(session, template, UNARCHIVE)
    return template


def delete(session: Session, *, template: Template) -> None:
    if DELETE not in allowed_transitions(template):
        raise _refuse(
            template, "delete", "only a draft that was never published can be deleted; archive it."
        )
    _lifecycle(session, template, DELETE)
    session.delete(template)
    session.flush()


def versions_query(*, template: Template) -> Select[TemplateVersion]:
    return select(TemplateVersion).where(TemplateVersion.template_id == template.id)


def get_version(session: Session, *, template: Template, number: int) -> TemplateVersion:
    version = session.scalar(
        versions_query(template=template).where(TemplateVersion.number == number)
    )
    if version is None:
        raise not_found("version", number)
    return version


def awardable_version(
    session: Session, *, organization_id: uuid.UUID, template_id: uuid.UUID
) -> TemplateVersion:
    """The version an award is issued from now: only a published template can be awarded."""
    template = get(session, organization_id=organization_id, template_id=template_id)
    if template.status is not TemplateStatus.PUBLISHED:
        raise Conflict(
            f"Template '{template.name}' is {template.status.value}; only a published template "
            "can be awarded.",
            extra={"status_now": template.status.value},
        )
    version = latest_version(session, template)
    assert version is not None  # published implies a version
    return version


def localized(content: Snapshot | Template, *, wanted: list[str]) -> dict[str, str | None]:
    """The best translation of a template or a version snapshot for the wanted languages."""
    if isinstance(content, Template):
        content = Snapshot.read(snapshot(content))
    translations = {t.lang: t for t in content.translations}
    lang = best_language(wanted, content.languages, content.language)
    if lang == content.language:
        return {
            "lang": lang,
            "name": content.name,
            "description": content.description,
            "criteria": content.criteria.narrative,
        }
    chosen = translations[lang]
    return {
        "lang": lang,
        "name": chosen.name,
        "description": chosen.description,
        "criteria": chosen.criteria or content.criteria.narrative,
    }

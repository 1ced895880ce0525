"""Copy catalog entries into an organization's templates, and keep synced copies up to date."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from plaudit.catalog.artwork import PALETTES, badge_svg
from plaudit.catalog.entries import BY_KEY, CATALOG, CatalogEntry
from plaudit.catalog.schemas import CatalogCopy, CatalogEntryOut
from plaudit.errors import NotFound
from plaudit.images import service as images
from plaudit.models.organization import Organization
from plaudit.models.template import Template, TemplateOrigin, TemplateStatus
from plaudit.storage import FileStore
from plaudit.templates import service as templates
from plaudit.templates.schemas import Criteria, Tag, TemplateCreate, TemplateUpdate, Translation

log = logging.getLogger(__name__)

# What a catalog update overwrites; the organization's own metadata and fields stay.
SYNCED = (
    "name",
    "description",
    "criteria",
    "achievement_type",
    "language",
    "translations",
    "tags",
    "expiry",
)


def artwork(entry: CatalogEntry) -> str:
    return badge_svg(glyph=entry.glyph, shape=entry.shape, palette=PALETTES[entry.palette])


def entries_out(*, base_url: str) -> list[CatalogEntryOut]:
    return [
        CatalogEntryOut(
            key=e.key,
            version=e.version,
            kind=e.kind,
            name=e.texts["en"].name,
            description=e.texts["en"].description,
            achievement_type=e.achievement_type,
            languages=list(e.texts),
            tags=list(e.tags),
            image_url=f"{base_url}/files/catalog/{e.key}.svg",
        )
        for e in CATALOG
    ]


def find(key: str) -> CatalogEntry:
    entry = BY_KEY.get(key)
    if entry is None:
        raise NotFound(f"The catalog has no entry '{key}'; GET /api/v1/catalog lists them.")
    return entry


def _content(entry: CatalogEntry, language: str) -> TemplateCreate:
    main = language if language in entry.texts else "en"
    text = entry.texts[main]
    return TemplateCreate.model_validate(
        {
            "kind": entry.kind,
            "name": text.name,
            "description": text.description,
            "criteria": Criteria(narrative=text.criteria),
            "achievement_type": entry.achievement_type,
            "language": main,
            "translations": [
                Translation(lang=lang, name=t.name, description=t.description, criteria=t.criteria)
                for lang, t in entry.texts.items()
                if lang != main
            ],
            "tags": [Tag(name=name, priority=rank) for rank, name in enumerate(entry.tags)],
            "expiry": entry.expiry,
        }
    )


def copy(
    session: Session,
    files: FileStore,
    *,
    organization: Organization,
    key: str,
    data: CatalogCopy,
) -> Template:
    entry = find(key)
    image = images.store(
        session,
        files,
        organization_id=organization.id,
        data=artwork(entry).encode(),
        declared_type="image/svg+xml",
    )
    return templates.create(
        session,
        organization=organization,
        data=_content(entry, data.language or organization.default_language),
        origin=TemplateOrigin.CATALOG,
        catalog_key=entry.key,
        catalog_version=entry.version,
        sync_with_catalog=data.sync_with_catalog,
        image_id=image.id,
    )


def sync(
    session: Session, files: FileStore, *, entries: Iterable[CatalogEntry] = CATALOG
) -> list[Template]:
    """Bring every synced copy of a newer catalog entry up to date. A published copy gets a
    new published version; archived copies wait until they are unarchived."""
    by_key = {e.key: e for e in entries}
    stale = session.scalars(
        select(Template)
        .options(selectinload(Template.tags))
        .where(
            Template.origin == TemplateOrigin.CATALOG,
            Template.sync_with_catalog.is_(True),
            Template.status != TemplateStatus.ARCHIVED,
            Template.catalog_key.in_(list(by_key)),
        )
    )
    updated = []
    for template in stale:
        entry = by_key[template.catalog_key or ""]
        if template.catalog_version is not None and template.catalog_version >= entry.version:
            continue
        content = _content(entry, template.default_language)
        changes = TemplateUpdate.model_validate({name: getattr(content, name) for name in SYNCED})
        templates.update(session, template=template, data=changes)
        image = images.store(
            session,
            files,
            organization_id=template.organization_id,
            data=artwork(entry).encode(),
            declared_type="image/svg+xml",
        )
        templates.set_image(session, template=template, image=image)
        template.catalog_version = entry.version
        if template.status is TemplateStatus.PUBLISHED and template.has_unpublished_changes:
            templates.publish(session, template=template)
        log.info("synced template %s with catalog %s v%d", template.id, entry.key, entry.version)
        updated.append(template)
    return updated

"""Certificates as PDF: rendered by a job once signed, kept in the file store, never re-rendered.

A certificate shows what its frozen template version said when it was issued; the stored file
is what every later download returns, so editing the template (or the organization's profile)
never changes a certificate already issued.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from typing import Any

from sqlalchemy.orm import Session

from plaudit.certificates.render import (
    CertificateAssets,
    CertificateContent,
    CertificateRenderer,
    labels_for,
)
from plaudit.db import utcnow
from plaudit.errors import NotFound
from plaudit.images import service as images
from plaudit.images.processing import Variant
from plaudit.models.award import Credential
from plaudit.models.learner import Learner
from plaudit.models.organization import Organization
from plaudit.models.template import Template, TemplateVersion
from plaudit.public_urls import credential_url
from plaudit.runtime import Runtime
from plaudit.templates import service as templates
from plaudit.templates.snapshot import Snapshot, snapshot_of

_renderer: CertificateRenderer | None = None
_renderer_lock = threading.Lock()


def renderer() -> CertificateRenderer:
    """One per process: it holds the fonts, which take a moment to scan."""
    global _renderer
    with _renderer_lock:
        if _renderer is None:
            _renderer = CertificateRenderer()
        return _renderer


def file_key(credential: Credential) -> str:
    return f"certificates/{credential.organization_id}/{credential.id}.pdf"


def _image(session: Session, runtime: Runtime, image_id: object, variant: Variant) -> bytes | None:
    if image_id is None:
        return None
    try:
        _, content = images.read(
            session, runtime.files, image_id=uuid.UUID(str(image_id)), variant=variant
        )
    except (NotFound, ValueError):
        return None
    return content


_OWN_IMAGE = re.compile(r"/files/images/([0-9a-f-]{36})/")


def _logo(session: Session, runtime: Runtime, organization: Organization) -> bytes | None:
    """The issuer's logo when it is one of our stored images (other addresses are not fetched)."""
    base = runtime.settings.public_base_url
    url = organization.logo_url or ""
    found = _OWN_IMAGE.search(url) if url.startswith(base) else None
    return _image(session, runtime, found.group(1), Variant.STANDARD) if found else None


def _assets(
    session: Session, runtime: Runtime, snapshot: Snapshot, organization: Organization
) -> CertificateAssets:
    layout = snapshot.layout
    return CertificateAssets(
        background=_image(session, runtime, layout.background_image_id, Variant.ORIGINAL),
        logo=_logo(session, runtime, organization),
        signature=_image(session, runtime, layout.signature_image_id, Variant.ORIGINAL),
        badge=_image(session, runtime, snapshot.image_id, Variant.STANDARD)
        if layout.show_badge_image
        else None,
    )


def _fields(snapshot: Snapshot, values: dict[str, Any]) -> list[tuple[str, str]]:
    declared = {f.name: f for f in snapshot.fields}
    shown = []
    for name in snapshot.layout.show_fields:
        field = declared.get(name)
        if field is None:
            continue
        value = values.get(name, field.default)
        if value not in (None, ""):
            shown.append((field.label, str(value)))
    return shown


def render(
    session: Session,
    runtime: Runtime,
    *,
    credential: Credential,
    organization: Organization,
    version: TemplateVersion,
    learner: Learner | None,
) -> bytes:
    snapshot = snapshot_of(version)
    layout = snapshot.layout
    wanted = [learner.locale] if learner is not None and learner.locale else []
    local = templates.localized(snapshot, wanted=wanted)
    lang = str(local["lang"])
    name = " ".join(
        p for p in (credential.recipient_first_name, credential.recipient_last_name) if p
    )
    content = CertificateContent(
        title=layout.title,
        intro=layout.intro,
        recipient_name=name or (credential.recipient_email or ""),
        achievement_name=str(local["name"]),
        achievement_description=str(local["description"] or ""),
        issuer_name=organization.name,
        issued_on=credential.emitted_at.date(),
        expires_on=credential.expires_at.date() if credential.expires_at else None,
        fields=_fields(snapshot, credential.fields or {}),
        verification_url=credential_url(runtime.settings.public_base_url, credential.public_id),
        credential_id=credential.public_id,
        lang=lang,
        labels=labels_for(lang),
    )
    document = credential.document
    attachment = (
        ("credential.json", json.dumps(document).encode(), "application/vc+ld+json")
        if document is not None
        else None
    )
    return renderer().render(
        layout,
        content,
        _assets(session, runtime, snapshot, organization),
        attachment=attachment,
    )


def ensure_pdf(session: Session, runtime: Runtime, *, credential: Credential) -> bytes:
    """The stored PDF, rendered and stored first if the job has not got to it yet."""
    key = file_key(credential)
    stored = runtime.files.get(key)
    if stored is not None:
        return stored
    if credential.document is None:
        raise NotFound("This certificate is being signed; try again in a moment.")
    organization = session.get(Organization, credential.organization_id)
    version = session.get(TemplateVersion, credential.template_version_id)
    if organization is None or version is None:
        raise NotFound("This certificate's issuer or template is gone.")
    learner = session.get(Learner, credential.learner_id)
    pdf = render(
        session,
        runtime,
        credential=credential,
        organization=organization,
        version=version,
        learner=learner,
    )
    # Two renders racing write the same bytes; the store's rename makes either one whole.
    runtime.files.put(key, pdf)
    return pdf


def preview(session: Session, runtime: Runtime, *, template: Template, lang: str | None) -> bytes:
    """The template's working copy with sample values, as its certificates will look."""
    snapshot = Snapshot.read(templates.snapshot(template))
    layout = snapshot.layout
    organization = session.get(Organization, template.organization_id)
    assert organization is not None
    local = templates.localized(snapshot, wanted=[lang] if lang else [])
    chosen = str(local["lang"])
    samples = {f.name: f.default or f"<{f.label}>" for f in snapshot.fields}
    today = utcnow().date()
    content = CertificateContent(
        title=layout.title,
        intro=layout.intro,
        recipient_name="Ada Lovelace",
        achievement_name=str(local["name"]),
        achievement_description=str(local["description"] or ""),
        issuer_name=organization.name,
        issued_on=today,
        expires_on=None,
        fields=_fields(snapshot, samples),
        verification_url=f"{runtime.settings.public_base_url}/credentials/preview",
        credential_id="preview",
        lang=chosen,
        labels=labels_for(chosen),
    )
    return renderer().render(
        layout, content, _assets(session, runtime, snapshot, organization), attachment=None
    )

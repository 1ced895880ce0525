"""The files a credential comes as: JSON-LD, VC-JWT, baked badge images and the PDF certificate."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from sqlalchemy.orm import Session

from plaudit.certificates import service as certificates
from plaudit.credentials import issuance, ob2
from plaudit.errors import NotFound
from plaudit.images import service as images
from plaudit.images.processing import Variant
from plaudit.models.award import Credential
from plaudit.models.engagement import Engagement
from plaudit.models.organization import Organization
from plaudit.models.template import TemplateVersion
from plaudit.openbadges import baking
from plaudit.runtime import Runtime
from plaudit.templates.snapshot import snapshot_of


@dataclass(frozen=True)
class Artifact:
    filename: str
    media_type: str
    content: bytes
    engagement: Engagement


FILENAMES = (
    "credential.json",
    "credential.jwt",
    "badge.png",
    "badge.svg",
    "badge-ob2.png",
    "badge-ob2.svg",
    "certificate.pdf",
)


def _badge_png(session: Session, runtime: Runtime, version: TemplateVersion) -> bytes:
    if version.image_id is None:
        raise NotFound("This credential's template has no image to bake it into.")
    _, content = images.read(
        session, runtime.files, image_id=version.image_id, variant=Variant.STANDARD
    )
    return content


def _badge_svg(session: Session, runtime: Runtime, version: TemplateVersion) -> bytes:
    """The uploaded SVG (sanitised on upload), or the PNG wrapped in an SVG."""
    if version.image_id is None:
        raise NotFound("This credential's template has no image to bake it into.")
    image, content = images.read(
        session, runtime.files, image_id=version.image_id, variant=Variant.ORIGINAL
    )
    if image.content_type == "image/svg+xml":
        return content
    png = _badge_png(session, runtime, version)
    encoded = base64.b64encode(png).decode()
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" viewBox="0 0 512 512">'
        f'<image width="512" height="512" href="data:image/png;base64,{encoded}"/></svg>'
    ).encode()


def make(
    session: Session,
    runtime: Runtime,
    *,
    credential: Credential,
    organization: Organization,
    version: TemplateVersion,
    filename: str,
) -> Artifact:
    document = credential.document
    if credential.imported:
        raise NotFound(
            "This credential was issued elsewhere and imported here: it has no files of ours."
        )
    if document is None:
        raise NotFound("This credential is being signed; try again in a moment.")
    text = json.dumps(document, ensure_ascii=False, indent=2)
    if filename == "credential.json":
        return Artifact(filename, "application/vc+ld+json", text.encode(), Engagement.DOWNLOAD_JSON)
    if filename == "credential.jwt":
        jwt = issuance.in_format(session, runtime, credential=credential, proof_format="vc-jwt")
        assert isinstance(jwt, str)
        return Artifact(filename, "application/vc+jwt", jwt.encode(), Engagement.DOWNLOAD_JWT)
    if filename == "badge.png":
        baked = baking.bake_png(_badge_png(session, runtime, version), text)
        return Artifact(filename, "image/png", baked, Engagement.DOWNLOAD_PNG)
    if filename == "badge.svg":
        baked = baking.bake_svg(_badge_svg(session, runtime, version), text)
        return Artifact(filename, "image/svg+xml", baked, Engagement.DOWNLOAD_SVG)
    if filename in {"badge-ob2.png", "badge-ob2.svg"}:
        base = runtime.settings.public_base_url
        assertion = json.dumps(ob2.assertion(base, credential, version), ensure_ascii=False)
        if filename.endswith(".png"):
            png = _badge_png(session, runtime, version)
            baked = baking.bake_png(png, assertion, keyword="openbadges")
            return Artifact(filename, "image/png", baked, Engagement.DOWNLOAD_PNG)
        svg = _badge_svg(session, runtime, version)
        url = ob2.assertion_url(base, credential)
        baked = baking.bake_svg(svg, assertion, version="ob2", verify=url)
        return Artifact(filename, "image/svg+xml", baked, Engagement.DOWNLOAD_SVG)
    if filename == "certificate.pdf":
        if not snapshot_of(version).certificate:
            raise NotFound("Only certificates come as a PDF; this credential is a badge.")
        pdf = certificates.ensure_pdf(session, runtime, credential=credential)
        return Artifact(filename, "application/pdf", pdf, Engagement.DOWNLOAD_PDF)
    raise NotFound(f"A credential comes as {', '.join(FILENAMES)}; not as '{filename}'.")

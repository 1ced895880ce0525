"""A credential as Open Badges 2.0 hosted documents, for backpacks that only read OB 2.0."""

from __future__ import annotations

from typing import Any

from plaudit.errors import NotFound
from plaudit.models.award import Credential, CredentialStatus
from plaudit.models.organization import Organization
from plaudit.models.template import TemplateVersion
from plaudit.openbadges import ob2
from plaudit.templates.snapshot import Snapshot, snapshot_of


def assertion_url(base_url: str, credential: Credential) -> str:
    return f"{base_url}/ob2/assertions/{credential.public_id}"


def badge_url(base_url: str, version: TemplateVersion) -> str:
    return f"{base_url}/ob2/badges/{version.id}"


def issuer_url(base_url: str, organization: Organization) -> str:
    return f"{base_url}/ob2/issuers/{organization.slug}"


def _image(base_url: str, snapshot: Snapshot) -> str | None:
    image_id = snapshot.image_id
    return f"{base_url}/files/images/{image_id}/standard" if image_id else None


def assertion(base_url: str, credential: Credential, version: TemplateVersion) -> dict[str, Any]:
    if not credential.recipient_email:
        raise NotFound(
            "This credential's recipient has no email address, which Open Badges 2.0 needs; "
            "download the Open Badges 3.0 badge instead."
        )
    revoked = credential.status is CredentialStatus.REVOKED
    return ob2.assertion(
        ob2.AssertionData(
            id=assertion_url(base_url, credential),
            badge_id=badge_url(base_url, version),
            recipient_email=credential.recipient_email,
            salt=credential.public_id,
            issued_on=credential.emitted_at,
            expires=credential.expires_at,
            image=_image(base_url, snapshot_of(version)),
            evidence_url=f"{base_url}/credentials/{credential.public_id}",
            revoked=revoked,
            revocation_reason=(credential.revoked_reason or "Revoked by the issuer")
            if revoked
            else None,
        )
    )


def badge_class(
    base_url: str, organization: Organization, version: TemplateVersion
) -> dict[str, Any]:
    snapshot = snapshot_of(version)
    return ob2.badge_class(
        ob2.BadgeData(
            id=badge_url(base_url, version),
            name=snapshot.name,
            description=snapshot.description or snapshot.name,
            image=_image(base_url, snapshot),
            criteria_url=snapshot.criteria.url or f"{badge_url(base_url, version)}#criteria",
            criteria_narrative=snapshot.criteria.narrative,
            issuer_id=issuer_url(base_url, organization),
            tags=[t.name for t in snapshot.tags],
            alignments=[a.as_json() for a in snapshot.alignments],
        )
    )


def issuer(base_url: str, organization: Organization) -> dict[str, Any]:
    return ob2.issuer(
        ob2.IssuerData(
            id=issuer_url(base_url, organization),
            name=organization.name,
            url=organization.url or base_url,
            email=organization.email,
            description=organization.description,
            image=organization.logo_url,
        )
    )

"""Credly's web service API, the part Open edX's badges app calls, answered from Plaudit's rows.

Open edX (``credentials/apps/badges/credly/api_client.py``) reads: ``data.name`` of the
organization; ``data[]`` (``id``, ``name``, ``state``, ``description``, ``image_url``) and
``metadata.total_pages`` / ``metadata.next_page_url`` of the badge templates;
``data.badge_template`` (those fields and ``owner.id``) of an event; ``data.id`` and
``data.state`` of an issued or revoked badge. The rest of each answer follows Credly's
documented shapes. Errors are Plaudit's problem documents: Open edX only logs an error's text.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from plaudit.errors import InvalidInput, NotFound
from plaudit.models.award import Credential, CredentialStatus
from plaudit.models.organization import Organization
from plaudit.models.template import TemplateStatus
from plaudit.models.vendor import VendorEvent
from plaudit.openbadges.credential import iso
from plaudit.public_urls import credential_url
from plaudit.vendors import awarding, described
from plaudit.vendors.described import Described

MAX_PER = 100
DEFAULT_PER = 50


def organization(session: Session, *, organization_id: uuid.UUID, ident: str) -> Organization:
    """The key's organization, if the path names it (by id or slug); another one is a 404, as
    if it did not exist."""
    org = session.get(Organization, organization_id)
    assert org is not None  # the key's organization, cascade-deleted with it
    if ident == org.slug or _uuid(ident) == org.id:
        return org
    raise NotFound(f"No organization '{ident[:64]}' is reachable with this API key.")


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def parse_id(value: str, kind: str) -> uuid.UUID:
    """An id from the path; one that is no UUID names nothing (404), as Credly answers."""
    ident = _uuid(value)
    if ident is None:
        raise NotFound(f"No {kind} with id '{value[:64]}' exists in this organization.")
    return ident


def organization_out(org: Organization) -> dict[str, Any]:
    return {
        "data": {
            "id": str(org.id),
            "name": org.name,
            "vanity_slug": org.slug,
            "website_url": org.url,
            "contact_email": org.email,
            "photo_url": org.logo_url,
            "description": org.description,
            "verified": True,
        },
        "metadata": {},
    }


def owner(org: Organization) -> dict[str, Any]:
    return {"id": str(org.id), "type": "Organization", "name": org.name, "vanity_slug": org.slug}


def badge_template_out(view: Described, org: Organization, *, base_url: str) -> dict[str, Any]:
    image_url = view.image_url(base_url)
    return {
        "id": str(view.id),
        "name": view.name,
        "description": view.description,
        "state": view.state,
        "public": True,
        "image_url": image_url,
        "image": {"id": str(view.image_id), "url": image_url} if view.image_id else None,
        "global_activity_url": view.criteria_url,
        "language": view.language,
        "created_at": iso(view.created_at),
        "updated_at": iso(view.updated_at),
        "owner": owner(org),
    }


def states(filter_: str | None) -> set[TemplateStatus] | None:
    """Credly's ``filter=key::value|key::value``; of its keys only ``state`` is served (a
    comma-separated list of draft, active, archived)."""
    if filter_ is None or not filter_.strip():
        return None
    chosen: set[TemplateStatus] = set()
    for clause in filter_.split("|"):
        key, sep, value = clause.partition("::")
        if not sep or key.strip() != "state":
            raise InvalidInput(
                f"The filter '{clause[:64]}' is not served: filter by 'state::<states>' only "
                "(draft, active, archived; comma-separated).",
                extra={
                    "errors": [{"field": "filter", "reason": "only state is served", "in": "query"}]
                },
            )
        for word in value.split(","):
            status = described.STATUS.get(word.strip())
            if status is None:
                raise InvalidInput(
                    f"'{word.strip()[:32]}' is not a badge template state; use draft, active or "
                    "archived.",
                    extra={
                        "errors": [{"field": "filter", "reason": "unknown state", "in": "query"}]
                    },
                )
            chosen.add(status)
    return chosen


def templates_page(
    session: Session,
    org: Organization,
    *,
    filter_: str | None,
    number: int,
    per: int,
    base_url: str,
    page_url: Callable[[int], str],
) -> dict[str, Any]:
    """``page_url`` gives the address of another page of the same list."""
    views, total = described.page(
        session, organization_id=org.id, statuses=states(filter_), number=number, per=per
    )
    pages = max(1, -(-total // per))
    return {
        "data": [badge_template_out(v, org, base_url=base_url) for v in views],
        "metadata": {
            "count": len(views),
            "current_page": number,
            "total_count": total,
            "total_pages": pages,
            "per": per,
            "previous_page_url": page_url(number - 1) if 1 < number <= pages + 1 else None,
            "next_page_url": page_url(number + 1) if number < pages else None,
        },
    }


def event_out(
    session: Session, org: Organization, *, event_id: uuid.UUID, base_url: str
) -> dict[str, Any]:
    event = session.get(VendorEvent, event_id)
    if event is None or event.organization_id != org.id:
        raise NotFound(f"No event with id '{event_id}' exists in this organization.")
    view = Described.read(event.badge_template)
    return {
        "data": {
            "id": str(event.id),
            "organization_id": str(org.id),
            "event_type": event.event_type,
            "occurred_at": iso(event.occurred_at),
            "badge_template": badge_template_out(view, org, base_url=base_url),
        },
        "metadata": {},
    }


def issue_key(org: Organization, template_id: uuid.UUID, email: str, issued_at: datetime) -> str:
    """Open edX sends the same ``issued_at`` on every try (its template's creation time), so
    (template, email, issued_at) names one request however often it is retried."""
    return awarding.issuance_key("credly", org.id, template_id, email.lower(), iso(issued_at))


def badge_out(
    session: Session, credential: Credential, org: Organization, *, base_url: str
) -> dict[str, Any]:
    view = described.one(session, organization_id=org.id, template_id=credential.template_id)
    assert view is not None  # a credential's template is deleted with it
    revoked = credential.status is CredentialStatus.REVOKED
    return {
        "data": {
            "id": str(credential.id),
            # Plaudit's credentials need no acceptance: a badge is accepted once issued.
            "state": "revoked" if revoked else "accepted",
            "accepted_at": None if revoked else iso(credential.created_at),
            "issued_at": iso(credential.emitted_at),
            "issued_at_date": credential.emitted_at.date().isoformat(),
            "expires_at": iso(credential.expires_at) if credential.expires_at else None,
            "issued_to": " ".join(
                p for p in (credential.recipient_first_name, credential.recipient_last_name) if p
            ),
            "issued_to_first_name": credential.recipient_first_name,
            "issued_to_last_name": credential.recipient_last_name,
            "recipient_email": credential.recipient_email,
            "public": not credential.private,
            "revoked_at": iso(credential.revoked_at) if credential.revoked_at else None,
            "revocation_reason": credential.revoked_reason if revoked else None,
            "badge_url": credential_url(base_url, credential.public_id),
            "image_url": view.image_url(base_url),
            "badge_template": badge_template_out(view, org, base_url=base_url),
            "issuer": {"entities": [{"label": "Issued by", "entity": owner(org)}]},
        },
        "metadata": {},
    }

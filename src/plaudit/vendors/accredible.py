"""Accredible's credential API, the part Open edX's badges app calls, answered from Plaudit's rows.

Open edX (``credentials/apps/badges/accredible/api_client.py``) reads: ``groups[]`` (``id``,
``course_name``, ``course_description``, ``primary_design_id``, ``created_at``) of
``issuer/all_groups``; ``design.rasterized_content_url`` of ``designs/{id}``; and
``credential.id`` of a created credential. It keeps those ids in integer columns (its
``AccredibleGroup`` shares its primary key with every other badge template; its
``AccredibleBadge.external_id`` is an IntegerField), so groups (published templates), their
designs (their images) and credentials answer with numbers (``vendor_numbers``) instead of
Plaudit's UUIDs. Errors are Plaudit's problem documents: Open edX only logs an error's text.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from plaudit.db import utcnow
from plaudit.errors import InvalidInput, NotFound
from plaudit.models.award import Credential, CredentialStatus
from plaudit.models.template import TemplateStatus
from plaudit.models.vendor import VendorNumber
from plaudit.openbadges.credential import iso
from plaudit.public_urls import credential_url
from plaudit.vendors import awarding, described
from plaudit.vendors.awarding import CLOCK_SKEW
from plaudit.vendors.described import Described

GROUP, CREDENTIAL = "group", "credential"
# Numbers are shown this far up: Open edX writes a group's id into the primary key its Credly
# and Open edX badge templates share (small numbers there are taken), as Accredible's own ids,
# in the hundreds of thousands, never are. Still within a 32-bit integer column.
BASE = 1_000_000
LAST = 2**31 - 1


def shown(number: int) -> int:
    return BASE + number


def stored(shown_number: int) -> int | None:
    return shown_number - BASE if BASE < shown_number <= LAST else None


def number_things(
    session: Session, *, organization_id: uuid.UUID, kind: str, target_ids: Iterable[uuid.UUID]
) -> None:
    """Give each a number, once: a concurrent numbering of the same ones inserts nothing."""
    rows = [
        {"organization_id": organization_id, "kind": kind, "target_id": t, "created_at": utcnow()}
        for t in target_ids
    ]
    if not rows:
        return
    module: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        module.insert(VendorNumber).on_conflict_do_nothing(index_elements=["kind", "target_id"]),
        rows,
    )


def numbers(
    session: Session, *, kind: str, target_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, int]:
    ids = list(target_ids)
    if not ids:
        return {}
    return {
        target: shown(number)
        for target, number in session.execute(
            select(VendorNumber.target_id, VendorNumber.number).where(
                VendorNumber.kind == kind, VendorNumber.target_id.in_(ids)
            )
        )
    }


def target_of(
    session: Session, *, organization_id: uuid.UUID, kind: str, shown_number: int, what: str
) -> uuid.UUID:
    number = stored(shown_number)
    row = session.get(VendorNumber, number) if number is not None else None
    if row is None or row.kind != kind or row.organization_id != organization_id:
        raise NotFound(f"No {what} with id '{shown_number}' exists in this organization.")
    return row.target_id


def _published(session: Session, *, organization_id: uuid.UUID) -> list[Described]:
    rows = session.execute(
        described.query(organization_id=organization_id, statuses={TemplateStatus.PUBLISHED})
    ).all()
    return [Described.of(template, version) for template, version in rows]


def number_groups(session: Session, *, organization_id: uuid.UUID) -> None:
    """Number the published templates not numbered yet (the listing's own short transaction:
    requests that only read roll back)."""
    views = _published(session, organization_id=organization_id)
    known = numbers(session, kind=GROUP, target_ids=[v.id for v in views])
    number_things(
        session,
        organization_id=organization_id,
        kind=GROUP,
        target_ids=[v.id for v in views if v.id not in known],
    )


def group_out(view: Described, number: int) -> dict[str, Any]:
    return {
        "id": number,
        "name": view.name,
        "course_name": view.name,
        "course_description": view.description,
        "course_link": view.criteria_url,
        "language": view.language,
        # One design per group: its template's image.
        "primary_design_id": number,
        "badge_design_id": number,
        "certificate_design_id": None,
        "created_at": iso(view.created_at),
        "updated_at": iso(view.updated_at),
    }


def all_groups(session: Session, *, organization_id: uuid.UUID) -> dict[str, Any]:
    """Every published template, on one page (Open edX asks for one, and reads no paging)."""
    views = _published(session, organization_id=organization_id)
    known = numbers(session, kind=GROUP, target_ids=[v.id for v in views])
    groups = [group_out(v, known[v.id]) for v in views if v.id in known]
    return {
        "groups": groups,
        "meta": {
            "current_page": 1,
            "next_page": None,
            "prev_page": None,
            "total_pages": 1,
            "total_count": len(groups),
        },
    }


def design(
    session: Session, *, organization_id: uuid.UUID, shown_number: int, base_url: str
) -> dict[str, Any]:
    template_id = target_of(
        session,
        organization_id=organization_id,
        kind=GROUP,
        shown_number=shown_number,
        what="design",
    )
    view = described.one(session, organization_id=organization_id, template_id=template_id)
    if view is None:
        raise NotFound(f"No design with id '{shown_number}' exists in this organization.")
    image_url = view.image_url(base_url)
    return {
        "design": {
            "id": shown_number,
            "name": view.name,
            "rasterized_content_url": image_url,
            "thumbnail_url": image_url,
            "created_at": iso(view.created_at),
            "updated_at": iso(view.updated_at),
        }
    }


def issue_key(
    organization_id: uuid.UUID,
    template_id: uuid.UUID,
    email: str,
    issued_on: datetime | None,
    client_id: str | None,
) -> str:
    """The client's own credential id when it sends one; else (template, email, issued_on):
    Open edX sends its user credential's creation time, the same on every try. Without a date
    the request cannot be told from a new award, and issues each time."""
    if client_id is not None:
        return awarding.issuance_key("accredible", organization_id, "id", client_id)
    moment = iso(issued_on) if issued_on is not None else str(uuid.uuid4())
    return awarding.issuance_key("accredible", organization_id, template_id, email.lower(), moment)


def credential_out(
    session: Session, credential: Credential, *, organization_id: uuid.UUID, base_url: str
) -> dict[str, Any]:
    number_things(
        session, organization_id=organization_id, kind=CREDENTIAL, target_ids=[credential.id]
    )
    number = numbers(session, kind=CREDENTIAL, target_ids=[credential.id])[credential.id]
    group = numbers(session, kind=GROUP, target_ids=[credential.template_id]).get(
        credential.template_id
    )
    view = described.one(
        session, organization_id=organization_id, template_id=credential.template_id
    )
    assert view is not None  # a credential's template is deleted with it
    image_url = view.image_url(base_url)
    ended = credential.revoked_at if credential.status is CredentialStatus.REVOKED else None
    expired_on = ended or credential.expires_at
    return {
        "credential": {
            "id": number,
            "name": view.name,
            "description": view.description,
            "issued_on": credential.emitted_at.date().isoformat(),
            "expired_on": expired_on.date().isoformat() if expired_on else None,
            "complete": True,
            "approve": True,
            "private": credential.private,
            "group_id": group,
            "group_name": view.name,
            "course_link": view.criteria_url,
            "recipient": {
                "name": " ".join(
                    p
                    for p in (credential.recipient_first_name, credential.recipient_last_name)
                    if p
                ),
                "email": credential.recipient_email,
            },
            "url": credential_url(base_url, credential.public_id),
            "encoded_id": credential.public_id,
            "badge": {"image": {"preview": image_url}},
        }
    }


def expire(
    session: Session, *, organization_id: uuid.UUID, shown_number: int, expired_on: datetime
) -> Credential:
    """Accredible ends a credential by giving it an expiry date; Open edX revokes so. A date now
    or past revokes the credential (a signed credential's expiry cannot move), saying when."""
    if expired_on > utcnow() + CLOCK_SKEW:
        raise InvalidInput(
            "Only an expiry now or in the past is served: it revokes the credential. A signed "
            "credential's expiry date cannot be moved.",
            extra={"errors": [{"field": "credential.expired_on", "reason": "is in the future"}]},
        )
    credential_id = target_of(
        session,
        organization_id=organization_id,
        kind=CREDENTIAL,
        shown_number=shown_number,
        what="credential",
    )
    return awarding.revoke(
        session,
        organization_id=organization_id,
        credential_id=credential_id,
        reason=f"Expired by the issuer on {expired_on.date().isoformat()}.",
        kind="credential",
    )

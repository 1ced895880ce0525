"""Create, read and update organizations."""

from __future__ import annotations

import re
import unicodedata
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaudit import jobs
from plaudit.errors import Conflict, not_found
from plaudit.keys import tasks as key_tasks
from plaudit.models.organization import Organization
from plaudit.organizations.schemas import OrganizationCreate, OrganizationUpdate


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:63].strip("-") or "org"


def create(session: Session, *, data: OrganizationCreate) -> Organization:
    slug = data.slug or slugify(data.name)
    if session.scalar(select(Organization.id).where(Organization.slug == slug)) is not None:
        raise Conflict(f"An organization with slug '{slug}' already exists; choose another slug.")
    org = Organization(
        slug=slug,
        name=data.name,
        url=str(data.url) if data.url else None,
        email=data.email,
        description=data.description,
        logo_url=str(data.logo_url) if data.logo_url else None,
        default_language=data.default_language,
        timezone=data.timezone,
    )
    session.add(org)
    session.flush()
    # Key generation (RSA especially) is slow; a job does it once the organization exists.
    jobs.enqueue(session, key_tasks.provision_organization_keys, str(org.id))
    return org


def get(session: Session, organization_id: uuid.UUID) -> Organization:
    org = session.get(Organization, organization_id)
    if org is None:
        raise not_found("organization", organization_id)
    return org


def get_by_slug(session: Session, slug: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        raise not_found("organization", slug)
    return org


def list_all(session: Session) -> list[Organization]:
    return list(session.scalars(select(Organization).order_by(Organization.id)))


def update(
    session: Session, *, organization: Organization, data: OrganizationUpdate
) -> Organization:
    # Required fields cannot be sent as null (OrganizationUpdate refuses it).
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(
            organization, field, str(value) if field in {"url", "logo_url"} and value else value
        )
    session.flush()
    return organization

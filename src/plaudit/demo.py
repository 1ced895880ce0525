"""Demo data: an organization a new user can click through. Safe to load again."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from plaudit.apikeys import service as apikeys
from plaudit.catalog import service as catalog
from plaudit.catalog.schemas import CatalogCopy
from plaudit.db import utcnow
from plaudit.models.apikey import ApiKey, Scope
from plaudit.models.organization import Organization
from plaudit.models.template import Template
from plaudit.models.user import Membership, Role
from plaudit.organizations import service as organizations
from plaudit.organizations.schemas import OrganizationCreate
from plaudit.storage import FileStore
from plaudit.templates import service as templates
from plaudit.users import service as users

DEMO_SLUG = "demo"
DEMO_EMAIL = "admin@demo.plaudit.local"
DEMO_KEY_NAME = "demo"


@dataclass(frozen=True)
class DemoLogin:
    organization_name: str
    slug: str
    email: str
    password: str
    api_key: str


DEMO_CATALOG_KEYS = ("course-completer", "quiz-ace", "learning-path-completer", "certified-pro")


def _demo_templates(session: Session, files: FileStore, org: Organization) -> None:
    """A few published templates from the catalog, once."""
    have = session.scalar(
        select(func.count()).select_from(Template).where(Template.organization_id == org.id)
    )
    if have:
        return
    for key in DEMO_CATALOG_KEYS:
        template = catalog.copy(session, files, organization=org, key=key, data=CatalogCopy())
        templates.publish(session, template=template)


def load_demo(session: Session, files: FileStore) -> DemoLogin:
    org = session.scalar(select(Organization).where(Organization.slug == DEMO_SLUG))
    if org is None:
        org = organizations.create(
            session,
            data=OrganizationCreate(
                name="Plaudit Academy",
                slug=DEMO_SLUG,
                url="https://academy.example.org",
                email="badges@academy.example.org",
                description="A demo academy that recognises its learners with verifiable badges.",
            ),
        )
    _demo_templates(session, files, org)
    # Every run prints a fresh login and key; the previous demo key stops working.
    password = secrets.token_urlsafe(12)
    user = users.get_or_create_user(session, email=DEMO_EMAIL, name="Demo Admin", password=password)
    if session.get(Membership, (user.id, org.id)) is None:
        users.add_member(session, organization_id=org.id, user=user, role=Role.OWNER)
    session.execute(
        update(ApiKey)
        .where(
            ApiKey.organization_id == org.id,
            ApiKey.name == DEMO_KEY_NAME,
            ApiKey.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    _key, token = apikeys.create(
        session, organization_id=org.id, name=DEMO_KEY_NAME, scopes=[Scope.ADMIN]
    )
    return DemoLogin(org.name, org.slug, user.email, password, token)

"""Plain typed factories for tests: each creates real rows through the services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from plaudit.apikeys import service as apikeys
from plaudit.db import unit_of_work
from plaudit.engagement.counter import EngagementCounter
from plaudit.models.apikey import Scope
from plaudit.models.organization import Organization
from plaudit.organizations import service as organizations
from plaudit.organizations.schemas import OrganizationCreate
from plaudit.runtime import Runtime


@dataclass(frozen=True)
class Tenant:
    id: uuid.UUID
    slug: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_org(
    session: Session, *, name: str = "Acme Academy", slug: str | None = None
) -> Organization:
    return organizations.create(
        session, data=OrganizationCreate(name=name, slug=slug or f"org-{uuid.uuid4().hex[:10]}")
    )


def make_key(
    session: Session,
    *,
    organization_id: uuid.UUID,
    scopes: list[Scope] | None = None,
    name: str = "test",
) -> str:
    _key, token = apikeys.create(
        session, organization_id=organization_id, name=name, scopes=scopes or [Scope.ADMIN]
    )
    return token


def make_tenant(
    runtime: Runtime, *, scopes: list[Scope] | None = None, name: str = "Acme Academy"
) -> Tenant:
    with unit_of_work(runtime.sessions) as session:
        org = make_org(session, name=name)
        token = make_key(session, organization_id=org.id, scopes=scopes)
        return Tenant(id=org.id, slug=org.slug, token=token)


def engagement_of(client: TestClient) -> EngagementCounter:
    """The counter the client's app counts views, downloads and verifications with (the app
    builds one per process); tests flush it to see the counts."""
    app = client.app
    assert isinstance(app, FastAPI)
    counter: EngagementCounter = app.state.engagement
    return counter

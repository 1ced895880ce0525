"""Dashboard tests: real sign-in through the forms, one TestClient (cookie jar) per person.

``dashboard(role)`` gives a signed-in person of the tenant's organization; ``Dashboard.post``
sends a form with the page's CSRF token, as a browser would.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from plaudit.app import create_app
from plaudit.config import Settings
from plaudit.db import unit_of_work
from plaudit.delivery import engine
from plaudit.models.user import Role
from plaudit.runtime import Runtime
from plaudit.users import service as users
from tests.fixtures.tenants import Tenant, make_tenant

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


@dataclass
class Dashboard:
    client: TestClient
    tenant: Tenant
    email: str

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(path, follow_redirects=False, **kwargs)

    def csrf(self, page: str = "/admin/") -> str:
        response = self.client.get(page)
        assert response.status_code == 200, response.text
        return csrf_of(response.text)

    def post(
        self,
        path: str,
        data: dict[str, Any] | None = None,
        *,
        files: Any = None,
        page: str = "/admin/",
        csrf: str | None = None,
    ) -> httpx.Response:
        form = {"csrf_token": csrf or self.csrf(page), **(data or {})}
        return self.client.post(path, data=form, files=files, follow_redirects=False)


def admin_posts(app: FastAPI) -> list[str]:
    """The path of every POST form under /admin (included routers walked to their routes)."""
    paths: set[str] = set()
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        for item in contexts() if contexts else [route]:
            path = getattr(item, "path", None) or ""
            if path.startswith("/admin") and "POST" in (getattr(item, "methods", None) or ()):
                paths.add(path)
    return sorted(paths)


def deliver(runtime: Runtime) -> None:
    """Send what the outbox holds now (jobs do this in production; tests call it)."""
    for _ in range(20):
        if not engine.run_due(runtime):
            return


def add_person(
    runtime: Runtime, organization_id: uuid.UUID, role: Role, email: str | None = None
) -> str:
    email = email or f"{role.value}-{uuid.uuid4().hex[:8]}@example.org"
    with unit_of_work(runtime.sessions) as session:
        user = users.get_or_create_user(
            session, email=email, name=role.value.title(), password=PASSWORD
        )
        users.add_member(session, organization_id=organization_id, user=user, role=role)
    return email


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> httpx.Response:
    page = client.get("/admin/login")
    return client.post(
        "/admin/login",
        data={"csrf_token": csrf_of(page.text), "email": email, "password": password},
        follow_redirects=False,
    )


@pytest.fixture
def app(settings: Settings, runtime: Runtime) -> FastAPI:
    return create_app(settings, runtime=runtime)


@pytest.fixture
def tenant(runtime: Runtime) -> Tenant:
    return make_tenant(runtime)


@pytest.fixture
def dashboard(app: FastAPI, runtime: Runtime, tenant: Tenant) -> Iterator[Callable[..., Dashboard]]:
    clients: list[TestClient] = []

    def make(role: Role = Role.OWNER, *, tenant_: Tenant | None = None) -> Dashboard:
        target = tenant_ or tenant
        email = add_person(runtime, target.id, role)
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        response = sign_in(client, email)
        assert response.status_code == 303, response.text
        return Dashboard(client, target, email)

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def owner(dashboard: Callable[..., Dashboard]) -> Dashboard:
    return dashboard(Role.OWNER)


@pytest.fixture
def viewer(dashboard: Callable[..., Dashboard]) -> Dashboard:
    return dashboard(Role.VIEWER)

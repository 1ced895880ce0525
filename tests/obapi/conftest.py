"""A live Plaudit with the Open Badges API mounted, an organization with learners, and the
client's side of the API over real HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from plaudit.app import create_app
from plaudit.runtime import Runtime
from tests.fixtures.credentials import Issued, issue
from tests.fixtures.databases import make_settings
from tests.fixtures.peers import free_port
from tests.fixtures.scenario import event, send
from tests.fixtures.serving import serving
from tests.fixtures.tenants import Tenant, make_tenant
from tests.obapi.obclient import ObClient, Recorder

# Every response of the API's paths, from every test of this folder (test_schemas reads them).
RECORDED = Recorder()


@dataclass
class Live:
    client: TestClient  # Plaudit's own API, as the organization uses it
    http: httpx2.Client  # the OB API client's HTTP
    runtime: Runtime
    base: str
    tenant: Tenant

    def ob(self, tenant: Tenant | None = None) -> ObClient:
        slug = (tenant or self.tenant).slug
        return ObClient(self.http, f"{self.base}/orgs/{slug}/ims/ob/v3p0/discovery")

    def learner(
        self, tenant: Tenant | None = None, *, credentials: int = 1, email: str | None = None
    ) -> Learner:
        """A learner holding ``credentials`` signed credentials (each of a template of its own),
        and the link to their wallet page."""
        tenant = tenant or self.tenant
        external = f"u-{uuid.uuid4().hex[:8]}"
        email = email or f"{external}@example.org"
        issued = [
            issue(self.client, tenant, template_name=f"Badge {n} {external}", learner=external)
            for n in range(credentials)
        ]
        if not issued:
            payload = event(f"e-{uuid.uuid4().hex[:8]}", "user.signed_in", learner=external)
            payload["learner"]["email"] = email
            send(self.client, tenant, payload)
        found = self.client.get(f"/api/v1/learners?q={external}", headers=tenant.headers)
        learner_id = str(found.json()["items"][0]["id"])
        response = self.client.get(
            f"/api/v1/learners/{learner_id}/wallet-link", headers=tenant.headers
        )
        assert response.status_code == 200, response.text
        return Learner(learner_id, external, email, response.json()["url"], issued)


@dataclass(frozen=True)
class Learner:
    id: str
    external_id: str
    email: str
    wallet: str  # the signed link to their wallet page
    issued: list[Issued]


@pytest.fixture
def live(engine: Engine, tmp_path: Path) -> Iterator[Live]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = make_settings(
        engine, tmp_path, public_base_url=base, verify_rate_limit="1000/second"
    )
    runtime = Runtime(settings=settings, engine=engine)
    app = create_app(settings, runtime=runtime)
    with (
        serving(app, port),
        TestClient(app, base_url=base, raise_server_exceptions=False) as client,
        httpx2.Client(timeout=30, event_hooks={"response": [RECORDED]}) as http,
    ):
        yield Live(client, http, runtime, base, make_tenant(runtime))

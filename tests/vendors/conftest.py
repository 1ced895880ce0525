"""The app with the vendors' routers, tenants, and deliveries that reach loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from plaudit.app import create_app
from plaudit.config import Settings
from plaudit.runtime import Runtime
from tests.fixtures.peers import SmtpServer, delivery_settings
from tests.fixtures.tenants import Tenant, make_tenant


@pytest.fixture
def settings(engine: Engine, tmp_path: Path, smtp_server: SmtpServer) -> Settings:
    return delivery_settings(engine, tmp_path, smtp_server)


@pytest.fixture
def client(settings: Settings, runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(
        create_app(settings, runtime=runtime), raise_server_exceptions=False
    ) as test_client:
        yield test_client


@pytest.fixture
def tenant(runtime: Runtime) -> Tenant:
    return make_tenant(runtime)


@pytest.fixture
def other(runtime: Runtime) -> Tenant:
    return make_tenant(runtime, name="Other Academy")

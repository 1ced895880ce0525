"""Test fixtures: migrated SQLite and PostgreSQL databases, a runtime, an app and a client.

Every test that touches storage runs once per engine (the ``engine`` fixture is parametrised).
Tests through the app commit for real (after-commit hooks must fire); their rows are wiped
afterwards. Tests of services alone take ``session``, whose transaction is rolled back instead.
Helpers shared by test modules are in tests/fixtures.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from plaudit import migrate
from plaudit.app import create_app
from plaudit.config import Settings
from plaudit.db import create_db_engine
from plaudit.runtime import Runtime
from tests.fixtures.databases import (
    fresh_postgres_database,
    make_settings,
    rolled_back_session,
    wipe,
    worker_suffix,
)
from tests.fixtures.paths import standards as standards_folder

# The real SMTP server and HTTP receiver (``smtp_server``, ``receiver``) for every test;
# ``node_script`` runs tests/interop's npm packages.
pytest_plugins = ["tests.fixtures.peers", "tests.fixtures.node"]

# The developer's own PLAUDIT_* settings must not leak into tests.
for _name in [
    n for n in os.environ if n.startswith("PLAUDIT_") and not n.startswith("PLAUDIT_TEST_")
]:
    del os.environ[_name]


@pytest.fixture(scope="session")
def standards() -> Path:
    """The shared standards folder (../shared/standards beside the repository)."""
    return standards_folder()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def migrated_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "plaudit.db"
        url = f"sqlite:///{path}"
    else:
        url = fresh_postgres_database(f"{worker_suffix()}")
    engine = create_db_engine(url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(migrated_engine: Engine) -> Iterator[Engine]:
    yield migrated_engine
    wipe(migrated_engine)


@pytest.fixture
def session(migrated_engine: Engine) -> Iterator[Session]:
    """A session for service tests: its commits release savepoints, and the transaction around
    them is rolled back at the end (nothing to wipe). Not for tests that also use the app."""
    with rolled_back_session(migrated_engine) as session:
        yield session


@pytest.fixture
def settings(engine: Engine, tmp_path: Path) -> Settings:
    return make_settings(engine, tmp_path)


@pytest.fixture
def runtime(settings: Settings, engine: Engine) -> Runtime:
    return Runtime(settings=settings, engine=engine)


@pytest.fixture
def client(settings: Settings, runtime: Runtime) -> Iterator[TestClient]:
    app = create_app(settings, runtime=runtime)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client

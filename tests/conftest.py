"""Test fixtures: migrated SQLite and PostgreSQL databases, a runtime, an app and a client.

Every test that touches storage runs once per engine (the ``engine`` fixture is parametrised).
Tests commit for real (after-commit hooks must fire); each test's rows are wiped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from plaudit import migrate
from plaudit.app import create_app
from plaudit.config import Settings
from plaudit.db import Base, create_db_engine
from plaudit.runtime import Runtime
from plaudit.vault import new_master_key

# The developer's own PLAUDIT_* settings must not leak into tests.
for _name in [
    n for n in os.environ if n.startswith("PLAUDIT_") and not n.startswith("PLAUDIT_TEST_")
]:
    del os.environ[_name]

POSTGRES_URL = os.environ.get(
    "PLAUDIT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/plaudit_test"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def worker_suffix() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def fresh_postgres_database(name_suffix: str) -> str:
    """Create (or re-create) an empty database for this test process; returns its URL."""
    url = make_url(POSTGRES_URL)
    name = f"{url.database}_{name_suffix}"
    admin = create_db_engine(url.set(database="postgres").render_as_string(hide_password=False))
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        reason = f"PostgreSQL at {url.host}:{url.port} is unreachable: {exc.orig}"
        if IN_CI:
            pytest.fail(f"{reason} (CI=true requires PostgreSQL)", pytrace=False)
        pytest.skip(reason)
    finally:
        admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def wipe(engine: Engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


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
def settings(engine: Engine, tmp_path: Path) -> Settings:
    return make_settings(engine, tmp_path)


def make_settings(engine: Engine, data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "database_url": engine.url.render_as_string(hide_password=False),
        "queue_url": "memory://",
        "queue_name": f"plaudit-test-{uuid.uuid4().hex[:8]}",
        "master_key": new_master_key(),
        "public_base_url": "http://testserver",
    }
    values.update(overrides)
    return Settings.model_validate(values)


@pytest.fixture
def runtime(settings: Settings, engine: Engine) -> Runtime:
    return Runtime(settings=settings, engine=engine)


@pytest.fixture
def client(settings: Settings, runtime: Runtime) -> Iterator[TestClient]:
    app = create_app(settings, runtime=runtime)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client

"""Migration 0017: credentials from a back-dated CSV row were created at their issue date; they
get the time their bulk job started, so the overview and the digest count them when Plaudit
issued them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from plaudit import jobs, migrate
from plaudit.app import create_app
from plaudit.db import create_db_engine, unit_of_work
from plaudit.models.award import AwardLog, Credential
from plaudit.models.bulk import BulkIssuance
from plaudit.runtime import Runtime
from tests.fixtures.databases import fresh_postgres_database, make_settings, worker_suffix
from tests.fixtures.templates import published
from tests.fixtures.tenants import make_tenant


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = (
        f"sqlite:///{tmp_path / 'm.db'}"
        if request.param == "sqlite"
        else fresh_postgres_database(f"issued_dates_{worker_suffix()}")
    )
    engine = create_db_engine(url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def test_back_dated_bulk_credentials_are_dated_by_their_job(
    fresh_engine: Engine, tmp_path: Path
) -> None:
    settings = make_settings(fresh_engine, tmp_path)
    runtime = Runtime(settings=settings, engine=fresh_engine)
    tenant = make_tenant(runtime)
    with TestClient(create_app(settings, runtime=runtime)) as client:
        published(client, tenant, name="Alpha")
        data = b"email,template,issue_date\nada@example.org,Alpha,2024-06-01\n"
        started = client.post(
            "/api/v1/bulk-issuances",
            files={"file": ("old.csv", data, "text/csv")},
            headers=tenant.headers,
        )
        assert started.status_code == 202, started.text
        while (task := jobs.queue.dequeue()) is not None:
            if task.name == "apply_bulk":
                jobs.queue.execute(task)
    with unit_of_work(runtime.sessions) as session:
        credential = session.scalars(select(Credential)).one()
        job = session.scalars(select(BulkIssuance)).one()
        assert job.started_at is not None
        started_at, emitted_at = job.started_at, credential.emitted_at
        assert credential.created_at >= started_at  # as issued now
        # As the code before this migration wrote them: created at the date they carry.
        session.execute(update(Credential).values(created_at=emitted_at, updated_at=emitted_at))
        session.execute(update(AwardLog).values(created_at=emitted_at))

    config = migrate.alembic_config(fresh_engine.url.render_as_string(hide_password=False))
    with fresh_engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0016")
    migrate.upgrade(fresh_engine)

    with unit_of_work(runtime.read_sessions) as session:
        credential = session.scalars(select(Credential)).one()
        log = session.scalars(select(AwardLog)).one()
    assert credential.emitted_at == emitted_at  # the date it carries is untouched
    assert credential.created_at == started_at
    assert credential.updated_at == started_at
    assert log.created_at == started_at
    assert started_at - emitted_at > timedelta(days=300)

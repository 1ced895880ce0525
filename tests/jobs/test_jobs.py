"""Jobs run only after their transaction commits, once, embedded or in a separate worker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from plaudit import jobs
from plaudit.app import create_app
from plaudit.db import unit_of_work
from plaudit.keys import service as keys
from plaudit.keys import tasks as key_tasks
from plaudit.models.signing_key import SigningKey
from plaudit.runtime import Runtime
from tests.fixtures.databases import make_settings
from tests.fixtures.tenants import make_key, make_org

REDIS_URL = os.environ.get("PLAUDIT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _key_count(runtime: Runtime, organization_id: uuid.UUID | None = None) -> int:
    with runtime.sessions() as session:
        stmt = select(func.count()).select_from(SigningKey)
        if organization_id is not None:
            stmt = stmt.where(SigningKey.organization_id == organization_id)
        return session.scalar(stmt) or 0


def _wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _embedded(engine: Engine, tmp_path: Path) -> Runtime:
    """A runtime whose queue is the embedded default: a SQLite file in the data directory."""
    settings = make_settings(engine, tmp_path, queue_url=None)
    runtime = Runtime(settings=settings, engine=engine)
    jobs.configure(settings, runtime)
    return runtime


def test_a_job_enqueued_in_a_rolled_back_transaction_never_runs(
    engine: Engine, tmp_path: Path
) -> None:
    runtime = _embedded(engine, tmp_path)
    assert runtime.settings.resolved_queue_url.endswith("/jobs.db")

    def create_then_fail() -> None:
        with unit_of_work(runtime.sessions) as session:
            make_org(session)  # enqueues key provisioning after commit
            raise RuntimeError("changed my mind")

    with pytest.raises(RuntimeError, match="changed my mind"):
        create_then_fail()
    assert jobs.queue.pending_count() == 0

    consumer = jobs.start_embedded_consumer(workers=1)
    try:
        time.sleep(1.0)  # give a wrongly enqueued job every chance to run
        assert _key_count(runtime) == 0
    finally:
        consumer.stop(graceful=True)


def test_a_committed_job_runs_once_embedded(engine: Engine, tmp_path: Path) -> None:
    runtime = _embedded(engine, tmp_path)
    with unit_of_work(runtime.sessions) as session:
        org = make_org(session)
        assert jobs.queue.pending_count() == 0  # nothing is sent before the commit
    assert jobs.queue.pending_count() == 1

    consumer = jobs.start_embedded_consumer(workers=2)
    try:
        assert _wait_for(lambda: _key_count(runtime, org.id) == 2)
        assert _wait_for(lambda: jobs.queue.pending_count() == 0)
        # Running the job again (a redelivery) changes nothing.
        key_tasks.provision_organization_keys.call_local(str(org.id))
        assert _key_count(runtime, org.id) == 2
    finally:
        consumer.stop(graceful=True)


def test_key_provisioning_is_idempotent_under_a_race(runtime: Runtime) -> None:
    with unit_of_work(runtime.sessions) as session:
        org = make_org(session)
    # Two workers that both saw "no keys" race to insert; the partial unique index decides.
    with unit_of_work(runtime.sessions) as first, unit_of_work(runtime.sessions) as second:
        keys.provision(first, organization_id=org.id, vault=runtime.vault)
        first.commit()
        keys.provision(second, organization_id=org.id, vault=runtime.vault)
    assert _key_count(runtime, org.id) == 2


@pytest.mark.slow
def test_a_separate_worker_process_runs_jobs_from_redis(engine: Engine, tmp_path: Path) -> None:
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.ConnectionError as exc:
        if os.environ.get("CI", "").lower() in {"1", "true"}:
            pytest.fail(f"Redis at {REDIS_URL} is unreachable under CI: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {exc}")

    settings = make_settings(engine, tmp_path, queue_url=REDIS_URL)
    runtime = Runtime(settings=settings, engine=engine)
    app = create_app(settings, runtime=runtime)  # run_jobs=False: this process only enqueues

    with unit_of_work(runtime.sessions) as session:
        admin = make_org(session, name="Queue Owner")
        token = make_key(session, organization_id=admin.id)
    jobs.queue.flush()  # the admin org's own provisioning job is not under test here

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PLAUDIT_")},
        "PLAUDIT_DATABASE_URL": settings.resolved_database_url,
        "PLAUDIT_QUEUE_URL": REDIS_URL,
        "PLAUDIT_QUEUE_NAME": settings.queue_name,
        "PLAUDIT_MASTER_KEY": settings.master_key or "",
        "PLAUDIT_DATA_DIR": str(tmp_path / "worker"),
    }
    with TestClient(app) as client:
        # The org is created through the API; its job waits in Redis with no consumer yet.
        created = client.patch(
            "/api/v1/organization",
            json={"name": "Renamed"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert created.status_code == 200
        with unit_of_work(runtime.sessions) as session:
            org = make_org(session, name="Via Redis")
        assert jobs.queue.pending_count() == 1

    worker = subprocess.Popen(
        [sys.executable, "-m", "plaudit", "worker", "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert _wait_for(lambda: _key_count(runtime, org.id) == 2, timeout=30), (
            "worker did not run the job"
        )
        assert _wait_for(lambda: jobs.queue.pending_count() == 0)
        assert worker.poll() is None, "the worker exited early"
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=20)
        jobs.queue.flush()
    assert "provision_organization_keys" in output
    assert _key_count(runtime, org.id) == 2


def test_a_job_in_the_queue_file_survives_its_process_being_killed(tmp_path: Path) -> None:
    """The embedded queue syncs its WAL at checkpoints, not at each enqueue: a job is in the
    file the moment enqueue returns, whatever then happens to the process."""
    path = tmp_path / "queue.db"
    script = (
        "import os, signal\n"
        "from plaudit.jobs import QueueFile\n"
        f"storage = QueueFile('plaudit', filename={str(path)!r})\n"
        "assert storage.conn.execute('pragma synchronous').fetchone() == (1,)\n"
        "assert storage.conn.execute('pragma journal_mode').fetchone() == ('wal',)\n"
        "storage.enqueue(b'job', 0)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True, check=False)
    assert killed.returncode == -9, killed.stderr.decode()
    assert jobs.QueueFile("plaudit", filename=str(path)).dequeue() == b"job"

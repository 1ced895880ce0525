"""Real processes killed with -9 on PostgreSQL + Redis: whatever a crash interrupts is finished
by the processes that remain or restart, without a person, and nothing is done twice.

- a worker killed while it signs: the credentials its job held are found and signed;
- a server killed between its commit and its enqueue (the fault hook
  ``PLAUDIT_FAULT_INJECTION=exit-before-enqueue``): its award is signed and emailed;
- `plaudit issue --csv --apply` killed mid-file, and a worker killed mid-backfill: each is
  resumed once its lease lapses and issues every row, or awards every learner, once;
- thousands of award emails waiting for their signatures do not keep the workers from signing.

The recovery logic itself, in one process, is in tests/test_recovery.py.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update

from plaudit import jobs
from plaudit.app import create_app
from plaudit.config import Settings
from plaudit.db import unit_of_work, utcnow
from plaudit.models.award import Credential
from plaudit.models.bulk import BulkIssuance, BulkStatus
from plaudit.models.delivery import MessageStatus, OutboxMessage
from plaudit.models.organization import Organization
from plaudit.models.rule import Backfill
from plaudit.runtime import Runtime
from tests.fixtures.peers import (
    REDIS_URL,
    SmtpServer,
    delivery_settings,
    free_port,
    process_env,
    require_redis,
)
from tests.fixtures.scenario import event, rule
from tests.fixtures.templates import published
from tests.fixtures.tenants import Tenant, make_tenant

pytestmark = [
    pytest.mark.slow,
    # Several processes share one database: the production store.
    pytest.mark.parametrize("migrated_engine", ["postgresql"], indirect=True),
]

LEASE_SECONDS = 2  # a dead runner's lease lapses after 2 s instead of 5 minutes


def _wait_for(check: Callable[[], bool], timeout: float, every: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every)
    return check()


@dataclass
class Instance:
    """One Plaudit instance: this test process (API in process, enqueueing on Redis) and the
    real `plaudit` processes it starts, all on one PostgreSQL database and one Redis queue."""

    settings: Settings
    runtime: Runtime
    env: dict[str, str]
    logs: Path
    processes: list[subprocess.Popen[str]] = field(default_factory=list)

    @contextmanager
    def client(self) -> Iterator[TestClient]:
        with TestClient(create_app(self.settings, runtime=self.runtime)) as client:
            yield client

    def award(self, learners: int) -> None:
        """A credential for each of ``learners`` learners, through the API; none signed yet."""
        with self.client() as client:
            tenant = make_tenant(self.runtime)
            _awarding_rule(client, tenant)
            _completions(client, tenant, range(learners))

    def start(self, *args: str, **env: str) -> subprocess.Popen[str]:
        # Output to a file: a pipe nobody reads fills up, and a worker logging every job would
        # then block on its next line.
        log = self.logs / f"{len(self.processes)}-{args[0]}.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "plaudit", *args],
                env={**self.env, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
            )
        self.processes.append(process)
        return process

    def worker(self) -> subprocess.Popen[str]:
        return self.start("worker", "--workers", "2")

    def kill(self, process: subprocess.Popen[str]) -> None:
        process.kill()  # SIGKILL: no cleanup, no release, no goodbye
        process.wait(timeout=10)

    def count(self, query: Any) -> int:
        with unit_of_work(self.runtime.read_sessions) as session:
            return int(session.scalar(query) or 0)

    def unsigned(self) -> int:
        return self.count(
            select(func.count()).select_from(Credential).where(Credential.signed_at.is_(None))
        )

    def credentials(self) -> int:
        return self.count(select(func.count()).select_from(Credential))

    def output(self) -> str:
        """What each process printed last (for a failure's message)."""
        texts = []
        for number, process in enumerate(self.processes):
            command = " ".join(str(a) for a in list(process.args)[3:])  # type: ignore[arg-type]
            [log] = self.logs.glob(f"{number}-*.log")
            texts.append(f"$ plaudit {command}\n{log.read_text()[-2000:]}")
        return "\n".join(texts)


@pytest.fixture
def instance(engine: Engine, tmp_path: Path, smtp_server: SmtpServer) -> Iterator[Instance]:
    require_redis()
    settings = delivery_settings(
        engine,
        tmp_path,
        smtp_server,
        queue_url=REDIS_URL,
        lease_seconds=LEASE_SECONDS,
        recovery_interval_seconds=1,
        recovery_grace_seconds=1,
    )
    env = process_env(settings, tmp_path / "processes")
    logs = tmp_path / "logs"
    logs.mkdir()
    created = Instance(settings, Runtime(settings=settings, engine=engine), env, logs)
    try:
        yield created
    finally:
        for process in created.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
        jobs.queue.flush()


def _awarding_rule(client: TestClient, tenant: Tenant, name: str = "Finisher") -> str:
    template_id = published(client, tenant, name=name)
    rule(
        client,
        tenant,
        name=f"Award {name}",
        trigger={"event_types": ["course.completed"]},
        actions=[{"type": "award", "template_id": template_id}],
    )
    return template_id


def _completions(client: TestClient, tenant: Tenant, learners: range, prefix: str = "e") -> None:
    for start in range(learners.start, learners.stop, 1000):
        events = [
            event(f"{prefix}-{n}", "course.completed", learner=f"u-{n}", entity=("course", "c-1"))
            for n in range(start, min(start + 1000, learners.stop))
        ]
        response = client.post(
            "/api/v1/events/batch", json={"events": events}, headers=tenant.headers
        )
        assert response.status_code == 200, response.text


def _emails_sent_once(instance: Instance, smtp_server: SmtpServer, learners: int) -> bool:
    delivered = instance.count(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.status == MessageStatus.DELIVERED)
    )
    return delivered == learners and len(smtp_server.mailbox.messages) == learners


def test_a_worker_killed_while_it_signs_leaves_no_credential_unsigned(
    instance: Instance, smtp_server: SmtpServer
) -> None:
    learners = 600
    instance.award(learners)  # one signing job for the batch
    assert instance.unsigned() == learners

    worker = instance.worker()
    started = _wait_for(lambda: instance.unsigned() <= learners - 20, timeout=60)
    instance.kill(worker)
    left = instance.unsigned()
    assert started, instance.output()
    assert 0 < left < learners, "the worker was not killed mid-job"
    # Its job died with it: the queue no longer holds those credentials.

    killed_at = time.monotonic()
    instance.worker()
    assert _wait_for(lambda: instance.unsigned() == 0, timeout=90), instance.output()
    recovered_in = time.monotonic() - killed_at
    assert _wait_for(lambda: _emails_sent_once(instance, smtp_server, learners), timeout=120), (
        f"{len(smtp_server.mailbox.messages)} emails; {instance.output()}"
    )
    # Each learner's one credential, signed once, emailed once.
    assert instance.credentials() == learners
    assert len({m["To"] for m in smtp_server.mailbox.messages}) == learners
    print(
        f"{left} credentials left unsigned by the killed worker, signed {recovered_in:.1f} s later"
    )


def test_a_server_killed_between_its_commit_and_its_enqueue_leaves_nothing_unsigned(
    instance: Instance, smtp_server: SmtpServer
) -> None:
    with instance.client() as client:
        tenant = make_tenant(instance.runtime)
        _awarding_rule(client, tenant)
    jobs.queue.flush()  # what setting up queued is not this test's business
    port = free_port()
    server = instance.start(
        "serve",
        "--no-jobs",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        PLAUDIT_FAULT_INJECTION="exit-before-enqueue",
    )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    assert _wait_for(up, timeout=60, every=0.2), instance.output()
    payload = event("crash-1", "course.completed", learner="crash", entity=("course", "c-1"))
    with pytest.raises(httpx.TransportError):  # the process exits before it answers
        httpx.post(f"{base}/api/v1/events", json=payload, headers=tenant.headers, timeout=30)
    assert server.wait(timeout=10) == 70, instance.output()
    # Committed (the event, its award and its email), never enqueued.
    assert instance.credentials() == 1, instance.output()
    assert instance.unsigned() == 1
    # The award email's job went out first; the signing job never did.
    queued = [task.name for task in jobs.queue.pending()]
    assert not any("sign" in name for name in queued), queued

    instance.worker()
    assert _wait_for(lambda: instance.unsigned() == 0, timeout=30), instance.output()
    assert _wait_for(lambda: _emails_sent_once(instance, smtp_server, 1), timeout=30), (
        instance.output()
    )
    assert [m["To"] for m in smtp_server.mailbox.messages] == ["crash@example.org"]


def _bulk_job(instance: Instance) -> BulkIssuance | None:
    with unit_of_work(instance.runtime.read_sessions) as session:
        job = session.scalars(select(BulkIssuance)).first()
        if job is not None:
            session.expunge(job)
        return job


def test_a_bulk_apply_killed_mid_file_resumes_and_issues_every_row_once(
    instance: Instance, tmp_path: Path
) -> None:
    rows = 4000
    with instance.client() as client:
        tenant = make_tenant(instance.runtime)
        published(client, tenant, name="Bulk badge")
    with unit_of_work(instance.runtime.read_sessions) as session:
        slug = session.scalars(select(Organization.slug)).one()
    csv = tmp_path / "learners.csv"
    csv.write_text(
        "email,first_name,last_name,template,issue_date\n"
        + "".join(f"b{n}@example.org,B,{n},Bulk badge,2026-01-05\n" for n in range(rows))
    )
    command = ("issue", "--csv", str(csv), "--org", slug, "--apply", "--no-notify")

    first = instance.start(*command)

    def midway() -> bool:
        job = _bulk_job(instance)
        return job is not None and 0 < job.processed_rows < rows

    reached = _wait_for(midway, timeout=120)
    instance.kill(first)
    assert reached, instance.output()
    job = _bulk_job(instance)
    assert job is not None
    assert job.status is BulkStatus.RUNNING
    issued_at_kill = instance.credentials()
    assert 0 < issued_at_kill < rows

    def run_again() -> str:
        done = subprocess.run(
            [sys.executable, "-m", "plaudit", *command],
            env=instance.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return " ".join(done.stdout.split())  # as printed, without the terminal's line breaks

    # Run again at once: the dead runner's lease is still held, and the command says so.
    said = run_again()
    if "being applied by another process" in said:
        time.sleep(LEASE_SECONDS + 0.5)  # let it lapse
        said = run_again()
    # The job's totals: every row issued once, the killed run's rows included.
    assert f"{rows:,} issued, 0 already issued, 0 failed" in said, said[-400:]
    job = _bulk_job(instance)
    assert job is not None
    assert job.status is BulkStatus.COMPLETED
    assert job.processed_rows == rows
    # Every row once: one credential per learner, none twice.
    assert instance.credentials() == rows
    with unit_of_work(instance.runtime.read_sessions) as session:
        per_learner = session.execute(
            select(Credential.learner_id, func.count()).group_by(Credential.learner_id)
        ).all()
    assert len(per_learner) == rows
    assert {n for _, n in per_learner} == {1}


def _backfill(instance: Instance, ident: str) -> Backfill:
    with unit_of_work(instance.runtime.read_sessions) as session:
        found = session.get(Backfill, uuid.UUID(ident))
        assert found is not None
        session.expunge(found)
        return found


def test_a_backfill_killed_mid_run_resumes_and_awards_every_learner_once(
    instance: Instance,
) -> None:
    learners = 2000
    with instance.client() as client:
        tenant = make_tenant(instance.runtime)
        template_id = published(client, tenant, name="Backfilled")
        _completions(client, tenant, range(learners), prefix="old")
        assert instance.credentials() == 0
        created = rule(
            client,
            tenant,
            name="Award the earlier completions too",
            trigger={"event_types": ["course.completed"]},
            actions=[{"type": "award", "template_id": template_id}],
        )
        response = client.post(f"/api/v1/rules/{created['id']}/backfills", headers=tenant.headers)
        assert response.status_code in (200, 201, 202), response.text
        ident = str(response.json()["id"])

    worker = instance.worker()
    reached = _wait_for(lambda: _backfill(instance, ident).processed_learners > 0, timeout=120)
    instance.kill(worker)
    assert reached, instance.output()
    stopped = _backfill(instance, ident)
    assert stopped.status.value == "running"
    assert stopped.processed_learners < learners, "the backfill ended before the kill"

    instance.worker()  # its recovery takes the backfill over once the dead lease lapses
    finished = _wait_for(lambda: _backfill(instance, ident).status.value == "completed", 180)
    assert finished, instance.output()
    done = _backfill(instance, ident)
    assert done.processed_learners == learners
    assert done.awarded == learners
    assert instance.credentials() == learners
    assert _wait_for(lambda: instance.unsigned() == 0, timeout=120), instance.output()


def test_thousands_of_award_emails_waiting_for_signatures_do_not_stop_signing(
    instance: Instance, smtp_server: SmtpServer
) -> None:
    learners = 1200  # six times what one pass of the old loop took: the livelock needed 200
    instance.award(learners)
    # The livelock's scene: every award email is due now and none of its credentials is
    # signed (their jobs lost), with retries scaled down so waits come back fast.
    jobs.queue.flush()
    with unit_of_work(instance.runtime.sessions) as session:
        session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))

    started = time.monotonic()
    instance.worker()
    signed = _wait_for(lambda: instance.unsigned() == 0, timeout=300, every=0.5)
    signing = time.monotonic() - started
    assert signed, f"{instance.unsigned()} still unsigned; {instance.output()}"
    sent = _wait_for(
        lambda: _emails_sent_once(instance, smtp_server, learners), timeout=300, every=0.5
    )
    with unit_of_work(instance.runtime.read_sessions) as session:
        statuses = session.execute(
            select(OutboxMessage.status, OutboxMessage.last_error, func.count()).group_by(
                OutboxMessage.status, OutboxMessage.last_error
            )
        ).all()
    assert sent, (
        f"{len(smtp_server.mailbox.messages)} emails; {statuses}; "
        f"{jobs.queue.pending_count()} jobs queued; {instance.output()}"
    )
    print(
        f"{learners} credentials signed in {signing:.0f} s and emailed in "
        f"{time.monotonic() - started:.0f} s by one worker of 2 threads"
    )

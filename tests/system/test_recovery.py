"""Background work recovers by itself: leases lapse, lost jobs are found again, every task is
known to the worker, and emails waiting for signatures cost nothing while they wait.

The same guarantees with real processes killed with -9 are in tests/test_crash_recovery.py.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update

from plaudit import jobs, leases
from plaudit.bulk import tasks as bulk_tasks
from plaudit.config import Settings
from plaudit.credentials import tasks as credential_tasks
from plaudit.db import unit_of_work, utcnow
from plaudit.delivery import engine as delivery
from plaudit.models.award import Credential
from plaudit.models.bulk import BulkIssuance, BulkStatus
from plaudit.models.delivery import MessageStatus, OutboxMessage
from plaudit.models.lease import Lease
from plaudit.models.status_list import StatusList
from plaudit.rules import tasks as rule_tasks
from plaudit.runtime import Runtime
from tests.fixtures.paths import ROOT
from tests.fixtures.peers import SmtpServer, delivery_settings
from tests.fixtures.scenario import event, rule
from tests.fixtures.templates import published
from tests.fixtures.tenants import Tenant, make_tenant

SRC = ROOT / "src"


@pytest.fixture
def settings(engine: Engine, tmp_path: Path, smtp_server: SmtpServer) -> Settings:
    return delivery_settings(engine, tmp_path, smtp_server, recovery_grace_seconds=0)


@pytest.fixture
def tenant(runtime: Runtime) -> Tenant:
    return make_tenant(runtime)


def _drain() -> int:
    """Run what the recovery queued (the tests' queue is in memory, with no consumer)."""
    ran = 0
    while (task := jobs.queue.dequeue()) is not None:
        jobs.queue.execute(task)
        ran += 1
    return ran


def _award_many(client: TestClient, tenant: Tenant, count: int) -> list[str]:
    """``count`` credentials awarded through one batch of events, none of them signed."""
    template_id = published(client, tenant, name="Recovered")
    rule(
        client,
        tenant,
        name="Award on completion",
        trigger={"event_types": ["course.completed"]},
        actions=[{"type": "award", "template_id": template_id}],
    )
    events = [
        event(f"e-{n}", "course.completed", learner=f"u-{n}", entity=("course", "c-1"))
        for n in range(count)
    ]
    response = client.post("/api/v1/events/batch", json={"events": events}, headers=tenant.headers)
    assert response.status_code == 200, response.text
    jobs.queue.flush()  # the signing jobs are lost, as in a crash
    return [a["credential_id"] for r in response.json()["results"] for a in r["awards"]]


def _unsigned(runtime: Runtime) -> int:
    with unit_of_work(runtime.read_sessions) as session:
        return int(
            session.scalar(
                select(func.count()).select_from(Credential).where(Credential.signed_at.is_(None))
            )
            or 0
        )


# --- the worker knows every task ---------------------------------------------------------------


def _declared_tasks() -> set[str]:
    """Every function decorated with @jobs.task or @jobs.periodic anywhere in the package."""
    found: set[str] = set()
    for path in (SRC / "plaudit").rglob("*.py"):
        module = ".".join(path.relative_to(SRC).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                call = decorator.func if isinstance(decorator, ast.Call) else decorator
                if ast.unparse(call) in {"jobs.task", "jobs.periodic"}:
                    found.add(f"{module}.{node.name}")
    return found


def test_the_worker_knows_every_task_declared_in_the_tree(tmp_path: Path) -> None:
    # A fresh interpreter, as `plaudit worker` starts: nothing imported by other tests helps.
    script = (
        "import json, sys\n"
        "from plaudit import jobs\n"
        "from plaudit.config import Settings\n"
        "from plaudit.runtime import build_runtime\n"
        f"settings = Settings(data_dir={str(tmp_path)!r}, queue_url='memory://')\n"
        "jobs.configure(settings, build_runtime(settings))\n"
        "json.dump(sorted(jobs.registered()), sys.stdout)\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    declared = _declared_tasks()
    assert "plaudit.rules.tasks.run_backfill" in declared  # the scan itself works
    assert set(json.loads(output)) == declared


# --- leases ------------------------------------------------------------------------------------


def test_a_lease_is_held_until_it_lapses_then_taken_over(runtime: Runtime) -> None:
    with unit_of_work(runtime.sessions) as session:
        leases.acquire(session, "job:1", holder="a", ttl=60)
    with pytest.raises(leases.Held) as held, unit_of_work(runtime.sessions) as session:
        leases.acquire(session, "job:1", holder="b", ttl=60)
    assert held.value.holder == "a"
    with unit_of_work(runtime.sessions) as session:
        leases.acquire(session, "job:1", holder="a", ttl=60)  # its holder extends it
        leases.renew(session, "job:1", holder="a", ttl=60)
    # "a" dies: its lease lapses, and "b" takes over.
    with unit_of_work(runtime.sessions) as session:
        session.execute(update(Lease).values(expires_at=utcnow() - timedelta(seconds=1)))
    with unit_of_work(runtime.sessions) as session:
        leases.acquire(session, "job:1", holder="b", ttl=60)
    # "a" wakes up: it may not renew, so whatever it was about to commit rolls back.
    with pytest.raises(leases.Lost), unit_of_work(runtime.sessions) as session:
        leases.renew(session, "job:1", holder="a", ttl=60)
    with unit_of_work(runtime.sessions) as session:
        leases.release(session, "job:1", holder="a")  # not its lease any more: no effect
        assert session.get(Lease, "job:1") is not None
        leases.release(session, "job:1", holder="b")
        assert session.get(Lease, "job:1") is None


def test_one_recovery_loop_at_a_time_across_processes(runtime: Runtime) -> None:
    jobs.configure(runtime.settings, runtime)
    first, second = jobs.RecoveryLoop(runtime), jobs.RecoveryLoop(runtime)
    assert first.once() is True
    assert second.once() is False  # the lease is first's while it lives
    assert first.once() is True
    with unit_of_work(runtime.sessions) as session:
        session.execute(update(Lease).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert second.once() is True  # first died


# --- lost signing jobs -------------------------------------------------------------------------


def test_recovery_signs_credentials_whose_signing_job_was_lost(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    ids = _award_many(client, tenant, 30)
    assert len(ids) == 30
    assert _unsigned(runtime) == 30
    queued = credential_tasks.requeue_unsigned(runtime)
    assert queued == 30
    _drain()
    assert _unsigned(runtime) == 0
    # Signed already: nothing is queued again.
    assert credential_tasks.requeue_unsigned(runtime) == 0


def test_recovery_leaves_young_credentials_to_their_own_job(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    _award_many(client, tenant, 3)
    patient = Runtime(
        settings=runtime.settings.model_copy(update={"recovery_grace_seconds": 3600}),
        engine=runtime.engine,
    )
    assert credential_tasks.requeue_unsigned(patient) == 0


def test_recovery_signs_status_lists_whose_job_was_lost(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    [credential_id] = _award_many(client, tenant, 1)
    credential_tasks.requeue_unsigned(runtime)
    _drain()
    response = client.post(
        f"/api/v1/credentials/{credential_id}/revoke",
        json={"reason": "Recorded in error"},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    jobs.queue.flush()  # the status list's signing job is lost

    def stale() -> int:
        with unit_of_work(runtime.read_sessions) as session:
            return sum(
                1 for status_list in session.scalars(select(StatusList)) if status_list.stale
            )

    assert stale() >= 1
    assert credential_tasks.requeue_stale_status_lists(runtime) == 1
    _drain()
    assert stale() == 0


# --- emails waiting for signatures ---------------------------------------------------------


def test_award_emails_wait_for_their_signature_at_no_cost_then_go_out_when_signed(
    client: TestClient, runtime: Runtime, tenant: Tenant, smtp_server: SmtpServer
) -> None:
    # More than one pass of the old sweep (200), which looped while each pass was full.
    ids = _award_many(client, tenant, 250)
    tried = delivery.run_due(runtime, limit=1000)
    assert tried == 250
    with unit_of_work(runtime.read_sessions) as session:
        waiting = session.scalars(select(OutboxMessage)).all()
        assert {m.status for m in waiting} == {MessageStatus.PENDING}
        assert {m.last_error for m in waiting} == {"waiting for the credential to be signed"}
        # Not due again any time soon: nothing polls them (on main they came back every
        # 10 ms at this backoff scale, so a sweep never ran out of due messages).
        assert delivery.due(session, now=utcnow() + timedelta(seconds=0.5), limit=10) == []
    assert smtp_server.mailbox.messages == []

    credential_tasks.sign_credentials.call_local(ids)  # wakes each email in its transaction
    with unit_of_work(runtime.read_sessions) as session:
        assert len(delivery.due(session, now=utcnow(), limit=1000)) == 250
    _drain()  # the deliveries the signatures queued
    assert len(smtp_server.mailbox.messages) == 250
    with unit_of_work(runtime.read_sessions) as session:
        statuses = set(session.scalars(select(OutboxMessage.status)))
    assert statuses == {MessageStatus.DELIVERED}


def test_a_recovery_pass_over_many_due_messages_is_bounded(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    from plaudit.delivery import tasks as delivery_tasks

    _award_many(client, tenant, 60)
    jobs.queue.flush()
    with unit_of_work(runtime.sessions) as session:
        session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
    original = delivery_tasks.RECOVERY_LIMIT
    delivery_tasks.RECOVERY_LIMIT = 25
    try:
        assert delivery_tasks.requeue_due_messages(runtime) == 25
    finally:
        delivery_tasks.RECOVERY_LIMIT = original
    # Queued in small jobs (other work runs between them), never sent inside the pass.
    assert len(jobs.queue.pending()) == 1
    with unit_of_work(runtime.read_sessions) as session:
        assert set(session.scalars(select(OutboxMessage.status))) == {MessageStatus.PENDING}


# --- bulk issuances and backfills whose runner died --------------------------------------


def _bulk(client: TestClient, tenant: Tenant, rows: int) -> str:
    published(client, tenant, name="Bulk badge")
    lines = ["email,first_name,last_name,template,issued_on"] + [
        f"b{n}@example.org,B,{n},Bulk badge,2026-01-0{1 + n % 9}" for n in range(rows)
    ]
    response = client.post(
        "/api/v1/bulk-issuances",
        files={"file": ("rows.csv", "\n".join(lines).encode(), "text/csv")},
        data={"notify": "false"},
        headers=tenant.headers,
    )
    assert response.status_code in (200, 201, 202), response.text
    jobs.queue.flush()  # its runner never got to it
    return str(response.json()["id"])


def _dead_runner(runtime: Runtime, name: str, *, lapsed: bool) -> None:
    expires = utcnow() + timedelta(seconds=-1 if lapsed else 600)
    with unit_of_work(runtime.sessions) as session:
        session.add(Lease(name=name, holder="host:4242:dead", expires_at=expires))


def test_a_bulk_issuance_whose_runner_died_is_resumed_once_its_lease_lapses(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    bulk_id = _bulk(client, tenant, 12)
    _dead_runner(runtime, f"bulk:{bulk_id}", lapsed=False)
    bulk_tasks.resume_bulk_issuances(runtime)
    _drain()  # the runner is alive as far as anyone knows: left alone
    with unit_of_work(runtime.read_sessions) as session:
        job = session.get(BulkIssuance, uuid.UUID(bulk_id))
        assert job is not None
        assert job.status in (BulkStatus.PENDING, BulkStatus.RUNNING)
        session.execute(update(Lease).values(expires_at=utcnow() - timedelta(seconds=1)))
        session.commit()
    bulk_tasks.resume_bulk_issuances(runtime)
    _drain()
    with unit_of_work(runtime.read_sessions) as session:
        job = session.get(BulkIssuance, uuid.UUID(bulk_id))
        assert job is not None
        assert job.status is BulkStatus.COMPLETED
        issued: Any = session.scalar(
            select(func.count())
            .select_from(Credential)
            .where(Credential.bulk_issuance_id == job.id)
        )
        assert issued == 12
        assert session.scalars(select(Lease)).all() == []  # released when done


def test_a_backfill_whose_runner_died_is_resumed_once_its_lease_lapses(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    template_id = published(client, tenant, name="Backfilled")
    for n in range(5):
        response = client.post(
            "/api/v1/events",
            json=event(f"old-{n}", "course.completed", learner=f"u-{n}", entity=("course", "x")),
            headers=tenant.headers,
        )
        assert response.status_code in (200, 201), response.text
    created = rule(
        client,
        tenant,
        name="Award later",
        trigger={"event_types": ["course.completed"]},
        actions=[{"type": "award", "template_id": template_id}],
    )
    response = client.post(f"/api/v1/rules/{created['id']}/backfills", headers=tenant.headers)
    assert response.status_code in (200, 201, 202), response.text
    backfill_id = response.json()["id"]
    jobs.queue.flush()
    _dead_runner(runtime, f"backfill:{backfill_id}", lapsed=True)
    rule_tasks.resume_backfills(runtime)
    _drain()
    response = client.get(f"/api/v1/backfills/{backfill_id}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "completed"
    with unit_of_work(runtime.read_sessions) as session:
        assert session.scalar(select(func.count()).select_from(Credential)) == 5


def test_what_recovery_queued_again_is_queued_once_more_only_after_a_doubling_wait() -> None:
    now = [0.0]
    backoff = jobs.Backoff(max_wait=25, clock=lambda: now[0])
    assert backoff.due(["a", "b"], first_wait=5) == ["a", "b"]
    now[0] = 4.9
    assert backoff.due(["a", "b", "c"], first_wait=5) == ["c"]  # a and b wait their turn
    now[0] = 5.0
    assert backoff.due(["a", "b", "c"], first_wait=5) == ["a", "b"]  # then 10 s
    now[0] = 14.9
    assert backoff.due(["a", "c"], first_wait=5) == ["c"]  # b is done: forgotten
    now[0] = 15.0
    assert backoff.due(["a", "b"], first_wait=5) == ["a", "b"]  # a after 10 s; b anew
    now[0] = 34.9
    assert backoff.due(["a"], first_wait=5) == []  # 20 s now
    now[0] = 35.0
    assert backoff.due(["a"], first_wait=5) == ["a"]
    now[0] = 59.9
    assert backoff.due(["a"], first_wait=5) == []  # capped at 25 s
    now[0] = 60.0
    assert backoff.due(["a"], first_wait=5) == ["a"]

"""Killing the worker in the middle of sending loses nothing and sends nothing twice.

The API (this process) enqueues on Redis; a real `plaudit worker` process sends. The SMTP
server and the webhook receiver hold the first send open; the worker is killed (SIGKILL)
while they do; a new worker picks the messages up once their lease lapses.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import standardwebhooks
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from plaudit import jobs
from plaudit.app import create_app
from plaudit.db import unit_of_work
from plaudit.models.delivery import MessageStatus, OutboxMessage
from plaudit.runtime import Runtime
from tests.fixtures.credentials import issue
from tests.fixtures.databases import make_settings
from tests.fixtures.peers import REDIS_URL, Receiver, SmtpServer, process_env, require_redis
from tests.fixtures.tenants import make_tenant

SCALE = 0.01  # retries after a hundredth of the documented delays
LEASE = 3  # a dead worker's messages are sent again after 3 s instead of 5 minutes


def _wait_for(check: Callable[[], bool], timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def _start_worker(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "plaudit", "worker", "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.slow
def test_a_worker_killed_mid_delivery_loses_and_duplicates_nothing(
    engine: Engine,
    tmp_path: Path,
    smtp_server: SmtpServer,
    receiver: Receiver,
) -> None:
    require_redis()
    settings = make_settings(
        engine,
        tmp_path,
        queue_url=REDIS_URL,
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        smtp_security="none",
        webhooks_allow_private_networks=True,
        delivery_backoff_scale=SCALE,
        delivery_lease_seconds=LEASE,
        # Recovery finds the messages whose lease lapsed on its next pass.
        recovery_interval_seconds=1,
    )
    runtime = Runtime(settings=settings, engine=engine)
    env = process_env(settings, tmp_path / "worker")
    smtp_server.mailbox.hold = threading.Event()
    receiver.hold = threading.Event()
    held_smtp, held_http = smtp_server.mailbox.hold, receiver.hold

    app = create_app(settings, runtime=runtime)  # this process only enqueues
    worker = None
    try:
        with TestClient(app) as client:
            tenant = make_tenant(runtime)
            endpoint = client.post(
                "/api/v1/webhooks", json={"url": receiver.url}, headers=tenant.headers
            ).json()
            issued = issue(client, tenant, learner="crash")

        worker = _start_worker(env)
        reached = _wait_for(
            lambda: smtp_server.mailbox.held.is_set() and receiver.held.is_set(), timeout=60
        )
        if not reached:
            worker.kill()
            output, _ = worker.communicate(timeout=10)
            pytest.fail(f"the worker never reached both peers; it said:\n{output[-3000:]}")
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        # The peers now finish what they held: no answer reaches the dead worker.
        held_smtp.set()
        held_http.set()
        smtp_server.mailbox.hold = None
        with unit_of_work(runtime.read_sessions) as session:
            in_flight = session.scalar(
                select(func.count()).where(OutboxMessage.status == MessageStatus.SENDING)
            )
        assert in_flight == 2

        worker = _start_worker(env)

        def all_delivered() -> bool:
            with unit_of_work(runtime.read_sessions) as session:
                statuses = set(session.scalars(select(OutboxMessage.status)))
            return statuses == {MessageStatus.DELIVERED}

        assert _wait_for(all_delivered, timeout=60), "the new worker did not finish the work"
    finally:
        if worker is not None and worker.poll() is None:
            worker.terminate()
            worker.communicate(timeout=20)
        jobs.queue.flush()

    assert len(smtp_server.mailbox.to("crash@example.org")) == 1
    acknowledged = receiver.acknowledged()
    assert len(acknowledged) == 1
    # The receiver saw the held request too, with the same id: it can tell it is a retry.
    assert {r.headers["webhook-id"] for r in receiver.requests} == {
        acknowledged[0].headers["webhook-id"]
    }
    payload = standardwebhooks.Webhook(endpoint["secret"]).verify(
        acknowledged[0].body, acknowledged[0].headers
    )
    assert payload["data"]["credential_id"] == issued.credential_id

"""Races are not the client's problem: two servers writing the same thing at the same moment
both answer as if they had come one after the other, and a request that cannot get a lock in
time answers 503 with Retry-After (never 409, never 500, never a wait without end)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.orm import Session

from plaudit import jobs
from plaudit.api.routing import RETRY_AFTER, RETRY_DEADLINE
from plaudit.app import create_app
from plaudit.config import Settings
from plaudit.db import create_db_engine
from plaudit.models.bulk import BulkIssuance
from plaudit.models.event import Event
from plaudit.models.learner import Learner
from plaudit.runtime import Runtime
from tests.fixtures.problems import assert_problem
from tests.fixtures.scenario import event as learning_event
from tests.fixtures.scenario import rule
from tests.fixtures.templates import published
from tests.fixtures.tenants import Tenant, make_tenant


@pytest.fixture
def servers(settings: Settings, runtime: Runtime, engine: Engine) -> Iterator[list[TestClient]]:
    """Two servers on the same database, each with its own engine and connection pool."""
    other = create_db_engine(engine.url.render_as_string(hide_password=False))
    apps = [
        create_app(settings, runtime=runtime),
        create_app(settings, runtime=Runtime(settings=settings, engine=other)),
    ]
    try:
        with TestClient(apps[0]) as first, TestClient(apps[1]) as second:
            yield [first, second]
    finally:
        other.dispose()


def together(*calls: Callable[[], Response]) -> list[Response]:
    """Run each call in its own thread, all released at the same instant."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], Response]) -> Response:
        start.wait(timeout=10)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def assert_settled(response: Response) -> None:
    """A success, or a 503 that says when to come back: what a race may give, nothing else."""
    if response.status_code == 503:
        problem = assert_problem(response, 503)
        assert problem["type"] == "https://plaudit.dev/problems/busy"
        assert response.headers["retry-after"] == str(RETRY_AFTER)
    else:
        assert 200 <= response.status_code < 300, response.text


@pytest.fixture
def flushes_meet(engine: Engine) -> Iterator[None]:
    """On PostgreSQL, hold the first two INSERTs of a bulk issuance until both are ready: both
    requests have looked for the file's job and found none, so one of them must lose on the
    unique key. (SQLite runs one writer at a time from its BEGIN: no such overlap there.)"""
    if engine.dialect.name != "postgresql":
        yield
        return
    meeting = threading.Barrier(2)
    arrivals = iter(range(2))
    lock = threading.Lock()

    def hold(session: Session, _context: Any, _instances: Any) -> None:
        if not any(isinstance(o, BulkIssuance) for o in session.new):
            return
        with lock:
            first_two = next(arrivals, None) is not None
        if first_two:
            meeting.wait(timeout=10)

    event.listen(Session, "before_flush", hold)
    try:
        yield
    finally:
        event.remove(Session, "before_flush", hold)


@pytest.mark.parametrize("keyed", [False, True], ids=["no-key", "idempotency-key"])
def test_two_servers_sent_the_same_file_at_once_both_answer_with_its_one_job(
    servers: list[TestClient], runtime: Runtime, flushes_meet: None, keyed: bool
) -> None:
    tenant = make_tenant(runtime)
    published(servers[0], tenant, name="Raced Badge")
    rows = [f"l{n}@example.org,Ada,L{n},Raced Badge,2024-06-01" for n in range(30)]
    data = ("\n".join(["email,first_name,last_name,template,issue_date", *rows]) + "\n").encode()
    # One multipart body for both (a client's retry of the same request): the key's hash is of
    # the body as sent, and each new encoding of a form draws another boundary.
    boundary = "plaudit-race"
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="cohort.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {
        **tenant.headers,
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        **({"Idempotency-Key": "same-file"} if keyed else {}),
    }
    while jobs.queue.dequeue() is not None:  # what setting the scene queued
        pass

    def upload(client: TestClient) -> Callable[[], Response]:
        return lambda: client.post("/api/v1/bulk-issuances", content=body, headers=headers)

    answers = together(upload(servers[0]), upload(servers[1]))

    for answer in answers:
        assert_settled(answer)
    settled = [a for a in answers if a.status_code != 503]
    # The one that lost read the whole file again (an empty re-read would be another job, or
    # a refusal), and found the winner's job.
    assert len({a.json()["id"] for a in settled}) == 1
    statuses = sorted(a.status_code for a in answers)
    if keyed:  # the winner's response, replayed
        assert statuses in ([202, 202], [202, 503])
    else:  # the winner started it; the other found it
        assert statuses in ([200, 202], [202, 503])
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(BulkIssuance)) == 1
    # The attempt rolled back queued nothing: one apply job, by the winner, after its commit.
    queued = []
    while (task := jobs.queue.dequeue()) is not None:
        queued.append(task.name)
    assert queued.count("apply_bulk") == 1


def test_two_servers_sent_the_same_batch_at_once_process_each_event_once(
    servers: list[TestClient], runtime: Runtime
) -> None:
    tenant = make_tenant(runtime)
    badge = published(servers[0], tenant, name="Busy Badge")
    rule(
        servers[0],
        tenant,
        name="Every lesson",
        trigger={"event_types": ["lesson.completed"]},
        actions=[{"type": "award", "template_id": badge}],
    )
    for round_ in range(3):
        batch = [
            learning_event(f"r{round_}-e{n}", "lesson.completed", learner=f"r{round_}-l{n % 40}")
            for n in range(120)
        ]
        shuffled = batch[:]
        random.Random(round_).shuffle(shuffled)  # other learners first: locks cross

        def send(client: TestClient, items: list[dict[str, Any]]) -> Callable[[], Response]:
            return lambda: client.post(
                "/api/v1/events/batch", json={"events": items}, headers=tenant.headers
            )

        answers = together(send(servers[0], batch), send(servers[1], shuffled))
        for answer in answers:
            assert_settled(answer)
        with runtime.sessions() as session:
            stored = session.scalar(
                select(func.count())
                .select_from(Event)
                .where(Event.external_id.startswith(f"r{round_}-"))
            )
        assert stored == len(batch)


def test_two_servers_sent_the_same_single_event_at_once_award_once(
    servers: list[TestClient], runtime: Runtime
) -> None:
    """A single event keeps no savepoint to run again from: its route runs the request again
    when it loses (to the other's new learner or event), and then finds the event stored."""
    tenant = make_tenant(runtime)
    badge = published(servers[0], tenant, name="First lesson")
    rule(
        servers[0],
        tenant,
        name="A lesson",
        trigger={"event_types": ["lesson.completed"]},
        actions=[{"type": "award", "template_id": badge}],
    )
    for round_ in range(8):
        sent = learning_event(f"single-{round_}", "lesson.completed", learner=f"new-{round_}")

        def send(client: TestClient, sent: dict[str, Any] = sent) -> Callable[[], Response]:
            return lambda: client.post("/api/v1/events", json=sent, headers=tenant.headers)

        answers = together(send(servers[0]), send(servers[1]))
        assert sorted(a.status_code for a in answers) == [200, 201], [a.text for a in answers]
        statuses = sorted(a.json()["status"] for a in answers)
        assert statuses == ["duplicate", "processed"]
        assert sum(len(a.json()["awards"]) for a in answers) == 1
    with runtime.sessions() as session:
        stored = session.scalar(
            select(func.count()).select_from(Event).where(Event.external_id.startswith("single-"))
        )
        learners = session.scalar(
            select(func.count()).select_from(Learner).where(Learner.external_id.startswith("new-"))
        )
    assert (stored, learners) == (8, 8)


def _hold_the_lock(engine: Engine, tenant: Tenant) -> Callable[[], None]:
    """Take, on a connection of its own, the lock the next event for learner 'held' needs (its
    row on PostgreSQL, the write lock on SQLite); returns its release."""
    raw = engine.raw_connection()
    cursor = raw.cursor()
    if engine.dialect.name == "postgresql":
        cursor.execute(
            "SELECT id FROM learners WHERE organization_id = %s AND external_id = 'held' "
            "FOR UPDATE",
            (tenant.id,),
        )
    else:
        cursor.execute("BEGIN IMMEDIATE")

    def release() -> None:
        raw.rollback()
        raw.close()

    return release


def test_a_request_that_cannot_get_a_lock_in_time_answers_503_and_writes_nothing(
    client: TestClient, runtime: Runtime, engine: Engine
) -> None:
    tenant = make_tenant(runtime)
    first = learning_event("held-1", "lesson.completed", learner="held")
    assert client.post("/api/v1/events", json=first, headers=tenant.headers).is_success
    waiting = learning_event("held-2", "lesson.completed", learner="held")

    pool = ThreadPoolExecutor(1)
    release = _hold_the_lock(engine, tenant)
    try:
        started = time.monotonic()
        answer = pool.submit(client.post, "/api/v1/events", json=waiting, headers=tenant.headers)
        try:
            # Its budget: each lock wait is bounded, and no attempt starts past the deadline.
            response = answer.result(timeout=RETRY_DEADLINE + 20)
        finally:
            took = time.monotonic() - started
            release()  # also when the request is still waiting: it must not hang the test
    finally:
        pool.shutdown()

    problem = assert_problem(response, 503)
    assert problem["type"] == "https://plaudit.dev/problems/busy"
    assert response.headers["retry-after"] == str(RETRY_AFTER)
    assert "nothing was written" in str(problem["detail"])
    # Bounded, not fast: the last attempt starts before the deadline and waits at most one lock
    # timeout (5 s at most); the rest is slack for a loaded machine (a CI run measured 12.5 s).
    assert took < RETRY_DEADLINE + 5 + 6
    with runtime.sessions() as session:
        assert session.scalar(select(Event.id).where(Event.external_id == "held-2")) is None
        assert session.scalar(select(func.count()).select_from(Learner)) == 1
    # Sent again once the lock is free, as Retry-After says: done.
    again = client.post("/api/v1/events", json=waiting, headers=tenant.headers)
    assert again.status_code in (200, 201), again.text
    assert again.json()["status"] == "processed"


def test_the_lock_wait_of_a_request_is_its_own(engine: Engine, runtime: Runtime) -> None:
    """The bound is set for each request transaction and is not left on a pooled connection
    for the jobs that use it next (they keep waiting as long as they did)."""
    with runtime.request_sessions() as session:
        during = _lock_timeout(session, engine)
    with runtime.sessions() as session:
        after = _lock_timeout(session, engine)
    if engine.dialect.name == "postgresql":
        assert (during, after) == ("2s", "0")
    else:
        assert (during, after) == (5000, 10000)


def _lock_timeout(session: Session, engine: Engine) -> object:
    query = "SHOW lock_timeout" if engine.dialect.name == "postgresql" else "PRAGMA busy_timeout"
    return session.execute(text(query)).scalar_one()

"""Rate limits hold for the instance: processes on one Redis share a client's budget."""

from __future__ import annotations

import logging
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from plaudit import ratelimit
from plaudit.app import create_app
from plaudit.config import Settings
from plaudit.runtime import Runtime
from tests.fixtures.databases import make_settings
from tests.fixtures.peers import REDIS_URL, require_redis
from tests.fixtures.problems import assert_problem

LIMIT = "3/hour"  # nothing of the budget comes back while a test runs


def _process(engine: Engine, data_dir: Path, **overrides: object) -> TestClient:
    """The app as one server process builds it from its settings."""
    settings = make_settings(engine, data_dir, verify_rate_limit=LIMIT, **overrides)
    return TestClient(create_app(settings, runtime=Runtime(settings=settings, engine=engine)))


def _verify(client: TestClient, times: int) -> list[int]:
    return [client.post("/api/v1/verify", json={"url": "x"}).status_code for _ in range(times)]


@pytest.fixture
def namespace() -> Iterator[str]:
    """A queue name of this test's own: tests running in parallel on one Redis (pytest-xdist)
    never count against each other, and its keys are removed afterwards."""
    require_redis()
    name = f"plaudit-test-{uuid.uuid4().hex[:8]}"
    yield name
    server = redis.Redis.from_url(REDIS_URL)
    if keys := server.keys(f"{name}*"):  # its own, and those of f"{name}-other"
        server.delete(*keys)


def test_processes_on_one_redis_share_a_clients_budget(
    engine: Engine, tmp_path: Path, namespace: str
) -> None:
    shared = {"queue_url": REDIS_URL, "queue_name": namespace}
    with (
        _process(engine, tmp_path / "one", **shared) as one,
        _process(engine, tmp_path / "two", **shared) as two,
    ):
        assert _verify(one, 2) == [200, 200]
        assert _verify(two, 1) == [200]
        # Each process alone has verified fewer than three times: the count is the instance's.
        assert _verify(one, 1) == [429]
        refused = two.post("/api/v1/verify", json={"url": "x"})
    assert_problem(refused, 429)
    assert "Too many verifications" in refused.json()["detail"]
    keys = redis.Redis.from_url(REDIS_URL).keys(f"{namespace}:ratelimit:*")
    assert len(keys) == 1, keys


def test_another_queue_name_on_the_same_redis_counts_apart(
    engine: Engine, tmp_path: Path, namespace: str
) -> None:
    other = f"{namespace}-other"
    with (
        _process(engine, tmp_path / "one", queue_url=REDIS_URL, queue_name=namespace) as one,
        _process(engine, tmp_path / "two", queue_url=REDIS_URL, queue_name=other) as two,
    ):
        assert _verify(one, 4) == [200, 200, 200, 429]
        assert _verify(two, 4) == [200, 200, 200, 429]


def test_without_redis_each_process_limits_on_its_own(engine: Engine, tmp_path: Path) -> None:
    with _process(engine, tmp_path / "one") as one, _process(engine, tmp_path / "two") as two:
        assert _verify(one, 4) == [200, 200, 200, 429]
        assert _verify(two, 4) == [200, 200, 200, 429]
    # The VC API's verification shares the budget of /api/v1/verify.
    with _process(engine, tmp_path / "three") as three:
        assert _verify(three, 3) == [200, 200, 200]
        response = three.post("/credentials/verify", json={"verifiableCredential": {}})
    assert_problem(response, 429)


@pytest.mark.parametrize(
    ("queue_url", "storage"),
    [
        (None, "memory://"),  # the embedded default: a SQLite queue, one process
        ("memory://", "memory://"),
        ("redis://cache:6379/2", "redis://cache:6379/2"),
        ("rediss://:secret@cache:6380/0", "rediss://:secret@cache:6380/0"),
        ("unix:///run/redis.sock?db=1", "redis+unix:///run/redis.sock?db=1"),
    ],
)
def test_the_count_is_kept_in_the_queues_redis_when_there_is_one(
    queue_url: str | None, storage: str
) -> None:
    assert ratelimit.storage_url(Settings(queue_url=queue_url)) == storage


def test_an_unreachable_redis_lets_requests_through_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
        limiter = ratelimit.RateLimiter(
            f"redis://127.0.0.1:{closed.getsockname()[1]}/0", namespace="unreachable"
        )
        with caplog.at_level(logging.WARNING, logger="plaudit.ratelimit"):
            assert [limiter.allow("1/hour", "verify", "client") for _ in range(3)] == [True] * 3
    # Warned once: Redis is left alone for a few seconds rather than tried by every request.
    assert len(caplog.records) == 1
    assert "not enforced" in caplog.records[0].getMessage()


def test_a_redis_that_stops_answering_holds_up_one_request_only() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # connections are accepted by the kernel; nothing ever answers
        limiter = ratelimit.RateLimiter(
            f"redis://127.0.0.1:{silent.getsockname()[1]}/0", namespace="silent"
        )
        started = time.monotonic()
        assert all(limiter.allow("1/hour", "verify", "client") for _ in range(5))
        elapsed = time.monotonic() - started
    assert elapsed < 4 * ratelimit.STORAGE_TIMEOUT, elapsed

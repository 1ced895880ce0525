"""`plaudit serve --workers 2` on a Redis queue: a change made in one process shows at once in
the pages another process has cached, and the processes share one rate limit."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx
import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from plaudit.app import create_app
from plaudit.config import Settings
from plaudit.db import unit_of_work
from plaudit.models.award import Credential
from plaudit.pages import cache
from plaudit.runtime import Runtime
from tests.fixtures.credentials import act, issue
from tests.fixtures.databases import make_settings
from tests.fixtures.pages import HTML
from tests.fixtures.peers import REDIS_URL, free_port, process_env, require_redis
from tests.fixtures.tenants import make_tenant

PLAUDIT = [sys.executable, "-m", "plaudit"]


@pytest.fixture
def namespace() -> Iterator[str]:
    """A queue name (and so a channel and rate-limit keys) of this test's own."""
    require_redis()
    name = f"plaudit-test-{uuid.uuid4().hex[:8]}"
    yield name
    cache.pages.share(None)  # this process's cache back to its own
    server = redis.Redis.from_url(REDIS_URL)
    if keys := server.keys(f"{name}*"):
        server.delete(*keys)


@contextmanager
def two_processes(settings: Settings, data_dir: Path) -> Iterator[str]:
    """A real `plaudit serve --workers 2` on the test's database and Redis; its base URL."""
    port = free_port()
    env = {
        **process_env(settings, data_dir),
        "PLAUDIT_PAGE_CACHE_SECONDS": str(settings.page_cache_seconds),
        "PLAUDIT_VERIFY_RATE_LIMIT": settings.verify_rate_limit,
        "PLAUDIT_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [*PLAUDIT, "serve", "--workers", "2", "--no-jobs", "--port", str(port)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                pytest.fail(
                    f"plaudit serve exited: {server.stderr.read() if server.stderr else ''}"
                )
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("plaudit serve --workers 2 did not answer within a minute")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def _pages(url: str, times: int) -> list[str]:
    """``times`` visits, each on a new connection, so that both processes answer some."""
    seen = []
    for _ in range(times):
        response = httpx.get(url, headers=HTML, timeout=10)
        seen.append(
            "revoked"
            if "Revoked" in response.text
            else "valid"
            if "Valid credential" in response.text
            else str(response.status_code)
        )
    return seen


def test_a_revocation_in_one_process_shows_at_once_in_the_others_cached_pages(
    engine: Engine, tmp_path: Path, namespace: str
) -> None:
    settings = make_settings(
        engine,
        tmp_path / "a",
        queue_url=REDIS_URL,
        queue_name=namespace,
        page_cache_seconds=300,  # a stale page would outlive the test
        verify_rate_limit="3/hour",
    )
    runtime = Runtime(settings=settings, engine=engine)
    # Process A is this one; it calls from the address B's clients have.
    app = create_app(settings, runtime=runtime)
    with TestClient(app, client=("127.0.0.1", 50000)) as process_a:
        tenant = make_tenant(runtime)
        issued = issue(process_a, tenant)
        with two_processes(settings, tmp_path / "b") as base:
            url = f"{base}{issued.page}"
            assert _pages(url, 12) == ["valid"] * 12
            # Made private behind the cache's back (nothing announced): the other processes
            # still show their cached pages, so they do cache them.
            with unit_of_work(runtime.sessions) as session:
                session.execute(
                    update(Credential)
                    .where(Credential.public_id == issued.public_id)
                    .values(private=True)
                )
            silent = _pages(url, 12)
            assert "valid" in silent, silent
            assert set(silent) <= {"valid", "403"}, silent  # 403: a process without the page
            with unit_of_work(runtime.sessions) as session:
                session.execute(
                    update(Credential)
                    .where(Credential.public_id == issued.public_id)
                    .values(private=False)
                )

            act(process_a, tenant, issued, "revoke", "Issued by mistake")
            assert _pages(url, 12) == ["revoked"] * 12

            # Three verifications per client address for the instance, not per process.
            assert process_a.post("/api/v1/verify", json={"url": "x"}).status_code == 200
            verdicts = [
                httpx.post(f"{base}/api/v1/verify", json={"url": "x"}, timeout=10).status_code
                for _ in range(6)
            ]
            assert verdicts == [200, 200, 429, 429, 429, 429]
            assert process_a.post("/api/v1/verify", json={"url": "x"}).status_code == 429

"""Benchmark: signed awards per second end to end, on PostgreSQL + Redis with two processes.

A real `plaudit serve --workers 2` (each process takes events over HTTP and runs job threads
that sign) on a fresh PostgreSQL database and a Redis queue. One organization, one published
badge, one rule awarding it on `course.completed`; learners have no email, so an award costs
intake and signing only. This process sends one completion per learner in batches of 1,000
through POST /api/v1/events/batch and polls the database: an award counts once its credential
is signed. Then a sample of the credentials is fetched from their public pages as a verifier
would (application/json) and must carry a proof: signed means retrievable.
Prints events/s taken in, and signed awards/s from the first event sent to the last signature.
Run: .venv/bin/python bench/signed_awards.py --awards 20000
The time to drain a backlog already queued (workers started after it): bench/drain.py
--awards 100000 --signing-only.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx2 as httpx
import redis
from _shared import free_port, fresh_postgres
from drain import REDIS_URL, award_on_completion, completions, redis_available
from sqlalchemy import func, select

from plaudit import migrate
from plaudit.apikeys import service as apikeys
from plaudit.config import Settings
from plaudit.db import create_db_engine, unit_of_work
from plaudit.models.apikey import Scope
from plaudit.models.award import Credential
from plaudit.organizations import service as organizations
from plaudit.organizations.schemas import OrganizationCreate
from plaudit.runtime import Runtime
from plaudit.vault import new_master_key

DATABASE = "plaudit_bench_signed"
BATCH = 1000
POLL_SECONDS = 0.2
SAMPLE = 20


def signed_count(runtime: Runtime) -> int:
    with unit_of_work(runtime.read_sessions) as session:
        query = select(func.count()).select_from(Credential)
        return int(session.scalar(query.where(Credential.signed_at.is_not(None))) or 0)


def start_server(
    settings: Settings, port: int, processes: int, threads: int
) -> subprocess.Popen[bytes]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PLAUDIT_")},
        "PLAUDIT_DATABASE_URL": settings.resolved_database_url,
        "PLAUDIT_QUEUE_URL": settings.resolved_queue_url,
        "PLAUDIT_QUEUE_NAME": settings.queue_name,
        "PLAUDIT_MASTER_KEY": settings.master_key or "",
        "PLAUDIT_DATA_DIR": str(settings.data_dir),
        "PLAUDIT_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "PLAUDIT_WORKERS": str(threads),
        "PLAUDIT_LOG_LEVEL": "WARNING",
    }
    log = (settings.data_dir / "serve.log").open("wb")
    command = [sys.executable, "-m", "plaudit", "serve", "--workers", str(processes), "--jobs"]
    return subprocess.Popen(
        [*command, "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )


def wait_up(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"plaudit serve exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit("plaudit serve did not answer within two minutes")


def send_all(client: httpx.Client, awards: int, done: dict[str, float]) -> None:
    for start in range(0, awards, BATCH):
        response = client.post(
            "/api/v1/events/batch", json={"events": completions(start, min(start + BATCH, awards))}
        )
        if response.status_code != 200:
            raise RuntimeError(f"POST /api/v1/events/batch: {response.status_code} {response.text}")
    done["sent"] = time.monotonic()


def retrievable(client: httpx.Client, base: str, awards: int) -> int:
    """How many of a random sample of credentials their public page serves with a proof."""
    listed = client.get("/api/v1/credentials", params={"limit": 100}).json()["items"]
    ok = 0
    for item in random.sample(listed, min(SAMPLE, len(listed))):
        document = httpx.get(
            f"{base}/credentials/{item['public_id']}",
            headers={"Accept": "application/json"},
            timeout=10,
        ).json()
        ok += "proof" in document
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--awards", type=int, default=20_000, help="learners, one award each")
    parser.add_argument("--processes", type=int, default=2, help="`plaudit serve --workers`")
    parser.add_argument("--threads", type=int, default=2, help="job threads per process")
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()
    if not redis_available():
        return
    url = fresh_postgres(DATABASE)
    if url is None:
        return
    data_dir = Path(tempfile.mkdtemp(prefix="plaudit-bench-signed-"))
    settings = Settings.model_validate(
        {
            "data_dir": data_dir,
            "database_url": url,
            "queue_url": REDIS_URL,
            "queue_name": f"plaudit-bench-signed-{uuid.uuid4().hex[:8]}",
            "master_key": new_master_key(),
        }
    )
    runtime = Runtime(settings=settings, engine=create_db_engine(url))
    migrate.upgrade(runtime.engine)
    with unit_of_work(runtime.sessions) as session:
        org = organizations.create(
            session, data=OrganizationCreate(name="Bench Academy", slug="bench-signed")
        )
        _key, token = apikeys.create(
            session, organization_id=org.id, name="bench", scopes=[Scope.ADMIN]
        )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(settings, port, args.processes, args.threads)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        wait_up(base, server, data_dir / "serve.log")
        with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
            award_on_completion(client.request)
            done: dict[str, float] = {}
            started = time.monotonic()
            sender = threading.Thread(target=send_all, args=(client, args.awards, done))
            sender.start()
            signed, last_report = 0, started
            while signed < args.awards and time.monotonic() - started < args.timeout:
                time.sleep(POLL_SECONDS)
                signed = signed_count(runtime)
                if time.monotonic() - last_report >= 10:
                    last_report = time.monotonic()
                    print(f"  {last_report - started:6.0f} s: {signed:,} signed", flush=True)
                if server.poll() is not None:
                    raise SystemExit("plaudit serve exited")
            finished = time.monotonic()
            sender.join()
            sample = retrievable(client, base, args.awards)
        elapsed = finished - started
        intake = done["sent"] - started
        print(
            f"PostgreSQL + Redis, `plaudit serve --workers {args.processes}` with "
            f"{args.threads} job threads each, {args.awards:,} awards (no emails):\n"
            f"  events taken in                  {intake:7.1f} s  ({args.awards / intake:,.0f}/s,"
            f" batches of {BATCH})\n"
            f"  first event sent -> all signed   {elapsed:7.1f} s  "
            f"({signed / elapsed:,.0f} signed awards/s; {signed:,}/{args.awards:,} signed)\n"
            f"  retrievable with a proof         {sample}/{SAMPLE} sampled public documents",
            flush=True,
        )
    finally:
        server.terminate()
        server.wait(timeout=60)
        runtime.close()
        queue = redis.Redis.from_url(REDIS_URL)
        if keys := queue.keys(f"{settings.queue_name}*"):
            queue.delete(*keys)


if __name__ == "__main__":
    main()

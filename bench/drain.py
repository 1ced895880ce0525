"""Benchmark: how long real `plaudit worker` processes take to drain a backlog of 20,000 awards
(each a credential to sign and an award email to send), on PostgreSQL and Redis.

The backlog is built first, in this process, through the API (a TestClient that only enqueues
on Redis): an organization, a published badge, a rule awarding it on `course.completed`, then
one completion per learner in batches of 1000. The workers are started only then, with
production settings (delivery retries and recovery at their defaults), and send to a local
SMTP server that counts what it receives. Prints how long building took, and how long the
workers took until every credential was signed and every award email delivered.
Run: .venv/bin/python bench/drain.py --awards 20000 --processes 2 --workers-per-process 2
With --signing-only the learners have no email: the drain is the signing alone (the backlog of
100,000 awards of issue 21: --awards 100000 --signing-only).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from _shared import free_port, fresh_postgres
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from plaudit import jobs, migrate
from plaudit.apikeys import service as apikeys
from plaudit.app import create_app
from plaudit.config import Settings
from plaudit.db import create_db_engine, unit_of_work
from plaudit.models.apikey import Scope
from plaudit.models.award import Credential
from plaudit.models.delivery import Channel, MessageStatus, OutboxMessage
from plaudit.organizations import service as organizations
from plaudit.organizations.schemas import OrganizationCreate
from plaudit.runtime import Runtime
from plaudit.vault import new_master_key

REDIS_URL = os.environ.get("PLAUDIT_BENCH_REDIS", "redis://127.0.0.1:6379/14")
DATABASE = "plaudit_bench_drain"
BATCH = 1000  # the most events one POST /api/v1/events/batch takes
POLL_SECONDS = 0.25
PROGRESS_SECONDS = 10.0


def redis_available() -> bool:
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as exc:
        print(f"Redis at {REDIS_URL} unavailable ({type(exc).__name__}); nothing measured")
        return False
    return True


class Sink:
    """The SMTP server's handler: accepts every message and counts it."""

    count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        Sink.count += 1
        return "250 OK"


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (30, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def award_on_completion(request: Callable[..., Any], headers: dict[str, str] | None = None) -> str:
    """A published badge and an active rule awarding it on `course.completed`, made through the
    API with ``request`` (an HTTP client's); the template's id."""

    def call(method: str, path: str, expected: int, **kwargs: Any) -> dict[str, Any]:
        response = request(method, path, headers=headers or {}, **kwargs)
        if response.status_code != expected:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        return dict(response.json())

    template = call(
        "POST",
        "/api/v1/templates",
        201,
        json={
            "kind": "badge",
            "name": "Course Finisher",
            "description": "Awarded for completing the course.",
            "criteria": {"narrative": "Complete the course."},
            "language": "en",
            "translations": [],
            "tags": [],
        },
    )
    template_id = str(template["id"])
    image = {"image": ("badge.png", png(), "image/png")}
    call("PUT", f"/api/v1/templates/{template_id}/image", 200, files=image)
    call("POST", f"/api/v1/templates/{template_id}/publish", 200)
    call(
        "POST",
        "/api/v1/rules",
        201,
        json={
            "name": "Award Course Finisher",
            "status": "active",
            "trigger": {"event_types": ["course.completed"]},
            "actions": [{"type": "award", "template_id": template_id}],
        },
    )
    return template_id


def completions(start: int, stop: int, *, emails: bool = False) -> list[dict[str, Any]]:
    """One `course.completed` per learner numbered start..stop-1 (with an email: an award email)."""
    return [
        {
            "id": f"completion-{n}",
            "type": "course.completed",
            "occurred_at": "2026-03-01T09:00:00+00:00",
            "learner": {"id": f"learner-{n}", "first_name": "Learner", "last_name": f"Number {n}"}
            | ({"email": f"learner{n}@example.org"} if emails else {}),
            "entity": {"type": "course", "id": "c-1", "title": "The Course"},
            "data": {},
        }
        for n in range(start, stop)
    ]


def build_backlog(
    settings: Settings, runtime: Runtime, awards: int, *, emails: bool = True
) -> None:
    """One organization, one published badge awarded on `course.completed`, and one
    completion for each of ``awards`` learners (each with an email, if ``emails``)."""
    with unit_of_work(runtime.sessions) as session:
        org = organizations.create(
            session, data=OrganizationCreate(name="Bench Academy", slug="bench-drain")
        )
        _key, token = apikeys.create(
            session, organization_id=org.id, name="bench", scopes=[Scope.ADMIN]
        )
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(settings, runtime=runtime)) as client:
        award_on_completion(client.request, headers)
        for start in range(0, awards, BATCH):
            events = completions(start, min(start + BATCH, awards), emails=emails)
            response = client.post("/api/v1/events/batch", headers=headers, json={"events": events})
            if response.status_code != 200:
                raise RuntimeError(f"events/batch: {response.status_code} {response.text}")


@dataclass
class Counts:
    credentials: int
    signed: int
    emails: int
    delivered: int
    queued: int


def counts(runtime: Runtime) -> Counts:
    with unit_of_work(runtime.read_sessions) as session:

        def count(query: Any) -> int:
            return int(session.scalar(query) or 0)

        credentials = count(select(func.count()).select_from(Credential))
        signed = count(
            select(func.count()).select_from(Credential).where(Credential.signed_at.is_not(None))
        )
        email = select(func.count()).where(OutboxMessage.channel == Channel.EMAIL)
        emails = count(email)
        delivered = count(email.where(OutboxMessage.status == MessageStatus.DELIVERED))
    return Counts(credentials, signed, emails, delivered, int(jobs.queue.pending_count()))


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 30) -> str:
        try:
            with self.log.open(encoding="utf-8", errors="replace") as stream:
                return "".join(deque(stream, maxlen=lines))
        except OSError as exc:
            return f"(no output: {exc})"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_workers(settings: Settings, processes: int, threads: int) -> list[Worker]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PLAUDIT_")},
        "PLAUDIT_DATABASE_URL": settings.resolved_database_url,
        "PLAUDIT_QUEUE_URL": settings.resolved_queue_url,
        "PLAUDIT_QUEUE_NAME": settings.queue_name,
        "PLAUDIT_MASTER_KEY": settings.master_key or "",
        "PLAUDIT_DATA_DIR": str(settings.data_dir),  # the files the API stored, as if shared
        "PLAUDIT_PUBLIC_BASE_URL": settings.public_base_url,
        "PLAUDIT_SMTP_HOST": settings.smtp_host or "",
        "PLAUDIT_SMTP_PORT": str(settings.smtp_port),
        "PLAUDIT_SMTP_SECURITY": settings.smtp_security,
    }
    workers = []
    for n in range(processes):
        log = settings.data_dir / f"worker-{n}.log"
        with log.open("wb") as out:  # a file, not a pipe: a full pipe would stall the worker
            process = subprocess.Popen(
                [sys.executable, "-m", "plaudit", "worker", "--workers", str(threads)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        workers.append(Worker(process, log))
    return workers


def at(seconds: float | None) -> str:
    return "not reached" if seconds is None else f"{seconds:7.1f} s"


def rate(n: int, seconds: float | None) -> str:
    if seconds is None:
        return at(seconds)
    return f"{at(seconds)}  ({n / seconds:,.1f}/s)"


def drain(
    settings: Settings,
    runtime: Runtime,
    awards: int,
    processes: int,
    threads: int,
    timeout: float,
    *,
    emails: bool = True,
) -> bool:
    workers: list[Worker] = []
    first_signed = all_signed = first_sent = all_sent = None
    peak_queue = 0
    last = counts(runtime)
    try:
        started = time.monotonic()
        workers = start_workers(settings, processes, threads)
        next_progress = started + PROGRESS_SECONDS
        died: list[Worker] = []
        while time.monotonic() - started < timeout:
            time.sleep(POLL_SECONDS)
            last = counts(runtime)
            now = time.monotonic() - started
            peak_queue = max(peak_queue, last.queued)
            if first_signed is None and last.signed:
                first_signed = now
            if all_signed is None and last.signed >= awards:
                all_signed = now
            if first_sent is None and last.delivered:
                first_sent = now
            if all_sent is None and (
                not emails or (last.delivered >= awards and Sink.count >= awards)
            ):
                all_sent = now
            if time.monotonic() >= next_progress:
                next_progress += PROGRESS_SECONDS
                print(
                    f"  {now:6.0f} s: {last.signed:,} signed, {last.delivered:,} emails "
                    f"delivered ({Sink.count:,} received), {last.queued:,} jobs queued",
                    flush=True,
                )
            died = [w for w in workers if w.process.poll() is not None]
            if (all_signed is not None and all_sent is not None) or died:
                break
        ended = time.monotonic() - started
    finally:
        for worker in workers:
            worker.stop()
    # Once they have stopped: an email received but not recorded is then a duplicate to come
    # (sent, its record lost), not one on its way.
    last = counts(runtime)
    ok = all_signed is not None and all_sent is not None and not died
    duplicates = Sink.count - last.delivered
    sent = (
        f"  until the first email was delivered    {at(first_sent)}\n"
        f"  until every award email was delivered  {rate(awards, all_sent)}\n"
        if emails
        else ""
    )
    print(
        f"  until the first credential was signed  {at(first_signed)}\n"
        f"  until every credential was signed      {rate(awards, all_signed)}\n"
        f"{sent}"
        f"  peak queue length (Redis, polled every {POLL_SECONDS} s): {peak_queue:,} jobs\n"
        f"  at the end: {last.signed:,}/{last.credentials:,} signed, "
        f"{last.delivered:,}/{last.emails:,} emails delivered, {Sink.count:,} received by "
        f"SMTP{f' ({duplicates:,} sent but not recorded)' if duplicates > 0 else ''}",
        flush=True,
    )
    if not ok:
        reason = (
            f"worker process(es) {', '.join(str(w.process.pid) for w in died)} exited"
            if died
            else f"not drained after {ended:.0f} s (--timeout {timeout:.0f})"
        )
        print(f"FAILED: {reason}. The workers' last output:")
        for n, worker in enumerate(workers):
            print(f"--- worker {n} (pid {worker.process.pid}, exit {worker.process.returncode})")
            print(worker.tail(), end="", flush=True)
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--awards", type=int, default=20_000, help="learners, one award each")
    parser.add_argument("--processes", type=int, default=2, help="`plaudit worker` processes")
    parser.add_argument(
        "--workers-per-process", type=int, default=2, help="job threads of each (--workers)"
    )
    parser.add_argument("--timeout", type=float, default=1800, help="seconds the drain may take")
    parser.add_argument(
        "--signing-only", action="store_true", help="learners without email: signing alone"
    )
    args = parser.parse_args()
    if not redis_available():
        return
    url = fresh_postgres(DATABASE)
    if url is None:
        return
    smtp_port = free_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    data_dir = Path(tempfile.mkdtemp(prefix="plaudit-bench-drain-"))
    settings = Settings.model_validate(
        {
            "data_dir": data_dir,
            "database_url": url,
            "queue_url": REDIS_URL,
            "queue_name": f"plaudit-bench-drain-{uuid.uuid4().hex[:8]}",
            "master_key": new_master_key(),
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_port,
            "smtp_security": "none",
        }
    )
    runtime = Runtime(settings=settings, engine=create_db_engine(url))
    ok = False
    try:
        migrate.upgrade(runtime.engine)
        started = time.perf_counter()
        emails = not args.signing_only
        build_backlog(settings, runtime, args.awards, emails=emails)
        built = time.perf_counter() - started
        backlog = counts(runtime)
        threads = args.processes * args.workers_per_process
        print(
            f"PostgreSQL + Redis, {args.awards:,} awards "
            f"{'with award emails' if emails else 'without emails (signing only)'}:\n"
            f"  backlog built in {built:.1f} s ({args.awards / built:,.0f} events/s, in "
            f"batches of {BATCH}, not part of the drain): {backlog.credentials:,} credentials "
            f"({backlog.signed:,} signed), {backlog.emails:,} award emails, "
            f"{backlog.queued:,} jobs queued\n"
            f"  drained by {args.processes} `plaudit worker --workers "
            f"{args.workers_per_process}` processes: {args.processes} x "
            f"{args.workers_per_process} job threads = {threads} threads in all",
            flush=True,
        )
        ok = drain(
            settings,
            runtime,
            args.awards,
            args.processes,
            args.workers_per_process,
            args.timeout,
            emails=emails,
        )
    finally:
        jobs.queue.flush()
        controller.stop()
        runtime.close()
    if not ok:
        sys.exit(f"the workers' logs are kept in {data_dir}")
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PLAUDIT_LOG_LEVEL", "WARNING")
    main()

"""Benchmark: learning events through the batch endpoint into awards, on SQLite and PostgreSQL.

Starts a real `plaudit serve` per database, loads the demo organization (its templates and rules:
a ONCE score rule, an ALWAYS quiz rule and a three-courses-in-any-order rule), then sends batches
of 1,000 events and times single events. Prints events/s, awards/s and latency percentiles.
Run: make bench   (or .venv/bin/python bench/events.py --events 20000)
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2 as httpx
from _shared import free_port, fresh_postgres

COURSES = ["safety-101", "first-aid-102", "fire-drill-103"]


def stream(count: int, offset: int = 0) -> list[dict[str, Any]]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    events = []
    for n in range(offset, offset + count):
        learner = n // 4  # four events per learner: three courses and a quiz
        step = n % 4
        base = {
            "learner": {
                "id": f"bench-{learner}",
                "email": f"bench-{learner}@example.org",
                "first_name": "Bench",
                "last_name": str(learner),
            },
            "occurred_at": (start + timedelta(seconds=n)).isoformat(),
        }
        if step < 3:
            events.append(
                {
                    **base,
                    "id": f"ev-{n}",
                    "type": "course.completed",
                    "entity": {"type": "course", "id": COURSES[step], "title": COURSES[step]},
                    "data": {"score": 60 + (n * 13) % 40},
                }
            )
        else:
            events.append(
                {
                    **base,
                    "id": f"ev-{n}",
                    "type": "quiz.submitted",
                    "entity": {"type": "quiz", "id": "q"},
                    "data": {"score": 70 + n % 30},
                }
            )
    return events


def run(label: str, database_url: str | None, total: int, singles: int) -> None:
    data_dir = tempfile.mkdtemp(prefix="plaudit-bench-")
    env = {**os.environ, "PLAUDIT_DATA_DIR": data_dir, "PLAUDIT_LOG_LEVEL": "WARNING"}
    if database_url:
        env["PLAUDIT_DATABASE_URL"] = database_url
        env["PLAUDIT_MASTER_KEY"] = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
    plaudit = [sys.executable, "-m", "plaudit"]
    if database_url:
        subprocess.run([*plaudit, "db", "upgrade"], env=env, check=True, capture_output=True)
    demo = subprocess.run([*plaudit, "demo"], env=env, capture_output=True, text=True, check=True)
    token = re.search(r"plaudit_[A-Za-z0-9_\-]+", demo.stdout)
    assert token, demo.stdout
    port = free_port()
    server = subprocess.Popen(
        [*plaudit, "serve", "--port", str(port), "--no-jobs"], env=env, stderr=subprocess.DEVNULL
    )
    headers = {"Authorization": f"Bearer {token.group(0)}"}
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=120
        ) as client:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    if client.get("/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            events = stream(total)
            awarded = 0
            started = time.perf_counter()
            for i in range(0, total, 1000):
                response = client.post(
                    "/api/v1/events/batch", json={"events": events[i : i + 1000]}
                )
                assert response.status_code == 200, response.text
                body = response.json()
                assert body["processed"] == len(events[i : i + 1000]), body
                awarded += body["awarded"]
            elapsed = time.perf_counter() - started
            latencies = []
            for event in stream(singles, offset=total):
                t0 = time.perf_counter()
                response = client.post("/api/v1/events", json=event)
                latencies.append(time.perf_counter() - t0)
                assert response.status_code == 201, response.text
    finally:
        server.terminate()
        server.wait(timeout=30)
    q = statistics.quantiles(latencies, n=100)
    print(
        f"{label}: {total} events in {elapsed:.2f}s -> {total / elapsed:,.0f} events/s, "
        f"{awarded} awards ({awarded / elapsed:,.0f} awards/s)"
    )
    print(
        f"{label}: single event latency ms p50 {q[49] * 1000:.1f}  p95 {q[94] * 1000:.1f}  "
        f"p99 {q[98] * 1000:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--singles", type=int, default=200)
    parser.add_argument(
        "--database", default="plaudit_bench", help="PostgreSQL database to drop and create"
    )
    args = parser.parse_args()
    print("command:", " ".join([os.path.relpath(sys.executable), *sys.argv]))
    run("sqlite", None, args.events, args.singles)
    url = fresh_postgres(args.database)
    if url:
        run("postgresql", url, args.events, args.singles)


if __name__ == "__main__":
    main()

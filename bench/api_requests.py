"""Benchmark: authenticated API reads through a real `plaudit serve` (uvicorn, SQLite).

Prints requests per second and latency percentiles. Not part of the test suite's pass/fail.
Run: make bench   (or .venv/bin/python bench/api_requests.py --requests 2000 --concurrency 16)
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
from concurrent.futures import ThreadPoolExecutor

import httpx2 as httpx
from _shared import free_port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="plaudit-bench-")
    env = {**os.environ, "PLAUDIT_DATA_DIR": data_dir, "PLAUDIT_LOG_LEVEL": "WARNING"}
    plaudit = [sys.executable, "-m", "plaudit"]
    demo = subprocess.run([*plaudit, "demo"], env=env, capture_output=True, text=True, check=True)
    token = re.search(r"plaudit_[A-Za-z0-9_\-]+", demo.stdout)
    assert token, demo.stdout
    port = free_port()
    server = subprocess.Popen(
        [*plaudit, "serve", "--port", str(port)], env=env, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token.group(0)}"}
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)

        def worker(count: int) -> list[float]:
            timings = []
            with httpx.Client(base_url=base, headers=headers) as client:
                for _ in range(count):
                    start = time.perf_counter()
                    response = client.get("/api/v1/organization")
                    timings.append(time.perf_counter() - start)
                    assert response.status_code == 200, response.text
            return timings

        per_worker = args.requests // args.concurrency
        started = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            results = list(pool.map(worker, [per_worker] * args.concurrency))
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=20)

    latencies = sorted(t for chunk in results for t in chunk)
    quantiles = statistics.quantiles(latencies, n=100)
    print(f"GET /api/v1/organization (SQLite, 1 uvicorn process, {args.concurrency} clients)")
    print(f"  requests: {len(latencies)}  throughput: {len(latencies) / elapsed:,.0f} req/s")
    print(
        f"  latency ms: p50 {quantiles[49] * 1000:.1f}  p95 {quantiles[94] * 1000:.1f}  "
        f"p99 {quantiles[98] * 1000:.1f}"
    )


if __name__ == "__main__":
    main()

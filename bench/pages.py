"""Benchmark: public credential pages served by a real `plaudit serve` under wrk.

Starts the demo (SQLite), waits for a signed credential, then loads its verification page as a
browser asks for it (Accept: text/html), with wrk (Debian package `wrk`; `make bench` installs
it) at several concurrencies, served by one process and by two (`plaudit serve --workers 2`).
Prints requests per second and latency percentiles.
Run: make bench   (or .venv/bin/python bench/pages.py --seconds 10 --processes 1 2)
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import httpx2 as httpx
from _shared import free_port

HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def signed_credential(base: str, token: str) -> str:
    """The public id of a demo credential once the in-process job has signed it."""
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + 120  # spawning two processes on a loaded machine is slow
    while time.monotonic() < deadline:
        try:
            found = httpx.get(f"{base}/api/v1/credentials?limit=5", headers=headers)
        except httpx.TransportError:
            time.sleep(0.2)
            continue
        for item in found.json().get("items", []) if found.status_code == 200 else []:
            page = httpx.get(f"{base}/credentials/{item['public_id']}", headers={"Accept": HTML})
            if "Valid credential" in page.text:
                return str(item["public_id"])
        time.sleep(0.3)
    raise SystemExit("no signed credential appeared within two minutes")


def run_wrk(url: str, *, connections: int, seconds: int, threads: int) -> str:
    result = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-H",
            f"Accept: {HTML}",
            "-H",
            "Accept-Language: en-GB,en;q=0.8",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def summary(output: str) -> str:
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    percentiles = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", output, re.MULTILINE))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return (
        f"{float(rate.group(1)) if rate else 0:>8,.0f} req/s   latency p50 {percentiles.get('50')}"
        f"  p90 {percentiles.get('90')}  p99 {percentiles.get('99')}"
        f"   non-2xx: {errors.group(1) if errors else 0}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, nargs="+", default=[8, 32, 64])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `make bench` installs it (apt, as root or sudo)")

    data_dir = tempfile.mkdtemp(prefix="plaudit-bench-")
    env = {**os.environ, "PLAUDIT_DATA_DIR": data_dir, "PLAUDIT_LOG_LEVEL": "WARNING"}
    plaudit = [sys.executable, "-m", "plaudit"]
    demo = subprocess.run([*plaudit, "demo"], env=env, capture_output=True, text=True, check=True)
    token = re.search(r"plaudit_[A-Za-z0-9_\-]+", demo.stdout)
    assert token, demo.stdout
    for processes in args.processes:
        for cache_seconds, label in (("10", "page cache on (default)"), ("0", "page cache off")):
            cached = {**env, "PLAUDIT_PAGE_CACHE_SECONDS": cache_seconds}
            serve(cached, token.group(0), label, args, processes)


def serve(
    env: dict[str, str], token: str, label: str, args: argparse.Namespace, processes: int
) -> None:
    plaudit = [sys.executable, "-m", "plaudit"]
    port = free_port()
    server = subprocess.Popen(
        [*plaudit, "serve", "--port", str(port), "--workers", str(processes)],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        public_id = signed_credential(base, token)
        url = f"{base}/credentials/{public_id}"
        print(
            f"GET /credentials/{{id}} as a browser, {label} (SQLite, `plaudit serve --workers "
            f"{processes}`, wrk -t1)"
        )
        run_wrk(url, connections=8, seconds=2, threads=1)  # warm up
        for connections in args.connections:
            output = run_wrk(url, connections=connections, seconds=args.seconds, threads=1)
            print(f"  {connections:>3} connections: {summary(output)}")
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()

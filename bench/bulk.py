"""Benchmark: bulk issuance of a 100,000-row CSV, until every credential is signed.

For SQLite (a file) and PostgreSQL (a fresh database), each in its own process: loads the demo
organization, writes the CSV, previews it, then applies it in-process (as `plaudit issue --csv
--apply` does) while `plaudit worker` processes sign the credentials from the job queue.
Prints the wall time of the preview, of the apply (rows inserted) and until all are signed,
and the peak RSS of the applying process and of the largest worker.
Run: make bench   (or .venv/bin/python bench/bulk.py --rows 100000 --workers 2)
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _shared import fresh_postgres
from sqlalchemy import func, select

MASTER_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="


def write_csv(path: Path, rows: int, template: str) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("email,first_name,last_name,template,issue_date,evidence_url,narrative\n")
        for n in range(rows):
            out.write(
                f"learner{n}@example.org,Learner,Number {n},{template},"
                f"20{20 + n % 5}-{1 + n % 12:02d}-{1 + n % 28:02d},"
                f"https://lms.example.org/transcripts/{n},Completed the 2020-2024 programme\n"
            )


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def worker_peak_mb(pid: int) -> float:
    # VmHWM: the process's own high-water mark (ru_maxrss of a child would start from the
    # parent's size at fork).
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(label: str, database_url: str | None, rows: int, workers: int, notify: bool) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="plaudit-bench-bulk-"))
    os.environ.update(
        PLAUDIT_DATA_DIR=str(data_dir), PLAUDIT_MASTER_KEY=MASTER_KEY, PLAUDIT_LOG_LEVEL="WARNING"
    )
    if database_url:
        os.environ["PLAUDIT_DATABASE_URL"] = database_url

    from plaudit import jobs, migrate
    from plaudit.bulk import service as bulk
    from plaudit.bulk import tasks as bulk_tasks
    from plaudit.config import get_settings
    from plaudit.db import unit_of_work
    from plaudit.demo import load_demo
    from plaudit.models.award import Credential
    from plaudit.models.organization import Organization
    from plaudit.models.template import Template, TemplateKind, TemplateStatus
    from plaudit.runtime import build_runtime

    settings = get_settings()
    runtime = build_runtime(settings)
    migrate.upgrade(runtime.engine)
    jobs.configure(settings, runtime)
    with unit_of_work(runtime.sessions) as session:
        load_demo(session, runtime.files)
        organization_id = session.scalars(
            select(Organization.id).where(Organization.slug == "demo")
        ).one()
        template = session.scalars(
            select(Template.name).where(
                Template.organization_id == organization_id,
                Template.status == TemplateStatus.PUBLISHED,
                Template.kind == TemplateKind.BADGE,
            )
        ).first()
    assert template is not None
    path = data_dir / "bulk.csv"
    write_csv(path, rows, template)
    size_mb = path.stat().st_size / 1_048_576

    signers = [
        subprocess.Popen(
            [sys.executable, "-m", "plaudit", "worker", "--workers", "1"],
            env=os.environ.copy(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    try:
        started = time.perf_counter()
        with unit_of_work(runtime.read_sessions) as session, path.open("rb") as stream:
            report = bulk.preview(session, organization_id=organization_id, stream=stream)
        previewed = time.perf_counter() - started
        assert report.error_count == 0 and report.to_issue == rows, report.errors[:3]

        started = time.perf_counter()
        with unit_of_work(runtime.sessions) as session, path.open("rb") as stream:
            job, _ = bulk.start(
                session,
                runtime.files,
                organization_id=organization_id,
                stream=stream,
                filename=path.name,
                notify=notify,
            )
            bulk_id = job.id
        done = bulk_tasks.run(runtime, bulk_id)
        applied = time.perf_counter() - started
        assert done is not None and done.issued == rows, done

        signed = 0
        while signed < rows:
            time.sleep(0.25)
            with unit_of_work(runtime.read_sessions) as session:
                signed = (
                    session.scalar(
                        select(func.count())
                        .select_from(Credential)
                        .where(
                            Credential.organization_id == organization_id,
                            Credential.signed_at.is_not(None),
                        )
                    )
                    or 0
                )
        all_signed = time.perf_counter() - started
        workers_peak = max(worker_peak_mb(worker.pid) for worker in signers)
    finally:
        for worker in signers:
            worker.terminate()
        for worker in signers:
            worker.wait(timeout=60)
    again_started = time.perf_counter()
    with unit_of_work(runtime.sessions) as session, path.open("rb") as stream:
        again, new = bulk.start(
            session,
            runtime.files,
            organization_id=organization_id,
            stream=stream,
            filename=path.name,
        )
    assert again.id == bulk_id and not new
    again_seconds = time.perf_counter() - again_started
    print(
        f"{label:<10} {rows:,} rows ({size_mb:.1f} MB), notify={notify}, "
        f"{workers} signing worker(s):\n"
        f"  preview                {previewed:7.1f} s  ({rows / previewed:,.0f} rows/s)\n"
        f"  apply (rows inserted)  {applied:7.1f} s  ({rows / applied:,.0f} rows/s)\n"
        f"  until all signed       {all_signed:7.1f} s  ({rows / all_signed:,.0f} credentials/s)\n"
        f"  same file again        {again_seconds:7.2f} s  (its job returned, nothing issued)\n"
        f"  peak RSS: applying process {peak_mb():.0f} MB, largest worker {workers_peak:.0f} MB",
        flush=True,
    )
    runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2, help="signing worker processes")
    parser.add_argument("--notify", action="store_true", help="record emails and webhooks too")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--child", nargs=2, metavar=("LABEL", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        label, url = args.child
        child(label, url or None, args.rows, args.workers, args.notify)
        return
    targets: list[tuple[str, str | None]] = []
    if args.only in (None, "sqlite"):
        targets.append(("SQLite", ""))
    if args.only in (None, "postgresql"):
        url = fresh_postgres("plaudit_bench_bulk")
        if url:
            targets.append(("PostgreSQL", url))
    for label, url in targets:
        # Its own process: each database's peak memory is measured alone.
        command = [sys.executable, __file__, "--rows", str(args.rows)]
        command += ["--workers", str(args.workers), "--child", label, url or ""]
        if args.notify:
            command.append("--notify")
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()

"""Jobs of rules: run backfills to completion, chunk by chunk, resumable after a crash."""

from __future__ import annotations

import logging
import uuid

from huey import crontab
from huey.exceptions import TaskLockedException
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from plaudit import jobs
from plaudit.automations import backfill as backfills
from plaudit.db import unit_of_work
from plaudit.models.rule import Backfill, BackfillStatus
from plaudit.runtime import Runtime

log = logging.getLogger(__name__)


@jobs.task(retries=3, retry_delay=5)
def run_backfill(backfill_id: str) -> None:
    """Each chunk commits its awards and progress together; a rerun continues from the cursor,
    and the award constraints make a chunk replayed after a crash award nothing twice."""
    rt = jobs.runtime()
    ident = uuid.UUID(backfill_id)
    try:
        with jobs.queue.lock_task(f"backfill-{backfill_id}"):
            _run(rt, ident)
    except TaskLockedException:
        log.info("backfill %s is already running elsewhere", backfill_id)


def _run(rt: Runtime, ident: uuid.UUID) -> None:
    while True:
        try:
            with unit_of_work(rt.sessions) as session:
                done = backfills.run_chunk(session, backfill_id=ident)
        except IntegrityError:
            log.info("backfill %s chunk raced with live events; retrying", ident)
            continue
        if done:
            return


@jobs.periodic(crontab(minute="*"))
def resume_backfills() -> None:
    """A backfill whose worker died is picked up again (the lock keeps it to one runner)."""
    rt = jobs.runtime()
    with unit_of_work(rt.read_sessions) as session:
        ids = session.scalars(
            select(Backfill.id).where(
                Backfill.status.in_([BackfillStatus.PENDING, BackfillStatus.RUNNING])
            )
        ).all()
    for ident in ids:
        run_backfill(str(ident))

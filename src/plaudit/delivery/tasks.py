"""Delivery jobs: send what was recorded, retry on schedule, sweep up anything left behind."""

from __future__ import annotations

import logging
import uuid

from huey import crontab

from plaudit import jobs
from plaudit.db import unit_of_work, utcnow
from plaudit.delivery import engine

log = logging.getLogger(__name__)


@jobs.task(retries=2, retry_delay=30)
def deliver(message_ids: list[str]) -> None:
    rt = jobs.runtime()
    for ident in message_ids:
        engine.deliver_one(rt, uuid.UUID(ident))


def deliver_later(message_id: str, delay: float) -> None:
    """Attempt the message after ``delay`` seconds (the sweep catches it if this is lost)."""
    if delay <= 0:
        deliver([message_id])
    else:
        deliver.schedule(args=([message_id],), delay=delay)


@jobs.periodic(crontab(minute="*"))
def sweep_outbox() -> None:
    """Every minute: what is due and not on its way (a crash between commit and enqueue, a
    worker killed mid-send whose lease lapsed, retries whose scheduled job was lost)."""
    sweep()


@jobs.task(retries=1, retry_delay=5)
def sweep() -> None:
    rt = jobs.runtime()
    while engine.run_due(rt, limit=200) == 200:
        pass
    # A lease held by a worker that died lapses before the next minute's sweep: come back then.
    with unit_of_work(rt.read_sessions) as session:
        upcoming = engine.next_due(session)
    if upcoming is not None:
        wait = (upcoming - utcnow()).total_seconds()
        if 0 < wait < 60:
            sweep.schedule(delay=wait + 0.05)

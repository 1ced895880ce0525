"""Delivery jobs: send what was recorded, retry on schedule, recover anything left behind."""

from __future__ import annotations

import logging
import uuid

from plaudit import jobs
from plaudit.db import unit_of_work, utcnow
from plaudit.delivery import engine
from plaudit.runtime import Runtime

log = logging.getLogger(__name__)

# A recovery pass queues at most this many due messages (the next pass takes the rest), in
# jobs of CHUNK: other work (signing above all) runs between them, so no pass can hold the
# workers, however many messages are due.
RECOVERY_LIMIT = 2000
CHUNK = 50


@jobs.task(retries=2, retry_delay=30)
def deliver(message_ids: list[str]) -> None:
    rt = jobs.runtime()
    for ident in message_ids:
        engine.deliver_one(rt, uuid.UUID(ident))


def deliver_later(message_id: str, delay: float) -> None:
    """Attempt the message after ``delay`` seconds (recovery catches it if this is lost)."""
    if delay <= 0:
        deliver([message_id])
    else:
        deliver.schedule(args=([message_id],), delay=delay)


@jobs.recovery
def requeue_due_messages(rt: Runtime) -> int:
    """What is due and not on its way: a crash between commit and enqueue, a worker killed
    mid-send whose lease lapsed, a retry whose scheduled job was lost. Sending is claimed
    message by message, so a message queued twice is still sent once."""
    with unit_of_work(rt.read_sessions) as session:
        ids = engine.due(session, now=utcnow(), limit=RECOVERY_LIMIT)
    for start in range(0, len(ids), CHUNK):
        deliver([str(i) for i in ids[start : start + CHUNK]])
    if ids:
        log.info("recovery: queued %d due messages", len(ids))
    return len(ids)

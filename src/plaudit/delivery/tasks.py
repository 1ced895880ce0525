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
# A message queued again and still due waits longer each time before it is queued once more.
_requeued = jobs.Backoff()


@jobs.task(retries=2, retry_delay=30)
def deliver(message_ids: list[str]) -> None:
    """Attempt each message that is due. What is not due (sent already, or waiting) is left
    out in one query: a job queued twice costs a query, not a claim per message."""
    rt = jobs.runtime()
    wanted = [uuid.UUID(i) for i in message_ids]
    if len(wanted) > 1:
        with unit_of_work(rt.read_sessions) as session:
            due = set(engine.due(session, now=utcnow(), limit=len(wanted), among=wanted))
        wanted = [i for i in wanted if i in due]
    for ident in wanted:
        engine.deliver_one(rt, ident)


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
    message by message, so a message queued twice is still sent once; one that stays due (its
    job waits behind a backlog) is queued again after 2, 4, 8... times the grace."""
    with unit_of_work(rt.read_sessions) as session:
        found = engine.due(session, now=utcnow(), limit=RECOVERY_LIMIT)
    ids = _requeued.due(found, first_wait=rt.settings.recovery_grace_seconds)
    for start in range(0, len(ids), CHUNK):
        deliver([str(i) for i in ids[start : start + CHUNK]])
    if ids:
        log.info("recovery: queued %d due messages", len(ids))
    return len(ids)

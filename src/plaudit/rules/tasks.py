"""Jobs of rules: run backfills to completion, chunk by chunk, resumable after a crash.

One runner at a time holds the backfill's lease and renews it with every chunk it commits; a
runner killed mid-backfill stops renewing, and recovery hands the backfill to another runner
once the lease lapses (``PLAUDIT_LEASE_SECONDS``)."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from plaudit import jobs, leases
from plaudit.db import unit_of_work
from plaudit.models.rule import Backfill, BackfillStatus
from plaudit.rules import backfill as backfills
from plaudit.runtime import Runtime

log = logging.getLogger(__name__)


@jobs.task(retries=3, retry_delay=5)
def run_backfill(backfill_id: str) -> None:
    """Each chunk commits its awards and progress together; a rerun continues from the cursor,
    and the award constraints make a chunk replayed after a crash award nothing twice."""
    rt = jobs.runtime()
    name, holder, ttl = f"backfill:{backfill_id}", leases.new_holder(), rt.settings.lease_seconds
    try:
        with unit_of_work(rt.sessions) as session:
            leases.acquire(session, name, holder=holder, ttl=ttl)
    except leases.Held as held:
        log.info("backfill %s is being run elsewhere (%s)", backfill_id, held)
        return
    try:
        _run(rt, uuid.UUID(backfill_id), name=name, holder=holder, ttl=ttl)
    except leases.Lost:
        log.warning("backfill %s: lease lost to another runner; stopping here", backfill_id)
    finally:
        with unit_of_work(rt.sessions) as session:
            leases.release(session, name, holder=holder)


def _run(rt: Runtime, ident: uuid.UUID, *, name: str, holder: str, ttl: float) -> None:
    while True:
        try:
            with unit_of_work(rt.sessions) as session:
                # In the chunk's transaction: a runner that lost its lease commits nothing.
                leases.renew(session, name, holder=holder, ttl=ttl)
                done = backfills.run_chunk(session, backfill_id=ident)
        except IntegrityError:
            log.info("backfill %s chunk raced with live events; retrying", ident)
            continue
        if done:
            return


@jobs.recovery
def resume_backfills(rt: Runtime) -> None:
    """A backfill whose runner died is picked up again once its lease lapses (one whose
    runner is alive is left to it: its lease is held)."""
    with unit_of_work(rt.read_sessions) as session:
        ids = session.scalars(
            select(Backfill.id).where(
                Backfill.status.in_([BackfillStatus.PENDING, BackfillStatus.RUNNING])
            )
        ).all()
    for ident in ids:
        run_backfill(str(ident))

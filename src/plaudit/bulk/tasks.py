"""Jobs of bulk issuance: apply an uploaded file batch by batch, resumable after a crash.

One runner at a time holds the job's lease and renews it with every batch it commits; a
runner killed mid-job stops renewing, and recovery hands the job to another runner once the
lease lapses (``PLAUDIT_LEASE_SECONDS``)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from huey import crontab
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from plaudit import jobs, leases
from plaudit.bulk import service as bulk
from plaudit.bulk.parsing import BadFile
from plaudit.credentials import issuance
from plaudit.credentials import tasks as credential_tasks
from plaudit.db import unit_of_work, utcnow
from plaudit.delivery import outbox
from plaudit.models.bulk import BulkIssuance, BulkStatus
from plaudit.runtime import Runtime

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # per batch, when a concurrent writer wins a race on a unique key


@jobs.task(retries=3, retry_delay=5)
def apply_bulk(bulk_id: str) -> None:
    """Each batch commits its credentials and the job's progress together; a rerun continues
    after the last committed batch, and the rows' keys make a replayed batch issue nothing."""
    try:
        run(jobs.runtime(), uuid.UUID(bulk_id))
    except leases.Held as held:
        log.info("bulk issuance %s is being applied elsewhere (%s)", bulk_id, held)


@dataclass(frozen=True)
class _Lease:
    name: str
    holder: str
    ttl: float

    def renew(self, session: Session) -> None:
        leases.renew(session, self.name, holder=self.holder, ttl=self.ttl)


def run(
    rt: Runtime,
    bulk_id: uuid.UUID,
    *,
    on_progress: Callable[[bulk.Progress], None] | None = None,
    batch_size: int = bulk.BATCH,
) -> bulk.Progress | None:
    """Apply the job to its end, here and now (the job above, and `plaudit issue --csv`).
    Raises leases.Held when another live process is applying it."""
    lease = _Lease(f"bulk:{bulk_id}", leases.new_holder(), rt.settings.lease_seconds)
    with unit_of_work(rt.sessions) as session:
        leases.acquire(session, lease.name, holder=lease.holder, ttl=lease.ttl)
    try:
        return _run(rt, bulk_id, lease=lease, on_progress=on_progress, batch_size=batch_size)
    except leases.Lost:
        log.warning("bulk issuance %s: lease lost to another runner; stopping here", bulk_id)
        return None
    finally:
        with unit_of_work(rt.sessions) as session:
            leases.release(session, lease.name, holder=lease.holder)


def _run(
    rt: Runtime,
    bulk_id: uuid.UUID,
    *,
    lease: _Lease,
    on_progress: Callable[[bulk.Progress], None] | None = None,
    batch_size: int = bulk.BATCH,
) -> bulk.Progress | None:
    with unit_of_work(rt.sessions) as session:
        plan = bulk.begin(session, bulk_id=bulk_id)
    if plan is None:
        return None
    choices = bulk.load_choices(rt.files, file_key=plan.file_key)
    try:
        for number, batch in enumerate(bulk.batches(rt.files, plan, size=batch_size), start=1):
            if number in (2, 5, 10) or number % 25 == 0:
                with unit_of_work(rt.sessions) as session:
                    bulk.refresh_statistics(session)
            for attempt in range(1, MAX_ATTEMPTS + 1):
                try:
                    with unit_of_work(rt.sessions) as session:
                        lease.renew(session)  # in the batch's transaction: both or neither
                        progress, created = bulk.apply_batch(
                            session, bulk_id=bulk_id, batch=batch, choices=choices
                        )
                        if created:
                            jobs.enqueue(session, sign_bulk, [str(c) for c in created])
                    break
                except (IntegrityError, OperationalError):
                    # Lost a race for a new learner or a row's key (an overlapping job, events
                    # arriving): the batch runs again and skips what the winner committed.
                    if attempt == MAX_ATTEMPTS:
                        raise
                    log.info(
                        "bulk issuance %s batch raced (attempt %d); retrying", bulk_id, attempt
                    )
            if on_progress is not None:
                on_progress(progress)
    except BadFile as exc:
        with unit_of_work(rt.sessions) as session:
            bulk.fail(session, bulk_id=bulk_id, reason=str(exc))
        return None
    except bulk.Superseded:
        log.info("bulk issuance %s is being applied by another runner", bulk_id)
        return None
    with unit_of_work(rt.sessions) as session:
        return bulk.finish(session, bulk_id=bulk_id)


SIGN_CHUNK = 250  # credentials per signing step


@jobs.task(retries=5, retry_delay=10, priority=jobs.SIGNING)
def sign_bulk(credential_ids: list[str]) -> None:
    """Sign a batch's credentials as ``sign_credentials`` does, many per transaction, with no
    write lock held while computing signatures (one credential per transaction costs ~10 ms
    in commits and status-list locks: 100,000 credentials would take a quarter of an hour)."""
    rt = jobs.runtime()
    ids = [uuid.UUID(i) for i in credential_ids]
    for start in range(0, len(ids), SIGN_CHUNK):
        chunk = ids[start : start + SIGN_CHUNK]
        with unit_of_work(rt.sessions) as session:
            changed = issuance.prepare_many(session, rt, credential_ids=chunk)
            for organization_id in changed:
                # Revoked or suspended before it was signed: its bits were set just now.
                jobs.enqueue(session, credential_tasks.sign_status_lists, str(organization_id))
        with unit_of_work(rt.read_sessions) as session:
            documents = issuance.sign_many(session, rt, credential_ids=chunk)
        with unit_of_work(rt.sessions) as session:
            issuance.store_many(session, documents=documents)
            # Their award emails waited for the signatures: they go out once this commits.
            outbox.wake(session, credential_ids=list(documents))
    # Every signature above has committed: the certificates among them can be rendered.
    credential_tasks.render_certificates(credential_ids)


@jobs.recovery
def resume_bulk_issuances(rt: Runtime) -> None:
    """A job whose runner died is picked up again once its lease lapses (a job whose runner
    is alive is left to it: its lease is held)."""
    with unit_of_work(rt.read_sessions) as session:
        ids = session.scalars(
            select(BulkIssuance.id).where(
                BulkIssuance.status.in_([BulkStatus.PENDING, BulkStatus.RUNNING])
            )
        ).all()
    for ident in ids:
        apply_bulk(str(ident))


@jobs.periodic(crontab(hour="3", minute="41"))
def purge_bulk_previews() -> None:
    deleted = bulk.purge_staged(jobs.runtime().files, now=utcnow())
    if deleted:
        log.info("deleted %d bulk files checked but never issued", deleted)

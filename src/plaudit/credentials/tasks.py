"""Jobs of credentials: sign them once their award has committed; re-sign status lists.

Recovery finds credentials and status lists whose signing job was lost (a process killed
between commit and enqueue, or while it signed) and queues them again."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from sqlalchemy import or_, select

from plaudit import jobs
from plaudit.certificates import service as certificates
from plaudit.credentials import issuance
from plaudit.db import unit_of_work, utcnow
from plaudit.delivery import outbox
from plaudit.models.award import Credential
from plaudit.models.organization import Organization
from plaudit.models.status_list import StatusList
from plaudit.models.template import TemplateVersion
from plaudit.runtime import Runtime

log = logging.getLogger(__name__)


@jobs.task(retries=5, retry_delay=10, priority=jobs.SIGNING)
def sign_credentials(credential_ids: list[str]) -> None:
    """Many credentials per transaction, in three steps with no write lock held while the
    signatures are computed (issuance.prepare_many, sign_many, store_many): one transaction
    per credential cost about eleven queries and a commit each, which capped a worker at a few
    dozen signatures a second on PostgreSQL.

    A job can be queued twice (recovery cannot tell a lost job from one waiting its turn):
    preparing locks the rows, so the second finds them prepared, and storing never overwrites
    a document stored meanwhile."""
    rt = jobs.runtime()
    ids = [uuid.UUID(i) for i in credential_ids]
    signed: list[str] = []
    for start in range(0, len(ids), SIGN_STEP):
        chunk = ids[start : start + SIGN_STEP]
        with unit_of_work(rt.sessions) as session:
            changed = issuance.prepare_many(session, rt, credential_ids=chunk)
            for organization_id in changed:
                # Revoked or suspended before it was signed: its bits were set just now.
                jobs.enqueue(session, sign_status_lists, str(organization_id))
        with unit_of_work(rt.read_sessions) as session:
            documents = issuance.sign_many(session, rt, credential_ids=chunk)
        if not documents:
            continue
        with unit_of_work(rt.sessions) as session:
            issuance.store_many(session, documents=documents)
            # Their award emails waited for the signatures: they go out once this commits.
            outbox.wake(session, credential_ids=list(documents))
        signed += [str(i) for i in documents]
    if signed:
        # Every signature above has committed: the certificates among them can be rendered.
        render_certificates(signed)


@jobs.task(retries=3, retry_delay=30)
def render_certificates(credential_ids: list[str]) -> None:
    """The PDF of each certificate among them, stored once (badges have none)."""
    rt = jobs.runtime()
    with unit_of_work(rt.read_sessions) as session:
        rows = session.execute(
            select(Credential)
            .join(TemplateVersion, TemplateVersion.id == Credential.template_version_id)
            .where(
                Credential.id.in_([uuid.UUID(i) for i in credential_ids]),
                Credential.document.is_not(None),
                TemplateVersion.snapshot["kind"].as_string() == "certificate",
            )
        ).scalars()
        for credential in rows:
            certificates.ensure_pdf(session, rt, credential=credential)


@jobs.task(retries=5, retry_delay=10, priority=jobs.SIGNING)
def sign_status_lists(organization_id: str) -> None:
    """Publish the organization's lists signed at their current version (a no-op if they are)."""
    rt = jobs.runtime()
    with unit_of_work(rt.sessions) as session:
        organization = session.get(Organization, uuid.UUID(organization_id))
        if organization is None:
            return
        stale = [
            status_list
            for status_list in session.scalars(
                select(StatusList)
                .where(StatusList.organization_id == organization.id)
                .order_by(StatusList.purpose)
                .with_for_update()
            )
            if status_list.stale
        ]
        for status_list in stale:
            status_list.document = issuance.signed_status_list(
                session, rt, organization=organization, status_list=status_list
            )
            status_list.signed_version = status_list.version


# At most this many credentials are queued again per recovery pass, in jobs of SIGN_CHUNK.
RECOVERY_LIMIT = 5000
SIGN_CHUNK = 100
SIGN_STEP = 250  # credentials per transaction of sign_credentials
# In the process holding the recovery lease (another holder starts afresh: one more job each).
_requeued = jobs.Backoff()


@jobs.recovery
def requeue_unsigned(rt: Runtime) -> int:
    """Credentials still unsigned ``PLAUDIT_RECOVERY_GRACE_SECONDS`` after they were made: their
    job was lost, or waits behind a long queue (signing twice is a no-op, and cheap). One that
    stays unsigned is queued again after 2, 4, 8... times the grace, not on every pass."""
    grace = rt.settings.recovery_grace_seconds
    older_than = utcnow() - timedelta(seconds=grace)
    with unit_of_work(rt.read_sessions) as session:
        found = session.scalars(
            select(Credential.id)
            # The terms of the partial index ix_credentials_unsigned, as its predicate says.
            .where(
                Credential.signed_at.is_(None),
                Credential.imported == False,  # noqa: E712
                Credential.created_at < older_than,
            )
            .order_by(Credential.created_at)
            .limit(RECOVERY_LIMIT)
        ).all()
    ids = _requeued.due(found, first_wait=grace)
    for start in range(0, len(ids), SIGN_CHUNK):
        sign_credentials([str(i) for i in ids[start : start + SIGN_CHUNK]])
    if ids:
        log.info("recovery: queued %d unsigned credentials for signing", len(ids))
    return len(ids)


@jobs.recovery
def requeue_stale_status_lists(rt: Runtime) -> int:
    """Organizations with a status list changed since it was last signed."""
    with unit_of_work(rt.read_sessions) as session:
        organizations = session.scalars(
            select(StatusList.organization_id)
            .where(
                or_(
                    StatusList.signed_version.is_(None),
                    StatusList.version != StatusList.signed_version,
                )
            )
            .distinct()
        ).all()
    for organization_id in organizations:
        sign_status_lists(str(organization_id))
    return len(organizations)

"""After an award book wrote: tell, publish, sign, in the transaction that wrote.

Live events, backfills and bulk issuances all end here, so what follows an award is decided
in one place: the learners' emails and the webhooks (unless the caller asked for silence, as
a bulk issuance of old awards may), the revocation bits of the status lists, and the job that
signs the new credentials once the transaction commits.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from plaudit import jobs
from plaudit.awards.service import Written
from plaudit.credentials import service as credentials
from plaudit.credentials import tasks as credential_tasks
from plaudit.lifecycle import announce


def settle(
    session: Session,
    written: Written,
    *,
    notify: bool = True,
    sign: bool = True,
    sending_version: str | None = None,
) -> None:
    """``sign=False``: the caller queues its own signing job (a bulk issuance signs in
    batches). ``sending_version``: the organization's, if the caller read it in this
    transaction (plaudit.organizations.versions): who is told is then what this process keeps
    under it."""
    if notify:
        announce.issued(
            session,
            organization_id=written.organization_id,
            items=written.issued,
            sending_version=sending_version,
        )
        for credential in written.revoked:
            announce.changed(session, credential, topic="credential.revoked", occurrence="revoked")
    # Signed credentials have an index: their revocation bit is set now. Those granted in the
    # same batch have none yet; the signer sets their bit when it allocates one.
    credentials.publish(
        session, organization_id=written.organization_id, credentials=written.revoked
    )
    if sign and written.created:
        # Signing costs milliseconds per credential: a job does it once the awards are durable.
        jobs.enqueue(session, credential_tasks.sign_credentials, [str(c) for c in written.created])

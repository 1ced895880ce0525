"""Revoke, suspend and reinstate credentials, and publish the change in the status lists.

Who is told of a change is the use case's business: ``plaudit.lifecycle.status``."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from plaudit import jobs
from plaudit.credentials import changes, status_lists
from plaudit.credentials import tasks as credential_tasks
from plaudit.db import utcnow
from plaudit.errors import Conflict, InvalidInput, not_found
from plaudit.models.award import AwardGuard, Credential, CredentialStatus

MAX_REASON = 500
_ENQUEUED_KEY = "plaudit_status_lists_enqueued"

# What each status may become, and by which action.
_ALLOWED: dict[CredentialStatus, dict[str, CredentialStatus]] = {
    CredentialStatus.ACTIVE: {
        "revoke": CredentialStatus.REVOKED,
        "suspend": CredentialStatus.SUSPENDED,
    },
    CredentialStatus.SUSPENDED: {
        "revoke": CredentialStatus.REVOKED,
        "unsuspend": CredentialStatus.ACTIVE,
    },
    CredentialStatus.REVOKED: {},
}


def check_reason(reason: str) -> str:
    """The reason, trimmed; or refused with the message a form shows beside its field."""
    reason = reason.strip()
    if not 1 <= len(reason) <= MAX_REASON:
        raise InvalidInput(f"Give a reason of 1 to {MAX_REASON} characters.")
    return reason


def _transition(
    session: Session, *, organization_id: uuid.UUID, credential_id: uuid.UUID, action: str
) -> Credential:
    credential = session.scalar(
        select(Credential)
        .where(Credential.id == credential_id, Credential.organization_id == organization_id)
        .with_for_update()
    )
    if credential is None:
        raise not_found("credential", credential_id)
    allowed = _ALLOWED[credential.status]
    if action not in allowed:
        if not allowed:
            raise Conflict("The credential is revoked; revocation is final.")
        raise Conflict(
            f"The credential is {credential.status.value}; it can only be "
            f"{' or '.join(sorted(_PAST[a] for a in allowed))}, not {_PAST[action]}."
        )
    credential.status = allowed[action]
    public_id = credential.public_id
    # Its public page, cached for a few seconds, shows the change as soon as it is durable.
    changes.changed(session, public_id)
    return credential


_PAST = {"revoke": "revoked", "suspend": "suspended", "unsuspend": "unsuspended"}


def revoke(
    session: Session, *, organization_id: uuid.UUID, credential_id: uuid.UUID, reason: str
) -> Credential:
    """Final: the credential cannot be reinstated, but the learner may earn the template again."""
    reason = check_reason(reason)
    credential = _transition(
        session, organization_id=organization_id, credential_id=credential_id, action="revoke"
    )
    credential.revoked_at = utcnow()
    credential.revoked_reason = reason
    credential.suspended_at = None
    session.flush()
    _release_guard(session, credential)
    publish(session, organization_id=organization_id, credentials=[credential])
    return credential


def suspend(
    session: Session, *, organization_id: uuid.UUID, credential_id: uuid.UUID, reason: str
) -> Credential:
    reason = check_reason(reason)
    credential = _transition(
        session, organization_id=organization_id, credential_id=credential_id, action="suspend"
    )
    credential.suspended_at = utcnow()
    # The reason is kept where a revocation's goes: it is what a verifier is told.
    credential.revoked_reason = reason
    publish(session, organization_id=organization_id, credentials=[credential])
    return credential


def unsuspend(
    session: Session, *, organization_id: uuid.UUID, credential_id: uuid.UUID
) -> Credential:
    credential = _transition(
        session, organization_id=organization_id, credential_id=credential_id, action="unsuspend"
    )
    credential.suspended_at = None
    credential.revoked_reason = None
    publish(session, organization_id=organization_id, credentials=[credential])
    return credential


def _release_guard(session: Session, credential: Credential) -> None:
    """The ONCE guard lives while the learner holds a credential of the template: once none
    is left (a suspended one still counts), they may earn it again."""
    still_held = session.scalar(
        select(
            exists().where(
                Credential.learner_id == credential.learner_id,
                Credential.template_id == credential.template_id,
                Credential.status != CredentialStatus.REVOKED,
            )
        )
    )
    if not still_held:
        session.execute(
            delete(AwardGuard).where(
                AwardGuard.learner_id == credential.learner_id,
                AwardGuard.template_id == credential.template_id,
            )
        )


def publish(
    session: Session, *, organization_id: uuid.UUID, credentials: Iterable[Credential]
) -> None:
    """Set the credentials' bits from their status and, if a list changed, re-sign the lists
    once this transaction commits (at most one job per organization and transaction)."""
    if not status_lists.apply(session, organization_id=organization_id, credentials=credentials):
        return
    # Remembered per transaction: a rolled-back attempt's job never left, so a retry of it
    # in the same session must enqueue again.
    transaction = session.get_transaction()
    marker = session.info.get(_ENQUEUED_KEY)
    if marker is None or marker[0] is not transaction:
        marker = (transaction, set[uuid.UUID]())
        session.info[_ENQUEUED_KEY] = marker
    if organization_id in marker[1]:
        return
    marker[1].add(organization_id)
    jobs.enqueue(session, credential_tasks.sign_status_lists, str(organization_id))

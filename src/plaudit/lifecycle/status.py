"""Revoke, suspend and reinstate a credential, and tell the learner and the webhooks."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from plaudit.credentials import service as credentials
from plaudit.db import utcnow
from plaudit.lifecycle import announce
from plaudit.models.award import Credential


def revoke(
    session: Session, *, organization_id: uuid.UUID, credential_id: uuid.UUID, reason: str
) -> Credential:
    """Final: the credential cannot be reinstated, but the learner may earn the template again."""
    credential = credentials.revoke(
        session, organization_id=organization_id, credential_id=credential_id, reason=reason
    )
    announce.changed(session, credential, topic="credential.revoked", occurrence="revoked")
    return credential


def suspend(
    session: Session, *, organization_id: uuid.UUID, credential_id: uuid.UUID, reason: str
) -> Credential:
    credential = credentials.suspend(
        session, organization_id=organization_id, credential_id=credential_id, reason=reason
    )
    assert credential.suspended_at is not None
    announce.changed(
        session,
        credential,
        topic="credential.suspended",
        occurrence=f"suspended:{credential.suspended_at.isoformat()}",
    )
    return credential


def unsuspend(
    session: Session, *, organization_id: uuid.UUID, credential_id: uuid.UUID
) -> Credential:
    credential = credentials.unsuspend(
        session, organization_id=organization_id, credential_id=credential_id
    )
    announce.changed(
        session,
        credential,
        topic="credential.unsuspended",
        occurrence=f"unsuspended:{utcnow().isoformat()}",
    )
    return credential

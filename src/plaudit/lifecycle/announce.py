"""Tell people and systems what happened to credentials: emails to learners, webhooks.

Called in the transaction that made the change; the outbox delivers after it commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from plaudit.awards.service import Issued
from plaudit.models.award import Credential
from plaudit.notifications import service as notifications
from plaudit.openbadges.credential import iso
from plaudit.webhooks import service as webhooks


def _data(item: Issued) -> dict[str, Any]:
    return {
        "credential_id": str(item.credential_id),
        "public_id": item.public_id,
        "learner": {
            "id": str(item.learner_id),
            "external_id": item.learner_external_id,
            "email": item.email,
        },
        "template": {"id": str(item.template_id), "name": item.template_name},
        "status": "active",
        "issued_at": iso(item.issued_at),
        "expires_at": iso(item.expires_at) if item.expires_at else None,
    }


def issued(
    session: Session,
    *,
    organization_id: uuid.UUID,
    items: Sequence[Issued],
    sending_version: str | None = None,
) -> None:
    if not items:
        return
    notifications.notify(
        session,
        organization_id=organization_id,
        topic="credential.issued",
        notices=[notifications.Notice(i.credential_id, i.email) for i in items],
        sending_version=sending_version,
    )
    webhooks.emit_many(
        session,
        organization_id=organization_id,
        kind="credential.issued",
        items=[(str(i.credential_id), i.credential_id, _data(i)) for i in items],
        sending_version=sending_version,
    )


def changed(
    session: Session,
    credential: Credential,
    *,
    topic: str,
    occurrence: str,
    extra: dict[str, Any] | None = None,
) -> None:
    """A credential was revoked, suspended, reinstated or expired (``topic``)."""
    data = {
        "credential_id": str(credential.id),
        "public_id": credential.public_id,
        "learner": {"id": str(credential.learner_id), "email": credential.recipient_email},
        "template": {"id": str(credential.template_id)},
        "status": credential.status.value,
        "reason": credential.revoked_reason,
        "expires_at": iso(credential.expires_at) if credential.expires_at else None,
        **(extra or {}),
    }
    if topic in notifications.LEARNER_TOPICS:
        notifications.notify(
            session,
            organization_id=credential.organization_id,
            topic=topic,
            notices=[
                notifications.Notice(credential.id, credential.recipient_email, occurrence, extra)
            ],
        )
    if topic in webhooks.KINDS:
        webhooks.emit(
            session,
            organization_id=credential.organization_id,
            kind=topic,
            data=data,
            occurrence=f"{credential.id}:{occurrence}",
            credential_id=credential.id,
        )

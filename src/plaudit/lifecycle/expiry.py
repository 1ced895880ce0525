"""Expiry reminders before ``validUntil`` (per template, default 30 and 7 days) and the notice
on expiry. Idempotent: each is recorded once (outbox dedupe keys)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaudit.lifecycle import announce
from plaudit.models.award import Credential, CredentialStatus
from plaudit.models.template import TemplateVersion
from plaudit.templates.snapshot import Snapshot

MAX_OFFSET_DAYS = 365
# An expiry older than this when first noticed (Plaudit was down, say) is not announced.
EXPIRED_GRACE = timedelta(days=7)


def due_reminder(
    offsets: tuple[int, ...], *, issued_at: datetime, expires_at: datetime, now: datetime
) -> int | None:
    """The reminder to send now: the nearest offset whose moment has come, if that moment was
    after the credential was issued (nobody is told on day one that it expires in 30 days)."""
    chosen = None
    for days in offsets:
        moment = expires_at - timedelta(days=days)
        if moment <= now < expires_at and moment > issued_at:
            chosen = days if chosen is None else min(chosen, days)
    return chosen


def send_expiry_notices(session: Session, *, now: datetime) -> dict[str, int]:
    sent: Counter[str] = Counter()
    rows = session.execute(
        select(Credential, TemplateVersion.snapshot)
        .join(TemplateVersion, TemplateVersion.id == Credential.template_version_id)
        .where(
            Credential.expires_at.is_not(None),
            Credential.expires_at > now - EXPIRED_GRACE,
            Credential.expires_at <= now + timedelta(days=MAX_OFFSET_DAYS),
            Credential.status == CredentialStatus.ACTIVE,
            Credential.imported.is_(False),
            Credential.document.is_not(None),
        )
        .execution_options(yield_per=500)
    )
    # Many credentials share a version: read each version's reminders once.
    reminders: dict[uuid.UUID, tuple[int, ...]] = {}
    for credential, snapshot in rows:
        expires_at = credential.expires_at
        assert expires_at is not None
        if expires_at <= now:
            announce.changed(session, credential, topic="credential.expired", occurrence="expired")
            sent["expired"] += 1
            continue
        version_id = credential.template_version_id
        if version_id not in reminders:
            reminders[version_id] = Snapshot.read(snapshot).expiry.reminders
        days = due_reminder(
            reminders[version_id], issued_at=credential.emitted_at, expires_at=expires_at, now=now
        )
        if days is not None:
            announce.changed(
                session,
                credential,
                topic="credential.expiring",
                occurrence=f"expiring:{days}",
                extra={"days": days},
            )
            sent["expiring"] += 1
    return dict(sent)

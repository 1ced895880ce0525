"""Expiry reminders before ``validUntil`` (per template, default 30 and 7 days), the notice on
expiry, and the admins' daily digest. Idempotent: each is recorded once (outbox dedupe keys)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plaudit.credentials import announce
from plaudit.models.award import AwardLog, Credential, CredentialStatus
from plaudit.models.template import TemplateVersion
from plaudit.notifications import service

DEFAULT_OFFSETS = (30, 7)
MAX_OFFSET_DAYS = 365
# An expiry older than this when first noticed (Plaudit was down, say) is not announced.
EXPIRED_GRACE = timedelta(days=7)


def offsets_of(snapshot: dict[str, Any]) -> tuple[int, ...]:
    expiry = snapshot.get("expiry") or {}
    days = expiry.get("reminder_days")
    return tuple(sorted(set(days), reverse=True)) if days is not None else DEFAULT_OFFSETS


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
    for credential, snapshot in rows:
        expires_at = credential.expires_at
        assert expires_at is not None
        if expires_at <= now:
            announce.changed(session, credential, topic="credential.expired", occurrence="expired")
            sent["expired"] += 1
            continue
        days = due_reminder(
            offsets_of(snapshot), issued_at=credential.emitted_at, expires_at=expires_at, now=now
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


def send_digests(session: Session, *, now: datetime) -> int:
    """Yesterday (UTC) per organization that asked for a digest; once per day."""
    day = (now.astimezone(UTC) - timedelta(days=1)).date()
    start = datetime.combine(day, time(), tzinfo=UTC)
    end = start + timedelta(days=1)
    count = 0
    for organization_id, admins in service.digest_recipients(session):
        if not admins:
            continue
        issued = session.scalar(
            select(func.count())
            .select_from(AwardLog)
            .where(
                AwardLog.organization_id == organization_id,
                AwardLog.created_at >= start,
                AwardLog.created_at < end,
            )
        )
        revoked = session.scalar(
            select(func.count())
            .select_from(Credential)
            .where(
                Credential.organization_id == organization_id,
                Credential.revoked_at >= start,
                Credential.revoked_at < end,
            )
        )
        expired = session.scalar(
            select(func.count())
            .select_from(Credential)
            .where(
                Credential.organization_id == organization_id,
                Credential.expires_at >= start,
                Credential.expires_at < end,
            )
        )
        service.record_digest(
            session,
            organization_id=organization_id,
            day=day,
            counts={"issued": issued or 0, "revoked": revoked or 0, "expired": expired or 0},
        )
        count += 1
    return count

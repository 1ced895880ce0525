"""The admins' daily digest. Idempotent: recorded once a day (outbox dedupe keys). (Expiry
reminders and notices are ``plaudit.lifecycle.expiry``.)"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plaudit.models.award import AwardLog, Credential
from plaudit.notifications import service


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

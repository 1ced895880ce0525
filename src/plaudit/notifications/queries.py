"""Read an organization's email settings back for the dashboard."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from plaudit.models.delivery import EmailSettings


def email_settings(session: Session, organization_id: uuid.UUID) -> EmailSettings | None:
    """As stored now (``service.settings_of`` keeps what it read for the transaction)."""
    return session.get(EmailSettings, organization_id)

"""Read webhook endpoints back for the dashboard."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from plaudit.api.numbered import NumberedPage, Window, numbered_page
from plaudit.models.delivery import WebhookEndpoint
from plaudit.webhooks import service as webhooks


def listing(
    session: Session, *, organization_id: uuid.UUID, window: Window
) -> NumberedPage[WebhookEndpoint]:
    """The newest first."""
    stmt = webhooks.query(organization_id=organization_id).order_by(
        WebhookEndpoint.created_at.desc(), WebhookEndpoint.id.desc()
    )
    return numbered_page(session, stmt, window)

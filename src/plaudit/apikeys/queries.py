"""Read API keys back for the dashboard."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from plaudit.api.numbered import NumberedPage, Window, numbered_page
from plaudit.apikeys import service as apikeys
from plaudit.models.apikey import ApiKey


def listing(
    session: Session, *, organization_id: uuid.UUID, window: Window
) -> NumberedPage[ApiKey]:
    """Keys in use first, then revoked ones; the newest first in each."""
    stmt = apikeys.query(organization_id=organization_id).order_by(
        ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc(), ApiKey.id.desc()
    )
    return numbered_page(session, stmt, window)

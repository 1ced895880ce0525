"""Read an organization's signing keys back for the dashboard."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaudit.api.numbered import NumberedPage, Window, numbered_page
from plaudit.models.signing_key import SigningKey


def listing(
    session: Session, *, organization_id: uuid.UUID, window: Window
) -> NumberedPage[SigningKey]:
    """The newest first."""
    stmt = (
        select(SigningKey)
        .where(SigningKey.organization_id == organization_id)
        .order_by(SigningKey.created_at.desc(), SigningKey.id.desc())
    )
    return numbered_page(session, stmt, window)

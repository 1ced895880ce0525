"""Read an organization's members back for the dashboard."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from plaudit.api.numbered import NumberedPage, Window, numbered_page
from plaudit.models.user import User
from plaudit.users import service as users


def members(session: Session, *, organization_id: uuid.UUID, window: Window) -> NumberedPage[Any]:
    """(membership, user) rows, by email."""
    stmt = users.members_query(organization_id=organization_id).order_by(User.email, User.id)
    return numbered_page(session, stmt, window, scalars=False)

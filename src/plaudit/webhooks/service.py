"""Outbound webhooks: what an organization's endpoints are told, recorded in the outbox."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session


def emit(session: Session, *, organization_id: uuid.UUID, kind: str, data: dict[str, Any]) -> None:
    """Record ``kind`` (e.g. "bulk.completed") for every endpoint subscribed to it, in the
    caller's transaction; delivered after commit."""
    # Filled in with the outbox (issue 7).
    del session, organization_id, kind, data

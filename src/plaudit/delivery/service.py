"""Send an email or webhook again on request: the API's redelivery and the dashboard's."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaudit.delivery import engine
from plaudit.errors import Conflict, not_found
from plaudit.models.delivery import MessageStatus, OutboxMessage


def redeliver(
    session: Session,
    *,
    organization_id: uuid.UUID,
    message_id: uuid.UUID,
    credential_id: uuid.UUID | None = None,
    endpoint_id: uuid.UUID | None = None,
) -> OutboxMessage:
    """Send a message again now, whatever became of it (``credential_id``, ``endpoint_id``:
    only if the message is about that credential or for that webhook endpoint, as a page
    listing one credential's or one endpoint's messages needs)."""
    stmt = select(OutboxMessage).where(
        OutboxMessage.id == message_id, OutboxMessage.organization_id == organization_id
    )
    if credential_id is not None:
        stmt = stmt.where(OutboxMessage.credential_id == credential_id)
    if endpoint_id is not None:
        stmt = stmt.where(OutboxMessage.endpoint_id == endpoint_id)
    message = session.scalar(stmt.with_for_update())
    if message is None:
        raise not_found("delivery", message_id)
    if message.status is MessageStatus.SENDING:
        raise Conflict("This message is being sent right now; look again in a minute.")
    engine.redeliver(session, message)
    session.flush()
    return message

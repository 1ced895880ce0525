"""Read the outbox back for the dashboard: a credential's or an endpoint's messages, with their
attempts, and the latest of a topic."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaudit.api.numbered import NumberedPage, Window, numbered_page
from plaudit.models.delivery import Channel, DeliveryAttempt, OutboxMessage


def of_credential(
    session: Session, *, organization_id: uuid.UUID, credential_id: uuid.UUID, window: Window
) -> NumberedPage[OutboxMessage]:
    stmt = (
        select(OutboxMessage)
        .where(
            OutboxMessage.organization_id == organization_id,
            OutboxMessage.credential_id == credential_id,
        )
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    )
    return numbered_page(session, stmt, window)


def of_endpoint(
    session: Session, *, organization_id: uuid.UUID, endpoint_id: uuid.UUID, window: Window
) -> NumberedPage[OutboxMessage]:
    stmt = (
        select(OutboxMessage)
        .where(
            OutboxMessage.organization_id == organization_id,
            OutboxMessage.endpoint_id == endpoint_id,
        )
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    )
    return numbered_page(session, stmt, window)


def attempts(
    session: Session, message_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[DeliveryAttempt]]:
    """Each message's attempts, in order (every id is a key, with no attempt or some)."""
    found: dict[uuid.UUID, list[DeliveryAttempt]] = {ident: [] for ident in message_ids}
    if found:
        for attempt in session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.message_id.in_(list(found)))
            .order_by(DeliveryAttempt.number)
        ):
            found[attempt.message_id].append(attempt)
    return found


def latest(
    session: Session, *, organization_id: uuid.UUID, channel: Channel, topic: str, limit: int
) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.organization_id == organization_id,
                OutboxMessage.channel == channel,
                OutboxMessage.topic == topic,
            )
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
            .limit(limit)
        )
    )

"""The delivery log: what was sent about a credential or to an endpoint, and redelivery."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from plaudit.api import API_PREFIX
from plaudit.api.deps import AdminPrincipal, ReadPrincipal, SessionDep
from plaudit.api.idempotency import Idempotent
from plaudit.api.pagination import Page, PageDep, paginate
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.delivery import service as deliveries
from plaudit.errors import not_found
from plaudit.models.award import Credential
from plaudit.models.delivery import Channel, DeliveryAttempt, MessageStatus, OutboxMessage
from plaudit.schemas import Output

router = APIRouter(prefix=API_PREFIX, tags=["deliveries"], route_class=UnitOfWorkRoute)


class AttemptOut(Output):
    number: int
    ok: bool
    response_code: int | None
    detail: str | None
    duration_ms: int
    manual: bool
    created_at: datetime


class MessageOut(Output):
    id: uuid.UUID
    channel: Channel
    topic: str
    recipient: str
    credential_id: uuid.UUID | None
    endpoint_id: uuid.UUID | None
    status: MessageStatus
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    payload: dict[str, Any] | None = None
    history: list[AttemptOut] = []


def described(
    session: Session, messages: list[OutboxMessage], *, with_payload: bool
) -> list[MessageOut]:
    attempts: dict[uuid.UUID, list[AttemptOut]] = {m.id: [] for m in messages}
    if messages:
        for attempt in session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.message_id.in_(list(attempts)))
            .order_by(DeliveryAttempt.number)
        ):
            attempts[attempt.message_id].append(AttemptOut.model_validate(attempt))
    return [
        MessageOut.model_validate(m).model_copy(
            update={
                "history": attempts[m.id],
                "payload": m.payload if with_payload else None,
                "next_attempt_at": m.next_attempt_at if m.status is MessageStatus.PENDING else None,
            }
        )
        for m in messages
    ]


@router.get(
    "/credentials/{credential_id}/deliveries",
    response_model=Page[MessageOut],
    summary="Emails and webhooks sent about a credential, with every attempt",
)
def credential_deliveries(
    credential_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal, page: PageDep
) -> Page[MessageOut]:
    credential = session.scalar(
        select(Credential.id).where(
            Credential.id == credential_id,
            Credential.organization_id == principal.organization_id,
        )
    )
    if credential is None:
        raise not_found("credential", credential_id)
    stmt = select(OutboxMessage).where(
        OutboxMessage.organization_id == principal.organization_id,
        OutboxMessage.credential_id == credential_id,
    )
    rows, cursor = paginate(session, stmt, id_column=OutboxMessage.id, params=page)
    return Page[MessageOut](items=described(session, rows, with_payload=False), next_cursor=cursor)


@router.get("/deliveries", response_model=Page[MessageOut], summary="Recent emails and webhooks")
def list_deliveries(
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageDep,
    status: Annotated[MessageStatus | None, Query()] = None,
    channel: Annotated[Channel | None, Query()] = None,
) -> Page[MessageOut]:
    query = select(OutboxMessage).where(OutboxMessage.organization_id == principal.organization_id)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    if channel is not None:
        query = query.where(OutboxMessage.channel == channel)
    rows, cursor = paginate(session, query, id_column=OutboxMessage.id, params=page)
    return Page[MessageOut](items=described(session, rows, with_payload=False), next_cursor=cursor)


@router.post(
    "/deliveries/{message_id}/redeliver",
    dependencies=[Idempotent],
    response_model=MessageOut,
    status_code=202,
    summary="Send an email or webhook again now",
)
def redeliver(message_id: uuid.UUID, session: SessionDep, principal: AdminPrincipal) -> MessageOut:
    message = deliveries.redeliver(
        session, organization_id=principal.organization_id, message_id=message_id
    )
    [out] = described(session, [message], with_payload=False)
    return out

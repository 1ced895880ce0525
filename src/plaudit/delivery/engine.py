"""Deliver outbox messages: claim one with a lease, send it outside any transaction, record.

1. Claim: one UPDATE moves a due message to ``sending`` until ``lease_until``. Two workers
   (or a job run twice) cannot both claim it; a worker that dies holding it loses the claim
   when the lease ends, and a sweep sends it then.
2. Prepare, in the claiming transaction: the channel's handler reads what it needs and
   returns a callable that sends (no ORM objects leave the transaction), or asks to wait
   (a credential not signed yet) or to cancel (the learner unsubscribed).
3. Send, with no transaction open.
4. Record the attempt and settle: delivered, retried later with backoff, or failed for good.

A message is sent at most once per claim and is claimed again only after a failure or a
lapsed lease: the only duplicate left is a worker killed after the peer accepted but before
step 4 committed. The message id (``webhook-id``, the email's Message-ID) stays the same
across attempts, so the receiver can recognise that one.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from plaudit import jobs
from plaudit.db import after_commit, unit_of_work, utcnow
from plaudit.models.delivery import Channel, DeliveryAttempt, MessageStatus, OutboxMessage
from plaudit.runtime import Runtime

log = logging.getLogger(__name__)

# Seconds to wait after each failed attempt; the message fails for good after the last.
# Webhooks: 12 attempts over about 3 days (as Standard Webhooks senders do).
WEBHOOK_BACKOFF = (5, 30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 86400)
# Emails: 8 attempts over about 21 hours.
EMAIL_BACKOFF = (30, 120, 600, 1800, 7200, 6 * 3600, 12 * 3600)
BACKOFF = {Channel.WEBHOOK: WEBHOOK_BACKOFF, Channel.EMAIL: EMAIL_BACKOFF}
REDELIVERY = "redelivery requested"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    code: int | None
    detail: str
    # No retry can help (a 5xx SMTP reply to the recipient, an HTTP 410).
    permanent: bool = False


@dataclass(frozen=True)
class Wait:
    seconds: float
    reason: str


@dataclass(frozen=True)
class Cancel:
    reason: str


Send = Callable[[], Outcome]


class Handler(Protocol):
    def prepare(
        self, session: Session, runtime: Runtime, message: OutboxMessage
    ) -> Send | Wait | Cancel: ...

    def settle(
        self,
        session: Session,
        runtime: Runtime,
        message: OutboxMessage,
        outcome: Outcome,
        now: datetime,
    ) -> None: ...


HANDLERS: dict[Channel, Handler] = {}


def register(channel: Channel, handler: Handler) -> None:
    """A channel's feature registers its handler in its ``tasks`` module."""
    HANDLERS[channel] = handler


def handler_of(channel: Channel) -> Handler:
    """The channel's handler: its feature's ``tasks`` module registered it, and every process
    that runs jobs imports them all (``jobs.import_tasks``)."""
    if channel not in HANDLERS:
        jobs.import_tasks()
    try:
        return HANDLERS[channel]
    except KeyError:
        raise RuntimeError(f"no handler is registered for {channel.value} messages") from None


def scale(runtime: Runtime, seconds: float) -> float:
    return seconds * runtime.settings.delivery_backoff_scale


def retry_delay(runtime: Runtime, channel: Channel, attempts: int) -> float | None:
    """Seconds before the next attempt after ``attempts`` failures, or None: give up."""
    schedule = BACKOFF[channel]
    if attempts > len(schedule):
        return None
    jitter = random.uniform(0.9, 1.1)  # noqa: S311 (spreads retries, not security)
    return scale(runtime, schedule[attempts - 1] * jitter)


def claim(session: Session, message_id: uuid.UUID, *, now: datetime, lease: float) -> bool:
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            or_(
                (OutboxMessage.status == MessageStatus.PENDING)
                & (OutboxMessage.next_attempt_at <= now),
                (OutboxMessage.status == MessageStatus.SENDING) & (OutboxMessage.lease_until < now),
            ),
        )
        .values(status=MessageStatus.SENDING, lease_until=now + timedelta(seconds=lease))
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def deliver_one(
    runtime: Runtime, message_id: uuid.UUID, *, now: datetime | None = None
) -> MessageStatus | None:
    """Attempt one message if it is due; returns its status afterwards (None: not claimed).
    ``now`` is the clock (tests move it forward to reach retries days away)."""
    now = now or utcnow()
    with unit_of_work(runtime.sessions) as session:
        if not claim(session, message_id, now=now, lease=runtime.settings.delivery_lease_seconds):
            return None
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        handler = handler_of(message.channel)
        try:
            prepared = handler.prepare(session, runtime, message)
        except Exception as exc:  # a broken template must not wedge the queue
            log.exception("preparing message %s failed", message_id)
            prepared = _failed_send(f"could not prepare the message: {exc}")
        if isinstance(prepared, Wait):
            message.status = MessageStatus.PENDING
            message.lease_until = None
            message.next_attempt_at = now + timedelta(seconds=prepared.seconds)
            message.last_error = prepared.reason
            # Nothing is scheduled: whatever it waits for wakes it (a signature, see
            # outbox.wake), and recovery queues it once due if that never comes.
            return message.status
        if isinstance(prepared, Cancel):
            message.status = MessageStatus.CANCELLED
            message.lease_until = None
            message.last_error = prepared.reason
            return message.status
        manual = message.last_error == REDELIVERY
    started = time.perf_counter()
    try:
        outcome = prepared()
    except Exception as exc:
        log.warning("sending message %s raised %r", message_id, exc)
        outcome = Outcome(False, None, f"{type(exc).__name__}: {exc}")
    duration_ms = round((time.perf_counter() - started) * 1000)
    return _record(runtime, message_id, outcome, duration_ms=duration_ms, manual=manual, now=now)


def _failed_send(reason: str) -> Send:
    return lambda: Outcome(False, None, reason, permanent=True)


def _record(
    runtime: Runtime,
    message_id: uuid.UUID,
    outcome: Outcome,
    *,
    duration_ms: int,
    manual: bool,
    now: datetime,
) -> MessageStatus | None:
    with unit_of_work(runtime.sessions) as session:
        message = session.scalar(
            select(OutboxMessage).where(OutboxMessage.id == message_id).with_for_update()
        )
        if message is None:
            # Deleted while it was being sent (its webhook endpoint was removed): nothing is
            # left to record the attempt on.
            log.info("message %s was deleted while it was being sent", message_id)
            return None
        message.attempts += 1
        session.add(
            DeliveryAttempt(
                organization_id=message.organization_id,
                message_id=message.id,
                number=message.attempts,
                ok=outcome.ok,
                response_code=outcome.code,
                detail=outcome.detail[:2000],
                duration_ms=duration_ms,
                manual=manual,
            )
        )
        message.lease_until = None
        if outcome.ok:
            message.status = MessageStatus.DELIVERED
            message.delivered_at = now
            message.last_error = None
        else:
            message.last_error = outcome.detail[:2000]
            delay = (
                None
                if outcome.permanent or manual
                else (retry_delay(runtime, message.channel, message.attempts))
            )
            if delay is None:
                message.status = MessageStatus.FAILED
            else:
                message.status = MessageStatus.PENDING
                message.next_attempt_at = now + timedelta(seconds=delay)
                _schedule(session, message_id, delay)
        handler_of(message.channel).settle(session, runtime, message, outcome, now)
        return message.status


def _schedule(session: Session, message_id: uuid.UUID, delay: float) -> None:
    from plaudit.delivery import tasks

    after_commit(session, lambda: tasks.deliver_later(str(message_id), delay))


def due(
    session: Session, *, now: datetime, limit: int, among: Sequence[uuid.UUID] | None = None
) -> list[uuid.UUID]:
    """Messages to attempt now (the oldest first), optionally only ``among`` these."""
    stmt = (
        select(OutboxMessage.id)
        .where(
            or_(
                (OutboxMessage.status == MessageStatus.PENDING)
                & (OutboxMessage.next_attempt_at <= now),
                (OutboxMessage.status == MessageStatus.SENDING) & (OutboxMessage.lease_until < now),
            )
        )
        .order_by(OutboxMessage.next_attempt_at)
        .limit(limit)
    )
    if among is not None:
        stmt = stmt.where(OutboxMessage.id.in_(among))
    return list(session.scalars(stmt))


def next_due(session: Session) -> datetime | None:
    """When the earliest waiting message (or lapsing lease) falls due."""
    pending = session.scalar(
        select(OutboxMessage.next_attempt_at)
        .where(OutboxMessage.status == MessageStatus.PENDING)
        .order_by(OutboxMessage.next_attempt_at)
        .limit(1)
    )
    leased = session.scalar(
        select(OutboxMessage.lease_until)
        .where(OutboxMessage.status == MessageStatus.SENDING)
        .order_by(OutboxMessage.lease_until)
        .limit(1)
    )
    times = [t for t in (pending, leased) if t is not None]
    return min(times) if times else None


def run_due(runtime: Runtime, *, now: datetime | None = None, limit: int = 500) -> int:
    """Attempt every message due at ``now`` (at most ``limit``); returns how many were tried."""
    with unit_of_work(runtime.read_sessions) as session:
        ids = due(session, now=now or utcnow(), limit=limit)
    for message_id in ids:
        deliver_one(runtime, message_id, now=now)
    return len(ids)


def redeliver(session: Session, message: OutboxMessage) -> None:
    """Send a message again now, whatever became of it (the caller checked the tenant)."""
    message.status = MessageStatus.PENDING
    message.next_attempt_at = utcnow()
    message.lease_until = None
    message.last_error = REDELIVERY
    _schedule(session, message.id, 0)

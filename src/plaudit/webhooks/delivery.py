"""Send webhook messages: sign, POST to the endpoint, and disable endpoints that keep failing."""

from __future__ import annotations

import http.client
import json
import logging
import time
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from plaudit import outbound
from plaudit.delivery import engine
from plaudit.delivery.engine import Cancel, Outcome, Send, Wait
from plaudit.models.delivery import MessageStatus, OutboxMessage, WebhookEndpoint
from plaudit.notifications import service as notifications
from plaudit.runtime import Runtime
from plaudit.webhooks import service, signing

log = logging.getLogger(__name__)

MAX_LOGGED_BODY = 1000
USER_AGENT = "Plaudit-Webhooks/1"


def post(
    url: str, body: bytes, headers: dict[str, str], *, timeout: float, allow_private: bool
) -> Outcome:
    """POST ``body`` once; 2xx is success, 410 Gone is final, anything else is retried."""
    try:
        conn, path = outbound.connect(
            url, deadline=time.monotonic() + timeout, allow_private=allow_private, verb="sent to"
        )
    except outbound.OutboundError as exc:
        return Outcome(False, None, str(exc))
    try:
        conn.request(
            "POST",
            path,
            body=body,
            headers={
                **headers,
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
            },
        )
        response = conn.getresponse()
        text = response.read(MAX_LOGGED_BODY).decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as exc:
        return Outcome(False, None, f"{type(exc).__name__}: {exc}")
    finally:
        conn.close()
    code = response.status
    detail = f"{code} {response.reason}" + (f": {text}" if text else "")
    if 200 <= code < 300:
        return Outcome(True, code, detail)
    return Outcome(False, code, detail, permanent=code == 410)


class WebhookHandler:
    def prepare(
        self, session: Session, runtime: Runtime, message: OutboxMessage
    ) -> Send | Wait | Cancel:
        endpoint = (
            session.get(WebhookEndpoint, message.endpoint_id) if message.endpoint_id else None
        )
        if endpoint is None:
            return Cancel("the endpoint was deleted")
        manual = message.last_error == engine.REDELIVERY
        if not endpoint.enabled and not manual and message.topic != service.PING:
            return Cancel("the endpoint is disabled")
        secret = service.secret_of(runtime.vault, endpoint)
        body = json.dumps(message.payload, separators=(",", ":"), ensure_ascii=False).encode()
        url, message_id = endpoint.url, f"msg_{message.id.hex}"
        settings = runtime.settings

        def send() -> Outcome:
            # Signed at the moment of sending: receivers reject stale timestamps.
            headers = signing.headers(
                secret, message_id=message_id, timestamp=int(time.time()), body=body
            )
            return post(
                url,
                body,
                headers,
                timeout=settings.webhook_timeout_seconds,
                allow_private=settings.webhooks_allow_private_networks,
            )

        return send

    def settle(
        self,
        session: Session,
        runtime: Runtime,
        message: OutboxMessage,
        outcome: Outcome,
        now: datetime,
    ) -> None:
        endpoint = (
            session.get(WebhookEndpoint, message.endpoint_id) if message.endpoint_id else None
        )
        if endpoint is None:
            return
        if outcome.ok:
            endpoint.failing_since = None
            return
        endpoint.failing_since = endpoint.failing_since or now
        if not endpoint.enabled:
            return
        gone = outcome.code == 410
        # Persistent failure: a message ran out of retries (about three days) and nothing
        # reached the endpoint in between.
        window = timedelta(seconds=engine.scale(runtime, sum(engine.WEBHOOK_BACKOFF) * 0.9))
        exhausted = message.status is MessageStatus.FAILED and (
            now - endpoint.failing_since >= window
        )
        if gone or exhausted:
            reason = (
                "the endpoint answered 410 Gone"
                if gone
                else f"every delivery failed since {endpoint.failing_since.isoformat()}"
            )
            disable(session, endpoint, reason=reason, last_error=outcome.detail, now=now)


def disable(
    session: Session, endpoint: WebhookEndpoint, *, reason: str, last_error: str, now: datetime
) -> None:
    endpoint.enabled = False
    endpoint.disabled_reason = reason
    log.warning("webhook endpoint %s disabled: %s", endpoint.id, reason)
    notifications.alert_admins(
        session,
        organization_id=endpoint.organization_id,
        topic="webhook.disabled",
        occurrence=f"{endpoint.id}:{now.isoformat()}",
        data={
            "endpoint_id": str(endpoint.id),
            "url": endpoint.url,
            "reason": reason,
            "last_error": last_error[:500],
        },
    )

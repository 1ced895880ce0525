"""Outbound webhooks: endpoints, and what they are told, recorded in the outbox."""

from __future__ import annotations

import ipaddress
import urllib.parse
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from plaudit.db import new_id, transaction_cache, utcnow
from plaudit.delivery import outbox
from plaudit.errors import Conflict, InvalidInput, not_found
from plaudit.models.delivery import Channel, WebhookEndpoint
from plaudit.openbadges.credential import iso
from plaudit.organizations import versions
from plaudit.vault import Vault
from plaudit.webhooks import signing

# What an endpoint can subscribe to. An endpoint with no kinds gets them all.
KINDS = (
    "credential.issued",
    "credential.revoked",
    "credential.suspended",
    "credential.unsuspended",
    "credential.expired",
    "credential.claimed",
    "credential.wallet_event",
    "backfill.completed",
    "bulk.completed",
)
PING = "webhook.ping"
MAX_ENDPOINTS = 20
_CACHE_KEY = "plaudit_webhook_endpoints"


def secret_context(endpoint_id: uuid.UUID) -> str:
    return f"webhook-endpoint:{endpoint_id}"


def check_url(url: str, *, allow_private: bool) -> str:
    parts = urllib.parse.urlsplit(url)
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes:
        raise InvalidInput(
            f"A webhook URL must start with {' or '.join(s + '://' for s in schemes)}."
        )
    if not parts.hostname:
        raise InvalidInput("The webhook URL has no host.")
    if parts.username or parts.password:
        raise InvalidInput("Put no user or password in the webhook URL; requests are signed.")
    if not allow_private:
        try:
            ip = ipaddress.ip_address(parts.hostname)
        except ValueError:
            ip = None
        if (ip is not None and not ip.is_global) or parts.hostname == "localhost":
            raise InvalidInput("A webhook URL must point at a public address.")
    return url


def is_managed(endpoint: WebhookEndpoint) -> bool:
    """An endpoint a connection set up (its kinds are none of Plaudit's, e.g. the Credly-shaped
    template webhook of ``plaudit.vendors``): its kinds are what makes it work, so they are
    changed only by that connection, never by an edit."""
    return any(kind not in KINDS for kind in endpoint.kinds or [])


def check_kinds(kinds: Iterable[str]) -> list[str]:
    chosen = sorted(set(kinds))
    unknown = [k for k in chosen if k not in KINDS]
    if unknown:
        raise InvalidInput(
            f"Unknown event kind(s) {', '.join(unknown)}; choose from {', '.join(KINDS)}."
        )
    return chosen


def create(
    session: Session,
    vault: Vault,
    *,
    organization_id: uuid.UUID,
    url: str,
    description: str | None,
    kinds: Sequence[str],
    allow_private: bool,
) -> tuple[WebhookEndpoint, str]:
    count = len(session.scalars(query(organization_id=organization_id)).all())
    if count >= MAX_ENDPOINTS:
        raise InvalidInput(f"An organization can have at most {MAX_ENDPOINTS} webhook endpoints.")
    endpoint = WebhookEndpoint(
        id=new_id(),
        organization_id=organization_id,
        url=check_url(url, allow_private=allow_private),
        description=description,
        kinds=check_kinds(kinds),
        enabled=True,
        secret_sealed=b"",
    )
    secret = signing.new_secret()
    endpoint.secret_sealed = vault.seal(secret.encode(), context=secret_context(endpoint.id))
    session.add(endpoint)
    session.flush()
    return endpoint, secret


def rotate_secret(session: Session, vault: Vault, endpoint: WebhookEndpoint) -> str:
    secret = signing.new_secret()
    endpoint.secret_sealed = vault.seal(secret.encode(), context=secret_context(endpoint.id))
    session.flush()
    return secret


def secret_of(vault: Vault, endpoint: WebhookEndpoint) -> str:
    return vault.open(endpoint.secret_sealed, context=secret_context(endpoint.id)).decode()


def edit(
    session: Session,
    endpoint: WebhookEndpoint,
    *,
    url: str | None = None,
    description: str | None = None,
    set_description: bool = False,
    kinds: Iterable[str] | None = None,
    enabled: bool | None = None,
) -> WebhookEndpoint:
    """Change what is given (``url`` checked by the caller with ``check_url``); the API's
    PATCH and the dashboard's form both come here."""
    if url is not None:
        endpoint.url = url
    if set_description:
        endpoint.description = description
    if kinds is not None:
        if is_managed(endpoint):
            if sorted(set(kinds)) != sorted(endpoint.kinds or []):
                raise Conflict(
                    "This endpoint was set up by a connection (its description says which); "
                    "its event kinds cannot be changed. Change its address or switch it off "
                    "where it was set up, or delete it."
                )
        else:
            endpoint.kinds = check_kinds(kinds)
    if enabled is not None:
        set_enabled(endpoint, enabled)
    session.flush()
    return endpoint


def set_enabled(endpoint: WebhookEndpoint, enabled: bool) -> None:
    """Enabling forgets why it was disabled and since when it failed; disabling says who did."""
    if enabled == endpoint.enabled:
        return
    endpoint.enabled = enabled
    if enabled:
        endpoint.disabled_reason = None
        endpoint.failing_since = None
    else:
        endpoint.disabled_reason = "disabled by an administrator"


def delete(session: Session, endpoint: WebhookEndpoint) -> None:
    session.delete(endpoint)
    session.flush()


def query(*, organization_id: uuid.UUID) -> Select[WebhookEndpoint]:
    return select(WebhookEndpoint).where(WebhookEndpoint.organization_id == organization_id)


def get(session: Session, *, organization_id: uuid.UUID, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    endpoint = session.scalar(
        query(organization_id=organization_id).where(WebhookEndpoint.id == endpoint_id)
    )
    if endpoint is None:
        raise not_found("webhook endpoint", endpoint_id)
    return endpoint


@dataclass(frozen=True)
class _Subscriber:
    id: uuid.UUID
    url: str
    kinds: frozenset[str]  # empty: every kind


# Per process, under each organization's sending version (its endpoints change it).
_kept: versions.Kept[tuple[_Subscriber, ...]] = versions.Kept()


def _subscribers(
    session: Session, organization_id: uuid.UUID, kind: str, sending_version: str | None
) -> list[_Subscriber]:
    # Read once per transaction and organization (a batch of awards emits many events), or
    # not at all when the caller read the sending version and this process keeps them.
    cache: dict[uuid.UUID, tuple[_Subscriber, ...]] = transaction_cache(session, _CACHE_KEY)
    endpoints = cache.get(organization_id)
    if endpoints is None:
        endpoints = _kept.get(session, organization_id, sending_version)
    if endpoints is None:
        endpoints = tuple(
            _Subscriber(id=e.id, url=e.url, kinds=frozenset(e.kinds or ()))
            for e in session.scalars(
                query(organization_id=organization_id).where(WebhookEndpoint.enabled.is_(True))
            )
        )
        _kept.put(session, organization_id, sending_version, endpoints)
    cache[organization_id] = endpoints
    return [e for e in endpoints if not e.kinds or kind in e.kinds]


def envelope(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "timestamp": iso(utcnow()), "data": data}


def emit(
    session: Session,
    *,
    organization_id: uuid.UUID,
    kind: str,
    data: dict[str, Any],
    occurrence: str | None = None,
    credential_id: uuid.UUID | None = None,
) -> None:
    """Record ``kind`` (e.g. "bulk.completed") for every endpoint subscribed to it, in the
    caller's transaction; delivered after commit. ``occurrence`` names this happening of the
    event (a credential id, a job id): recording it twice sends it once."""
    emit_many(
        session,
        organization_id=organization_id,
        kind=kind,
        items=[(occurrence or str(uuid.uuid4()), credential_id, data)],
    )


def emit_many(
    session: Session,
    *,
    organization_id: uuid.UUID,
    kind: str,
    items: Sequence[tuple[str, uuid.UUID | None, dict[str, Any]]],
    sending_version: str | None = None,
) -> None:
    """``sending_version``: the organization's, if the caller read it in this transaction
    (plaudit.organizations.versions): the endpoints this process keeps under it are used."""
    endpoints = _subscribers(session, organization_id, kind, sending_version)
    if not endpoints or not items:
        return
    outbox.record(
        session,
        [
            outbox.NewMessage(
                organization_id=organization_id,
                channel=Channel.WEBHOOK,
                topic=kind,
                dedupe_key=f"webhook:{endpoint.id}:{kind}:{occurrence}",
                recipient=endpoint.url,
                payload=envelope(kind, data),
                credential_id=credential_id,
                endpoint_id=endpoint.id,
            )
            for occurrence, credential_id, data in items
            for endpoint in endpoints
        ],
    )


def ping(session: Session, endpoint: WebhookEndpoint) -> uuid.UUID:
    [message_id] = outbox.record(
        session,
        [
            outbox.NewMessage(
                organization_id=endpoint.organization_id,
                channel=Channel.WEBHOOK,
                topic=PING,
                dedupe_key=f"webhook:{endpoint.id}:{PING}:{uuid.uuid4()}",
                recipient=endpoint.url,
                payload=envelope(PING, {"endpoint_id": str(endpoint.id)}),
                endpoint_id=endpoint.id,
            )
        ],
    )
    return message_id

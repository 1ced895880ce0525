"""Connectors: create and configure them, receive their webhooks, keep and replay payloads.

A received payload is stored in the same transaction as the event it maps to, whatever its
fate: a payload that cannot be read or mapped is kept with its reason, never lost.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import uuid
from collections.abc import Mapping as AnyMapping
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from plaudit.connectors import mapping as mappings
from plaudit.connectors import parsing, presets
from plaudit.connectors.schemas import ConnectorCreate, ConnectorUpdate, SignatureIn
from plaudit.db import new_id, utcnow
from plaudit.errors import Conflict, PlauditError, Unauthenticated, not_found
from plaudit.ingest import service as ingestion
from plaudit.models.connector import Connector, ConnectorPayload, PayloadStatus
from plaudit.vault import Vault, hash_secret

log = logging.getLogger(__name__)

SECRET_PREFIX = "phk_"  # noqa: S105 (a prefix, not a secret)
# LMS webhooks are a few kilobytes; this keeps the stored copies small.
MAX_BODY_BYTES = 256 * 1024
REDACTED = "[redacted]"


def _signing_context(connector_id: uuid.UUID) -> str:
    return f"connector-signature:{connector_id}"


def _new_secret() -> tuple[str, str]:
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    return secret, hash_secret(secret)


def _apply_signature(connector: Connector, signature: SignatureIn | None, *, vault: Vault) -> None:
    if signature is None:
        connector.signature = None
        connector.signature_secret_sealed = None
        return
    connector.signature = signature.model_dump(exclude={"secret"})
    connector.signature_secret_sealed = vault.seal(
        signature.secret.encode(), context=_signing_context(connector.id)
    )


def _check_name(session: Session, *, organization_id: uuid.UUID, name: str) -> None:
    taken = session.scalar(
        select(Connector.id).where(
            Connector.organization_id == organization_id, Connector.name == name
        )
    )
    if taken is not None:
        raise Conflict(f"A connector named '{name}' already exists; choose another name.")


def create(
    session: Session, *, organization_id: uuid.UUID, data: ConnectorCreate, vault: Vault
) -> tuple[Connector, str]:
    """Returns the connector and its secret; the secret is never retrievable again."""
    _check_name(session, organization_id=organization_id, name=data.name)
    mapping = data.mapping if data.mapping is not None else presets.get(str(data.preset)).mapping
    secret, secret_hash = _new_secret()
    connector = Connector(
        id=new_id(),
        organization_id=organization_id,
        name=data.name,
        description=data.description,
        preset=data.preset,
        mapping=mapping.dump(),
        enabled=data.enabled,
        secret_hash=secret_hash,
    )
    _apply_signature(connector, data.signature, vault=vault)
    session.add(connector)
    session.flush()
    return connector, secret


def query(*, organization_id: uuid.UUID) -> Select[Connector]:
    return select(Connector).where(Connector.organization_id == organization_id)


def get(session: Session, *, organization_id: uuid.UUID, connector_id: uuid.UUID) -> Connector:
    connector = session.scalar(
        select(Connector).where(
            Connector.id == connector_id, Connector.organization_id == organization_id
        )
    )
    if connector is None:
        raise not_found("connector", connector_id)
    return connector


def update(
    session: Session, *, connector: Connector, data: ConnectorUpdate, vault: Vault
) -> Connector:
    given = data.model_fields_set
    if data.name is not None and data.name != connector.name:
        _check_name(session, organization_id=connector.organization_id, name=data.name)
        connector.name = data.name
    if "description" in given:
        connector.description = data.description
    if data.mapping is not None:
        connector.mapping = data.mapping.dump()
    if data.enabled is not None:
        connector.enabled = data.enabled
    if "signature" in given:
        _apply_signature(connector, data.signature, vault=vault)
    session.flush()
    return connector


def delete(session: Session, *, connector: Connector) -> None:
    """Its kept payloads go with it; the events they became stay."""
    session.delete(connector)
    session.flush()


def rotate_secret(session: Session, *, connector: Connector) -> str:
    """The old secret stops working at once."""
    secret, connector.secret_hash = _new_secret()
    connector.secret_rotated_at = utcnow()
    session.flush()
    return secret


def payload_counts(session: Session, *, connector: Connector) -> dict[PayloadStatus, int]:
    rows = session.execute(
        select(ConnectorPayload.status, func.count())
        .where(
            ConnectorPayload.organization_id == connector.organization_id,
            ConnectorPayload.connector_id == connector.id,
        )
        .group_by(ConnectorPayload.status)
    )
    counts = dict.fromkeys(PayloadStatus, 0)
    for status, count in rows:
        counts[status] = count
    return counts


def payloads_query(
    *,
    organization_id: uuid.UUID,
    connector_id: uuid.UUID,
    statuses: list[PayloadStatus] | None = None,
) -> Select[ConnectorPayload]:
    stmt = select(ConnectorPayload).where(
        ConnectorPayload.organization_id == organization_id,
        ConnectorPayload.connector_id == connector_id,
    )
    if statuses:
        stmt = stmt.where(ConnectorPayload.status.in_(statuses))
    return stmt


def get_payload(
    session: Session, *, organization_id: uuid.UUID, connector_id: uuid.UUID, payload_id: uuid.UUID
) -> ConnectorPayload:
    row = session.scalar(
        payloads_query(organization_id=organization_id, connector_id=connector_id).where(
            ConnectorPayload.id == payload_id
        )
    )
    if row is None:
        raise not_found("payload", payload_id)
    return row


def preview(
    *, mapping: mappings.Mapping, payload: Any, source: str | None = None
) -> mappings.Outcome:
    """What a payload would become, without storing or processing anything."""
    return mappings.apply(mapping, payload, received_at=utcnow(), source=source)


# Receiving


def authenticate(
    session: Session,
    *,
    connector_id: str,
    token: str | None,
    headers: AnyMapping[str, str],
    body: bytes,
    vault: Vault,
) -> Connector:
    """The connector whose secret (or body signature) the request carries. Every credential
    presented must be valid, and at least one must be presented."""
    try:
        ident = uuid.UUID(connector_id)
    except ValueError:
        raise not_found("connector", connector_id) from None
    # Found by its id alone: the connector is what decides the organization.
    connector = session.scalar(select(Connector).where(Connector.id == ident))
    if connector is None:
        raise not_found("connector", connector_id)
    header = (connector.signature or {}).get("header")
    signature = headers.get(header) if header else None
    if token is None and signature is None:
        ways = "'Authorization: Bearer <secret>' or in the URL as '?token=<secret>'"
        if header:
            ways += f", or sign the body in the {header} header"
        raise Unauthenticated(f"Send the connector's secret as {ways}.")
    if token is not None and not hmac.compare_digest(connector.secret_hash, hash_secret(token)):
        raise Unauthenticated("The connector's secret is not valid.")
    if signature is not None and not _signature_matches(
        connector, signature=signature, body=body, vault=vault
    ):
        raise Unauthenticated(f"The {header} signature does not match the body.")
    return connector


def _signature_matches(connector: Connector, *, signature: str, body: bytes, vault: Vault) -> bool:
    spec = connector.signature or {}
    if connector.signature_secret_sealed is None:
        return False
    key = vault.open(connector.signature_secret_sealed, context=_signing_context(connector.id))
    digest = hmac.new(key, body, getattr(hashlib, spec["algorithm"])).digest()
    presented = signature.strip()
    prefix = spec.get("prefix") or ""
    if not presented.startswith(prefix):
        return False
    presented = presented[len(prefix) :]
    if spec["encoding"] == "hex":
        return hmac.compare_digest(digest.hex(), presented.lower())
    return hmac.compare_digest(base64.b64encode(digest).decode(), presented)


def receive(
    session: Session,
    *,
    connector: Connector,
    body: bytes,
    content_type: str | None,
    token: str | None,
) -> ConnectorPayload:
    """Keep the payload and map it; a mapped payload is processed like POST /events."""
    now = utcnow()
    row = ConnectorPayload(
        organization_id=connector.organization_id,
        connector_id=connector.id,
        content_type=(content_type or "")[:200] or None,
        size=len(body),
        errors=[],
        attempts=1,
        awards_count=0,
        received_at=now,
        processed_at=now,
    )
    try:
        payload = parsing.parse_body(body, content_type)
    except parsing.BodyError as exc:
        row.raw_body = _storable(body.decode("utf-8", errors="replace"))
        _settle(row, PayloadStatus.FAILED, str(exc))
    else:
        row.payload = _redact(payload, token)
        if connector.enabled:
            _process(session, connector=connector, row=row, payload=payload)
        else:
            _settle(
                row,
                PayloadStatus.IGNORED,
                "the connector was disabled when this arrived; replay it to process it",
            )
    session.add(row)
    session.flush()
    return row


def replay(session: Session, *, connector: Connector, row: ConnectorPayload) -> ConnectorPayload:
    """Map a kept payload again with the connector's current mapping. The event keeps the
    time it first arrived, and an event already made from it is acknowledged, not repeated."""
    if row.raw_body is not None:
        raise Conflict(
            f"This payload's body could not be read ({row.reason}); there is nothing to replay."
        )
    row.attempts += 1
    row.processed_at = utcnow()
    row.event_id = None
    row.awards_count = 0
    _process(session, connector=connector, row=row, payload=row.payload)
    session.flush()
    return row


def replay_many(
    session: Session, *, connector: Connector, statuses: list[PayloadStatus], limit: int
) -> list[ConnectorPayload]:
    rows = session.scalars(
        payloads_query(
            organization_id=connector.organization_id,
            connector_id=connector.id,
            statuses=statuses,
        )
        .where(ConnectorPayload.raw_body.is_(None))
        .order_by(ConnectorPayload.id)  # oldest first: each event sees the ones before
        .limit(limit)
    ).all()
    return [replay(session, connector=connector, row=row) for row in rows]


def _settle(
    row: ConnectorPayload,
    status: PayloadStatus,
    reason: str | None,
    errors: list[dict[str, str]] | None = None,
) -> None:
    row.status = status
    row.reason = reason
    row.errors = errors or []


def _process(
    session: Session, *, connector: Connector, row: ConnectorPayload, payload: Any
) -> None:
    mapping = mappings.Mapping.model_validate(connector.mapping)
    outcome = mappings.apply(mapping, payload, received_at=row.received_at, source=connector.name)
    if isinstance(outcome, mappings.Ignored):
        _settle(row, PayloadStatus.IGNORED, outcome.reason)
        return
    if isinstance(outcome, mappings.Unmapped):
        errors = [{"field": e.field, "reason": e.reason} for e in outcome.errors]
        _settle(row, PayloadStatus.UNMAPPED, outcome.reason, errors)
        return
    event = outcome.event
    row.event_id = event.id
    try:
        with session.begin_nested():
            [result] = ingestion.ingest(
                session,
                organization_id=connector.organization_id,
                items=[(0, event)],
                # The LMS's own payload: what the event page shows as received.
                documents={0: json.dumps(payload, ensure_ascii=False, default=str)},
            )
    except PlauditError as exc:
        _settle(row, PayloadStatus.FAILED, f"the event could not be processed: {exc.detail}")
        return
    except Exception:
        # An LMS retries whatever is not a success, and the payload would be lost with the
        # request's transaction: keep it, failed, for a replay once the cause is fixed.
        log.exception("connector %s: processing event %r failed", connector.id, event.id)
        _settle(
            row,
            PayloadStatus.FAILED,
            "processing the event failed on Plaudit's side (logged); replay it later",
        )
        return
    row.awards_count = len(result.awards)
    if result.status == "duplicate":
        _settle(row, PayloadStatus.DUPLICATE, f"event '{event.id}' was already received; no change")
    else:
        outcome_text = result.outcome.value if result.outcome is not None else "processed"
        _settle(row, PayloadStatus.MAPPED, f"event '{event.id}': {outcome_text}")


def _redact(payload: Any, token: str | None) -> Any:
    """Some LMSs echo the secret in the body (Moodle's webhooks plugin sends a 'token'
    field): it must not be kept in clear where the token itself is only hashed."""
    if token is None or not isinstance(payload, AnyMapping):
        return payload
    return {k: REDACTED if v == token else v for k, v in payload.items()}


def _storable(text: str) -> str:
    # PostgreSQL text (and JSONB) cannot hold NUL characters.
    return text.replace("\x00", "\ufffd")

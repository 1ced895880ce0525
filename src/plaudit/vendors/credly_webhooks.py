"""Credly-shaped template webhooks: where an organization's LMS hears that a template was
published, changed or archived, as Credly tells it of its badge templates.

The address is a webhook endpoint of the organization (``plaudit.webhooks``), so deliveries,
retries, signatures, automatic disabling and the delivery log are the ones every webhook has.
What marks it is its only kind, ``MARKER``: no kind of Plaudit's own is ever sent there, since
an endpoint receives only the kinds it names. Its messages are recorded here, in the outbox, in
Credly's shape: ``{id, organization_id, event_type, occurred_at}``. The receiver (Open edX's
``credly/webhooks.py``) then reads the event back from ``GET .../events/{id}/``, which answers
with the template as it was at that moment (``vendor_events``).
"""

from __future__ import annotations

import uuid

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from plaudit.db import new_id, utcnow
from plaudit.delivery import outbox
from plaudit.errors import NotFound
from plaudit.models.delivery import Channel, WebhookEndpoint
from plaudit.models.template import Template, TemplateVersion
from plaudit.models.vendor import VendorEvent
from plaudit.openbadges.credential import iso
from plaudit.templates import service as templates
from plaudit.vault import Vault
from plaudit.vendors.described import Described
from plaudit.webhooks import service as webhooks

MARKER = "vendor.credly.badge_template"
CREATED, CHANGED, DELETED = (
    "badge_template.created",
    "badge_template.changed",
    "badge_template.deleted",
)
DESCRIPTION = "Open edX: badge template events in Credly's shape"


def endpoint_of(session: Session, *, organization_id: uuid.UUID) -> WebhookEndpoint | None:
    """The organization's Credly-shaped endpoint (at most one: ``set_url`` keeps it so)."""
    for endpoint in session.scalars(
        webhooks.query(organization_id=organization_id).order_by(WebhookEndpoint.created_at)
    ):
        if endpoint.kinds == [MARKER]:
            return endpoint
    return None


def set_url(
    session: Session, vault: Vault, *, organization_id: uuid.UUID, url: str, allow_private: bool
) -> tuple[WebhookEndpoint, bool]:
    """Point the organization's Credly-shaped webhook at ``url`` (enabling it); returns the
    endpoint and whether it was created."""
    endpoint = endpoint_of(session, organization_id=organization_id)
    checked = webhooks.check_url(url, allow_private=allow_private)
    if endpoint is not None:
        webhooks.edit(session, endpoint, url=checked, enabled=True)
        return endpoint, False
    endpoint, _secret = webhooks.create(
        session,
        vault,
        organization_id=organization_id,
        url=checked,
        description=DESCRIPTION,
        kinds=[],
        allow_private=allow_private,
    )
    # Set past check_kinds on purpose: the marker is no kind of Plaudit's, so that none of
    # Plaudit's own events (credential.issued...) ever reaches this endpoint.
    endpoint.kinds = [MARKER]
    session.flush()
    return endpoint, True


def configure(
    session: Session,
    vault: Vault,
    *,
    organization_id: uuid.UUID,
    url: str,
    enabled: bool,
    allow_private: bool,
) -> WebhookEndpoint:
    """The dashboard's form: the URL, and on or off. Its kind stays the marker whatever is
    sent: that is what keeps Plaudit's own events away from the LMS."""
    endpoint, _created = set_url(
        session, vault, organization_id=organization_id, url=url, allow_private=allow_private
    )
    if not enabled:
        webhooks.set_enabled(endpoint, False)
        session.flush()
    return endpoint


def remove(session: Session, *, organization_id: uuid.UUID) -> None:
    endpoint = endpoint_of(session, organization_id=organization_id)
    if endpoint is None:
        raise NotFound("This organization has no Credly webhook.")
    webhooks.delete(session, endpoint)


def announce(session: Session, template: Template, action: str) -> None:
    """The templates' lifecycle listener: record the event and its webhook, if the template's
    organization has a Credly-shaped endpoint that is enabled."""
    endpoint = endpoint_of(session, organization_id=template.organization_id)
    if endpoint is None or not endpoint.enabled:
        return
    told = session.scalar(select(exists().where(VendorEvent.template_id == template.id)))
    if action == templates.DELETE:
        if not told:
            return  # the receiver never heard of it
        event_type = DELETED
    elif action == templates.PUBLISH and not told:
        event_type = CREATED
    else:
        event_type = CHANGED  # republished, archived, or a draft again (unarchived)
    version = (
        session.scalar(
            select(TemplateVersion).where(
                TemplateVersion.template_id == template.id,
                TemplateVersion.number == template.published_version,
            )
        )
        if template.published_version is not None
        else None
    )
    event = VendorEvent(
        id=new_id(),
        organization_id=template.organization_id,
        template_id=template.id,
        event_type=event_type,
        occurred_at=utcnow(),
        badge_template=Described.of(template, version).stored(),
    )
    session.add(event)
    session.flush()
    outbox.record(
        session,
        [
            outbox.NewMessage(
                organization_id=template.organization_id,
                channel=Channel.WEBHOOK,
                topic=event_type,
                dedupe_key=f"credly:{endpoint.id}:{event.id}",
                recipient=endpoint.url,
                payload={
                    "id": str(event.id),
                    "organization_id": str(template.organization_id),
                    "event_type": event_type,
                    "occurred_at": iso(event.occurred_at),
                },
                endpoint_id=endpoint.id,
            )
        ],
    )

"""Read connectors back for the dashboard: the list, and what each one received."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from plaudit.api.numbered import NumberedPage, Window, numbered_page
from plaudit.connectors import service as connectors
from plaudit.models.connector import Connector, ConnectorPayload, PayloadStatus


def listing(
    session: Session, *, organization_id: uuid.UUID, window: Window
) -> NumberedPage[Connector]:
    """The newest first."""
    stmt = connectors.query(organization_id=organization_id).order_by(
        Connector.created_at.desc(), Connector.id.desc()
    )
    return numbered_page(session, stmt, window)


def payloads(
    session: Session,
    *,
    organization_id: uuid.UUID,
    connector_id: uuid.UUID,
    statuses: list[PayloadStatus] | None,
    window: Window,
) -> NumberedPage[ConnectorPayload]:
    """What a connector received (in these statuses, if given), the latest first."""
    stmt = connectors.payloads_query(
        organization_id=organization_id, connector_id=connector_id, statuses=statuses
    ).order_by(ConnectorPayload.received_at.desc(), ConnectorPayload.id.desc())
    return numbered_page(session, stmt, window)

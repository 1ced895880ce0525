"""What the badge vendors' APIs (plaudit.vendors) keep: integer numbers, and template events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from plaudit.db import Base, UTCDateTime
from plaudit.models._types import CreatedAt, IdPk, JSONType, OrgFk


class VendorNumber(Base):
    """An integer standing for a template or a credential, for clients that keep vendors' ids in
    integer columns (Open edX stores Accredible's group and credential ids so). Handed out once,
    never reused; the row is the only way back from the number to what it names."""

    __tablename__ = "vendor_numbers"
    __table_args__ = (UniqueConstraint("kind", "target_id"),)

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organization_id: Mapped[OrgFk]
    kind: Mapped[str] = mapped_column(String(16))  # "group" (a template) or "credential"
    target_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_at: Mapped[CreatedAt]


class VendorEvent(Base):
    """A template event as Credly announces it: its webhook names the event, and the receiver
    reads the template's state at that moment back from ``GET .../events/{id}/``."""

    __tablename__ = "vendor_events"

    id: Mapped[IdPk]
    organization_id: Mapped[OrgFk]
    # No foreign key: a deleted template's event still says what was deleted.
    template_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    event_type: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    badge_template: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[CreatedAt]

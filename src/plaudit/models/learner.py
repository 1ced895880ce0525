"""Learners: the people who earn credentials, identified by the caller's own id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plaudit.db import Base, UTCDateTime
from plaudit.models._types import CreatedAt, IdPk, OrgFk, UpdatedAt


class Learner(Base):
    __tablename__ = "learners"
    __table_args__ = (UniqueConstraint("organization_id", "external_id"),)

    id: Mapped[IdPk]
    organization_id: Mapped[OrgFk]
    # The LMS's id for the learner, or "email:<address>" when only an email is known.
    external_id: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    first_name: Mapped[str | None] = mapped_column(String(200))
    last_name: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(35))
    # Set by the unsubscribe link in every email: no more notifications to this learner.
    email_opt_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

"""Organization: the tenant and the issuer of its credentials."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from plaudit.db import Base
from plaudit.models._types import CreatedAt, IdPk, UpdatedAt


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[IdPk]
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(2048))
    email: Mapped[str | None] = mapped_column(String(320))
    description: Mapped[str | None] = mapped_column(Text)
    logo_url: Mapped[str | None] = mapped_column(String(2048))
    default_language: Mapped[str] = mapped_column(String(35), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # What GET /credentials/{id} returns unless ?format= says otherwise; every format is always
    # available (the stored document is eddsa-rdfc-2022, which 1EdTech certification requires).
    default_proof_format: Mapped[str] = mapped_column(
        String(32), default="eddsa-rdfc-2022", server_default="eddsa-rdfc-2022"
    )
    # Changes whenever a rule, template or template version of the organization does (set by
    # database triggers, migration 0024): the award loop's cache of rules is keyed by it.
    rules_version: Mapped[str] = mapped_column(String(32), default="", server_default="")
    # Changes whenever its email settings or webhook endpoints do, as far as who is told what
    # (migration 0025): the award loop's announcements use what is kept under it.
    sending_version: Mapped[str] = mapped_column(String(32), default="", server_default="")
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

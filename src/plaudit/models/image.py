"""Stored images: an original upload and its derived PNG sizes."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from plaudit.db import Base
from plaudit.models._types import CreatedAt, IdPk, OrgFk


class Image(Base):
    __tablename__ = "images"

    id: Mapped[IdPk]
    organization_id: Mapped[OrgFk]
    content_type: Mapped[str] = mapped_column(String(64))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    byte_size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[CreatedAt]

"""Leases: a named piece of background work held by one process until it expires."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from plaudit.db import Base, UTCDateTime


class Lease(Base):
    """Held by ``holder`` until ``expires_at``; the holder renews it while it works, and any
    process may take it over once it has expired (its holder died or hangs)."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

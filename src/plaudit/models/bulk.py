"""Bulk issuance: an uploaded CSV of past (or present) awards, applied by a resumable job."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plaudit.db import Base, UTCDateTime
from plaudit.models._types import CreatedAt, IdPk, JSONType, OrgFk, str_enum


class BulkStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class BulkIssuance(Base):
    """One uploaded file and the progress of its apply job."""

    __tablename__ = "bulk_issuances"
    # The same file posted again finds this job instead of starting another.
    __table_args__ = (UniqueConstraint("organization_id", "sha256"),)

    id: Mapped[IdPk]
    organization_id: Mapped[OrgFk]
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str | None] = mapped_column(String(255))
    # Where the file is kept (plaudit.storage); the job streams it from there.
    file_key: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    # Who sent the file, as they were named then: a member's email, an API key's name, or
    # the command line (a label, kept when the member or key is gone).
    uploaded_by: Mapped[str | None] = mapped_column(String(320))
    notify: Mapped[bool] = mapped_column(Boolean, default=True)
    skip_invalid: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[BulkStatus] = mapped_column(str_enum(BulkStatus))
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    # Rows read so far, in file order: a restarted job skips this many and goes on.
    processed_rows: Mapped[int] = mapped_column(Integer, default=0)
    issued: Mapped[int] = mapped_column(Integer, default=0)
    # Already issued (by an earlier file, or earlier in this one): nothing to do.
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    # Invalid when applied (allowed by skip_invalid, or a template unpublished meanwhile).
    failed: Mapped[int] = mapped_column(Integer, default=0)
    # The first of those rows' errors: [{"line", "column", "code", "message"}].
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[CreatedAt]
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

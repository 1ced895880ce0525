"""An organization's Bitstring Status Lists: one for revocation, one for suspension."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import Integer, LargeBinary, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plaudit.db import Base
from plaudit.models._types import IdPk, JSONType, OrgFk, UpdatedAt, str_enum


class StatusPurpose(enum.StrEnum):
    REVOCATION = "revocation"
    SUSPENSION = "suspension"


class StatusList(Base):
    """The raw bits, the next free index, and the signed list credential last published.

    ``version`` grows with every flipped bit; ``signed_version`` says which version
    ``document`` carries, so that a stale document is recognised and signed again.
    """

    __tablename__ = "status_lists"
    __table_args__ = (UniqueConstraint("organization_id", "purpose"),)

    id: Mapped[IdPk]
    organization_id: Mapped[OrgFk]
    purpose: Mapped[StatusPurpose] = mapped_column(str_enum(StatusPurpose))
    next_index: Mapped[int] = mapped_column(Integer, default=0)
    bits: Mapped[bytes] = mapped_column(LargeBinary)
    version: Mapped[int] = mapped_column(Integer, default=1)
    document: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    signed_version: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[UpdatedAt]

    @property
    def stale(self) -> bool:
        return self.document is None or self.signed_version != self.version

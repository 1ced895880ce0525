"""Column helpers shared by the models."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Annotated

from sqlalchemy import JSON, Enum, ForeignKey, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import mapped_column

from plaudit.db import UTCDateTime, new_id, utcnow

# JSONB on PostgreSQL (indexable, compact), JSON text elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")

IdPk = Annotated[uuid.UUID, mapped_column(Uuid, primary_key=True, default=new_id)]
CreatedAt = Annotated[datetime, mapped_column(UTCDateTime, default=utcnow, nullable=False)]
UpdatedAt = Annotated[
    datetime, mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
]
OrgFk = Annotated[
    uuid.UUID,
    mapped_column(Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), index=True),
]


def str_enum(enum_class: type[enum.StrEnum]) -> Enum:
    """A portable enum column: VARCHAR plus a CHECK constraint, storing the member values."""
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
    )

"""Per-organization signing keys; the private part is encrypted with the instance master key."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from plaudit.db import Base, UTCDateTime
from plaudit.models._types import CreatedAt, IdPk, JSONType, OrgFk, str_enum


class KeyAlgorithm(enum.StrEnum):
    ED25519 = "Ed25519"
    RSA = "RSA"


class KeyStatus(enum.StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


class SigningKey(Base):
    __tablename__ = "signing_keys"
    __table_args__ = (
        # At most one active key per algorithm: the database, not the code, keeps key
        # provisioning idempotent when two workers race.
        Index(
            "uq_signing_keys_one_active",
            "organization_id",
            "algorithm",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[IdPk]
    organization_id: Mapped[OrgFk]
    algorithm: Mapped[KeyAlgorithm] = mapped_column(str_enum(KeyAlgorithm))
    status: Mapped[KeyStatus] = mapped_column(str_enum(KeyStatus))
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # AES-256-GCM ciphertext of the PKCS#8 private key; see plaudit.secrets.
    private_key_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    master_key_id: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[CreatedAt]
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

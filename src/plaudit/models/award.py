"""Awards: the per-learner aggregate, the immutable log, the ONCE guard and the credential."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plaudit.db import Base, UTCDateTime
from plaudit.models._types import CreatedAt, IdPk, JSONType, OrgFk, UpdatedAt, str_enum
from plaudit.models.event import Event


class Award(Base):
    """How many times a learner earned a template, first and last time."""

    __tablename__ = "awards"
    __table_args__ = (UniqueConstraint("learner_id", "template_id"),)

    id: Mapped[IdPk]
    organization_id: Mapped[OrgFk]
    learner_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("learners.id", ondelete="CASCADE")
    )
    template_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("templates.id", ondelete="CASCADE"), index=True
    )
    count: Mapped[int] = mapped_column(Integer, default=0)
    first_assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]


class AwardLog(Base):
    """One row per assignment; never updated."""

    __tablename__ = "award_logs"
    __table_args__ = (
        # An event awards a template at most once per rule, however often it is redelivered or
        # replayed by a backfill: the database refuses the second row.
        UniqueConstraint("event_id", "rule_id", "template_id"),
        Index("ix_award_logs_award", "award_id"),
    )

    id: Mapped[IdPk]
    organization_id: Mapped[OrgFk]
    award_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("awards.id", ondelete="CASCADE"))
    learner_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("learners.id", ondelete="CASCADE")
    )
    template_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("templates.id", ondelete="CASCADE")
    )
    template_version: Mapped[int] = mapped_column(Integer)
    rule_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("rules.id", ondelete="SET NULL")
    )
    event_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("events.id", ondelete="SET NULL")
    )
    source_entity_type: Mapped[str | None] = mapped_column(String(100))
    source_entity_id: Mapped[str | None] = mapped_column(String(255))
    backfill_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[CreatedAt]

    # Never loaded through (lazy="raise"); declared so that a flush inserts the award and the
    # event before the log rows that point at them.
    award: Mapped[Award] = relationship(lazy="raise")
    event: Mapped[Event | None] = relationship(lazy="raise")


class AwardGuard(Base):
    """Exists while a learner holds a credential of a template: ONCE rules may not award again.

    Inserting the guard is how a ONCE award claims its slot; concurrent workers race on the
    primary key and exactly one wins. Revoking the credential removes the guard.
    """

    __tablename__ = "award_guards"

    learner_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("learners.id", ondelete="CASCADE"), primary_key=True
    )
    template_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("templates.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[OrgFk]
    created_at: Mapped[CreatedAt]


class CredentialStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class Credential(Base):
    """What a learner received (the seed's badge record); its signed form comes with issue 5."""

    __tablename__ = "credentials"
    __table_args__ = (
        Index("ix_credentials_org_learner", "organization_id", "learner_id"),
        Index("ix_credentials_org_template", "organization_id", "template_id"),
        # Expiry reminders look for credentials about to expire.
        Index("ix_credentials_expires_at", "expires_at"),
        # The dashboard's lists and charts: an organization's credentials by issue date.
        Index("ix_credentials_org_emitted", "organization_id", "emitted_at"),
        # The overview's figures: what Plaudit issued in a period, whatever date it carries.
        Index("ix_credentials_org_created", "organization_id", "created_at"),
        # The recovery pass looks for credentials whose signing job was lost: few rows, since
        # a credential leaves this index once signed (imported ones are never signed here).
        Index(
            "ix_credentials_unsigned",
            "created_at",
            sqlite_where=text("signed_at IS NULL AND imported = 0"),
            postgresql_where=text("signed_at IS NULL AND NOT imported"),
        ),
        # One index serves both of the organization's lists (revocation and suspension).
        UniqueConstraint("organization_id", "status_index"),
        # Importing the same credential again finds it instead of duplicating it (NULLs never
        # collide, so credentials issued here are not concerned).
        UniqueConstraint("organization_id", "import_source", "legacy_id"),
        # A bulk issuance row is issued once, however often its file (or another file holding
        # the same row) is uploaded: see plaudit.bulk. NULL for every other credential. The key
        # leads the index: bulk jobs look up a thousand keys at a time.
        UniqueConstraint("issuance_key", "organization_id"),
    )

    id: Mapped[IdPk]
    organization_id: Mapped[OrgFk]
    # Short, unguessable, for the public verification URL.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    learner_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("learners.id", ondelete="CASCADE")
    )
    template_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("templates.id", ondelete="CASCADE")
    )
    template_version_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("template_versions.id", ondelete="RESTRICT")
    )
    template_version: Mapped[int] = mapped_column(Integer)
    award_log_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("award_logs.id", ondelete="SET NULL"), unique=True
    )
    status: Mapped[CredentialStatus] = mapped_column(str_enum(CredentialStatus))
    recipient_email: Mapped[str | None] = mapped_column(String(320))
    recipient_first_name: Mapped[str | None] = mapped_column(String(200))
    recipient_last_name: Mapped[str | None] = mapped_column(String(200))
    activity_title: Mapped[str | None] = mapped_column(String(500))
    activity_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    activity_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notes: Mapped[str | None] = mapped_column(Text)
    additional_details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Certificate dynamic field values, filled by the rule's field mapping.
    fields: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # The learner hid it from the public: its page says so; its files still verify.
    private: Mapped[bool] = mapped_column(default=False)
    imported: Mapped[bool] = mapped_column(default=False)
    legacy_id: Mapped[str | None] = mapped_column(String(255))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Its position in the organization's Bitstring Status Lists, allocated when it is signed.
    status_index: Mapped[int | None] = mapped_column(Integer)
    # The signed Open Badges 3.0 credential (eddsa-rdfc-2022), made by a job after the award
    # commits; None until then.
    document: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Imported credentials (see plaudit.imports): who issued them and how they came. The
    # original is kept here exactly as received (a JSON object, or a VC-JWT string), never in
    # `document`: everything that reads `document` (downloads, other proof formats, status
    # lists, the signing job) takes it for a credential we signed.
    import_source: Mapped[str | None] = mapped_column(String(255))
    import_format: Mapped[str | None] = mapped_column(String(16))
    imported_document: Mapped[dict[str, Any] | str | None] = mapped_column(JSONType, nullable=True)
    # {"issuer": {...}, "verification": {...}, "notes": [...]}, as found at import time.
    import_details: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    # Bulk issuance: a hash of (organization, template, recipient email, issue date), and the
    # job that issued it (for the job's list of credentials; the key alone names no job).
    issuance_key: Mapped[str | None] = mapped_column(String(64))
    bulk_issuance_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("bulk_issuances.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    award_log: Mapped[AwardLog | None] = relationship(lazy="raise")

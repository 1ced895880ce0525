"""Shapes of credentials in the API, and the bodies of their status changes."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import Field, computed_field, model_validator

from plaudit.credentials.service import MAX_REASON
from plaudit.schemas import Input, Output


class ReasonIn(Input):
    reason: str = Field(
        min_length=1, max_length=MAX_REASON, description="Why; shown to anyone who verifies it."
    )


class BadgeStatus(enum.StrEnum):
    """A credential's status as the API says it: the stored one, and `expired` for an active
    credential whose `expires_at` has passed (computed on read: nothing is written at expiry)."""

    ACTIVE = "active"
    EXPIRED = "expired"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class CredentialOut(Output):
    id: uuid.UUID
    public_id: str
    organization_id: uuid.UUID
    learner_id: uuid.UUID
    template_id: uuid.UUID
    template_version: int = Field(
        description="The number of the template's version it was issued from."
    )
    status: BadgeStatus = Field(
        description="`expired` once `expires_at` has passed (a revoked or suspended credential "
        "keeps saying so)."
    )
    recipient_email: str | None
    recipient_first_name: str | None
    recipient_last_name: str | None
    activity_title: str | None
    activity_started_at: datetime | None
    activity_ended_at: datetime | None
    emitted_at: datetime
    expires_at: datetime | None
    notes: str | None
    additional_details: dict[str, Any]
    fields: dict[str, Any]
    evidence: list[dict[str, Any]]
    imported: bool
    legacy_id: str | None = Field(description="Its id in the system it was imported from.")
    revoked_at: datetime | None
    revoked_reason: str | None
    document: dict[str, Any] | None = Field(
        description="The signed Open Badges 3.0 credential; null for the moment until the "
        "signing job has run (usually within a second)."
    )
    signed_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @model_validator(mode="after")
    def _expired(self) -> CredentialOut:
        if (
            self.status is BadgeStatus.ACTIVE
            and self.expires_at is not None
            and self.expires_at <= datetime.now(UTC)
        ):
            self.status = BadgeStatus.EXPIRED
        return self

    @computed_field(description="`legacy_id` under the seed's name.")  # type: ignore[prop-decorator]
    @property
    def imp_legacy_id(self) -> str | None:
        return self.legacy_id


class TemplateVersionOut(Output):
    """The template's version a credential was issued from, as it was then."""

    id: uuid.UUID
    template_id: uuid.UUID
    number: int
    name: str
    description: str
    created_at: datetime


class BadgeRecordOut(CredentialOut):
    """A credential with the seed's badge record: its images, its public page, its version."""

    image_path: str | None = Field(description="The badge image, 512 px.")
    image_high_path: str | None = Field(description="The badge image, 1024 px.")
    image_thumbnail_path: str | None = Field(description="The badge image, 128 px.")
    url: str = Field(description="The credential's public page.")
    badge_template_version: TemplateVersionOut | None

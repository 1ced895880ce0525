"""Shapes of credentials in the API, and the bodies of their status changes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from plaudit.credentials.service import MAX_REASON
from plaudit.models.award import CredentialStatus
from plaudit.schemas import Input, Output


class ReasonIn(Input):
    reason: str = Field(
        min_length=1, max_length=MAX_REASON, description="Why; shown to anyone who verifies it."
    )


class CredentialOut(Output):
    id: uuid.UUID
    public_id: str
    learner_id: uuid.UUID
    template_id: uuid.UUID
    template_version: int
    status: CredentialStatus
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
    legacy_id: str | None
    revoked_at: datetime | None
    revoked_reason: str | None
    document: dict[str, Any] | None = Field(
        description="The signed Open Badges 3.0 credential; null for the moment until the "
        "signing job has run (usually within a second)."
    )
    signed_at: datetime | None
    created_at: datetime
    updated_at: datetime

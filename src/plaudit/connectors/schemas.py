"""Request and response shapes of connectors, their payloads and presets."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, JsonValue, StringConstraints, model_validator

from plaudit.connectors.mapping import Mapping
from plaudit.models.connector import PayloadStatus
from plaudit.schemas import Input, NotNull, Output, worded_pattern

ConnectorName = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Description = Annotated[str, StringConstraints(max_length=500)]
PresetName = Annotated[str, StringConstraints(min_length=1, max_length=50)]


class SignatureIn(Input):
    """An HMAC of the raw body that the LMS sends in a header, as an alternative to the token."""

    header: Annotated[
        str,
        worded_pattern(
            r"^[A-Za-z0-9-]+$",
            "a header name: letters, digits and hyphens, such as X-Signature",
            min_length=1,
            max_length=100,
        ),
    ] = Field(examples=["X-Signature"])
    secret: Annotated[str, StringConstraints(min_length=8, max_length=500)] = Field(
        description="The signing key configured in the LMS. Stored encrypted; never shown again."
    )
    algorithm: Literal["sha256", "sha1", "sha512"] = "sha256"
    encoding: Literal["hex", "base64"] = "hex"
    prefix: Annotated[str, StringConstraints(max_length=20)] = Field(
        default="", description="Text before the signature in the header, e.g. 'sha256='."
    )


class SignatureOut(Output):
    header: str
    algorithm: str
    encoding: str
    prefix: str


class ConnectorCreate(Input):
    name: ConnectorName
    description: Description | None = None
    preset: PresetName | None = Field(
        default=None, description="Start from a preset's mapping: see GET /connectors/presets."
    )
    mapping: Mapping | None = Field(default=None, description="See docs/connectors.md.")
    enabled: bool = True
    signature: SignatureIn | None = None

    @model_validator(mode="after")
    def _one_mapping(self) -> ConnectorCreate:
        if (self.preset is None) == (self.mapping is None):
            raise ValueError("give either a 'preset' or a 'mapping'")
        return self


class ConnectorUpdate(Input):
    name: NotNull[ConnectorName] = None
    description: Description | None = None
    mapping: NotNull[Mapping] = None
    enabled: NotNull[bool] = None
    signature: SignatureIn | None = Field(
        default=None, description="null removes the signature check."
    )


class ConnectorOut(Output):
    id: uuid.UUID
    name: str
    description: str | None
    preset: str | None
    mapping: dict[str, Any]
    enabled: bool
    signature: SignatureOut | None
    url: str = Field(description="Where the LMS sends its webhooks.")
    secret_rotated_at: datetime | None
    created_at: datetime
    updated_at: datetime
    payloads: dict[PayloadStatus, int] | None = Field(
        default=None, description="Payloads received, by status (when reading one connector)."
    )


class ConnectorCreated(ConnectorOut):
    secret: str = Field(description="The webhook secret. Shown once: store it now.")
    url_with_token: str = Field(
        description="The URL with the secret as ?token=, for LMSs that only take a URL."
    )


class PresetOut(Output):
    name: str
    title: str
    description: str
    mapping: dict[str, Any]
    example: Any


class PreviewIn(Input):
    preset: PresetName | None = None
    mapping: Mapping | None = None
    payload: JsonValue = Field(description="A payload as the LMS sends it (forms as objects).")

    @model_validator(mode="after")
    def _one_mapping(self) -> PreviewIn:
        if (self.preset is None) == (self.mapping is None):
            raise ValueError("give either a 'preset' or a 'mapping'")
        return self


class PreviewOut(Output):
    status: Literal["mapped", "ignored", "unmapped"]
    reason: str | None = None
    errors: list[dict[str, str]] = Field(default_factory=list)
    event: dict[str, Any] | None = None


class PayloadOut(Output):
    id: uuid.UUID
    connector_id: uuid.UUID
    status: PayloadStatus
    reason: str | None
    errors: list[dict[str, str]]
    content_type: str | None
    payload: Any
    raw_body: str | None
    size: int
    event_id: str | None
    awards_count: int
    attempts: int
    received_at: datetime
    processed_at: datetime


class ReplayMany(Input):
    status: list[PayloadStatus] = Field(
        default_factory=lambda: [PayloadStatus.UNMAPPED, PayloadStatus.FAILED],
        min_length=1,
        description="Which kept payloads to map again, oldest first.",
    )
    limit: int = Field(default=100, ge=1, le=500)


class ReplayOut(Output):
    replayed: int
    by_status: dict[PayloadStatus, int]
    items: list[PayloadOut]


class HookResult(Output):
    payload_id: uuid.UUID
    status: PayloadStatus
    reason: str | None
    event_id: str | None
    awards: int

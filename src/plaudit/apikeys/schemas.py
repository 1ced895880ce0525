"""Request and response shapes of API keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from plaudit.models.apikey import Scope
from plaudit.schemas import Input, Output


class ApiKeyCreate(Input):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    scopes: list[Scope] = Field(
        min_length=1,
        max_length=4,
        description="read; write (implies read); issue (send events, issue credentials); "
        "admin (everything, including keys and settings).",
    )

    @field_validator("scopes")
    @classmethod
    def _unique(cls, scopes: list[Scope]) -> list[Scope]:
        return sorted(set(scopes), key=list(Scope).index)


class ApiKeyOut(Output):
    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[Scope]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    token: str = Field(description="The secret key. Shown once: store it now.")

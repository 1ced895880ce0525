"""Request and response shapes of organizations."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, available_timezones

from pydantic import AfterValidator, AnyHttpUrl, EmailStr, Field, StringConstraints

from plaudit.schemas import Input, NotNull, Output, worded_pattern

_LANG = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")
_SLUG = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"


def _language(value: str) -> str:
    if not _LANG.match(value):
        raise ValueError("must be a language tag such as 'en', 'it' or 'pt-BR'")
    return value


def _timezone(value: str) -> str:
    if value not in _zones():
        raise ValueError("must be an IANA time zone such as 'UTC' or 'Europe/Rome'")
    ZoneInfo(value)
    return value


def _zones() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones() | {"UTC"})
    return _ZONES


_ZONES: set[str] = set()

LanguageTag = Annotated[str, StringConstraints(max_length=35), AfterValidator(_language)]
ProofFormat = Literal["eddsa-rdfc-2022", "eddsa-jcs-2022", "vc-jwt"]
TimeZoneName = Annotated[str, StringConstraints(max_length=64), AfterValidator(_timezone)]
Slug = Annotated[
    str,
    worded_pattern(
        _SLUG,
        "lowercase letters, digits and hyphens (not first or last), at most 63 characters, "
        "such as 'acme-academy'",
        max_length=63,
    ),
]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=5000)]
Url = Annotated[AnyHttpUrl, Field(max_length=2048)]


class OrganizationCreate(Input):
    name: Name
    slug: Slug | None = Field(
        default=None, description="URL-safe id; derived from the name if omitted."
    )
    url: Url | None = None
    email: EmailStr | None = None
    description: Description | None = None
    logo_url: Url | None = None
    default_language: LanguageTag = "en"
    timezone: TimeZoneName = "UTC"


class OrganizationUpdate(Input):
    name: NotNull[Name] = None
    url: Url | None = None
    email: EmailStr | None = None
    description: Description | None = None
    logo_url: Url | None = None
    default_language: NotNull[LanguageTag] = None
    timezone: NotNull[TimeZoneName] = None
    default_proof_format: NotNull[ProofFormat] = None


class OrganizationOut(Output):
    id: uuid.UUID
    slug: str
    name: str
    url: str | None
    email: str | None
    description: str | None
    logo_url: str | None
    default_language: str
    timezone: str
    default_proof_format: str
    created_at: datetime
    updated_at: datetime

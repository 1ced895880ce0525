"""Request and response shapes of templates."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AnyHttpUrl, Field, StringConstraints, field_validator, model_validator

from plaudit.models.template import TemplateKind, TemplateOrigin, TemplateStatus
from plaudit.organizations.schemas import LanguageTag
from plaudit.schemas import Input, NotNull, Output, worded_pattern
from plaudit.templates import vocabulary as v
from plaudit.templates.expiry import parse_duration
from plaudit.templates.layout import CertificateLayout

Name = Annotated[str, StringConstraints(min_length=1, max_length=v.MAX_NAME)]
Description = Annotated[str, StringConstraints(max_length=v.MAX_DESCRIPTION)]
Narrative = Annotated[str, StringConstraints(max_length=v.MAX_CRITERIA)]
Url = Annotated[AnyHttpUrl, Field(max_length=2048)]
FieldName = Annotated[
    str,
    worded_pattern(
        r"^[a-z][a-z0-9_]{0,39}$",
        "a lowercase name of at most 40 characters starting with a letter, such as "
        "course_name (letters, digits and underscores)",
    ),
]
TagName = Annotated[str, StringConstraints(min_length=1, max_length=v.MAX_TAG_LENGTH)]
WalletReminderDays = Annotated[int, Field(ge=1, le=v.MAX_WALLET_REMINDER_DAYS)]
WALLET_REMINDER_HELP = (
    "Days after a credential is signed to email its learner once, if it was not taken into a "
    "wallet app by then; null: never."
)


class Criteria(Input):
    narrative: Narrative | None = None
    url: Url | None = None


class Translation(Input):
    lang: LanguageTag
    name: Name
    description: Description = ""
    criteria: Narrative | None = None


class Alignment(Input):
    """An OB 3.0 Alignment: the skill, competency or standard this credential aligns to."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    url: Url
    framework: Annotated[str, StringConstraints(max_length=200)] | None = None
    code: Annotated[str, StringConstraints(max_length=100)] | None = None
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None


class Tag(Input):
    name: TagName
    priority: int = Field(default=0, ge=-1000, le=1000, description="Lower is shown first.")


class NoExpiry(Input):
    type: Literal["none"] = "none"


class DurationExpiry(Input):
    type: Literal["duration"]
    duration: str = Field(description="ISO 8601 duration after issue: P1Y, P6M, P2W, P90D.")
    reminder_days: list[Annotated[int, Field(ge=1, le=365)]] | None = Field(
        default=None,
        max_length=5,
        description="Days before expiry to remind the learner by email; default [30, 7].",
    )

    @field_validator("duration")
    @classmethod
    def _check(cls, value: str) -> str:
        parse_duration(value)
        return value


class FixedDateExpiry(Input):
    type: Literal["fixed_date"]
    date: date
    reminder_days: list[Annotated[int, Field(ge=1, le=365)]] | None = Field(
        default=None,
        max_length=5,
        description="Days before expiry to remind the learner by email; default [30, 7].",
    )


Expiry = Annotated[NoExpiry | DurationExpiry | FixedDateExpiry, Field(discriminator="type")]

FieldType = Literal["text", "date", "number", "url", "email"]


class DynamicField(Input):
    """A value each certificate fills in (recipient name, course title, score...)."""

    name: FieldName
    label: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    type: FieldType = "text"
    required: bool = False
    default: Annotated[str, StringConstraints(max_length=500)] | None = None


DEFAULT_CERTIFICATE_FIELDS = [
    DynamicField(name="recipient_name", label="Recipient name", type="text", required=True),
    DynamicField(name="course_title", label="Course title", type="text"),
    DynamicField(name="completion_date", label="Completion date", type="date"),
    DynamicField(name="score", label="Score", type="number"),
]


def _achievement_type(value: str) -> str:
    if value in v.ACHIEVEMENT_TYPES or v.EXTENSION_TYPE.match(value):
        return value
    raise ValueError(
        "must be an Open Badges 3.0 achievement type (e.g. Badge, Certificate, Course, "
        "Competency) or an extension such as 'ext:Workshop'"
    )


def _metadata(value: dict[str, Any]) -> dict[str, Any]:
    if len(value) > v.MAX_METADATA_KEYS:
        raise ValueError(f"may have at most {v.MAX_METADATA_KEYS} keys")
    if len(json.dumps(value)) > v.MAX_METADATA_BYTES:
        raise ValueError(f"may hold at most {v.MAX_METADATA_BYTES} bytes of JSON")
    return value


class _Content(Input):
    """Fields shared by create and update."""

    @field_validator("achievement_type", check_fields=False)
    @classmethod
    def _type(cls, value: str | None) -> str | None:
        return None if value is None else _achievement_type(value)

    @field_validator("metadata", check_fields=False)
    @classmethod
    def _meta(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if value is None else _metadata(value)

    @field_validator("tags", check_fields=False)
    @classmethod
    def _unique_tags(cls, tags: list[Tag] | None) -> list[Tag] | None:
        if tags is not None and len({t.name.lower() for t in tags}) != len(tags):
            raise ValueError("tag names must be unique")
        return tags

    @field_validator("fields", check_fields=False)
    @classmethod
    def _unique_fields(cls, fields: list[DynamicField] | None) -> list[DynamicField] | None:
        if fields is not None and len({f.name for f in fields}) != len(fields):
            raise ValueError("field names must be unique")
        return fields


class TemplateCreate(_Content):
    kind: TemplateKind
    name: Name
    description: Description = ""
    criteria: Criteria = Field(default_factory=Criteria)
    achievement_type: str | None = Field(
        default=None, description="OB 3.0 type; default Badge for badges, Certificate otherwise."
    )
    language: LanguageTag | None = Field(
        default=None,
        description="Language of name/description/criteria; default: the organization's.",
    )
    translations: list[Translation] = Field(default_factory=list, max_length=v.MAX_LANGUAGES - 1)
    alignments: list[Alignment] = Field(default_factory=list, max_length=v.MAX_ALIGNMENTS)
    tags: list[Tag] = Field(default_factory=list, max_length=v.MAX_TAGS)
    expiry: Expiry = Field(default_factory=NoExpiry)
    fields: list[DynamicField] | None = Field(
        default=None,
        max_length=v.MAX_FIELDS,
        description="Certificates only; default: recipient_name, course_title, "
        "completion_date, score.",
    )
    layout: CertificateLayout | None = Field(
        default=None, description="Certificates only: how the PDF is laid out."
    )
    metadata: dict[str, Any] = Field(default_factory=dict)
    wallet_reminder_days: WalletReminderDays | None = Field(
        default=None, description=WALLET_REMINDER_HELP
    )

    @model_validator(mode="after")
    def _consistent(self) -> TemplateCreate:
        if self.fields and self.kind is TemplateKind.BADGE:
            raise ValueError("only certificate templates declare dynamic 'fields'")
        if self.layout is not None and self.kind is TemplateKind.BADGE:
            raise ValueError("only certificate templates have a 'layout'")
        _check_languages(self.language, self.translations)
        return self


class TemplateUpdate(_Content):
    """Only the fields sent are changed; send null to clear an optional one."""

    name: NotNull[Name] = None
    description: Description | None = None
    criteria: Criteria | None = None
    achievement_type: NotNull[str] = None
    language: NotNull[LanguageTag] = None
    translations: list[Translation] | None = Field(default=None, max_length=v.MAX_LANGUAGES - 1)
    alignments: list[Alignment] | None = Field(default=None, max_length=v.MAX_ALIGNMENTS)
    tags: list[Tag] | None = Field(default=None, max_length=v.MAX_TAGS)
    expiry: Expiry | None = None
    fields: list[DynamicField] | None = Field(default=None, max_length=v.MAX_FIELDS)
    layout: CertificateLayout | None = None
    metadata: dict[str, Any] | None = None
    sync_with_catalog: NotNull[bool] = None
    wallet_reminder_days: WalletReminderDays | None = Field(
        default=None, description=WALLET_REMINDER_HELP
    )

    @model_validator(mode="after")
    def _consistent(self) -> TemplateUpdate:
        # As on create: a translation's language appears once (the service checks the main one).
        if self.translations is not None:
            _check_languages(None, self.translations)
        return self


def _check_languages(language: str | None, translations: list[Translation]) -> None:
    langs = [t.lang.lower() for t in translations]
    if language is not None:
        langs.append(language.lower())
    if len(set(langs)) != len(langs):
        raise ValueError("each language may appear once (the main language is not repeated)")


class LocalizedOut(Output):
    lang: str
    name: str
    description: str
    criteria: str | None


class CriteriaOut(Output):
    narrative: str | None
    url: str | None


class TemplateOut(Output):
    id: uuid.UUID
    kind: TemplateKind
    status: TemplateStatus
    name: str
    description: str
    criteria: CriteriaOut
    achievement_type: str
    language: str
    languages: list[str]
    translations: list[dict[str, Any]]
    localized: LocalizedOut = Field(description="The best match for ?lang= / Accept-Language.")
    alignments: list[dict[str, Any]]
    tags: list[dict[str, Any]]
    expiry: dict[str, Any]
    fields: list[dict[str, Any]]
    layout: CertificateLayout | None = Field(description="Certificates: the PDF's layout.")
    metadata: dict[str, Any]
    image: dict[str, str] | None = Field(description="URLs of the original and derived PNG sizes.")
    origin: TemplateOrigin
    catalog_key: str | None
    catalog_version: int | None
    sync_with_catalog: bool
    wallet_reminder_days: int | None = Field(description=WALLET_REMINDER_HELP)
    published_version: int | None
    has_unpublished_changes: bool
    allowed_transitions: list[str]
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    archived_at: datetime | None


class VersionOut(Output):
    number: int
    template_id: uuid.UUID
    created_at: datetime
    snapshot: dict[str, Any]
    image: dict[str, str] | None

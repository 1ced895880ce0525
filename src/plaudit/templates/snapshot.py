"""A published version's frozen snapshot, read back typed; its defaults are written here once.

The stored JSON is whatever ``templates.service.snapshot`` built at publish time, and it is
never rewritten: a version is immutable, and credentials already signed quote it. So this model
only reads. Every key but ``name`` may be missing from a stored row and falls back to the default
below, the one the readers used to spell out with ``.get(...)`` (kind ``badge``, achievement
type ``Badge``, language ``en``, no expiry, empty lists, the default certificate layout). Unknown
keys are ignored, so a row written by a later Plaudit still reads.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date as Day
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
)

from plaudit.models.template import TemplateKind, TemplateVersion
from plaudit.templates.expiry import expires_at
from plaudit.templates.layout import CertificateLayout
from plaudit.templates.localize import FALLBACK
from plaudit.templates.schemas import FieldType

# Reminders before expiry when the template names none (an empty list means none at all).
DEFAULT_REMINDER_DAYS = (30, 7)


def _empty_if_null(value: object) -> object:
    return "" if value is None else value


# A stored null reads as the empty text the writer stores today.
Text = Annotated[str, BeforeValidator(_empty_if_null)]


class _Stored(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Criteria(_Stored):
    narrative: str | None = None
    url: str | None = None


class Translation(_Stored):
    lang: str
    name: str
    description: Text = ""
    # None: the main language's criteria are shown.
    criteria: str | None = None


class Alignment(_Stored):
    name: str
    url: str
    framework: str | None = None
    code: str | None = None
    description: str | None = None

    def as_json(self) -> dict[str, str]:
        """As stored: the keys that have a value (Open Badges 2.0 and the page read it so)."""
        return self.model_dump(exclude_none=True)


class Tag(_Stored):
    name: str
    priority: int = 0


class Expiry(_Stored):
    type: Literal["none", "duration", "fixed_date"] = "none"
    duration: str | None = None  # type "duration": ISO 8601 after issue (P1Y)
    date: Day | None = None  # type "fixed_date": valid until the end of that day, UTC
    reminder_days: tuple[int, ...] | None = None

    @property
    def reminders(self) -> tuple[int, ...]:
        """Days before expiry to remind the learner, the farthest first."""
        days = DEFAULT_REMINDER_DAYS if self.reminder_days is None else self.reminder_days
        return tuple(sorted(set(days), reverse=True))

    def ends(self, *, issued_at: datetime) -> datetime | None:
        """When a credential issued at ``issued_at`` stops being valid (None: never)."""
        return expires_at(self.model_dump(mode="json", exclude_none=True), issued_at=issued_at)


class DynamicField(_Stored):
    name: str
    label: str
    type: FieldType = "text"
    required: bool = False
    default: str | None = None


class Snapshot(_Stored):
    name: str
    kind: TemplateKind = TemplateKind.BADGE
    description: Text = ""
    criteria: Criteria = Field(default_factory=Criteria)
    achievement_type: str = "Badge"
    language: str = FALLBACK
    translations: tuple[Translation, ...] = ()
    alignments: tuple[Alignment, ...] = ()
    tags: tuple[Tag, ...] = ()  # in display order, as frozen
    expiry: Expiry = Field(default_factory=Expiry)
    fields: tuple[DynamicField, ...] = ()
    layout: CertificateLayout = Field(default_factory=CertificateLayout)
    metadata: dict[str, Any] = Field(default_factory=dict)
    image_id: uuid.UUID | None = None

    @field_validator("layout", mode="wrap")
    @classmethod
    def _layout(cls, value: object, handler: ValidatorFunctionWrapHandler) -> CertificateLayout:
        # Versions published before layouts were validated render with the default layout,
        # rather than not at all. Badges store {}, which is the default layout too.
        try:
            layout: CertificateLayout = handler(value or {})
        except ValidationError:
            return CertificateLayout()
        return layout

    @property
    def certificate(self) -> bool:
        return self.kind is TemplateKind.CERTIFICATE

    @property
    def languages(self) -> list[str]:
        """The main language first, then the translations'."""
        return [self.language, *(t.lang for t in self.translations)]

    @classmethod
    def read(cls, stored: Mapping[str, Any]) -> Snapshot:
        """A stored snapshot (a version's, or one just built from a working copy)."""
        return cls.model_validate(stored)


def snapshot_of(version: TemplateVersion) -> Snapshot:
    return Snapshot.read(version.snapshot)

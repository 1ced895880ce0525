"""A learner as other systems name them (events, imports), and the response shapes of
learners, their badges and credentials."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import EmailStr, Field, StringConstraints, model_validator

from plaudit.credentials.schemas import BadgeRecordOut
from plaudit.organizations.schemas import LanguageTag
from plaudit.schemas import Input, Output
from plaudit.templates.schemas import LocalizedOut

# Another system's id for something (a learner, an event, an entity).
Ident = Annotated[str, StringConstraints(min_length=1, max_length=255)]
PersonName = Annotated[str, StringConstraints(max_length=200)]


class LearnerIn(Input):
    id: Ident | None = Field(default=None, description="Your system's id for the learner.")
    email: EmailStr | None = None
    first_name: PersonName | None = None
    last_name: PersonName | None = None
    locale: LanguageTag | None = None

    @model_validator(mode="after")
    def _identified(self) -> LearnerIn:
        if self.id is None and self.email is None:
            raise ValueError("a learner needs an 'id' or an 'email'")
        return self

    @property
    def key(self) -> str:
        return self.id if self.id is not None else f"email:{str(self.email).lower()}"


class LearnerOut(Output):
    id: uuid.UUID
    external_id: str
    email: str | None
    first_name: str | None
    last_name: str | None
    locale: str | None
    created_at: datetime
    updated_at: datetime


class WalletLinkOut(Output):
    url: str


class AwardLogOut(Output):
    id: uuid.UUID
    template_version: int
    rule_id: uuid.UUID | None
    event_id: uuid.UUID | None
    source_entity_type: str | None
    source_entity_id: str | None
    backfill_id: uuid.UUID | None
    assigned_at: datetime


class BadgeOut(Output):
    """The seed's per-learner aggregate: how often, first and last, and every assignment."""

    template_id: uuid.UUID
    template_name: str
    count: int
    first_assigned_at: datetime
    last_assigned_at: datetime
    logs: list[AwardLogOut]
    credential: BadgeRecordOut | None = Field(
        default=None,
        description="The learner's latest credential of this template, as a badge record "
        "(null on the dashboard's list, and when none was issued).",
    )


class LearnerBadgeOut(BadgeOut):
    """One badge of the learner with its translation (seed 004)."""

    default_lang: str
    langs: list[str]
    translation: LocalizedOut

"""Request and response shapes of learning events."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from plaudit.learners.schemas import Ident, LearnerIn
from plaudit.models.event import EventOutcome
from plaudit.schemas import Input, Output, worded_pattern

# The seeds' triggers; any other "noun.verb" type is accepted as a custom type.
BUILT_IN_TYPES = (
    "lesson.completed",
    "module.completed",
    "category.completed",
    "course.completed",
    "product.completed",
    "activity.completed",
    "section.completed",
    "journey.completed",
    "programme.completed",
    "learning_path.completed",
    "mission.completed",
    "task.completed",
    "quiz.submitted",
    "survey.submitted",
    "form.submitted",
)
MAX_BATCH = 1000
MAX_DATA_BYTES = 16_384

EventType = Annotated[
    str,
    worded_pattern(
        r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$",
        "words in lowercase joined by dots, such as course.completed (letters, digits and "
        "underscores; no spaces)",
        max_length=100,
    ),
    Field(description="noun.verb, e.g. course.completed; built-in: " + ", ".join(BUILT_IN_TYPES)),
]
EntityType = Annotated[
    str,
    worded_pattern(
        r"^[a-z][a-z0-9_]*$",
        "one lowercase word, such as course or learning_path (letters, digits and underscores)",
        max_length=100,
    ),
]


class EntityRefIn(Input):
    type: EntityType
    id: Ident


class EntityIn(EntityRefIn):
    title: Annotated[str, StringConstraints(max_length=500)] | None = None
    parents: list[EntityRefIn] = Field(
        default_factory=list, max_length=20, description="e.g. the course of a lesson."
    )


class EventData(BaseModel):
    """Known measures are typed; any other key is kept as a custom field."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)

    score: float | None = None
    max_score: float | None = Field(default=None, ge=0)
    passed: bool | None = None
    duration: Annotated[str, StringConstraints(max_length=64)] | None = None


class EventIn(Input):
    id: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="Your id for this event: sending it again changes nothing."
    )
    type: EventType
    occurred_at: AwareDatetime
    learner: LearnerIn
    entity: EntityIn | None = None
    data: EventData = Field(default_factory=EventData)
    source: Annotated[str, StringConstraints(max_length=100)] | None = None

    @field_validator("data")
    @classmethod
    def _small(cls, data: EventData) -> EventData:
        if len(json.dumps(data.model_dump(exclude_none=True), default=str)) > MAX_DATA_BYTES:
            raise ValueError(f"may hold at most {MAX_DATA_BYTES} bytes of JSON")
        return data


class BatchIn(Input):
    # Items are validated one by one so that a bad item is reported without losing the others.
    checked_per_item = frozenset({"events"})

    events: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_BATCH)


class AwardResult(Output):
    template_id: uuid.UUID
    credential_id: uuid.UUID | None
    action: str
    rule_id: uuid.UUID | None


class EventResult(Output):
    index: int
    id: str | None
    status: str = Field(description="processed, duplicate or invalid")
    outcome: EventOutcome | None = None
    awards: list[AwardResult] = Field(default_factory=list)
    errors: list[dict[str, str]] = Field(default_factory=list)


class BatchOut(Output):
    processed: int
    duplicates: int
    invalid: int
    awarded: int
    results: list[EventResult]


class EventOut(Output):
    id: str
    type: str
    occurred_at: datetime
    learner_id: uuid.UUID
    entity: dict[str, Any] | None
    data: dict[str, Any]
    source: str | None
    outcome: EventOutcome
    awards_count: int
    received_at: datetime


class EventDetail(EventOut):
    trace: list[dict[str, Any]]

"""Request and response shapes of rules, simulations and backfills."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from plaudit.events.schemas import EntityType, EventIn, EventType
from plaudit.learners.schemas import Ident
from plaudit.models.rule import BackfillStatus, RuleMode, RuleStatus
from plaudit.schemas import Input, NotNull, Output, worded_pattern

TypePattern = Annotated[
    str,
    worded_pattern(
        r"^[a-z][a-z0-9_]*(\.([a-z][a-z0-9_]*|\*))+$",
        "an event type such as course.completed, or a wildcard such as course.* (lowercase "
        "words joined by dots; no spaces)",
        max_length=100,
    ),
    Field(description="An event type, or a wildcard such as course.*"),
]


class TriggerIn(Input):
    event_types: list[TypePattern] = Field(min_length=1, max_length=50)
    entity_type: EntityType | None = None
    entity_ids: list[Ident] = Field(
        default_factory=list,
        max_length=500,
        description="The event's entity, or one of its parents, must be one of these.",
    )


class AwardAction(Input):
    type: Literal["award"]
    template_id: uuid.UUID


class CertificateAction(Input):
    """Issues a certificate with its fields filled, or a badge (which has no fields) as
    'award' does: HighLevel's "Issue Certificate" action takes either kind of template."""

    type: Literal["issue_certificate"]
    template_id: uuid.UUID
    fields: dict[Annotated[str, StringConstraints(max_length=40)], Any] = Field(
        default_factory=dict,
        description="Each dynamic field of the template <- a JSON Logic expression over "
        'event, learner and entity (e.g. {"var": "entity.title"}) or a constant. '
        "Empty for a badge template.",
    )


class RevokeAction(Input):
    type: Literal["revoke"]
    template_id: uuid.UUID
    reason: Annotated[str, StringConstraints(max_length=500)] | None = None


Action = Annotated[AwardAction | CertificateAction | RevokeAction, Field(discriminator="type")]


class RuleIn(Input):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    description: Annotated[str, StringConstraints(max_length=2000)] = ""
    status: RuleStatus = RuleStatus.DRAFT
    priority: int = Field(default=100, ge=0, le=100_000, description="Lower runs first.")
    mode: RuleMode = RuleMode.ONCE
    trigger: TriggerIn
    condition: Any = Field(default=None, description="JSON Logic; null or {} means always.")
    actions: list[Action] = Field(min_length=1, max_length=10)


class RuleUpdate(Input):
    """Only the fields sent are changed; only 'condition' may be null (always)."""

    name: NotNull[Annotated[str, StringConstraints(min_length=1, max_length=200)]] = None
    description: NotNull[Annotated[str, StringConstraints(max_length=2000)]] = None
    status: NotNull[RuleStatus] = None
    priority: NotNull[int] = Field(default=None, ge=0, le=100_000)
    mode: NotNull[RuleMode] = None
    trigger: NotNull[TriggerIn] = None
    condition: Any = None
    actions: NotNull[list[Action]] = Field(default=None, min_length=1, max_length=10)


class RuleOut(Output):
    id: uuid.UUID
    name: str
    description: str
    status: RuleStatus
    priority: int
    mode: RuleMode
    trigger: dict[str, Any]
    condition: Any
    actions: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime


class HistoryEventIn(Input):
    """A past event for a simulation (same shape as an event; learner optional)."""

    id: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    type: EventType
    occurred_at: datetime
    entity: dict[str, Any] | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class SimulationIn(Input):
    rule: RuleIn | None = Field(
        default=None, description="An unsaved rule; or use /rules/{id}/simulate."
    )
    event: EventIn
    history: list[HistoryEventIn] = Field(default_factory=list, max_length=1000)
    held_template_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)


class SimulationOut(Output):
    fires: bool
    would_award: list[dict[str, Any]]
    trace: list[dict[str, Any]]


class BackfillPreviewOut(Output):
    rule_id: uuid.UUID
    learners: int
    awards: int
    sample: list[dict[str, Any]]


class BackfillOut(Output):
    id: uuid.UUID
    rule_id: uuid.UUID
    status: BackfillStatus
    total_learners: int
    processed_learners: int
    awarded: int
    error: str | None
    created_at: datetime
    finished_at: datetime | None

"""The facts a rule is judged on: the current learning event and the learner's history before it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class EntityRef:
    type: str
    id: str


@dataclass(frozen=True)
class EventFacts:
    """One learning event as the LMS reported it; ``occurred_at`` must be timezone-aware."""

    id: str
    type: str
    occurred_at: datetime
    learner: Mapping[str, Any]
    entity: Mapping[str, Any]
    data: Mapping[str, Any]
    source: str | None = None

    def __post_init__(self) -> None:
        # Comparing naive and aware datetimes raises deep inside `count`; refuse them at the door.
        if self.occurred_at.tzinfo is None or self.occurred_at.utcoffset() is None:
            raise ValueError(f"event {self.id}: occurred_at must be timezone-aware")

    @property
    def entity_ref(self) -> EntityRef | None:
        entity_id = id_text(self.entity.get("id"))
        if entity_id is None:
            return None
        return EntityRef(type=str(self.entity.get("type") or ""), id=entity_id)

    @property
    def parents(self) -> tuple[EntityRef, ...]:
        raw = self.entity.get("parents") or ()
        if not isinstance(raw, list | tuple):
            return ()
        refs = []
        for parent in raw:
            if isinstance(parent, Mapping) and (parent_id := id_text(parent.get("id"))):
                refs.append(EntityRef(type=str(parent.get("type") or ""), id=parent_id))
        return tuple(refs)

    def context(self) -> dict[str, Any]:
        """The JSON Logic data object (built once per event: every rule reads the same one).

        The entity and learner appear both at the top level and under ``event`` so that
        ``entity.id`` and ``event.entity.id`` both read naturally in a condition.
        """
        cached: dict[str, Any] | None = self.__dict__.get("_context")
        if cached is not None:
            return cached
        # One copy of each, under both names: the context is read, never changed, by every rule.
        learner, entity = to_json(self.learner), to_json(self.entity)
        built = {
            "event": {
                "id": self.id,
                "type": self.type,
                "occurred_at": iso_z(self.occurred_at),
                "data": to_json(self.data),
                "source": self.source,
                "entity": entity,
                "learner": learner,
            },
            "learner": learner,
            "entity": entity,
        }
        # A frozen dataclass still has a __dict__: the cache is invisible to equality and repr.
        self.__dict__["_context"] = built
        return built


@dataclass(frozen=True)
class History:
    """What the learner did and holds BEFORE the current event (the engine adds the current one)."""

    events: tuple[EventFacts, ...] = ()
    # template id -> number of active credentials of that template the learner holds
    held: Mapping[str, int] = field(default_factory=dict)


def iso_z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def id_text(value: Any) -> str | None:
    """Entity ids are strings, but an LMS may send integers; both compare as text."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def to_json(value: Any) -> Any:
    """Mappings, tuples and datetimes as the plain JSON values the operators expect."""
    if isinstance(value, Mapping):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if isinstance(value, datetime):
        return iso_z(value) if value.tzinfo is not None else value.isoformat()
    return value

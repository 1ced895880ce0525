"""A rule's trigger and condition as the sentences the builder and the wizard speak: what an
administrator reads on the rule list and a rule's page (the JSON Logic stays one click away)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

# The operators in plain words: "==" and "===" read the same to an administrator (the engine's
# difference, loose or strict typing, never matters for the values a form can type).
WORDS: Final = {
    "==": "is",
    "===": "is",
    "!=": "is not",
    "!==": "is not",
    ">": "is more than",
    ">=": "is at least",
    "<": "is less than",
    "<=": "is at most",
}
FIELDS: Final = {
    "event.data.score": "the score",
    "event.data.max_score": "the maximum score",
    "event.data.passed": "passed",
    "event.data.duration": "the duration",
    "event.type": "the event type",
    "event.source": "the event's source",
    "event.occurred_at": "when it happened",
    "entity.id": "the entity",
    "entity.type": "the entity type",
    "entity.title": "the entity's title",
    "learner.email": "the learner's email",
    "learner.first_name": "the learner's first name",
    "learner.last_name": "the learner's last name",
    "learner.locale": "the learner's language",
}
UNPHRASED: Final = "a condition written in JSON Logic (show it below)"


class _Unphrased(Exception):
    """A part of the condition the builder has no words for."""


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return f"“{value}”"
    if isinstance(value, list):
        return _either([_value(v) for v in value])
    if value is None:
        return "empty"
    if isinstance(value, int):
        return str(value)
    raise _Unphrased


def _either(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def _all(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _field(path: Any) -> str:
    if not isinstance(path, str) or not path:
        raise _Unphrased
    return FIELDS.get(path, path)


def _named(ids: Any, titles: Mapping[str, str]) -> list[str]:
    if isinstance(ids, dict):
        ids = ids.get("entity_ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise _Unphrased
    return [f"{titles[i]} ({i})" if titles.get(i) else i for i in ids]


def _history(op: str, raw: Any, titles: Mapping[str, str], names: Mapping[str, str]) -> str:
    if op == "completed_all":
        return "the learner has completed " + _all(_named(raw, titles))
    if op == "completed_any":
        return "the learner has completed " + _either(_named(raw, titles))
    if op == "holds_badge" and isinstance(raw, str):
        return f"the learner holds “{names.get(raw, raw)}”"
    raise _Unphrased


def _operand(node: Any, titles: Mapping[str, str]) -> str:
    if isinstance(node, dict) and len(node) == 1:
        ((op, raw),) = node.items()
        if op == "var":
            return _field(raw)
        if op == "count" and isinstance(raw, dict):
            types = raw.get("type")
            kinds = _either(types if isinstance(types, list) else [types]) if types else "events"
            text = f"the number of {kinds} events" if types else "the number of events"
            if raw.get("entity_ids"):
                text += " on " + _either(_named(raw["entity_ids"], titles))
            if raw.get("within"):
                text += f" within {raw['within']}"
            return text
        if op == "best_score":
            entity = raw.get("entity_id") if isinstance(raw, dict) else raw
            if not isinstance(entity, str):
                raise _Unphrased
            percent = isinstance(raw, dict) and raw.get("percent")
            return f"the best score{' (%)' if percent else ''} on {_named([entity], titles)[0]}"
    raise _Unphrased


def _phrase(node: Any, titles: Mapping[str, str], names: Mapping[str, str], *, nested: bool) -> str:
    if not isinstance(node, dict) or len(node) != 1:
        raise _Unphrased
    ((op, raw),) = node.items()
    if op in ("and", "or") and isinstance(raw, list) and raw:
        parts = [_phrase(child, titles, names, nested=True) for child in raw]
        joined = (" and " if op == "and" else " or ").join(parts)
        return f"({joined})" if nested and len(parts) > 1 else joined
    if op in ("completed_all", "completed_any", "holds_badge"):
        return _history(op, raw, titles, names)
    if op == "!" and isinstance(raw, dict) and list(raw) == ["holds_badge"]:
        return f"the learner does not hold “{names.get(raw['holds_badge'], raw['holds_badge'])}”"
    if op in WORDS and isinstance(raw, list) and len(raw) == 2:
        return f"{_operand(raw[0], titles)} {WORDS[op]} {_value(raw[1])}"
    if op == "in" and isinstance(raw, list) and len(raw) == 2 and isinstance(raw[1], list):
        return f"{_operand(raw[0], titles)} is one of {_either([_value(v) for v in raw[1]])}"
    raise _Unphrased


def condition_sentence(
    condition: Any,
    *,
    titles: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
) -> str:
    """The condition in words: "the score is at least 80"; ``titles`` names entities and
    ``names`` templates. What the builder cannot phrase says so (the JSON is then shown)."""
    if condition is None or condition == {}:
        return "always (no condition)"
    try:
        return _phrase(condition, titles or {}, names or {}, nested=False)
    except _Unphrased:
        return UNPHRASED


def event_type_words(event_type: str) -> str:
    """'course.completed' -> 'course completed'; 'quiz.*' -> 'any quiz event'."""
    if event_type == "*":
        return "any event"
    if event_type.endswith(".*"):
        return f"any {event_type[:-2].replace('_', ' ')} event"
    return event_type.replace(".", " ").replace("_", " ")


def trigger_sentence(trigger: Mapping[str, Any], *, titles: Mapping[str, str] | None = None) -> str:
    """When the rule looks at an event: "course completed on Safety 101 (safety-101)"."""
    types = [event_type_words(t) for t in trigger.get("event_types") or []]
    text = _either(types) or "any event"
    ids = trigger.get("entity_ids") or []
    if ids:
        text += " on " + _either(_named(list(ids), titles or {}))
    elif trigger.get("entity_type"):
        text += f" of a {trigger['entity_type']}"
    return text

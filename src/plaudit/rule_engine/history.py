"""Plaudit's history operators: their arguments, and what they read of a learner's history."""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from plaudit.rule_engine.facts import EventFacts, id_text
from plaudit.rule_engine.language import ConditionError, child
from plaudit.rule_engine.operators import is_number, norm
from plaudit.rule_engine.patterns import type_matches, type_pattern_problem
from plaudit.rule_engine.wording import fmt, quote

_COMPLETION_SUFFIXES: Final = (".completed", ".submitted", ".passed")
_DURATION: Final = re.compile(
    r"P(?:(\d{1,4})Y)?(?:(\d{1,5})M)?(?:(\d{1,5})W)?(?:(\d{1,6})D)?"
    r"(?:T(?:(\d{1,7})H)?(?:(\d{1,9})M)?(?:(\d{1,10})S)?)?"
)


# --- arguments (literals, parsed the same way to validate and to run) ----------------------


@dataclass(frozen=True)
class Completion:
    entity_ids: tuple[str, ...]
    entity_type: str | None


@dataclass(frozen=True)
class Duration:
    text: str
    months: int
    delta: timedelta


@dataclass(frozen=True)
class CountSpec:
    types: tuple[str, ...]
    entity_type: str | None
    entity_ids: tuple[str, ...]
    within: Duration | None


@dataclass(frozen=True)
class ScoreSpec:
    entity_id: str
    percent: bool


def parse_completion(raw: Any, pointer: str, op: str) -> Completion:
    if isinstance(raw, list):
        return Completion(_id_list(raw, pointer, op), None)
    if isinstance(raw, dict):
        _check_keys(raw, ("entity_ids", "entity_type"), op, pointer)
        if "entity_ids" not in raw:
            raise ConditionError(f"'{op}' needs entity_ids", pointer)
        entity_ids = _id_list(raw["entity_ids"], child(pointer, "entity_ids"), op)
        return Completion(entity_ids, _optional_text(raw, "entity_type", pointer))
    raise ConditionError(
        f"'{op}' takes a list of entity ids, or an object with entity_ids and entity_type", pointer
    )


def _parse_completed_all(raw: Any, pointer: str) -> Completion:
    return parse_completion(raw, pointer, "completed_all")


def _parse_completed_any(raw: Any, pointer: str) -> Completion:
    return parse_completion(raw, pointer, "completed_any")


def parse_count(raw: Any, pointer: str) -> CountSpec:
    if not isinstance(raw, dict):
        raise ConditionError(
            '\'count\' takes an object such as {"type": "mission.completed", "within": "P30D"}',
            pointer,
        )
    _check_keys(raw, ("entity_ids", "entity_type", "type", "within"), "count", pointer)
    types: tuple[str, ...] = ()
    raw_types = raw.get("type")
    type_pointer = child(pointer, "type")
    if isinstance(raw_types, str):
        if problem := type_pattern_problem(raw_types):
            raise ConditionError(problem, type_pointer)
        types = (raw_types,)
    elif isinstance(raw_types, list):
        if not raw_types:
            raise ConditionError("'count' needs at least one event type in type", type_pointer)
        for index, pattern in enumerate(raw_types):
            if problem := type_pattern_problem(pattern):
                raise ConditionError(problem, f"{type_pointer}/{index}")
        types = tuple(dict.fromkeys(raw_types))
    elif raw_types is not None:
        raise ConditionError("type must be an event type or a list of them", type_pointer)
    entity_ids: tuple[str, ...] = ()
    if raw.get("entity_ids") is not None:
        entity_ids = _id_list(raw["entity_ids"], child(pointer, "entity_ids"), "count")
    within = None
    if raw.get("within") is not None:
        within = parse_duration(raw["within"])
        if within is None:
            raise ConditionError(
                f"{fmt(raw['within'])} is not an ISO 8601 duration longer than zero,"
                " such as P30D, P1M, P1Y or PT12H",
                child(pointer, "within"),
            )
    return CountSpec(types, _optional_text(raw, "entity_type", pointer), entity_ids, within)


def parse_best_score(raw: Any, pointer: str) -> ScoreSpec:
    if isinstance(raw, str) and raw.strip():
        return ScoreSpec(raw, percent=False)
    if isinstance(raw, dict):
        _check_keys(raw, ("entity_id", "percent"), "best_score", pointer)
        entity_id = _optional_text(raw, "entity_id", pointer)
        if entity_id is None:
            raise ConditionError("'best_score' needs an entity_id", pointer)
        percent = raw.get("percent", False)
        if not isinstance(percent, bool):
            raise ConditionError("percent must be true or false", child(pointer, "percent"))
        return ScoreSpec(entity_id, percent)
    raise ConditionError(
        "'best_score' takes an entity id, or an object with entity_id and percent", pointer
    )


def parse_holds_badge(raw: Any, pointer: str) -> str:
    if isinstance(raw, str) and raw.strip():
        return raw
    raise ConditionError("'holds_badge' takes a template id", pointer)


# Each raises ConditionError, pointing into ``raw``, unless the arguments are valid.
PARSERS: Final[dict[str, Callable[[Any, str], object]]] = {
    "completed_all": _parse_completed_all,
    "completed_any": _parse_completed_any,
    "count": parse_count,
    "best_score": parse_best_score,
    "holds_badge": parse_holds_badge,
}


def _id_list(raw: Any, pointer: str, op: str) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise ConditionError(f"'{op}' needs a list of entity ids", pointer)
    if not raw:
        raise ConditionError(f"'{op}' needs at least one entity id", pointer)
    for index, entity_id in enumerate(raw):
        if not isinstance(entity_id, str) or not entity_id.strip():
            raise ConditionError("an entity id must be a non-empty string", f"{pointer}/{index}")
    return tuple(dict.fromkeys(raw))


def _check_keys(raw: dict[Any, Any], allowed: tuple[str, ...], op: str, pointer: str) -> None:
    for key in raw:
        if key not in allowed:
            raise ConditionError(
                f"unknown key {quote(str(key))} for '{op}' (allowed: {', '.join(allowed)})",
                child(pointer, str(key)),
            )


def _optional_text(raw: dict[Any, Any], key: str, pointer: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConditionError(f"{key} must be a non-empty string", child(pointer, key))
    return value


def parse_duration(text: Any) -> Duration | None:
    if not isinstance(text, str):
        return None
    match = _DURATION.fullmatch(text)
    if match is None or text.endswith("T"):
        return None
    years, months, weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    delta = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    if years == months == 0 and not delta:
        return None
    return Duration(text, years * 12 + months, delta)


# --- reading the history -------------------------------------------------------------------


def read(
    op: str, raw: Any, pointer: str, *, events: tuple[EventFacts, ...], now: datetime
) -> tuple[Any, str]:
    """The value of every history operator but 'holds_badge', and its explanation.

    ``events`` are the learner's history and the current event, once each; ``now`` is when the
    current event occurred.
    """
    if op in ("completed_all", "completed_any"):
        return _completed(op, parse_completion(raw, pointer, op), events)
    if op == "count":
        return _count(parse_count(raw, pointer), events, now)
    return _best_score(parse_best_score(raw, pointer), events)


def holds_badge(raw: Any, pointer: str, held: Mapping[str, int]) -> tuple[bool, str]:
    template_id = parse_holds_badge(raw, pointer)
    holds = held.get(template_id, 0) > 0
    return holds, f"holds badge {template_id}: {'yes' if holds else 'no'}"


def _completed(op: str, spec: Completion, events: tuple[EventFacts, ...]) -> tuple[bool, str]:
    completed = {
        entity_id
        for event in events
        if (entity_id := _completed_entity(event, spec.entity_type)) is not None
    }
    done = [entity_id for entity_id in spec.entity_ids if entity_id in completed]
    missing = [entity_id for entity_id in spec.entity_ids if entity_id not in completed]
    if op == "completed_any":
        if done:
            return True, f"completed {', '.join(done)}"
        return False, f"completed none of {', '.join(spec.entity_ids)}"
    explain = f"completed {len(done)} of {len(spec.entity_ids)}"
    if done:
        explain += f" ({', '.join(done)})"
    if missing:
        explain += f"; missing {', '.join(missing)}"
    return not missing, explain


def _count(spec: CountSpec, events: tuple[EventFacts, ...], now: datetime) -> tuple[int, str]:
    start = _window_start(now, spec.within) if spec.within else None
    total = 0
    for event in events:
        if spec.types and not any(type_matches(p, event.type) for p in spec.types):
            continue
        if spec.entity_type is not None and event.entity.get("type") != spec.entity_type:
            continue
        if spec.entity_ids and id_text(event.entity.get("id")) not in spec.entity_ids:
            continue
        if spec.within is not None and not _in_window(event.occurred_at, start, now):
            continue
        total += 1
    return total, f"{_count_label(spec)} = {total}"


def _best_score(spec: ScoreSpec, events: tuple[EventFacts, ...]) -> tuple[int | float | None, str]:
    best: int | float | None = None
    for event in events:
        if id_text(event.entity.get("id")) != spec.entity_id:
            continue
        score = _measure(event.data.get("score"))
        if score is None:
            continue
        if spec.percent:
            top = _measure(event.data.get("max_score"))
            if top is None or top <= 0:
                continue
            score = norm(100 * score / top)
        if score is not None and (best is None or score > best):
            best = score
    phrase = _score_label(spec)
    if best is None:
        return None, f"{phrase}: no score yet"
    return best, f"{phrase} = {fmt(best)}"


def _window_start(now: datetime, within: Duration) -> datetime | None:
    """Calendar arithmetic, so P1M before 31 March is 28/29 February; None means unbounded."""
    now = now.astimezone(UTC)
    year, month_index = divmod(now.year * 12 + now.month - 1 - within.months, 12)
    if year < 1:
        return None
    day = min(now.day, calendar.monthrange(year, month_index + 1)[1])
    try:
        return now.replace(year=year, month=month_index + 1, day=day) - within.delta
    except OverflowError:
        return None


def _in_window(moment: datetime, start: datetime | None, end: datetime) -> bool:
    return moment <= end and (start is None or moment > start)


def _measure(value: Any) -> int | float | None:
    """A score as reported: a finite JSON number (scores sent as text are not guessed at)."""
    if is_number(value) and math.isfinite(value):
        return norm(value)
    return None


def _completed_entity(event: EventFacts, entity_type: str | None) -> str | None:
    entity_id = id_text(event.entity.get("id"))
    if entity_id is None:
        return None
    if entity_type is not None and event.entity.get("type") != entity_type:
        return None
    if event.type.endswith(_COMPLETION_SUFFIXES) or event.data.get("passed") is True:
        return entity_id
    return None


# --- how they read in a sentence -----------------------------------------------------------


def label(op: str, raw: Any) -> str:
    """A history operator as a phrase; raises ConditionError when its arguments are invalid."""
    if op == "completed_all":
        return f"completed all of {', '.join(parse_completion(raw, '', op).entity_ids)}"
    if op == "completed_any":
        return f"completed any of {', '.join(parse_completion(raw, '', op).entity_ids)}"
    if op == "count":
        return _count_label(parse_count(raw, ""))
    if op == "best_score":
        return _score_label(parse_best_score(raw, ""))
    return f"holds badge {parse_holds_badge(raw, '')}"


def _count_label(spec: CountSpec) -> str:
    text = f"count of {' or '.join(spec.types) if spec.types else 'events'}"
    if spec.entity_type:
        text += f" for {spec.entity_type}"
    if spec.entity_ids:
        text += f" on {', '.join(spec.entity_ids)}"
    if spec.within:
        text += f" within {spec.within.text}"
    return text


def _score_label(spec: ScoreSpec) -> str:
    return f"best score on {spec.entity_id}{' (%)' if spec.percent else ''}"

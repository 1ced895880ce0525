"""The connector mapping language: an LMS's own payload in, a Plaudit event (or a reason) out.

Pure and safe: values in, values out, no I/O and nothing evaluated. A mapping says, for each
event field, where its value comes from (a path into the payload, a constant, a template, or
the first of several), how it is translated (a value map) and converted (number, percent,
boolean, timestamp...), and which payloads it applies to at all (``when``).
"""

from __future__ import annotations

import enum
import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    ValidationError,
    field_validator,
    model_validator,
)

from plaudit import schemas
from plaudit.events.schemas import EventIn

# Keys separated by dots; a number picks a list position (negative counts from the end).
_PATH = re.compile(r"^[^.\s{}]+(\.[^.\s{}]+)*$")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
_ENTITY_TYPE = re.compile(r"^[a-z][a-z0-9_]*$")
_DATA_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_INTEGER = re.compile(r"^[+-]?\d+$")
# Unix times above this are milliseconds (in seconds it would be the year 5138).
_MILLISECONDS_FROM = 100_000_000_000
_TRUE = frozenset({"true", "yes", "y", "on", "1"})
_FALSE = frozenset({"false", "no", "n", "off", "0"})


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class Convert(enum.StrEnum):
    STRING = "string"
    NUMBER = "number"
    PERCENT = "percent"  # "87%" -> 87
    BOOLEAN = "boolean"
    TIMESTAMP = "timestamp"
    LOWERCASE = "lowercase"


class MappingError(ValueError):
    """A value the mapping could not produce; the message names the value and its origin."""


class _Incomplete(MappingError):
    """A template names a path the payload lacks: the template has no value."""


def check_path(path: str) -> str:
    if not _PATH.match(path) or len(path) > 300:
        raise ValueError(
            f"'{path}' is not a path: write keys separated by dots and list positions as "
            "numbers, e.g. 'data.user.email' or 'items.0.id'"
        )
    return path


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Source(_Spec):
    """Where one value comes from. A bare string is short for ``{"path": ...}``."""

    path: str | None = Field(default=None, description="Dotted path into the payload.")
    const: JsonValue = Field(default=None, description="A fixed value.")
    template: str | None = Field(
        default=None,
        max_length=500,
        description="Text with {path} placeholders, e.g. '{event}:{data.user.id}'.",
    )
    first: list[Source] | None = Field(
        default=None, min_length=1, max_length=10, description="The first source that has a value."
    )
    map: dict[str, JsonValue] | None = Field(
        default=None, max_length=500, description="Translates the value, e.g. LMS event names."
    )
    default: JsonValue = Field(
        default=None, description="Used when the value is missing, or absent from 'map'."
    )
    convert: Convert | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return {"path": value} if isinstance(value, str) else value

    @field_validator("path")
    @classmethod
    def _path(cls, path: str | None) -> str | None:
        return None if path is None else check_path(path)

    @field_validator("template")
    @classmethod
    def _template(cls, template: str | None) -> str | None:
        if template is None:
            return None
        placeholders = _PLACEHOLDER.findall(template)
        if not placeholders:
            raise ValueError("a template needs at least one {path} placeholder")
        for path in placeholders:
            check_path(path)
        if "{" in _PLACEHOLDER.sub("", template) or "}" in _PLACEHOLDER.sub("", template):
            raise ValueError(f"'{template}' has an unbalanced brace")
        return template

    @model_validator(mode="after")
    def _one_origin(self) -> Source:
        origins = [k for k in ("path", "const", "template", "first") if k in self.model_fields_set]
        if len(origins) != 1:
            given = ", ".join(origins) or "none"
            raise ValueError(
                f"give exactly one of 'path', 'const', 'template' or 'first' (given: {given})"
            )
        return self

    @property
    def has_default(self) -> bool:
        return "default" in self.model_fields_set

    def describe(self) -> str:
        if self.path is not None:
            return f"'{self.path}'"
        if self.template is not None:
            return f"the template '{self.template}'"
        if self.first is not None:
            return "any of " + ", ".join(s.describe() for s in self.first)
        return "the constant"

    def outputs(self) -> list[JsonValue]:
        """The values this source can give that are known without a payload."""
        known: list[JsonValue] = []
        if "const" in self.model_fields_set:
            known.append(self.const)
        if self.map is not None:
            known.extend(self.map.values())
        if self.has_default:
            known.append(self.default)
        for source in self.first or []:
            known.extend(source.outputs())
        return [v for v in known if v is not None]


class Condition(_Spec):
    """One test of the payload; a payload that fails any is ignored, not an error."""

    path: str
    equals: JsonValue = None
    not_equals: JsonValue = None
    in_: list[JsonValue] | None = Field(default=None, alias="in", min_length=1, max_length=200)
    exists: bool | None = None

    @field_validator("path")
    @classmethod
    def _path(cls, path: str) -> str:
        return check_path(path)

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        tests = [k for k in ("equals", "not_equals", "in_", "exists") if k in self.model_fields_set]
        if len(tests) != 1:
            raise ValueError("give exactly one of 'equals', 'not_equals', 'in' or 'exists'")
        return self


class LearnerMapping(_Spec):
    id: Source | None = None
    email: Source | None = None
    first_name: Source | None = None
    last_name: Source | None = None
    locale: Source | None = None

    @model_validator(mode="after")
    def _identified(self) -> LearnerMapping:
        if self.id is None and self.email is None:
            raise ValueError("map the learner's 'id' or 'email' (or both)")
        return self


class EntityMapping(_Spec):
    type: Source
    id: Source
    title: Source | None = None


class Mapping(_Spec):
    """How one kind of payload becomes one Plaudit event."""

    when: list[Condition] = Field(default_factory=list, max_length=20)
    id: Source = Field(description="Same payload, same id: a retried webhook changes nothing.")
    type: Source
    occurred_at: Source | None = Field(
        default=None, description="Unmapped or missing: the time Plaudit received the payload."
    )
    learner: LearnerMapping
    entity: EntityMapping | None = None
    data: dict[str, Source] = Field(
        default_factory=dict,
        max_length=50,
        description="score, max_score, passed, duration, or any custom measure.",
    )
    source: Source | None = None

    @field_validator("data")
    @classmethod
    def _data_keys(cls, data: dict[str, Source]) -> dict[str, Source]:
        for key in data:
            if not _DATA_KEY.match(key):
                raise ValueError(f"'{key}' is not a data key: use letters, digits and _")
        return data

    @model_validator(mode="after")
    def _known_values(self) -> Mapping:
        # Catch an impossible constant now rather than on every payload later.
        for value in self.type.outputs():
            if not isinstance(value, str) or not _EVENT_TYPE.match(value):
                raise ValueError(
                    f"type: {_show(value)} is not an event type; types look like noun.verb, "
                    "e.g. course.completed"
                )
        if self.entity is not None:
            for value in self.entity.type.outputs():
                if not isinstance(value, str) or not _ENTITY_TYPE.match(value):
                    raise ValueError(
                        f"entity.type: {_show(value)} is not an entity type; use lowercase "
                        "letters, digits and _, e.g. course"
                    )
        return self

    def dump(self) -> dict[str, Any]:
        """The mapping as stored and shown: what was given, shorthands expanded."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


@dataclass(frozen=True)
class FieldError:
    field: str
    reason: str


@dataclass(frozen=True)
class Mapped:
    event: EventIn


@dataclass(frozen=True)
class Ignored:
    reason: str


@dataclass(frozen=True)
class Unmapped:
    errors: tuple[FieldError, ...]

    @property
    def reason(self) -> str:
        return "; ".join(f"{e.field}: {e.reason}" for e in self.errors)


Outcome = Mapped | Ignored | Unmapped


def resolve(payload: Any, path: str) -> Any:
    """The value at ``path``, or MISSING. Null and blank text count as missing."""
    current = payload
    for segment in path.split("."):
        if isinstance(current, dict):
            if segment not in current:
                return MISSING
            current = current[segment]
        elif isinstance(current, list):
            if not _INTEGER.match(segment):
                return MISSING
            index = int(segment)
            if not -len(current) <= index < len(current):
                return MISSING
            current = current[index]
        else:
            return MISSING
    if current is None or (isinstance(current, str) and not current.strip()):
        return MISSING
    return current


def _show(value: Any) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float):
        return str(value)
    raise MappingError(f"{_show(value)} is not a single value")


def _same(value: Any, expected: Any) -> bool:
    if isinstance(value, dict | list) or isinstance(expected, dict | list):
        return bool(value == expected)
    if isinstance(value, bool) == isinstance(expected, bool) and value == expected:
        return True
    # Forms carry only text: "12" matches 12, "true" matches true.
    return _text(value) == _text(expected)


def _number(value: Any) -> int | float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            raise MappingError(f"{_show(value)} is not a number")
        return value
    if isinstance(value, str):
        text = value.strip()
        if "," in text and "." not in text:
            text = text.replace(",", ".")  # 87,5 (decimal comma)
        if _INTEGER.match(text):
            return int(text)
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if math.isfinite(number):
            return number
    raise MappingError(f"{_show(value)} is not a number")


def _percent(value: Any) -> int | float:
    if isinstance(value, str) and value.strip().endswith("%"):
        value = value.strip()[:-1]
    return _number(value)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | str) and _text(value).lower() in _TRUE:
        return True
    if isinstance(value, int | str) and _text(value).lower() in _FALSE:
        return False
    raise MappingError(f"{_show(value)} is not a boolean (true/false, yes/no, 1/0)")


def _timestamp(value: Any) -> datetime:
    """ISO 8601 (a time without offset is UTC), or seconds (or milliseconds) since 1970."""
    seconds: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and re.match(r"^\d+(\.\d+)?$", value.strip()):
        seconds = float(value.strip())
    if seconds is not None:
        if seconds >= _MILLISECONDS_FROM:
            seconds /= 1000
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise MappingError(f"{_show(value)} is not a time") from None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    raise MappingError(
        f"{_show(value)} is not a time: expected ISO 8601 (2026-03-01T09:30:00Z) "
        "or seconds since 1970"
    )


_CONVERTERS: dict[Convert, Any] = {
    Convert.STRING: _text,
    Convert.NUMBER: _number,
    Convert.PERCENT: _percent,
    Convert.BOOLEAN: _boolean,
    Convert.TIMESTAMP: _timestamp,
    Convert.LOWERCASE: lambda v: _text(v).lower(),
}


def _render(template: str, payload: Any) -> str:
    def placeholder(match: re.Match[str]) -> str:
        value = resolve(payload, match.group(1))
        if value is MISSING:
            raise _Incomplete(f"the template needs '{match.group(1)}', which is not in the payload")
        return _text(value)

    return _PLACEHOLDER.sub(placeholder, template)


def _origin(source: Source, payload: Any) -> Any:
    if source.path is not None:
        return resolve(payload, source.path)
    if source.template is not None:
        return _render(source.template, payload)
    if source.first is not None:
        for option in source.first:
            # A template short of one of its paths has no value: the next option is tried
            # (an optional part of an id: '{a}:{b}:{attempt}', else '{a}:{b}').
            try:
                value = evaluate(option, payload)
            except _Incomplete:
                continue
            if value is not MISSING:
                return value
        return MISSING
    return MISSING if source.const is None else source.const


def evaluate(source: Source, payload: Any, convert: Convert | None = None) -> Any:
    """The source's value (mapped, then converted), or MISSING; MappingError if unusable.

    ``convert`` is the field's own conversion, applied when the source names none."""
    value = _origin(source, payload)
    if value is MISSING:
        if not source.has_default or source.default is None:
            return MISSING
        value = source.default
    elif source.map is not None:
        key = _text(value)
        if key in source.map:
            value = source.map[key]
        elif source.has_default:
            value = source.default
        else:
            known = ", ".join(_show(k) for k in list(source.map)[:10])
            raise MappingError(
                f"{_show(value)} (from {source.describe()}) is not one of the mapped values "
                f"({known})"
            )
        if value is None:
            return MISSING
    conversion = source.convert or convert
    if conversion is None:
        return value
    try:
        return _CONVERTERS[conversion](value)
    except MappingError as exc:
        raise MappingError(f"{exc} (from {source.describe()})") from None


def _unmet(condition: Condition, payload: Any) -> str | None:
    """Why the payload fails ``condition``, or None if it passes."""
    value = resolve(payload, condition.path)
    where = f"'{condition.path}'"
    fields = condition.model_fields_set
    if "exists" in fields:
        if (value is not MISSING) == condition.exists:
            return None
        return f"{where} is not in the payload" if condition.exists else f"{where} is present"
    if "not_equals" in fields:
        if value is MISSING or not _same(value, condition.not_equals):
            return None
        return f"{where} is {_show(value)}"
    if value is MISSING:
        return f"{where} is not in the payload"
    if "equals" in fields:
        if _same(value, condition.equals):
            return None
        return f"{where} is {_show(value)}, not {_show(condition.equals)}"
    options = condition.in_ or []
    if any(_same(value, option) for option in options):
        return None
    return f"{where} is {_show(value)}, not one of " + ", ".join(_show(o) for o in options)


# Each event field, how its value is converted unless the mapping says otherwise, and whether
# a payload without it cannot become an event.
_TEXT, _NUMBER, _BOOLEAN, _TIME = Convert.STRING, Convert.NUMBER, Convert.BOOLEAN, Convert.TIMESTAMP
_DATA_CONVERSIONS = {"score": _NUMBER, "max_score": _NUMBER, "passed": _BOOLEAN, "duration": _TEXT}


def apply(
    mapping: Mapping, payload: Any, *, received_at: datetime, source: str | None = None
) -> Outcome:
    """Map one payload. ``received_at`` stands in for a missing ``occurred_at``; ``source``
    for a missing ``source`` (the connector's name)."""
    for condition in mapping.when:
        unmet = _unmet(condition, payload)
        if unmet is not None:
            return Ignored(f"not a payload this mapping takes: {unmet}")

    errors: list[FieldError] = []

    def take(name: str, spec: Source | None, convert: Convert | None, *, required: bool) -> Any:
        if spec is None:
            return MISSING
        try:
            value = evaluate(spec, payload, convert)
        except MappingError as exc:
            errors.append(FieldError(name, str(exc)))
            return MISSING
        if value is MISSING and required:
            errors.append(FieldError(name, _absent(spec)))
        return value

    event: dict[str, Any] = {
        "id": take("id", mapping.id, _TEXT, required=True),
        "type": take("type", mapping.type, _TEXT, required=True),
        "occurred_at": take("occurred_at", mapping.occurred_at, _TIME, required=False),
        "source": take("source", mapping.source, _TEXT, required=False),
    }
    if event["occurred_at"] is MISSING:
        # Many LMSs send no time: the moment the webhook arrived is the best one known.
        event["occurred_at"] = received_at
    if event["source"] is MISSING and source is not None:
        event["source"] = source[:100]

    spec = mapping.learner
    learner = {
        "id": take("learner.id", spec.id, _TEXT, required=spec.email is None),
        "email": take("learner.email", spec.email, _TEXT, required=spec.id is None),
        "first_name": take("learner.first_name", spec.first_name, _TEXT, required=False),
        "last_name": take("learner.last_name", spec.last_name, _TEXT, required=False),
        "locale": take("learner.locale", spec.locale, _TEXT, required=False),
    }
    failed = {e.field for e in errors}
    both_absent = learner["id"] is MISSING and learner["email"] is MISSING
    if spec.id and spec.email and both_absent and not failed & {"learner.id", "learner.email"}:
        errors.append(
            FieldError(
                "learner",
                f"neither the id ({spec.id.describe()}) nor the email "
                f"({spec.email.describe()}) is in the payload",
            )
        )
    event["learner"] = learner

    if mapping.entity is not None:
        entity = mapping.entity
        event["entity"] = {
            "type": take("entity.type", entity.type, _TEXT, required=True),
            "id": take("entity.id", entity.id, _TEXT, required=True),
            "title": take("entity.title", entity.title, _TEXT, required=False),
        }
    event["data"] = {
        key: take(f"data.{key}", value, _DATA_CONVERSIONS.get(key), required=False)
        for key, value in mapping.data.items()
    }
    if errors:
        return Unmapped(tuple(errors))
    try:
        return Mapped(EventIn.model_validate(_drop_missing(event)))
    except ValidationError as exc:
        return Unmapped(tuple(_field_error(e) for e in exc.errors()))


def _absent(spec: Source) -> str:
    if spec.first is not None:
        return f"none of {spec.describe().removeprefix('any of ')} is in the payload"
    return f"{spec.describe()} is not in the payload"


def _drop_missing(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_missing(v) for k, v in value.items() if v is not MISSING}
    return value


def _field_error(error: Any) -> FieldError:
    field = ".".join(str(p) for p in error.get("loc", ())) or "event"
    reason = schemas.reason(error)
    if error.get("type") != "missing" and "input" in error:
        reason = f"{reason} (got {_show(error['input'])})"
    return FieldError(field, reason)

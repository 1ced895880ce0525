"""Base classes of every request and response schema."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from plaudit import safejson

T = TypeVar("T")


# What each pattern of a schema means, in words: a refusal says this, never the regular expression.
_PATTERN_WORDS: dict[str, str] = {}


def worded_pattern(pattern: str, words: str, **constraints: Any) -> StringConstraints:
    """A pattern constraint whose refusal reads "must be <words>" (the pattern itself stays in
    the OpenAPI document, for programs)."""
    _PATTERN_WORDS[pattern] = words
    return StringConstraints(pattern=pattern, **constraints)


def reason(error: Any) -> str:
    """A Pydantic error's message for a person: the API's problems, the dashboard's forms, the
    CLI and the connectors' mapping all say the same."""
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return "is not a known field"
    if kind == "missing":
        return "is required"
    if kind == "string_pattern_mismatch":
        words = _PATTERN_WORDS.get(str((error.get("ctx") or {}).get("pattern", "")))
        return f"must be {words}" if words else "is not in a form this field accepts"
    return str(error.get("msg", "is invalid")).removeprefix("Value error, ")


def unstorable(flaw: safejson.Flaw) -> PydanticCustomError:
    """A flaw as a validation error; its ``path`` (below the model's own location) is added to
    the field name when errors are rendered (plaudit.api.problems)."""
    return PydanticCustomError(
        "unstorable_value", "{reason}", {"reason": flaw.reason, "path": flaw.path}
    )


class Input(BaseModel):
    """Request bodies: unknown fields are an error, not silently dropped; values that cannot be
    stored (NaN, infinities, NUL characters, nesting deeper than safejson.MAX_DEPTH) are refused
    naming where they are."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

    # Fields whose items the route reads one by one and checks itself, so that a bad item is
    # reported on its own without losing the others (a batch's events, an import's documents).
    checked_per_item: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        if isinstance(data, dict):
            checked = (
                {k: v for k, v in data.items() if k not in cls.checked_per_item}
                if cls.checked_per_item
                else data
            )
            if found := safejson.flaws(checked, limit=1):
                raise unstorable(found[0])
        return data


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _refuse_null(value: object) -> object:
    if value is None:
        raise PydanticCustomError("null_not_allowed", "may be left out, but not set to null")
    return value


def _drop_null(schema: dict[str, Any]) -> None:
    schema.pop("default", None)
    variants = schema.get("anyOf")
    if isinstance(variants, list):
        kept = [v for v in variants if v != {"type": "null"}]
        del schema["anyOf"]
        if len(kept) == 1:
            schema.update(kept[0])
        else:
            schema["anyOf"] = kept


# A field of a partial update (PATCH) that may be left out but has no null value: left out, it
# reads None (defaults are not validated); sent as null, it is a 422 naming the field. Fields
# whose null means something (clear it) are plain ``X | None``.
NotNull = Annotated[T | None, BeforeValidator(_refuse_null), Field(json_schema_extra=_drop_null)]

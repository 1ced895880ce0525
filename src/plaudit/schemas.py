"""Base classes of every request and response schema."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from plaudit import safejson


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

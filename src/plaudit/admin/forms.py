"""Posted forms and the API's schemas: a form's fields become the API's own Pydantic model, so
the dashboard refuses what the API refuses, with the same words; whatever refuses it (the
schema, or a service's error) comes back as messages beside the fields that caused them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData, UploadFile

from plaudit import schemas
from plaudit.errors import PlauditError

REQUIRED = "This field is required."


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def optional(form: FormData, name: str) -> str | None:
    return text(form, name) or None


def texts(form: FormData, name: str) -> list[str]:
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def checked(form: FormData | Mapping[str, Any], name: str) -> bool:
    """A checkbox: browsers send it only when ticked."""
    value = form.get(name)
    return isinstance(value, str) and value not in ("", "off", "false", "0")


def upload(form: FormData, name: str) -> UploadFile | None:
    value = form.get(name)
    if isinstance(value, UploadFile) and value.filename:
        return value
    return None


def values(form: FormData) -> dict[str, str]:
    """What the user typed, to put back in the form when it is shown again."""
    kept: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, str) and key != "csrf_token":
            kept[key] = value
    return kept


@dataclass
class FormErrors:
    """Messages by field name ("" for the whole form); a field keeps its first message."""

    fields: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, message)

    def merge(self, other: FormErrors) -> None:
        for name, message in other.fields.items():
            self.add(name, message)

    def __bool__(self) -> bool:
        return bool(self.fields)

    def get(self, name: str) -> str | None:
        return self.fields.get(name)

    @property
    def general(self) -> str | None:
        return self.fields.get("")


# --- the schema's refusals ---------------------------------------------------------------


class Spot(NamedTuple):
    """Where a schema error is shown: the form field, and where inside its value (a JSON
    path such as "data.score", written before the message)."""

    field: str
    path: str = ""
    # The words for a missing value (None: Pydantic's own).
    required: str | None = REQUIRED


# A schema location (["translations", "0", "name"]) -> where its message is shown.
Place = Callable[[Sequence[str]], Spot]


def by_alias(aliases: Mapping[str, str] | None = None) -> Place:
    """The field a location names: its alias (dotted, "translations.0.name"), else the
    alias or the name of its first part."""
    known = aliases or {}

    def place(loc: Sequence[str]) -> Spot:
        dotted = ".".join(loc)
        return Spot(known.get(dotted, known.get(loc[0], loc[0]) if loc else ""))

    return place


def schema_errors(exc: ValidationError, *, place: Place) -> FormErrors:
    errors = FormErrors()
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ()) if p != "body"]
        message = schemas.reason(error)
        spot = place(loc)
        if error.get("type") == "missing" and spot.required is not None:
            message = spot.required
        errors.add(spot.field, f"{spot.path}: {message}" if spot.path else message)
    return errors


M = TypeVar("M", bound=BaseModel)


def parse(
    model: type[M],
    data: Mapping[str, Any],
    *,
    aliases: Mapping[str, str] | None = None,
    place: Place | None = None,
) -> tuple[M | None, FormErrors]:
    """Validate with the API's own schema; errors land on the form field that caused them
    (``aliases`` maps a schema location such as "translations.0.name" to a field name;
    ``place`` decides instead, for forms whose fields are not the schema's)."""
    try:
        return model.model_validate(data), FormErrors()
    except ValidationError as exc:
        return None, schema_errors(exc, place=place or by_alias(aliases))


# --- the services' refusals --------------------------------------------------------------


# One of a refusal's per-field reasons ({"field": "actions.0.template_id", "reason": ...,
# "at": a JSON pointer, sometimes}) -> (the form field, the message), or None to leave it out.
Reason = Callable[[Mapping[str, Any]], tuple[str, str] | None]


def first_part(item: Mapping[str, Any]) -> tuple[str, str]:
    return str(item["field"]).split(".")[0], str(item.get("reason", "is invalid"))


def errors_from(exc: PlauditError, *, reason: Reason = first_part) -> FormErrors:
    """A service's refusal (plaudit.errors): its per-field reasons beside their fields where it
    gives them, and its message for the whole form."""
    errors = FormErrors()
    for item in exc.extra.get("errors", []) if isinstance(exc.extra, dict) else []:
        if isinstance(item, dict) and "field" in item:
            placed = reason(item)
            if placed is not None:
                errors.add(*placed)
    errors.add("", exc.detail)
    return errors

"""Read a webhook body as JSON or as a form (PHP-style nested keys). Pure."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from plaudit import safejson

FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_MAX_DEPTH = 10


class BodyError(ValueError):
    """The body is not something a mapping can read; the message says why."""


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def parse_body(body: bytes, content_type: str | None) -> Any:
    """JSON for application/json and +json types; a form for form-encoded bodies. Without
    a content type, or with text/plain, JSON is tried (some LMSs send JSON as text); a JSON
    object sent as a form (urlencoded or multipart) is read as JSON.

    A body that cannot be read is a BodyError (the payload is kept, failed); one that reads but
    holds what cannot be stored (NaN, NUL characters, deep nesting) is a safejson.UnsafeJson:
    refused, since no mapping could ever make it storable."""
    kind = media_type(content_type)
    if kind in {FORM, MULTIPART}:
        sniffed = _json_object(body)
        if sniffed is not None:
            return sniffed
    if kind == FORM:
        form = parse_form(body)
        safejson.check(form)
        return form
    if kind in {"", "text/plain", "application/json"} or kind.endswith("+json"):
        try:
            return safejson.loads(body.decode("utf-8"))
        except UnicodeDecodeError:
            raise BodyError("the body is not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise BodyError(
                f"the body is not valid JSON: {exc.msg} at character {exc.pos}"
            ) from None
    raise BodyError(f"cannot read a body of type '{kind}'; send JSON or a form ({FORM})")


def _json_object(body: bytes) -> dict[str, Any] | None:
    """The body as a JSON object, if that is what it is whatever its content type says.

    Moodle's webhooks plugin set to 'form' still posts ``json_encode($event->get_data())``
    (and PHP's curl labels any string body a form): read as a form, it is one key and no
    value, and the payload would be ignored. A real form never starts with '{'."""
    if not body.lstrip().startswith(b"{"):
        return None
    try:
        value = safejson.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None


def parse_form(body: bytes) -> dict[str, Any]:
    """``a=1&user[email]=x&tags[]=p&tags[]=q`` -> {"a": "1", "user": {"email": "x"},
    "tags": ["p", "q"]}; a key sent twice becomes a list. Values stay text."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError("the form is not UTF-8 text") from None
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=2000, errors="strict")
    except UnicodeDecodeError:
        raise BodyError("the form is not UTF-8 text") from None
    except ValueError as exc:
        raise BodyError(f"the form cannot be read: {exc}") from None
    form: dict[str, Any] = {}
    for key, value in pairs:
        match = _KEY.match(key)
        if match is None:
            _put(form, key, value)
            continue
        parts = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        if len(parts) > _MAX_DEPTH:
            raise BodyError(f"the form key '{key[:60]}' is nested too deeply")
        container: dict[str, Any] | list[Any] = form
        for index, part in enumerate(parts[:-1]):
            following = parts[index + 1]
            container = _child(container, part, list if following == "" else dict)
        last = parts[-1]
        if last == "":
            if isinstance(container, list):
                container.append(value)
            else:  # "a[x][]" where a[x] was a value: keep both
                _put(container, "", value)
        elif isinstance(container, dict):
            _put(container, last, value)
        else:
            container.append({last: value})
    return form


def _put(container: dict[str, Any], key: str, value: Any) -> None:
    if key not in container:
        container[key] = value
    elif isinstance(container[key], list):
        container[key].append(value)
    else:
        container[key] = [container[key], value]


def _child(
    container: dict[str, Any] | list[Any], part: str, kind: type[dict[str, Any]] | type[list[Any]]
) -> dict[str, Any] | list[Any]:
    if isinstance(container, list):
        child: dict[str, Any] | list[Any] = kind()
        container.append(child)
        return child
    existing = container.get(part)
    if isinstance(existing, dict | list):
        return existing
    child = kind()
    if existing is not None:  # "a=1&a[b]=2": the plain value is kept under ""
        if isinstance(child, dict):
            child[""] = existing
        else:
            child.append(existing)
    container[part] = child
    return child

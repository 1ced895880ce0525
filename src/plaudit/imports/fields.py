"""Reading one field of an imported document or row: text, ids, dates, addresses, links."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any, Final

from pydantic import EmailStr, TypeAdapter, ValidationError

MAX_LEGACY_ID: Final = 255
MAX_NAME: Final = 200
MAX_TEXT: Final = 10_000
MAX_URL: Final = 2048

_EMAIL: Final = TypeAdapter(EmailStr)


def email(value: str) -> str | None:
    """The address, lower-cased, if it is one."""
    try:
        return str(_EMAIL.validate_python(value.strip())).lower()
    except ValidationError:
        return None


def parse_moment(value: str) -> datetime | None:
    """An ISO 8601 date or date-time as an aware datetime; without a zone it is UTC."""
    text = value.strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def plain_text(value: Any) -> str | None:
    """A plain string from a string, a JSON-LD value object or a list of them."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, Mapping):
        return plain_text(value.get("@value"))
    if isinstance(value, list):
        return next((t for t in (plain_text(v) for v in value) if t), None)
    return None


def id_of(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, Mapping):
        return id_of(value.get("id"))
    return None


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def clip(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else None


def web_url(value: str | None) -> str | None:
    """Only http(s) addresses are kept as links (a page shows them)."""
    if value and len(value) <= MAX_URL and re.match(r"https?://[^\s<>\"]+$", value):
        return value
    return None


def fit_id(value: str) -> str:
    """An identifier that fits the column: long ones are replaced by their digest."""
    if len(value) <= MAX_LEGACY_ID:
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()


def digest_id(original: dict[str, Any] | str) -> str:
    """A stable id for a document that has none of its own (so re-importing it is a no-op)."""
    text = original if isinstance(original, str) else json.dumps(original, sort_keys=True)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def evidence_of(value: Any) -> tuple[dict[str, str], ...]:
    found: list[dict[str, str]] = []
    for entry in as_list(value)[:20]:
        item: dict[str, str] = {}
        url = web_url(id_of(entry))
        if url:
            item["id"] = url
        if isinstance(entry, Mapping):
            for key in ("name", "narrative", "description"):
                text = clip(plain_text(entry.get(key)), MAX_TEXT)
                if text:
                    item[key] = text
        if item:
            found.append(item)
    return tuple(found)

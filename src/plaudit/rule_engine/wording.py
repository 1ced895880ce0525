"""How values read in the sentences administrators see: error messages and traces."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from typing import Any


def quote(text: str) -> str:
    escaped = (
        text.replace("\\", "\\\\")
        .replace("'", "\\'")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f"'{escaped}'"


def clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fmt(value: Any, depth: int = 0) -> str:
    """A value as an administrator reads it: JSON words, single-quoted strings, short lists."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return clip(str(value))
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, str):
        return quote(clip(value))
    if isinstance(value, list | dict):
        if depth >= 3:
            return "[…]" if isinstance(value, list) else "{…}"
        if isinstance(value, list):
            parts = [fmt(item, depth + 1) for item in value[:8]]
        else:
            first = itertools.islice(value.items(), 8)
            parts = [f"{quote(str(k))}: {fmt(v, depth + 1)}" for k, v in first]
        if len(value) > 8:
            parts.append(f"… {len(value) - 8} more")
        joined = ", ".join(parts)
        return f"[{joined}]" if isinstance(value, list) else f"{{{joined}}}"
    return clip(repr(value))


def names(keys: Iterable[Any]) -> str:
    return ", ".join(key if isinstance(key, str) else fmt(key) for key in keys)

"""JSON values every engine can store: finite numbers, no NUL characters, bounded nesting. Pure."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# Python's json reads NaN, Infinity and numbers too large for a double (1e400 becomes inf), and
# JSON strings may hold \u0000: SQLite would silently store null for the numbers, PostgreSQL
# refuses all of them (JSONB and text alike). Deep nesting costs recursion everywhere downstream
# (validation, serialisation, the rules); no learning record needs more than a few levels.
MAX_DEPTH = 64

NOT_A_NUMBER = "is not a number JSON can carry (NaN)"
INFINITE = "is not a number JSON can carry (infinite, or too large for a double)"
NUL_VALUE = "contains a NUL character (\\u0000), which cannot be stored"
NUL_KEY = "is a name with a NUL character (\\u0000), which cannot be stored"
TOO_DEEP = f"nests deeper than {MAX_DEPTH} levels of objects and arrays"

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Flaw:
    path: Path
    reason: str

    @property
    def field(self) -> str:
        return dotted(self.path)


def dotted(path: Sequence[str | int]) -> str:
    """The dotted form errors use ("data.scores.0"); a NUL in a name is shown escaped."""
    return ".".join(str(p).replace("\x00", "\\u0000") for p in path) or "body"


class UnsafeJson(ValueError):
    """A value that cannot be stored; ``flaws`` says where and why."""

    def __init__(self, flaws: Sequence[Flaw]) -> None:
        self.flaws = list(flaws)
        super().__init__(
            "; ".join(
                f"'{f.field}' {f.reason}" if f.path else f"the JSON {f.reason}" for f in flaws
            )
        )


def flaws(value: object, *, limit: int = 10) -> list[Flaw]:
    """Every place (up to ``limit``) where ``value`` holds something unstorable, in document
    order. Iterative, so any depth is safe to look at."""
    found: list[Flaw] = []
    # (value, its path, how many objects and arrays enclose it)
    stack: list[tuple[object, Path, int]] = [(value, (), 0)]
    while stack and len(found) < limit:
        current, path, depth = stack.pop()
        if isinstance(current, str):
            if "\x00" in current:
                found.append(Flaw(path, NUL_VALUE))
        elif isinstance(current, float):
            if math.isnan(current):
                found.append(Flaw(path, NOT_A_NUMBER))
            elif math.isinf(current):
                found.append(Flaw(path, INFINITE))
        elif isinstance(current, dict | list | tuple):
            if depth >= MAX_DEPTH:
                found.append(Flaw(path, TOO_DEEP))
                continue
            children: list[tuple[object, Path, int]] = []
            if isinstance(current, dict):
                for key, item in current.items():
                    if isinstance(key, str) and "\x00" in key:
                        found.append(Flaw((*path, key), NUL_KEY))
                    else:
                        children.append((item, (*path, key), depth + 1))
            else:
                children = [(item, (*path, i), depth + 1) for i, item in enumerate(current)]
            stack.extend(reversed(children))
    return found[:limit]


def check(value: object) -> None:
    if found := flaws(value):
        raise UnsafeJson(found)


def parse(data: str | bytes) -> Any:
    """``json.loads``, except that nesting too deep for the parser is an ``UnsafeJson`` (not a
    RecursionError). The value may still hold flaws: callers that read items one by one check
    each item, so that a bad item is reported without losing the others."""
    try:
        return json.loads(data)
    except RecursionError:
        raise UnsafeJson([Flaw((), TOO_DEEP)]) from None


def loads(data: str | bytes) -> Any:
    """A JSON document with no flaw anywhere, or ``UnsafeJson``."""
    value = parse(data)
    check(value)
    return value

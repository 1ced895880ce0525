"""Event type patterns, as triggers and 'count' name them: exact, '*', or 'course.*'."""

from __future__ import annotations

from typing import Any

from plaudit.rule_engine.wording import quote


def type_matches(pattern: str, event_type: str) -> bool:
    """An exact event type, '*' for any, or a suffix wildcard: 'course.*' matches 'course.x'."""
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return pattern == event_type


def type_pattern_problem(pattern: Any) -> str | None:
    if not isinstance(pattern, str) or not pattern.strip():
        return "an event type must be a non-empty string"
    if any(char.isspace() for char in pattern):
        return f"event type {quote(pattern)} contains spaces"
    if "*" in pattern and not (
        pattern == "*" or (pattern.endswith(".*") and pattern.count("*") == 1 and len(pattern) > 2)
    ):
        return f"bad wildcard in {quote(pattern)}: '*' may only end a pattern, as in 'course.*'"
    return None

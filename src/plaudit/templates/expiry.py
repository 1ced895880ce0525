"""Expiry policies: none, a duration after issue (ISO 8601, e.g. P1Y, P6M, P90D), or a date."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

_DURATION = re.compile(r"^P(?:(\d{1,3})Y)?(?:(\d{1,4})M)?(?:(\d{1,3})W)?(?:(\d{1,5})D)?$")


def parse_duration(text: str) -> tuple[int, int, int]:
    """'P1Y6M' -> (years, months, days); weeks count as 7 days. Raises ValueError."""
    match = _DURATION.match(text)
    if not match or text == "P":
        raise ValueError(
            "must be an ISO 8601 duration of years, months, weeks or days, such as P1Y, P6M or P90D"
        )
    years, months, weeks, days = (int(g) if g else 0 for g in match.groups())
    if years == months == weeks == days == 0:
        raise ValueError("must be longer than zero")
    return years, months, weeks * 7 + days


def add_duration(start: datetime, text: str) -> datetime:
    """Calendar arithmetic: 31 Jan + P1M is 28/29 Feb (clamped), not 3 March."""
    years, months, days = parse_duration(text)
    total_months = start.month - 1 + months + 12 * years
    year, month = start.year + total_months // 12, total_months % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day) + timedelta(days=days)


def expires_at(policy: dict[str, Any], *, issued_at: datetime) -> datetime | None:
    kind = policy.get("type", "none")
    if kind == "none":
        return None
    if kind == "duration":
        return add_duration(issued_at, str(policy["duration"]))
    if kind == "fixed_date":
        # The whole day counts: a credential valid "until 31 Dec" expires at its end, in UTC.
        day = date.fromisoformat(str(policy["date"]))
        return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)
    raise ValueError(f"unknown expiry type {kind!r}")

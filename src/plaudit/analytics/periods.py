"""The periods the overview covers: the last 7, 30 or 90 UTC days, today included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30


@dataclass(frozen=True)
class Period:
    days: int
    first_day: date
    last_day: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time(), UTC)

    @property
    def end(self) -> datetime:
        """The midnight after the last day (exclusive)."""
        return datetime.combine(self.last_day + timedelta(days=1), time(), UTC)

    @property
    def dates(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range(self.days)]


def period(days: int, *, now: datetime) -> Period:
    """The last ``days`` UTC days, today included."""
    today = now.astimezone(UTC).date()
    return Period(days, today - timedelta(days=days - 1), today)


def period_of(raw: str | None) -> int:
    """The period asked for in the address; anything else is the default."""
    return int(raw) if raw in {str(p) for p in PERIODS} else DEFAULT_PERIOD

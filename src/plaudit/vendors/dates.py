"""Dates as the vendors' clients write them, read into aware UTC datetimes.

Credly documents ``2014-01-01 09:00:00 -0500``; Open edX formats with ``%Y-%m-%d %H:%M:%S %z``,
which leaves a trailing space and no offset when its datetime is naive (its Accredible
revocation does that); Accredible documents ``2014-06-14`` and ``DD/MM/YYYY``. ISO 8601 is read
too. A time without an offset is UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import BeforeValidator

_FORMATS = ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y")
WRITTEN_AS = "'YYYY-MM-DD', 'YYYY-MM-DD HH:MM:SS +HHMM', 'DD/MM/YYYY' or ISO 8601"


def parse(value: object) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        moment = _read(value.strip())
    else:
        raise ValueError(f"is not a date; write it as {WRITTEN_AS}")
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # year 1 at +05:00 is before the first representable instant
        raise ValueError("is out of range") from None


def _read(text: str) -> datetime:
    for pattern in _FORMATS:
        try:
            # Naive when the pattern has no offset: parse() makes it UTC.
            return datetime.strptime(text, pattern)  # noqa: DTZ007
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"'{text[:40]}' is not a date; write it as {WRITTEN_AS}") from None


VendorDateTime = Annotated[datetime, BeforeValidator(parse)]

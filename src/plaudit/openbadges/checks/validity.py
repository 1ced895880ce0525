"""Whether a credential holds now: its validity dates, and its status (revoked, suspended)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final

from plaudit.openbadges.checks.fields import as_list
from plaudit.openbadges.report import Check, failed, passed, warning

# XML Schema dateTimeStamp: a dateTime that must carry its time zone.
_DATETIME_STAMP: Final = re.compile(
    r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})"
)
# What a status entry says, when not active ("revoked", "suspended"); None when active.
StatusChecker = Callable[[Mapping[str, Any]], str | None]


class StatusUnavailable(Exception):
    """The status list could not be fetched or read; the status is unknown, not 'active'."""


def parse_datetime(value: Any) -> datetime | None:
    """An XML Schema dateTimeStamp (time zone required) as an aware datetime, else None."""
    if not isinstance(value, str) or not _DATETIME_STAMP.fullmatch(value):
        return None
    # fromisoformat takes at most microseconds; finer fractions cannot change the verdict.
    text = re.sub(r"(\.\d{6})\d+", r"\1", value)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def validity_check(credential: Mapping[str, Any], now: datetime) -> Check:
    start_key = "validFrom" if "validFrom" in credential else "issuanceDate"
    end_key = "validUntil" if "validUntil" in credential else "expirationDate"
    start = parse_datetime(credential.get(start_key))
    if start_key in credential and start is None:
        return failed("validity", f"{start_key} is not a dateTime with a time zone")
    end = parse_datetime(credential.get(end_key))
    if end_key in credential and end is None:
        return failed("validity", f"{end_key} is not a dateTime with a time zone")
    if start is not None and start > now:
        return failed("validity", f"not yet valid ({start_key} {credential[start_key]})")
    if end is not None and end < now:
        return failed("validity", f"expired on {credential[end_key]}")
    if end is not None:
        return passed("validity", f"valid until {credential[end_key]}")
    return passed("validity", "valid now, with no expiry")


def status_check(credential: Mapping[str, Any], check_status: StatusChecker | None) -> Check:
    entries = as_list(credential.get("credentialStatus"))
    if check_status is None:
        return warning("status", "status could not be checked: no status checker was given")
    for entry in entries:
        if not isinstance(entry, Mapping):
            return failed("status", "a credentialStatus entry is not a JSON object")
        try:
            state = check_status(entry)
        except StatusUnavailable as exc:
            return warning("status", f"status could not be checked: {exc}")
        if state == "revoked":
            return failed("status", "revoked")
        if state == "suspended":
            return failed("status", "suspended")
        if state is not None:
            return failed("status", f"status {state!r}")
    return passed("status", "not revoked or suspended")

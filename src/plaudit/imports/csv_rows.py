"""A CSV of awards from another platform: its columns and their aliases, and each row checked."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Final

from plaudit import safejson
from plaudit.imports.fields import MAX_LEGACY_ID, MAX_NAME, MAX_TEXT, email, parse_moment, web_url
from plaudit.imports.items import Format, Item, Problem, Reading, Recipient

MAX_ROWS: Final = 10_000
# An issue date may be a little ahead of our clock (time zones written as local time).
FUTURE_TOLERANCE: Final = timedelta(days=1)

# CSV columns and the other names they go by (the first is canonical). The aliases read the
# exports of the vendor in seed 003 as they come: recipient_email, emitted_at, imp_legacy_id.
COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "email": ("email", "recipient_email"),
    "first_name": ("first_name", "recipient_first_name"),
    "last_name": ("last_name", "recipient_last_name"),
    "template": ("template", "template_id", "template_name", "badge_template"),
    "issued_at": ("issued_at", "emitted_at", "issued_on"),
    "expires_at": ("expires_at",),
    "legacy_id": ("legacy_id", "imp_legacy_id", "id"),
    "evidence_url": ("evidence_url",),
    "narrative": ("narrative",),
    "activity_title": ("activity_title",),
    "notes": ("notes",),
}
REQUIRED_COLUMNS: Final = ("email", "issued_at")


def _header(name: str) -> str:
    return re.sub(r"\s+", "_", name.strip().lower())


class _Row:
    """One CSV record: its values by canonical column, and the problems found so far."""

    def __init__(self, line: int, values: dict[str, str], where: str) -> None:
        self.line, self.values, self.where = line, values, where
        self.problems: list[Problem] = []

    def get(self, column: str) -> str:
        return self.values.get(column, "").strip()

    def fail(self, column: str, reason: str) -> None:
        self.problems.append(
            Problem(
                f"{self.where} line {self.line}",
                f"line {self.line}, column '{column}': {reason}",
                line=self.line,
                column=column,
                legacy_id=self.get("legacy_id") or None,
            )
        )

    def plain_text(self, column: str, limit: int) -> str | None:
        value = self.get(column)
        if len(value) > limit:
            self.fail(column, f"is longer than {limit} characters")
            return None
        return value or None

    def moment(self, column: str) -> datetime | None:
        value = self.get(column)
        if not value:
            return None
        moment = parse_moment(value)
        if moment is None:
            self.fail(column, f"'{value[:40]}' is not a date (YYYY-MM-DD, or ISO 8601 date-time)")
        return moment


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(first line, fields) of each record; a quoted field may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    for fields in reader:
        yield start, fields
        start = reader.line_num + 1


def read_csv(text: str, *, where: str, now: datetime | None = None) -> Reading:
    now = now or datetime.now(UTC)
    result = Reading()
    records = _records(text.lstrip("\ufeff"))
    try:
        first = next(records, None)
        if first is None or not any(h.strip() for h in first[1]):
            result.entries.append(Problem(where, "the CSV is empty: it needs a header line"))
            return result
        headers = [_header(h) for h in first[1]]
        # Canonical column -> position: the first alias present wins.
        positions: dict[str, int] = {}
        for column, aliases in COLUMNS.items():
            for alias in aliases:
                if alias in headers:
                    positions[column] = headers.index(alias)
                    break
        used = set(positions.values())
        ignored = [h for i, h in enumerate(headers) if i not in used and h]
        if ignored:
            result.warnings.append(f"{where}: columns not read: {', '.join(ignored)}")
        missing = [c for c in REQUIRED_COLUMNS if c not in positions]
        if missing:
            result.entries.append(
                Problem(
                    where,
                    f"line 1: the header has no '{missing[0]}' column "
                    f"(it has: {', '.join(h for h in headers if h) or 'nothing'})",
                    line=1,
                    column=missing[0],
                )
            )
            return result
        for count, (line, fields) in enumerate(records, start=1):
            if not any(f.strip() for f in fields):
                continue  # blank lines
            if count > MAX_ROWS:
                result.entries.append(
                    Problem(
                        where,
                        f"line {line}: a CSV has at most {MAX_ROWS} rows; split the file",
                        line=line,
                    )
                )
                break
            values = {c: fields[i] if i < len(fields) else "" for c, i in positions.items()}
            result.entries.append(_row(_Row(line, values, where), now))
    except csv.Error as exc:
        result.entries.append(Problem(where, f"the CSV cannot be read: {exc}"))
    return result


def _refused(row: _Row) -> Problem:
    # One line may have several problems: report them together.
    first = row.problems[0]
    reasons = "; ".join(p.reason for p in row.problems)
    return Problem(
        first.where, reasons, line=row.line, column=first.column, legacy_id=first.legacy_id
    )


def _row(row: _Row, now: datetime) -> Item | Problem:
    for column, value in row.values.items():
        if "\x00" in value:
            row.fail(column, safejson.NUL_VALUE)
    if row.problems:
        return _refused(row)
    address = row.get("email")
    if not address:
        row.fail("email", "is required")
    elif email(address) is None:
        row.fail("email", f"'{address[:80]}' is not an email address")
    first_name = row.plain_text("first_name", MAX_NAME)
    last_name = row.plain_text("last_name", MAX_NAME)
    issued_at = row.moment("issued_at")
    if not row.get("issued_at"):
        row.fail("issued_at", "is required")
    elif issued_at is not None and issued_at > now + FUTURE_TOLERANCE:
        row.fail("issued_at", "is in the future")
    expires_at = row.moment("expires_at")
    if issued_at is not None and expires_at is not None and expires_at <= issued_at:
        row.fail("expires_at", "is not after issued_at")
    legacy_id = row.plain_text("legacy_id", MAX_LEGACY_ID)
    evidence_url = row.get("evidence_url")
    if evidence_url and web_url(evidence_url) is None:
        row.fail("evidence_url", "is not an http(s) address")
    narrative = row.plain_text("narrative", MAX_TEXT)
    activity_title = row.plain_text("activity_title", 500)
    notes = row.plain_text("notes", MAX_TEXT)
    template = row.plain_text("template", 255)
    if row.problems or issued_at is None:
        return _refused(row)
    evidence: dict[str, str] = {}
    if evidence_url:
        evidence["id"] = evidence_url
    if narrative:
        evidence["narrative"] = narrative
    return Item(
        where=f"{row.where} line {row.line}",
        format=Format.CSV,
        # Without a legacy id, the row's own content identifies it: uploading the same file
        # twice still imports each row once.
        legacy_id=legacy_id
        or "row:"
        + hashlib.sha256(
            "\0".join([str(email(address)), template or "", issued_at.isoformat()]).encode()
        ).hexdigest()[:32],
        recipient=Recipient(email=email(address), first_name=first_name, last_name=last_name),
        issued_at=issued_at,
        expires_at=expires_at,
        line=row.line,
        template=template,
        activity_title=activity_title,
        notes=notes,
        evidence=(evidence,) if evidence else (),
        unverifiable_because="a CSV row carries no proof",
    )

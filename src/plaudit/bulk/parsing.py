"""Read a bulk issuance CSV and check each row: pure values in, valid rows or errors out.

Nothing here touches the database: the templates a file may name are passed in, already
loaded. The same checks serve the preview (which reports every error) and the apply job
(which re-checks each row as it issues it, in case a template changed in between).
"""

from __future__ import annotations

import csv
import functools
import hashlib
import re
import urllib.parse
import uuid
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any, BinaryIO, Final

from email_validator import EmailNotValidError, validate_email

from plaudit import safejson
from plaudit.templates.snapshot import Snapshot

# A CSV cell may hold a long narrative, not a novel.
csv.field_size_limit(64 * 1024)

MAX_NAME: Final = 200
MAX_URL: Final = 2048
MAX_NARRATIVE: Final = 5000
MAX_FIELD: Final = 500

REQUIRED: Final = ("email", "template", "issue_date")
# Each standard column and the headers accepted for it (compared in lower case, with spaces
# and hyphens read as underscores).
STANDARD: Final[dict[str, tuple[str, ...]]] = {
    "email": ("email", "e_mail", "email_address", "recipient_email"),
    "first_name": ("first_name", "firstname", "given_name"),
    "last_name": ("last_name", "lastname", "surname", "family_name"),
    "template": ("template", "template_id", "template_name"),
    "issue_date": ("issue_date", "issued_on", "issued_at", "issuance_date"),
    "expiry_date": ("expiry_date", "expires_on", "expires_at", "expiration_date"),
    "evidence_url": ("evidence_url", "evidence"),
    "narrative": ("narrative", "evidence_narrative"),
}
_ALIASES: Final = {alias: name for name, aliases in STANDARD.items() for alias in aliases}
_FIELD_PREFIXES: Final = ("field:", "field.", "fields.")

# The common ASCII local part; anything else goes through email_validator in full.
_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
# No engine stores a NUL character (PostgreSQL refuses it in text and JSON alike), so a cell
# holding one can be neither issued nor quoted in the errors a job keeps.
NUL_MESSAGE: Final = f"{safejson.NUL_VALUE}: remove it and upload the file again"


class Code:
    """What went wrong, for machines; each error also has a sentence for people."""

    EMPTY_FILE: Final = "empty_file"
    MISSING_COLUMN: Final = "missing_column"
    DUPLICATE_COLUMN: Final = "duplicate_column"
    MALFORMED_ROW: Final = "malformed_row"
    MISSING_VALUE: Final = "missing_value"
    UNKNOWN_TEMPLATE: Final = "unknown_template"
    TEMPLATE_NOT_PUBLISHED: Final = "template_not_published"
    AMBIGUOUS_TEMPLATE: Final = "ambiguous_template"
    INVALID_EMAIL: Final = "invalid_email"
    INVALID_DATE: Final = "invalid_date"
    INVALID_URL: Final = "invalid_url"
    INVALID_NUMBER: Final = "invalid_number"
    TOO_LONG: Final = "too_long"
    UNKNOWN_FIELD: Final = "unknown_field"
    DUPLICATE_ROW: Final = "duplicate_row"
    NUL_CHARACTER: Final = "nul_character"


@dataclass(frozen=True)
class RowError:
    line: int  # in the file, the header being line 1
    column: str | None  # the header as written in the file; None for the whole row
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "message": self.message,
        }


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str  # text, date, number, url, email
    required: bool
    default: str | None


@dataclass(frozen=True)
class TemplateSpec:
    """A published template as the rows see it: its current version's fields."""

    id: uuid.UUID
    name: str
    fields: tuple[FieldSpec, ...]

    @classmethod
    def of(cls, template_id: uuid.UUID, snapshot: Snapshot) -> TemplateSpec:
        return cls(
            template_id,
            snapshot.name,
            tuple(
                FieldSpec(name=f.name, type=f.type, required=f.required, default=f.default)
                for f in snapshot.fields
            ),
        )


@dataclass(frozen=True)
class Templates:
    """How a row's `template` cell resolves: by id, or by name (case-insensitive)."""

    usable: Mapping[str, TemplateSpec]  # key: str(id) and lower-case name
    refused: Mapping[str, tuple[str, str]]  # key -> (code, why)

    @classmethod
    def build(
        cls, published: list[TemplateSpec], unpublished: list[tuple[uuid.UUID, str, str]]
    ) -> Templates:
        """``unpublished``: (id, name, status) of templates that exist but cannot be issued."""
        usable: dict[str, TemplateSpec] = {}
        refused: dict[str, tuple[str, str]] = {}
        for ident, name, status in unpublished:
            why = (Code.TEMPLATE_NOT_PUBLISHED, f"template '{name}' is {status}, not published")
            refused[str(ident)] = why
            refused.setdefault(name.lower(), why)
        # A name names the one published template of that name (drafts and archived copies
        # of the same name do not make it ambiguous).
        named: dict[str, list[TemplateSpec]] = {}
        for spec in published:
            usable[str(spec.id)] = spec
            named.setdefault(spec.name.lower(), []).append(spec)
        for name, specs in named.items():
            if len(specs) == 1:
                usable[name] = specs[0]
                refused.pop(name, None)
            else:
                refused[name] = (
                    Code.AMBIGUOUS_TEMPLATE,
                    f"{len(specs)} published templates are named '{specs[0].name}'; "
                    "use the template's id instead",
                )
        return cls(usable, refused)

    def resolve(self, cell: str) -> TemplateSpec | tuple[str, str]:
        key = cell.strip()
        try:
            key = str(uuid.UUID(key))
        except ValueError:
            key = key.lower()
        found = self.usable.get(key)
        if found is not None:
            return found
        return self.refused.get(
            key, (Code.UNKNOWN_TEMPLATE, f"no template '{cell.strip()}' in this organization")
        )


@dataclass(frozen=True)
class Header:
    names: tuple[str, ...]  # as written in the file
    standard: Mapping[str, int]  # standard column -> index
    fields: Mapping[str, int]  # dynamic field name -> index

    def label(self, column: str) -> str:
        """The header of a standard column or field as the file writes it (for errors)."""
        index = self.standard.get(column, self.fields.get(column))
        return self.names[index] if index is not None else column


@dataclass(frozen=True)
class Row:
    """A valid row, ready to issue."""

    line: int
    key: str
    email: str
    first_name: str | None
    last_name: str | None
    template: TemplateSpec
    issued_at: datetime
    expires_at: datetime | None
    evidence: list[dict[str, Any]]
    fields: dict[str, Any]


def issuance_key(
    organization_id: uuid.UUID, template_id: uuid.UUID, email: str, issued_on: date
) -> str:
    """What makes a row the same row again: one recipient, one template, one day."""
    text = f"{organization_id}\n{template_id}\n{email.strip().lower()}\n{issued_on.isoformat()}"
    return hashlib.sha256(text.encode()).hexdigest()


def records(stream: BinaryIO) -> Generator[tuple[int, list[str]]]:
    """(line where the record starts, cells) of every non-blank record, header included;
    read in a stream, whatever the file's size. UTF-8, with or without a byte order mark."""
    reader = csv.reader(_text_lines(stream))
    line = 1
    try:
        for cells in reader:
            if cells and any(c.strip() for c in cells):
                yield line, cells
            line = reader.line_num + 1
    except csv.Error as exc:
        raise BadFile(reader.line_num, f"the CSV cannot be read here: {exc}") from exc


def _text_lines(stream: BinaryIO) -> Iterator[str]:
    # Decoded line by line (a UTF-8 sequence never holds a newline byte), so that a bad byte
    # is reported at its own line rather than somewhere in a decoded block.
    for number, raw in enumerate(stream, start=1):
        try:
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise BadFile(
                number, "this line is not UTF-8 text (save the file as CSV UTF-8)"
            ) from exc


class BadFile(Exception):
    """The file cannot be read as CSV at all (encoding, unterminated quote, huge cell)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.error = RowError(line, None, Code.MALFORMED_ROW, message)


def _normalise(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def field_column(name: str) -> str:
    """The header that names a certificate field: its name, unless that name reads as a
    standard column (or a prefix), then ``field:name``."""
    normal = _normalise(name)
    if normal in _ALIASES or normal.startswith(_FIELD_PREFIXES):
        return f"field:{name}"
    return name


def parse_header(cells: list[str]) -> Header | list[RowError]:
    standard: dict[str, int] = {}
    fields: dict[str, int] = {}
    errors: list[RowError] = []
    for index, raw in enumerate(cells):
        if "\x00" in raw:
            errors.append(RowError(1, safejson.dotted([raw]), Code.NUL_CHARACTER, NUL_MESSAGE))
            continue
        name = _normalise(raw)
        if not name:
            continue
        field_name = next((name[len(p) :] for p in _FIELD_PREFIXES if name.startswith(p)), None)
        target, kind = (
            (field_name, fields)
            if field_name is not None
            else (_ALIASES[name], standard)
            if name in _ALIASES
            else (name, fields)
        )
        if target in kind:
            errors.append(
                RowError(
                    1,
                    raw,
                    Code.DUPLICATE_COLUMN,
                    f"the column '{raw}' repeats column {kind[target] + 1}",
                )
            )
        else:
            kind[target] = index
    for name in REQUIRED:
        if name not in standard:
            errors.append(
                RowError(
                    1,
                    name,
                    Code.MISSING_COLUMN,
                    f"the header has no '{name}' column (needed: {', '.join(REQUIRED)})",
                )
            )
    if errors:
        return errors
    return Header(tuple(cells), standard, fields)


@functools.lru_cache(maxsize=4096)
def _domain_error(domain: str) -> str | None:
    try:
        validate_email(f"a@{domain}", check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc)
    return None


def email_error(address: str) -> str | None:
    """Why the address is not a valid email, or None. The common case costs a regex (checking
    every address with email_validator would double the time of a 100,000-row file)."""
    local, at, domain = address.rpartition("@")
    if at and len(address) <= 254 and len(local) <= 64 and _LOCAL_PART.match(local):
        return _domain_error(domain)
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc)
    return None


def parse_date(text: str, *, end_of_day: bool = False) -> datetime:
    """A date (YYYY-MM-DD: its start, or end, in UTC) or an ISO 8601 date-time with offset.
    Raises ValueError."""
    if len(text) == 10:
        day = date.fromisoformat(text)
        return datetime.combine(day, time(23, 59, 59) if end_of_day else time(0), tzinfo=UTC)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("a date-time needs its offset, such as Z or +02:00")
    return moment.astimezone(UTC)


def url_error(text: str) -> str | None:
    if len(text) > MAX_URL:
        return f"is longer than {MAX_URL} characters"
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "is not an http(s) address"
    return None


@dataclass
class Checker:
    """Checks rows one by one, remembering keys to report a repeated row."""

    organization_id: uuid.UUID
    header: Header
    templates: Templates
    now: datetime
    # key -> line first seen; a row's key is 32 bytes: 100,000 rows hold a few MB here.
    seen: dict[bytes, int] = field(default_factory=dict)

    def check(self, line: int, cells: list[str]) -> Row | list[RowError]:
        header = self.header
        # Checked first, and alone: the other checks quote the cells they refuse, and the apply
        # job stores those errors.
        if unstorable := [i for i, value in enumerate(cells) if "\x00" in value]:
            return [
                RowError(
                    line,
                    header.names[i] if i < len(header.names) else None,
                    Code.NUL_CHARACTER,
                    NUL_MESSAGE,
                )
                for i in unstorable
            ]
        errors: list[RowError] = []

        def fail(column: str | None, code: str, message: str) -> None:
            errors.append(RowError(line, header.label(column) if column else None, code, message))

        if len(cells) > len(header.names) and any(c.strip() for c in cells[len(header.names) :]):
            fail(
                None,
                Code.MALFORMED_ROW,
                f"the row has {len(cells)} cells but the header only {len(header.names)}",
            )

        def cell(column: str, limit: int) -> str:
            index = header.standard.get(column)
            value = cells[index].strip() if index is not None and index < len(cells) else ""
            if len(value) > limit:
                fail(column, Code.TOO_LONG, f"is longer than {limit} characters")
                return ""
            return value

        email = cell("email", 320).lower()
        if not email:
            fail("email", Code.MISSING_VALUE, "an email address is required")
        elif (why := email_error(email)) is not None:
            fail("email", Code.INVALID_EMAIL, f"'{email}' is not a valid email address: {why}")
        first_name = cell("first_name", MAX_NAME) or None
        last_name = cell("last_name", MAX_NAME) or None

        template: TemplateSpec | None = None
        named = cell("template", 200)
        if not named:
            fail("template", Code.MISSING_VALUE, "a template (its id or name) is required")
        else:
            found = self.templates.resolve(named)
            if isinstance(found, TemplateSpec):
                template = found
            else:
                fail("template", *found)

        issued_at = None
        issued = cell("issue_date", 40)
        if not issued:
            fail("issue_date", Code.MISSING_VALUE, "an issue date (YYYY-MM-DD) is required")
        else:
            try:
                issued_at = parse_date(issued)
            except ValueError:
                fail("issue_date", Code.INVALID_DATE, f"'{issued}' is not a date (YYYY-MM-DD)")
            else:
                if issued_at > self.now:
                    fail("issue_date", Code.INVALID_DATE, f"{issued} is in the future")
                    issued_at = None

        expires_at = None
        expiry = cell("expiry_date", 40)
        if expiry:
            try:
                expires_at = parse_date(expiry, end_of_day=True)
            except ValueError:
                fail("expiry_date", Code.INVALID_DATE, f"'{expiry}' is not a date (YYYY-MM-DD)")
            else:
                if issued_at is not None and expires_at <= issued_at:
                    fail("expiry_date", Code.INVALID_DATE, f"{expiry} is not after the issue date")

        evidence: list[dict[str, Any]] = []
        url = cell("evidence_url", MAX_URL)
        if url and (why := url_error(url)) is not None:
            fail("evidence_url", Code.INVALID_URL, f"'{url}' {why}")
        narrative = cell("narrative", MAX_NARRATIVE)
        if url or narrative:
            evidence.append({"type": "url", "id": url or None, "narrative": narrative or None})

        values: dict[str, Any] = {}
        if template is not None:
            values = self._fields(cells, template, first_name, last_name, fail)

        if errors or template is None or issued_at is None:
            return errors
        key = issuance_key(self.organization_id, template.id, email, issued_at.date())
        digest = bytes.fromhex(key)
        first = self.seen.setdefault(digest, line)
        if first != line:
            return [
                RowError(
                    line,
                    None,
                    Code.DUPLICATE_ROW,
                    f"repeats line {first}: the same email, template and issue date",
                )
            ]
        return Row(
            line=line,
            key=key,
            email=email,
            first_name=first_name,
            last_name=last_name,
            template=template,
            issued_at=issued_at,
            expires_at=expires_at,
            evidence=evidence,
            fields=values,
        )

    def _fields(
        self,
        cells: list[str],
        template: TemplateSpec,
        first_name: str | None,
        last_name: str | None,
        fail: Callable[[str | None, str, str], None],
    ) -> dict[str, Any]:
        header = self.header
        declared = {f.name for f in template.fields}
        for name, index in header.fields.items():
            if name not in declared and index < len(cells) and cells[index].strip():
                fail(
                    name,
                    Code.UNKNOWN_FIELD,
                    f"template '{template.name}' has no field '{name}'"
                    + (f" (its fields: {', '.join(sorted(declared))})" if declared else ""),
                )
        values: dict[str, Any] = {}
        for spec in template.fields:
            at = header.fields.get(spec.name)
            value = cells[at].strip() if at is not None and at < len(cells) else ""
            if not value and spec.name == "recipient_name":
                value = " ".join(p for p in (first_name, last_name) if p)
            if not value:
                if spec.default is not None:
                    values[spec.name] = spec.default
                elif spec.required:
                    where = "" if at is not None else " (the file has no such column)"
                    fail(
                        spec.name, Code.MISSING_VALUE, f"the field '{spec.name}' is required{where}"
                    )
                continue
            if len(value) > MAX_FIELD:
                fail(spec.name, Code.TOO_LONG, f"is longer than {MAX_FIELD} characters")
            elif spec.type == "number":
                if not _NUMBER.match(value):
                    fail(spec.name, Code.INVALID_NUMBER, f"'{value}' is not a number")
                else:
                    number = float(value)
                    values[spec.name] = int(number) if number.is_integer() else number
            elif spec.type == "date":
                try:
                    values[spec.name] = date.fromisoformat(value).isoformat()
                except ValueError:
                    fail(spec.name, Code.INVALID_DATE, f"'{value}' is not a date (YYYY-MM-DD)")
            elif spec.type == "url":
                if (why := url_error(value)) is not None:
                    fail(spec.name, Code.INVALID_URL, f"'{value}' {why}")
                else:
                    values[spec.name] = value
            elif spec.type == "email":
                if (why := email_error(value)) is not None:
                    fail(spec.name, Code.INVALID_EMAIL, f"'{value}' is not a valid email: {why}")
                else:
                    values[spec.name] = value
            else:
                values[spec.name] = value
        return values

"""Read what an import brings into plain items: pure, no database and no network.

Formats: a CSV of rows, an Open Badges 3.0 credential (JSON, a VC-JWT, or either baked into a
PNG or SVG), an Open Badges 2.0 assertion (JSON, a signed JWS, or baked). Each document or row
becomes an `Item`, or a `Problem` saying precisely what is wrong (line and column for a CSV).
Nothing here follows a URL: an OB 2.0 badge or issuer given only by its address is kept as that
address, and the item says so in its notes.
"""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Final

from pydantic import EmailStr, TypeAdapter, ValidationError

from plaudit import safejson
from plaudit.openbadges import baking

MAX_ROWS: Final = 10_000
MAX_LEGACY_ID: Final = 255
MAX_NAME: Final = 200
MAX_TEXT: Final = 10_000
MAX_URL: Final = 2048
OB2_CONTEXT: Final = "https://w3id.org/openbadges/v2"
# An issue date may be a little ahead of our clock (time zones written as local time).
FUTURE_TOLERANCE: Final = timedelta(days=1)

_JWS: Final = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_EMAIL: Final = TypeAdapter(EmailStr)


class Format(StrEnum):
    CSV = "csv"
    OB2 = "ob2"
    OB3 = "ob3"


@dataclass(frozen=True)
class Achievement:
    """What the source says was achieved; `key` identifies it across imports."""

    key: str
    name: str
    description: str = ""
    criteria_narrative: str | None = None
    criteria_url: str | None = None
    image_url: str | None = None


@dataclass(frozen=True)
class Issuer:
    id: str | None
    name: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Recipient:
    email: str | None = None
    # (identityHash, salt) pairs of hashed email identities: a given address is checked
    # against them, never recovered from them.
    hashes: tuple[tuple[str, str], ...] = ()
    # Any other identity the source names (a DID, a URL), for the report.
    other: str | None = None
    first_name: str | None = None
    last_name: str | None = None


@dataclass(frozen=True)
class Item:
    where: str
    format: Format
    legacy_id: str
    recipient: Recipient
    issued_at: datetime
    expires_at: datetime | None = None
    line: int | None = None
    # CSV: a template's id or name.
    template: str | None = None
    achievement: Achievement | None = None
    issuer: Issuer | None = None
    activity_title: str | None = None
    notes: str | None = None
    evidence: tuple[dict[str, str], ...] = ()
    # The document exactly as received (an object, or the compact JWS).
    original: dict[str, Any] | str | None = None
    # OB 3.0: what the verifier checks. Other formats carry why they cannot be checked.
    verifiable: dict[str, Any] | str | None = None
    unverifiable_because: str | None = None
    revoked_reason: str | None = None
    remarks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Problem:
    where: str
    reason: str
    line: int | None = None
    column: str | None = None
    legacy_id: str | None = None


@dataclass
class Reading:
    entries: list[Item | Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# --- small readers ------------------------------------------------------------------------


def email(value: str) -> str | None:
    """The address, lower-cased, if it is one."""
    try:
        return str(_EMAIL.validate_python(value.strip())).lower()
    except ValidationError:
        return None


def hashed_identity(address: str, salt: str) -> str:
    """Open Badges' hashed identity (2.0 and 3.0 alike): sha256 of the address and the salt."""
    return "sha256$" + hashlib.sha256((address + salt).encode("utf-8")).hexdigest()


def recipient_matches(recipient: Recipient, address: str) -> bool:
    """Whether `address` is the recipient the source names (in clear or hashed).

    Issuers hash the address as written or lower-cased; both are tried.
    """
    if recipient.email is not None and recipient.email.lower() == address.lower():
        return True
    for identity, salt in recipient.hashes:
        algorithm, _, _digest = identity.partition("$")
        if algorithm.lower() != "sha256":
            continue
        for form in {address, address.lower()}:
            if hashed_identity(form, salt).lower() == identity.lower():
                return True
    return False


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


def _text(value: Any) -> str | None:
    """A plain string from a string, a JSON-LD value object or a list of them."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, Mapping):
        return _text(value.get("@value"))
    if isinstance(value, list):
        return next((t for t in (_text(v) for v in value) if t), None)
    return None


def _id(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, Mapping):
        return _id(value.get("id"))
    return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _clip(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else None


def _web_url(value: str | None) -> str | None:
    """Only http(s) addresses are kept as links (a page shows them)."""
    if value and len(value) <= MAX_URL and re.match(r"https?://[^\s<>\"]+$", value):
        return value
    return None


def fit_id(value: str) -> str:
    """An identifier that fits the column: long ones are replaced by their digest."""
    if len(value) <= MAX_LEGACY_ID:
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()


def _digest_id(original: dict[str, Any] | str) -> str:
    """A stable id for a document that has none of its own (so re-importing it is a no-op)."""
    text = original if isinstance(original, str) else json.dumps(original, sort_keys=True)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _evidence(value: Any) -> tuple[dict[str, str], ...]:
    found: list[dict[str, str]] = []
    for entry in _as_list(value)[:20]:
        item: dict[str, str] = {}
        url = _web_url(_id(entry))
        if url:
            item["id"] = url
        if isinstance(entry, Mapping):
            for key in ("name", "narrative", "description"):
                text = _clip(_text(entry.get(key)), MAX_TEXT)
                if text:
                    item[key] = text
        if item:
            found.append(item)
    return tuple(found)


# --- documents ----------------------------------------------------------------------------


def _jws_payload(token: str) -> dict[str, Any] | None:
    """The payload of a compact JWS, unverified (the verifier checks OB 3.0 signatures)."""
    try:
        part = token.split(".")[1]
        decoded = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (IndexError, ValueError, binascii.Error, RecursionError):
        return None
    return decoded if isinstance(decoded, dict) else None


def _is_ob2(document: Mapping[str, Any]) -> bool:
    contexts = _as_list(document.get("@context"))
    return OB2_CONTEXT in contexts or "Assertion" in _as_list(document.get("type"))


def _is_vc(document: Mapping[str, Any]) -> bool:
    types = _as_list(document.get("type"))
    return "VerifiableCredential" in types or any(
        isinstance(c, str) and "credentials" in c for c in _as_list(document.get("@context"))
    )


def read_document(data: Mapping[str, Any] | str, *, where: str) -> Item | Problem:
    """One OB 3.0 credential or OB 2.0 assertion, as an object or as text (JSON or a JWS)."""
    if isinstance(data, str):
        text = data.strip().lstrip("\ufeff")
        if _JWS.fullmatch(text):
            payload = _jws_payload(text)
            if payload is None:
                return Problem(where, "a compact JWS whose payload is not a JSON object")
            if _is_ob2(payload):
                return _ob2(payload, where=where, original=text, signed=True)
            credential = payload.get("vc", payload)
            if not isinstance(credential, dict) or not _is_vc(credential):
                return Problem(where, "a JWT that carries no verifiable credential ('vc' claim)")
            jti = payload.get("jti") if isinstance(payload.get("jti"), str) else None
            return _ob3(credential, where=where, original=text, fallback_id=jti)
        try:
            parsed = safejson.parse(text)
        except safejson.UnsafeJson as exc:
            return Problem(where, str(exc))
        except ValueError as exc:
            return Problem(where, f"neither JSON nor a compact JWT: {exc}")
        if not isinstance(parsed, dict):
            return Problem(where, "the JSON is not an object")
        data = parsed
    document = dict(data)
    if found := safejson.flaws(document):
        return Problem(where, str(safejson.UnsafeJson(found)))
    if _is_ob2(document):
        return _ob2(document, where=where, original=document, signed=False)
    if _is_vc(document):
        return _ob3(document, where=where, original=document, fallback_id=None)
    return Problem(where, "neither an Open Badges 2.0 assertion nor an Open Badges 3.0 credential")


def _ob3(
    credential: dict[str, Any],
    *,
    where: str,
    original: dict[str, Any] | str,
    fallback_id: str | None,
) -> Item | Problem:
    issuer_value = credential.get("issuer")
    issuer = Issuer(
        id=_id(issuer_value),
        name=_clip(_text(issuer_value.get("name")), MAX_NAME)
        if isinstance(issuer_value, Mapping)
        else None,
        url=_web_url(_id(issuer_value.get("url"))) if isinstance(issuer_value, Mapping) else None,
    )
    subjects = [s for s in _as_list(credential.get("credentialSubject")) if isinstance(s, Mapping)]
    if not subjects:
        return Problem(where, "the credential has no credentialSubject")
    subject = subjects[0]
    ident = _id(credential.get("id")) or fallback_id
    legacy_id = fit_id(ident) if ident else _digest_id(original)
    moments = [
        parse_moment(str(credential[key]))
        for key in ("awardedDate", "validFrom", "issuanceDate")
        if isinstance(credential.get(key), str)
    ]
    issued_at = next((m for m in moments if m is not None), None)
    if issued_at is None:
        return Problem(
            where, "the credential has no readable validFrom (or issuanceDate)", legacy_id=legacy_id
        )
    end = credential.get("validUntil", credential.get("expirationDate"))
    expires_at = parse_moment(end) if isinstance(end, str) else None
    # The recipient: a mailto: subject id, or IdentityObjects (emailAddress, name).
    address, hashes, full_name = None, [], None
    subject_id = _id(subject.get("id"))
    if subject_id and subject_id.lower().startswith("mailto:"):
        address = email(subject_id[7:])
    for identifier in _as_list(subject.get("identifier")):
        if not isinstance(identifier, Mapping) or not isinstance(
            identifier.get("identityHash"), str
        ):
            continue
        kind, value = identifier.get("identityType"), identifier["identityHash"]
        hashed = identifier.get("hashed") is True
        if kind == "emailAddress" and hashed:
            hashes.append((value, str(identifier.get("salt") or "")))
        elif kind == "emailAddress":
            address = address or email(value)
        elif kind == "name" and not hashed:
            full_name = _clip(value.strip(), MAX_NAME)
    achievement_value = subject.get("achievement")
    if not isinstance(achievement_value, Mapping) and _text(credential.get("name")):
        # Some credentials name what was achieved only in their own name.
        achievement_value = {"name": credential["name"]}
    achievement = None
    if isinstance(achievement_value, Mapping):
        name = _text(achievement_value.get("name")) or _text(credential.get("name"))
        criteria = achievement_value.get("criteria")
        key = _id(achievement_value.get("id")) or f"name:{issuer.id}:{name}"
        achievement = Achievement(
            key=fit_id(key),
            name=_clip(name, MAX_NAME) or "Imported achievement",
            description=_clip(_text(achievement_value.get("description")), 5_000) or "",
            criteria_narrative=_clip(_text(criteria.get("narrative")), MAX_TEXT)
            if isinstance(criteria, Mapping)
            else None,
            criteria_url=_web_url(_id(criteria)),
            image_url=_web_url(_id(achievement_value.get("image"))),
        )
    return Item(
        where=where,
        format=Format.OB3,
        legacy_id=legacy_id,
        recipient=Recipient(
            email=address,
            hashes=tuple(hashes),
            other=subject_id,
            first_name=full_name,
        ),
        issued_at=issued_at,
        expires_at=expires_at,
        achievement=achievement,
        issuer=issuer,
        evidence=_evidence(credential.get("evidence")),
        original=original,
        verifiable=original,
    )


def _ob2(
    assertion: dict[str, Any], *, where: str, original: dict[str, Any] | str, signed: bool
) -> Item | Problem:
    ident = _id(assertion.get("id"))
    if ident is None:
        return Problem(where, "the OB 2.0 assertion has no id")
    legacy_id = fit_id(ident)
    issued_value = assertion.get("issuedOn")
    issued_at = parse_moment(issued_value) if isinstance(issued_value, str) else None
    if issued_at is None:
        return Problem(where, "the OB 2.0 assertion has no readable issuedOn", legacy_id=legacy_id)
    expires_value = assertion.get("expires")
    expires_at = parse_moment(expires_value) if isinstance(expires_value, str) else None
    remarks: list[str] = []
    recipient_value = assertion.get("recipient")
    recipient = Recipient()
    if isinstance(recipient_value, Mapping) and isinstance(recipient_value.get("identity"), str):
        identity = recipient_value["identity"]
        if recipient_value.get("type", "email") != "email":
            recipient = Recipient(other=identity)
        elif recipient_value.get("hashed") is True:
            recipient = Recipient(hashes=((identity, str(recipient_value.get("salt") or "")),))
        else:
            recipient = Recipient(email=email(identity), other=identity)
    badge_value = assertion.get("badge")
    issuer: Issuer | None = None
    if isinstance(badge_value, Mapping):
        issuer_value = badge_value.get("issuer")
        issuer = Issuer(
            id=_id(issuer_value),
            name=_clip(_text(issuer_value.get("name")), MAX_NAME)
            if isinstance(issuer_value, Mapping)
            else None,
            url=_web_url(_id(issuer_value.get("url")))
            if isinstance(issuer_value, Mapping)
            else None,
        )
        if isinstance(issuer_value, str):
            remarks.append(f"the issuer is hosted at {issuer_value} and was not fetched")
        criteria = badge_value.get("criteria")
        name = _text(badge_value.get("name"))
        key = _id(badge_value.get("id")) or f"name:{issuer.id}:{name}"
        achievement = Achievement(
            key=fit_id(key),
            name=_clip(name, MAX_NAME) or "Imported badge",
            description=_clip(_text(badge_value.get("description")), 5_000) or "",
            criteria_narrative=_clip(_text(criteria.get("narrative")), MAX_TEXT)
            if isinstance(criteria, Mapping)
            else None,
            criteria_url=_web_url(_id(criteria)),
            image_url=_web_url(_id(badge_value.get("image"))),
        )
    elif isinstance(badge_value, str) and badge_value.strip():
        url = badge_value.strip()
        remarks.append(
            f"the badge class is hosted at {url} and was not fetched: its template holds only "
            "that address; rename it, or import with a template_id"
        )
        achievement = Achievement(
            key=fit_id(url),
            name=_clip(f"Imported badge ({url})", MAX_NAME) or "Imported badge",
            criteria_url=_web_url(url),
        )
    else:
        return Problem(where, "the OB 2.0 assertion has no badge", legacy_id=legacy_id)
    verification = assertion.get("verification")
    creator = _id(verification.get("creator")) if isinstance(verification, Mapping) else None
    if signed:
        why = (
            f"a signed OB 2.0 assertion: its key is published at {creator or 'its issuer'}, "
            "which imports never fetch, so the signature was not checked"
        )
    else:
        why = (
            f"a hosted OB 2.0 assertion is verified by fetching {ident} from its issuer, "
            "which imports never do"
        )
    narrative = _clip(_text(assertion.get("narrative")), MAX_TEXT)
    evidence = _evidence(assertion.get("evidence"))
    if narrative:
        evidence = (*evidence, {"narrative": narrative})
    revoked = assertion.get("revoked") is True
    reason = _text(assertion.get("revocationReason")) if revoked else None
    return Item(
        where=where,
        format=Format.OB2,
        legacy_id=legacy_id,
        recipient=recipient,
        issued_at=issued_at,
        expires_at=expires_at,
        achievement=achievement,
        issuer=issuer,
        evidence=evidence,
        original=original,
        unverifiable_because=why,
        revoked_reason=(reason or "revoked by its issuer") if revoked else None,
        remarks=tuple(remarks),
    )


# --- files --------------------------------------------------------------------------------


def looks_like_csv(data: bytes, *, name: str | None, content_type: str | None) -> bool:
    if (name or "").lower().endswith(".csv") or (content_type or "").startswith("text/csv"):
        return True
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    return not head.startswith((b"{", b"[", b"<")) and not _JWS.fullmatch(
        head.decode("utf-8", "replace").strip()
    )


def read_file(data: bytes, *, name: str, content_type: str | None) -> Reading:
    """Everything in one uploaded file: a CSV's rows, a JSON array's documents, or one
    document (JSON, JWT, or baked into a PNG or SVG)."""
    if baking.is_png(data) or baking.is_svg(data):
        try:
            text = baking.extract(data)
        except baking.BakingError as exc:
            return Reading([Problem(name, f"the image carries no credential: {exc}")])
        return Reading([read_document(text, where=name)])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Reading(
            [Problem(name, "neither UTF-8 text (JSON, JWT, CSV) nor a PNG or SVG image")]
        )
    if looks_like_csv(data, name=name, content_type=content_type):
        return read_csv(text, where=name)
    stripped = text.strip()
    if not stripped.startswith("["):
        return Reading([read_document(stripped, where=name)])
    try:
        documents = safejson.parse(stripped)
    except safejson.UnsafeJson as exc:
        return Reading([Problem(name, str(exc))])
    except ValueError as exc:
        return Reading([Problem(name, f"the JSON cannot be read: {exc}")])
    return Reading(
        [
            read_document(d, where=f"{name}[{i}]")
            if isinstance(d, (dict, str))
            else Problem(f"{name}[{i}]", "neither a JSON object nor a JWT string")
            for i, d in enumerate(documents)
        ]
    )


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

    def text(self, column: str, limit: int) -> str | None:
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
    first_name = row.text("first_name", MAX_NAME)
    last_name = row.text("last_name", MAX_NAME)
    issued_at = row.moment("issued_at")
    if not row.get("issued_at"):
        row.fail("issued_at", "is required")
    elif issued_at is not None and issued_at > now + FUTURE_TOLERANCE:
        row.fail("issued_at", "is in the future")
    expires_at = row.moment("expires_at")
    if issued_at is not None and expires_at is not None and expires_at <= issued_at:
        row.fail("expires_at", "is not after issued_at")
    legacy_id = row.text("legacy_id", MAX_LEGACY_ID)
    evidence_url = row.get("evidence_url")
    if evidence_url and _web_url(evidence_url) is None:
        row.fail("evidence_url", "is not an http(s) address")
    narrative = row.text("narrative", MAX_TEXT)
    activity_title = row.text("activity_title", 500)
    notes = row.text("notes", MAX_TEXT)
    template = row.text("template", 255)
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

"""Bulk issuance from a CSV: preview (writes nothing), start, then apply batch by batch.

Idempotency works at two levels.

* The file: its SHA-256 is unique per organization (``bulk_issuances``). Posting the same bytes
  again returns the job it already started (or restarts it, if it failed): no second job.
* The row: each row has an issuance key, the SHA-256 of (organization, template, lower-case
  email, issue date), stored on the credential it produced (``credentials.issuance_key``,
  unique per organization). A row whose key exists is skipped, whichever file it came from:
  an overlapping file, a re-exported file with other columns or another order, a job resumed
  after a crash, two jobs racing (the loser's batch fails on the constraint and is retried,
  then skips). The key has no time of day on purpose: one recipient gets one credential of a
  template per day through bulk issuance, which is what a row of such a file means.

The apply job streams the stored file in constant memory: rows are read, checked and issued
by batches of ``BATCH`` per transaction (learners, awards, logs and credentials each in one or
two multi-row statements); each batch's credentials are signed by one job after it commits.
"""

from __future__ import annotations

import csv
import dataclasses
import enum
import hashlib
import io
import itertools
import json
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, BinaryIO, Final

from sqlalchemy import Select, insert, select, text
from sqlalchemy.orm import Session

from plaudit.awards.service import AwardableTemplate, AwardBook, Grant
from plaudit.bulk import parsing
from plaudit.bulk.parsing import BadFile, Checker, Header, Row, RowError, Templates, TemplateSpec
from plaudit.bulk.schemas import BulkPreviewOut, LateRowOut, RowErrorOut, TemplateRowsOut
from plaudit.db import new_id, utcnow
from plaudit.errors import InvalidInput, not_found
from plaudit.lifecycle import awarding
from plaudit.models.award import Credential
from plaudit.models.bulk import BulkIssuance, BulkStatus
from plaudit.models.learner import Learner
from plaudit.models.template import Template, TemplateStatus, TemplateVersion
from plaudit.openbadges.credential import iso
from plaudit.storage import FileStore
from plaudit.templates.snapshot import Expiry, snapshot_of
from plaudit.webhooks import service as webhooks

BATCH: Final = 1_000  # rows per transaction
MAX_REPORTED: Final = 1_000  # errors listed in a preview (all are counted)
MAX_KEPT: Final = 100  # errors of rows that failed when applied, kept on the job


@dataclass(frozen=True)
class Catalog:
    """The organization's templates, for checking rows and for issuing them."""

    templates: Templates
    awardable: dict[uuid.UUID, AwardableTemplate]


def catalog(session: Session, *, organization_id: uuid.UUID) -> Catalog:
    rows = session.execute(
        select(Template.id, Template.name, Template.status, TemplateVersion)
        .outerjoin(
            TemplateVersion,
            (TemplateVersion.template_id == Template.id)
            & (TemplateVersion.number == Template.published_version),
        )
        .where(Template.organization_id == organization_id)
    ).all()
    published: list[TemplateSpec] = []
    unpublished: list[tuple[uuid.UUID, str, str]] = []
    awardable: dict[uuid.UUID, AwardableTemplate] = {}
    for ident, name, status, version in rows:
        if status is TemplateStatus.PUBLISHED and version is not None:
            snapshot = snapshot_of(version)
            published.append(TemplateSpec.of(ident, snapshot))
            awardable[ident] = AwardableTemplate(
                ident, snapshot.name, version.id, version.number, snapshot
            )
        else:
            unpublished.append((ident, name, status.value))
    return Catalog(Templates.build(published, unpublished), awardable)


# --- rows that would arrive expired, or about to expire ----------------------------------------
#
# A back-dated row on a template that expires some time after issue can arrive already expired
# (issued two years ago, valid one year) or about to (within the template's farthest expiry
# reminder). The preview flags such rows and the uploader chooses, per row, what to do.


class Arrival(enum.StrEnum):
    EXPIRED = "expired"  # expired before it is issued
    EXPIRING = "expiring"  # expires within the reminder window of its arrival


class LateChoice(enum.StrEnum):
    ISSUE = "issue"  # as the file dates it, expired or not (the API's behaviour by default)
    SKIP = "skip"  # not issued; counted as skipped
    TODAY = "today"  # issued as of today: the template's policy dates its expiry from today


@dataclass(frozen=True)
class Late:
    state: Arrival
    expires_at: datetime
    window_days: int  # the template's farthest reminder before expiry
    can_redate: bool  # dating it today gives it a later expiry


def arrival(row: Row, expiry: Expiry, *, now: datetime) -> Late | None:
    """Whether the row's credential would arrive expired or within the reminder window."""
    ends = row.expires_at or expiry.ends(issued_at=row.issued_at)
    if ends is None:
        return None
    window = max(expiry.reminders, default=0)
    # An expiry stated in the file, or a fixed date, is the same whatever the issue date.
    can_redate = row.expires_at is None and expiry.type == "duration"
    if ends <= now:
        return Late(Arrival.EXPIRED, ends, window, can_redate)
    if window and ends - now <= timedelta(days=window):
        return Late(Arrival.EXPIRING, ends, window, can_redate)
    return None


class _Arrivals:
    """``arrival`` for many rows: rows share templates and dates, so each (template, issue
    date, stated expiry) is judged once (a file of 100,000 rows has a few hundred)."""

    def __init__(self, found: Catalog, now: datetime) -> None:
        self.found, self.now = found, now
        self.seen: dict[tuple[uuid.UUID, datetime, datetime | None], Late | None] = {}

    def of(self, row: Row) -> Late | None:
        key = (row.template.id, row.issued_at, row.expires_at)
        if key not in self.seen:
            if len(self.seen) >= 10_000:  # rows with times of day: memory stays bounded
                self.seen.clear()
            expiry = self.found.awardable[row.template.id].snapshot.expiry
            self.seen[key] = arrival(row, expiry, now=self.now)
        return self.seen[key]


def redated(row: Row, *, organization_id: uuid.UUID, now: datetime) -> Row:
    """The row issued as of ``now`` (its key too: one recipient, one template, one day)."""
    key = parsing.issuance_key(organization_id, row.template.id, row.email, now.date())
    return dataclasses.replace(row, issued_at=now, key=key)


@dataclass(frozen=True)
class Choices:
    """What to do with the rows flagged late: per line, else ``default``."""

    default: LateChoice = LateChoice.ISSUE
    lines: Mapping[int, LateChoice] = field(default_factory=dict)

    def of(self, line: int) -> LateChoice:
        return self.lines.get(line, self.default)

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "default": self.default.value,
                "lines": {str(k): v.value for k, v in self.lines.items()},
            }
        ).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Choices:
        raw = json.loads(data)
        return cls(
            LateChoice(raw["default"]),
            {int(k): LateChoice(v) for k, v in raw.get("lines", {}).items()},
        )


def choices_key(file_key: str) -> str:
    # Kept beside the job's file rather than in a column: they belong to that file's lines.
    return f"{file_key}.choices.json"


def load_choices(files: FileStore, *, file_key: str) -> Choices:
    data = files.get(choices_key(file_key))
    return Choices.from_json(data) if data else Choices()


def _issued_keys(session: Session, *, organization_id: uuid.UUID, keys: list[str]) -> set[str]:
    if not keys:
        return set()
    return set(
        session.scalars(
            select(Credential.issuance_key).where(
                Credential.organization_id == organization_id, Credential.issuance_key.in_(keys)
            )
        )
    )


def _report(errors: list[RowError]) -> list[RowErrorOut]:
    return [RowErrorOut.model_validate(e.as_dict()) for e in errors]


def preview(
    session: Session,
    *,
    organization_id: uuid.UUID,
    stream: BinaryIO,
    now: datetime | None = None,
) -> BulkPreviewOut:
    """Check every row of the file, in a stream; report what applying it would do."""
    found = catalog(session, organization_id=organization_id)
    now = now or utcnow()
    errors: list[RowError] = []
    error_count = rows = valid = already = 0
    per_template: Counter[uuid.UUID] = Counter()
    names: dict[uuid.UUID, str] = {}
    pending: list[str] = []
    pending_late: list[tuple[Row, Late]] = []
    late: list[LateRowOut] = []
    late_counts: Counter[Arrival] = Counter()
    judged = _Arrivals(found, now)

    def error(e: RowError) -> None:
        nonlocal error_count
        error_count += 1
        if len(errors) < MAX_REPORTED:
            errors.append(e)

    def flush() -> None:
        nonlocal already
        issued = _issued_keys(session, organization_id=organization_id, keys=pending)
        already += len(issued)
        # A row issued before is skipped whatever its dates: it is not flagged.
        for row, flag in pending_late:
            if row.key not in issued:
                late_counts[flag.state] += 1
                if len(late) < MAX_REPORTED:
                    late.append(_late_out(row, flag))
        pending.clear()
        pending_late.clear()

    try:
        records = parsing.records(stream)
        first = next(records, None)
        if first is None:
            error(RowError(1, None, parsing.Code.EMPTY_FILE, "the file is empty"))
        else:
            header = parsing.parse_header(first[1])
            if isinstance(header, list):
                for e in header:
                    error(e)
            else:
                checker = Checker(organization_id, header, found.templates, now)
                for line, cells in records:
                    rows += 1
                    row = checker.check(line, cells)
                    if isinstance(row, Row):
                        valid += 1
                        per_template[row.template.id] += 1
                        names[row.template.id] = row.template.name
                        pending.append(row.key)
                        if (flag := judged.of(row)) is not None:
                            pending_late.append((row, flag))
                        if len(pending) >= BATCH:
                            flush()
                    else:
                        for e in row:
                            error(e)
                flush()
    except BadFile as exc:
        error(exc.error)
    if rows == 0 and error_count == 0:
        error(RowError(2, None, parsing.Code.EMPTY_FILE, "the file has a header but no rows"))
    return BulkPreviewOut(
        rows=rows,
        valid=valid,
        invalid=rows - valid,
        to_issue=valid - already,
        already_issued=already,
        templates=[
            TemplateRowsOut(template_id=ident, name=names[ident], rows=count)
            for ident, count in per_template.most_common()
        ],
        error_count=error_count,
        errors=_report(errors),
        errors_truncated=error_count > len(errors),
        expired_count=late_counts[Arrival.EXPIRED],
        expiring_count=late_counts[Arrival.EXPIRING],
        late=late,
        late_truncated=late_counts.total() > len(late),
    )


def _late_out(row: Row, late: Late) -> LateRowOut:
    return LateRowOut(
        line=row.line,
        email=row.email,
        template_id=row.template.id,
        template_name=row.template.name,
        issued_at=row.issued_at,
        expires_at=late.expires_at,
        state=late.state.value,
        window_days=late.window_days,
        can_redate=late.can_redate,
    )


def sha256_of(stream: BinaryIO) -> tuple[str, int]:
    """The stream's digest and size; leaves it at its start again."""
    stream.seek(0)
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(1 << 20):
        digest.update(chunk)
        size += len(chunk)
    stream.seek(0)
    return digest.hexdigest(), size


def start(
    session: Session,
    files: FileStore,
    *,
    organization_id: uuid.UUID,
    stream: BinaryIO,
    filename: str | None,
    notify: bool = True,
    skip_invalid: bool = False,
    uploaded_by: str | None = None,
    choices: Choices | None = None,
) -> tuple[BulkIssuance, bool]:
    """The job for this file, and whether it is to be run now (new, or failed before).

    A file with invalid rows is refused (with the preview's errors) unless ``skip_invalid``:
    then its valid rows are issued and the others counted as failed. ``choices`` say what to
    do with the rows that would arrive expired or about to (by default: issue them)."""
    sha256, size = sha256_of(stream)
    existing = session.scalar(
        select(BulkIssuance)
        .where(BulkIssuance.organization_id == organization_id, BulkIssuance.sha256 == sha256)
        .with_for_update()
    )
    if existing is not None:
        if existing.status is not BulkStatus.FAILED:
            return existing, False
        # Resumed where it stopped (the file stored again, in case it was lost); rows issued
        # already are skipped by their keys in any case.
        files.put_stream(existing.file_key, stream)
        existing.status, existing.error, existing.finished_at = BulkStatus.PENDING, None, None
        return existing, True
    report = preview(session, organization_id=organization_id, stream=stream)
    stream.seek(0)
    if report.valid == 0 or (report.error_count and not skip_invalid):
        raise InvalidInput(
            f"The file has {report.error_count} error(s) in {report.invalid} of its "
            f"{report.rows} row(s); nothing was issued. Correct them, or send "
            "skip_invalid=true to issue the valid rows only."
            if report.valid
            else "The file has no valid row to issue; nothing was issued.",
            extra={
                "errors": [e.model_dump(mode="json") for e in report.errors],
                "report": report.model_dump(mode="json"),
            },
        )
    bulk = BulkIssuance(
        organization_id=organization_id,
        sha256=sha256,
        # Only a label (the bytes identify the file): a NUL, which no engine stores, is dropped.
        filename=(filename or "").replace("\x00", "")[:255] or None,
        file_key=f"bulk/{organization_id}/{sha256}.csv",
        size_bytes=size,
        uploaded_by=(uploaded_by or "")[:320] or None,
        notify=notify,
        skip_invalid=skip_invalid,
        status=BulkStatus.PENDING,
        total_rows=report.rows,
        processed_rows=0,
        issued=0,
        skipped=0,
        failed=0,
        errors=[],
    )
    files.put_stream(bulk.file_key, stream)
    if choices is not None and choices != Choices():
        files.put(choices_key(bulk.file_key), choices.to_json())
    session.add(bulk)
    session.flush()
    return bulk, True


def get(session: Session, *, organization_id: uuid.UUID, bulk_id: uuid.UUID) -> BulkIssuance:
    bulk = session.scalar(
        select(BulkIssuance).where(
            BulkIssuance.id == bulk_id, BulkIssuance.organization_id == organization_id
        )
    )
    if bulk is None:
        raise not_found("bulk issuance", bulk_id)
    return bulk


def query(*, organization_id: uuid.UUID) -> Select[BulkIssuance]:
    return select(BulkIssuance).where(BulkIssuance.organization_id == organization_id)


def find(session: Session, *, organization_id: uuid.UUID, sha256: str) -> BulkIssuance | None:
    """The job this file (these bytes) started, if it was applied before."""
    return session.scalar(
        select(BulkIssuance).where(
            BulkIssuance.organization_id == organization_id, BulkIssuance.sha256 == sha256
        )
    )


def issued_query(bulk: BulkIssuance) -> Select[Credential]:
    """The credentials this job issued (rows issued before, by any job, are not among them)."""
    return select(Credential).where(
        Credential.organization_id == bulk.organization_id,
        Credential.bulk_issuance_id == bulk.id,
    )


# Files checked in the dashboard wait here, by their digest, until they are applied (then
# the job keeps its own copy, as the API's start does) or checked again.


STAGED = "bulk-previews"
# A file checked but never issued is kept this long (issuing moves it to its job).
STAGED_FOR: Final = timedelta(days=7)


def staged_key(*, organization_id: uuid.UUID, sha256: str) -> str:
    return f"{STAGED}/{organization_id}/{sha256}.csv"


def stage(files: FileStore, *, organization_id: uuid.UUID, stream: BinaryIO) -> str:
    """Keep an uploaded file to preview and apply it later; returns its SHA-256."""
    sha256, _size = sha256_of(stream)
    files.put_stream(staged_key(organization_id=organization_id, sha256=sha256), stream)
    return sha256


def open_staged(files: FileStore, *, organization_id: uuid.UUID, sha256: str) -> BinaryIO | None:
    return files.open(staged_key(organization_id=organization_id, sha256=sha256))


def purge_staged(files: FileStore, *, now: datetime) -> int:
    """Forget the files checked more than STAGED_FOR ago and never issued."""
    return files.delete_older(STAGED, before=now - STAGED_FOR)


EXAMPLE_NAMES: Final = (("Ada", "Lovelace"), ("Grace", "Hopper"), ("Alan", "Turing"))
_EXAMPLE_VALUES: Final = {
    "number": "90",
    "url": "https://example.org/evidence",
    "email": "someone@example.org",
}


def example(session: Session, *, organization_id: uuid.UUID, today: date) -> str:
    """A CSV that previews without errors: one row per published template (the first 50 by
    name), with each certificate field filled in by its type."""
    usable = catalog(session, organization_id=organization_id).templates.usable
    specs = sorted({spec.id: spec for spec in usable.values()}.values(), key=lambda s: s.name)
    specs = specs[:50]
    fields: dict[str, str] = {}  # field name -> its column header
    for spec in specs:
        for f in spec.fields:
            fields.setdefault(f.name, parsing.field_column(f.name))
    header = [*parsing.STANDARD, *fields.values()]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    if not specs:
        placeholder = ["ada@example.org", "Ada", "Lovelace", "Name of a published template"]
        writer.writerow([*placeholder, today.isoformat(), "", "", ""])
    for n, spec in enumerate(specs, start=1):
        first, last = EXAMPLE_NAMES[(n - 1) % len(EXAMPLE_NAMES)]
        # The name when it names this template alone, else the id.
        named = usable.get(spec.name.lower()) == spec
        values = {f.name: _example_value(f, today) for f in spec.fields}
        writer.writerow(
            [
                f"learner{n}@example.org",
                first,
                last,
                spec.name if named else str(spec.id),
                today.isoformat(),
                "",
                "https://example.org/evidence" if n == 1 else "",
                "What the learner did" if n == 1 else "",
                *(values.get(name, "") for name in fields),
            ]
        )
    return out.getvalue()


def _example_value(spec: parsing.FieldSpec, today: date) -> str:
    if spec.name == "recipient_name":
        return ""  # the first and last names fill it
    if spec.type == "date":
        return today.isoformat()
    return _EXAMPLE_VALUES.get(spec.type, "Example")


# The apply job: begin, then apply_batch for each batch of rows(), then finish.


@dataclass(frozen=True)
class Plan:
    bulk_id: uuid.UUID
    organization_id: uuid.UUID
    file_key: str
    done_rows: int  # rows processed by an earlier run: skipped when reading


@dataclass(frozen=True)
class Progress:
    total_rows: int
    processed_rows: int
    issued: int
    skipped: int
    failed: int


def progress_of(bulk: BulkIssuance) -> Progress:
    return Progress(bulk.total_rows, bulk.processed_rows, bulk.issued, bulk.skipped, bulk.failed)


def begin(session: Session, *, bulk_id: uuid.UUID) -> Plan | None:
    """Mark the job running; None when there is nothing (left) to do."""
    bulk = session.get(BulkIssuance, bulk_id, with_for_update=True)
    if bulk is None or bulk.status in (BulkStatus.COMPLETED, BulkStatus.FAILED):
        return None
    bulk.status = BulkStatus.RUNNING
    bulk.started_at = bulk.started_at or utcnow()
    return Plan(bulk.id, bulk.organization_id, bulk.file_key, bulk.processed_rows)


@dataclass(frozen=True)
class Batch:
    header: Header
    start: int  # rows of the file before this batch
    records: list[tuple[int, list[str]]]


class Superseded(Exception):
    """Another runner of the same job got there first (the job's cursor moved)."""


def batches(files: FileStore, plan: Plan, *, size: int = BATCH) -> Iterator[Batch]:
    """The stored file's rows not processed yet, ``size`` at a time, read in a stream.
    Raises BadFile when the file is gone or unreadable."""
    stream = files.open(plan.file_key)
    if stream is None:
        raise BadFile(1, "the uploaded file is no longer stored")
    records = parsing.records(stream)
    try:
        first = next(records, None)
        header = parsing.parse_header(first[1]) if first else None
        if not isinstance(header, Header):
            raise BadFile(1, "the file's header is not valid any more")
        rest = itertools.islice(records, plan.done_rows, None)
        start = plan.done_rows
        while chunk := list(itertools.islice(rest, size)):
            yield Batch(header, start, chunk)
            start += len(chunk)
    finally:
        records.close()
        stream.close()


def _learners(
    session: Session, *, organization_id: uuid.UUID, rows: list[Row]
) -> dict[str, Learner]:
    """Each row's learner by email: one already known by that email (whatever its id in the
    LMS), else a new one identified by the email alone. Names fill only what is missing."""
    by_email: dict[str, Learner] = {}
    emails = {row.email for row in rows}
    for learner in session.scalars(
        select(Learner)
        .where(Learner.organization_id == organization_id, Learner.email.in_(emails))
        .order_by(Learner.created_at, Learner.id)
    ):
        if learner.email is not None:
            by_email.setdefault(learner.email, learner)
    for row in rows:
        known = by_email.get(row.email)
        if known is not None:
            known.first_name = known.first_name or row.first_name
            known.last_name = known.last_name or row.last_name
    new: dict[str, dict[str, Any]] = {}
    now = utcnow()
    for row in rows:
        if row.email not in by_email and row.email not in new:
            new[row.email] = {
                "id": new_id(),
                "organization_id": organization_id,
                "external_id": f"email:{row.email}",
                "email": row.email,
                "first_name": row.first_name,
                "last_name": row.last_name,
                "locale": None,
                "email_opt_out_at": None,
                "created_at": now,
                "updated_at": now,
            }
    if new:
        # One multi-row INSERT (ORM objects would cost more than the database work). A learner
        # created meanwhile by an event collides on its external id: the batch is retried.
        session.execute(insert(Learner), list(new.values()))
        for learner in session.scalars(
            select(Learner).where(Learner.id.in_([r["id"] for r in new.values()]))
        ):
            by_email[row_email(learner)] = learner
    return by_email


def row_email(learner: Learner) -> str:
    assert learner.email is not None
    return learner.email


def apply_batch(
    session: Session, *, bulk_id: uuid.UUID, batch: Batch, choices: Choices | None = None
) -> tuple[Progress, list[uuid.UUID]]:
    """Issue the batch's rows not issued yet; count them with the job's progress. Returns the
    progress and the new credentials (to be signed once the transaction commits).

    Raises Superseded if the job is not where this batch starts: a second runner of the job
    (say, one resumed while the first was only slow) stops rather than counting rows twice."""
    bulk = session.get(BulkIssuance, bulk_id, with_for_update=True)
    if bulk is None:
        raise LookupError(f"bulk issuance {bulk_id} is gone")
    if bulk.processed_rows != batch.start or bulk.status is not BulkStatus.RUNNING:
        raise Superseded(f"bulk issuance {bulk_id} moved on to row {bulk.processed_rows}")
    header, records = batch.header, batch.records
    organization_id = bulk.organization_id
    found = catalog(session, organization_id=organization_id)
    # Repeats within this batch are caught here, across batches by the stored keys.
    now = utcnow()
    checker = Checker(organization_id, header, found.templates, now)
    choices = choices or Choices()
    judged = _Arrivals(found, now)
    rows: list[Row] = []
    failures: list[RowError] = []
    repeated = declined = 0
    for line, cells in records:
        row = checker.check(line, cells)
        if isinstance(row, Row):
            late = judged.of(row)
            choice = choices.of(row.line) if late is not None else LateChoice.ISSUE
            if choice is LateChoice.SKIP:
                declined += 1
                continue
            if choice is LateChoice.TODAY and late is not None and late.can_redate:
                row = redated(row, organization_id=organization_id, now=now)
            rows.append(row)
        elif row[0].code == parsing.Code.DUPLICATE_ROW:
            repeated += 1
        else:
            failures.extend(row)
    issued_before = _issued_keys(
        session, organization_id=organization_id, keys=[row.key for row in rows]
    )
    todo = [row for row in rows if row.key not in issued_before]
    created: list[uuid.UUID] = []
    if todo:
        by_email = _learners(session, organization_id=organization_id, rows=todo)
        book = AwardBook.load(
            session,
            organization_id=organization_id,
            learner_ids=[learner.id for learner in by_email.values()],
        )
        for row in todo:
            issued_at = row.issued_at
            book.grant(
                Grant(
                    learner=by_email[row.email],
                    template=found.awardable[row.template.id],
                    rule_id=None,
                    event_id=None,
                    occurred_at=issued_at,
                    entity_type=None,
                    entity_id=None,
                    entity_title=None,
                    fields=row.fields,
                    evidence=row.evidence,
                    issued_at=issued_at,
                    expires_at=row.expires_at,
                    issuance_key=row.key,
                    bulk_issuance_id=bulk.id,
                ),
                once=False,
            )
        written = book.write()
        # Signed in batches by the caller's job (``tasks.sign_bulk``), not one job per row.
        awarding.settle(session, written, notify=bulk.notify, sign=False)
        created = written.created
    failed_rows = len({e.line for e in failures})
    bulk.processed_rows += len(records)
    bulk.issued += len(created)
    bulk.skipped += len(rows) - len(todo) + repeated + declined
    bulk.failed += failed_rows
    if failures and len(bulk.errors) < MAX_KEPT:
        bulk.errors = [*bulk.errors, *(e.as_dict() for e in failures)][:MAX_KEPT]
    return progress_of(bulk), created


def refresh_statistics(session: Session) -> None:
    """Let PostgreSQL's planner see how big the tables grew. Planned for the small tables of
    the job's start, its lookups (learners by email, credentials by learner) scan the whole
    organization's rows, slower with each batch, until autovacuum analyses them."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE learners, credentials, awards, award_guards"))


def finish(session: Session, *, bulk_id: uuid.UUID) -> Progress | None:
    """Mark the job completed and announce it (once, however often this runs)."""
    bulk = session.get(BulkIssuance, bulk_id, with_for_update=True)
    if bulk is None:
        return None
    if bulk.status is not BulkStatus.COMPLETED:
        bulk.status = BulkStatus.COMPLETED
        bulk.finished_at = utcnow()
        session.flush()
        webhooks.emit(
            session,
            organization_id=bulk.organization_id,
            kind="bulk.completed",
            occurrence=str(bulk.id),
            data={
                "bulk_issuance_id": str(bulk.id),
                "filename": bulk.filename,
                "sha256": bulk.sha256,
                "total_rows": bulk.total_rows,
                "issued": bulk.issued,
                "skipped": bulk.skipped,
                "failed": bulk.failed,
                "finished_at": iso(bulk.finished_at),
            },
        )
    return progress_of(bulk)


def fail(session: Session, *, bulk_id: uuid.UUID, reason: str) -> None:
    bulk = session.get(BulkIssuance, bulk_id, with_for_update=True)
    if bulk is not None and bulk.status is not BulkStatus.COMPLETED:
        bulk.status, bulk.error, bulk.finished_at = BulkStatus.FAILED, reason, utcnow()

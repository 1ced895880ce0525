"""Rows to export, read in batches from their own read-only session, and their two encodings."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, sessionmaker

from plaudit.models.award import AwardLog, Credential, CredentialStatus
from plaudit.models.claim import Claim
from plaudit.models.learner import Learner

Format = Literal["csv", "jsonl"]
BATCH: Final = 1_000
# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets.
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(value: str) -> str:
    """Prefix a would-be formula with an apostrophe, as OWASP advises for CSV injection."""
    return "'" + value if value.startswith(_FORMULA_START) else value


@dataclass(frozen=True)
class CredentialFilter:
    status: CredentialStatus | None = None
    template_id: uuid.UUID | None = None
    learner_id: uuid.UUID | None = None
    issued_from: datetime | None = None
    issued_to: datetime | None = None


@dataclass(frozen=True)
class AwardLogFilter:
    template_id: uuid.UUID | None = None
    rule_id: uuid.UUID | None = None
    learner_id: uuid.UUID | None = None
    assigned_from: datetime | None = None
    assigned_to: datetime | None = None


CREDENTIAL_COLUMNS: Final = (
    "id",
    "public_id",
    "url",
    "status",
    "template_id",
    "template_version",
    "learner_id",
    "learner_external_id",
    "recipient_email",
    "recipient_first_name",
    "recipient_last_name",
    "issued_at",
    "expires_at",
    "revoked_at",
    "reason",
    "imported",
    "legacy_id",
    "fields",
    "wallet_claimed_at",
)
AWARD_LOG_COLUMNS: Final = (
    "id",
    "award_id",
    "learner_id",
    "learner_external_id",
    "template_id",
    "template_version",
    "rule_id",
    "event_id",
    "source_entity_type",
    "source_entity_id",
    "backfill_id",
    "assigned_at",
)


def _credentials_query(
    organization_id: uuid.UUID, f: CredentialFilter
) -> Select[Any, str, datetime | None]:
    # When it was first taken into a wallet app (a claim completed), if ever.
    wallet = (
        select(func.min(Claim.claimed_at))
        .where(Claim.credential_id == Credential.id)
        .correlate(Credential)
        .scalar_subquery()
    )
    stmt = (
        select(Credential, Learner.external_id, wallet)
        .join(Learner, Learner.id == Credential.learner_id)
        .where(Credential.organization_id == organization_id)
    )
    if f.status is not None:
        stmt = stmt.where(Credential.status == f.status)
    if f.template_id is not None:
        stmt = stmt.where(Credential.template_id == f.template_id)
    if f.learner_id is not None:
        stmt = stmt.where(Credential.learner_id == f.learner_id)
    if f.issued_from is not None:
        stmt = stmt.where(Credential.emitted_at >= f.issued_from)
    if f.issued_to is not None:
        stmt = stmt.where(Credential.emitted_at < f.issued_to)
    return stmt.order_by(Credential.emitted_at, Credential.id)


def _award_logs_query(organization_id: uuid.UUID, f: AwardLogFilter) -> Select[Any, str]:
    stmt = (
        select(AwardLog, Learner.external_id)
        .join(Learner, Learner.id == AwardLog.learner_id)
        .where(AwardLog.organization_id == organization_id)
    )
    if f.template_id is not None:
        stmt = stmt.where(AwardLog.template_id == f.template_id)
    if f.rule_id is not None:
        stmt = stmt.where(AwardLog.rule_id == f.rule_id)
    if f.learner_id is not None:
        stmt = stmt.where(AwardLog.learner_id == f.learner_id)
    if f.assigned_from is not None:
        stmt = stmt.where(AwardLog.assigned_at >= f.assigned_from)
    if f.assigned_to is not None:
        stmt = stmt.where(AwardLog.assigned_at < f.assigned_to)
    return stmt.order_by(AwardLog.assigned_at, AwardLog.id)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def credential_rows(
    sessions: sessionmaker[Session], base_url: str, organization_id: uuid.UUID, f: CredentialFilter
) -> Iterator[dict[str, Any]]:
    with sessions() as session:
        result = session.execute(
            _credentials_query(organization_id, f).execution_options(yield_per=BATCH)
        )
        for credential, external_id, wallet_claimed_at in result:
            yield {
                "id": str(credential.id),
                "public_id": credential.public_id,
                "url": f"{base_url}/credentials/{credential.public_id}",
                "status": credential.status.value,
                "template_id": str(credential.template_id),
                "template_version": credential.template_version,
                "learner_id": str(credential.learner_id),
                "learner_external_id": external_id,
                "recipient_email": credential.recipient_email,
                "recipient_first_name": credential.recipient_first_name,
                "recipient_last_name": credential.recipient_last_name,
                "issued_at": _iso(credential.emitted_at),
                "expires_at": _iso(credential.expires_at),
                "revoked_at": _iso(credential.revoked_at),
                "reason": credential.revoked_reason,
                "imported": credential.imported,
                "legacy_id": credential.legacy_id,
                "fields": credential.fields or {},
                "wallet_claimed_at": _iso(wallet_claimed_at),
            }
            session.expunge(credential)  # constant memory: nothing accumulates in the identity map


def award_log_rows(
    sessions: sessionmaker[Session], organization_id: uuid.UUID, f: AwardLogFilter
) -> Iterator[dict[str, Any]]:
    with sessions() as session:
        result = session.execute(
            _award_logs_query(organization_id, f).execution_options(yield_per=BATCH)
        )
        for log, external_id in result:
            yield {
                "id": str(log.id),
                "award_id": str(log.award_id),
                "learner_id": str(log.learner_id),
                "learner_external_id": external_id,
                "template_id": str(log.template_id),
                "template_version": log.template_version,
                "rule_id": str(log.rule_id) if log.rule_id else None,
                "event_id": str(log.event_id) if log.event_id else None,
                "source_entity_type": log.source_entity_type,
                "source_entity_id": log.source_entity_id,
                "backfill_id": str(log.backfill_id) if log.backfill_id else None,
                "assigned_at": _iso(log.assigned_at),
            }
            session.expunge(log)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return neutralise(str(value))


def encode(rows: Iterator[dict[str, Any]], columns: Sequence[str], fmt: Format) -> Iterator[bytes]:
    """CSV (UTF-8 with a BOM so spreadsheets read accents, formulas neutralised) or JSON Lines,
    in chunks of about 64 KB."""
    buffer = io.StringIO()
    if fmt == "csv":
        writer = csv.writer(buffer, lineterminator="\r\n")
        buffer.write("\ufeff")
        writer.writerow(columns)
    for row in rows:
        if fmt == "csv":
            writer.writerow([_cell(row[c]) for c in columns])
        else:
            buffer.write(json.dumps(row, ensure_ascii=False) + "\n")
        if buffer.tell() > 65_536:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")

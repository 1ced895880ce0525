"""GET /api/v1/exports/credentials and /award-logs: CSV or JSON Lines, streamed."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime

from plaudit.api import API_PREFIX
from plaudit.api.deps import ReadPrincipal, RuntimeDep
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.db import utcnow
from plaudit.exports import service as exports
from plaudit.models.award import CredentialStatus

router = APIRouter(prefix=f"{API_PREFIX}/exports", tags=["exports"], route_class=UnitOfWorkRoute)

FormatQuery = Annotated[
    exports.Format, Query(description="csv (UTF-8, formulas neutralised) or jsonl (JSON Lines).")
]
_MEDIA = {"csv": "text/csv; charset=utf-8", "jsonl": "application/jsonl"}
_DOC: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}, "application/jsonl": {}}}
}


def _streamed(body: object, name: str, fmt: exports.Format) -> StreamingResponse:
    filename = f"{name}-{utcnow():%Y%m%d-%H%M%S}.{fmt}"
    return StreamingResponse(
        body,  # type: ignore[arg-type]
        media_type=_MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/credentials",
    summary="Credentials (oldest first), filtered, as CSV or JSON Lines",
    response_class=StreamingResponse,
    responses=_DOC,
)
def export_credentials(
    principal: ReadPrincipal,
    runtime: RuntimeDep,
    format: FormatQuery = "csv",
    status: CredentialStatus | None = None,
    template_id: uuid.UUID | None = None,
    learner_id: uuid.UUID | None = None,
    issued_from: Annotated[AwareDatetime | None, Query(description="Inclusive.")] = None,
    issued_to: Annotated[AwareDatetime | None, Query(description="Exclusive.")] = None,
) -> StreamingResponse:
    rows = exports.credential_rows(
        runtime.read_sessions,
        runtime.settings.public_base_url,
        principal.organization_id,
        exports.CredentialFilter(status, template_id, learner_id, issued_from, issued_to),
    )
    return _streamed(
        exports.encode(rows, exports.CREDENTIAL_COLUMNS, format), "credentials", format
    )


@router.get(
    "/award-logs",
    summary="Award log entries (every time a badge was assigned), as CSV or JSON Lines",
    response_class=StreamingResponse,
    responses=_DOC,
)
def export_award_logs(
    principal: ReadPrincipal,
    runtime: RuntimeDep,
    format: FormatQuery = "csv",
    template_id: uuid.UUID | None = None,
    rule_id: uuid.UUID | None = None,
    learner_id: uuid.UUID | None = None,
    assigned_from: Annotated[AwareDatetime | None, Query(description="Inclusive.")] = None,
    assigned_to: Annotated[AwareDatetime | None, Query(description="Exclusive.")] = None,
) -> StreamingResponse:
    rows = exports.award_log_rows(
        runtime.read_sessions,
        principal.organization_id,
        exports.AwardLogFilter(template_id, rule_id, learner_id, assigned_from, assigned_to),
    )
    return _streamed(exports.encode(rows, exports.AWARD_LOG_COLUMNS, format), "award-logs", format)

"""HTTP routes of bulk issuance: preview a CSV, start its apply job, follow its progress."""

from __future__ import annotations

import uuid
from typing import Annotated, BinaryIO

from fastapi import APIRouter, Depends, File, Form, Response, UploadFile

from plaudit import jobs
from plaudit.api import API_PREFIX
from plaudit.api.deps import IssuePrincipal, ReadPrincipal, RuntimeDep, SessionDep
from plaudit.api.idempotency import Idempotent
from plaudit.api.pagination import Page, PageParams, page_params, paginate
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.apikeys import service as apikeys
from plaudit.bulk import service as bulk
from plaudit.bulk import tasks as bulk_tasks
from plaudit.bulk.schemas import BulkIssuanceOut, BulkPreviewOut
from plaudit.models.bulk import BulkIssuance

router = APIRouter(
    prefix=f"{API_PREFIX}/bulk-issuances", tags=["bulk issuance"], route_class=UnitOfWorkRoute
)

CsvFile = Annotated[
    UploadFile,
    File(
        description="UTF-8 CSV with a header: email, first_name, last_name, template (id or "
        "name), issue_date, expiry_date, evidence_url, narrative, then the certificate's "
        "fields by name. Larger than PLAUDIT_MAX_UPLOAD_BYTES is refused."
    ),
]


def _stream(file: UploadFile) -> BinaryIO:
    # Starlette spools an upload to a temporary file past 1 MB: read from there in a stream.
    return file.file


@router.post(
    "/preview",
    response_model=BulkPreviewOut,
    dependencies=[Idempotent],
    summary="Check every row of a CSV and report what applying it would issue (writes nothing)",
)
def preview(file: CsvFile, session: SessionDep, principal: IssuePrincipal) -> BulkPreviewOut:
    return bulk.preview(session, organization_id=principal.organization_id, stream=_stream(file))


@router.post(
    "",
    response_model=BulkIssuanceOut,
    status_code=202,
    dependencies=[Idempotent],
    summary="Issue a CSV's rows (a job; poll its progress). The same file again returns its job",
    responses={
        200: {
            "model": BulkIssuanceOut,
            "description": "This file was sent before: its job, unchanged.",
        }
    },
)
def start(
    file: CsvFile,
    session: SessionDep,
    principal: IssuePrincipal,
    runtime: RuntimeDep,
    response: Response,
    notify: Annotated[
        bool, Form(description="Email the learners and tell the webhooks of each credential.")
    ] = True,
    skip_invalid: Annotated[
        bool, Form(description="Issue the valid rows of a file that has invalid ones.")
    ] = False,
    late_rows: Annotated[
        bulk.LateChoice,
        Form(
            description="What to do with the rows whose credential would arrive expired, or "
            "within the template's reminder window (the preview lists them): issue them as "
            "dated, skip them, or issue them dated today (when the template's expiry is a "
            "duration and the row gives no expiry_date)."
        ),
    ] = bulk.LateChoice.ISSUE,
) -> BulkIssuance:
    key = apikeys.get(
        session, organization_id=principal.organization_id, key_id=principal.api_key_id
    )
    job, run = bulk.start(
        session,
        runtime.files,
        organization_id=principal.organization_id,
        stream=_stream(file),
        filename=file.filename,
        notify=notify,
        skip_invalid=skip_invalid,
        uploaded_by=f"API key '{key.name}'",
        choices=bulk.Choices(default=late_rows),
    )
    if run:
        jobs.enqueue(session, bulk_tasks.apply_bulk, str(job.id))
    else:
        response.status_code = 200
    return job


@router.get("", response_model=Page[BulkIssuanceOut], summary="List bulk issuances")
def list_bulk(
    session: SessionDep,
    principal: ReadPrincipal,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[BulkIssuanceOut]:
    rows, cursor = paginate(
        session,
        bulk.query(organization_id=principal.organization_id),
        id_column=BulkIssuance.id,
        params=page,
    )
    return Page[BulkIssuanceOut](
        items=[BulkIssuanceOut.model_validate(r) for r in rows], next_cursor=cursor
    )


@router.get("/{bulk_id}", response_model=BulkIssuanceOut, summary="Progress of a bulk issuance")
def read(bulk_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal) -> BulkIssuance:
    return bulk.get(session, organization_id=principal.organization_id, bulk_id=bulk_id)

"""Dashboard: bulk issuance — upload a CSV, see its preview with every error by line and
column, issue its rows, follow the job's progress, and the history of uploads.

An uploaded file is kept (by its SHA-256) so that its preview has an address of its own and
"Issue" needs no second upload; applying it goes through the API's ``start``, with the same
checks, and the job keeps its own copy as it does for the API.
"""

from __future__ import annotations

import math
import re
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import FormData

from plaudit import jobs
from plaudit.admin.forms import FormErrors, text, upload
from plaudit.admin.web import (
    ADMIN,
    SECURITY_HEADERS,
    Admin,
    Editor,
    FormDep,
    Paged,
    Viewer,
    page_number,
    paged,
    parse_uuid,
    redirect,
    render,
    window,
)
from plaudit.api.deps import RuntimeDep, SessionDep
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.bulk import queries as bulk_queries
from plaudit.bulk import service as bulk
from plaudit.bulk import tasks as bulk_tasks
from plaudit.bulk.schemas import BulkIssuanceOut, BulkPreviewOut
from plaudit.db import after_commit, utcnow
from plaudit.errors import InvalidInput, NotFound, not_found
from plaudit.models.bulk import BulkIssuance, BulkStatus
from plaudit.runtime import Runtime
from plaudit.templates import queries as template_queries

router = APIRouter(prefix=ADMIN, include_in_schema=False, route_class=UnitOfWorkRoute)

BULK = f"{ADMIN}/bulk"
ERRORS_PER_PAGE = 100
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
GONE = (
    "This upload is no longer kept (it was issued, a week went by, or the link is wrong): "
    "upload the file again."
)


def _home(
    request: Request,
    admin: Admin,
    session: SessionDep,
    *,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    history = paged(
        request,
        bulk_queries.history(
            session, organization_id=admin.organization_id, window=window(request)
        ),
    )
    published = template_queries.published_count(session, organization_id=admin.organization_id)
    return render(
        request,
        admin,
        "admin/bulk_home.html",
        {"history": history, "published": published or 0, "errors": errors or FormErrors()},
        status=status,
        section="bulk",
    )


@router.get("/bulk")
def bulk_home(request: Request, admin: Viewer, session: SessionDep) -> Response:
    return _home(request, admin, session)


@router.get("/bulk/example.csv")
def example_csv(admin: Viewer, session: SessionDep) -> Response:
    body = bulk.example(session, organization_id=admin.organization_id, today=utcnow().date())
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            **SECURITY_HEADERS,
            "Content-Disposition": 'attachment; filename="plaudit-bulk-example.csv"',
        },
    )


@router.post("/bulk")
def upload_file(
    request: Request, admin: Editor, session: SessionDep, runtime: RuntimeDep, form: FormDep
) -> Response:
    file = upload(form, "file")
    if file is None:
        errors = FormErrors()
        errors.add("file", "Choose a CSV file to upload.")
        return _home(request, admin, session, errors=errors, status=422)
    sha256 = bulk.stage(runtime.files, organization_id=admin.organization_id, stream=file.file)
    query = urlencode({"name": (file.filename or "")[:255]})
    return redirect(f"{BULK}/preview/{sha256}?{query}")


LATE_CHOICES = (
    (bulk.LateChoice.ISSUE, "Issue as dated"),
    (bulk.LateChoice.TODAY, "Issue dated today"),
    (bulk.LateChoice.SKIP, "Skip"),
)
_LATE_FIELD = re.compile(r"^late-(\d{1,9})$")


def _choices(form: FormData, errors: FormErrors) -> bulk.Choices:
    """The preview's choices for the rows flagged late: ``late-<line>`` per row, and
    ``late_default`` for the rows beyond those listed."""
    allowed = {c.value for c in bulk.LateChoice}
    lines: dict[int, bulk.LateChoice] = {}
    for name, value in form.multi_items():
        match = _LATE_FIELD.match(name)
        if match is None:
            continue
        if value not in allowed:
            errors.add("", f"Line {match[1]}: choose to issue the row, skip it or date it today.")
            continue
        lines[int(match[1])] = bulk.LateChoice(str(value))
    default = text(form, "late_default") or bulk.LateChoice.ISSUE.value
    if default not in allowed:
        errors.add("", "Choose what to do with the other flagged rows: issue, skip or date today.")
        default = bulk.LateChoice.ISSUE.value
    return bulk.Choices(bulk.LateChoice(default), lines)


def _sha256_or_404(value: str) -> str:
    if not _SHA256.match(value):
        raise NotFound(GONE)
    return value


def _preview(
    request: Request,
    admin: Admin,
    session: SessionDep,
    runtime: Runtime,
    *,
    sha256: str,
    name: str,
    errors: FormErrors | None = None,
    kept: dict[str, bool] | None = None,
    choices: bulk.Choices | None = None,
    status: int = 200,
) -> Response:
    sha256 = _sha256_or_404(sha256)
    earlier = bulk.find(session, organization_id=admin.organization_id, sha256=sha256)
    stream = bulk.open_staged(runtime.files, organization_id=admin.organization_id, sha256=sha256)
    if stream is None:
        if earlier is not None:
            return redirect(f"{BULK}/{earlier.id}")
        raise NotFound(GONE)
    with stream:
        report = bulk.preview(session, organization_id=admin.organization_id, stream=stream)
    choices = choices or bulk.Choices()
    # What "Issue" would issue with the choices as they stand (the script recounts as they
    # change); rows beyond those listed follow the default choice.
    declined = sum(choices.of(r.line) is bulk.LateChoice.SKIP for r in report.late)
    if choices.default is bulk.LateChoice.SKIP:
        declined += report.expired_count + report.expiring_count - len(report.late)
    return render(
        request,
        admin,
        "admin/bulk_preview.html",
        {
            "report": report,
            "errors_page": _errors_page(request, report),
            "sha256": sha256,
            "name": name.strip()[:255],
            "earlier": earlier,
            "errors": errors or FormErrors(),
            "kept": kept or {"notify": True, "skip_invalid": False},
            "choices": choices,
            "late_choices": LATE_CHOICES,
            "would_issue": report.to_issue - declined,
        },
        status=status,
        section="bulk",
    )


def _errors_page(request: Request, report: BulkPreviewOut) -> Paged:
    total = len(report.errors)
    pages = max(1, math.ceil(total / ERRORS_PER_PAGE))
    page = min(page_number(request), pages)
    start = (page - 1) * ERRORS_PER_PAGE
    return Paged(
        items=report.errors[start : start + ERRORS_PER_PAGE],
        page=page,
        pages=pages,
        total=total,
        base_query={k: v for k, v in request.query_params.items() if k != "page"},
    )


@router.get("/bulk/preview/{sha256}")
def preview_page(
    sha256: str,
    request: Request,
    admin: Viewer,
    session: SessionDep,
    runtime: RuntimeDep,
    name: str = "",
) -> Response:
    return _preview(request, admin, session, runtime, sha256=sha256, name=name)


@router.post("/bulk/preview/{sha256}/apply")
def apply_file(
    sha256: str,
    request: Request,
    admin: Editor,
    session: SessionDep,
    runtime: RuntimeDep,
    form: FormDep,
) -> Response:
    sha256 = _sha256_or_404(sha256)
    organization_id = admin.organization_id
    name = text(form, "filename")[:255]
    notify, skip_invalid = bool(form.get("notify")), bool(form.get("skip_invalid"))
    refused = FormErrors()
    choices = _choices(form, refused)
    if refused:
        return _preview(
            request,
            admin,
            session,
            runtime,
            sha256=sha256,
            name=name,
            errors=refused,
            kept={"notify": notify, "skip_invalid": skip_invalid},
            status=422,
        )
    stream = bulk.open_staged(runtime.files, organization_id=organization_id, sha256=sha256)
    if stream is None:
        earlier = bulk.find(session, organization_id=organization_id, sha256=sha256)
        if earlier is not None:
            return redirect(f"{BULK}/{earlier.id}")
        raise NotFound(GONE)
    try:
        with stream:
            job, run = bulk.start(
                session,
                runtime.files,
                organization_id=organization_id,
                stream=stream,
                filename=name or None,
                notify=notify,
                skip_invalid=skip_invalid,
                uploaded_by=admin.user.email,
                choices=choices,
            )
    except InvalidInput as exc:
        report = exc.extra.get("report") or {}
        errors = FormErrors()
        if report.get("valid"):
            errors.add(
                "skip_invalid",
                f"The file has {report.get('invalid')} invalid row(s): correct them and upload "
                "the file again, or tick this box to issue the valid rows only.",
            )
        errors.add("", "Nothing was issued. " + (errors.get("skip_invalid") or exc.detail))
        return _preview(
            request,
            admin,
            session,
            runtime,
            sha256=sha256,
            name=name,
            errors=errors,
            kept={"notify": notify, "skip_invalid": skip_invalid},
            choices=choices,
            status=422,
        )
    key = bulk.staged_key(organization_id=organization_id, sha256=sha256)
    after_commit(session, lambda: runtime.files.delete(key))
    if not run:
        return redirect(
            f"{BULK}/{job.id}",
            flash="This file was uploaded before: this is its progress. Nothing new was issued.",
            kind="warn",
        )
    jobs.enqueue(session, bulk_tasks.apply_bulk, str(job.id))
    return redirect(
        f"{BULK}/{job.id}",
        flash=f"Issuing the rows of {job.filename or 'the file'}: this page follows the progress.",
    )


def _job(session: SessionDep, admin: Admin, bulk_id: str) -> BulkIssuance:
    ident = parse_uuid(bulk_id)
    if ident is None:
        raise not_found("bulk issuance", bulk_id)
    return bulk.get(session, organization_id=admin.organization_id, bulk_id=ident)


@router.get("/bulk/{bulk_id}")
def progress_page(bulk_id: str, request: Request, admin: Viewer, session: SessionDep) -> Response:
    job = _job(session, admin, bulk_id)
    return render(
        request,
        admin,
        "admin/bulk_progress.html",
        {"job": BulkIssuanceOut.model_validate(job), "uploaded_by": job.uploaded_by},
        section="bulk",
    )


@router.get("/bulk/{bulk_id}/progress")
def progress_json(bulk_id: str, admin: Viewer, session: SessionDep) -> JSONResponse:
    """What the progress page's script polls while the job runs."""
    job = BulkIssuanceOut.model_validate(_job(session, admin, bulk_id))
    return JSONResponse(
        {
            "status": job.status.value,
            "done": job.status in (BulkStatus.COMPLETED, BulkStatus.FAILED),
            "total_rows": job.total_rows,
            "processed_rows": job.processed_rows,
            "progress": job.progress,
            "issued": job.issued,
            "skipped": job.skipped,
            "failed": job.failed,
        },
        headers={"Cache-Control": "no-store"},
    )


@router.get("/bulk/{bulk_id}/credentials")
def issued_credentials(
    bulk_id: str, request: Request, admin: Viewer, session: SessionDep
) -> Response:
    job = _job(session, admin, bulk_id)
    issued = paged(request, bulk_queries.issued(session, job, window=window(request)))
    return render(
        request,
        admin,
        "admin/bulk_credentials.html",
        {"job": job, "paged": issued},
        section="bulk",
    )

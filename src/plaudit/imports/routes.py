"""POST /api/v1/imports: credentials issued elsewhere, as uploaded files or as JSON."""

from __future__ import annotations

import json
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from plaudit import safejson
from plaudit.api import API_PREFIX
from plaudit.api.deps import IssuePrincipal, RuntimeDep, SessionDep
from plaudit.api.idempotency import Idempotent
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.errors import InvalidInput, UnsupportedMediaType
from plaudit.imports import parse
from plaudit.imports import service as imports
from plaudit.imports.schemas import (
    ImportIn,
    ImportItemOut,
    ImportOptions,
    ImportOut,
    TemplateCreatedOut,
)
from plaudit.models.organization import Organization

router = APIRouter(prefix=f"{API_PREFIX}/imports", tags=["imports"], route_class=UnitOfWorkRoute)

MAX_FILE: Final = 5 * 1024 * 1024
MAX_FILES: Final = 50

_OPENAPI: Final[dict[str, Any]] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": ImportIn.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": f"Up to {MAX_FILES} files of up to "
                            f"{MAX_FILE // 1_048_576} MB: CSV, JSON (one document or an "
                            "array), VC-JWT / JWS, baked PNG or SVG.",
                        },
                        **ImportOptions.model_json_schema()["properties"],
                    },
                }
            },
        },
    }
}


def _invalid(exc: ValidationError) -> RequestValidationError:
    """Rendered like any other invalid request body (problem+json with each field)."""
    errors = exc.errors(include_url=False)
    return RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors])


def _options(values: dict[str, Any]) -> ImportOptions:
    try:
        return ImportOptions.model_validate(values)
    except ValidationError as exc:
        raise _invalid(exc) from None


async def _from_form(request: Request) -> tuple[ImportOptions, list[parse.Reading]]:
    form = await request.form(max_files=MAX_FILES, max_fields=10)
    files = [v for v in form.getlist("file") if isinstance(v, UploadFile)]
    fields = {k: v for k, v in form.items() if isinstance(v, str) and k != "file"}
    options = _options({k: v for k, v in fields.items() if v != ""})
    if not files:
        raise InvalidInput(
            "Upload at least one file in the multipart field 'file'.",
            extra={"errors": [{"field": "file", "reason": "is required"}]},
        )
    readings = []
    for upload in files:
        name = (upload.filename or "upload")[:200]
        data = await upload.read(MAX_FILE + 1)
        if len(data) > MAX_FILE:
            problem = parse.Problem(name, f"the file is larger than {MAX_FILE // 1_048_576} MB")
            readings.append(parse.Reading([problem]))
            continue
        readings.append(
            await run_in_threadpool(
                parse.read_file, data, name=name, content_type=upload.content_type
            )
        )
    return options, readings


async def _from_json(request: Request) -> tuple[ImportOptions, list[parse.Reading]]:
    try:
        # Parsed as FastAPI parses bodies, so that the documents are checked one by one.
        body = ImportIn.model_validate(safejson.parse(await request.body()))
    except json.JSONDecodeError as exc:
        raise RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ("body", exc.pos),
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": exc.msg},
                }
            ]
        ) from None
    except ValidationError as exc:
        raise _invalid(exc) from None

    def read() -> list[parse.Reading]:
        readings = [parse.read_csv(body.csv, where="csv")] if body.csv is not None else []
        documents = [
            parse.read_document(document, where=f"credentials[{index}]")
            for index, document in enumerate(body.credentials)
        ]
        return [*readings, parse.Reading(documents)] if documents else readings

    options = ImportOptions(
        template_id=body.template_id, recipient_email=body.recipient_email, source=body.source
    )
    return options, await run_in_threadpool(read)


@router.post(
    "",
    response_model=ImportOut,
    dependencies=[Idempotent],
    summary="Import credentials issued elsewhere (CSV, Open Badges 2.0 / 3.0, baked images)",
    openapi_extra=_OPENAPI,
)
async def create_import(
    request: Request, session: SessionDep, principal: IssuePrincipal, runtime: RuntimeDep
) -> ImportOut:
    """Each item is reported: imported, duplicate (already imported) or invalid, with why.

    Send multipart files (field `file`, repeatable) or JSON (`credentials`, `csv`).
    """
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "multipart/form-data":
        options, readings = await _from_form(request)
    elif media_type == "application/json":
        options, readings = await _from_json(request)
    else:
        raise UnsupportedMediaType(
            "Send the files as multipart/form-data (field 'file') or the documents as "
            "application/json."
        )

    def run() -> ImportOut:
        organization = session.get(Organization, principal.organization_id)
        assert organization is not None
        result = imports.run(
            session,
            organization=organization,
            entries=[entry for reading in readings for entry in reading.entries],
            options=imports.Options(
                template_id=options.template_id,
                recipient_email=str(options.recipient_email) if options.recipient_email else None,
                source=options.source,
            ),
            base_url=runtime.settings.public_base_url,
        )
        items = [ImportItemOut.model_validate(outcome) for outcome in result.outcomes]
        return ImportOut(
            imported=sum(item.status == "imported" for item in items),
            duplicates=sum(item.status == "duplicate" for item in items),
            invalid=sum(item.status == "invalid" for item in items),
            items=items,
            templates_created=[
                TemplateCreatedOut(id=t.id, name=t.name) for t in result.templates_created
            ],
            warnings=[w for reading in readings for w in reading.warnings],
        )

    return await run_in_threadpool(run)

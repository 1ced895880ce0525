"""Serve stored images publicly: credentials and their pages link to them."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from plaudit.api.deps import RuntimeDep, SessionDep
from plaudit.api.openapi import media
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.catalog import service as catalog
from plaudit.images import service as images
from plaudit.images.processing import Variant

router = APIRouter(prefix="/files", tags=["files"], route_class=UnitOfWorkRoute)

# An image id names immutable content: caches may keep it for a year.
_IMMUTABLE = "public, max-age=31536000, immutable"
# SVGs are sanitised on upload; this stops a browser from running anything left anyway.
_SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


def _respond(request: Request, content: bytes, media_type: str, etag: str) -> Response:
    headers = {
        "Cache-Control": _IMMUTABLE,
        "ETag": f'"{etag}"',
        "X-Content-Type-Options": "nosniff",
    }
    if media_type == "image/svg+xml":
        headers["Content-Security-Policy"] = _SVG_POLICY
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    return Response(content=content, media_type=media_type, headers=headers)


@router.get(
    "/images/{image_id}/{variant}",
    response_class=Response,
    responses={
        200: media("The image", "image/png", "image/jpeg", "image/webp", "image/svg+xml"),
        304: {"description": "Not modified (If-None-Match)"},
    },
    summary="An image (original or a PNG size)",
)
def image(
    image_id: uuid.UUID,
    variant: Variant,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    stored, content = images.read(session, runtime.files, image_id=image_id, variant=variant)
    media_type = stored.content_type if variant is Variant.ORIGINAL else "image/png"
    return _respond(request, content, media_type, f"{stored.sha256[:16]}-{variant.value}")


@router.get(
    "/catalog/{key}.svg",
    response_class=Response,
    responses={
        200: media("The artwork", "image/svg+xml"),
        304: {"description": "Not modified (If-None-Match)"},
    },
    summary="Artwork of a catalog entry",
)
def catalog_artwork(key: str, request: Request) -> Response:
    entry = catalog.find(key)
    return _respond(
        request, catalog.artwork(entry).encode(), "image/svg+xml", f"{entry.key}-v{entry.version}"
    )

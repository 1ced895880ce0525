"""Store processed images: a row per image, its files in the file store."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaudit.db import new_id, on_rollback
from plaudit.errors import NotFound
from plaudit.images.processing import Variant, process_image
from plaudit.models.image import Image
from plaudit.storage import FileStore

_EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/svg+xml": "svg",
}


def file_key(image: Image, variant: Variant) -> str:
    folder = f"images/{image.organization_id}/{image.id}"
    if variant is Variant.ORIGINAL:
        return f"{folder}/original.{_EXTENSIONS[image.content_type]}"
    return f"{folder}/{variant.value}.png"


def store(
    session: Session,
    files: FileStore,
    *,
    organization_id: uuid.UUID,
    data: bytes,
    declared_type: str | None = None,
    filename: str | None = None,
) -> Image:
    """Validate, derive the PNG sizes and store everything. A refused file stores nothing."""
    processed = process_image(data, declared_type=declared_type, filename=filename)
    image = Image(
        id=new_id(),
        organization_id=organization_id,
        content_type=processed.content_type,
        width=processed.width,
        height=processed.height,
        sha256=processed.sha256,
        byte_size=len(processed.original),
    )
    written: list[str] = []

    def remove_written() -> None:
        for key in written:
            files.delete(key)

    # Files are written before the commit; if the transaction fails they are removed again.
    on_rollback(session, remove_written)
    for variant, content in ((Variant.ORIGINAL, processed.original), *processed.variants.items()):
        key = file_key(image, variant)
        files.put(key, content)
        written.append(key)
    session.add(image)
    session.flush()
    return image


def read(
    session: Session, files: FileStore, *, image_id: uuid.UUID, variant: Variant
) -> tuple[Image, bytes]:
    image = session.scalar(select(Image).where(Image.id == image_id))
    content = files.get(file_key(image, variant)) if image is not None else None
    if image is None or content is None:
        raise NotFound(f"No image '{image_id}' ({variant.value}) exists.")
    return image, content


def urls(base_url: str, image_id: uuid.UUID | None) -> dict[str, str] | None:
    if image_id is None:
        return None
    return {v.value: f"{base_url}/files/images/{image_id}/{v.value}" for v in Variant}

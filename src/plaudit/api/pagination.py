"""Cursor pagination: ids are UUIDv7 (time-ordered), so the last id seen is the cursor."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from plaudit.errors import InvalidInput

T = TypeVar("T")
Row = TypeVar("Row")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


class PageParams(BaseModel):
    limit: int
    cursor: str | None


async def page_params(
    limit: Annotated[int, Query(ge=1, le=200, description="Items per page.")] = 50,
    cursor: Annotated[
        str | None, Query(max_length=64, description="`next_cursor` of the previous page.")
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


PageDep = Annotated[PageParams, Depends(page_params)]


def encode_cursor(ident: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(ident.bytes).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> uuid.UUID:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return uuid.UUID(bytes=raw)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput(
            "The 'cursor' is not one this API gave out; pass the 'next_cursor' of a previous page.",
            extra={
                "errors": [{"field": "cursor", "reason": "is not a valid cursor", "in": "query"}]
            },
        ) from exc


def paginate(
    session: Session,
    stmt: Select[Row],
    *,
    id_column: InstrumentedAttribute[Any],
    params: PageParams,
) -> tuple[list[Row], str | None]:
    """Newest first. Returns the page's rows and the cursor of the next page, if any."""
    if params.cursor:
        stmt = stmt.where(id_column < decode_cursor(params.cursor))
    rows = list(session.scalars(stmt.order_by(id_column.desc()).limit(params.limit + 1)))
    if len(rows) <= params.limit:
        return rows, None
    rows = rows[: params.limit]
    return rows, encode_cursor(getattr(rows[-1], id_column.key))

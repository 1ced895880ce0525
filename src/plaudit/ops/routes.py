"""/healthz, /readyz and /metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from plaudit import migrate
from plaudit.api.deps import RuntimeDep
from plaudit.errors import ServiceUnavailable

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The database is reachable and its schema is current")
async def readyz(runtime: RuntimeDep) -> dict[str, str]:
    def probe() -> tuple[str | None, str | None]:
        with runtime.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return migrate.current(runtime.engine), migrate.head()

    try:
        current, head = await run_in_threadpool(probe)
    except SQLAlchemyError as exc:
        raise ServiceUnavailable(f"The database is not reachable: {type(exc).__name__}.") from exc
    if current != head:
        raise ServiceUnavailable(
            f"The database schema is at revision {current}, the code needs {head}: "
            "run 'plaudit db upgrade'."
        )
    return {"status": "ready", "schema": head or ""}


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

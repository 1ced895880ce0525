"""The route class behind every API route: one unit of work per request."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from sqlalchemy.exc import IntegrityError

from plaudit.api import idempotency
from plaudit.errors import Conflict
from plaudit.runtime import Runtime

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _replay(record: Any) -> Response:
    return Response(
        content=record.response_body,
        status_code=record.status_code,
        media_type=record.content_type,
        headers={"Idempotent-Replayed": "true"},
    )


class UnitOfWorkRoute(APIRoute):
    """Opens a session before the route runs, commits before the response leaves (so a client
    never sees success for data that is not durable), rolls back on any error, and runs the
    after-commit hooks (jobs) only once the commit succeeded."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            runtime: Runtime = request.app.state.runtime
            read_only = request.method in _READ_METHODS
            factory = runtime.read_sessions if read_only else runtime.sessions
            session = factory()
            request.state.session = session
            try:
                try:
                    response = await handler(request)
                except idempotency.Replay as replay:
                    await run_in_threadpool(session.rollback)
                    return _replay(replay.record)
                if response.status_code >= 400:
                    await run_in_threadpool(session.rollback)
                    return response
                pending = getattr(request.state, "idempotency", None)
                try:
                    if pending is not None:
                        await run_in_threadpool(
                            idempotency.record,
                            session,
                            pending,
                            status_code=response.status_code,
                            content_type=response.headers.get("content-type"),
                            body=bytes(getattr(response, "body", b"")),
                        )
                    await run_in_threadpool(session.commit)
                except IntegrityError:
                    await run_in_threadpool(session.rollback)
                    if pending is None:
                        # Services check what they can; a race lost to a concurrent writer
                        # ends here and is the caller's to retry, not a server fault.
                        raise Conflict(
                            "This change conflicts with one made at the same moment; retry it."
                        ) from None
                    # A concurrent request with the same key committed first: answer as it did.
                    stored = await run_in_threadpool(
                        idempotency.find,
                        session,
                        organization_id=pending.organization_id,
                        key=pending.key,
                    )
                    if stored is None:
                        raise
                    await run_in_threadpool(session.rollback)
                    return _replay(stored)
                return response
            except BaseException:
                await run_in_threadpool(session.rollback)
                raise
            finally:
                await run_in_threadpool(session.close)

        return handle

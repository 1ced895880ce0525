"""The route class behind every API route: one unit of work per request."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from plaudit.api import idempotency
from plaudit.api.deps import record_key_use
from plaudit.errors import Conflict, PlauditError
from plaudit.runtime import Runtime

log = logging.getLogger(__name__)

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _replay(stored: idempotency.StoredResponse) -> Response:
    return Response(
        content=stored.body,
        status_code=stored.status_code,
        media_type=stored.content_type,
        headers={"Idempotent-Replayed": "true"},
    )


def _commit(session: Session, pending: idempotency.PendingKey | None, response: Response) -> None:
    if pending is not None:
        idempotency.record(
            session,
            pending,
            status_code=response.status_code,
            content_type=response.headers.get("content-type"),
            body=bytes(getattr(response, "body", b"")),
        )
    session.commit()
    session.close()


def _end(session: Session) -> None:
    """Roll back whatever is open and give the connection back (safe to call twice)."""
    session.rollback()
    session.close()


def _raced(session: Session, pending: idempotency.PendingKey | None) -> Response | None:
    """After a failure: if a concurrent request with the same Idempotency-Key and body has
    committed meanwhile, this failure is an artefact of the race; answer as that request did."""
    session.rollback()
    if pending is None:
        _end(session)
        return None
    stored = idempotency.find(session, organization_id=pending.organization_id, key=pending.key)
    _end(session)
    if stored is not None and stored.request_hash == pending.request_hash:
        return _replay(stored)
    return None


def _record_key_use(runtime: Runtime, key_id: uuid.UUID) -> None:
    try:
        record_key_use(runtime, key_id)
    except SQLAlchemyError:  # bookkeeping; the request's own outcome stands
        log.warning("could not record the use of API key %s", key_id, exc_info=True)


class UnitOfWorkRoute(APIRoute):
    """Opens a session before the route runs, commits before the response leaves (so a client
    never sees success for data that is not durable), rolls back on any error, and runs the
    after-commit hooks (jobs) only once the commit succeeded."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            runtime: Runtime = request.app.state.runtime
            read_only = request.method in _READ_METHODS
            session = (runtime.read_sessions if read_only else runtime.sessions)()
            request.state.session = session
            try:
                try:
                    response = await handler(request)
                    if read_only:
                        # Ending a read transaction is a rollback of nothing: done here rather
                        # than in a worker thread, so a finished request never waits for a free
                        # thread to give its connection back (under a burst, every thread can
                        # be waiting for that very connection).
                        _end(session)
                        return response
                    if response.status_code >= 400:
                        await run_in_threadpool(_end, session)
                        return response
                    pending = getattr(request.state, "idempotency", None)
                    await run_in_threadpool(_commit, session, pending, response)
                    return response
                except idempotency.Replay as replay:
                    await run_in_threadpool(_end, session)
                    return _replay(replay.stored)
                except (IntegrityError, PlauditError) as exc:
                    pending = getattr(request.state, "idempotency", None)
                    replayed = await run_in_threadpool(_raced, session, pending)
                    if replayed is not None:
                        return replayed
                    if isinstance(exc, IntegrityError):
                        # Services check what they can; a race lost to a concurrent writer
                        # is the caller's to retry, not a server fault.
                        raise Conflict(
                            "This change conflicts with one made at the same moment; retry it."
                        ) from None
                    raise
            except BaseException:
                await run_in_threadpool(_end, session)
                raise
            finally:
                used_key = getattr(request.state, "used_api_key", None)
                if used_key is not None:
                    await run_in_threadpool(_record_key_use, runtime, used_key)

        return handle

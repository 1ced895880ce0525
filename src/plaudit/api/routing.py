"""The route class behind every API route: one unit of work per request, run again when it
loses a race to a concurrent one."""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from plaudit.api import API_PREFIX, idempotency
from plaudit.api.deps import record_key_use
from plaudit.db import lost_race
from plaudit.errors import Busy, InvalidInput, PlauditError
from plaudit.runtime import Runtime

log = logging.getLogger(__name__)

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# A write that loses a race (plaudit.db.lost_race) is run again, whole, in a new transaction
# that sees what the winner committed: the client never has to. Each lock wait is bounded
# (plaudit.db.REQUEST_LOCK_TIMEOUT_MS), so is the number of attempts, and no attempt starts
# after RETRY_DEADLINE; past that the client is told to come back (503 busy, Retry-After).
ATTEMPTS = 3
RETRY_DEADLINE = 6.0  # seconds since the request started
BACKOFF = (0.02, 0.1)  # seconds, times the attempt number, drawn at random (jitter)
RETRY_AFTER = 2  # seconds, the 503's Retry-After


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
    """After a refusal: if a concurrent request with the same Idempotency-Key and body has
    committed meanwhile, the refusal is an artefact of the race; answer as that request did."""
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


async def _rewind(request: Request) -> None:
    """Make the request readable again for the next attempt. Its body is kept by Starlette once
    read, and so is a parsed form, but the form's files were read to their end."""
    form = getattr(request, "_form", None)  # Starlette's cache of request.form()
    if form is not None:
        for _, value in form.multi_items():
            if isinstance(value, UploadFile):
                await value.seek(0)
    request.state.idempotency = None


async def _busy(request: Request, exc: Exception) -> Response:
    """503 with Retry-After, rendered as every error is (problem+json, or a dashboard page)."""
    busy = Busy(
        "Concurrent changes to the same data kept this request from completing; nothing was "
        f"written. Send it again in {RETRY_AFTER} seconds."
    )
    log.warning(
        "request %s %s gave up after losing races: %s", request.method, request.url.path, exc
    )
    render = request.app.exception_handlers[PlauditError]
    response: Response = await render(request, busy)
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


# Standard APIs under the prefix whose own specification says what their parameters are and
# how to refuse the others (xAPI: 400 Bad Request): Plaudit's rule is not imposed on them.
_OWN_PARAMETER_RULES = (f"{API_PREFIX}/xapi/",)


def accepted_query_parameters(route: APIRoute) -> frozenset[str] | None:
    """The query parameters a route of Plaudit's API declares, its dependencies' included (the
    page's `limit` and `cursor`); None for routes outside the API, which accept any."""
    if not route.path.startswith(API_PREFIX + "/") or route.path.startswith(_OWN_PARAMETER_RULES):
        return None
    return frozenset(_query_names(route.dependant))


def _query_names(dependant: Dependant) -> set[str]:
    names = {field.alias for field in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _query_names(dependency)
    return names


def refuse_unknown_query_parameters(request: Request, accepted: frozenset[str]) -> None:
    """A parameter the route does not know is a mistake (a typo, a filter this list lacks), not
    something to ignore: answering as if it were absent would return more than was asked."""
    unknown = sorted({name for name in request.query_params if name not in accepted})
    if not unknown:
        return
    listed = ", ".join(f"'{name}'" for name in unknown)
    takes = (
        "takes the query parameters " + ", ".join(f"'{n}'" for n in sorted(accepted))
        if accepted
        else "takes no query parameters"
    )
    raise InvalidInput(
        f"Unknown query parameter{'s' if len(unknown) > 1 else ''} {listed}: this endpoint "
        f"{takes}.",
        extra={
            "errors": [
                {"field": name, "reason": "is not a parameter of this endpoint", "in": "query"}
                for name in unknown
            ],
            "accepted_parameters": sorted(accepted),
        },
    )


class UnitOfWorkRoute(APIRoute):
    """Opens a session before the route runs, commits before the response leaves (so a client
    never sees success for data that is not durable), rolls back on any error, and runs the
    after-commit hooks (jobs) only once the commit succeeded. A write that loses a race is run
    again from the start in a new session; the hooks of the attempt rolled back never run.
    Under the API, a query parameter the route does not declare is refused (422) first."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        accepted = accepted_query_parameters(self)

        async def attempt(request: Request, runtime: Runtime, read_only: bool) -> Response:
            session = (runtime.read_sessions if read_only else runtime.request_sessions)()
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
                except PlauditError:
                    # A concurrent request with the same Idempotency-Key won, and a service saw
                    # its rows and refused: its answer is this one's too. (A lost race is run
                    # again instead, and the next attempt finds the stored answer, if any.)
                    pending = getattr(request.state, "idempotency", None)
                    replayed = await run_in_threadpool(_raced, session, pending)
                    if replayed is not None:
                        return replayed
                    raise
            except BaseException:
                await run_in_threadpool(_end, session)
                raise

        async def handle(request: Request) -> Response:
            if accepted is not None:
                refuse_unknown_query_parameters(request, accepted)
            runtime: Runtime = request.app.state.runtime
            read_only = request.method in _READ_METHODS
            started = time.monotonic()
            try:
                if not read_only:
                    # Kept by Starlette once read, the body can be read by every attempt, and
                    # by the Idempotency-Key's hash after a form was parsed from it (a stream
                    # is read once). Bodies are small: PLAUDIT_MAX_UPLOAD_BYTES at most.
                    await request.body()
                for number in range(1, ATTEMPTS + 1):
                    try:
                        return await attempt(request, runtime, read_only)
                    except SQLAlchemyError as exc:
                        if read_only or not lost_race(exc):
                            raise
                        pause = random.uniform(*BACKOFF) * number  # noqa: S311 (jitter)
                        late = time.monotonic() - started + pause > RETRY_DEADLINE
                        if number == ATTEMPTS or late:
                            return await _busy(request, exc)
                        log.info(
                            "%s %s lost a race (attempt %d); running it again",
                            request.method,
                            request.url.path,
                            number,
                        )
                        await _rewind(request)
                        await asyncio.sleep(pause)
                raise AssertionError("unreachable")
            finally:
                used_key = getattr(request.state, "used_api_key", None)
                if used_key is not None:
                    await run_in_threadpool(_record_key_use, runtime, used_key)

        return handle

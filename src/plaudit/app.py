"""create_app(): the FastAPI application with its routers, middleware and error handling."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.pool import QueuePool

from plaudit import __version__, jobs, ratelimit
from plaudit.admin import app as admin_app
from plaudit.api import docs, openapi, problems
from plaudit.api.middleware import RequestContextMiddleware
from plaudit.apikeys.routes import router as apikeys_router
from plaudit.bulk.routes import router as bulk_router
from plaudit.catalog.routes import router as catalog_router
from plaudit.certificates.routes import router as certificate_preview_router
from plaudit.claims.routes import router as claims_router
from plaudit.config import Settings, get_settings
from plaudit.connectors.routes import hooks_router
from plaudit.connectors.routes import router as connectors_router
from plaudit.credentials.routes import router as did_router
from plaudit.credentials.status_routes import router as credential_status_router
from plaudit.delivery.routes import router as deliveries_router
from plaudit.engagement.counter import EngagementCounter
from plaudit.events.routes import router as events_router
from plaudit.exports.routes import router as exports_router
from plaudit.files.routes import router as files_router
from plaudit.imports.routes import router as imports_router
from plaudit.ingest.routes import router as ingest_router
from plaudit.ingest.xapi_routes import router as xapi_router
from plaudit.keys.routes import jwks_router
from plaudit.keys.routes import router as keys_router
from plaudit.learners.routes import credentials_router
from plaudit.learners.routes import router as learners_router
from plaudit.lifecycle.routes import router as credential_lifecycle_router
from plaudit.notifications.routes import router as email_router
from plaudit.obapi.middleware import ImsxRefusals
from plaudit.obapi.routes import router as obapi_router
from plaudit.ops.routes import router as ops_router
from plaudit.organizations.routes import router as organizations_router
from plaudit.pages import cache as page_cache
from plaudit.pages.claims import router as claim_pages_router
from plaudit.pages.document import router as credential_id_router
from plaudit.pages.render import STATIC_DIR
from plaudit.pages.routes import router as pages_router
from plaudit.pages.unsubscribe import router as unsubscribe_router
from plaudit.rules.routes import backfills_router
from plaudit.rules.routes import router as rules_router
from plaudit.runtime import Runtime, build_runtime
from plaudit.templates.routes import router as templates_router
from plaudit.users.routes import router as members_router
from plaudit.vcapi.routes import router as vcapi_router
from plaudit.vendors.accredible_routes import router as accredible_router
from plaudit.vendors.credly_routes import router as credly_router
from plaudit.verification.routes import router as verification_router
from plaudit.wallets.exchange import router as exchange_router
from plaudit.wallets.oid4vci import router as oid4vci_router
from plaudit.webhooks.routes import router as webhooks_router

FEATURE_ROUTERS: tuple[APIRouter, ...] = (
    organizations_router,
    apikeys_router,
    members_router,
    templates_router,
    certificate_preview_router,
    catalog_router,
    ingest_router,
    events_router,
    xapi_router,
    rules_router,
    backfills_router,
    learners_router,
    credentials_router,
    files_router,
    credential_id_router,
    did_router,
    credential_lifecycle_router,
    claims_router,
    credential_status_router,
    verification_router,
    keys_router,
    jwks_router,
    vcapi_router,
    exchange_router,
    oid4vci_router,
    pages_router,
    claim_pages_router,
    exports_router,
    webhooks_router,
    deliveries_router,
    email_router,
    unsubscribe_router,
    connectors_router,
    hooks_router,
    imports_router,
    bulk_router,
    obapi_router,
    credly_router,
    accredible_router,
)


def create_app(
    settings: Settings | None = None,
    *,
    runtime: Runtime | None = None,
    run_jobs: bool = False,
) -> FastAPI:
    """``run_jobs`` starts job workers inside this process (the embedded `plaudit serve`)."""
    settings = settings or get_settings()
    runtime = runtime or build_runtime(settings)
    # Views, downloads and verifications, counted in memory and flushed every few seconds.
    engagement = EngagementCounter()
    jobs.configure(settings, runtime)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Request threads, plus the job workers, never outnumber the database connections: a
        # thread waiting for a connection held by a request whose commit waits for a thread
        # would stall everything until the pool's timeout.
        pool = runtime.engine.pool
        capacity = (
            pool.size() + max(int(getattr(pool, "_max_overflow", 0)), 0)
            if isinstance(pool, QueuePool)
            else 40
        )
        workers = settings.workers if run_jobs else 0
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = max(2, min(40, capacity - workers - 1))
        consumer = jobs.start_embedded_consumer(settings.workers) if run_jobs else None
        try:
            yield
        finally:
            if consumer is not None:
                consumer.stop(graceful=True)
            engagement.flush(runtime.sessions)

    app = FastAPI(
        title="Plaudit",
        version=__version__,
        summary="Credential templates, award rules and Open Badges 3.0 verifiable credentials.",
        openapi_url="/openapi.json",
        docs_url=None,  # plaudit.api.docs: served without a CDN
        redoc_url=None,
        lifespan=lifespan,
    )
    # Its time to live; with a Redis queue, revocations forget pages in every process.
    page_cache.configure(settings)
    app.state.runtime = runtime
    app.state.engagement = engagement
    # Counted in the queue's Redis when there is one, so N processes share one limit, not N.
    app.state.rate_limiter = ratelimit.from_settings(settings)
    app.state.settings = settings
    problems.install(app)
    openapi.install(app)
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    # Outside it: its refusals on the Open Badges API's paths are told in the API's own shape.
    app.add_middleware(ImsxRefusals)
    app.include_router(ops_router)
    for router in FEATURE_ROUTERS:
        app.include_router(router)
    docs.install(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    admin_app.install(app)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/admin/")

    return app


def create_served_app() -> FastAPI:
    """The app of one process of `plaudit serve --workers N` (an import-string factory: each
    process builds its own engine, cache listener and job workers from the environment)."""
    from plaudit.logs import setup_logging

    settings = get_settings()
    setup_logging(json_lines=settings.log_json, level=settings.log_level)
    return create_app(settings, run_jobs=settings.run_jobs_in_process)

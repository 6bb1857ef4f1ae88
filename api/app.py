"""The FastAPI application factory: settings, database, routers and the one error format."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from anyio import to_thread
from fastapi import FastAPI
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth_limits import FailureLimiter, worker_share
from api.deps import EngineDep
from api.errors import ERROR_RESPONSES, error_response, install_error_handlers
from api.headers import SecurityHeaders, docs_policy
from api.pages import routes as pages
from api.routes import financing, oversight, patents, reports, valuations
from api.security import KeyVerifier
from api.services.batch import too_large
from api.settings import Settings
from api.text_guard import NulGuard
from storage.database import make_engine, ping, read_only
from storage.migrate import open_database
from valuation import ENGINE_VERSION

DESCRIPTION = """\
Patent valuation and patent-pledge financing (专利权质押融资).

**Authentication**: every `/v1` operation but `/v1/health` needs an API key,
`Authorization: Bearer pv_<id>_<secret>` (`patentval users create`).

**Roles and tenancy**: a *bank* sees the loans it lends, the pledges it holds and the appraisals
it asked for; an *enterprise* its own patents, pledges, loans and appraisals; a *regulator*
aggregates only; an *admin* parties, credentials and the patent register. A role that may not use
an operation gets 403; another tenant's record reads as a missing one, 404.

**Errors**: `{"error": {"code", "message", "field"}}` everywhere.

**Money** is a decimal string with its currency: `{"amount": "5000000.00", "currency": "CNY"}`.

**Idempotency-Key** on the POSTs that create appraisals, pledges, loans and repayments.
"""


class Health(BaseModel):
    status: str
    version: str
    database: str
    worker: int


class _BodyTooLargeError(Exception):
    """The request body went past the limit while it was being read."""


class UploadLimit:
    """Refuse a request body over the limit with 413: at once when its declared length is over
    it (before it is read), and as soon as the bytes received pass it when it declares none
    (chunked), whatever the route (the batch upload and every JSON body alike)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        content_type = dict(scope["headers"]).get(b"content-type", b"")
        error = too_large(self.limit, upload=content_type.startswith(b"multipart/"))
        response = error_response(error.status, error.code, error.message, error.field)
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        received, over, started = 0, False, False

        async def counted() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    over = True
                    raise _BodyTooLargeError
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            if over and not started:  # whatever the app made of the interrupted read
                started = True
                await self._refuse(scope, receive, send)
            if over:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, sending)
        except _BodyTooLargeError:
            if not started:
                await self._refuse(scope, receive, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service for ``settings`` (read from the environment when omitted).

    The database is migrated as the app starts unless ``migrate_on_start`` is off:
    ``patentval serve`` migrates once and turns it off for its workers, so that they do not
    race."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        threads = settings.worker_threads
        to_thread.current_default_thread_limiter().total_tokens = threads
        if settings.migrate_on_start:
            app.state.engine = open_database(settings.database_url, threads)
        else:
            app.state.engine = make_engine(settings.database_url, threads)
        app.state.reader = read_only(app.state.engine)
        # SQLite writes one transaction at a time: the writing handlers of a worker take turns
        # (api.deps.CommittingRoute), so that a writer holding the lock does not share the
        # interpreter with the next one's preparation.
        app.state.write_turn = anyio.Lock() if app.state.engine.dialect.name == "sqlite" else None
        yield
        app.state.engine.dispose()

    app = FastAPI(
        title="patentval",
        version=ENGINE_VERSION,
        summary="Patent valuation and patent-pledge financing",
        description=DESCRIPTION,
        lifespan=lifespan,
        redoc_url=None,
    )
    app.state.settings = settings
    limiter = FailureLimiter(
        worker_share(settings.auth_failure_limit, settings.workers),
        settings.auth_failure_window_seconds,
    )
    app.state.verifier = KeyVerifier(settings.key_cache_size, limiter)
    install_error_handlers(app)
    app.add_middleware(NulGuard)  # inside the upload limit: an oversized body is not read
    app.add_middleware(UploadLimit, limit=settings.max_upload_bytes)
    app.add_middleware(
        SecurityHeaders,
        docs_paths={"/docs": docs_policy(app.openapi_url or "", app.title)},
        hsts_seconds=settings.hsts_seconds,
    )

    def health(engine: EngineDep) -> Health:
        """Whether the service and its database answer."""
        return Health(
            status="ok", version=ENGINE_VERSION, database=ping(engine), worker=os.getpid()
        )

    app.get("/health", tags=["service"])(health)
    # Each router is included in the app itself, not in a /v1 router of routers: FastAPI matches
    # a request against every route of each level it passes through, twice.
    app.get("/v1/health", tags=["service"], name="health_v1", responses=ERROR_RESPONSES)(health)
    for module in (patents, valuations, financing, oversight, reports):
        app.include_router(module.router, responses=ERROR_RESPONSES)
    pages.install(app)
    return app

"""Dependencies of the handlers, as ``Annotated`` aliases: the settings, the database session,
the calling principal and the roles an operation admits."""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.errors import forbidden
from api.security import KeyVerifier, Principal
from api.settings import Settings
from models.enums import Role


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def _reader(request: Request) -> Engine:
    engine: Engine = request.app.state.reader
    return engine


SettingsDep = Annotated[Settings, Depends(_settings)]
EngineDep = Annotated[Engine, Depends(_engine)]
ReaderDep = Annotated[Engine, Depends(_reader)]
"""The engine for transactions that only read (:func:`storage.database.read_only`)."""


async def _session(engine: EngineDep) -> AsyncIterator[Session]:
    """A session for the request: committed when the handler returns, rolled back when it
    fails (before the response is sent).

    On the event loop, not in a worker thread: a sync handler's route has committed by then
    (:class:`CommittingRoute`), so that closing the session reads and writes nothing."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


async def _read_session(engine: ReaderDep) -> AsyncIterator[Session]:
    """A session for a request that only reads: no write lock, a write is refused."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


class CommittingRoute(APIRoute):
    """A route whose sync handler runs in a worker thread and commits its request's sessions
    there, as it returns; the response is then serialised on the event loop.

    Left to FastAPI, a sync handler's result is serialised in a worker thread again, before the
    session dependency's exit runs: a request whose transaction was still open would hold its
    connection, and on SQLite the write lock, while it waited for a thread, and the threads
    could all be waiting for that lock or a connection. Here the session has let both go before
    the response is serialised, and a request takes one thread once; a handler that raises is
    rolled back by the dependency as before."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _committing(endpoint)
        super().__init__(path, endpoint, **kwargs)


def _committing(endpoint: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    def call_and_commit(kwargs: dict[str, Any]) -> Any:
        result = endpoint(**kwargs)
        for value in kwargs.values():
            if isinstance(value, Session):
                value.commit()
        return result

    @functools.wraps(endpoint)
    async def handler(**kwargs: Any) -> Any:
        return await run_in_threadpool(call_and_commit, kwargs)

    return handler


SessionDep = Annotated[Session, Depends(_session, scope="function")]
ReadSessionDep = Annotated[Session, Depends(_read_session, scope="function")]
"""For the handlers that only read: on SQLite they then run beside each other and beside a
writer instead of queueing for the write lock."""


_BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    bearerFormat="pv_<id>_<secret>",
    description="An API key from `patentval users create` or `POST /v1/credentials`.",
)
"""Declares the bearer key in the OpenAPI document (the docs' Authorize button); the header
itself is read and checked by the verifier, which words its own 401s."""


def _principal(
    request: Request,
    reader: ReaderDep,
    _declared: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
) -> Principal:
    """The caller, looked up in a read-only transaction of its own (so that a handler that
    only reads takes no write lock for it)."""
    verifier: KeyVerifier = request.app.state.verifier
    client = None if request.client is None else request.client.host
    with Session(reader) as session:
        return verifier.principal(session, request.headers.get("authorization"), client)


CurrentPrincipal = Annotated[Principal, Depends(_principal)]


def allow(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting only ``roles`` (403 for the others); async, as it neither reads
    nor waits, so that it runs on the event loop instead of in a worker thread."""
    admitted = frozenset(roles)
    names = ", ".join(r.value for r in roles)

    async def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in admitted:
            raise forbidden(f"a {principal.role.value} key may not do this (only: {names})")
        return principal

    return check


Bank = Annotated[Principal, Depends(allow(Role.BANK))]
Enterprise = Annotated[Principal, Depends(allow(Role.ENTERPRISE))]
Admin = Annotated[Principal, Depends(allow(Role.ADMIN))]
Regulator = Annotated[Principal, Depends(allow(Role.REGULATOR))]
Borrowing = Annotated[Principal, Depends(allow(Role.BANK, Role.ENTERPRISE))]
"""A party to a financing: a bank or an enterprise."""
Register = Annotated[Principal, Depends(allow(Role.ENTERPRISE, Role.ADMIN))]
"""Who keeps the patent register: an enterprise (its own patents) or an admin."""
PatentReaders = Annotated[Principal, Depends(allow(Role.BANK, Role.ENTERPRISE, Role.ADMIN))]
StatementReaders = Annotated[Principal, Depends(allow(Role.BANK, Role.REGULATOR))]
"""Who may have a pledge portfolio statement: a bank (of its own pledges) or a regulator."""
Navigators = Annotated[Principal, Depends(allow(Role.REGULATOR, Role.ADMIN))]
"""Who sees patent navigation over the database: a regulator or an admin."""
Valuers = Annotated[Principal, Depends(allow(Role.BANK, Role.ENTERPRISE, Role.REGULATOR))]
"""Who may value an uploaded file of patents (no stored record is read)."""

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=100,
        pattern=r"^[\x21-\x7e]+$",
        description="Repeat a create safely: a repeat with the same key and body returns the "
        "first response; the same key with another body is refused (422); while the first is "
        "still running a repeat gets 409.",
    ),
]

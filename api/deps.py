"""Dependencies of the handlers, as ``Annotated`` aliases: the settings, the database session,
the calling principal and the roles an operation admits."""

from __future__ import annotations

import functools
import inspect
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

import anyio
from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from api.errors import forbidden
from api.security import KeyVerifier, Principal, presented_key
from api.settings import Settings
from models.enums import Role
from storage.database import LOCKED, SQLITE_BUSY_TIMEOUT_SECONDS, reads_only


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


WRITE_TURN = "patentval.write_turn"
"""The key of a session's ``info`` that holds its worker's turn to write, where writes take
turns (SQLite)."""


async def _session(engine: EngineDep, request: Request) -> AsyncIterator[Session]:
    """A session for the request: committed when the handler returns, rolled back when it
    fails (before the response is sent).

    On the event loop, not in a worker thread: a sync handler's route has committed by then
    (:class:`CommittingRoute`), so that closing the session reads and writes nothing."""
    with Session(engine, expire_on_commit=False) as session:
        turn = getattr(request.app.state, "write_turn", None)
        if turn is not None:
            session.info[WRITE_TURN] = turn
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
    rolled back by the dependency as before.

    The caller's key is verified in that thread too, as the handler starts (:class:`Claim`);
    an async handler gets it verified in a worker thread before it runs.

    On SQLite, which writes one transaction at a time, the handlers of a worker that take a
    write session wait on the event loop for their turn (:data:`WRITE_TURN`), and a handler that
    only reads does not: a writer holding SQLite's write lock then shares the interpreter with
    readers only, not with the next writer's preparation (a valuation), which held the lock
    about twice as long (the README's HTTP benchmark has the figures)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if inspect.iscoroutinefunction(endpoint):
            endpoint = _verifying(endpoint)
        else:
            endpoint = _committing(endpoint)
        super().__init__(path, endpoint, **kwargs)


def _committing(endpoint: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    def call_and_commit(kwargs: dict[str, Any]) -> Any:
        kwargs = _verified(kwargs)
        result = endpoint(**kwargs)
        for value in kwargs.values():
            if isinstance(value, Session):
                value.commit()
        return result

    @functools.wraps(endpoint)
    async def handler(**kwargs: Any) -> Any:
        turn = next((v.info[WRITE_TURN] for v in kwargs.values() if _writes_in_turn(v)), None)
        if turn is None:
            return await run_in_threadpool(call_and_commit, kwargs)
        await _wait_for(turn)
        try:
            return await run_in_threadpool(call_and_commit, kwargs)
        finally:
            turn.release()

    return handler


async def _wait_for(turn: anyio.Lock) -> None:
    """Take the worker's turn to write; after SQLite's busy timeout, the database's busy error
    (answered 503, as a write lock not had in time is)."""
    try:
        with anyio.fail_after(SQLITE_BUSY_TIMEOUT_SECONDS):
            await turn.acquire()
    except TimeoutError:
        locked = sqlite3.OperationalError(LOCKED)
        raise OperationalError("waiting for the worker's turn to write", None, locked) from None


def _writes_in_turn(value: object) -> bool:
    return isinstance(value, Session) and WRITE_TURN in value.info


def _verifying(endpoint: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(endpoint)
    async def handler(**kwargs: Any) -> Any:
        if any(isinstance(value, Claim) for value in kwargs.values()):
            kwargs = await run_in_threadpool(_verified, kwargs)
        return await endpoint(**kwargs)

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


@dataclass(frozen=True, slots=True)
class Claim:
    """The API key a request presents and the roles its operation admits, not yet verified.

    :class:`CommittingRoute` verifies it in the worker thread that runs the handler, in the
    handler's read-only session when it has one: a request then takes one thread and, when it
    only reads, one transaction. The handler receives the :class:`Principal`."""

    authorization: str
    client: str | None
    admitted: tuple[Role, ...]
    """Empty: every role."""
    verifier: KeyVerifier
    reader: Engine

    def verify(self, session: Session | None = None) -> Principal:
        """The caller, looked up in ``session`` (else in a read-only transaction of its own,
        so that a handler that writes takes no write lock for it); 403 for a role the
        operation does not admit."""
        if session is None:
            with Session(self.reader) as own:
                principal = self.verifier.principal(own, self.authorization, self.client)
        else:
            principal = self.verifier.principal(session, self.authorization, self.client)
        if self.admitted and principal.role not in self.admitted:
            names = ", ".join(r.value for r in self.admitted)
            raise forbidden(f"a {principal.role.value} key may not do this (only: {names})")
        return principal


def _verified(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` with each :class:`Claim` verified into its principal."""
    claims = [name for name, value in kwargs.items() if isinstance(value, Claim)]
    if not claims:
        return kwargs
    reading = next((v for v in kwargs.values() if isinstance(v, Session) and reads_only(v)), None)
    return {**kwargs, **{name: kwargs[name].verify(reading) for name in claims}}


def allow(*roles: Role) -> Callable[..., Awaitable[Claim]]:
    """A dependency for the caller of an operation that admits only ``roles`` (every role
    when none is given). Without a key it answers 401 at once, on the event loop; the key and
    the role are checked as the handler starts (:class:`Claim`), or before the 422 of a
    request that is also malformed, so that a caller without a valid key gets 401 or 403
    whatever it sends."""

    async def claim(
        request: Request,
        _declared: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
    ) -> Claim:
        found = Claim(
            presented_key(request.headers.get("authorization")),
            None if request.client is None else request.client.host,
            roles,
            request.app.state.verifier,
            request.app.state.reader,
        )
        request.state.unverified = found.verify
        return found

    return claim


CurrentPrincipal = Annotated[Principal, Depends(allow())]


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

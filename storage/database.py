"""Database engines and transactions: SQLite (a file, WAL journal) by default, PostgreSQL by URL.

Every SQLite transaction that may write begins with ``BEGIN IMMEDIATE``: it takes the write
lock up front, so two writers never both read a balance and then both write (the second waits,
up to the busy timeout, and then reads what the first committed). PostgreSQL transactions run
at READ COMMITTED; the repositories lock the rows they change with ``SELECT … FOR UPDATE``.

A transaction on a :func:`read_only` engine takes no write lock: on SQLite it is a deferred
``BEGIN`` under ``PRAGMA query_only`` (readers then run side by side, and beside a writer, on
the WAL snapshot), on PostgreSQL a ``READ ONLY`` transaction. Either refuses a write.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from storage.types import serialise_document

SQLITE_BUSY_TIMEOUT_SECONDS = 30

_READ_ONLY = "patentval_read_only"
_WRITING = "patentval_writing"
LOCKED = "database is locked"

POSTGRES_OVERFLOW = 4


def make_engine(url: str, connections: int | None = None, **options: Any) -> Engine:
    """An engine for ``url``; a SQLite file gets its folder, WAL, foreign keys, a busy timeout
    and ``BEGIN IMMEDIATE`` transactions. ``options`` go to :func:`sqlalchemy.create_engine`.

    ``connections``: how many the pool keeps open (the pool's default when None). More may
    open for a moment rather than make a request wait for one while it holds a worker thread:
    a SQLite file as many as there are requests in flight, a PostgreSQL server up to
    ``POSTGRES_OVERFLOW`` × ``connections`` more (its own limit is on every worker's
    connections together)."""
    parsed = make_url(url)
    sqlite = parsed.get_backend_name() == "sqlite"
    if connections is not None and parsed.database not in (None, "", ":memory:"):
        overflow = -1 if sqlite else POSTGRES_OVERFLOW * connections
        options = {"pool_size": connections, "max_overflow": overflow, **options}
    options = {"json_serializer": serialise_document, **options}
    if not sqlite:
        engine = create_engine(url, pool_pre_ping=True, **options)

        @event.listens_for(engine, "begin")
        def _postgres_read_only(connection: Connection) -> None:
            if connection.get_execution_options().get(_READ_ONLY):
                connection.exec_driver_sql("SET TRANSACTION READ ONLY")

        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
    engine = create_engine(url, connect_args=connect_args, **options)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        """WAL, foreign keys, no implicit BEGIN."""
        dbapi_connection.isolation_level = None  # the "begin" hook below emits BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    # The writers of this process queue here, in turn, for SQLite's write lock, which one of
    # them at a time then tries for (:func:`_begin_immediate`).
    writers = threading.Lock()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        """Take the write lock as the transaction begins, unless it only reads."""
        reads_only = bool(connection.get_execution_options().get(_READ_ONLY))
        if connection.info.get(_READ_ONLY) != reads_only:  # the pragma stays with the connection
            connection.exec_driver_sql(f"PRAGMA query_only = {'ON' if reads_only else 'OFF'}")
            connection.info[_READ_ONLY] = reads_only
        if reads_only:
            connection.exec_driver_sql("BEGIN")
            return
        deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_SECONDS
        if not writers.acquire(timeout=SQLITE_BUSY_TIMEOUT_SECONDS):
            raise OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError(LOCKED))
        try:
            _begin_immediate(connection.connection.driver_connection, deadline)
        except BaseException:
            writers.release()
            raise
        connection.info[_WRITING] = True

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _end(connection: Connection) -> None:
        if connection.info.pop(_WRITING, False):
            writers.release()

    return engine


WRITE_LOCK_POLL_SECONDS = 0.001


def _begin_immediate(raw: Any, deadline: float) -> None:
    """``BEGIN IMMEDIATE`` on the sqlite3 connection ``raw``, trying again every millisecond
    while another process holds the write lock, until ``deadline``: SQLite's own busy wait
    sleeps in growing steps (up to 100 ms) and so leaves the lock idle between two processes'
    writers. Other statements keep the connection's busy timeout."""
    raw.execute("PRAGMA busy_timeout = 0")
    try:
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if LOCKED not in str(error) or time.monotonic() >= deadline:
                    raise OperationalError("BEGIN IMMEDIATE", None, error) from None
            time.sleep(WRITE_LOCK_POLL_SECONDS)
    finally:
        raw.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_SECONDS * 1000)}")


def read_only(engine: Engine) -> Engine:
    """``engine`` (the same pool) for transactions that only read: no write lock is taken,
    and a write is refused."""
    return engine.execution_options(**{_READ_ONLY: True})


def reads_only(session: Session) -> bool:
    """Whether ``session`` is bound to a :func:`read_only` engine."""
    return bool(session.get_bind().get_execution_options().get(_READ_ONLY))


@contextmanager
def reading(session: Session) -> Iterator[Session]:
    """A read-only session (:func:`read_only`) on ``session``'s engine, closed when the block
    ends: for the reads of a request that writes later, so that they take no write lock."""
    with Session(read_only(session.get_bind().engine), expire_on_commit=False) as reader:
        yield reader


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session in one transaction: committed when the block ends, rolled back on an error."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


def ping(engine: Engine) -> str:
    """Run a trivial query; return the database's dialect name when it answers."""
    with read_only(engine).connect() as connection:
        connection.execute(text("SELECT 1"))
    return engine.dialect.name

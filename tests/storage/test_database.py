"""Transactions of the engines: read-only ones refuse writes and, on SQLite, take no write lock;
the writers of one process take SQLite's write lock in turn, and one that fails lets it go."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from storage.database import make_engine, read_only, transaction
from storage.migrate import upgrade
from storage.tables import PartyRow
from tests.storage.builders import stored_parties


def test_a_read_only_transaction_refuses_a_write(fresh_engine: Engine) -> None:
    with transaction(fresh_engine) as session:
        stored_parties(session)
    with Session(read_only(fresh_engine)) as reader:
        assert reader.execute(select(func.count()).select_from(PartyRow)).scalar_one() > 0
        with pytest.raises(DBAPIError, match="read"):
            reader.execute(text("DELETE FROM parties"))
    with transaction(fresh_engine) as session:  # the connection writes again afterwards
        assert session.execute(text("DELETE FROM web_sessions")).rowcount == 0


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'locks.db'}")
    upgrade(engine)
    with transaction(engine) as session:
        stored_parties(session)
    return engine


def test_on_sqlite_a_reader_does_not_wait_for_a_writer(sqlite_engine: Engine) -> None:
    writing, done = threading.Event(), threading.Event()

    def writer() -> None:
        with transaction(sqlite_engine) as session:
            session.execute(text("UPDATE parties SET name = name"))
            writing.set()
            done.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    assert writing.wait(10)
    started = time.monotonic()
    with Session(read_only(sqlite_engine)) as reader:
        count = reader.execute(select(func.count()).select_from(PartyRow)).scalar_one()
    took = time.monotonic() - started
    done.set()
    thread.join()
    assert count > 0
    assert took < 1.0  # a writer's BEGIN IMMEDIATE would wait until the other commits


def test_on_sqlite_writers_take_turns_and_a_failed_one_lets_go(sqlite_engine: Engine) -> None:
    def failing() -> None:
        with transaction(sqlite_engine) as session:
            session.execute(text("UPDATE parties SET region = 'x'"))
            raise RuntimeError("the command fails after it began to write")

    with pytest.raises(RuntimeError):
        failing()

    def write(i: int) -> int:
        with transaction(sqlite_engine) as session:
            session.execute(text("UPDATE parties SET region = :r"), {"r": f"r{i}"})
            return i

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=12) as pool:
        assert sorted(pool.map(write, range(48))) == list(range(48))
    assert time.monotonic() - started < 20  # each in turn, none left waiting for a lost lock
    with Session(read_only(sqlite_engine)) as reader:
        regions = set(reader.execute(select(PartyRow.region)).scalars())
    assert len(regions) == 1
    assert regions <= {f"r{i}" for i in range(48)}

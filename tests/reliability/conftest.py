"""Databases for the reliability tests: a SQLite file, and a fresh database on the test
PostgreSQL (``PATENTVAL_TEST_POSTGRES_URL``; skipped when it is not set, as in the storage
tests)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

POSTGRES = os.environ.get("PATENTVAL_TEST_POSTGRES_URL")


def postgres_database(server: str | None = None) -> Iterator[str]:
    """A fresh, empty database on ``server`` (by default the test PostgreSQL), dropped
    afterwards."""
    server = server or POSTGRES
    if not server:
        pytest.skip("PostgreSQL not configured: set PATENTVAL_TEST_POSTGRES_URL")
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"r_{uuid.uuid4().hex}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(server).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty database on the test PostgreSQL."""
    yield from postgres_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, then one on the test PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'reliability.db'}"
    else:
        yield from postgres_database()

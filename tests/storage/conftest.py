"""Storage tests run on both engines: SQLite (a file) and PostgreSQL.

PostgreSQL comes from ``PATENTVAL_TEST_POSTGRES_URL`` (``scripts/test.sh`` starts a throwaway
cluster and sets it). When the variable is set the server must answer, or the tests fail; when
it is not set (pytest run by hand) the PostgreSQL cases are skipped.

``session`` is a session inside a transaction that is rolled back after the test. ``fresh_engine``
is an engine on a database of its own, for tests that commit (concurrency, deferred checks).
Both start from a template migrated once per run.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from storage.database import make_engine
from storage.migrate import upgrade

POSTGRES_URL_VARIABLE = "PATENTVAL_TEST_POSTGRES_URL"
TEMPLATE = "patentval_template"


@dataclass
class Backend:
    """One engine under test: how to make a fresh migrated database, and drop it."""

    name: str
    root: Path | None = None  # SQLite: folder of the template file
    admin: Engine | None = None  # PostgreSQL: an AUTOCOMMIT engine on the maintenance database
    server_url: str | None = None

    def fresh_url(self) -> str:
        """The URL of a new database, a copy of the migrated template."""
        if self.name == "sqlite":
            assert self.root is not None
            path = self.root / f"{uuid.uuid4().hex}.db"
            shutil.copyfile(self.root / "template.db", path)
            return f"sqlite:///{path}"
        assert self.admin is not None
        assert self.server_url is not None
        name = f"t_{uuid.uuid4().hex}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE {TEMPLATE}'))
        return make_url(self.server_url).set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        """Remove a database made by :meth:`fresh_url`."""
        parsed = make_url(url)
        if self.name == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
            return
        assert self.admin is not None
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{parsed.database}" WITH (FORCE)'))


def _sqlite_backend(root: Path) -> Backend:
    engine = make_engine(f"sqlite:///{root / 'template.db'}")
    upgrade(engine)
    engine.dispose()
    return Backend("sqlite", root=root)


def _postgres_backend() -> Backend:
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not url:
        pytest.skip(
            f"PostgreSQL not configured: set {POSTGRES_URL_VARIABLE} (scripts/test.sh does)"
        )
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)"))
            connection.execute(text(f"CREATE DATABASE {TEMPLATE}"))
    except OperationalError as error:
        pytest.fail(f"{POSTGRES_URL_VARIABLE} is set but PostgreSQL does not answer: {error}")
    template_url = make_url(url).set(database=TEMPLATE).render_as_string(hide_password=False)
    engine = make_engine(template_url, poolclass=NullPool)
    upgrade(engine)
    engine.dispose()
    return Backend("postgresql", admin=admin, server_url=url)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Backend:
    if request.param == "sqlite":
        return _sqlite_backend(tmp_path_factory.mktemp("sqlite"))
    return _postgres_backend()


@pytest.fixture(scope="session")
def shared_engine(backend: Backend) -> Iterator[Engine]:
    url = backend.fresh_url()
    engine = make_engine(url)
    yield engine
    engine.dispose()
    backend.drop(url)


@pytest.fixture
def session(shared_engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back after the test."""
    with shared_engine.connect() as connection:
        outer = connection.begin()
        with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
            yield session
        outer.rollback()


@pytest.fixture
def fresh_engine(backend: Backend) -> Iterator[Engine]:
    """An engine on a database of its own; each checkout is a separate connection."""
    url = backend.fresh_url()
    engine = make_engine(url, poolclass=NullPool)
    yield engine
    engine.dispose()
    backend.drop(url)

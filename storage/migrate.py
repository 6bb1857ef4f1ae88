"""Schema migrations, shipped in the package (``storage/migrations``) and run programmatically."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from storage.database import make_engine

SCRIPT_LOCATION = "storage:migrations"
_POSTGRES_LOCK_KEY = 0x70617465  # serialises concurrent upgrades (several workers starting)


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for the shipped migrations, running on ``connection``."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The revision the shipped migrations lead to."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("no migrations are shipped")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None before the first migration)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> str:
    """Migrate the database to the head revision in one transaction; return the revision."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _POSTGRES_LOCK_KEY}
            )
        command.upgrade(alembic_config(connection), "head")
    return head_revision()


def open_database(url: str, connections: int | None = None) -> Engine:
    """An engine for ``url`` (:func:`make_engine`) whose schema is migrated to the head
    revision."""
    engine = make_engine(url, connections)
    upgrade(engine)
    return engine

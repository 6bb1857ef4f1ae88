"""Service settings, read from the environment (prefix ``PATENTVAL_``) or a ``.env`` file.

Outside development the settings refuse what is only for a demo: a demo secret (the demo keys are
derived from it and printed at start-up) and the demo credentials themselves.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.schemas.common import Day
from reports.info import REPORT_ZONE

DEFAULT_DEMO_SECRET = "patentval-demo-not-a-secret"  # noqa: S105 - documented, demo only
"""The documented demo secret: the demo keys printed by ``make run`` derive from it."""

MIB = 1024 * 1024


class Settings(BaseSettings):
    """Where the service keeps its data and how it runs."""

    model_config = SettingsConfigDict(env_prefix="PATENTVAL_", env_file=".env", extra="ignore")

    database_url: str = Field(default="sqlite:///var/patentval.db", repr=False)
    """SQLAlchemy URL; left out of the settings' repr, since a PostgreSQL one may hold a
    password."""
    environment: Literal["development", "test", "production"] = "development"
    max_upload_bytes: int = Field(default=20 * MIB, gt=0)
    max_batch_rows: int = Field(default=200_000, gt=0)
    demo_secret: SecretStr | None = None
    """The secret the demo keys derive from (development only); never shown in a repr or log."""
    key_cache_size: int = Field(default=10_000, ge=0)
    auth_failure_limit: int = Field(default=10, ge=0)
    """Failed authentications per client address or key id within the window before 429
    (0: no limit)."""
    auth_failure_window_seconds: float = Field(default=60, gt=0, le=86_400)
    workers: int = Field(default=1, ge=1, le=256)
    """Worker processes serving together (``patentval serve --workers`` sets it): each counts
    failed authentications on its own, so each allows its share of ``auth_failure_limit``."""
    hsts_seconds: int = Field(default=0, ge=0)
    """``Strict-Transport-Security: max-age`` when served over TLS (0: not sent)."""
    migrate_on_start: bool = True
    worker_threads: int = Field(default=2, gt=0, le=256)
    """Threads of each worker process that run the handlers, and the database connections each
    keeps. A worker runs Python one thread at a time: two let one request's database wait
    overlap another's work; more only make the threads contend (the README's HTTP benchmark
    has the figures), while queued requests wait on the event loop. More help a worker whose
    requests mostly wait on a remote database; more workers are the way to use more cores."""
    session_hours: int = Field(default=8, gt=0, le=24 * 30)
    """How long a browser stays signed in to the pages."""
    business_date: Day | None = None
    """The day the pages' forms and dashboards start from when they are given none (default:
    today in China). Set it to the day a dataset describes: ``make run`` sets the demo
    portfolio's, 2019-11-30, whose history ends that year. The JSON API always takes its days
    from the request."""

    @model_validator(mode="after")
    def _no_demo_outside_development(self) -> Self:
        if self.environment != "development" and self.demo_secret is not None:
            raise ValueError(
                f"PATENTVAL_DEMO_SECRET is set in {self.environment}: demo keys are derived "
                "from it and printed, so they are for development only; unset it"
            )
        return self

    @property
    def development(self) -> bool:
        """Whether demo conveniences (demo keys) are allowed."""
        return self.environment == "development"

    def today(self) -> date:
        """The business date when one is set, else today in China."""
        return self.business_date or datetime.now(REPORT_ZONE).date()

    def demo_secret_or_default(self) -> str:
        """The demo secret (the documented default when none is set); refused outside
        development."""
        if not self.development:
            raise ValueError(f"demo credentials exist only in development, not {self.environment}")
        if self.demo_secret is None or not self.demo_secret.get_secret_value():
            return DEFAULT_DEMO_SECRET
        return self.demo_secret.get_secret_value()

"""Service settings, read from the environment (prefix ``PATENTVAL_``) or a ``.env`` file."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the service keeps its data and how it runs."""

    model_config = SettingsConfigDict(env_prefix="PATENTVAL_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///var/patentval.db"
    environment: str = "development"

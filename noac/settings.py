"""Settings read from the environment (prefix ``NOAC_``) and a ``.env`` file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    """Folder of the default database: ``$XDG_DATA_HOME/noac`` or ``~/.local/share/noac``."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "noac"


class Settings(BaseSettings):
    """Everything a plant can configure.

    ``database_url`` is any SQLAlchemy URL; a SQLite file by default, e.g.
    ``postgresql+psycopg://user@host:5432/noac`` for PostgreSQL.
    """

    model_config = SettingsConfigDict(env_prefix="NOAC_", env_file=".env", extra="ignore")

    database_url: str = f"sqlite:///{default_data_dir() / 'noac.db'}"
    demo_database_url: str = "sqlite:///noac-demo.db"
    sqlite_busy_timeout_ms: int = 10000
    db_pool_size: int = 10
    db_max_overflow: int = 50
    language: Literal["en", "zh"] = "en"
    session_idle_minutes: int = 30
    auth: Literal["password", "oidc"] = "password"
    scores_due_day: int = 5


def get_settings() -> Settings:
    return Settings()

"""Engines, sessions and schema migrations."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, event
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError
from sqlmodel import Session, create_engine

from noac.errors import NoacError
from noac.settings import get_settings

CONFLICT_MESSAGE = "another change to the same data was being saved at that moment: try again"
_SQLITE_BUSY = ("database is locked", "database table is locked")
_POSTGRES_CONFLICTS = ("40P01", "40001", "55P03")  # deadlock, serialization, lock not available


def _refuse_conflicts(context: ExceptionContext) -> None:
    """Turn a write that lost a race for a lock into a refusal the user can act on, and a
    value the database cannot hold (services check lengths first) into a plain refusal."""
    error = context.original_exception
    busy = isinstance(error, sqlite3.OperationalError) and str(error) in _SQLITE_BUSY
    if busy or getattr(error, "sqlstate", None) in _POSTGRES_CONFLICTS:
        raise NoacError(CONFLICT_MESSAGE) from context.sqlalchemy_exception
    if isinstance(error, psycopg.DataError):
        raise NoacError(f"a value cannot be stored: {error}") from context.sqlalchemy_exception


def database_url(url: str) -> URL:
    """``url`` read as the URL of a SQLite or PostgreSQL database, or refused saying so."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise NoacError(
            "the database URL (--db or NOAC_DATABASE_URL) is not one: give sqlite:///FILE or"
            " postgresql+psycopg://USER@HOST:PORT/DATABASE"
        ) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise NoacError(
            f"{parsed.render_as_string(hide_password=True)}: NOAC works on SQLite and PostgreSQL"
            " databases only"
        )
    return parsed


def create_db_engine(url: str | None = None) -> Engine:
    """Return an engine for ``url`` (default: the configured database).

    SQLite files get foreign keys enforced, WAL journalling and a busy timeout, on every
    connection (:func:`migrate` creates a new file's folder); PostgreSQL sessions
    work in UTC and plan for indexed reads from memory. On both databases a
    write that loses a race for a lock (busy, deadlock) raises ``NoacError``.
    """
    settings = get_settings()
    url = url or settings.database_url
    parsed = database_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(
            url,
            # times are kept in UTC: a parameter given with its zone is stored as the UTC
            # time whatever the server's zone, like a literal or a COPY (which drop the zone).
            # A plant's rows are read through indexes from memory or SSD, where a random
            # read costs about a sequential one: at the default 4 the planner scanned all
            # 741,744 responsibilities to join one plant's 7,390 problems (78 ms, not 21)
            connect_args={"options": "-c timezone=UTC -c random_page_cost=1.1"},
            pool_pre_ping=True,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
        )
        event.listen(engine, "handle_error", _refuse_conflicts)
        return engine
    engine = create_engine(
        url,
        connect_args={"timeout": settings.sqlite_busy_timeout_ms / 1000},
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
    )

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={settings.sqlite_busy_timeout_ms}")
        cursor.close()

    event.listen(engine, "handle_error", _refuse_conflicts)
    return engine


def schema_filter(dialect_name: str) -> Callable[..., bool]:
    """What Alembic compares between the models and a database of ``dialect_name``
    (``include_object``): on PostgreSQL, score's plant and units are checked once per
    statement by triggers (migration 0010) instead of by declared foreign keys."""

    def compared(obj, _name, type_, _reflected, _compare_to) -> bool:
        return not (
            dialect_name == "postgresql"
            and type_ == "foreign_key_constraint"
            and obj.table.name == "score"
        )

    return compared


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", "noac:migrations")
    return config


def _run_alembic(engine: Engine, step, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        step(config, revision)


def sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite database ``url``; None for other databases, memory and URIs."""
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    return None if database.startswith("file:") else Path(database).expanduser()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database to ``revision``, creating a new SQLite file and its folder;
    running it again changes nothing."""
    file = sqlite_file(engine.url)
    if file is not None:
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise NoacError(
                f"cannot create the folder {file.parent} of the database {file}: {error.strerror}"
            ) from None
    _run_alembic(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to ``revision`` (``base`` drops every table)."""
    _run_alembic(engine, command.downgrade, revision)


@cache
def schema_head() -> str | None:
    """The newest migration: read from the migration scripts once per process (the app
    checks the schema on every run; reading the scripts took 17 ms of each)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


@cache
def known_schemas() -> frozenset[str]:
    """Every schema version the migration scripts know, the head among them."""
    return frozenset(
        s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()
    )


def check_schema(engine: Engine) -> None:
    """Refuse to work on a database that is not migrated to the current schema, and on a
    SQLite file that does not exist (before connecting, which would create it)."""
    file = sqlite_file(engine.url)
    if file is not None and not file.is_file():
        raise NoacError(
            f"the database file {file} does not exist: check --db or NOAC_DATABASE_URL, or"
            " create it with `noac init`"
        )
    head = schema_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current != head:
        raise NoacError(
            f"the database {engine.url.render_as_string(hide_password=True)} is at schema"
            f" {current or 'none'}, not {head}: run `noac init` first"
        )


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session

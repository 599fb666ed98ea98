"""Shared fixtures: throw-away databases on SQLite and on PostgreSQL.

Every persistence test runs on both. PostgreSQL is found at
``NOAC_TEST_POSTGRES_URL`` (default: the local server, database ``test``); each
test gets a database of its own. When it is unreachable the PostgreSQL cases
are skipped, except under ``CI=true`` where they fail.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from noac.db import create_db_engine, migrate
from noac.demo import build
from noac.scheme import DEFAULT_SCHEME
from noac.services import problems
from noac.services.access import SYSTEM, Actor

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
POSTGRES_URL = os.environ.get(
    "NOAC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _admin_connection() -> psycopg.Connection:
    url = make_url(POSTGRES_URL)
    return psycopg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        dbname=url.database,
        autocommit=True,
        connect_timeout=3,
    )


@pytest.fixture(scope="session")
def postgres_available() -> bool:
    try:
        _admin_connection().close()
    except psycopg.OperationalError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {POSTGRES_URL} is unreachable under CI=true: {error}")
        return False
    return True


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path) -> Iterator[str]:
    """The URL of an empty database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'noac.db'}"
        return
    if not request.getfixturevalue("postgres_available"):
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} is unreachable")
    name = f"noac_test_{uuid.uuid4().hex[:12]}"
    with _admin_connection() as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with _admin_connection() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def engine(db_url) -> Iterator[Engine]:
    """A migrated, empty database."""
    engine = create_db_engine(db_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: two equal snapshots mean nothing changed."""
    tables = {}
    with engine.connect() as connection:
        for table in sorted(inspect(connection).get_table_names()):
            rows = connection.execute(text(f'SELECT * FROM "{table}"')).all()
            tables[table] = sorted(tuple(map(str, row)) for row in rows)
    return tables


def write_csv(path: Path, text_: str) -> Path:
    path.write_text(text_.strip() + "\n", encoding="utf-8")
    return path


def scheme_with_a_criterion(folder: Path) -> Path:
    """The default scheme with a fifth criterion, "documents" (0..10, weight 0.10), as a file
    in ``folder``: forms scored on the four before it are incomplete under it."""
    path = folder / "scheme-with-documents.toml"
    path.write_text(
        DEFAULT_SCHEME.read_text(encoding="utf-8")
        + '\n[[criteria]]\ncode = "documents"\nname_en = "Documents"\nname_zh = "文件"\n'
        + "weight = 0.10\nmin = 0\nmax = 10\n",
        encoding="utf-8",
    )
    return path


QUALITY = Actor("quinn", "quality", display_name="Quinn of the quality department")
__all__ = ["QUALITY", "SYSTEM", "supervisor"]


def supervisor(plant, unit: str, role: str = "supervisor") -> Actor:
    """A supervisor (or inspector) of ``unit`` in ``plant``."""
    return Actor(f"{role[:3]}-{unit.lower()}", role, unit=unit, plant_id=plant.id)


@pytest.fixture
def steps_on() -> Iterator[Callable[[date], object]]:
    """``steps_on(day)`` dates the problem steps the test takes from then on ``day`` (9:00
    UTC): an action reported done before the day the test verifies it, say."""
    with ExitStack() as dated:
        yield lambda day: dated.enter_context(
            problems.steps_dated(datetime(day.year, day.month, day.day, 9, tzinfo=UTC))
        )


@pytest.fixture
def server_zone(monkeypatch) -> Iterator[Callable[[str], None]]:
    """``server_zone(name)`` puts the server's clock in the time zone ``name``
    (``Asia/Shanghai``) for the rest of the test."""

    def put(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield put
    monkeypatch.undo()
    time.tzset()


def pytest_addoption(parser):
    parser.addoption(
        "--fuzz-long",
        action="store_true",
        help="run the property-based fuzz tests (tests/test_fuzz.py) with thousands of cases",
    )


@pytest.fixture(scope="session")
def demo_master(tmp_path_factory):
    """The demo database, built once per test run."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    list(build(f"sqlite:///{path}"))
    return path


@pytest.fixture
def demo_url(demo_master, tmp_path, monkeypatch):
    """A private copy of the demo database, configured for the app."""
    path = tmp_path / "demo.db"
    shutil.copy(demo_master, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("NOAC_DATABASE_URL", url)
    return url

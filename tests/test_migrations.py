"""The schema comes from Alembic migrations, on SQLite and on PostgreSQL."""

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from noac.db import create_db_engine, downgrade, migrate
from tests.conftest import snapshot


def test_migrations_build_the_schema_from_empty_and_are_idempotent(db_url):
    engine = create_db_engine(db_url)
    try:
        migrate(engine)
        first = snapshot(engine)
        migrate(engine)
        assert snapshot(engine) == first
        tables = set(inspect(engine).get_table_names())
        assert {"plant", "unit", "defect_code", "part", "routing_version"} <= tables
        with engine.connect() as connection:
            context = MigrationContext.configure(connection)
            assert compare_metadata(context, SQLModel.metadata) == []
    finally:
        engine.dispose()


def test_downgrade_to_empty_and_back(db_url):
    engine = create_db_engine(db_url)
    try:
        migrate(engine)
        downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate(engine)
        assert "unit" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_schema_enforces_keys_and_checks(engine):
    statements = [
        "INSERT INTO unit (plant_id, code, name, kind, categories)"
        " VALUES (999, 'X', 'x', 'workshop', '')",
        "INSERT INTO plant (code, name) VALUES ('P', 'p')",
    ]
    with engine.begin() as connection:
        connection.execute(text(statements[1]))
    for bad in [
        statements[0],
        "INSERT INTO unit (plant_id, code, name, kind, categories) "
        "SELECT id, 'X', 'x', 'canteen', '' FROM plant",
        "INSERT INTO plant (code, name) VALUES ('P', 'again')",
    ]:
        try:
            with engine.begin() as connection:
                connection.execute(text(bad))
        except IntegrityError:
            continue
        raise AssertionError(f"the database accepted: {bad}")


def test_sqlite_connections_enforce_foreign_keys_and_use_wal(tmp_path):
    engine = create_db_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 10000
    finally:
        engine.dispose()


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_postgresql_compresses_decompositions_with_lz4_and_downgrade_restores_default(db_url):
    engine = create_db_engine(db_url)
    compression = (
        "SELECT attcompression FROM pg_attribute"
        " WHERE attrelid = 'month_result'::regclass AND attname = 'decomposition'"
    )
    try:
        migrate(engine)
        with engine.connect() as connection:
            assert connection.execute(text(compression)).scalar() == "l"
        downgrade(engine, "0008")
        with engine.connect() as connection:
            assert connection.execute(text(compression)).scalar() == ""
    finally:
        engine.dispose()


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_postgresql_sessions_keep_utc_whatever_the_server_s_zone_and_plan_for_indexes(db_url):
    """A time sent as a parameter is stored as the UTC time, as a literal or a ``COPY``
    stores it: on a server in Shanghai a parameter came out 8 hours later than the others."""
    engine = create_db_engine(db_url)
    try:
        with engine.connect() as connection:
            name = make_url(db_url).database
            connection.execute(text(f"ALTER DATABASE \"{name}\" SET timezone TO 'Asia/Shanghai'"))
            connection.commit()
        engine.dispose()  # new sessions start in the database's zone
        noon = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
        with engine.connect() as connection:
            assert connection.execute(text("SHOW timezone")).scalar() == "UTC"
            # and they plan one plant's joins through the indexes (docs/PERFORMANCE.md)
            assert connection.execute(text("SHOW random_page_cost")).scalar() == "1.1"
            stored = connection.execute(text("SELECT CAST(:at AS timestamp)"), {"at": noon})
            assert stored.scalar() == datetime(2026, 3, 1, 12, 0)
    finally:
        engine.dispose()

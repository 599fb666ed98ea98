"""The schema comes from Alembic migrations, on SQLite and on PostgreSQL."""

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from noac.db import create_db_engine, downgrade, migrate, schema_filter
from noac.errors import NoacError
from noac.models import AuditRecord
from noac.services import audit
from noac.services.access import SYSTEM
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
            compared = schema_filter(connection.dialect.name)
            context = MigrationContext.configure(connection, opts={"include_object": compared})
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


SCORE = (
    "INSERT INTO score (plant_id, month, rater_unit_id, ratee_unit_id, criterion, value,"
    " comment, version, submitted_by, submitted_at)"
)


def _score(plant: int, rater: int, ratee: int) -> str:
    return (
        f"{SCORE} VALUES ({plant}, '2026-01', {rater}, {ratee}, 'quality', 3, '', 1, 'x',"
        " CURRENT_TIMESTAMP)"
    )


def _plant_with_units(connection, code: str, units: int) -> tuple[int, list[int]]:
    plant = connection.execute(
        text("INSERT INTO plant (code, name) VALUES (:code, :code) RETURNING id"), {"code": code}
    ).scalar_one()
    made = "INSERT INTO unit (plant_id, code, name, kind, categories)"
    ids = [
        connection.execute(
            text(f"{made} VALUES (:plant, :code, :code, 'workshop', '') RETURNING id"),
            {"plant": plant, "code": f"{code}{n}"},
        ).scalar_one()
        for n in range(units)
    ]
    return plant, ids


def test_a_score_names_an_existing_plant_and_units_which_then_stay(engine):
    """On PostgreSQL triggers check these once per statement (migration 0010), on SQLite
    foreign keys: either way a user's scores never name a plant or unit that is gone."""
    with engine.begin() as connection:
        plant, (a, b, c) = _plant_with_units(connection, "P", 3)
        other, _ = _plant_with_units(connection, "Q", 0)
        connection.execute(text(_score(plant, a, b)))
        connection.execute(text(_score(other, b, a)))
    refused = [
        _score(plant, 9999, b),
        _score(plant, a, 9999),
        _score(9999, a, b),
        # one statement, one of its rows wrong: none is stored
        f"{SCORE} SELECT {plant}, '2026-02', rater, ratee, 'quality', 3, '', 1, 'x',"
        f" CURRENT_TIMESTAMP FROM (SELECT {a} AS rater, {b} AS ratee"
        f" UNION ALL SELECT {b}, {c} UNION ALL SELECT {c}, 9999) AS pairs",
        f"UPDATE score SET ratee_unit_id = 9999 WHERE rater_unit_id = {a}",
        f"UPDATE score SET plant_id = 9999 WHERE rater_unit_id = {a}",
        f"DELETE FROM unit WHERE id = {b}",
        f"UPDATE unit SET id = 9999 WHERE id = {a}",
        f"DELETE FROM plant WHERE id = {other}",  # it has no units: only a score names it
    ]
    before = snapshot(engine)
    for statement in refused:
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(text(statement))
    assert snapshot(engine) == before
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE unit SET name = 'renamed' WHERE id = {b}"))
        connection.execute(text(f"UPDATE score SET value = 4 WHERE rater_unit_id = {a}"))
        connection.execute(text(f"DELETE FROM unit WHERE id = {c}"))
        assert connection.execute(text("SELECT count(*) FROM unit")).scalar() == 2


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_postgresql_holds_a_unit_being_scored_until_the_scores_are_committed(engine):
    """The units a statement's scores name are locked as a foreign key locks them: a unit
    can be neither deleted while scores of it are being written nor scored while it is
    being deleted, and whichever commits second is refused."""
    with engine.begin() as connection:
        plant, (a, b, c) = _plant_with_units(connection, "P", 3)
    with engine.connect() as scoring, engine.connect() as deleting:
        deleting.execute(text("SET lock_timeout = '300ms'"))
        scoring.execute(text(_score(plant, a, b)))
        with pytest.raises(NoacError, match="another change to the same data"):
            deleting.execute(text(f"DELETE FROM unit WHERE id = {b}"))
        deleting.rollback()
        scoring.commit()
        with pytest.raises(IntegrityError):
            deleting.execute(text(f"DELETE FROM unit WHERE id = {b}"))
        deleting.rollback()

        scoring.execute(text("SET lock_timeout = '300ms'"))
        deleting.execute(text(f"DELETE FROM unit WHERE id = {c}"))
        with pytest.raises(NoacError, match="another change to the same data"):
            scoring.execute(text(_score(plant, a, c)))
        scoring.rollback()
        deleting.commit()
        with pytest.raises(IntegrityError):
            scoring.execute(text(_score(plant, a, c)))
        scoring.rollback()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM score")).scalar() == 1


def test_sqlite_connections_enforce_foreign_keys_and_use_wal(tmp_path):
    engine = create_db_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 10000
    finally:
        engine.dispose()


def test_service_relations_stored_before_their_dates_stay_in_force_from_the_beginning(db_url):
    engine = create_db_engine(db_url)
    relations = "SELECT provider_unit_id, customer_unit_id, weight FROM service_relation"
    try:
        migrate(engine, "0010")
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO plant (id, code, name) VALUES (1, 'P', 'p')"))
            for unit in (1, 2, 3):
                connection.execute(
                    text(
                        "INSERT INTO unit (id, plant_id, code, name, kind, categories)"
                        f" VALUES ({unit}, 1, 'U{unit}', 'u', 'department', '')"
                    )
                )
            connection.execute(text("INSERT INTO service_relation VALUES (1, 2, 2.5), (1, 3, 1)"))
        migrate(engine)
        dated = (
            "SELECT provider_unit_id, customer_unit_id, weight, effective_from"
            " FROM service_relation ORDER BY customer_unit_id"
        )
        with engine.begin() as connection:
            assert connection.execute(text(dated)).all() == [(1, 2, 2.5, None), (1, 3, 1.0, None)]
            connection.execute(
                text(
                    "INSERT INTO service_relation"
                    " (provider_unit_id, customer_unit_id, weight, effective_from)"
                    " VALUES (1, 2, 4, '2026-05-01')"
                )
            )
        downgrade(engine, "0010")
        with engine.connect() as connection:
            kept = connection.execute(text(f"{relations} ORDER BY customer_unit_id")).all()
        assert kept == [(1, 2, 4.0), (1, 3, 1.0)]  # each pair's newest entry
    finally:
        engine.dispose()


def test_a_service_relation_ended_after_the_upgrade_is_served_again_after_a_downgrade(db_url):
    engine = create_db_engine(db_url)
    entry = (
        "INSERT INTO service_relation (provider_unit_id, customer_unit_id, weight, effective_from)"
        " VALUES (1, 2, {weight}, '2026-05-01')"
    )
    try:
        migrate(engine, "0013")
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO plant (id, code, name) VALUES (1, 'P', 'p')"))
            for unit in (1, 2):
                connection.execute(
                    text(
                        "INSERT INTO unit (id, plant_id, code, name, kind, categories)"
                        f" VALUES ({unit}, 1, 'U{unit}', 'u', 'department', '')"
                    )
                )
            connection.execute(
                text(
                    "INSERT INTO service_relation (provider_unit_id, customer_unit_id, weight)"
                    " VALUES (1, 2, 2.5)"
                )
            )
        migrate(engine)
        with engine.begin() as connection:
            connection.execute(text(entry.format(weight=0)))
        downgrade(engine, "0013")
        relations = "SELECT customer_unit_id, weight, effective_from FROM service_relation"
        with engine.connect() as connection:
            assert connection.execute(text(relations)).all() == [(2, 2.5, None)]
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(text(entry.format(weight=0)))
    finally:
        engine.dispose()


def test_months_closed_before_names_were_stored_keep_the_names_of_the_upgrade(db_url):
    engine = create_db_engine(db_url)
    try:
        migrate(engine, "0011")
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO plant (id, code, name) VALUES (1, 'P', 'p')"))
            connection.execute(
                text(
                    "INSERT INTO unit (id, plant_id, code, name, kind, categories)"
                    " VALUES (7, 1, 'SHEET', '钣金分厂', 'workshop', '')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO month_result (plant_id, month, run, unit_id, raters, target,"
                    " satisfaction_term, defect_points, overdue_points, escape_points,"
                    " penalty_points, coefficient, flags, decomposition, scheme_hash, computed_at)"
                    " VALUES (1, '2026-03', 1, 7, 0, 85, 0, 0, 0, 0, 0, 1, '', '{}', 'h',"
                    " '2026-04-01 00:00:00')"
                )
            )
        migrate(engine)
        with engine.connect() as connection:
            names = connection.execute(text("SELECT unit_name FROM month_result")).scalars()
            assert list(names) == ["钣金分厂"]
        downgrade(engine, "0011")
        assert "unit_name" not in {c["name"] for c in inspect(engine).get_columns("month_result")}
    finally:
        engine.dispose()


def test_records_written_before_the_chain_are_chained_at_the_upgrade_and_verify(db_url):
    engine = create_db_engine(db_url)
    try:
        migrate(engine, "0012")
        with engine.begin() as connection:
            for n, at in enumerate(("2026-11-02 08:00:00", "2026-11-02 08:00:00.250000", None)):
                connection.execute(
                    text(
                        "INSERT INTO audit_record (at, actor, action, entity, entity_id,"
                        " before, after, reason) VALUES (:at, 'quinn', 'rule', 'quality_problem',"
                        " :ref, 'null', :after, '')"
                    ),
                    {
                        "at": at or datetime(2026, 11, 3, 9, 30, 0, 1, tzinfo=UTC),
                        "ref": f"Q-{n}",
                        "after": '{"responsible": {"钣金": 1.0}}',
                    },
                )
        migrate(engine)
        with Session(engine) as session:
            check = audit.verify_trail(session=session, actor=SYSTEM)
            chains = session.exec(select(AuditRecord.chain).order_by(col(AuditRecord.id))).all()
        assert (check.verifies, check.records, check.head) == (True, 3, chains[-1])
        assert len(set(chains)) == 3
        downgrade(engine, "0012")
        assert "chain" not in {c["name"] for c in inspect(engine).get_columns("audit_record")}
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

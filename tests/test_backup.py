"""Backup and restore, on SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session
from typer.testing import CliRunner

from noac.backup import backup, restore, restore_recorded
from noac.cli import app
from noac.db import check_schema, create_db_engine, downgrade, migrate, schema_head
from noac.demo import build
from noac.errors import NoacError
from noac.services import audit
from tests.conftest import POSTGRES_URL, SYSTEM, snapshot


def _snapshot(url: str) -> dict[str, list[tuple]]:
    """Take a snapshot and close every connection, as a restore needs."""
    engine = create_db_engine(url)
    try:
        return snapshot(engine)
    finally:
        engine.dispose()


def _execute(url: str, *statements: str) -> None:
    engine = create_db_engine(url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def _small_database(url: str) -> dict[str, list[tuple]]:
    """A migrated database with one plant; returns its snapshot."""
    engine = create_db_engine(url)
    try:
        migrate(engine)
    finally:
        engine.dispose()
    _execute(url, "INSERT INTO plant (code, name) VALUES ('P1', 'Plant one')")
    return _snapshot(url)


def test_restore_brings_back_the_backed_up_demo(db_url, tmp_path):
    list(build(db_url))
    original = _snapshot(db_url)
    assert original["problem_event"], "the demo should have problem events"
    target = tmp_path / "noac.backup"

    backup(db_url, target)
    assert target.is_file() and target.stat().st_size > 0

    _execute(
        db_url,
        "DELETE FROM problem_event",
        "INSERT INTO plant (code, name) VALUES ('ZZZ', 'Not in the backup')",
    )
    changed = _snapshot(db_url)
    assert changed != original
    assert changed["problem_event"] == []

    restore(db_url, target)

    restored = _snapshot(db_url)
    assert sorted(restored) == sorted(original)
    for table, rows in original.items():
        assert restored[table] == rows, f"table {table} differs after the restore"


def _trail(url: str) -> list[tuple]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                text("SELECT id, actor, action, entity_id, before, after FROM audit_record")
            ).all()
    finally:
        engine.dispose()


def test_a_restore_is_recorded_with_how_far_the_replaced_trail_went(db_url, tmp_path):
    _small_database(db_url)
    target = tmp_path / "noac.backup"
    _execute(
        db_url,
        "INSERT INTO audit_record (at, actor, action, entity, entity_id, before, after, reason,"
        " chain) VALUES ('2026-11-02 08:00:00', 'quinn', 'close', 'month', 'P1/2026-10', '', '',"
        " '', 'c1')",
    )
    written = CliRunner().invoke(app, ["--db", db_url, "backup", str(target)])
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    assert written.output == f"backed up to {target} (SHA-256 {digest})\n"
    original = _snapshot(db_url)
    _execute(
        db_url,
        "INSERT INTO audit_record (at, actor, action, entity, entity_id, before, after, reason,"
        " chain) VALUES ('2026-11-03 09:30:00', 'quinn', 'reopen', 'month', 'P1/2026-10', '', '',"
        " 'x', 'c2')",
        "INSERT INTO plant (code, name) VALUES ('ZZZ', 'Not in the backup')",
        "INSERT INTO app_user (username, display_name, role, password_hash, created_at, active,"
        " failed_logins) VALUES ('quality', 'Q', 'quality', 'x', '2026-11-01 08:00:00', TRUE, 0)",
    )
    runner = CliRunner()
    before = _snapshot(db_url)
    refused = runner.invoke(app, ["--db", db_url, "--as", "quality", "restore", str(target)])
    assert refused.exit_code == 1
    assert "quality (quality) may not restore a backup over the database" in refused.output
    assert _snapshot(db_url) == before
    result = runner.invoke(app, ["--db", db_url, "restore", str(target)])
    assert result.exit_code == 0, result.output
    restored = _snapshot(db_url)
    assert {t: rows for t, rows in restored.items() if t != "audit_record"} == {
        t: rows for t, rows in original.items() if t != "audit_record"
    }
    *kept, (_, actor, action, entity_id, replaced, now) = _trail(db_url)
    assert [row[:4] for row in kept] == [(1, "quinn", "close", "P1/2026-10")]
    assert (actor, action, entity_id) == ("system", "restore", "noac.backup")
    # the replaced trail went to the reopening, which the restore took away
    assert json.loads(replaced)["audit_trail"]["records"] == 2
    assert json.loads(replaced)["audit_trail"]["last_at"].startswith("2026-11-03 09:30:00")
    assert json.loads(replaced)["audit_trail"]["head"] == "c2"
    assert json.loads(now)["audit_trail"]["records"] == 1
    assert json.loads(now)["audit_trail"]["head"] == "c1"
    # which file was restored: its place and its content
    assert json.loads(now)["backup"] == {
        "file": str(target.resolve()),
        "sha256": digest,
        "schema": schema_head(),
    }
    assert result.output == f"restored from {target} (SHA-256 {digest})\n"


def test_backup_refuses_an_existing_target(db_url, tmp_path):
    _small_database(db_url)
    target = tmp_path / "noac.backup"
    target.write_text("keep me", encoding="utf-8")

    with pytest.raises(NoacError, match="already exists"):
        backup(db_url, target)

    assert target.read_text(encoding="utf-8") == "keep me"


def test_backup_refuses_a_missing_folder(db_url, tmp_path):
    _small_database(db_url)
    target = tmp_path / "missing" / "noac.backup"

    with pytest.raises(NoacError, match="does not exist"):
        backup(db_url, target)

    assert not target.parent.exists()


def test_failed_backup_leaves_no_file(db_url, tmp_path):
    if make_url(db_url).get_backend_name() == "sqlite":
        broken = tmp_path / "broken.db"
        broken.write_text("this is not a SQLite database\n" * 100, encoding="utf-8")
        url = f"sqlite:///{broken}"
    else:
        url = make_url(db_url).set(database="noac_no_such_database").render_as_string(False)
    target = tmp_path / "noac.backup"

    with pytest.raises(NoacError, match="failed"):
        backup(url, target)

    assert not target.exists()


def test_restore_refuses_a_file_that_is_not_a_backup(db_url, tmp_path):
    before = _small_database(db_url)
    source = tmp_path / "notes.txt"
    source.write_text("plant;name\nP2;Not a backup\n" * 50, encoding="utf-8")

    with pytest.raises(NoacError, match="not a"):
        restore(db_url, source)

    assert _snapshot(db_url) == before


def test_restore_refuses_a_missing_file(db_url, tmp_path):
    before = _small_database(db_url)

    with pytest.raises(NoacError, match="does not exist"):
        restore(db_url, tmp_path / "missing.backup")

    assert _snapshot(db_url) == before


def test_sqlite_backup_refuses_a_missing_database(tmp_path):
    target = tmp_path / "noac.backup"

    with pytest.raises(NoacError, match="does not exist"):
        backup(f"sqlite:///{tmp_path / 'missing.db'}", target)

    assert not target.exists()
    assert not (tmp_path / "missing.db").exists()


def test_restore_refuses_a_backup_of_a_database_that_is_not_noac(db_url, tmp_path):
    other = tmp_path / "other.backup"
    _execute(db_url, "CREATE TABLE thing (id INTEGER PRIMARY KEY)")
    backup(db_url, other)
    _execute(db_url, "DROP TABLE thing")
    before = _small_database(db_url)

    with pytest.raises(NoacError, match="but not a NOAC backup"):
        restore(db_url, other)

    assert _snapshot(db_url) == before


@pytest.mark.parametrize("tool", ["pg_dump", "pg_restore"])
def test_missing_postgresql_client_tools_are_named(tool, tmp_path, monkeypatch):
    monkeypatch.setattr("noac.backup.shutil.which", lambda name: None)
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    path = tmp_path / "noac.backup"
    if tool == "pg_restore":
        path.write_bytes(b"PGDMP")

    with pytest.raises(NoacError, match=f"{tool} is not installed"):
        (backup if tool == "pg_dump" else restore)(url, path)

    if tool == "pg_dump":
        assert not path.exists()


def test_unsupported_database_is_refused(tmp_path):
    with pytest.raises(NoacError, match="SQLite and PostgreSQL"):
        backup("mysql://user@localhost/noac", tmp_path / "noac.backup")


@pytest.mark.parametrize("target", ["new", "old schema"])
def test_a_restore_with_as_where_no_user_can_be_read_names_the_local_administrator(
    target, tmp_path
):
    source = f"sqlite:///{tmp_path / 'noac.db'}"
    _small_database(source)
    backup_file = tmp_path / "noac.backup"
    backup(source, backup_file)
    replaced = tmp_path / "replaced.db"
    url = f"sqlite:///{replaced}"
    if target == "old schema":
        _small_database(url)
        engine = create_db_engine(url)
        try:
            downgrade(engine, "0010")
        finally:
            engine.dispose()
        before = _snapshot(url)

    refused = CliRunner().invoke(app, ["--db", url, "--as", "admin", "restore", str(backup_file)])

    assert refused.exit_code == 1
    assert "its users cannot be read" in refused.output
    assert "leave out --as" in refused.output
    if target == "new":
        assert not replaced.exists()
    else:
        assert _snapshot(url) == before


def test_a_restore_with_as_onto_a_missing_postgresql_database_names_the_local_administrator(
    tmp_path,
):
    missing = make_url(POSTGRES_URL).set(database="noac_no_such_database").render_as_string(False)
    backup_file = tmp_path / "noac.backup"
    backup_file.write_bytes(b"")
    refused = CliRunner().invoke(
        app, ["--db", missing, "--as", "admin", "restore", str(backup_file)]
    )
    assert refused.exit_code == 1
    assert "its users cannot be read" in refused.output and "leave out --as" in refused.output


def test_a_restore_onto_a_missing_postgresql_database_names_it(tmp_path):
    missing = make_url(POSTGRES_URL).set(database="noac_no_such_database").render_as_string(False)
    backup_file = tmp_path / "noac.backup"
    backup_file.write_bytes(b"")

    refused = CliRunner().invoke(app, ["--db", missing, "restore", str(backup_file)])

    assert refused.exit_code == 1
    assert "error: cannot restore into" in refused.output
    assert 'database "noac_no_such_database" does not exist' in refused.output


def test_a_restore_onto_a_database_at_an_older_schema_records_how_far_its_trail_went(
    db_url, tmp_path
):
    _small_database(db_url)
    backup_file = tmp_path / "noac.backup"
    backup(db_url, backup_file)
    engine = create_db_engine(db_url)
    try:
        downgrade(engine, "0012")
    finally:
        engine.dispose()
    _execute(
        db_url,
        "INSERT INTO audit_record (at, actor, action, entity, entity_id, before, after, reason)"
        " VALUES ('2026-11-02 08:00:00', 'quinn', 'close', 'month', 'P1/2026-10', '', '', '')",
    )

    result = CliRunner().invoke(app, ["--db", db_url, "restore", str(backup_file)])

    assert result.exit_code == 0, result.output
    *_, (_, actor, action, _, replaced, _) = _trail(db_url)
    assert (actor, action) == ("system", "restore")
    assert json.loads(replaced)["audit_trail"]["records"] == 1


def test_a_backup_named_from_the_home_folder_is_restored_and_recorded(
    db_url, tmp_path, monkeypatch
):
    """A path given as ~/...: the file restored is the one recorded, place and SHA-256."""
    monkeypatch.setenv("HOME", str(tmp_path))
    _small_database(db_url)
    backup(db_url, Path("~/noac.backup"))
    target = tmp_path / "noac.backup"

    restored = restore_recorded(db_url, Path("~/noac.backup"), SYSTEM)

    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    assert restored.sha256 == digest
    *_, (_, actor, action, entity_id, _, now) = _trail(db_url)
    assert (actor, action, entity_id) == ("system", "restore", "noac.backup")
    assert json.loads(now)["backup"] == {
        "file": str(target.resolve()),
        "sha256": digest,
        "schema": schema_head(),
    }


def _backup_at(url: str, schema: str, target) -> None:
    """Back up the database at ``url`` as it was at ``schema`` (an earlier release's backup),
    then bring the database back to the current schema."""
    engine = create_db_engine(url)
    try:
        downgrade(engine, schema)
        backup(url, target)
        migrate(engine)
    finally:
        engine.dispose()


def test_a_backup_of_an_earlier_schema_is_restored_and_brought_to_the_current_one(db_url, tmp_path):
    """A backup taken before an upgrade can be restored after it: the database is brought to
    this NOAC's schema, then the restore is recorded."""
    original = _small_database(db_url)
    old = tmp_path / "old.backup"
    _backup_at(db_url, "0012", old)
    _execute(db_url, "INSERT INTO plant (code, name) VALUES ('ZZZ', 'Not in the backup')")

    result = CliRunner().invoke(app, ["--db", db_url, "restore", str(old)])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        f"{old} is a backup at schema 0012: brought to schema {schema_head()}"
    )
    restored = _snapshot(db_url)
    assert restored["plant"] == original["plant"]
    *_, (_, actor, action, _, _, now) = _trail(db_url)
    assert (actor, action) == ("system", "restore")
    assert json.loads(now)["backup"]["schema"] == "0012"
    engine = create_db_engine(db_url)
    try:
        check_schema(engine)  # the app and the commands read it
        with Session(engine) as session:
            assert audit.verify_trail(session=session, actor=SYSTEM).verifies
    finally:
        engine.dispose()


def test_a_backup_of_a_schema_this_noac_does_not_know_is_refused(db_url, tmp_path):
    """A backup written by a newer release: this one cannot read it."""
    _small_database(db_url)
    newer = tmp_path / "newer.backup"
    _execute(db_url, "UPDATE alembic_version SET version_num = '9999'")
    backup(db_url, newer)
    _execute(db_url, f"UPDATE alembic_version SET version_num = '{schema_head()}'")
    before = _snapshot(db_url)

    refused = CliRunner().invoke(app, ["--db", db_url, "restore", str(newer)])

    assert refused.exit_code == 1
    assert refused.output == (
        f"error: {newer} is a backup of a NOAC database at schema 9999, which this NOAC does"
        f" not know (it works at schema {schema_head()}): restore it with the NOAC release"
        " that wrote it\n"
    )
    assert _snapshot(db_url) == before


def test_a_backup_from_before_schema_0010_is_refused_on_postgresql_only(db_url, tmp_path):
    """Schema 0010 made objects on PostgreSQL that an older archive does not hold, which its
    restore would leave in the way of the upgrade; a SQLite backup is the whole file."""
    _small_database(db_url)
    old = tmp_path / "old.backup"
    _backup_at(db_url, "0009", old)
    before = _snapshot(db_url)

    result = CliRunner().invoke(app, ["--db", db_url, "restore", str(old)])

    if db_url.startswith("sqlite"):
        assert result.exit_code == 0, result.output
        assert f"{old} is a backup at schema 0009: brought to schema" in result.output
        return
    assert result.exit_code == 1
    assert result.output == (
        f"error: {old} is a backup of a NOAC database at schema 0009, older than this NOAC"
        " brings a PostgreSQL backup from (schema 0010): restore it with the NOAC release that"
        " wrote it, then run `noac init` of this one\n"
    )
    assert _snapshot(db_url) == before


def _damage(database, at: int) -> None:
    """Overwrite 8 KiB of ``database`` from byte ``at`` with garbage, as a failing disk would."""
    with database.open("r+b") as file:
        file.seek(at)
        file.write(b"\xff" * 8192)


@pytest.mark.parametrize("damage", ["header", "pages"])
def test_a_damaged_sqlite_database_is_restored_over_or_named_with_what_to_do(damage, tmp_path):
    database = tmp_path / "noac.db"
    url = f"sqlite:///{database}"
    _small_database(url)
    backup_file = tmp_path / "noac.backup"
    backup(url, backup_file)
    original = _snapshot(url)
    _execute(url, "INSERT INTO plant (code, name) VALUES ('ZZZ', 'Not in the backup')")
    _damage(database, 0 if damage == "header" else 100)

    result = CliRunner().invoke(app, ["--db", url, "restore", str(backup_file)])

    if damage == "header":  # SQLite cannot write over a file it does not recognise
        assert result.exit_code == 1
        assert f"cannot restore into {database}: it is damaged (file is not a database)" in (
            result.output
        )
        assert "move it aside, then restore again" in result.output
        return
    assert result.exit_code == 0, result.output
    restored = _snapshot(url)
    assert restored["plant"] == original["plant"]
    *_, (_, actor, action, _, replaced, _) = _trail(url)
    assert (actor, action) == ("system", "restore")
    assert json.loads(replaced)["audit_trail"] == {"unreadable": "database disk image is malformed"}


def test_a_restore_with_as_over_a_damaged_database_names_the_local_administrator(tmp_path):
    database = tmp_path / "noac.db"
    url = f"sqlite:///{database}"
    _small_database(url)
    backup_file = tmp_path / "noac.backup"
    backup(url, backup_file)
    _damage(database, 100)
    damaged = database.read_bytes()

    refused = CliRunner().invoke(app, ["--db", url, "--as", "admin", "restore", str(backup_file)])

    assert refused.exit_code == 1
    assert f"{url} is damaged (database disk image is malformed)" in refused.output
    assert "its users cannot be read" in refused.output and "leave out --as" in refused.output
    assert database.read_bytes() == damaged

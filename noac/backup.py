"""Backup and restore of the whole database.

SQLite databases are copied page by page with SQLite's online backup API, so a
backup can be taken while NOAC is running and is itself a SQLite file.
PostgreSQL databases are dumped with ``pg_dump`` in its custom format and
restored with ``pg_restore``; both come with the PostgreSQL client tools
(Debian package ``postgresql-client``), whose major version should be at least
the server's.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import inspect
from sqlalchemy.engine import URL
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlmodel import Session

from noac.db import (
    check_schema,
    create_db_engine,
    database_url,
    known_schemas,
    migrate,
    schema_head,
    sqlite_file,
)
from noac.errors import NoacError
from noac.services import audit
from noac.services.access import Actor, require
from noac.services.users import actor_for
from noac.settings import get_settings

__all__ = ["backup", "restore", "restore_recorded", "restoring_user"]


def backup(url: str, target: Path) -> str:
    """Copy the database at ``url`` into the new file ``target``; return its SHA-256
    (``digest``), which tells this backup's content from any other's.

    Parameters
    ----------
    url : str
        SQLAlchemy URL of the database to back up (SQLite or PostgreSQL).
    target : pathlib.Path
        File to create. For SQLite it becomes a SQLite database of its own;
        for PostgreSQL, a ``pg_dump`` archive in the custom format.

    Raises
    ------
    NoacError
        If the folder of ``target`` does not exist, ``target`` already exists
        (it is never overwritten), the SQLite database file does not exist,
        ``pg_dump`` is not installed or fails, or the database is neither
        SQLite nor PostgreSQL. No partial ``target`` is left behind.

    Notes
    -----
    Other programs may keep using the database meanwhile: the SQLite copy is
    taken in one step under a read lock and ``pg_dump`` reads one consistent
    snapshot.
    """
    parsed = database_url(url)
    target = Path(target).expanduser()
    backend = parsed.get_backend_name()
    database = _sqlite_file(parsed) if backend == "sqlite" else None
    if database is not None and not database.is_file():
        raise NoacError(f"cannot back up {database}: the SQLite database file does not exist")
    pg_dump = _tool("pg_dump") if backend == "postgresql" else None
    if not target.parent.is_dir():
        raise NoacError(
            f"cannot write the backup {target}: the folder {target.parent} does not exist"
        )
    try:
        # Reserve the name atomically, so that nothing existing is overwritten.
        target.open("xb").close()
    except FileExistsError:
        raise NoacError(
            f"the backup file {target} already exists: choose another name or remove it first"
        ) from None
    except OSError as error:
        raise NoacError(f"cannot create the backup file {target}: {error}") from error
    try:
        if database is not None:
            _sqlite_backup(database, target)
        else:
            _run(
                [
                    pg_dump,
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    "--file",
                    str(target),
                ],
                parsed,
                f"backup of {_display(parsed)} into {target}",
            )
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return digest(target)


def digest(path: Path) -> str:
    """The SHA-256 of the file at ``path``, in hex."""
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


# The oldest schema a PostgreSQL backup is brought from: 0010 made functions an archive from
# before does not hold, which its restore would leave in the way of the upgrade.
OLDEST_POSTGRESQL_SCHEMA = "0010"


def restore(url: str, source: Path) -> str | None:
    """Replace the contents of the database at ``url`` by the backup ``source``, then bring a
    backup of an earlier schema to this NOAC's (``migrate``); return that earlier schema.

    Parameters
    ----------
    url : str
        SQLAlchemy URL of the database to restore into (SQLite or PostgreSQL).
        Close every connection to it first (dispose engines): PostgreSQL
        restores wait for the locks of other sessions.
    source : pathlib.Path
        A backup written by :func:`backup` for the same kind of database.

    Raises
    ------
    NoacError
        If ``source`` does not exist, is not a backup of the right kind or holds
        a schema this NOAC does not know (or, on PostgreSQL, one before
        ``OLDEST_POSTGRESQL_SCHEMA``), the SQLite database is ``source``
        itself or too damaged for SQLite to write over, ``pg_restore`` is not
        installed or fails, or the database is neither SQLite nor PostgreSQL. The
        database is left unchanged then: ``source`` is checked before anything
        is written, a SQLite copy happens in one transaction and
        ``pg_restore`` runs in a single transaction.

    Notes
    -----
    A restored SQLite database equals the backup. On PostgreSQL the objects
    of the archive are dropped and recreated; tables that the archive does not
    know (say, from a newer schema) are left as they are.
    """
    parsed = database_url(url)
    source = Path(source).expanduser()
    backend = parsed.get_backend_name()
    if not source.is_file():
        raise NoacError(f"cannot restore from {source}: the file does not exist")
    if backend == "sqlite":
        version = _sqlite_restore(source, _sqlite_file(parsed))
        return _upgrade(url, source, version)
    pg_restore = _tool("pg_restore")
    version = _pg_schema_version(pg_restore, source)
    if version is None:
        raise NoacError(
            f"{source} is a PostgreSQL backup but not a NOAC backup (no schema version)"
        )
    _refuse_unknown_schema(source, version)
    if version < OLDEST_POSTGRESQL_SCHEMA:
        raise NoacError(
            f"{source} is a backup of a NOAC database at schema {version}, older than this NOAC"
            f" brings a PostgreSQL backup from (schema {OLDEST_POSTGRESQL_SCHEMA}): restore it"
            " with the NOAC release that wrote it, then run `noac init` of this one"
        )
    _run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            str(source),
        ],
        parsed,
        f"restore of {_display(parsed)} from {source}",
    )
    return _upgrade(url, source, version)


def _upgrade(url: str, source: Path, version: str) -> str | None:
    """Bring the database at ``url``, just restored from ``source`` at schema ``version``,
    to this NOAC's schema; return ``version`` if it was an earlier one."""
    if version == schema_head():
        return None
    engine = create_db_engine(url)
    try:
        migrate(engine)
    except Exception as error:
        raise NoacError(
            f"{source} was restored at schema {version}, but bringing it to schema"
            f" {schema_head()} failed: {error}; run `noac init` to try again"
        ) from error
    finally:
        engine.dispose()
    return version


class Restored(NamedTuple):
    """The file a restore read: its SHA-256, and its schema where it was an earlier one."""

    sha256: str
    earlier_schema: str | None


def restore_recorded(url: str, source: Path, actor: Actor) -> Restored:
    """:func:`restore`, then record in the restored database's audit trail who restored
    ``source`` over what: how far the replaced database's trail went (records, last id, time
    and head), which the restore takes away, how far the restored one goes, and which file
    was restored (its place, SHA-256 and schema)."""
    require(actor, "restore-backup")
    source = Path(source).expanduser()  # as restore reads it
    replaced = _trail_end(url)
    earlier = restore(url, source)
    restored_file = {
        "file": str(source.resolve()),
        "sha256": digest(source),
        "schema": earlier or schema_head(),
    }
    engine = create_db_engine(url)
    try:
        with Session(engine) as session:
            restored = audit.trail_end(session)
            audit.record(
                session,
                actor,
                "restore",
                "database",
                source.name,
                {"audit_trail": replaced},
                {"audit_trail": restored, "backup": restored_file},
            )
            session.commit()
    finally:
        engine.dispose()
    return Restored(restored_file["sha256"], earlier)


def restoring_user(url: str, username: str) -> Actor:
    """The user ``username`` of the database at ``url``, about to restore a backup over it.

    A database that does not exist yet, or not at the current schema, has no users to read:
    a restore over it is the local administrator's (``noac restore`` without ``--as``).
    """
    parsed = database_url(url)
    cannot = (
        f"{_display(parsed)} holds no NOAC database at the current schema, so its users cannot"
        " be read: a restore over it is done by the local administrator (leave out --as)"
    )
    if parsed.get_backend_name() == "sqlite" and not _sqlite_file(parsed).is_file():
        raise NoacError(cannot)  # an engine would create the file
    engine = create_db_engine(url)
    try:
        try:
            check_schema(engine)
        except (NoacError, OperationalError):  # not migrated, or no such database
            raise NoacError(cannot) from None
        with Session(engine) as session:
            return actor_for(session=session, username=username)
    except DatabaseError as error:
        raise NoacError(
            f"{_display(parsed)} is damaged ({error.orig}), so its users cannot be read: a"
            " restore over it is done by the local administrator (leave out --as)"
        ) from None
    finally:
        engine.dispose()


def _trail_end(url: str) -> dict | None:
    """``audit.trail_end`` of the database at ``url``; None where there is none yet, and
    ``{"unreadable": why}`` for a damaged database, which the restore replaces."""
    parsed = database_url(url)
    if parsed.get_backend_name() == "sqlite" and not _sqlite_file(parsed).is_file():
        return None  # an engine would create the file
    engine = create_db_engine(url)
    try:
        inspector = inspect(engine)
        if not inspector.has_table("audit_record"):
            return None
        columns = {column["name"] for column in inspector.get_columns("audit_record")}
        with Session(engine) as session:
            return audit.trail_end(session, chained="chain" in columns)
    except OperationalError as error:  # no such database, or the server refused
        raise NoacError(f"cannot restore into {_display(parsed)}: {error.orig}") from None
    except DatabaseError as error:
        return {"unreadable": str(error.orig)}
    finally:
        engine.dispose()


def _display(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _sqlite_file(url: URL) -> Path:
    file = sqlite_file(url)
    if file is None:
        raise NoacError(f"{_display(url)} does not name a SQLite database file")
    return file


def _sqlite_connect(path: Path, mode: str) -> sqlite3.Connection:
    """Open ``path`` without ever creating it (``mode`` is ``ro`` or ``rw``)."""
    timeout = get_settings().sqlite_busy_timeout_ms / 1000
    uri = f"{path.resolve().as_uri()}?mode={mode}"
    return sqlite3.connect(uri, uri=True, timeout=timeout)


def _sqlite_backup(database: Path, target: Path) -> None:
    try:
        with (
            closing(_sqlite_connect(database, "rw")) as src,
            closing(_sqlite_connect(target, "rw")) as dst,
        ):
            src.backup(dst)
            # A self-contained file: no -wal/-shm companions needed to read it.
            dst.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as error:
        raise NoacError(f"backup of {database} into {target} failed: {error}") from error


def _sqlite_restore(source: Path, database: Path) -> str:
    """Copy the SQLite backup ``source`` over ``database``; return its schema version."""
    if database.exists() and database.resolve() == source.resolve():
        raise NoacError(f"cannot restore {database} from itself")
    if not database.parent.is_dir():
        raise NoacError(
            f"cannot restore into {database}: the folder {database.parent} does not exist"
        )
    try:
        src = _sqlite_connect(source, "ro")
    except sqlite3.Error as error:
        raise NoacError(f"cannot open {source}: {error}") from error
    with closing(src):
        try:
            check = [row[0] for row in src.execute("PRAGMA integrity_check")]
            tables = {row[0] for row in src.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as error:
            raise NoacError(f"{source} is not a SQLite backup: {error}") from error
        if check != ["ok"]:
            details = "; ".join(check[:5])
            raise NoacError(f"{source} is a damaged SQLite database: {details}")
        if "alembic_version" not in tables:
            raise NoacError(
                f"{source} is a SQLite database but not a NOAC backup (no schema version)"
            )
        row = src.execute("SELECT version_num FROM alembic_version").fetchone()
        version = row[0] if row else ""
        _refuse_unknown_schema(source, version)
        try:
            mode = "rw" if database.exists() else "rwc"
            with closing(_sqlite_connect(database, mode)) as dst:
                src.backup(dst)
        except sqlite3.Error as error:
            if error.sqlite_errorname in ("SQLITE_CORRUPT", "SQLITE_NOTADB"):
                raise NoacError(
                    f"cannot restore into {database}: it is damaged ({error}); move it aside,"
                    " then restore again"
                ) from error
            raise NoacError(
                f"restore of {database} from {source} failed: {error}"
                " (is NOAC still using the database?)"
            ) from error
    return version


def _refuse_unknown_schema(source: Path, version: str) -> None:
    """Refuse a backup at a schema this NOAC's migrations do not know (a newer release's):
    once restored, it could neither be read nor record its restore."""
    if version not in known_schemas():
        raise NoacError(
            f"{source} is a backup of a NOAC database at schema {version or 'none'}, which this"
            f" NOAC does not know (it works at schema {schema_head()}): restore it with the NOAC"
            " release that wrote it"
        )


def _pg_schema_version(pg_restore: str, source: Path) -> str | None:
    """The schema version the pg_dump archive ``source`` holds, read before the database is
    touched; None for an archive without one ("" for an empty version table).

    Raises NoacError for a file that is not a pg_dump archive in the custom format.
    """
    result = subprocess.run(
        [pg_restore, "--data-only", "--table=alembic_version", "--file=-", str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise NoacError(
            f"{source} is not a PostgreSQL backup written by `noac` (pg_dump custom format):"
            f" {result.stderr.strip()}"
        )
    lines = result.stdout.splitlines()
    for number, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line:
            version = lines[number + 1]
            return "" if version == "\\." else version
    return None


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise NoacError(
            f"{name} is not installed: install the PostgreSQL client tools"
            " (Debian/Ubuntu: postgresql-client) matching the server's version"
        )
    return path


def _run(command: list[str], url: URL, what: str) -> None:
    """Run a PostgreSQL client tool on the database at ``url``.

    The connection is given as a libpq URI by ``--dbname``; its password, if
    any, goes through ``PGPASSWORD`` rather than the command line, where other
    users of the machine could read it.
    """
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    result = subprocess.run(
        [command[0], "--dbname", uri, *command[1:]],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if result.returncode != 0:
        raise NoacError(
            f"{what} failed ({Path(command[0]).name} exited with {result.returncode}):"
            f" {result.stderr.strip()}"
        )

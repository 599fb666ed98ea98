"""``noac bench``: the scale workloads, each against a floor measured in the same run.

Workloads (see docs/PERFORMANCE.md):

1. ``score-import``: every score of the database as one CSV through ``import_file``
   (validated, audited), against a bare ``executemany`` of the same rows into ``score``
   (``COPY`` on PostgreSQL).
2. ``close-month``: ``close_month`` of the last month of every plant, the months before it
   closed first (outside the clock, and reopened after), against one SQL ``GROUP BY``
   computing the volume-weighted mean value per ratee for that month.
3. ``trace``: every problem traced with one ``PlantTracing`` per plant, against loading the
   same problem rows.

They run in the order 3, 1, 2: the import's rewriting of every score slowed a trace after it.
Each workload runs ``runs`` times (median reported), plus one run under ``tracemalloc`` for
the peak of Python allocations. The state a run changes is put back before the next run
(scores deleted and re-imported, the closed month reopened), so every run does the same work.
A SQLite database is copied to a scratch file first and the copy is measured; a PostgreSQL
database is measured in place and left with the same content.
"""

from __future__ import annotations

import csv
import gc
import io
import resource
import shutil
import sqlite3
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from noac.db import create_db_engine
from noac.errors import NoacError
from noac.generate import QUALITY, refuse_users_work
from noac.importers import import_file
from noac.models import Plant, Score
from noac.services.coefficients import close_months, reopen_month
from noac.services.periods import closed_months, open_months_before
from noac.services.problems import problem_trace_rows, trace_problems

SCORE_COLUMNS = (
    "plant_id, month, rater_unit_id, ratee_unit_id, criterion, value, comment,"
    " version, submitted_by, submitted_at"
)


@dataclass
class Figure:
    workload: str
    size: int
    unit: str
    median_s: float
    floor_s: float
    ratio: float
    per_second: float
    peak_mb: float
    runs: list[float]
    floor_runs: list[float]
    note: str = ""


def _timed(step: Callable[[], object]) -> float:
    """Seconds ``step`` takes, or those it returns: a step that prepares its input untimed
    (the import's floor, one plant's rows at a time) times its own measured part."""
    started = time.perf_counter()
    spent = step()
    return spent if isinstance(spent, float) else time.perf_counter() - started


def _peak_mb(prepare: Callable[[], object], step: Callable[[], object]) -> float:
    prepare()
    tracemalloc.start()
    try:
        step()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def _measure(
    name: str,
    unit: str,
    size: int,
    runs: int,
    prepare: Callable[[], object],
    step: Callable[[], object],
    floor_prepare: Callable[[], object],
    floor: Callable[[], object],
    restore: Callable[[], object] = lambda: None,
    note: str = "",
) -> Figure:
    # What the bench itself holds is put out of the garbage collector's reach: no user's
    # process holds it, and the collector's full passes over it made the import look 20 %
    # slower than it is.
    gc.collect()
    gc.freeze()
    times, floors = [], []
    for _ in range(runs):
        floor_prepare()
        floors.append(_timed(floor))
        prepare()
        times.append(_timed(step))
    restore()
    peak = _peak_mb(prepare, step)
    restore()
    gc.unfreeze()
    median, floor_median = statistics.median(times), statistics.median(floors)
    return Figure(
        workload=name,
        size=size,
        unit=unit,
        median_s=round(median, 4),
        floor_s=round(floor_median, 4),
        ratio=round(median / floor_median, 2) if floor_median else float("inf"),
        per_second=round(size / median) if median else 0,
        peak_mb=round(peak, 1),
        runs=[round(t, 4) for t in times],
        floor_runs=[round(t, 4) for t in floors],
        note=note,
    )


def _score_rows(session: Session) -> dict[str, list[tuple]]:
    """Every score per plant code as (month, rater, ratee, criterion, value, comment, ids)."""
    rows = session.execute(
        text(
            "SELECT p.code, s.month, r.code, e.code, s.criterion, s.value, s.comment,"
            " s.plant_id, s.rater_unit_id, s.ratee_unit_id"
            " FROM score s JOIN plant p ON p.id = s.plant_id"
            " JOIN unit r ON r.id = s.rater_unit_id JOIN unit e ON e.id = s.ratee_unit_id"
            " ORDER BY s.id"
        )
    ).all()
    result: dict[str, list[tuple]] = {}
    for row in rows:
        result.setdefault(row[0], []).append(tuple(row[1:]))
    return result


def _score_csv(rows: list[tuple]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("month", "rater", "ratee", "criterion", "value", "comment"))
    writer.writerows(r[:6] for r in rows)
    return buffer.getvalue().encode()


def _delete_scores(session: Session) -> None:
    """Delete every score; on PostgreSQL vacuum the tables too, so that each run, the
    import's and the floor's, writes into the same empty table: without it each wrote into
    a table and an index holding every row the runs before had written and deleted, and
    each run was slower than the one before (the import 13.9, 16.1, 16.7 s)."""
    session.execute(text("DELETE FROM score_history"))
    session.execute(text("DELETE FROM score"))
    session.commit()
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM score, score_history"))


def score_import(session: Session, runs: int, postgres: bool) -> Figure:
    closed = [
        (plant.code, month)
        for plant in session.exec(select(Plant).order_by(Plant.code))
        for month in sorted(closed_months(session=session, plant=plant))
    ]
    if closed:  # the import would refuse its scores once they were deleted
        code, month = closed[0]
        raise NoacError(
            f"the score import deletes and imports every score again, but {month} is"
            f" closed in plant {code}: reopen it first (nothing was changed)"
        )
    by_plant = _score_rows(session)
    files = {code: _score_csv(rows) for code, rows in by_plant.items()}
    size = sum(map(len, by_plant.values()))
    # Only the files are held while the import is measured: with the 1.4 million rows of
    # the floor held besides, every allocation of the import was slower (its file reading
    # three times). The floor makes one plant's rows at a time, outside its clock.
    del by_plant
    units: dict[str, tuple[int, dict[str, int]]] = {}
    unit_rows = "SELECT p.code, p.id, u.code, u.id FROM unit u JOIN plant p ON p.id = u.plant_id"
    for plant, plant_id, unit, unit_id in session.execute(text(unit_rows)).all():
        units.setdefault(plant, (plant_id, {}))[1][unit] = unit_id
    dialect = session.connection().dialect
    stamp = Score.__table__.c.submitted_at.type.dialect_impl(dialect).bind_processor(dialect)
    now = datetime.now(UTC)
    at = stamp(now) if stamp else now  # the value the import binds, made once like the import

    def step() -> None:
        for code, data in files.items():
            import_file(
                session=session,
                kind="scores",
                path=f"bench-{code}.csv",
                data=data,
                plant_code=code,
                actor=QUALITY,
            )

    def bare(code: str) -> list[tuple]:
        plant_id, ids = units[code]
        lines = csv.reader(io.StringIO(files[code].decode()))
        next(lines)
        return [
            (plant_id, month, ids[rater], ids[ratee], criterion, int(value), note, 1, "bench", at)
            for month, rater, ratee, criterion, value, note in lines
        ]

    def floor() -> float:
        spent = 0.0
        for code in files:
            rows = bare(code)
            started = time.perf_counter()
            raw = session.connection().connection.dbapi_connection
            cursor = raw.cursor()
            if postgres:
                with cursor.copy(f"COPY score ({SCORE_COLUMNS}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" * 10)
                cursor.executemany(f"INSERT INTO score ({SCORE_COLUMNS}) VALUES ({marks})", rows)
            session.commit()
            spent += time.perf_counter() - started
        return spent

    return _measure(
        "score-import",
        "rows",
        size,
        runs,
        lambda: _delete_scores(session),
        step,
        lambda: _delete_scores(session),
        floor,
        note="import_file (CSV parse, rules, store, audit) vs "
        + ("COPY" if postgres else "executemany")
        + " of the same rows, one plant's file at a time",
    )


GROUP_BY = """
SELECT s.ratee_unit_id, SUM(h.quantity * s.value) / SUM(h.quantity)
FROM score s JOIN handover h
  ON h.plant_id = s.plant_id AND h.month = s.month
 AND h.from_unit_id = s.ratee_unit_id AND h.to_unit_id = s.rater_unit_id
WHERE s.plant_id IN (SELECT id FROM plant) AND s.month = :month
GROUP BY s.ratee_unit_id
"""


def close(session: Session, runs: int) -> Figure:
    plants = session.exec(select(Plant).order_by(Plant.code)).all()
    month_of = {
        p.id: session.execute(
            text("SELECT MAX(month) FROM score WHERE plant_id = :p"), {"p": p.id}
        ).scalar_one()
        for p in plants
    }
    by_month: dict[str, list[Plant]] = {}
    for plant in plants:
        by_month.setdefault(month_of[plant.id], []).append(plant)
    size = sum(
        session.execute(
            text("SELECT COUNT(*) FROM score WHERE month = :m"), {"m": month}
        ).scalar_one()
        for month in by_month
    )

    def reopen() -> None:
        for plant in plants:
            if month_of[plant.id] in closed_months(session=session, plant=plant):
                reopen_month(
                    session=session,
                    plant=plant,
                    month=month_of[plant.id],
                    reason="bench: close the same month again",
                    actor=QUALITY,
                )

    def step() -> None:
        for month, group in by_month.items():
            close_months(session=session, plants=group, month=month, actor=QUALITY)

    def floor() -> None:
        for month in by_month:
            session.execute(text(GROUP_BY), {"month": month}).all()

    # a month closes after the months before it: those still open are closed first, oldest
    # first, outside the clock, and reopened after, newest first
    earlier: dict[str, list[Plant]] = {}
    for month, group in by_month.items():
        for plant in group:
            for before in open_months_before(session=session, plant=plant, month=month):
                earlier.setdefault(before, []).append(plant)
    for month in sorted(earlier):
        close_months(session=session, plants=earlier[month], month=month, actor=QUALITY)
    figure = _measure(
        "close-month",
        "scores",
        size,
        runs,
        reopen,
        step,
        lambda: None,
        floor,
        restore=reopen,
        note=f"close_months of the last month of {len(plants)} plant(s) in one call, the months"
        " before it closed, vs one GROUP BY over all of them",
    )
    for month in sorted(earlier, reverse=True):
        for plant in earlier[month]:
            reopen_month(
                session=session,
                plant=plant,
                month=month,
                reason="bench: the months before the one measured, open again",
                actor=QUALITY,
            )
    return figure


def trace(session: Session, runs: int) -> Figure:
    plants = session.exec(select(Plant).order_by(Plant.code)).all()
    size = session.execute(text("SELECT COUNT(*) FROM quality_problem")).scalar_one()

    def step() -> None:
        for plant in plants:
            trace_problems(session=session, plant=plant)
        session.expunge_all()

    def floor() -> None:
        for plant in plants:
            problem_trace_rows(session=session, plant=plant)
        session.expunge_all()

    return _measure(
        "trace",
        "problems",
        size,
        runs,
        session.expunge_all,
        step,
        session.expunge_all,
        floor,
        note="trace_problems (rows read, routings read, every problem traced) vs reading the"
        " same problem rows",
    )


def _scratch_copy(url: str) -> tuple[str, Path | None]:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return url, None
    folder = Path(tempfile.mkdtemp(prefix="noac-bench-"))
    target = folder / "bench.db"
    source = sqlite3.connect(parsed.database)
    destination = sqlite3.connect(target)
    with destination:
        source.backup(destination)
    source.close()
    destination.close()
    return f"sqlite:///{target}", folder


WORKLOADS = ("score-import", "close-month", "trace", "dashboard")


def machine_speed() -> float:
    """Seconds this machine takes to sum ten million integers in Python (best of three): the
    same code everywhere, so figures taken on a slower or busier machine can be told apart."""
    return round(min(_timed(lambda: sum(range(10_000_000))) for _ in range(3)), 3)


def run(url: str, runs: int = 3, workloads: Sequence[str] = WORKLOADS) -> dict:
    """Run ``workloads`` on a copy of (SQLite) or in (PostgreSQL) the database at ``url``.

    The ``dashboard`` workload needs Playwright and the system Chromium; without them it is
    left out and the report says why.
    """
    from noac import bench_browser

    unknown = set(workloads) - set(WORKLOADS)
    if unknown:
        raise NoacError(
            f"unknown workload {', '.join(sorted(unknown))} (one of {', '.join(WORKLOADS)})"
        )
    speed_before = machine_speed()
    bench_url, scratch = _scratch_copy(url)
    postgres = make_url(url).get_backend_name() == "postgresql"
    engine = create_db_engine(bench_url)
    skipped = {}
    figures = []
    try:
        with Session(engine, expire_on_commit=False) as session:
            refuse_users_work(session, "noac bench runs")
            # the trace first: after the import had deleted and written again 1.4 million
            # scores in this process, it took 14.3-14.6 s on PostgreSQL against 11.3-12.8 s
            # alone (docs/PERFORMANCE.md); tracing reads no score
            if "trace" in workloads:
                figures.append(trace(session, runs))
            if "score-import" in workloads:
                figures.append(score_import(session, runs, postgres))
                # planner statistics after the deletes and re-inserts, as autovacuum would give
                session.execute(text("ANALYZE"))
                session.commit()
            if "close-month" in workloads:
                figures.append(close(session, runs))
            month = session.execute(text("SELECT MAX(month) FROM score")).scalar_one()
        if "dashboard" in workloads:
            reason = bench_browser.missing()
            if reason is None:
                figures += bench_browser.dashboard(bench_url, month, runs)
            else:
                skipped["dashboard"] = reason
    finally:
        engine.dispose()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return {
        "database": make_url(url).get_backend_name(),
        "runs": runs,
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "machine_speed_s": [speed_before, machine_speed()],
        "workloads": [asdict(f) for f in figures],
        "skipped": skipped,
    }


def format_report(report: dict) -> str:
    width = max([14, *(len(f["workload"]) + 2 for f in report["workloads"])])
    lines = [
        f"database {report['database']}, median of {report['runs']} run(s),"
        f" process max RSS {report['max_rss_mb']} MB, machine speed"
        f" {' / '.join(map(str, report['machine_speed_s']))} s (before / after; lower is faster)",
        f"{'workload':<{width}}{'size':>10} {'unit':<9}{'median s':>10}{'floor s':>10}"
        f"{'ratio':>8}{'per s':>11}{'peak MB':>9}",
    ]
    for f in report["workloads"]:
        lines.append(
            f"{f['workload']:<{width}}{f['size']:>10} {f['unit']:<9}{f['median_s']:>10.3f}"
            f"{f['floor_s']:>10.3f}{f['ratio']:>8.1f}{f['per_second']:>11,}{f['peak_mb']:>9.1f}"
        )
    lines += [f"  {f['workload']}: {f['note']}" for f in report["workloads"] if f["note"]]
    lines += [f"  {name}: not run: {why}" for name, why in report.get("skipped", {}).items()]
    return "\n".join(lines)

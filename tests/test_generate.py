"""The synthetic data set and the bench harness, on tiny data (figures are not checked)."""

import json

import pytest
from sqlalchemy import text
from sqlmodel import Session, select
from typer.testing import CliRunner

from noac.cli import app
from noac.db import create_db_engine
from noac.generate import QUALITY, SCALES, design_plant, months_of
from noac.models import Plant
from noac.services.coefficients import close_month, reopen_month
from routing.graph import rework_loops
from tests.conftest import snapshot, write_csv


def test_the_design_has_assemblies_and_rework_loops():
    import random

    from routing import Operation, operation_graph

    d = design_plant("SYN", SCALES["tiny"], random.Random(1))
    assemblies = [ops for ops in d.routings.values() if any(len(o[3]) > 1 for o in ops)]
    assert assemblies
    loops = 0
    for ops in d.routings.values():
        operations = [
            Operation(op=o, unit=u, category=c, after=tuple(a), inspection=i)
            for o, u, c, a, i in ops
        ]
        loops += len(rework_loops(operation_graph(operations)))
    assert loops > 0
    assert {k for _, _, k, _ in d.units} == {"store", "workshop", "inspection", "department"}
    assert d.lenient and d.harsh
    assert len(months_of(4)) == 4
    assert design_plant("SYN", SCALES["tiny"], random.Random(1)).routings == d.routings


def test_generate_then_bench_on_tiny_data(tmp_path):
    url = f"sqlite:///{tmp_path / 'tiny.db'}"
    runner = CliRunner()
    result = runner.invoke(app, ["--db", url, "generate", "--scale", "tiny", "--seed", "3"])
    assert result.exit_code == 0, result.output
    engine = create_db_engine(url)
    with Session(engine) as session:
        states = dict(
            session.execute(
                text("SELECT status, COUNT(*) FROM quality_problem GROUP BY status")
            ).all()
        )
        scores = session.execute(text("SELECT COUNT(*) FROM score")).scalar_one()
    engine.dispose()
    assert len(states) >= 4, states
    assert scores > 100
    result = runner.invoke(app, ["--db", url, "bench", "--scale", "tiny", "--runs", "1", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout[result.stdout.index("{") :])
    names = [w["workload"] for w in report["workloads"]]
    # the dashboard as opened, then each of its six other tabs, then the page as opened after
    # a change, in the system Chromium
    assert names[:4] == ["trace", "score-import", "close-month", "dashboard"]
    assert len(names) == 17 and all(name.startswith("dashboard:") for name in names[4:10])
    assert names[10] == "dashboard after a change"
    # the page as opened and the bare page clicked three times a round, each tab once
    opened, first_tab = report["workloads"][3], report["workloads"][4]
    assert (len(opened["runs"]), len(opened["floor_runs"]), len(first_tab["runs"])) == (3, 3, 1)
    # then each of the other tabs' first visit after the change, under the same labels
    assert [name.split(":")[1] for name in names[11:]] == [
        name.split(":")[1] for name in names[4:10]
    ]
    assert report["skipped"] == {}
    assert len(report["machine_speed_s"]) == 2 and min(report["machine_speed_s"]) > 0
    for workload in report["workloads"]:
        for key in ("size", "median_s", "floor_s", "ratio", "peak_mb"):
            assert isinstance(workload[key], int | float)
        assert workload["size"] > 0


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_the_score_import_bench_leaves_the_scores_it_found_on_postgresql(db_url):
    """PostgreSQL is measured in place: the import's runs delete and import every score
    again (vacuuming between runs) and leave them as they were; with a month closed, whose
    scores the import would refuse once deleted, it changes nothing and says why."""
    runner = CliRunner()
    result = runner.invoke(app, ["--db", db_url, "generate", "--scale", "tiny", "--seed", "3"])
    assert result.exit_code == 0, result.output
    engine = create_db_engine(db_url)
    scores = "SELECT plant_id, month, rater_unit_id, ratee_unit_id, criterion, value FROM score"
    with Session(engine) as session:
        before = sorted(session.execute(text(scores)).all())
        plant = session.exec(select(Plant)).one()
        close_month(session=session, plant=plant, month="2025-09", actor=QUALITY)
    bench = ["--db", db_url, "bench", "--workload", "score-import", "--runs", "2"]
    result = runner.invoke(app, bench)
    assert result.exit_code != 0
    assert "2025-09 is closed in plant" in result.output and "reopen it first" in result.output
    with Session(engine) as session:
        assert sorted(session.execute(text(scores)).all()) == before
        reopen_month(session=session, plant=plant, month="2025-09", reason="bench", actor=QUALITY)
    result = runner.invoke(app, bench)
    assert result.exit_code == 0, result.output
    with Session(engine) as session:
        assert sorted(session.execute(text(scores)).all()) == before
    engine.dispose()


def test_generate_and_bench_refuse_a_database_where_users_worked(demo_url):
    """The bench deletes and imports again every score and reopens months; the generator
    adds synthetic plants: neither touches a plant's own data."""
    engine = create_db_engine(demo_url)
    before = snapshot(engine)
    runner = CliRunner()
    for command in (["generate", "--scale", "tiny"], ["bench", "--runs", "1"]):
        result = runner.invoke(app, ["--db", demo_url, *command])
        assert result.exit_code == 1
        assert "this database holds work by " in result.output
        assert "only in a database of its own, empty or made by noac generate" in result.output
    assert snapshot(engine) == before
    engine.dispose()


def test_generate_refuses_a_plant_the_local_administrator_set_up(tmp_path):
    url = f"sqlite:///{tmp_path / 'main.db'}"
    runner = CliRunner()
    units = write_csv(tmp_path / "units.csv", "code,name,kind\nSTORE,Store,store\n")
    assert runner.invoke(app, ["--db", url, "init"]).exit_code == 0
    assert runner.invoke(app, ["--db", url, "import", "units", str(units)]).exit_code == 0
    result = runner.invoke(app, ["--db", url, "generate", "--scale", "tiny"])
    assert result.exit_code == 1
    assert "this database holds work by system" in result.output

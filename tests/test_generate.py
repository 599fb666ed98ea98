"""The synthetic data set and the bench harness, on tiny data (figures are not checked)."""

import json

from sqlalchemy import text
from sqlmodel import Session
from typer.testing import CliRunner

from noac.cli import app
from noac.db import create_db_engine
from noac.generate import SCALES, design_plant, months_of
from routing.graph import rework_loops


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
    assert names[:4] == ["score-import", "close-month", "trace", "dashboard"]
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

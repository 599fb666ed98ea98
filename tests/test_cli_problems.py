"""The quality-problem commands, end to end through typer's runner."""

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from noac.cli import app
from tests.conftest import DATA, snapshot, write_csv

runner = CliRunner()
AERO = DATA / "demo" / "aerospace"


def noac(db_url, *args, user="quinn"):
    acting = ("--as", user) if user else ()
    return runner.invoke(app, ["--db", db_url, *acting, *map(str, args)])


@pytest.fixture
def db(db_url):
    noac(db_url, "init")
    for kind, file in (
        ("units", "units.csv"),
        ("defect-codes", "defect_codes.csv"),
        ("routings", "routings.csv"),
    ):
        assert (
            noac(db_url, "import", kind, AERO / file, "--plant", "AERO", user=None).exit_code == 0
        )
    for name, role, unit in (
        ("quinn", "quality", None),
        ("ann", "supervisor", "ASSY"),
        ("sam", "supervisor", "SHEET"),
        ("sue", "supervisor", "STORE"),
    ):
        extra = ("--unit", unit) if unit else ()
        added = noac(
            db_url,
            "users",
            "add",
            name,
            "--role",
            role,
            "--password",
            "secret-pw",
            *extra,
            user=None,
        )
        assert added.exit_code == 0, added.output
    return db_url


def test_report_trace_rule_act_verify_from_the_cli(db, engine, tmp_path, steps_on):
    steps_on(date(2026, 3, 12))
    photo = tmp_path / "pits.jpg"
    photo.write_bytes(b"\xff\xd8jpeg")
    result = noac(
        db,
        "problems",
        "report",
        "--found-at",
        "ASSY",
        "--part",
        "BP-100",
        "--op",
        "60",
        "--code",
        "PIT-FACE",
        "--severity",
        "major",
        "--qty",
        "12",
        "--date",
        "2026-03-10",
        "--id",
        "QP-1",
        "--attach",
        photo,
        user="ann",
    )
    assert result.exit_code == 0, result.output
    assert "proposed: SHEET (op 30, bending), path 30 -> 40 -> 50 -> 60" in result.output
    traced = noac(db, "trace", "QP-1")
    assert (
        "SHEET 30  bending         3             30 -> 40 -> 50 -> 60 QC-SM (op 40)"
        in traced.output
    )
    assert "10 -> 20 -> 30 -> 40 -> 50 -> 60" in traced.output
    data = json.loads(noac(db, "trace", "QP-1", "--json").output)
    assert [c["unit"] for c in data["candidates"]] == ["SHEET", "STORE"]
    assert data["candidates"][1]["escapes"] == [{"unit": "QC-SM", "op": "40"}]

    disputed = noac(db, "problems", "dispute", "QP-1", "--reason", "pitted stock", user="sam")
    assert disputed.exit_code == 0
    ruled = noac(
        db,
        "assign",
        "QP-1",
        "STORE:0.5",
        "SHEET:0.5",
        "--reason",
        "shared",
        "--deadline",
        "2026-04-30",
    )
    assert "QP-1 ruled: SHEET 0.5, STORE 0.5; escapes: QC-SM; counts in 2026-03" in ruled.output
    assert (
        noac(
            db,
            "problems",
            "action",
            "QP-1",
            "--owner",
            "STORE",
            "--root-cause",
            "uncovered racks",
            "--actions",
            "covered racks",
            "--milestone",
            "2026-04-10:racks covered",
        ).exit_code
        == 0
    )
    steps_on(date(2026, 4, 20))
    assert noac(db, "problems", "request-verification", "QP-1").exit_code == 0
    before = snapshot(engine)
    early = noac(db, "problems", "verify", "QP-1", "--note", "clean lots", "--on", "2026-04-19")
    assert early.exit_code == 1
    assert (
        "a verification dated 2026-04-19 is before its corrective action was reported done on"
        " 2026-04-20: date it 2026-04-20 or later" in early.output
    )
    assert snapshot(engine) == before
    closed = noac(db, "problems", "verify", "QP-1", "--note", "clean lots", "--on", "2026-04-25")
    assert "QP-1 is closed" in closed.output
    shown = json.loads(noac(db, "problems", "show", "QP-1").output)
    actors = {h["action"]: h["actor"] for h in shown["history"]}
    assert actors == {
        "reported": "ann",
        "traced": "ann",
        "attachment-added": "ann",
        "disputed": "sam",
        "ruled": "quinn",
        "action-planned": "quinn",
        "verification-requested": "quinn",
        "verified-closed": "quinn",
    }
    assert [(h["action"], h["dated"]) for h in shown["history"] if h["dated"]] == [
        ("verified-closed", "2026-04-25")
    ]
    assert shown["closed_on"] == "2026-04-25"
    assert shown["milestones"] == [{"due": "2026-04-10", "text": "racks covered"}]
    (evidence,) = shown["evidence"]
    assert (evidence["filename"], evidence["size"]) == ("pits.jpg", 6)
    saved = tmp_path / "saved.jpg"
    args = ("problems", "evidence", "QP-1", evidence["id"], "-o", saved)
    assert noac(db, *args, user=None).output == "error: name the user acting with --as USER\n"
    assert not saved.exists()
    assert noac(db, *args).output == f"pits.jpg (6 bytes) written to {saved}\n"
    assert saved.read_bytes() == b"\xff\xd8jpeg"
    assert noac(db, *args).output == f"error: {saved} already exists: choose another name\n"


def test_problems_list_filters(db, tmp_path):
    path = write_csv(
        tmp_path / "d.csv",
        """
id,date,found_at,part,op,code,severity,qty,responsible,deadline
A,2026-03-10,ASSY,BP-100,60,PIT-FACE,major,1,SHEET,2026-04-01
B,2026-04-10,QC-FIN,ACT-200,,WELD-POR,minor,1,,
C,2026-03-31,ASSY,BP-100,60,PIT-FACE,minor,1,SHEET,
D,2026-04-30,ASSY,BP-100,60,PIT-FACE,minor,1,SHEET,
E,2026-05-01,ASSY,BP-100,60,PIT-FACE,minor,1,SHEET,
""",
    )
    assert noac(db, "import", "defects", path).exit_code == 0
    listed = json.loads(noac(db, "problems", "list", "--json", "--status", "overdue").output)
    assert [p["ref"] for p in listed] == ["A"]
    listed = json.loads(noac(db, "problems", "list", "--json", "--month", "2026-04").output)
    assert [p["ref"] for p in listed] == ["B", "D"]
    listed = json.loads(noac(db, "problems", "list", "--json", "--unit", "WELD").output)
    assert [p["ref"] for p in listed] == ["B"]
    table = noac(db, "problems", "list").output
    assert "ruled (overdue)" in table and "proposed WELD" in table


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("trace", "NOPE"), "plant AERO has no quality problem 'NOPE'"),
        (("problems", "list", "--status", "lost"), "unknown status 'lost'"),
        (("problems", "list", "--month", "2026-13"), "'2026-13' is not a month (YYYY-MM)"),
        (("problems", "list", "--unit", "MOON"), "unknown unit 'MOON' in plant AERO"),
        (
            (
                "problems",
                "report",
                "--found-at",
                "WELD",
                "--part",
                "BP-100",
                "--severity",
                "minor",
                "--qty",
                "1",
            ),
            "unit WELD is not on the routing of part BP-100",
        ),
    ],
)
def test_bad_input_is_explained(db, args, message):
    result = noac(db, *args)
    assert result.exit_code == 1
    assert message in result.output


def test_a_report_with_evidence_that_cannot_be_kept_stores_nothing(db, engine, tmp_path):
    empty = tmp_path / "pits.jpg"
    empty.write_bytes(b"")
    before = snapshot(engine)
    args = ("problems", "report", "--found-at", "ASSY", "--part", "BP-100", "--severity", "minor")
    result = noac(db, *args, "--qty", "1", "--attach", empty, user="ann")
    assert (result.exit_code, result.output) == (1, "error: attachment 'pits.jpg' is empty\n")
    assert snapshot(engine) == before


def test_a_form_number_is_read_without_the_spaces_around_it(db):
    args = ("problems", "report", "--found-at", "ASSY", "--part", "BP-100", "--severity", "minor")
    assert noac(db, *args, "--qty", "1", "--id", " F-7 ").output.startswith("reported F-7\n")
    assert noac(db, "problems", "show", "F-7").exit_code == 0
    assert noac(db, *args, "--qty", "1", "--id", "  ").output.startswith("reported AERO-000002\n")


def test_evidence_that_cannot_be_read_is_named_with_the_reason(db, engine, tmp_path, monkeypatch):
    locked = tmp_path / "locked.jpg"
    locked.write_bytes(b"\xff\xd8jpeg")
    read_bytes = Path.read_bytes

    def as_without_permission(path):
        if path == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", as_without_permission)
    before = snapshot(engine)
    args = ("problems", "report", "--found-at", "ASSY", "--part", "BP-100", "--severity", "minor")
    for attached, reason in (
        (locked, "Permission denied"),
        (tmp_path, "Is a directory"),
        (tmp_path / "missing.jpg", "No such file or directory"),
    ):
        result = noac(db, *args, "--qty", "1", "--attach", attached, user="ann")
        assert (result.exit_code, result.output) == (
            1,
            f"error: cannot read attachment {attached}: {reason}\n",
        )
    assert snapshot(engine) == before


def test_trace_names_the_stored_proposal_when_tracing_now_proposes_another_unit(db, tmp_path):
    """Reported when PIT-FACE came from storage or bending, the problem was proposed to
    SHEET; the catalogue now says storage only, so tracing it now proposes STORE, while the
    proposal SHEET has to answer stays stored: the trace says both."""
    reported = noac(
        db,
        *("problems", "report", "--found-at", "ASSY", "--part", "BP-100", "--op", "60"),
        *("--code", "PIT-FACE", "--severity", "major", "--qty", "3", "--id", "QP-9"),
        user="ann",
    )
    assert "proposed: SHEET" in reported.output
    codes = write_csv(
        tmp_path / "codes.csv",
        "code,name,origins\nPIT-FACE,镀面腐蚀坑 (pits on the plated face),storage\n",
    )
    assert noac(db, "import", "defect-codes", codes, "--plant", "AERO", user=None).exit_code == 0
    traced = noac(db, "trace", "QP-9").output
    assert "proposed: STORE (op 10, storage)" in traced
    assert (
        "stored proposal: SHEET, made when the problem was traced on its report;"
        " tracing it now proposes STORE" in traced
    )

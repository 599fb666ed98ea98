"""The `noac` command line through typer's runner, on both databases."""

import json
import socket
import subprocess
import sys
from datetime import date

import click
import pytest
import typer.main
from sqlmodel import Session
from typer.testing import CliRunner

from noac.cli import app
from noac.db import create_db_engine
from noac.demo import history_months
from noac.services.audit import audit_trail
from noac.services.periods import month_of
from tests.conftest import DATA, SYSTEM, snapshot, write_csv

runner = CliRunner()
AERO = DATA / "demo" / "aerospace"


def noac(db_url, *args):
    return runner.invoke(app, ["--db", db_url, *map(str, args)])


def snapshot_of(url: str) -> dict:
    engine = create_db_engine(url)
    try:
        return snapshot(engine)
    finally:
        engine.dispose()


@pytest.fixture
def aero_db(db_url):
    assert noac(db_url, "init").exit_code == 0
    for kind, file in (
        ("units", "units.csv"),
        ("defect-codes", "defect_codes.csv"),
        ("routings", "routings.csv"),
    ):
        result = noac(db_url, "import", kind, AERO / file, "--plant", "AERO")
        assert result.exit_code == 0, result.output
    return db_url


def test_init_twice_is_harmless(db_url):
    assert noac(db_url, "init").exit_code == 0
    result = noac(db_url, "init")
    assert result.exit_code == 0 and "database ready" in result.output


def test_commands_refuse_an_uninitialised_database(db_url):
    if db_url.startswith("sqlite"):
        create_db_engine(db_url).connect().close()  # an empty file, as another program leaves
    result = noac(db_url, "units", "list")
    assert result.exit_code == 1
    assert "run `noac init` first" in result.output


@pytest.mark.parametrize(
    "command", [["units", "list"], ["audit"], ["serve"], ["close", "2025-01", "--preview"]]
)
def test_a_mistyped_sqlite_path_is_named_and_nothing_is_created(tmp_path, command):
    typo = tmp_path / "plnat" / "noac.db"
    result = noac(f"sqlite:///{typo}", *command)
    assert result.exit_code == 1
    assert f"the database file {typo} does not exist" in result.output
    assert "noac init" in result.output
    assert list(tmp_path.iterdir()) == []


def test_init_creates_a_new_file_and_its_folder(tmp_path):
    new = tmp_path / "plant" / "noac.db"
    assert noac(f"sqlite:///{new}", "init").exit_code == 0
    assert new.is_file()
    assert noac(f"sqlite:///{new}", "users", "list").output == "(none)\n"


def test_import_prints_a_summary_and_reimport_changes_nothing(aero_db):
    result = noac(aero_db, "import", "units", AERO / "units.csv")
    assert result.exit_code == 0
    assert "units into plant AERO: 15 rows, 0 created, 0 updated, 15 unchanged" in result.output


def test_units_list(aero_db):
    result = noac(aero_db, "units", "list", "--json")
    units = {u["code"]: u for u in json.loads(result.output)}
    assert units["STORE"]["name"] == "物资管理站" and units["STORE"]["kind"] == "store"
    assert units["SHEET"]["target"] == 88.0
    assert "钣金分厂" in noac(aero_db, "units", "list").output


def test_routing_show_prints_the_rework_loop(aero_db):
    result = noac(aero_db, "routing", "show", "SH-300")
    assert result.exit_code == 0
    assert "version 1 of 1, in force from the beginning" in result.output
    assert "rework loop: 40 -> 45 -> 40" in result.output
    data = json.loads(noac(aero_db, "routing", "show", "SH-300", "--json").output)
    assert data["rework_loops"] == [["40", "45"]]
    assert {o["op"]: o["after"] for o in data["operations"]}["40"] == ["30", "45"]


def test_routing_show_a_date_before_a_revision(aero_db, tmp_path):
    revision = AERO / "routings_revision.csv"
    assert noac(aero_db, "import", "routings", revision, "--effective", "2026-05-01").exit_code == 0
    old = json.loads(
        noac(aero_db, "routing", "show", "BP-100", "--on", "2026-04-30", "--json").output
    )
    new = json.loads(
        noac(aero_db, "routing", "show", "BP-100", "--on", "2026-05-01", "--json").output
    )
    assert (old["version"], new["version"]) == (1, 2)
    assert "15" in {o["op"] for o in new["operations"]} - {o["op"] for o in old["operations"]}


def test_bad_file_exits_1_with_row_numbers(aero_db, tmp_path):
    bad = write_csv(tmp_path / "bad.csv", "part,op,unit\nX,10,MOON\nX,20,STORE")
    result = noac(aero_db, "import", "routings", bad)
    assert result.exit_code == 1
    assert "row 2, column 'unit': unknown unit 'MOON' (import units first)" in result.output
    assert "nothing was imported" in result.output
    assert noac(aero_db, "routing", "show", "X").exit_code == 1


def test_unknown_plant_and_part_are_explained(aero_db):
    assert "unknown plant 'NOPE'" in noac(aero_db, "units", "list", "--plant", "NOPE").output
    assert "no routing for part 'ZZ'" in noac(aero_db, "routing", "show", "ZZ").output


def test_an_import_into_a_mistyped_plant_is_refused_and_a_plant_is_added_first(aero_db):
    before = snapshot_of(aero_db)
    result = noac(aero_db, "import", "units", AERO / "units.csv", "--plant", "AEOR")
    assert result.exit_code == 1
    assert result.output == (
        "error: unknown plant 'AEOR' (plants: AERO): an import writes into a plant the database"
        " holds; add a new plant first with: noac plants add AEOR --name NAME\n"
    )
    assert snapshot_of(aero_db) == before
    added = noac(aero_db, "plants", "add", "WEST", "--name", "West plant")
    assert added.exit_code == 0, added.output
    assert added.output == "added plant WEST (West plant)\n"
    result = noac(aero_db, "import", "units", AERO / "units.csv", "--plant", "WEST")
    assert "units into plant WEST: 15 rows, 15 created" in result.output
    assert "several plants (AERO, WEST)" in noac(aero_db, "units", "list").output


def test_a_plant_typed_in_another_case_is_refused_naming_the_plant_meant(aero_db):
    """Plant codes are told apart by case, and no two differ only in it: 'aero' is refused
    naming AERO, and an import is not told to add a plant 'aero' (which would be refused)."""
    before = snapshot_of(aero_db)
    result = noac(aero_db, "import", "units", AERO / "units.csv", "--plant", "aero")
    assert result.exit_code == 1
    assert result.output == "error: unknown plant 'aero' (plants: AERO): did you mean AERO?\n"
    listed = noac(aero_db, "units", "list", "--plant", "Aero")
    assert listed.exit_code == 1
    assert listed.output == "error: unknown plant 'Aero' (plants: AERO): did you mean AERO?\n"
    assert snapshot_of(aero_db) == before


def test_adding_a_plant_that_exists_is_refused(aero_db):
    before = snapshot_of(aero_db)
    result = noac(aero_db, "plants", "add", "AERO", "--name", "Another name")
    assert result.exit_code == 1
    assert result.output == "error: plant AERO exists already\n"
    result = noac(aero_db, "plants", "add", "aero", "--name", "Another name")
    assert result.exit_code == 1
    assert result.output == (
        "error: plant aero would differ from plant AERO only in upper and lower case:"
        " choose another code, or use AERO\n"
    )
    assert snapshot_of(aero_db) == before


def test_a_plant_added_by_its_first_import_is_given_its_name_and_listed(aero_db):
    assert json.loads(noac(aero_db, "plants", "list", "--json").output) == [
        {"code": "AERO", "name": "AERO"}
    ]
    renamed = noac(aero_db, "plants", "rename", "AERO", "--name", "Aerospace parts plant")
    assert renamed.exit_code == 0, renamed.output
    assert renamed.output == "renamed plant AERO: AERO -> Aerospace parts plant\n"
    assert noac(aero_db, "plants", "add", "WEST").exit_code == 0
    listed = noac(aero_db, "plants", "list").output.splitlines()
    assert [line.split(maxsplit=1) for line in listed] == [
        ["code", "name"],
        ["AERO", "Aerospace parts plant"],
        ["WEST", "WEST"],
    ]
    engine = create_db_engine(aero_db)
    try:
        with Session(engine) as session:
            trail = audit_trail(session=session, actor=SYSTEM, entity="plant", since=None, limit=0)
    finally:
        engine.dispose()
    assert [(r.entity_id, r.before, r.after) for r in trail[:2]] == [
        ("WEST", None, "WEST"),
        ("AERO", "AERO", "Aerospace parts plant"),
    ]


def test_renaming_a_plant_the_database_does_not_hold_adds_none(aero_db):
    before = snapshot_of(aero_db)
    result = noac(aero_db, "plants", "rename", "AEOR", "--name", "Aerospace")
    assert result.exit_code == 1
    assert result.output == "error: unknown plant 'AEOR' (plants: AERO)\n"
    assert snapshot_of(aero_db) == before


def test_the_help_of_effective_says_when_a_new_part_takes_effect():
    shown = runner.invoke(app, ["import", "--help"]).output
    text = " ".join(shown.replace("│", " ").split())  # as read, across the box's lines
    assert "a change takes effect (default today); a new part or pair is in force from the" in text
    assert "while no month is closed, else from this date (default the day after the last" in text


def test_an_effective_date_is_refused_where_it_would_be_ignored(aero_db, tmp_path):
    before = snapshot_of(aero_db)
    result = noac(aero_db, "import", "units", AERO / "units.csv", "--effective", "2020-01-01")
    assert result.exit_code == 1
    assert "units take no effective date (only routings, service-relations do)" in result.output
    log = write_csv(tmp_path / "log.csv", "order,part\n")
    result = noac(aero_db, "import", "events", log, "--map", "m.toml", "--effective", "2020-01-01")
    assert result.exit_code == 1
    assert result.output == "error: --effective is not for events: a log's changes take its dates\n"
    assert snapshot_of(aero_db) == before


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not-a-url", "the database URL (--db or NOAC_DATABASE_URL) is not one"),
        ("mysql://user@localhost/noac", "NOAC works on SQLite and PostgreSQL databases only"),
    ],
)
def test_a_database_url_that_cannot_be_used_is_named(url, message):
    commands = (["units", "list"], ["init"], ["demo", "--no-serve"], ["backup", "b.db"])
    for command in (*commands, ["restore", "b.db"]):
        result = noac(url, *command)
        assert result.exit_code == 1 and result.output.startswith("error: ")
        assert message in result.output


@pytest.mark.parametrize("command", [["init"], ["users", "list"], ["generate", "--scale", "tiny"]])
@pytest.mark.parametrize("target", ["a folder", "not a database", "under a file"])
def test_a_database_that_cannot_be_opened_is_named_in_one_line(tmp_path, command, target):
    path = tmp_path / "noac.db"
    if target == "a folder":
        path.mkdir()
    elif target == "not a database":
        path.write_text("code,name\nA,Workshop A\n")
    else:
        path.write_text("a file, not a folder")
        path = path / "noac.db"
    result = noac(f"sqlite:///{path}", *command)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("error: ") and result.output.count("\n") == 1
    assert str(path) in result.output


def test_a_database_server_that_does_not_answer_is_named_in_one_line():
    url = "postgresql+psycopg://postgres@127.0.0.1:1/noac"
    for command in (["init"], ["users", "list"], ["serve"]):
        result = noac(url, *command)
        assert result.exit_code == 1, result.output
        assert result.output.startswith(f"error: cannot open the database {url}: ")
        assert "Connection refused" in result.output and result.output.count("\n") == 1


def test_bench_needs_a_run(tmp_path):
    result = noac(f"sqlite:///{tmp_path / 'b.db'}", "bench", "--runs", "0")
    assert result.exit_code == 2 and "Input should be greater than or equal to 1" in result.output


def test_the_demo_is_not_built_into_a_database_that_holds_plants(aero_db):
    before = snapshot_of(aero_db)
    result = noac(aero_db, "demo", "--no-serve")
    assert result.exit_code == 1
    assert "already holds plants (AERO): the demo is built into a new database" in result.output
    assert snapshot_of(aero_db) == before


def test_demo_builds_both_plants(tmp_path):
    url = f"sqlite:///{tmp_path / 'new' / 'demo.db'}"  # a folder made by the demo
    result = runner.invoke(app, ["--db", url, "demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "routings into plant GARM" in result.output
    assert "several plants (AERO, GARM)" in noac(url, "units", "list").output
    shown = noac(url, "routing", "show", "BP-100", "--plant", "AERO")
    assert "version 2 of 2" in shown.output
    listed = json.loads(noac(url, "problems", "list", "--plant", "AERO", "--json").output)
    statuses = {p["status"] for p in listed}
    assert statuses == {
        "proposed",
        "accepted",
        "disputed",
        "ruled",
        "action",
        "verification",
        "closed",
    }
    assert any(p["overdue"] for p in listed)
    early, late = (month_of(m) for m in history_months(date.today())[2:10:7])
    units = {}
    for month in (early, late):
        exported = noac(url, "export", "coefficients", month, "--plant", "AERO", "--format", "json")
        units[month] = {r["unit"]: r for r in json.loads(exported.output)["coefficients"]}
    assert units[early]["WELD"]["coefficient"] < units[late]["WELD"]["coefficient"]
    assert "uniform-scores" in units[late]["TEST"]["flags"]
    assert "retaliation-suspect" in units[late]["MACH"]["flags"]
    case = [p for p in listed if p["defect_code"] == "PIT-FACE"]
    assert [(p["responsible"], p["escapes"], p["status"]) for p in case] == [
        ({"SHEET": 0.5, "STORE": 0.5}, ["QC-SM"], "closed")
    ]


def test_python_dash_m_noac_runs_the_command_line():
    """Where the ``noac`` script is not on the PATH, ``python -m noac`` is the same command."""
    result = subprocess.run(
        [sys.executable, "-m", "noac", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Usage: noac [OPTIONS] COMMAND [ARGS]..." in result.stdout


@pytest.mark.parametrize("command", [["serve"], ["demo"]])
@pytest.mark.parametrize(
    ("port", "bound"),
    [
        ("0", "greater than or equal to 1"),
        ("-1", "greater than or equal to 1"),
        ("65536", "less than or equal to 65535"),
    ],
)
def test_a_port_out_of_range_is_refused_before_anything_starts(tmp_path, command, port, bound):
    url = f"sqlite:///{tmp_path / 'noac.db'}"
    assert noac(url, "init").exit_code == 0
    before = snapshot_of(url)
    result = noac(url, *command, "--port", port)
    assert result.exit_code == 2
    assert "Invalid value for '--port'" in result.output
    assert bound in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert snapshot_of(url) == before


def test_serve_exits_1_when_the_app_cannot_start(db_url):
    assert noac(db_url, "init").exit_code == 0
    with socket.socket() as taken:
        taken.bind(("", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = noac(db_url, "serve", "--port", port)
    assert result.exit_code == 1


@pytest.mark.parametrize(
    ("options", "named", "them"),
    [
        (["--json"], "--json", "it"),
        (["--entity", "month", "--limit", "5"], "--entity, --limit", "them"),
    ],
)
def test_options_of_the_audit_listing_given_to_audit_verify_are_refused(
    db_url, options, named, them
):
    assert noac(db_url, "init").exit_code == 0
    result = noac(db_url, "audit", *options, "verify")
    assert result.exit_code == 1
    assert result.output == (
        f"error: noac audit verify takes no {named}: give {them} to noac audit alone,"
        " which lists the trail\n"
    )


def test_every_command_is_listed_in_the_help_by_one_line():
    """`noac --help` lists each command by the first paragraph of its help: one line each, or
    the listing breaks it mid-sentence."""

    def commands(group: click.Group, path: str):
        for name, command in group.commands.items():
            yield f"{path} {name}", command
            if isinstance(command, click.Group):
                yield from commands(command, f"{path} {name}")

    broken = [
        path
        for path, command in commands(typer.main.get_command(app), "noac")
        if "\n" in (command.help or "").strip().split("\n\n")[0]
    ]
    assert broken == []

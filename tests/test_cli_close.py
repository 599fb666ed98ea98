"""Closing, reopening and exporting a month from the command line."""

import codecs
import csv
import hashlib
import io
import json
import re

import openpyxl
import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from noac.cli import app
from noac.db import create_db_engine
from noac.errors import NoacError
from noac.services import coefficients
from tests.conftest import DATA, SYSTEM, scheme_with_a_criterion, write_csv

runner = CliRunner()
AERO = DATA / "demo" / "aerospace"


def noac(db_url, *args):
    return runner.invoke(app, ["--db", db_url, "--as", "quinn", *map(str, args)])


@pytest.fixture
def db(db_url, tmp_path):
    noac(db_url, "init")
    added = runner.invoke(
        app,
        ["--db", db_url, "users", "add", "quinn", "--role", "quality", "--password", "q-secret-1"],
    )
    assert added.exit_code == 0, added.output
    for kind, file in (("units", "units.csv"), ("routings", "routings.csv")):
        imported = runner.invoke(app, ["--db", db_url, "import", kind, str(AERO / file)])
        assert imported.exit_code == 0, imported.output
    scores = "\n".join(
        f"2026-03,ASSY,SURF,{c},{v},"
        for c, v in (("quality", 9), ("delivery", 8), ("service", 7), ("handover", 10))
    )
    path = write_csv(tmp_path / "s.csv", "month,rater,ratee,criterion,value,comment\n" + scores)
    result = noac(db_url, "import", "scores", path)
    assert result.exit_code == 0, result.output
    return db_url


def test_close_export_reopen(db, tmp_path):
    preview = noac(db, "close", "2026-03", "--preview")
    assert "preview, still open" in preview.output
    assert "still owes forms for" in preview.output
    closed = noac(db, "close", "2026-03")
    assert closed.exit_code == 0 and "2026-03 closed (run 1)" in closed.output
    # SURF from ASSY: 0.4*90 + 0.25*80 + 0.2*70 + 0.15*100 = 85.0 -> K = 1.0
    rows = list(csv.DictReader(io.StringIO(noac(db, "export", "coefficients", "2026-03").output)))
    surf = {r["unit"]: r for r in rows}["SURF"]
    assert (surf["satisfaction"], surf["raters"], surf["coefficient"]) == ("85.0", "1", "1.0")
    assert {r["unit"]: r for r in rows}["WELD"]["flags"] == "missing-forms;no-scores"
    out = tmp_path / "k.xlsx"
    assert (
        noac(db, "export", "coefficients", "2026-03", "--format", "xlsx", "-o", out).exit_code == 0
    )
    sheet = openpyxl.load_workbook(out).active
    assert [c.value for c in sheet[1]][0:3] == ["unit", "unit_name", "satisfaction"]
    data = json.loads(noac(db, "export", "coefficients", "2026-03", "--format", "json").output)
    assert data["run"] == 1 and len(data["scheme"]) == 64

    again = noac(db, "import", "scores", tmp_path / "s.csv")
    assert again.exit_code == 1
    assert (
        "2026-03 is closed: scores can no longer change unless the quality department reopens it"
        in again.output
    )
    assert noac(db, "reopen", "2026-03", "--reason", "late forms").exit_code == 0
    assert (
        "2026-03 is not closed: close it first (noac close 2026-03 --plant MAIN)"
        in noac(db, "export", "coefficients", "2026-03").output
    )
    assert "closed (run 2)" in noac(db, "close", "2026-03").output


def test_scores_for_a_month_before_the_last_closed_one_are_refused(db, tmp_path):
    """March, the plant's first month with scores, is closed: February was read empty by its
    close and takes no scores; April closes after March as if February had none."""
    assert noac(db, "close", "2026-03").exit_code == 0
    path = write_csv(
        tmp_path / "february.csv",
        "month,rater,ratee,criterion,value,comment\n2026-02,ASSY,SURF,quality,9,",
    )
    refused = noac(db, "import", "scores", path)
    assert refused.exit_code == 1
    assert (
        "2026-02 is before 2026-03, the last closed month: months close in order, so it takes"
        " no scores"
    ) in refused.output
    assert "2026-04 closed (run 1)" in noac(db, "close", "2026-04").output


def test_a_closed_months_preview_shows_its_stored_coefficients(db, tmp_path):
    closed = noac(db, "close", "2026-03")
    completeness = next(line for line in closed.output.splitlines() if "forms submitted" in line)
    stored = noac(db, "export", "coefficients", "2026-03", "--format", "json").output
    surf = {r["unit"]: r for r in json.loads(stored)["coefficients"]}["SURF"]
    extended = runner.invoke(
        app, ["--db", db, "scheme", "set", str(scheme_with_a_criterion(tmp_path))]
    )
    assert extended.exit_code == 0, extended.output

    preview = noac(db, "close", "2026-03", "--preview")

    assert preview.exit_code == 0, preview.output
    assert "2026-03 closed (run 1)" in preview.output and "still open" not in preview.output
    # ASSY's form for SURF was complete on the scheme the month was closed with
    assert completeness.startswith("2026-03: 1 of ") and completeness in preview.output
    (surf_line,) = [
        line
        for line in preview.output.splitlines()
        if line.split()[:1] == ["SURF"] and "owes" not in line
    ]
    assert f"{surf['coefficient']:.4f}" in surf_line and "85.00" in surf_line


def test_export_never_overwrites_a_file_and_names_a_missing_folder(db, tmp_path):
    assert noac(db, "close", "2026-03").exit_code == 0
    kept = tmp_path / "k.csv"
    kept.write_text("kept\n", encoding="utf-8")
    refused = noac(db, "export", "coefficients", "2026-03", "-o", kept)
    assert refused.exit_code == 1 and f"error: {kept} already exists" in refused.output
    assert kept.read_text(encoding="utf-8") == "kept\n"
    nowhere = tmp_path / "missing" / "k.csv"
    refused = noac(db, "export", "coefficients", "2026-03", "-o", nowhere)
    assert refused.exit_code == 1
    assert refused.output == f"error: cannot write {nowhere}: No such file or directory\n"


def test_a_csv_export_opens_in_excel_with_the_units_chinese_names(db, tmp_path):
    """Excel reads a CSV file as UTF-8 only when it starts with a byte order mark; without
    one the plant's Chinese unit names come out garbled."""
    assert noac(db, "close", "2026-03").exit_code == 0
    out = tmp_path / "k.csv"
    assert noac(db, "export", "coefficients", "2026-03", "-o", out).exit_code == 0
    data = out.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert {r["unit"]: r["unit_name"] for r in rows}["SHEET"] == "钣金分厂"
    # on the terminal the same text, without the mark (``output`` would turn CR LF into LF)
    shown = noac(db, "export", "coefficients", "2026-03").stdout_bytes
    assert shown == data.removeprefix(codecs.BOM_UTF8)


def test_scheme_show_and_set(db, tmp_path):
    shown = noac(db, "scheme", "show")
    assert '"comment_below": 6' in shown.output
    bad = tmp_path / "bad.toml"
    bad.write_text('target = 120\\n[[criteria]]\\ncode = "q"\\n')
    result = runner.invoke(app, ["--db", db, "scheme", "set", str(bad)])
    assert result.exit_code == 1 and "not valid TOML" in result.output
    result = noac(db, "scheme", "set", bad)
    assert "quinn (quality) may not change the scoring scheme: that is for admin" in result.output
    bad.write_text(
        'target = 120\n[[criteria]]\ncode = "q"\nname_en = "Q"\nname_zh = "质"\nweight = 1\n'
    )
    result = runner.invoke(app, ["--db", db, "scheme", "set", str(bad)])
    assert (
        result.exit_code == 1
        and "target: Input should be less than or equal to 100" in result.output
    )


def test_scheme_show_prints_one_json_object_holding_the_hash(db):
    shown = noac(db, "scheme", "show")
    assert shown.exit_code == 0
    data = json.loads(shown.stdout)
    assert (data["plant"], data["scheme"]["target"]) == ("MAIN", 85.0)
    # the hash is the SHA-256 of the scheme's JSON with sorted keys: a reader can check it
    canonical = json.dumps(data["scheme"], sort_keys=True, ensure_ascii=False)
    assert data["hash"] == hashlib.sha256(canonical.encode()).hexdigest()


def test_a_scheme_file_that_is_not_utf8_text_is_named(db, tmp_path):
    saved = tmp_path / "scheme.toml"
    saved.write_text("target = 85\n# 满意度目标\n", encoding="gbk")  # as a Chinese Windows saves it
    result = runner.invoke(app, ["--db", db, "scheme", "set", str(saved)])
    assert result.exit_code == 1
    assert result.output == (
        f"error: cannot read scheme {saved}: it is not UTF-8 text (byte 14): save it as UTF-8\n"
    )


def test_a_scheme_with_a_new_criterion_names_the_open_forms_it_leaves_incomplete(db, tmp_path):
    """Complete forms of open months lack the new criterion and stop counting until their
    raters give it: the administrator is told which, and the audit trail keeps them."""
    february = "\n".join(
        f"2026-02,ASSY,SURF,{c},8," for c in ("quality", "delivery", "service", "handover")
    )
    partial = "2026-04,ASSY,SURF,quality,8,"  # incomplete already: it did not count
    path = write_csv(
        tmp_path / "more.csv", f"month,rater,ratee,criterion,value,comment\n{february}\n{partial}"
    )
    assert noac(db, "import", "scores", path).exit_code == 0
    assert noac(db, "close", "2026-02").exit_code == 0
    result = runner.invoke(
        app, ["--db", db, "scheme", "set", str(scheme_with_a_criterion(tmp_path))]
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:] == [
        "  the form of ASSY for SURF in 2026-03 does not count until it is complete:"
        " no value for Documents (documents)"
    ]
    trail = json.loads(noac(db, "audit", "--entity", "scheme", "--json").output)
    assert trail[0]["after"]["incomplete"] == [result.output.splitlines()[1].strip()]


@pytest.mark.parametrize(
    ("line", "setting", "field"),
    [
        ("alpha = 1.0", "alpha = inf", "alpha"),
        ("k_min = 0.70", "k_min = nan", "k_min"),
        ("k_max = 1.20", "k_max = inf", "k_max"),
        ("minor = 1", "minor = inf", "penalties.minor"),
        ("weight = 0.40", "weight = inf", "criteria.0.weight"),
    ],
)
def test_a_scheme_with_an_infinite_or_undefined_number_is_refused(
    db, tmp_path, line, setting, field
):
    """TOML reads inf and nan as numbers: K would be left unclamped, or the export of a
    month closed with them fail."""
    in_force = noac(db, "scheme", "show").output
    path = tmp_path / "scheme.toml"
    path.write_text((DATA / "scheme.toml").read_text(encoding="utf-8").replace(line, setting))
    result = runner.invoke(app, ["--db", db, "scheme", "set", str(path)])
    assert result.exit_code == 1
    assert f"{field}: Input should be a finite number" in result.output
    assert noac(db, "scheme", "show").output == in_force


def _verified(db) -> tuple[int, str]:
    """``noac audit verify``'s records and head, the trail verifying."""
    verified = noac(db, "audit", "verify")
    assert verified.exit_code == 0, verified.output
    records, head = re.fullmatch(
        r"the audit trail verifies: (\d+) records, head ([0-9a-f]{16})\n", verified.output
    ).groups()
    return int(records), head


def test_a_close_prints_the_audit_trail_head_after_it(db):
    records, before = _verified(db)
    closed = noac(db, "close", "2026-03")
    assert closed.exit_code == 0, closed.output
    after = _verified(db)
    assert after[0] == records + 1 and after[1] != before  # the close's own record is the head
    assert closed.output.splitlines()[-1] == f"audit trail head: {after[1]}"


def test_close_all_plants_at_once_or_none(db):
    assert runner.invoke(app, ["--db", db, "plants", "add", "WEST"]).exit_code == 0
    for kind, file in (("units", "units.csv"), ("routings", "routings.csv")):
        imported = runner.invoke(
            app, ["--db", db, "import", kind, str(AERO / file), "--plant", "WEST"]
        )
        assert imported.exit_code == 0, imported.output
    preview = noac(db, "close", "2026-03", "--all-plants", "--preview")
    assert preview.exit_code == 0, preview.output
    assert "WEST: 0 of " in preview.output and "2026-03 preview, still open" in preview.output
    both = noac(db, "close", "2026-03", "--all-plants", "--plant", "WEST")
    assert both.exit_code == 1 and "give --plant or --all-plants, not both" in both.output
    assert noac(db, "close", "2026-03", "--plant", "WEST").exit_code == 0
    refused = noac(db, "close", "2026-03", "--all-plants")
    assert refused.exit_code == 1
    assert "2026-03 is already closed in WEST (by quinn): no plant was closed" in refused.output
    assert noac(db, "reopen", "2026-03", "--plant", "WEST", "--reason", "redo").exit_code == 0
    records, _ = _verified(db)
    closed = noac(db, "close", "2026-03", "--all-plants")
    assert closed.exit_code == 0, closed.output
    lines = closed.output.splitlines()
    assert [line.split(":")[0] for line in lines] == ["MAIN", "WEST", "audit trail head"]
    after, head = _verified(db)  # the two plants' records, chained one after the other
    assert after == records + 2 and lines[2] == f"audit trail head: {head}"
    assert "2026-03 closed (run 1)" in lines[0] and "2026-03 closed (run 2)" in lines[1]
    rows = list(
        csv.DictReader(
            io.StringIO(noac(db, "export", "coefficients", "2026-03", "--plant", "MAIN").output)
        )
    )
    # SURF from ASSY: 85.0 -> K = 1.0, as when MAIN is closed alone
    assert {r["unit"]: r for r in rows}["SURF"]["coefficient"] == "1.0"


def test_closing_every_plant_of_a_database_without_one_says_so(db_url):
    assert runner.invoke(app, ["--db", db_url, "init"]).exit_code == 0
    result = runner.invoke(app, ["--db", db_url, "close", "2026-03", "--all-plants", "--preview"])
    assert result.exit_code == 1
    assert result.output == "error: the database holds no plant yet: import units first\n"
    engine = create_db_engine(db_url)
    try:
        with Session(engine) as session, pytest.raises(NoacError) as refused:
            coefficients.close_months(session=session, plants=[], month="2026-03", actor=SYSTEM)
    finally:
        engine.dispose()
    assert str(refused.value) == "the database holds no plant yet: import units first"


def test_close_all_plants_waits_for_the_months_before_it_in_each(db, tmp_path):
    assert runner.invoke(app, ["--db", db, "plants", "add", "WEST"]).exit_code == 0
    for kind, file in (("units", "units.csv"), ("routings", "routings.csv")):
        imported = runner.invoke(
            app, ["--db", db, "import", kind, str(AERO / file), "--plant", "WEST"]
        )
        assert imported.exit_code == 0, imported.output
    scores = "\n".join(f"2026-02,ASSY,SURF,{c},9," for c in ("quality", "delivery"))
    path = write_csv(tmp_path / "w.csv", "month,rater,ratee,criterion,value,comment\n" + scores)
    assert noac(db, "import", "scores", path, "--plant", "WEST").exit_code == 0
    refused = noac(db, "close", "2026-03", "--all-plants")
    assert refused.exit_code == 1
    assert refused.output == (
        "error: still open before 2026-03, the first month of each plant: WEST 2026-02. No"
        " plant was closed: close those months in order first, or the other plants without"
        " them (a month's close reads the months before it)\n"
    )
    refused = noac(db, "close", "2026-04", "--all-plants")
    assert refused.exit_code == 1
    assert refused.output.startswith(
        "error: still open before 2026-04, the first month of each plant: MAIN 2026-03, WEST"
        " 2026-02. No plant was closed"
    )
    assert noac(db, "close", "2026-02", "--plant", "WEST").exit_code == 0
    closed = noac(db, "close", "2026-03", "--all-plants")
    assert closed.exit_code == 0, closed.output
    assert [line.split(":")[0] for line in closed.output.splitlines()[:2]] == ["MAIN", "WEST"]


def test_a_score_outside_its_scale_is_refused_naming_the_criterion(db, tmp_path):
    """The file names the criterion by its code; the refusal by the name the form shows too."""
    path = write_csv(
        tmp_path / "bad.csv", "month,rater,ratee,criterion,value\n2026-03,ASSY,SURF,delivery,11"
    )
    result = noac(db, "import", "scores", path)
    assert result.exit_code == 1
    assert (
        "row 2, column 'value': 11 is outside the scale 0..10 of Delivery (delivery)"
        in result.output
    )


def test_closing_a_closed_month_again_names_the_command_that_reopens_it(db):
    assert noac(db, "close", "2026-03").exit_code == 0
    again = noac(db, "close", "2026-03")
    assert again.exit_code == 1
    assert again.output == (
        "error: 2026-03 is already closed (by quinn): to close it again, reopen it first"
        " (noac reopen 2026-03 --plant MAIN --reason TEXT)\n"
    )
    reopened = noac(db, "reopen", "2026-03", "--plant", "MAIN", "--reason", "late forms")
    assert reopened.exit_code == 0, reopened.output
    assert "closed (run 2)" in noac(db, "close", "2026-03").output


def test_a_month_before_the_last_closed_one_is_not_closed_after_it(db):
    """A month mistyped a year early is refused: it counts as closed with the months after it,
    and closed on its own it could only be reopened with all of them."""
    assert noac(db, "close", "2026-03").exit_code == 0
    refused = noac(db, "close", "2025-03")
    assert (refused.exit_code, refused.output) == (
        1,
        "error: 2025-03 is before 2026-03, the last closed month of plant MAIN: months close in"
        " order, so it counts as closed already (the months closed after it read it empty)\n",
    )
    assert "2025-03 is not closed" in noac(db, "export", "coefficients", "2025-03").output
    assert "2026-03 reopened" in noac(db, "reopen", "2026-03", "--reason", "late").output

"""`noac import defects`: history with rulings and closures, atomic and idempotent."""

import json
from datetime import UTC, date, datetime

import pytest
from sqlmodel import col, select

from noac.errors import ImportRejected, NoacError
from noac.importers import import_file
from noac.models import Period, ProblemEvent, QualityProblem
from noac.services import bulk, problems
from noac.services.coefficients import reopen_month
from noac.services.plants import resolve_plant
from tests.conftest import DATA, QUALITY, SYSTEM, snapshot, supervisor, write_csv

AERO = DATA / "demo" / "aerospace"

GOOD = """
id,date,found_at,part,op,code,severity,qty,description,responsible,deadline,closed_on,cost
Q-1,2026-03-10,ASSY,BP-100,60,PIT-FACE,major,12,pits,STORE:0.6;SHEET,2026-04-30,2026-04-20,1500
Q-2,2026-03-12,QC-FIN,ACT-200,,WELD-POR,minor,2,porosity,,,,
Q-3,2026-04-02,ASSY,BP-100,,,critical,1,unknown cause,,2026-05-15,,
"""


@pytest.fixture
def plant(session):
    for kind, file in (
        ("units", "units.csv"),
        ("defect-codes", "defect_codes.csv"),
        ("routings", "routings.csv"),
    ):
        import_file(actor=SYSTEM, session=session, kind=kind, path=AERO / file, plant_code="AERO")
    return resolve_plant(session=session, code="AERO")


def test_history_is_imported_with_its_state_and_reimport_changes_nothing(
    tmp_path, engine, session, plant
):
    path = write_csv(tmp_path / "defects.csv", GOOD)
    summary = import_file(actor=SYSTEM, session=session, kind="defects", path=path)
    assert (summary.rows, summary.created) == (3, 3)
    found = {p.ref: p for p in problems.list_problems(session=session, plant=plant)}
    assert found["Q-1"].status == "closed"
    assert found["Q-1"].responsible == pytest.approx({"SHEET": 0.4, "STORE": 0.6})
    assert (found["Q-1"].escapes, found["Q-1"].counted_month, found["Q-1"].cost) == (
        ["QC-SM"],
        "2026-03",
        1500.0,
    )
    assert (found["Q-2"].status, found["Q-2"].proposed) == ("proposed", "WELD")
    # no code: nearest upstream work at another unit than ASSY on BP-100 is SURF plating
    assert (found["Q-3"].proposed, found["Q-3"].deadline) == ("SURF", "2026-05-15")
    overdue = problems.list_problems(
        session=session, plant=plant, status="overdue", as_of=date(2026, 5, 16)
    )
    assert [p.ref for p in overdue] == ["Q-3"]
    before = snapshot(engine)
    again = import_file(actor=SYSTEM, session=session, kind="defects", path=path)
    assert (again.created, again.unchanged) == (0, 3)
    assert snapshot(engine) == before


def test_bad_defects_file_reports_every_row_and_writes_nothing(tmp_path, engine, session, plant):
    import_file(
        actor=SYSTEM, session=session, kind="defects", path=write_csv(tmp_path / "ok.csv", GOOD)
    )
    before = snapshot(engine)
    bad = write_csv(
        tmp_path / "bad.csv",
        """
id,date,found_at,part,op,code,severity,qty,description,responsible,deadline,closed_on
Q-1,2026-03-10,ASSY,BP-100,60,PIT-FACE,minor,12,changed severity,,,
Q-9,2099-01-01,WELD,BP-100,,X,minor,1,,,,
Q-10,2026-03-10,ASSY,NOPE,,X,minor,one,,STORE:0.5;SHEET:0.3,,
Q-10,2026-03-10,ASSY,BP-100,77,X,bad,1,,,2026-13-01,2026-03-11
Q-11,2026-03-10,ASSY,BP-100,60,PIT-FACE,minor,2000000000,,,2026-03-09,
""",
    )
    with pytest.raises(ImportRejected) as excinfo:
        import_file(actor=SYSTEM, session=session, kind="defects", path=bad)
    assert [(e.row, e.column, e.reason) for e in excinfo.value.errors] == [
        (
            2,
            "id",
            "problem 'Q-1' already exists with other values; it changes through its workflow,"
            " not by a new import",
        ),
        (3, "date", "2099-01-01 is in the future"),
        (3, "found_at", "unit WELD is not on the routing of part BP-100 (routing version 1)"),
        (4, "part", "unknown part 'NOPE'"),
        (4, "qty", "'one' is not a whole number from 1 to 1,000,000,000"),
        (4, "responsible", "shares sum to 0.8, not 1"),
        (5, "closed_on", "a closed problem needs its responsible unit(s)"),
        (5, "deadline", "'2026-13-01' is not a date (YYYY-MM-DD)"),
        (5, "id", "'Q-10' already appears in row 4"),
        (5, "op", "part BP-100 (routing version 1) has no operation '77'"),
        (5, "severity", "'bad' is not one of minor, major, critical"),
        (6, "deadline", "2026-03-09 is before the date found 2026-03-10"),
        (6, "qty", "'2000000000' is not a whole number from 1 to 1,000,000,000"),
    ]
    assert snapshot(engine) == before


def test_dates_as_a_chinese_spreadsheet_writes_them_are_read_as_the_same_days(
    tmp_path, engine, session, plant
):
    """Excel on a Chinese system saves a date in a CSV file as 2026/3/10, typed by hand it
    may read 2026年4月30日: year first, they are the same days as the ISO file's, which then
    changes nothing. A day first is refused: 10/03/2026 is the 10th of March or the 3rd of
    October."""
    written = (
        GOOD.replace("2026-03-10", "2026/3/10")
        .replace("2026-04-30", "2026年4月30日")
        .replace("2026-04-20", "2026.4.20")
        .replace("2026-05-15", "2026-5-15")
    )
    summary = import_file(
        actor=SYSTEM, session=session, kind="defects", path=write_csv(tmp_path / "zh.csv", written)
    )
    assert summary.created == 3
    before = snapshot(engine)
    iso = import_file(
        actor=SYSTEM, session=session, kind="defects", path=write_csv(tmp_path / "iso.csv", GOOD)
    )
    assert (iso.created, iso.unchanged) == (0, 3)
    assert snapshot(engine) == before
    header, first = GOOD.strip().splitlines()[:2]
    day_first = write_csv(
        tmp_path / "dmy.csv", f"{header}\n{first.replace('2026-03-10', '10/03/2026')}"
    )
    with pytest.raises(ImportRejected) as excinfo:
        import_file(actor=SYSTEM, session=session, kind="defects", path=day_first)
    assert [(e.row, e.column, e.reason) for e in excinfo.value.errors] == [
        (2, "date", "'10/03/2026' is not a date (YYYY-MM-DD)")
    ]
    assert snapshot(engine) == before


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("pits,", "pits and dents,"),
        ("STORE:0.6;SHEET", "STORE"),
        ("2026-04-30", "2026-04-28"),
        (",2026-04-20,", ",,"),
        (",1500", ","),
    ],
    ids=["description", "responsible", "deadline", "closed_on", "cost"],
)
def test_a_stored_problem_imported_again_with_other_values_is_refused(
    tmp_path, engine, session, plant, old, new
):
    import_file(
        actor=SYSTEM, session=session, kind="defects", path=write_csv(tmp_path / "ok.csv", GOOD)
    )
    before = snapshot(engine)
    header, first = GOOD.strip().splitlines()[:2]
    path = write_csv(tmp_path / "changed.csv", f"{header}\n{first.replace(old, new)}")
    with pytest.raises(ImportRejected) as excinfo:
        import_file(actor=SYSTEM, session=session, kind="defects", path=path)
    assert [(e.row, e.column) for e in excinfo.value.errors] == [(2, "id")]
    assert snapshot(engine) == before


def test_the_same_file_is_unchanged_after_the_problems_moved_on(tmp_path, session, plant):
    path = write_csv(tmp_path / "defects.csv", GOOD)
    import_file(actor=SYSTEM, session=session, kind="defects", path=path)
    problems.rule_problem(
        session=session,
        plant=plant,
        ref="Q-3",
        shares="SURF",
        reason="plating",
        actor=QUALITY,
        deadline=date(2026, 6, 30),
    )
    again = import_file(actor=SYSTEM, session=session, kind="defects", path=path)
    assert (again.created, again.unchanged) == (0, 3)


def test_the_same_file_is_unchanged_after_a_routing_changed_from_before_its_problems(
    tmp_path, engine, session, plant
):
    path = write_csv(tmp_path / "defects.csv", GOOD)
    import_file(actor=SYSTEM, session=session, kind="defects", path=path)
    # assembly on BP-100 becomes operation 65 from March 1st: Q-1 was found at operation 60
    routings = (AERO / "routings.csv").read_text(encoding="utf-8")
    renumbered = routings.replace("BP-100,60,", "BP-100,65,").replace(
        "BP-100,70,QC-FIN,inspection,60,", "BP-100,70,QC-FIN,inspection,65,"
    )
    changed = write_csv(tmp_path / "routings.csv", renumbered)
    import_file(
        actor=SYSTEM, session=session, kind="routings", path=changed, effective=date(2026, 3, 1)
    )
    before = snapshot(engine)
    again = import_file(actor=SYSTEM, session=session, kind="defects", path=path)
    assert (again.created, again.unchanged) == (0, 3)
    assert snapshot(engine) == before


def test_imported_history_is_in_order_and_counts_in_the_first_open_month(tmp_path, session, plant):
    session.add(Period(plant_id=plant.id, month="2026-03", closed_at=datetime.now(UTC)))
    session.commit()
    import_file(
        actor=SYSTEM, session=session, kind="defects", path=write_csv(tmp_path / "d.csv", GOOD)
    )
    closed = problems.problem_detail(session=session, plant=plant, ref="Q-1")
    assert [(h["action"], h["status"]) for h in closed.history] == [
        ("reported", "proposed"),
        ("traced", "proposed"),
        ("imported-responsibility", "ruled"),
        ("imported-closed", "closed"),
    ]
    assert closed.history[1]["note"].startswith("proposed: SHEET (op 30, bending)")
    # found in March, which was closed when the responsibility came in
    assert closed.counted_month == "2026-04"
    found = problems.problem_detail(session=session, plant=plant, ref="Q-2")
    assert [h["action"] for h in found.history] == ["reported", "traced"]
    assert found.counted_month is None


def test_history_overdue_in_a_closed_month_is_refused_until_it_is_reopened(
    tmp_path, engine, session, plant
):
    session.add(Period(plant_id=plant.id, month="2026-03", closed_at=datetime.now(UTC)))
    session.commit()
    before = snapshot(engine)
    path = write_csv(
        tmp_path / "late.csv",
        """
id,date,found_at,part,op,code,severity,qty,description,responsible,deadline,closed_on
L-1,2026-02-10,ASSY,BP-100,60,PIT-FACE,minor,1,open past a March deadline,STORE,2026-03-20,
L-2,2026-02-10,ASSY,BP-100,60,PIT-FACE,minor,1,closed in time,STORE,2026-03-20,2026-03-25
L-3,2026-02-10,ASSY,BP-100,60,PIT-FACE,minor,1,closed after March,STORE,2026-03-31,2026-04-03
L-4,2026-02-10,ASSY,BP-100,60,PIT-FACE,minor,1,due in April,STORE,2026-04-10,
L-5,2026-02-10,ASSY,BP-100,60,PIT-FACE,minor,1,nobody responsible yet,,2026-03-20,
""",
    )
    with pytest.raises(ImportRejected) as excinfo:
        import_file(actor=SYSTEM, session=session, kind="defects", path=path)
    reason = (
        "the problem would be overdue at the end of 2026-03, which is closed:"
        " reopen 2026-03 first, or give a deadline after 2026-03-31"
    )
    assert [(e.row, e.column, e.reason) for e in excinfo.value.errors] == [
        (2, "deadline", reason),
        (4, "deadline", reason),
    ]
    assert snapshot(engine) == before
    reopen_month(session=session, plant=plant, month="2026-03", reason="history", actor=QUALITY)
    session.commit()
    assert import_file(actor=SYSTEM, session=session, kind="defects", path=path).created == 5
    overdue = problems.list_problems(
        session=session, plant=plant, status="overdue", as_of=date(2026, 4, 1)
    )
    assert [p.ref for p in overdue] == ["L-1", "L-3", "L-5"]


def test_history_overdue_in_a_month_closed_since_is_unchanged_when_imported_again(
    tmp_path, engine, session, plant
):
    path = write_csv(
        tmp_path / "late.csv",
        """
id,date,found_at,part,op,code,severity,qty,description,responsible,deadline,closed_on
L-1,2026-02-10,ASSY,BP-100,60,PIT-FACE,minor,1,open past a March deadline,STORE,2026-03-20,
""",
    )
    import_file(actor=SYSTEM, session=session, kind="defects", path=path)
    # March is closed with L-1 overdue in it: the same file changes nothing
    session.add(Period(plant_id=plant.id, month="2026-03", closed_at=datetime.now(UTC)))
    session.commit()
    before = snapshot(engine)
    again = import_file(actor=SYSTEM, session=session, kind="defects", path=path)
    assert (again.created, again.unchanged) == (0, 1)
    assert snapshot(engine) == before


def test_a_problem_imported_without_responsibility_is_not_settled_overdue_in_a_closed_month(
    tmp_path, engine, session, plant
):
    path = write_csv(
        tmp_path / "open.csv",
        """
id,date,found_at,part,op,code,severity,qty,description,responsible,deadline,closed_on
L-5,2026-02-10,ASSY,BP-100,60,PIT-FACE,minor,1,nobody responsible yet,,2026-03-20,
""",
    )
    import_file(actor=SYSTEM, session=session, kind="defects", path=path)
    session.add(Period(plant_id=plant.id, month="2026-03", closed_at=datetime.now(UTC)))
    session.commit()
    before = snapshot(engine)
    with pytest.raises(NoacError, match="would be overdue for SHEET at the end of 2026-03"):
        problems.accept_problem(
            session=session, plant=plant, ref="L-5", actor=supervisor(plant, "SHEET")
        )
    assert snapshot(engine) == before


def test_a_large_file_is_imported_in_bulk_with_every_problem_traced(
    tmp_path, session, plant, monkeypatch
):
    monkeypatch.setattr(problems, "LOOKUP_BATCH", 7)
    monkeypatch.setattr(bulk, "COPY_FROM", 5)  # PostgreSQL: events, shares, escapes by COPY
    started = datetime.now(UTC).replace(tzinfo=None)
    lines = ["id,date,found_at,part,op,code,severity,qty,responsible"]
    for number in range(60):
        op, code = (("60", "PIT-FACE"), ("", "CORR"), ("40", ""))[number % 3]
        responsible = "STORE:0.6;SHEET" if number % 4 == 0 else ""
        lines.append(
            f"B-{number},2026-03-{number % 28 + 1:02d},"
            f"{'ASSY' if op != '40' else 'QC-SM'},BP-100,{op},{code},minor,1,{responsible}"
        )
    path = write_csv(tmp_path / "many.csv", "\n".join(lines))
    summary = import_file(actor=SYSTEM, session=session, kind="defects", path=path)
    assert summary.created == 60
    listed = {p.ref: p for p in problems.list_problems(session=session, plant=plant)}
    assert len(listed) == 60
    traced = problems.trace_problems(session=session, plant=plant)
    assert list(traced) == [f"B-{number}" for number in range(60)]
    assert {ref: p.proposed for ref, p in listed.items()} == {
        ref: t.proposed.unit for ref, t in traced.items()
    }
    assert [listed[f"B-{n}"].proposed for n in range(3)] == ["SHEET", "STORE", "SHEET"]
    for number in range(0, 60, 4):
        shown = listed[f"B-{number}"]
        # found at the sheet-metal inspection itself, nothing escaped it
        escapes = [] if number % 3 == 2 else ["QC-SM"]
        assert (shown.status, shown.escapes) == ("ruled", escapes)
        assert shown.responsible == pytest.approx({"SHEET": 0.4, "STORE": 0.6})
    assert listed["B-1"].status == "proposed"
    events = session.exec(
        select(ProblemEvent.action, ProblemEvent.at, ProblemEvent.details)
        .join(QualityProblem, col(QualityProblem.id) == ProblemEvent.problem_id)
        .where(QualityProblem.ref == "B-4")
        .order_by(col(ProblemEvent.id))
    ).all()
    assert [action for action, *_ in events] == ["reported", "traced", "imported-responsibility"]
    ended = datetime.now(UTC).replace(tzinfo=None)
    assert all(started <= at.replace(tzinfo=None) <= ended for _, at, _ in events)  # in UTC
    assert json.loads(events[2].details)["shares"] == {"SHEET": 0.4, "STORE": 0.6}

"""Import of production event logs (noac import events FILE --map MAPPING)."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from noac.cli import app
from noac.db import create_db_engine, downgrade, migrate
from noac.errors import ImportRejected, NoacError
from noac.importers import import_file
from noac.models import (
    AuditRecord,
    Handover,
    ProblemEscape,
    ProblemEvent,
    ProblemResponsibility,
    QualityProblem,
    Unit,
)
from noac.services import coefficients, problems, users
from noac.services.events import import_events, load_mapping
from noac.services.plants import add_plant, resolve_plant
from noac.services.routings import all_routing_versions, routing_versions
from tests.apptest import page, signed_in
from tests.conftest import DATA, QUALITY, SYSTEM, snapshot, supervisor, write_csv

LEVY = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "levy2014"

MAPPING = r"""
[columns]
order = "order"
part = "part"
activity = "activity"
resource = "resource"
start = "start"
end = "end"
done = "done"
rejected = "rejected"
review = "review"
report_type = "type"

[production]
report_type = "D"

[units.TM]
name = "Turning & Milling"
kind = "workshop"
category = "turning-milling"

[units.GRIND]
name = "Grinding"
kind = "workshop"
category = "grinding"

[units.QC]
name = "Quality Check"
kind = "inspection"
category = "inspection"

[units.PACK]
name = "Packing"
kind = "store"
category = "packing"

[[rules]]
activity = '.*Q\.C\..*'
unit = "QC"

[[rules]]
resource = 'Machine \d+ - Turning & Milling'
unit = "TM"
op = "turn-mill"

[[rules]]
resource = 'Machine \d+ - Grinding'
unit = "GRIND"
op = "grind"

[[rules]]
resource_is = "Packing"
unit = "PACK"
op = "pack"
"""

HEADER = "order,part,activity,resource,start,end,done,rejected,review,type"

REWORK_LOG = f"""
{HEADER}
O1,Shaft,Turning,Machine 4 - Turning & Milling,2024-03-01 08:00,2024-03-01 09:00,0,0,0,S
O1,Shaft,Turning,Machine 4 - Turning & Milling,2024-03-01 09:00,2024-03-01 12:00,10,0,0,D
O1,Shaft,TM Q.C.,Quality Check 1,2024-03-01 13:00,2024-03-01 14:00,8,2,0,D
O1,Shaft,Turning,Machine 5 - Turning & Milling,2024-03-02 08:00,2024-03-02 09:00,2,0,0,D
O1,Shaft,TM Q.C.,Quality Check 1,2024-03-02 10:00,2024-03-02 11:00,2,0,0,D
O1,Shaft,Packing,Packing,2024-03-02 12:00,2024-03-02 13:00,10,0,0,D
O1,Shaft,Packing,Packing,,,10,0,0,D
"""

TWO_PATHS_LOG = f"""
{HEADER}
A,Gear,Turning,Machine 4 - Turning & Milling,2024-03-01 08:00,2024-03-01 09:00,5,0,0,D
A,Gear,Grinding,Machine 10 - Grinding,2024-03-01 10:00,2024-03-01 11:00,5,0,0,D
A,Gear,Final Q.C.,Quality Check 1,2024-03-01 12:00,2024-03-01 13:00,3,2,0,D
B,Gear,Grinding,Machine 10 - Grinding,2024-03-05 08:00,2024-03-05 09:00,4,0,0,D
B,Gear,Turning,Machine 4 - Turning & Milling,2024-03-05 10:00,2024-03-05 11:00,4,0,0,D
B,Gear,Final Q.C.,Quality Check 1,2024-04-01 12:00,2024-04-01 13:00,3,1,1,D
"""


@pytest.fixture
def mapping(tmp_path) -> Path:
    path = tmp_path / "map.toml"
    path.write_text(MAPPING, encoding="utf-8")
    return path


def _import(session, tmp_path, mapping, log: str, **kwargs):
    path = write_csv(tmp_path / "log.csv", log)
    return import_events(
        session=session, path=path, mapping_path=mapping, plant_code="P", actor=SYSTEM, **kwargs
    )


def _edges(view) -> set[tuple[str, str]]:
    return {(before, o.op) for o in view.operations for before in o.after}


def test_rework_loop_is_kept_in_the_observed_routing(session, tmp_path, mapping):
    summary = _import(session, tmp_path, mapping, REWORK_LOG)
    plant = resolve_plant(session=session, code="P")
    (view,) = routing_versions(session=session, plant=plant, part="Shaft", source="observed")
    assert view.source == "observed" and view.effective_from is None
    assert [o.op for o in view.operations] == ["turn-mill", "TM Q.C.", "pack"]
    assert _edges(view) == {
        ("turn-mill", "TM Q.C."),
        ("TM Q.C.", "turn-mill"),
        ("TM Q.C.", "pack"),
    }
    assert {o.op: o.inspection for o in view.operations}["TM Q.C."] is True
    # no declared routing was made
    with pytest.raises(Exception, match="no routing"):
        routing_versions(session=session, plant=plant, part="Shaft")
    assert summary.orders == 1 and summary.production_rows == 5 and summary.rows == 7
    assert summary.skipped == {"not a production row (type 'S')": 1, "no start time": 1}
    assert sorted(summary.units_created) == ["PACK", "QC", "TM"]
    moves = {
        (h.from_unit_id, h.to_unit_id): h.quantity
        for h in session.exec(select(Handover).where(Handover.plant_id == plant.id))
    }
    units = {u.code: u.id for u in session.exec(select(Unit))}
    # TM -> QC twice (10, then 2 reworked), QC -> TM once (8 passed), QC -> PACK once (2)
    assert moves == {
        (units["TM"], units["QC"]): 12,
        (units["QC"], units["TM"]): 8,
        (units["QC"], units["PACK"]): 2,
    }
    (problem,) = session.exec(select(QualityProblem))
    assert problem.quantity == 2 and problem.proposed_unit_id == units["TM"]
    assert problem.ref == "O1/r4" and problem.op == "TM Q.C." and problem.defect_code is None


def test_a_handover_quantity_replaced_by_a_log_is_kept_in_the_audit_record(
    session, tmp_path, mapping
):
    _import(session, tmp_path, mapping, REWORK_LOG)
    corrected = write_csv(tmp_path / "handovers.csv", "month,from,to,quantity\n2024-03,TM,QC,500")
    import_file(actor=SYSTEM, session=session, kind="handovers", path=corrected, plant_code="P")
    summary = _import(session, tmp_path, mapping, REWORK_LOG)
    replaced = [{"key": "2024-03 TM->QC", "before": {"quantity": 500.0}, "after": {"quantity": 12}}]
    assert summary.changes == replaced
    # the user who entered 500 is told
    assert "months 2024-03; 1 stored quantity replaced:\n    2024-03 TM->QC: 500 -> 12\n" in str(
        summary
    )
    record = session.exec(select(AuditRecord).order_by(col(AuditRecord.id).desc())).first()
    assert (record.entity, json.loads(record.after)["changes"]) == ("events", replaced)


def test_a_log_of_a_month_before_the_last_closed_one_is_refused(engine, session, tmp_path, mapping):
    """The months closed read the months before them: a log of an earlier month, closed or
    not, would change what they read."""
    _import(session, tmp_path, mapping, TWO_PATHS_LOG)
    plant = resolve_plant(session=session, code="P")
    for month in ("2024-03", "2024-04"):
        coefficients.close_month(session=session, plant=plant, month=month, actor=QUALITY)
    before = snapshot(engine)
    february = REWORK_LOG.replace("2024-03-0", "2024-02-0")
    with pytest.raises(ImportRejected) as excinfo:
        _import(session, tmp_path, mapping, february)
    assert [(e.row, e.column, e.reason) for e in excinfo.value.errors] == [
        (
            None,
            "start",
            "2024-02 is before 2024-04, the last closed month: months close in order, so it"
            " takes no handovers",
        )
    ]
    assert snapshot(engine) == before


def test_a_log_whose_handovers_leave_a_form_out_names_it(session, tmp_path, mapping):
    # March is scored on the declared routing turning -> grinding -> Q.C.: GRIND scored TM
    for kind, text in (
        (
            "units",
            "code,name,kind,categories\nTM,Turning,workshop,turning-milling\n"
            "GRIND,Grinding,workshop,grinding\nQC,Quality Check,inspection,inspection",
        ),
        (
            "routings",
            "part,op,unit,after,inspection\nGear,turn-mill,TM,,0\nGear,grind,GRIND,turn-mill,0\n"
            "Gear,Final Q.C.,QC,grind,1",
        ),
        (
            "scores",
            "month,rater,ratee,criterion,value\n"
            + "\n".join(
                f"2024-03,GRIND,TM,{c},8" for c in ("quality", "delivery", "service", "handover")
            ),
        ),
    ):
        path = write_csv(tmp_path / f"{kind}.csv", text)
        import_file(actor=SYSTEM, session=session, kind=kind, path=path, plant_code="P")
    # the log shows that March's only order went grinding -> turning -> Q.C.: its handovers
    # now decide who scores whom in March, and TM handed nothing to GRIND
    log = "\n".join(line for line in TWO_PATHS_LOG.splitlines() if not line.startswith("A,"))
    summary = _import(session, tmp_path, mapping, log.replace("2024-04-01", "2024-03-06"))
    note = (
        "the form of GRIND for TM in 2024-03 no longer counts: TM did not supply GRIND that month"
    )
    assert summary.notes == [note]
    assert f"\n  {note}" in str(summary)


def test_two_orders_of_a_part_with_different_paths(session, tmp_path, mapping):
    summary = _import(session, tmp_path, mapping, TWO_PATHS_LOG)
    plant = resolve_plant(session=session, code="P")
    (view,) = routing_versions(session=session, plant=plant, part="Gear", source="observed")
    # every operation is preceded in some order: the observed graph has no starting operation
    assert _edges(view) == {
        ("turn-mill", "grind"),
        ("grind", "turn-mill"),
        ("grind", "Final Q.C."),
        ("turn-mill", "Final Q.C."),
    }
    assert summary.handover_months == ["2024-03", "2024-04"]
    by_ref = {p.ref: p for p in session.exec(select(QualityProblem))}
    units = {u.id: u.code for u in session.exec(select(Unit))}
    # each reject is traced over its order's own sequence, not over the merged graph
    assert units[by_ref["A/r4"].proposed_unit_id] == "GRIND"
    assert units[by_ref["B/r7"].proposed_unit_id] == "TM"
    assert by_ref["B/r7"].found_on.isoformat() == "2024-04-01"
    assert "1 to review" in by_ref["B/r7"].description
    traced = session.exec(
        select(ProblemEvent).where(
            ProblemEvent.problem_id == by_ref["B/r7"].id, ProblemEvent.action == "traced"
        )
    ).one()
    details = json.loads(traced.details)
    assert details["order_sequence"] == ["grind", "turn-mill", "Final Q.C."]
    assert details["candidates"][0]["unit"] == "TM"


INSPECTED_ON_ONE_PATH_LOG = f"""
{HEADER}
A,Shaft,Turning,Machine 4 - Turning & Milling,2024-03-01 08:00,2024-03-01 09:00,5,0,0,D
A,Shaft,TM Q.C.,Quality Check 1,2024-03-01 10:00,2024-03-01 11:00,5,0,0,D
A,Shaft,Grinding,Machine 10 - Grinding,2024-03-01 12:00,2024-03-01 13:00,5,0,0,D
A,Shaft,Final Q.C.,Quality Check 1,2024-03-01 14:00,2024-03-01 15:00,4,1,0,D
B,Shaft,Turning,Machine 4 - Turning & Milling,2024-03-05 08:00,2024-03-05 09:00,5,0,0,D
B,Shaft,Grinding,Machine 10 - Grinding,2024-03-05 10:00,2024-03-05 11:00,5,0,0,D
B,Shaft,Final Q.C.,Quality Check 1,2024-03-05 12:00,2024-03-05 13:00,4,1,0,D
"""


def test_an_imported_problem_is_traced_again_on_its_orders_path(session, tmp_path, mapping):
    _import(session, tmp_path, mapping, TWO_PATHS_LOG)
    plant = resolve_plant(session=session, code="P")
    # on the part's merged graph GRIND and TM are both next to Final Q.C. (GRIND first by
    # code); order B went grind -> turn -> Final Q.C., as the import traced it
    again = problems.trace_problem(session=session, plant=plant, ref="B/r7")
    assert [(c.unit, c.distance) for c in again.candidates] == [("TM", 1)]
    assert problems.trace_problem(session=session, plant=plant, ref="A/r4").proposed.unit == (
        "GRIND"
    )


REWORKED_LOG = f"""
{HEADER}
R,Shaft,Turning,Machine 4 - Turning & Milling,2024-03-01 08:00,2024-03-01 09:00,5,0,0,D
R,Shaft,Grinding,Machine 10 - Grinding,2024-03-01 10:00,2024-03-01 11:00,5,0,0,D
R,Shaft,Final Q.C.,Quality Check 1,2024-03-01 12:00,2024-03-01 13:00,5,0,0,D
R,Shaft,Turning,Machine 4 - Turning & Milling,2024-03-02 08:00,2024-03-02 09:00,5,0,0,D
R,Shaft,Final Q.C.,Quality Check 1,2024-03-02 10:00,2024-03-02 11:00,4,1,0,D
"""


def test_a_reject_after_a_rework_loop_is_traced_to_the_work_done_last(session, tmp_path):
    path = tmp_path / "traced.toml"
    path.write_text(MAPPING + '\n[problems]\nresponsibility = "traced"\n', encoding="utf-8")
    _import(session, tmp_path, path, REWORKED_LOG)
    plant = resolve_plant(session=session, code="P")
    # turning and grinding are both one step before Final Q.C. on the order's path graph;
    # along the order's steps turning came right before the reject, grinding three steps
    # before it: TM, not GRIND by code
    traced = session.exec(select(ProblemEvent).where(ProblemEvent.action == "traced")).one()
    details = json.loads(traced.details)
    assert details["order_sequence"] == [
        "turn-mill", "grind", "Final Q.C.", "turn-mill", "Final Q.C."
    ]  # fmt: skip
    assert [(c["unit"], c["distance"]) for c in details["candidates"]] == [("TM", 1)]
    (problem,) = problems.list_problems(session=session, plant=plant)
    assert (problem.ref, problem.proposed, problem.responsible) == ("R/r6", "TM", {"TM": 1.0})
    # traced again (noac trace, the quality desk) and explained to TM (My problems): the same
    again = problems.trace_problem(session=session, plant=plant, ref="R/r6")
    assert [(c.unit, c.path) for c in again.candidates] == [("TM", ("turn-mill", "Final Q.C."))]
    why = problems.proposed_candidate(session=session, plant=plant, ref="R/r6")
    assert (why.unit, why.op, why.escapes) == ("TM", "turn-mill", ())


PACKED_LOG = f"""
{HEADER}
L,Shaft,Turning,Machine 4 - Turning & Milling,2024-03-01 08:00,2024-03-01 09:00,5,0,0,D
L,Shaft,TM Q.C.,Quality Check 1,2024-03-01 10:00,2024-03-01 11:00,5,0,0,D
L,Shaft,Packing,Packing,2024-03-01 12:00,2024-03-01 13:00,5,0,0,D
L,Shaft,Final Q.C.,Quality Check 1,2024-03-01 14:00,2024-03-01 15:00,5,0,0,D
L,Shaft,TM Q.C.,Quality Check 1,2024-03-02 08:00,2024-03-02 09:00,4,1,0,D
"""


def test_a_reject_is_traced_to_the_work_done_last_however_near_an_earlier_visit_was(
    session, tmp_path
):
    path = tmp_path / "traced.toml"
    path.write_text(MAPPING + '\n[problems]\nresponsibility = "traced"\n', encoding="utf-8")
    _import(session, tmp_path, path, PACKED_LOG)
    plant = resolve_plant(session=session, code="P")
    # on the order's path graph turning is one step before TM Q.C. (its first visit), packing
    # two; the order was packed and passed Final Q.C. after it was turned: PACK answers, and
    # Final Q.C. let the defect through
    (problem,) = problems.list_problems(session=session, plant=plant)
    assert (problem.ref, problem.proposed, problem.responsible) == ("L/r6", "PACK", {"PACK": 1.0})
    escapes = session.exec(select(ProblemEscape.op)).all()
    assert (problem.escapes, escapes) == (["QC"], ["Final Q.C."])
    again = problems.trace_problem(session=session, plant=plant, ref="L/r6")
    assert [(c.unit, c.distance, c.path) for c in again.candidates] == [
        ("PACK", 2, ("pack", "Final Q.C.", "TM Q.C."))
    ]


def test_a_stored_proposal_is_kept_and_tracing_again_follows_the_order_s_steps(
    session, tmp_path, mapping
):
    _import(session, tmp_path, mapping, PACKED_LOG)
    plant = resolve_plant(session=session, code="P")
    tm = session.exec(select(Unit).where(Unit.code == "TM")).one()
    # the import stored the proposal TM, as it did when the order's path graph ranked
    # candidates by their shortest path
    stored = session.exec(select(QualityProblem)).one()
    stored.proposed_unit_id = tm.id
    session.add(stored)
    session.commit()
    again = _import(session, tmp_path, mapping, PACKED_LOG)
    assert again.changed_nothing and again.problems_unchanged == 1
    # tracing it again (noac trace, the quality desk) follows the order's steps: packing was
    # the work done last (turning four steps before the reject); the stored proposal stays
    traced = problems.trace_problem(session=session, plant=plant, ref="L/r6")
    assert [c.unit for c in traced.candidates] == ["PACK"]
    assert problems.problem_detail(session=session, plant=plant, ref="L/r6").proposed == "TM"
    assert problems.proposed_candidate(session=session, plant=plant, ref="L/r6") is None
    # TM accepting records the inspections the order passed since it was turned: TM Q.C.
    # (which passed it once before rejecting it) and Final Q.C.
    problems.accept_problem(session=session, plant=plant, ref="L/r6", actor=supervisor(plant, "TM"))
    detail = problems.problem_detail(session=session, plant=plant, ref="L/r6")
    assert (detail.proposed, detail.responsible) == ("TM", {"TM": 1.0})
    escapes = session.exec(select(ProblemEscape.op).order_by(ProblemEscape.op)).all()
    assert escapes == ["Final Q.C.", "TM Q.C."]


def test_a_ruling_on_an_imported_problem_records_the_escapes_of_its_orders_path(
    session, tmp_path, mapping
):
    _import(session, tmp_path, mapping, INSPECTED_ON_ONE_PATH_LOG)
    plant = resolve_plant(session=session, code="P")
    for ref in ("A/r5", "B/r8"):
        problems.rule_problem(
            session=session, plant=plant, ref=ref, shares="TM", reason="turning", actor=QUALITY
        )
    escapes = {
        ref: problems.problem_detail(session=session, plant=plant, ref=ref).escapes
        for ref in ("A/r5", "B/r8")
    }
    # order A passed TM Q.C. after turning; order B went from turning straight to grinding,
    # though the part's merged graph has both paths
    assert escapes == {"A/r5": ["QC"], "B/r8": []}


def test_an_xlsx_log_with_date_cells(session, tmp_path, mapping):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for number, line in enumerate(TWO_PATHS_LOG.strip().splitlines()):
        cells: list = line.split(",")
        if number:
            cells[4] = datetime.fromisoformat(cells[4])
            cells[6:9] = [int(c) for c in cells[6:9]]
        sheet.append(cells)
    path = tmp_path / "log.xlsx"
    workbook.save(path)
    summary = import_events(
        session=session, path=path, mapping_path=mapping, plant_code="P", actor=SYSTEM
    )
    assert (summary.orders, summary.problems, summary.traced) == (2, 2, 2)


def test_the_same_log_imported_again_changes_nothing(engine, tmp_path, mapping):
    with Session(engine) as session:
        _import(session, tmp_path, mapping, TWO_PATHS_LOG)
        before = snapshot(engine)
        again = _import(session, tmp_path, mapping, TWO_PATHS_LOG)
    assert (again.routings_unchanged, again.problems, again.problems_unchanged) == (1, 0, 2)
    assert snapshot(engine) == before  # not even an audit record of an import that did nothing


def test_a_re_export_with_a_row_on_top_and_rows_reordered_creates_no_problem_twice(
    engine, tmp_path, mapping
):
    with Session(engine) as session:
        _import(session, tmp_path, mapping, TWO_PATHS_LOG)
        before = snapshot(engine)
        header, *rows = TWO_PATHS_LOG.strip().splitlines()
        setup = "A,Gear,Turning,Machine 4 - Turning & Milling,2024-03-01 07:00,,0,0,0,S"
        again = _import(session, tmp_path, mapping, "\n".join([header, setup, *rows[::-1]]))
    assert (again.problems, again.problems_unchanged, again.problems_moved) == (0, 2, 2)
    assert "0 created (0 rejected parts), 2 rejects already stored (2 of them from another" in str(
        again
    )
    assert snapshot(engine) == before  # the refs A/r4 and B/r7 stay, nothing is written


# order T reports grinding and two Q.C. rejects over the same hour, order U two packing
# reports (times entered after the fact); Milling counts as turn-mill, in a category of its own
TIED_LOG = f"""
{HEADER}
T,Gear,Turning,Machine 4 - Turning & Milling,2024-03-01 08:00,2024-03-01 09:00,5,0,0,D
T,Gear,Grinding,Machine 10 - Grinding,2024-03-01 10:00,2024-03-01 11:00,5,0,0,D
T,Gear,Final Q.C.,Quality Check 1,2024-03-01 10:00,2024-03-01 11:00,3,2,0,D
T,Gear,Final Q.C.,Quality Check 1,2024-03-01 10:00,2024-03-01 11:00,0,1,0,D
U,Gear,Turning,Machine 4 - Turning & Milling,2024-03-04 08:00,2024-03-04 09:00,5,0,0,D
U,Gear,Final Q.C.,Quality Check 1,2024-03-04 10:00,2024-03-04 11:00,0,1,0,D
U,Gear,Packing,Packing,2024-03-05 00:00,2024-03-05 01:00,0,0,0,D
U,Gear,Packing,Packing,2024-03-05 00:00,2024-03-05 01:00,4,0,0,D
V,Gear,Milling,Machine 5 - Turning & Milling,2024-02-28 08:00,2024-02-28 09:00,5,0,0,D
V,Gear,Final Q.C.,Quality Check 1,2024-02-28 10:00,2024-02-28 11:00,5,0,0,D
"""
MILLING_RULE = """[[rules]]
activity_is = "Milling"
unit = "TM"
op = "turn-mill"
category = "milling"

"""


def _stored(session, code: str) -> dict:
    """What a plant holds from its logs, named by values: not by ids, nor by the log's rows."""
    plant = resolve_plant(session=session, code=code)
    units = {u.id: u.code for u in session.exec(select(Unit).where(Unit.plant_id == plant.id))}
    routings = all_routing_versions(session=session, plant=plant, source="observed")
    versions = {v.version_id: (v.part, v.version) for views in routings.values() for v in views}
    found = session.exec(select(QualityProblem).where(QualityProblem.plant_id == plant.id)).all()
    ids = {p.id: p.reject_key for p in found}
    shares = session.exec(
        select(ProblemResponsibility).where(col(ProblemResponsibility.problem_id).in_(ids))
    )
    traces = session.exec(
        select(ProblemEvent).where(
            col(ProblemEvent.problem_id).in_(ids), ProblemEvent.action == "traced"
        )
    )
    return {
        "routings": {
            part: [(v.version, v.effective_from, v.operations) for v in views]
            for part, views in routings.items()
        },
        "handovers": sorted(
            (h.month, units[h.from_unit_id], units[h.to_unit_id], h.quantity)
            for h in session.exec(select(Handover).where(Handover.plant_id == plant.id))
        ),
        "problems": {
            p.reject_key: (
                p.found_on,
                units[p.found_at_unit_id],
                p.op,
                p.quantity,
                versions[p.routing_version_id],
                p.status,
                p.proposed_unit_id and units[p.proposed_unit_id],
                p.counted_month,
            )
            for p in found
        },
        "responsible": sorted((ids[r.problem_id], units[r.unit_id], r.share) for r in shares),
        "traces": sorted((ids[e.problem_id], e.note, e.details) for e in traces),
    }


def test_any_order_of_the_rows_stores_the_same_result(engine, tmp_path):
    path = tmp_path / "map.toml"
    text = MAPPING.replace("[[rules]]", MILLING_RULE + "[[rules]]", 1).replace(
        'category = "turning-milling"', 'categories = ["turning-milling", "milling"]'
    )
    path.write_text(text + '\n[problems]\nresponsibility = "traced"\n', encoding="utf-8")
    header, *rows = TIED_LOG.strip().splitlines()
    with Session(engine) as session:
        _import(session, tmp_path, path, TIED_LOG)
        reversed_log = "\n".join([header, *rows[::-1]])
        log = write_csv(tmp_path / "reversed.csv", reversed_log)
        add_plant(session=session, code="Q", name="Q", actor=SYSTEM)
        import_events(session=session, path=log, mapping_path=path, plant_code="Q", actor=SYSTEM)
        stored = _stored(session, "P")
        assert _stored(session, "Q") == stored
        # rows with the same times are taken by their values: Final Q.C. before Grinding, so
        # order T's rejects come from turning; turn-mill is first seen as Milling (order V)
        (view,) = stored["routings"]["Gear"]
        assert [(o.op, o.category) for o in view[2]] == [
            ("turn-mill", "milling"),
            ("Final Q.C.", "inspection"),
            ("grind", "grinding"),
            ("pack", "packing"),
        ]
        # Q.C. passed order U on without a quantity: the 4 packed, not the empty report
        assert stored["handovers"] == [
            ("2024-02", "TM", "QC", 5),
            ("2024-03", "QC", "GRIND", 3),
            ("2024-03", "QC", "PACK", 4),
            ("2024-03", "TM", "QC", 10),
        ]
        assert sorted(u for _, u, _ in stored["responsible"]) == ["TM", "TM", "TM"]
        before = snapshot(engine)
        shuffled = [rows[i] for i in (5, 2, 9, 7, 0, 3, 8, 6, 1, 4)]
        again = _import(session, tmp_path, path, "\n".join([header, *shuffled]))
    assert again.changed_nothing and again.problems_unchanged == 3
    assert snapshot(engine) == before


def test_a_log_extended_by_a_month_creates_only_its_new_rejects(session, tmp_path, mapping):
    _import(session, tmp_path, mapping, TWO_PATHS_LOG)
    header, *rows = TWO_PATHS_LOG.strip().splitlines()
    may = [
        "C,Gear,Final Q.C.,Quality Check 1,2024-05-10 12:00,2024-05-10 13:00,2,1,0,D",
        "C,Gear,Turning,Machine 4 - Turning & Milling,2024-05-09 08:00,,3,0,0,D",
        # order A's new reject lands on row 4, where A's March reject was
        "A,Gear,Final Q.C.,Quality Check 1,2024-05-02 10:00,2024-05-02 11:00,1,1,0,D",
        "A,Gear,Grinding,Machine 10 - Grinding,2024-05-02 08:00,2024-05-02 09:00,2,0,0,D",
    ]
    longer = _import(session, tmp_path, mapping, "\n".join([header, *may, *rows[::-1]]))
    assert (longer.problems, longer.problems_unchanged, longer.rejected_parts) == (2, 2, 2)
    stored = {p.ref: (p.quantity, p.found_on) for p in session.exec(select(QualityProblem))}
    assert stored == {
        "A/r4": (2, date(2024, 3, 1)),
        "B/r7": (1, date(2024, 4, 1)),
        "C/r2": (1, date(2024, 5, 10)),
        "A/r4-2": (1, date(2024, 5, 2)),  # row 4 of this log, under a ref of its own
    }
    again = _import(session, tmp_path, mapping, "\n".join([header, *rows, *may[::-1]]))
    assert (again.problems, again.problems_unchanged) == (0, 4)


def test_identical_reject_rows_are_a_problem_each_and_named(session, tmp_path, mapping):
    twice = "A,Gear,Final Q.C.,Quality Check 1,2024-03-01 12:00,2024-03-01 13:00,3,2,0,D"
    log = TWO_PATHS_LOG + twice + "\n"
    first = _import(session, tmp_path, mapping, log)
    assert (first.problems, first.rejected_parts) == (3, 5)
    assert "rows 4 and 8 report the same reject (every value alike): a problem each" in str(first)
    header, *rows = log.strip().splitlines()
    again = _import(session, tmp_path, mapping, "\n".join([header, *rows[::-1]]))
    assert (again.problems, again.problems_unchanged) == (0, 3)
    third = _import(session, tmp_path, mapping, log + twice + "\n")  # reported a third time
    assert (third.problems, third.problems_unchanged) == (1, 3)


def test_rejects_imported_before_the_upgrade_are_recognised_after_it(db_url, tmp_path, mapping):
    twice = "A,Gear,Final Q.C.,Quality Check 1,2024-03-01 12:00,2024-03-01 13:00,3,2,0,D"
    log = TWO_PATHS_LOG + twice + "\n"
    engine = create_db_engine(db_url)

    def keys() -> dict[str, str | None]:
        with Session(engine) as session:
            return dict(session.exec(select(QualityProblem.ref, QualityProblem.reject_key)).all())

    try:
        migrate(engine)
        with Session(engine) as session:
            _import(session, tmp_path, mapping, log)
        imported = keys()
        downgrade(engine, "0014")  # the problems as stored before reject keys
        migrate(engine)
        assert keys() == imported
        assert len(set(imported.values()) - {None}) == 3
        header, *rows = log.strip().splitlines()
        with Session(engine) as session:
            again = _import(session, tmp_path, mapping, "\n".join([header, *rows[::-1]]))
        assert (again.problems, again.problems_unchanged) == (0, 3)
    finally:
        engine.dispose()


def test_a_second_log_adds_an_observed_version_only_when_the_graph_changed(
    session, tmp_path, mapping
):
    _import(session, tmp_path, mapping, REWORK_LOG)
    again = _import(session, tmp_path, mapping, REWORK_LOG)
    assert (again.routings_unchanged, again.problems, again.problems_unchanged) == (1, 0, 1)
    later = REWORK_LOG.replace("2024-03-0", "2024-05-0").replace("O1,", "O2,")
    later += "O2,Shaft,Grinding,Machine 10 - Grinding,2024-05-03 08:00,,3,0,0,D\n"
    changed = _import(session, tmp_path, mapping, later)
    assert changed.routings_updated == 1
    plant = resolve_plant(session=session, code="P")
    versions = routing_versions(session=session, plant=plant, part="Shaft", source="observed")
    assert [v.effective_from and v.effective_from.isoformat() for v in versions] == [
        None,
        "2024-05-01",
    ]
    new = session.exec(select(QualityProblem).where(QualityProblem.ref == "O2/r4")).one()
    assert new.routing_version_id == versions[1].version_id


def test_an_earlier_log_imported_again_after_a_later_one_changes_nothing(
    session, tmp_path, mapping
):
    first = _import(session, tmp_path, mapping, REWORK_LOG)
    may = REWORK_LOG.replace("2024-03-0", "2024-05-0").replace("O1,", "O2,")
    may += "O2,Shaft,Grinding,Machine 10 - Grinding,2024-05-03 08:00,,3,0,0,D\n"
    assert _import(session, tmp_path, mapping, may).routings_updated == 1
    again = _import(session, tmp_path, mapping, REWORK_LOG)  # March once more
    assert (again.routings_created, again.routings_updated, again.routings_unchanged) == (0, 0, 1)
    assert (again.problems, again.problems_unchanged, again.changes) == (0, first.problems, [])
    plant = resolve_plant(session=session, code="P")
    versions = routing_versions(session=session, plant=plant, part="Shaft", source="observed")
    assert [(v.version, v.effective_from) for v in versions] == [(1, None), (2, date(2024, 5, 1))]


def test_a_problem_of_a_log_imported_after_a_later_one_is_linked_to_its_graph(
    session, tmp_path, mapping
):
    march = f"""
{HEADER}
O1,Gear,Turning,Machine 4 - Turning & Milling,2024-03-01 08:00,2024-03-01 09:00,5,0,0,D
O1,Gear,Grinding,Machine 10 - Grinding,2024-03-01 10:00,2024-03-01 11:00,5,0,0,D
O1,Gear,Final Q.C.,Quality Check 1,2024-03-01 12:00,2024-03-01 13:00,5,0,0,D
"""
    may = f"""
{HEADER}
O2,Gear,Turning,Machine 4 - Turning & Milling,2024-05-06 08:00,2024-05-06 09:00,5,0,0,D
O2,Gear,Final Q.C.,Quality Check 1,2024-05-06 12:00,2024-05-06 13:00,5,0,0,D
"""
    # a longer export of March's graph: its order O3 reaches Final Q.C. in May
    longer = march + (
        "O3,Gear,Turning,Machine 4 - Turning & Milling,2024-04-29 08:00,,5,0,0,D\n"
        "O3,Gear,Grinding,Machine 10 - Grinding,2024-04-30 10:00,,5,0,0,D\n"
        "O3,Gear,Final Q.C.,Quality Check 1,2024-05-02 12:00,2024-05-02 13:00,4,1,0,D\n"
    )
    _import(session, tmp_path, mapping, march)
    _import(session, tmp_path, mapping, may)  # Gear without grinding from 2024-05-01
    _import(session, tmp_path, mapping, longer)
    plant = resolve_plant(session=session, code="P")
    first, _ = routing_versions(session=session, plant=plant, part="Gear", source="observed")
    problem = session.exec(select(QualityProblem).where(QualityProblem.ref == "O3/r7")).one()
    assert problem.routing_version_id == first.version_id  # the graph O3 went through
    again = problems.trace_problem(session=session, plant=plant, ref="O3/r7")
    assert again.proposed.unit == "GRIND"


def test_a_defect_code_in_another_case_is_the_catalogues_and_traced_by_its_origins(
    session, tmp_path
):
    mapping = tmp_path / "map.toml"
    mapping.write_text(
        MAPPING.replace('report_type = "type"', 'report_type = "type"\ncode = "code"'),
        encoding="utf-8",
    )
    for kind, text in (
        (
            "units",
            "code,name,kind,categories\nTM,Turning,workshop,turning-milling\n"
            "GRIND,Grinding,workshop,grinding\nQC,Quality Check,inspection,inspection",
        ),
        ("defect-codes", "code,name,origins\nPIT-FACE,Pits,turning-milling"),
    ):
        path = write_csv(tmp_path / f"{kind}.csv", text)
        import_file(actor=SYSTEM, session=session, kind=kind, path=path, plant_code="P")
    log = "\n".join(
        f"{line},pit-face" if line.startswith("A,") else line
        for line in TWO_PATHS_LOG.strip().replace(HEADER, f"{HEADER},code").splitlines()
        if not line.startswith("B,")
    )
    _import(session, tmp_path, mapping, log)
    # turning's pits, found at Q.C. after grinding: TM, as a report of 'pit-face' is traced
    (problem,) = problems.list_problems(
        session=session, plant=resolve_plant(session=session, code="P")
    )
    assert (problem.defect_code, problem.proposed) == ("PIT-FACE", "TM")


def test_a_defect_of_a_part_known_only_from_a_log_says_its_routing_is_missing(
    session, tmp_path, mapping
):
    _import(session, tmp_path, mapping, TWO_PATHS_LOG)
    path = write_csv(
        tmp_path / "defects.csv",
        "id,date,found_at,part,severity,qty\nD-1,2024-03-02,QC,Gear,minor,1",
    )
    with pytest.raises(ImportRejected) as excinfo:
        import_file(actor=SYSTEM, session=session, kind="defects", path=path, plant_code="P")
    assert [(e.row, e.column, e.reason) for e in excinfo.value.errors] == [
        (
            2,
            "part",
            "part Gear has only an observed routing (from a production log): import its"
            " routing to report defects on it",
        )
    ]


def test_an_unmapped_value_is_named_and_nothing_is_written(engine, tmp_path, mapping):
    bad = TWO_PATHS_LOG + "C,Gear,Lapping,Machine 1 - Lapping,2024-03-01 08:00,,1,0,0,D\n"
    before = snapshot(engine)
    with Session(engine) as session, pytest.raises(ImportRejected) as excinfo:
        _import(session, tmp_path, mapping, bad)
    (error,) = excinfo.value.errors
    assert error.row == 8 and error.column == "resource"
    assert "'Machine 1 - Lapping'" in error.reason and "'Lapping'" in error.reason
    assert snapshot(engine) == before


def test_bad_cells_and_bad_mappings_name_the_value(session, tmp_path, mapping):
    bad = TWO_PATHS_LOG.replace("2024-03-05 08:00", "5 March").replace(",4,0,0,D", ",four,0,0,D")
    with pytest.raises(ImportRejected) as excinfo:
        _import(session, tmp_path, mapping, bad)
    reasons = {(e.row, e.column): e.reason for e in excinfo.value.errors}
    assert "'5 March' is not a time" in reasons[(5, "start")]
    assert "'four' is not a quantity" in reasons[(5, "done")]
    broken = MAPPING.replace(r"'Machine \d+ - Grinding'", "'Machine (\\d+ - Grinding'")
    with pytest.raises(ImportRejected, match=r"rules\[3\].*not a regular expression"):
        load_mapping(text=broken)
    with pytest.raises(ImportRejected, match="unit 'LAP' is not defined"):
        load_mapping(text=MAPPING + '\n[[rules]]\nresource = "x"\nunit = "LAP"\n')
    with pytest.raises(ImportRejected, match=r"columns\.part.*missing"):
        load_mapping(text=MAPPING.replace('part = "part"\n', ""))
    with pytest.raises(ImportRejected, match="kind 'shop' is not one of"):
        load_mapping(text=MAPPING.replace('kind = "store"', 'kind = "shop"'))
    listed = 'rules = ["TM", "QC"]\n' + MAPPING.split("[[rules]]")[0]
    with pytest.raises(ImportRejected, match=r"rules\[1\].*must be a table \(\[\[rules\]\]\)"):
        load_mapping(text=listed)


@pytest.mark.parametrize(
    ("table", "wrong", "where", "reason"),
    [
        ("production", 'report_typ = "D"', "production.report_typ", "unknown field"),
        ("problems", 'severty = "critical"', "problems.severty", "unknown field"),
        ("problems", 'disposition = "scarp"', "problems.disposition", "'scarp' is not one of"),
        ("problems", f'code = "{"X" * 41}"', "problems.code", "longer than 40 characters"),
        ("units.TM", 'categroy = "x"', "units.TM.categroy", "unknown field"),
    ],
)
def test_a_mistyped_mapping_key_or_value_is_named(table, wrong, where, reason):
    # a misspelt report_type would make setup rows production rows, a misspelt severity
    # would leave every problem minor: nothing is read past such a key
    text = MAPPING.replace('[production]\nreport_type = "D"\n', "")
    if table == "units.TM":
        text = text.replace(
            'category = "turning-milling"', f'category = "turning-milling"\n{wrong}'
        )
    else:
        text += f"\n[{table}]\n{wrong}\n"
    with pytest.raises(ImportRejected) as excinfo:
        load_mapping(text=text)
    (error,) = excinfo.value.errors
    assert error.column == where and reason in error.reason


def test_times_quantities_and_codes_that_cannot_be_read_are_named(engine, tmp_path):
    mapping = tmp_path / "map.toml"
    mapping.write_text(
        MAPPING.replace('report_type = "type"', 'report_type = "type"\ncode = "code"')
    )
    future = date.today() + timedelta(days=1)
    rows = [
        "A,Gear,Turning,Machine 4 - Turning & Milling,2024-03-01 08:00,,5,0,0,D,",
        "A,Gear,Grinding,Machine 10 - Grinding,2024-03-01T10:00:00+01:00,,5,0,0,D,",
        'A,Gear,Grinding,Machine 10 - Grinding,2024-03-01 11:00,,"1.000,0",0,0,D,',
        "A,Gear,Grinding,Machine 10 - Grinding,2024-03-01 13:00,,１２,0,0,D,",
        f"A,Gear,Final Q.C.,Quality Check 1,{future} 08:00,,3,2,0,D,{'X' * 41}",
        'A,Gear,Final Q.C.,Quality Check 1,2024-03-02 08:00,,"1,234.5",0,0,D,',
        # a reject whose end was typed a year early would be found in 2023
        "A,Gear,Final Q.C.,Quality Check 1,2024-03-02 09:00,2023-03-02 10:00,3,1,0,D,",
    ]
    log = f"{HEADER},code\n" + "\n".join(rows) + "\n"
    before = snapshot(engine)
    with Session(engine) as session, pytest.raises(ImportRejected) as excinfo:
        _import(session, tmp_path, mapping, log)
    reasons = {(e.row, e.column): e.reason for e in excinfo.value.errors}
    assert reasons == {
        (3, "start"): "2024-03-01 10:00:00+01:00 has a UTC offset, the earlier times none:"
        " give every time the same way",
        (4, "done"): "'1.000,0' is not a quantity (a number from 0 such as 12, 12.5 or 1,234.5)",
        (5, "done"): "'１２' is not a quantity (a number from 0 such as 12, 12.5 or 1,234.5)",
        (6, "start"): f"{future} is in the future",
        (6, "code"): "the defect code is longer than 40 characters",
        (8, "end"): "'2023-03-02 10:00' is before the start '2024-03-02 09:00'",
    }
    assert snapshot(engine) == before


def test_a_log_for_a_plant_the_database_does_not_hold_is_refused(engine, tmp_path, mapping):
    with Session(engine) as session:
        _import(session, tmp_path, mapping, TWO_PATHS_LOG)
    before = snapshot(engine)
    with Session(engine) as session, pytest.raises(NoacError) as excinfo:
        import_events(
            session=session,
            path=write_csv(tmp_path / "log.csv", TWO_PATHS_LOG),
            mapping_path=mapping,
            plant_code="Q",
            actor=SYSTEM,
        )
    assert str(excinfo.value) == (
        "unknown plant 'Q' (plants: P): an import writes into a plant the database holds;"
        " add a new plant first with: noac plants add Q --name NAME"
    )
    assert snapshot(engine) == before


def test_events_need_the_master_data_permission(session, tmp_path, mapping):
    with pytest.raises(NoacError, match="may not import units"):
        import_events(
            session=session,
            path=write_csv(tmp_path / "log.csv", REWORK_LOG),
            mapping_path=mapping,
            actor=QUALITY,
        )


def test_cli_imports_events_and_prints_the_summary(tmp_path, mapping):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = create_db_engine(url)
    migrate(engine)
    engine.dispose()
    log = write_csv(tmp_path / "log.csv", TWO_PATHS_LOG)
    runner = CliRunner()
    command = ["import", "events", str(log), "--map", str(mapping), "--plant", "P"]
    # it writes handovers and problems: like any history, in a named user's name
    unnamed = runner.invoke(app, ["--db", url, *command])
    assert (unnamed.exit_code, unnamed.output) == (
        1,
        "error: name the user acting with --as USER\n",  # refused before the import starts
    )
    add = [
        "users",
        "add",
        "ada",
        "--role",
        "admin",
        "--name",
        "Ada",
        "--password",
        "long enough pw",
    ]
    assert runner.invoke(app, ["--db", url, *add]).exit_code == 0
    result = runner.invoke(app, ["--db", url, "--as", "ada", *command])
    assert result.exit_code == 0, result.output
    assert "orders: 2 in the file, 2 with production rows" in result.output
    assert "problems: 2 created" in result.output
    missing = runner.invoke(app, ["--db", url, "--as", "ada", "import", "events", str(log)])
    assert missing.exit_code == 1 and "--map" in missing.output


@pytest.mark.parametrize(
    ("made", "reason"),
    [
        ("missing", "cannot read the mapping: No such file or directory"),
        ("a folder", "cannot read the mapping: Is a directory"),
        # "# " then 工 as a Chinese Windows saves it: 0xB9 starts no UTF-8 character
        ("gbk", "cannot read the mapping: it is not UTF-8 text (byte 2): save it as UTF-8"),
        (
            "not toml",
            "not a TOML file: Expected '=' after a key in a key/value pair (at line 2, column 7)",
        ),
    ],
)
def test_a_mapping_file_that_cannot_be_read_is_named_with_the_reason(tmp_path, made, reason):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = create_db_engine(url)
    migrate(engine)
    with Session(engine) as session:
        users.add_user(
            session=session,
            actor=SYSTEM,
            username="ada",
            display_name="Ada",
            role="admin",
            password="long enough pw",
        )
    before = snapshot(engine)
    mapping = tmp_path / "map.toml"
    if made == "a folder":
        mapping.mkdir()
    elif made == "gbk":
        mapping.write_bytes("# 工序映射\n".encode("gbk"))
    elif made == "not toml":
        mapping.write_text("[columns]\norder Case ID\n", encoding="utf-8")
    log = write_csv(tmp_path / "log.csv", TWO_PATHS_LOG)
    command = ["--db", url, "--as", "ada", "import", "events", str(log), "--map", str(mapping)]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 1
    assert result.stderr.endswith(
        f"error: {mapping}: 1 error(s), nothing was imported\n  file: {reason}\n"
    ), result.stderr
    assert snapshot(engine) == before
    engine.dispose()


@pytest.mark.skipif(not LEVY.exists(), reason="the shared Levy (2014) data set is absent")
def test_the_levy_log_imports_end_to_end(tmp_path):
    url = f"sqlite:///{tmp_path / 'levy.db'}"
    engine = create_db_engine(url)
    migrate(engine)
    source = LEVY / "production_log.csv"
    with source.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    reject_rows = [r for r in rows if int(r["Qty Rejected"]) > 0]
    with Session(engine) as session:
        summary = import_events(
            session=session,
            path=source,
            mapping_path=DATA / "levy2014.toml",
            plant_code="LEVY",
            actor=SYSTEM,
        )
        assert summary.rows == 4543
        assert summary.orders_in_file == len({r["Case ID"] for r in rows}) == 225
        assert summary.units == 12
        mapping = load_mapping(DATA / "levy2014.toml")
        resources = {r["Resource"] for r in rows}
        assert len(resources) == 31
        assert {mapping.resolve("", res)[1].code for res in resources} == set(mapping.units)
        assert summary.problems == len(reject_rows) == 231
        assert summary.rejected_parts == sum(int(r["Qty Rejected"]) for r in reject_rows) == 593
        # every reject is either traced to a unit or undetermined with a reason
        assert summary.traced + sum(summary.undetermined.values()) == summary.problems
        assert (summary.traced, summary.undetermined) == (
            216,
            {"found at the order's first unit: nothing upstream": 15},
        )
        problems = list(session.exec(select(QualityProblem)))
        assert len(problems) == 231
        traced = Counter(
            e.problem_id
            for e in session.exec(select(ProblemEvent).where(ProblemEvent.action == "traced"))
        )
        assert all(traced[p.id] == 1 for p in problems)
        units = {u.id: u.code for u in session.exec(select(Unit))}
        found_at_qc = [p for p in problems if units[p.found_at_unit_id] == "QC"]
        assert len(found_at_qc) >= 210
        assert all(
            p.proposed_unit_id is None or units[p.proposed_unit_id] != "QC" for p in found_at_qc
        )
        # every reject is proposed against the last work at another unit before it in its order
        levy = resolve_plant(session=session, code="LEVY")
        operations = {
            view.version_id: {o.op: o for o in view.operations}
            for views in all_routing_versions(
                session=session, plant=levy, source="observed"
            ).values()
            for view in views
        }
        sequences = {
            e.problem_id: json.loads(e.details)["order_sequence"]
            for e in session.exec(select(ProblemEvent).where(ProblemEvent.action == "traced"))
        }
        last_work = {}
        for p in problems:
            ops = operations[p.routing_version_id]
            last_work[p.ref] = next(
                (
                    ops[op].unit
                    for op in reversed(sequences[p.id])
                    if not ops[op].inspection and ops[op].unit != ops[p.op].unit
                ),
                None,
            )
        assert {p.ref: units.get(p.proposed_unit_id) for p in problems} == last_work
        # the escapes are the inspections passed since that work: 18 rejects have one
        assert len(set(session.exec(select(ProblemEscape.problem_id)))) == 18
        assert summary.handover_months == ["2012-01", "2012-02", "2012-03"]
        assert summary.skipped["no start time"] == 38
        # the close preview docs/EVENTS.md quotes: the rejects' defect and escape points
        (january,) = coefficients.close_reports(session=session, plants=[levy], month="2012-01")
        coefficient = {r.unit: round(r.coefficient, 2) for r in january.results}
        assert (coefficient["TM"], coefficient["GRIND"], coefficient["QC"]) == (0.70, 0.87, 0.96)
        assert summary.seconds < 10
        # the same rows newest first (ties in the file's order reversed) change nothing
        before = snapshot(engine)
        newest_first = tmp_path / "newest_first.csv"
        with newest_first.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows[::-1])
        again = import_events(
            session=session,
            path=newest_first,
            mapping_path=DATA / "levy2014.toml",
            plant_code="LEVY",
            actor=SYSTEM,
        )
        assert again.changed_nothing and again.problems_unchanged == 231
        assert snapshot(engine) == before
    engine.dispose()


def two_paths_app(tmp_path, mapping, monkeypatch, role: str) -> str:
    """A database holding TWO_PATHS_LOG and a user named after ``role``, configured for the app."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    engine = create_db_engine(url)
    migrate(engine)
    with Session(engine) as session:
        _import(session, tmp_path, mapping, TWO_PATHS_LOG)
        users.add_user(
            session=session,
            actor=SYSTEM,
            username=role,
            display_name=role.title(),
            role=role,
            password="a long enough password",
        )
    engine.dispose()
    monkeypatch.setenv("NOAC_DATABASE_URL", url)
    return url


def test_the_app_shows_observed_routings_and_handovers(tmp_path, mapping, monkeypatch):
    url = two_paths_app(tmp_path, mapping, monkeypatch, "admin")
    at = page(signed_in(url, "admin", query={"month": "2024-03"}), "views/plant.py")
    assert not at.exception
    assert "Handed over this month" in [h.value for h in at.subheader]
    assert len(at.get("plotly_chart")) == 1  # no declared routing: only the handovers
    at.switch_page("views/masterdata.py").run()
    at.radio(key="md_source").set_value("observed").run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 1  # the observed operation graph


def test_the_quality_desk_shows_an_imported_problem_on_its_orders_path(
    tmp_path, mapping, monkeypatch
):
    url = two_paths_app(tmp_path, mapping, monkeypatch, "quality")
    at = page(signed_in(url, "quality"), "views/quality_desk.py")
    at.radio(key="desk.queue").set_value("open").run()
    at.selectbox(key="desk.pick").select("B/r7").run()
    assert not at.exception
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    # order B's path grind -> turn -> Final Q.C., not the part's merged graph of four edges
    labels = next(trace for trace in figure["data"] if trace["name"] == "labels")
    assert labels["text"] == ["grind · GRIND", "turn-mill · TM", "Final Q.C. · QC"]
    lines = [trace for trace in figure["data"] if trace.get("mode") == "lines"]
    assert sum(trace["x"].count(None) for trace in lines) == 2  # the merged graph has four


def test_progress_is_reported_stage_by_stage(session, tmp_path, mapping):
    stages = []
    path = write_csv(tmp_path / "log.csv", TWO_PATHS_LOG)
    import_events(
        session=session,
        path=path,
        mapping_path=mapping,
        plant_code="P",
        actor=SYSTEM,
        progress=stages.append,
    )
    assert stages == ["reading the log", "observed routings", "handovers", "problems", "saving"]


def test_traced_responsibility_counts_the_rejects_in_the_month(session, tmp_path):
    path = tmp_path / "traced.toml"
    path.write_text(MAPPING + '\n[problems]\nresponsibility = "traced"\n', encoding="utf-8")
    _import(session, tmp_path, path, TWO_PATHS_LOG)
    plant = resolve_plant(session=session, code="P")
    found = {p.ref: p for p in problems.list_problems(session=session, plant=plant)}
    # order A: reject at Q.C. after grinding -> GRIND; order B: after turning -> TM
    assert {(p.status, tuple(p.responsible), p.counted_month) for p in found.values()} == {
        ("accepted", ("GRIND",), "2024-03"),
        ("accepted", ("TM",), "2024-04"),
    }

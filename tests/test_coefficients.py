"""Scores, the quality coefficient and the month close, against hand-computed values.

The plant: STORE -> SHEET -> QC -> ASSY (P1), STORE -> SHEET -> ASSY (P2), STORE -> ASSY (P3).
Supply weights (operation transitions): STORE->SHEET 2, STORE->ASSY 1, SHEET->QC 1,
SHEET->ASSY 1, QC->ASSY 1. Default scheme: weights .40/.25/.20/.15, scale 0..10, target 85.
"""

import dataclasses
import json
import math
import threading
from collections import Counter
from datetime import UTC, date, datetime

import openpyxl
import pytest
from sqlmodel import Session, col, insert, select, update

from noac.errors import ImportRejected, NoacError
from noac.exports import coefficients_file
from noac.importers import import_file
from noac.models import AuditRecord, MonthResult, SchemeVersion, Score, ScoreHistory
from noac.scheme import DEFAULT_SCHEME
from noac.services import bulk, coefficients, dashboard, problems, scorecards, scoring
from noac.services.masterdata import units_by_code
from noac.services.periods import next_month
from noac.services.plants import add_plant, resolve_plant
from noac.services.schemes import set_scheme
from tests.conftest import (
    QUALITY,
    SYSTEM,
    scheme_with_a_criterion,
    snapshot,
    supervisor,
    write_csv,
)

UNITS = """
code,name,kind,categories,target
STORE,Store,store,storage,
SHEET,Sheet metal,workshop,cutting;bending,88
QC,Inspection,inspection,inspection,
ASSY,Assembly,workshop,assembly,70
ENG,Engineering,department,engineering,
"""
ROUTINGS = """
part,op,unit,category,after,inspection
P1,10,STORE,,,0
P1,20,SHEET,bending,10,0
P1,30,QC,,20,1
P1,40,ASSY,,30,0
P2,10,STORE,,,0
P2,20,SHEET,cutting,10,0
P2,30,ASSY,,20,0
P3,10,STORE,,,0
P3,20,ASSY,,10,0
"""
CODES = "code,name,origins\nPIT,pits,storage;bending\n"
CRITERIA = ("quality", "delivery", "service", "handover")


@pytest.fixture
def plant(tmp_path, session):
    for kind, text in (("units", UNITS), ("routings", ROUTINGS), ("defect-codes", CODES)):
        import_file(
            actor=SYSTEM, session=session, kind=kind, path=write_csv(tmp_path / f"{kind}.csv", text)
        )
    return resolve_plant(session=session, code=None)


def form(session, plant, month, rater, ratee, value, **values):
    """Submit a form with every criterion at ``value`` unless given."""
    scores = dict.fromkeys(("quality", "delivery", "service", "handover"), value) | values
    comments = {c: "why" for c, v in scores.items() if v < 6}
    scoring.submit_form(
        session=session,
        plant=plant,
        month=month,
        rater=rater,
        ratee=ratee,
        values=scores,
        comments=comments,
        actor=supervisor(plant, rater),
    )


def result(computation, unit):
    return {r.unit: r for r in computation.results}[unit]


def compute(session, plant, month="2026-03"):
    return coefficients.compute_month(session=session, plant=plant, month=month)


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_close_stored_by_copy_reads_back_as_one_stored_by_statements(
    session, engine, plant, monkeypatch
):
    """A close of 1,000 units or more is written by ``COPY``: here forced for five units."""
    form(session, plant, "2026-03", "SHEET", "STORE", 8, delivery=10, service=6, handover=5)
    form(session, plant, "2026-03", "ASSY", "STORE", 10)
    coefficients.close_month(session=session, plant=plant, month="2026-03", actor=QUALITY)
    coefficients.reopen_month(
        session=session, plant=plant, month="2026-03", reason="stored again", actor=QUALITY
    )
    monkeypatch.setattr(bulk, "COPY_FROM", 1)
    coefficients.close_month(session=session, plant=plant, month="2026-03", actor=QUALITY)
    stored = coefficients.month_results(session=session, plant=plant, month="2026-03")
    assert stored.run == 2
    # S = (2 * 76.5 + 1 * 100) / 3 = 84.3333; K = 1 + (84.3333 - 85) / 100 = 0.9933
    assert result(stored, "STORE").coefficient == 0.9933
    assert result(stored, "ENG").flags == ["no-scores"]
    with engine.connect() as connection:
        runs = [
            sorted(
                tuple(row)
                for row in connection.execute(
                    select(*(c for c in MonthResult.__table__.c if c.name not in SET_BY_RUN)).where(
                        MonthResult.run == run
                    )
                )
            )
            for run in (1, 2)
        ]
    assert len(runs[0]) == 5
    assert runs[0] == runs[1]


SET_BY_RUN = ("id", "run", "computed_at")


def import_defects(session, tmp_path, text):
    """Import ``text`` as a defects file."""
    path = write_csv(tmp_path / "d.csv", text)
    import_file(actor=SYSTEM, session=session, kind="defects", path=path)


def test_the_coefficient_is_rounded_half_up_as_by_hand(session, plant, tmp_path):
    import_defects(
        session,
        tmp_path,
        "id,date,found_at,part,op,code,severity,qty,responsible\n"
        "X,2026-03-05,ASSY,P1,40,PIT,minor,1,QC:0.375;ASSY\n",
    )
    form(session, plant, "2026-03", "ASSY", "QC", 7)
    qc = result(compute(session, plant), "QC")
    # F = S = 70; P = 1 (minor) * 0.375; K = 1 + (70 - 85) / 100 - 0.375 / 100 = 0.84625,
    # 0.8463 to 4 decimals (the float 0.84625 lies just below it: round() gave 0.8462)
    assert (qc.satisfaction, qc.penalty_points) == (70.0, 0.375)
    assert qc.coefficient == 0.8463


def test_form_score_and_volume_weighted_satisfaction(session, plant):
    # SHEET: 0.40*80 + 0.25*100 + 0.20*60 + 0.15*50 = 76.5; ASSY: all 10 -> 100
    form(session, plant, "2026-03", "SHEET", "STORE", 8, delivery=10, service=6, handover=5)
    form(session, plant, "2026-03", "ASSY", "STORE", 10)
    store = result(compute(session, plant), "STORE")
    # S = (2 * 76.5 + 1 * 100) / 3 = 84.3333; K = 1 + (84.3333 - 85) / 100 = 0.993333
    assert store.satisfaction == pytest.approx(253 / 3)
    assert store.raters == 2
    assert store.satisfaction_term == pytest.approx((253 / 3 - 85) / 100)
    assert store.coefficient == 0.9933
    assert [r["form"] for r in store.decomposition["raters"]] == [100.0, 76.5]


def test_forms_scored_by_the_database_equal_the_formula(tmp_path, session, plant):
    # delivery on a 1..5 scale with an odd weight: F = sum w_k * 100 * (v - min) / (max - min)
    head, *blocks = DEFAULT_SCHEME.read_text().split("[[criteria]]")
    blocks[1] = (
        blocks[1]
        .replace("weight = 0.25", "weight = 0.37")
        .replace("min = 0\nmax = 10", "min = 1\nmax = 5")
    )
    path = tmp_path / "scheme.toml"
    path.write_text("[[criteria]]".join([head, *blocks]))
    set_scheme(session=session, plant=plant, path=path, actor=SYSTEM)
    scheme = scoring.active_scheme(session=session, plant=plant)
    assert scheme.criterion("delivery").max == 5
    form(session, plant, "2026-03", "SHEET", "STORE", 7, delivery=3, service=9, handover=4)
    form(session, plant, "2026-03", "ASSY", "STORE", 10, delivery=5)
    form(session, plant, "2026-02", "ASSY", "SHEET", 2, delivery=1)
    incomplete = (  # QC leaves handover out: an incomplete form is no form
        "month,rater,ratee,criterion,value,comment\n"
        "2026-03,QC,SHEET,quality,8,\n2026-03,QC,SHEET,delivery,4,late\n"
        "2026-03,QC,SHEET,service,9,\n"
    )
    path = write_csv(tmp_path / "scores.csv", incomplete)
    import_file(actor=SYSTEM, session=session, kind="scores", path=path)
    # each criterion on its own scale: delivery 7 is refused where the others go to 10
    wide = write_csv(
        tmp_path / "wide.csv",
        "month,rater,ratee,criterion,value,comment\n"
        "2026-03,QC,SHEET,handover,10,\n2026-03,QC,SHEET,delivery,7,\n",
    )
    with pytest.raises(ImportRejected) as excinfo:
        import_file(actor=SYSTEM, session=session, kind="scores", path=wide)
    assert [(e.row, e.column) for e in excinfo.value.errors] == [(3, "value")]
    months = ["2026-02", "2026-03"]
    by_database = scoring.form_scores(session=session, schemes={plant.id: scheme}, months=months)
    every = scoring.forms(session=session, plant=plant, months=months)
    assert [f.rater for f in every if not f.complete] == ["QC"]
    by_formula = [f for f in every if f.complete]
    assert [(f.month, f.rater, f.ratee, f.score) for f in by_database[plant.id]] == [
        (f.month, f.rater, f.ratee, f.score) for f in by_formula
    ]
    # SHEET: (0.40 * 70 + 0.37 * 50 + 0.20 * 90 + 0.15 * 40) / 1.12 = 70.5 / 1.12
    sheet = next(f for f in by_database[plant.id] if f.rater == "SHEET")
    assert sheet.score == pytest.approx(70.5 / 1.12)
    assert [(f.rater, f.ratee) for f in by_database[plant.id] if f.top] == [("ASSY", "STORE")]
    # only the forms asked for: a rater's, or a (plant, rater, ratee) pair's
    ids = {code: unit.id for code, unit in units_by_code(session=session, plant=plant).items()}
    asked = scoring.form_scores(
        session=session,
        schemes={plant.id: scheme},
        months=months,
        raters=[ids["SHEET"]],
        pairs=[(plant.id, ids["ASSY"], ids["SHEET"])],
    )
    assert [(f.month, f.rater, f.ratee) for f in asked[plant.id]] == [
        ("2026-02", "ASSY", "SHEET"),
        ("2026-03", "SHEET", "STORE"),
    ]


def test_handover_quantities_replace_the_routing_weights(tmp_path, session, plant):
    handovers = write_csv(
        tmp_path / "h.csv",
        "month,from,to,quantity\n2026-03,STORE,SHEET,100\n2026-03,STORE,ASSY,400",
    )
    import_file(actor=SYSTEM, session=session, kind="handovers", path=handovers)
    form(session, plant, "2026-03", "SHEET", "STORE", 8, delivery=10, service=6, handover=5)
    form(session, plant, "2026-03", "ASSY", "STORE", 10)
    # S = (100 * 76.5 + 400 * 100) / 500 = 95.3; K = 1 + (95.3 - 85) / 100 = 1.103
    store = result(compute(session, plant), "STORE")
    assert store.satisfaction == pytest.approx(95.3)
    assert store.coefficient == 1.103
    # with handovers recorded, only those pairs may score: SHEET->QC has none in 2026-03
    with pytest.raises(NoacError, match="SHEET did not supply QC in 2026-03"):
        form(session, plant, "2026-03", "QC", "SHEET", 7)


def test_a_handover_entered_by_mistake_is_removed_with_quantity_0(engine, session, plant, tmp_path):
    """Quantity 0 means "no handover": the month's row is removed, naming the forms it let
    count, and a closed month keeps its handovers."""

    def handovers(text):
        path = write_csv(tmp_path / "h.csv", "month,from,to,quantity\n" + text)
        return import_file(actor=SYSTEM, session=session, kind="handovers", path=path)

    handovers("2026-03,STORE,SHEET,100\n2026-03,SHEET,QC,50\n2026-04,STORE,SHEET,80")
    form(session, plant, "2026-03", "SHEET", "STORE", 8)
    form(session, plant, "2026-03", "QC", "SHEET", 7)  # let in by the handover typed wrong
    assert result(compute(session, plant), "SHEET").satisfaction == 70
    fixed = "2026-03,STORE,SHEET,100\n2026-03,SHEET,QC,0\n2026-03,QC,ASSY,0"
    summary = handovers(fixed)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 2)
    assert summary.changes == [
        {"key": "2026-03 SHEET->QC", "before": {"quantity": 50.0}, "after": {"quantity": 0}}
    ]
    assert summary.notes == [
        "the form of QC for SHEET in 2026-03 no longer counts: SHEET did not supply QC that month"
    ]
    (record,) = session.exec(
        select(AuditRecord).where(AuditRecord.entity == "handovers").order_by(AuditRecord.id)
    ).all()[1:]
    assert json.loads(record.after)["changes"] == summary.changes
    assert result(compute(session, plant), "SHEET").raters == 0
    assert ("SHEET", "QC") not in scoring.supply_weights(
        session=session, plant=plant, month="2026-03"
    )
    before = snapshot(engine)
    again = handovers(fixed)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert snapshot(engine) == before
    # a month whose every handover is removed counts the routings again
    handovers("2026-04,STORE,SHEET,0")
    assert scoring.supply_weights(session=session, plant=plant, month="2026-04") == (
        scoring.supply_weights(session=session, plant=plant, month="2026-05")
    )
    coefficients.close_month(session=session, plant=plant, month="2026-03", actor=QUALITY)
    before = snapshot(engine)
    with pytest.raises(ImportRejected) as excinfo:
        handovers("2026-03,STORE,SHEET,0")
    assert [(e.row, e.column, e.reason) for e in excinfo.value.errors] == [
        (
            2,
            "month",
            "2026-03 is closed: handovers can no longer change unless the quality department"
            " reopens it",
        )
    ]
    assert snapshot(engine) == before


def test_unit_without_forms_is_flagged_and_the_rater_that_owed_them_too(session, plant):
    form(session, plant, "2026-03", "ASSY", "SHEET", 9)
    computation = compute(session, plant)
    sheet, qc = result(computation, "SHEET"), result(computation, "QC")
    # only ASSY rated SHEET: S = 90, target 88 -> K = 1.02
    assert (sheet.satisfaction, sheet.coefficient) == (90.0, 1.02)
    assert qc.satisfaction is None and "no-scores" in qc.flags and qc.coefficient == 1.0
    assert "missing-forms" in qc.flags  # QC owed a form for SHEET and sent none
    assert "missing-forms" not in result(computation, "ASSY").flags
    assert computation.missing["QC"] == ["SHEET"]
    assert computation.missing["ASSY"] == ["QC", "STORE"]
    assert computation.forms_owed == 5 and computation.forms_missing == 4


def test_penalties_defects_overdue_and_escapes(tmp_path, session, plant):
    import_defects(
        session,
        tmp_path,
        """
id,date,found_at,part,op,code,severity,qty,responsible,deadline,closed_on
A,2026-03-05,ASSY,P1,40,PIT,major,1,STORE:0.5;SHEET:0.5,2026-03-20,
B,2026-03-06,ASSY,P1,40,PIT,critical,1,SHEET,2026-04-30,
C,2026-02-10,ASSY,P2,30,PIT,minor,1,STORE,2026-03-01,2026-03-02
D,2026-01-10,ASSY,P2,30,PIT,minor,1,SHEET,2026-03-31,2026-04-01
""",
    )
    computation = compute(session, plant)
    store, sheet, qc = (result(computation, u) for u in ("STORE", "SHEET", "QC"))
    # STORE: defect A 3 * 0.5 = 1.5; overdue A (deadline 03-20, open) 2 * 0.5 = 1
    assert (store.defect_points, store.overdue_points, store.escape_points) == (1.5, 1.0, 0)
    # SHEET: defects A 1.5 + B 8 = 9.5; overdue A 1 + D 2 (deadline 03-31, closed 04-01) = 3
    assert (sheet.defect_points, sheet.overdue_points) == (9.5, 3.0)
    # QC let A and B through (counted in March): 2 escape points
    assert (qc.escape_points, qc.penalty_points) == (2, 2)
    # no scores: K = 1 - 12.5 / 100 = 0.875 for SHEET, 1 - 2.5 / 100 = 0.975 for STORE
    assert (sheet.coefficient, store.coefficient, qc.coefficient) == (0.875, 0.975, 0.98)
    assert [d["problem"] for d in sheet.decomposition["defects"]] == ["A", "B"]


def test_a_unit_with_thousands_of_overdue_problems_is_closed_with_each_listed(
    tmp_path, session, plant
):
    """A plant that let its corrective actions slide: the close stores and lists every
    overdue problem of a unit, however long its decomposition."""
    rows = "".join(
        f"LATE-{n:05d},2026-01-{n % 28 + 1:02d},ASSY,P2,30,PIT,minor,1,STORE,2026-02-15\n"
        for n in range(1500)
    )
    import_defects(
        session,
        tmp_path,
        "id,date,found_at,part,op,code,severity,qty,responsible,deadline\n" + rows,
    )
    for month in ("2026-01", "2026-02", "2026-03"):  # in order from the problems' month
        coefficients.close_month(session=session, plant=plant, month=month, actor=QUALITY)
    store = result(
        coefficients.month_results(session=session, plant=plant, month="2026-03"), "STORE"
    )
    # 1,500 problems past their deadline of 02-15 and open: 1,500 * 2 points, K at its floor
    assert (store.overdue_points, store.coefficient) == (3000.0, 0.7)
    assert len(store.decomposition["overdue"]) == 1500
    assert store.decomposition["overdue"][-1] == {
        "problem": "LATE-01499",
        "deadline": "2026-02-15",
        "share": 1.0,
        "points": 2.0,
    }


def test_coefficient_is_clamped(tmp_path, session, plant):
    rows = "\n".join(f"X{i},2026-03-0{i},ASSY,P3,20,PIT,critical,1,STORE," for i in range(1, 6))
    import_defects(
        session,
        tmp_path,
        "id,date,found_at,part,op,code,severity,qty,responsible,deadline\n" + rows,
    )
    form(session, plant, "2026-03", "QC", "SHEET", 10)
    form(session, plant, "2026-03", "ASSY", "SHEET", 10)
    computation = compute(session, plant)
    # STORE: 5 critical = 40 points -> 1 - 0.40 = 0.60 -> k_min 0.70
    assert result(computation, "STORE").coefficient == 0.70
    assert result(computation, "STORE").decomposition["unclamped"] == pytest.approx(0.60)
    # SHEET: S = 100, target 88 -> 1.12 (inside); ASSY would need S-70 > 20
    assert result(computation, "SHEET").coefficient == 1.12
    form(session, plant, "2026-03", "ASSY", "QC", 10)
    assert result(compute(session, plant), "QC").coefficient == 1.15


def test_upper_clamp(session, plant, tmp_path):
    import_file(
        actor=SYSTEM,
        session=session,
        kind="service-relations",
        path=write_csv(tmp_path / "s.csv", "provider,customer,weight\nASSY,ENG,1"),
    )
    form(session, plant, "2026-03", "ENG", "ASSY", 10)
    # ASSY target 70, S = 100 -> 1 + 0.30 = 1.30 -> k_max 1.20
    assert result(compute(session, plant), "ASSY").coefficient == 1.2


def test_zscore_calibration(tmp_path, session, plant):
    scheme = tmp_path / "scheme.toml"
    scheme.write_text(
        DEFAULT_SCHEME.read_text().replace('calibration = "none"', 'calibration = "zscore"')
    )
    set_scheme(session=session, plant=plant, path=scheme, actor=SYSTEM)
    for month, value in (("2026-01", 6), ("2026-02", 7), ("2026-03", 8)):
        form(session, plant, month, "SHEET", "STORE", value)
        form(session, plant, month, "ASSY", "STORE", 10)
    computation = compute(session, plant)
    # window forms: 60, 70, 80 (SHEET) and 100, 100, 100 (ASSY): M = 85,
    # SD = sqrt((625 + 225 + 25 + 3 * 225) / 6); SHEET mean 70, sd sqrt(200 / 3)
    plant_sd = math.sqrt(1550 / 6)
    sheet_form = 85 + (80 - 70) / math.sqrt(200 / 3) * plant_sd
    store = result(computation, "STORE")
    assert store.decomposition["raters"][1]["used"] == pytest.approx(sheet_form)
    assert store.satisfaction == pytest.approx((2 * sheet_form + 100) / 3)
    assert "uncalibrated" in result(computation, "ASSY").flags  # no spread
    assert "uncalibrated" not in result(computation, "SHEET").flags


def test_uniform_scores_flag_needs_three_months_of_maximums(session, plant):
    for month in ("2026-01", "2026-02", "2026-03"):
        form(session, plant, month, "ASSY", "STORE", 10)
        form(session, plant, month, "ASSY", "SHEET", 10)
        form(session, plant, month, "SHEET", "STORE", 10)
    form(session, plant, "2026-02", "SHEET", "STORE", 9, quality=10)
    computation = compute(session, plant)
    assert "uniform-scores" in result(computation, "ASSY").flags
    assert "uniform-scores" not in result(computation, "SHEET").flags


def ninety_then_blamed(session, plant, tmp_path) -> None:
    """ASSY scores SHEET 90 in January and February; SHEET reports a problem in February that
    the quality department puts on ASSY."""
    for month in ("2026-01", "2026-02"):
        form(session, plant, month, "ASSY", "SHEET", 9)
    import_defects(
        session,
        tmp_path,
        "id,date,found_at,part,op,code,severity,qty,responsible\n"
        "R,2026-02-10,SHEET,P1,20,PIT,minor,1,ASSY",
    )


def test_retaliation_suspect(tmp_path, session, plant):
    ninety_then_blamed(session, plant, tmp_path)
    form(session, plant, "2026-03", "ASSY", "SHEET", 7)  # 70 <= 90 - 20
    computation = compute(session, plant)
    assert "retaliation-suspect" in result(computation, "ASSY").flags
    note = result(computation, "ASSY").decomposition["notes"][0]
    assert note.startswith("form for SHEET 70.0 against its average 90.0")


def test_a_window_of_months_computes_each_month_as_compute_month(tmp_path, session, plant):
    """The trends read many months at once: every result, flag and decomposition equals the
    month's own computation, with both calibrations."""
    months = ["2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]
    for month in months:
        form(session, plant, month, "ASSY", "SHEET", 7 if month == "2026-03" else 9)
        form(session, plant, month, "ASSY", "STORE", 8 if month == "2025-12" else 10)
        form(session, plant, month, "QC", "SHEET", 10 if month < "2025-12" else 8)
    for month in months[2:]:
        form(session, plant, month, "SHEET", "STORE", 10)
    for month in ("2025-09", "2025-10"):  # before the window: QC's maximums since September
        form(session, plant, month, "QC", "SHEET", 10)
    import_defects(
        session,
        tmp_path,
        "id,date,found_at,part,op,code,severity,qty,responsible,deadline\n"
        "R,2026-02-10,SHEET,P1,20,PIT,minor,1,ASSY,\n"
        "O,2026-01-05,ASSY,P1,40,PIT,major,1,STORE,2026-02-15\n",
    )
    zscore = tmp_path / "scheme.toml"
    zscore.write_text(
        DEFAULT_SCHEME.read_text().replace('calibration = "none"', 'calibration = "zscore"')
    )
    for calibrated in (False, True):
        if calibrated:
            set_scheme(session=session, plant=plant, path=zscore, actor=SYSTEM)
        window = coefficients.compute_window(session=session, plant=plant, months=months)
        assert window == {month: compute(session, plant, month) for month in months}
        march = window["2026-03"]
        assert "uniform-scores" in result(march, "SHEET").flags
        assert "uniform-scores" in result(window["2025-11"], "QC").flags
        assert "retaliation-suspect" in result(march, "ASSY").flags
        assert result(march, "STORE").overdue_points > 0
        assert result(window["2026-01"], "QC").escape_points > 0
    assert "uncalibrated" in result(march, "SHEET").flags


@pytest.mark.parametrize(
    ("rater", "ratee", "values", "message"),
    [
        ("STORE", "SHEET", {}, "SHEET did not supply STORE in 2026-03, so STORE cannot score it"),
        ("SHEET", "SHEET", {}, "a unit cannot score itself"),
        (
            "SHEET",
            "STORE",
            {"quality": 11},
            r"^Quality \(quality\), value: 11 is outside the scale 0..10 of Quality \(quality\)$",
        ),
        (
            "SHEET",
            "STORE",
            {"delivery": 9.5},
            r"^Delivery \(delivery\), value: '9.5' is not a whole number$",
        ),
        (
            "SHEET",
            "STORE",
            {"speed": 8},
            r"^criterion: unknown criterion 'speed'"
            r" \(one of quality, delivery, service, handover\)$",
        ),
        ("SHEET", "MOON", {}, "unknown unit 'MOON'"),
    ],
)
def test_refused_scores_write_nothing(engine, session, plant, rater, ratee, values, message):
    before = snapshot(engine)
    with pytest.raises(NoacError, match=message):
        form(session, plant, "2026-03", rater, ratee, 8, **values)
    assert snapshot(engine) == before


def test_a_scores_file_without_comments_keeps_the_stored_ones(tmp_path, session, plant):
    scoring.submit_form(
        session=session,
        plant=plant,
        month="2026-03",
        rater="ASSY",
        ratee="STORE",
        values=dict.fromkeys(CRITERIA, 8),
        comments={"quality": "burrs, see NCR-12"},
        actor=supervisor(plant, "ASSY"),
    )

    def imported(header, *rows):
        text = "\n".join((header, *(f"2026-03,ASSY,STORE,{row}" for row in rows)))
        summary = import_file(
            actor=SYSTEM, session=session, kind="scores", path=write_csv(tmp_path / "s.csv", text)
        )
        (stored,) = scoring.forms(session=session, plant=plant, months=["2026-03"])
        return (summary.updated, summary.unchanged), stored.values["quality"], stored.comments

    header = "month,rater,ratee,criterion,value"
    rows = [f"{c},8" for c in CRITERIA]
    kept = {"quality": "burrs, see NCR-12"}
    assert imported(header, *rows) == ((0, 4), 8, kept)
    assert imported(header, "quality,9") == ((1, 0), 9, kept)
    # a comment column says what the comments are: here, none
    assert imported(header + ",comment", "quality,9,") == ((1, 0), 9, {})


def test_a_scores_file_without_comments_may_keep_a_low_value_whose_comment_is_stored(
    tmp_path, engine, session, plant
):
    form(session, plant, "2026-03", "ASSY", "STORE", 8, quality=3)  # commented "why"

    def imported(*rows):
        text = "\n".join(("month,rater,ratee,criterion,value", *rows))
        path = write_csv(tmp_path / "s.csv", text)
        return import_file(actor=SYSTEM, session=session, kind="scores", path=path)

    summary = imported("2026-03,ASSY,STORE,quality,3", "2026-03,ASSY,STORE,delivery,9")
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 1)
    summary = imported("2026-03,ASSY,STORE,quality,4")
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 0)
    (stored,) = scoring.forms(session=session, plant=plant, months=["2026-03"])
    assert stored.values["quality"] == 4 and stored.comments == {"quality": "why"}
    # a low value without a stored comment still needs one
    before = snapshot(engine)
    with pytest.raises(ImportRejected, match="row 2, column 'comment': a value below 6 needs"):
        imported("2026-03,ASSY,STORE,service,2")
    assert snapshot(engine) == before


def test_an_import_names_the_forms_that_do_not_count(tmp_path, session, plant):
    def imported(kind, text):
        path = write_csv(tmp_path / f"{kind}.csv", text)
        return import_file(actor=SYSTEM, session=session, kind=kind, path=path)

    header = "month,rater,ratee,criterion,value"
    three = "\n".join(f"2026-03,ASSY,STORE,{c},8" for c in CRITERIA[:3])
    summary = imported("scores", f"{header}\n{three}\n2026-03,SHEET,STORE,quality,9")
    assert summary.notes == [
        "the form of ASSY for STORE in 2026-03 does not count until it is complete: no value"
        " for Handover (handover)",
        "the form of SHEET for STORE in 2026-03 does not count until it is complete: no value"
        " for Delivery (delivery), Service (service), Handover (handover)",
    ]
    assert "\n  the form of ASSY for STORE in 2026-03 does not count" in str(summary)
    months = ["2024-01"]
    while len(months) < 25:
        months.append(next_month(months[-1]))
    many = "\n".join(f"{m},ASSY,STORE,quality,8" for m in months)
    notes = imported("scores", f"{header}\n{many}").notes  # 25 forms incomplete: 20 lines
    assert len(notes) == 20 and notes[-1] == "… and 6 more like these"
    assert imported("scores", f"{header}\n2026-03,ASSY,STORE,handover,8").notes == []
    # handovers recorded afterwards: STORE handed over to SHEET only, so ASSY's form is out
    summary = imported("handovers", "month,from,to,quantity\n2026-03,STORE,SHEET,40")
    assert summary.notes == [
        "the form of ASSY for STORE in 2026-03 no longer counts: STORE did not supply ASSY"
        " that month"
    ]
    assert result(compute(session, plant), "STORE").raters == 0  # SHEET's form is incomplete
    # a routing changed from 2026-04-15: P1 leaves out QC, which SHEET then no longer supplies
    form(session, plant, "2026-04", "QC", "SHEET", 9)
    p1 = "part,op,unit,category,after,inspection\nP1,10,STORE,,,0\nP1,20,SHEET,bending,10,0\n"
    summary = import_file(
        actor=SYSTEM,
        session=session,
        kind="routings",
        path=write_csv(tmp_path / "p1.csv", p1 + "P1,40,ASSY,,20,0"),
        effective=date(2026, 4, 15),
    )
    assert summary.notes == [
        "the form of QC for SHEET in 2026-04 no longer counts: SHEET did not supply QC that month"
    ]


def test_low_value_needs_a_comment(engine, session, plant):
    """The refusal names the criterion as the form shows it, by its name and its code."""
    before = snapshot(engine)
    with pytest.raises(NoacError) as refused:
        scoring.submit_form(
            session=session,
            plant=plant,
            month="2026-03",
            rater="SHEET",
            ratee="STORE",
            values={"quality": 5, "delivery": 8, "service": 8, "handover": 8},
            actor=supervisor(plant, "SHEET"),
        )
    assert str(refused.value) == (
        "Quality (quality), comment: a value below 6 needs a comment saying why"
    )
    with pytest.raises(NoacError) as refused:
        scoring.submit_form(
            session=session,
            plant=plant,
            month="2026-03",
            rater="SHEET",
            ratee="STORE",
            values={"quality": 7, "delivery": 8, "service": 8},
            actor=supervisor(plant, "SHEET"),
        )
    assert str(refused.value) == "criterion: the form has no value for Handover (handover)"
    assert snapshot(engine) == before


def test_a_month_not_begun_cannot_be_scored(tmp_path, engine, session, plant):
    def submit(today):
        return scoring.submit_form(
            session=session,
            plant=plant,
            month="2026-04",
            rater="SHEET",
            ratee="STORE",
            values=dict.fromkeys(CRITERIA, 8),
            actor=supervisor(plant, "SHEET"),
            today=today,
        )

    before = snapshot(engine)
    with pytest.raises(NoacError, match="2026-04 has not begun: it can be scored from 2026-04-01"):
        submit(date(2026, 3, 31))
    path = write_csv(
        tmp_path / "scores.csv",
        "month,rater,ratee,criterion,value\n2026-03,SHEET,STORE,quality,8\n"
        "2099-01,SHEET,STORE,quality,8",
    )
    with pytest.raises(ImportRejected) as excinfo:
        import_file(actor=SYSTEM, session=session, kind="scores", path=path)
    [error] = excinfo.value.errors
    assert (error.row, error.column, error.reason) == (
        3,
        "month",
        "2099-01 has not begun: it can be scored from 2099-01-01",
    )
    assert snapshot(engine) == before
    assert submit(date(2026, 4, 1)) == (4, 0, 0)  # the month running is scored as it runs


def test_resubmitting_replaces_and_keeps_history(session, plant):
    form(session, plant, "2026-03", "SHEET", "STORE", 8)
    form(session, plant, "2026-03", "SHEET", "STORE", 6)
    assert result(compute(session, plant), "STORE").satisfaction == 60.0
    history = session.exec(select(ScoreHistory)).all()
    assert sorted(h.value for h in history) == [8, 8, 8, 8]


def test_stale_form_is_refused_with_who_changed_it(session, plant):
    form(session, plant, "2026-03", "SHEET", "STORE", 8)
    (seen,) = scoring.forms(session=session, plant=plant, months=["2026-03"])
    form(session, plant, "2026-03", "SHEET", "STORE", 7)
    with pytest.raises(NoacError, match="was changed by sup-sheet at"):
        scoring.submit_form(
            session=session,
            plant=plant,
            month="2026-03",
            rater="SHEET",
            ratee="STORE",
            values=dict.fromkeys(seen.values, 9),
            actor=supervisor(plant, "SHEET"),
            expected_versions=seen.versions,
        )


def test_a_reason_of_the_whole_form_is_said_once(engine, session, plant):
    coefficients.close_month(session=session, plant=plant, month="2026-03", actor=QUALITY)
    before = snapshot(engine)
    with pytest.raises(NoacError) as refused:
        form(session, plant, "2026-03", "SHEET", "STORE", 8, delivery=11)
    assert str(refused.value) == (
        "month: 2026-03 is closed: scores can no longer change unless the quality department"
        " reopens it;"
        " Delivery (delivery), value: 11 is outside the scale 0..10 of Delivery (delivery)"
    )
    with pytest.raises(NoacError) as refused:
        form(session, plant, "2026-04", "SHEET", "SHEET", 8)
    assert str(refused.value) == "ratee: a unit cannot score itself"
    assert snapshot(engine) == before


def test_close_locks_the_month_and_reopen_recomputes(session, plant, tmp_path):
    form(session, plant, "2026-03", "ASSY", "SHEET", 9)
    closed = coefficients.close_month(session=session, plant=plant, month="2026-03", actor=QUALITY)
    assert closed.run == 1 and result(closed, "SHEET").coefficient == 1.02
    with pytest.raises(NoacError, match="2026-03 is closed: scores can no longer change"):
        form(session, plant, "2026-03", "ASSY", "SHEET", 5)
    with pytest.raises(NoacError, match="already closed"):
        coefficients.close_month(session=session, plant=plant, month="2026-03", actor=QUALITY)
    with pytest.raises(NoacError, match="needs a reason"):
        coefficients.reopen_month(
            session=session, plant=plant, month="2026-03", reason="", actor=QUALITY
        )
    coefficients.reopen_month(
        session=session, plant=plant, month="2026-03", reason="late form from QC", actor=QUALITY
    )
    form(session, plant, "2026-03", "QC", "SHEET", 7)
    again = coefficients.close_month(session=session, plant=plant, month="2026-03", actor=QUALITY)
    # S = (1 * 90 + 1 * 70) / 2 = 80, target 88 -> K = 0.92
    assert again.run == 2 and result(again, "SHEET").coefficient == 0.92
    stored = coefficients.month_results(session=session, plant=plant, month="2026-03")
    assert result(stored, "SHEET").coefficient == 0.92 and stored.run == 2
    assert stored.scheme_hash == again.scheme_hash != ""


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("x" * 2001, "the reason is longer than 2000 characters"),
        ("late\x00form", "the reason contains a NUL character"),
    ],
)
def test_a_reopen_reason_that_cannot_be_stored_is_refused(engine, session, plant, reason, message):
    """On both databases alike, naming the reason, and the month stays closed."""
    coefficients.close_month(session=session, plant=plant, month="2026-03", actor=QUALITY)
    before = snapshot(engine)
    with pytest.raises(NoacError, match=message):
        coefficients.reopen_month(
            session=session, plant=plant, month="2026-03", reason=reason, actor=QUALITY
        )
    assert snapshot(engine) == before


def _relations(session, tmp_path, text, effective=None):
    path = write_csv(tmp_path / "services.csv", "provider,customer,weight\n" + text)
    return import_file(
        actor=SYSTEM, session=session, kind="service-relations", path=path, effective=effective
    )


def _satisfaction(session, plant, month, unit="ENG"):
    return result(compute(session, plant, month), unit).satisfaction


def test_a_changed_service_weight_counts_from_its_date(session, plant, tmp_path):
    _relations(session, tmp_path, "ENG,ASSY,1\nENG,SHEET,1")
    for month in ("2026-03", "2026-04"):
        form(session, plant, month, "ASSY", "ENG", 10)
        form(session, plant, month, "SHEET", "ENG", 5)
    summary = _relations(session, tmp_path, "ENG,ASSY,3\nENG,SHEET,1", date(2026, 4, 15))
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 1)
    assert summary.changes == [
        {
            "key": "ENG->ASSY",
            "before": {"weight": 1.0, "effective_from": None},
            "after": {"weight": 3.0, "effective_from": date(2026, 4, 15)},
        }
    ]
    # the weights in force on the month's last day: 2026-03 (1 * 100 + 1 * 50) / 2 = 75;
    # 2026-04 (3 * 100 + 1 * 50) / 4 = 87.5
    assert _satisfaction(session, plant, "2026-03") == 75
    assert _satisfaction(session, plant, "2026-04") == 87.5
    assert scoring.supply_weights(session=session, plant=plant, month="2026-04") == {
        **scoring.supply_weights(session=session, plant=plant, month="2026-03"),
        ("ENG", "ASSY"): 3.0,
    }


def test_a_closed_month_keeps_its_service_weights_when_closed_again(
    engine, session, plant, tmp_path
):
    _relations(session, tmp_path, "ENG,ASSY,1\nENG,SHEET,1")
    form(session, plant, "2026-03", "ASSY", "ENG", 10)
    form(session, plant, "2026-03", "SHEET", "ENG", 5)
    closed = coefficients.close_month(session=session, plant=plant, month="2026-03", actor=QUALITY)
    # S = 75, target 85 -> K = 1 + (75 - 85) / 100 = 0.90
    assert result(closed, "ENG").coefficient == 0.9
    before = snapshot(engine)
    with pytest.raises(ImportRejected) as excinfo:
        _relations(session, tmp_path, "ENG,ASSY,3\nENG,QC,2", date(2026, 3, 20))
    reason = (
        "from 2026-03-20 would change 2026-03, which is closed: take it in force from 2026-04-01,"
        " or reopen the months from 2026-03 first"
    )
    assert [(e.row, e.column, e.reason) for e in excinfo.value.errors] == [
        (2, "weight", f"ENG->ASSY: a weight {reason}"),
        (3, "weight", f"ENG->QC: a weight {reason}"),
    ]
    assert snapshot(engine) == before
    _relations(session, tmp_path, "ENG,ASSY,3\nENG,QC,2", date(2026, 4, 1))
    assert ("ENG", "QC") not in scoring.supply_weights(
        session=session, plant=plant, month="2026-03"
    )
    assert scoring.supply_weights(session=session, plant=plant, month="2026-04")[("ENG", "QC")] == 2
    coefficients.reopen_month(
        session=session, plant=plant, month="2026-03", reason="late form", actor=QUALITY
    )
    again = coefficients.close_month(session=session, plant=plant, month="2026-03", actor=QUALITY)
    assert result(again, "ENG").satisfaction == 75 and result(again, "ENG").coefficient == 0.9


def test_a_service_weight_changes_on_or_after_its_newest_date(engine, session, plant, tmp_path):
    _relations(session, tmp_path, "ENG,ASSY,1")
    _relations(session, tmp_path, "ENG,ASSY,3", date(2026, 5, 1))
    before = snapshot(engine)
    for weight in (4, 3):  # the same weight from an earlier date would change April too
        with pytest.raises(ImportRejected) as excinfo:
            _relations(session, tmp_path, f"ENG,ASSY,{weight}", date(2026, 4, 30))
        assert [(e.row, e.column, e.reason) for e in excinfo.value.errors] == [
            (
                2,
                "weight",
                "ENG->ASSY: the new weight must take effect on or after 2026-05-01, when its"
                " weight 3 took effect, not 2026-04-30",
            )
        ]
        assert snapshot(engine) == before
    summary = _relations(session, tmp_path, "ENG,ASSY,4", date(2026, 5, 1))
    assert summary.changes[0]["before"] == {"weight": 3.0, "effective_from": date(2026, 5, 1)}
    assert len(snapshot(engine)["service_relation"]) == 2  # the entry of 2026-05-01 replaced
    weights = {
        month: scoring.supply_weights(session=session, plant=plant, month=month)[("ENG", "ASSY")]
        for month in ("2026-04", "2026-05")
    }
    assert weights == {"2026-04": 1.0, "2026-05": 4.0}


def test_an_ended_service_relation_counts_no_more_from_its_date(engine, session, plant, tmp_path):
    """Weight 0 ends a relation from --effective: the department's customer may no longer
    score it, and a month closed before counts what it counted."""
    _relations(session, tmp_path, "ENG,ASSY,1\nENG,SHEET,1")
    for month in ("2026-03", "2026-04"):
        form(session, plant, month, "ASSY", "ENG", 10)
        form(session, plant, month, "SHEET", "ENG", 5)
    closed = coefficients.close_month(session=session, plant=plant, month="2026-03", actor=QUALITY)
    assert result(closed, "ENG").coefficient == 0.9  # S = (1 * 100 + 1 * 50) / 2 = 75
    summary = _relations(session, tmp_path, "ENG,SHEET,0", date(2026, 4, 10))
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 0)
    assert summary.changes == [
        {
            "key": "ENG->SHEET",
            "before": {"weight": 1.0, "effective_from": None},
            "after": {"weight": 0.0, "effective_from": date(2026, 4, 10)},
        }
    ]
    assert summary.notes == [
        "the form of SHEET for ENG in 2026-04 no longer counts: ENG did not supply SHEET that month"
    ]
    assert _satisfaction(session, plant, "2026-04") == 100  # ASSY's form alone
    assert ("ENG", "SHEET") not in scoring.supply_weights(
        session=session, plant=plant, month="2026-04"
    )
    with pytest.raises(NoacError, match="ENG did not supply SHEET in 2026-04"):
        form(session, plant, "2026-04", "SHEET", "ENG", 6)
    before = snapshot(engine)
    again = _relations(session, tmp_path, "ENG,SHEET,0")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert snapshot(engine) == before
    coefficients.reopen_month(
        session=session, plant=plant, month="2026-03", reason="late form", actor=QUALITY
    )
    again = coefficients.close_month(session=session, plant=plant, month="2026-03", actor=QUALITY)
    assert result(again, "ENG").satisfaction == 75 and result(again, "ENG").coefficient == 0.9


def test_a_service_relation_ends_after_the_closed_months_and_can_be_served_again(
    engine, session, plant, tmp_path
):
    _relations(session, tmp_path, "ENG,ASSY,2\nENG,SHEET,3")
    _relations(session, tmp_path, "ENG,SHEET,0", date(2026, 4, 10))
    coefficients.close_month(session=session, plant=plant, month="2026-03", actor=QUALITY)
    before = snapshot(engine)
    with pytest.raises(ImportRejected) as excinfo:
        _relations(session, tmp_path, "ENG,ASSY,0\nENG,SHEET,0", date(2026, 3, 20))
    assert [(e.row, e.column, e.reason) for e in excinfo.value.errors] == [
        (
            2,
            "weight",
            "ENG->ASSY: an end from 2026-03-20 would change 2026-03, which is closed: take it in"
            " force from 2026-04-01, or reopen the months from 2026-03 first",
        ),
        (
            3,
            "weight",
            "ENG->SHEET: the end must take effect on or after 2026-04-10, when it ended, not"
            " 2026-03-20",
        ),
    ]
    assert snapshot(engine) == before
    # a relation never listed is not served: nothing to end
    assert _relations(session, tmp_path, "ENG,QC,0").unchanged == 1
    assert snapshot(engine) == before
    # listed again without a weight: served again with the weight it had before its end
    path = write_csv(tmp_path / "again.csv", "provider,customer\nENG,SHEET")
    summary = import_file(
        actor=SYSTEM,
        session=session,
        kind="service-relations",
        path=path,
        effective=date(2026, 6, 1),
    )
    assert summary.changes[0]["after"] == {"weight": 3.0, "effective_from": date(2026, 6, 1)}
    weights = [
        scoring.supply_weights(session=session, plant=plant, month=month).get(("ENG", "SHEET"))
        for month in ("2026-03", "2026-05", "2026-06")
    ]
    assert weights == [3.0, None, 3.0]


def test_a_closed_month_reads_its_forms_with_the_scheme_it_was_closed_with(
    tmp_path, session, plant
):
    for month in ("2026-02", "2026-03"):
        form(session, plant, month, "SHEET", "STORE", 10, quality=2)
        form(session, plant, month, "ASSY", "STORE", 10)
    coefficients.close_month(session=session, plant=plant, month="2026-02", actor=QUALITY)
    reweighted = tmp_path / "reweighted.toml"
    reweighted.write_text(DEFAULT_SCHEME.read_text().replace("weight = 0.40", "weight = 4.0"))
    set_scheme(session=session, plant=plant, path=reweighted, actor=SYSTEM)

    def sheet_form(month):
        """SHEET's form for STORE on the feedback page, the score page, the matrix and the
        unit page."""
        received = scorecards.received_forms(
            session=session, plant=plant, unit="STORE", months=[month]
        )
        cards = scorecards.rater_cards(session=session, plant=plant, month=month, rater="SHEET")
        cells = dashboard.matrix(session=session, plant=plant, month=month).cells
        detail = dashboard.unit_detail(session=session, plant=plant, month=month, unit="STORE")
        return (
            {f.customer: f.score for f in received}["SHEET"],
            {c.supplier: c.score for c in cards}["STORE"],
            {(c.customer, c.supplier): c.form for c in cells}[("SHEET", "STORE")],
            {s.customer: s.form for s in detail.scores}["SHEET"],
        )

    # closed with .40/.25/.20/.15: F = 0.40 * 20 + 0.60 * 100 = 68, as its close stored it
    stored = result(
        coefficients.month_results(session=session, plant=plant, month="2026-02"), "STORE"
    )
    assert {r["rater"]: r["form"] for r in stored.decomposition["raters"]}["SHEET"] == 68
    assert sheet_form("2026-02") == (68, 68, 68, 68)
    # the open month with the scheme in force: (4.0 * 20 + 0.60 * 100) / 4.6 = 30.4348
    assert sheet_form("2026-03") == pytest.approx((140 / 4.6,) * 4)


def test_the_flags_read_closed_months_with_the_scheme_they_were_closed_with(
    tmp_path, session, plant
):
    ninety_then_blamed(session, plant, tmp_path)
    for month in ("2026-01", "2026-02"):
        coefficients.close_month(session=session, plant=plant, month=month, actor=QUALITY)
    # a fifth criterion from March: January's and February's forms lack it, yet they were
    # complete when their months were closed
    set_scheme(session=session, plant=plant, path=scheme_with_a_criterion(tmp_path), actor=SYSTEM)
    form(session, plant, "2026-03", "ASSY", "SHEET", 7, documents=7)  # 70 <= 90 - 20
    assert result(compute(session, plant), "SHEET").satisfaction == pytest.approx(70)
    assert "retaliation-suspect" in result(compute(session, plant), "ASSY").flags


def test_calibration_reads_closed_months_with_the_scheme_they_were_closed_with(
    tmp_path, session, plant
):
    zscore = tmp_path / "zscore.toml"
    zscore.write_text(
        DEFAULT_SCHEME.read_text().replace('calibration = "none"', 'calibration = "zscore"')
    )
    set_scheme(session=session, plant=plant, path=zscore, actor=SYSTEM)
    for month, value in (("2026-01", 6), ("2026-02", 7)):
        form(session, plant, month, "SHEET", "STORE", value)
        form(session, plant, month, "ASSY", "STORE", 10)
        coefficients.close_month(session=session, plant=plant, month=month, actor=QUALITY)
    extended = scheme_with_a_criterion(tmp_path).read_text()
    zscore.write_text(extended.replace('calibration = "none"', 'calibration = "zscore"'))
    set_scheme(session=session, plant=plant, path=zscore, actor=SYSTEM)
    form(session, plant, "2026-03", "SHEET", "STORE", 8, documents=8)
    form(session, plant, "2026-03", "ASSY", "STORE", 10, documents=10)
    computation = compute(session, plant)
    # as in test_zscore_calibration: forms 60, 70 (closed) and 80 of SHEET, 100 of ASSY
    plant_sd = math.sqrt(1550 / 6)
    sheet_form = 85 + (80 - 70) / math.sqrt(200 / 3) * plant_sd
    store = result(computation, "STORE")
    assert store.decomposition["raters"][1]["used"] == pytest.approx(sheet_form)
    assert "uncalibrated" not in result(computation, "SHEET").flags


def test_a_scale_that_leaves_out_scores_of_open_months_is_refused(tmp_path, engine, session, plant):
    form(session, plant, "2026-02", "ASSY", "STORE", 9)
    coefficients.close_month(session=session, plant=plant, month="2026-02", actor=QUALITY)
    form(session, plant, "2026-03", "ASSY", "STORE", 9, quality=2)
    form(session, plant, "2026-04", "ASSY", "STORE", 9)
    scheme = DEFAULT_SCHEME.read_text()
    narrowed = tmp_path / "narrowed.toml"
    narrowed.write_text(scheme.replace("min = 0\nmax = 10", "min = 1\nmax = 5", 1))  # quality
    before = snapshot(engine)
    with pytest.raises(NoacError) as refused:
        set_scheme(session=session, plant=plant, path=narrowed, actor=SYSTEM)
    # read on 1..5, April's 9 would count as 100 * (9 - 1) / 4 = 200; March's 2 fits, and
    # February is closed with the scale it had
    message = str(refused.value)
    assert "leave out scores already given in open months" in message
    assert "quality in 2026-04 (9..9)" in message
    assert "2026-03" not in message and "2026-02" not in message
    assert snapshot(engine) == before
    form(session, plant, "2026-05", "ASSY", "STORE", 10)
    for month in ("2026-03", "2026-04", "2026-05"):
        coefficients.close_month(session=session, plant=plant, month=month, actor=QUALITY)
    narrowed.write_text(scheme.replace("min = 0\nmax = 10", "min = 0\nmax = 9", 1))
    set_scheme(session=session, plant=plant, path=narrowed, actor=SYSTEM)  # 2 and 9 still fit
    # nor is a month closed with a 10 reopened to have it read on 0..9
    before = snapshot(engine)
    with pytest.raises(NoacError, match=r"2026-05 was scored on other scales .*quality in 2026-05"):
        coefficients.reopen_month(
            session=session, plant=plant, month="2026-05", reason="late form", actor=QUALITY
        )
    assert snapshot(engine) == before


def test_close_months_closes_every_plant_in_one_transaction(tmp_path, engine, session, plant):
    add_plant(session=session, code="WEST", name="West plant", actor=SYSTEM)
    for kind, text in (("units", UNITS), ("routings", ROUTINGS), ("defect-codes", CODES)):
        import_file(
            actor=SYSTEM,
            session=session,
            kind=kind,
            path=write_csv(tmp_path / f"west-{kind}.csv", text),
            plant_code="WEST",
        )
    west = resolve_plant(session=session, code="WEST")
    doubled = tmp_path / "doubled.toml"
    doubled.write_text(DEFAULT_SCHEME.read_text().replace("alpha = 1.0", "alpha = 2.0"))
    set_scheme(session=session, plant=west, path=doubled, actor=SYSTEM)
    form(session, plant, "2026-03", "ASSY", "SHEET", 9)
    form(session, west, "2026-03", "ASSY", "SHEET", 9)
    form(session, west, "2026-03", "QC", "SHEET", 7)
    alone = [compute(session, p) for p in (plant, west)]
    closed = coefficients.close_months(
        session=session, plants=[plant, west], month="2026-03", actor=QUALITY
    )
    # SHEET, target 88: 90 in the first plant -> 1 + (90 - 88) / 100 = 1.02; (90 + 70) / 2 = 80
    # in WEST, whose scheme doubles alpha -> 1 + 2 * (80 - 88) / 100 = 0.84
    assert [result(c, "SHEET").coefficient for c in closed] == [1.02, 0.84]
    versions = select(SchemeVersion.plant_id, SchemeVersion.content_hash, SchemeVersion.created_by)
    # each plant's scheme recorded once: the first plant's default at its close, WEST's own
    # when it was set (not again at the close)
    recorded = [
        (plant.id, closed[0].scheme_hash, QUALITY.username),
        (west.id, closed[1].scheme_hash, SYSTEM.username),
    ]
    assert sorted(session.exec(versions).all()) == sorted(recorded)
    assert closed[0].scheme_hash != closed[1].scheme_hash
    assert [(c.plant, c.run, c.closed) for c in closed] == [
        (plant.code, 1, True),
        ("WEST", 1, True),
    ]
    for computed, stored in zip(alone, closed, strict=True):
        assert stored.results == computed.results
        read = coefficients.month_results(
            session=session,
            plant=resolve_plant(session=session, code=stored.plant),
            month="2026-03",
        )
        assert read.results == sorted(stored.results, key=lambda r: r.unit)
    records = session.exec(select(AuditRecord).where(AuditRecord.action == "close")).all()
    assert sorted(r.entity_id for r in records) == [f"{plant.code}/2026-03", "WEST/2026-03"]

    coefficients.reopen_month(
        session=session, plant=west, month="2026-03", reason="late form", actor=QUALITY
    )
    before = snapshot(engine)
    with pytest.raises(NoacError, match=rf"2026-03 is already closed in {plant.code} \(by quinn\)"):
        coefficients.close_months(
            session=session, plants=[plant, west], month="2026-03", actor=QUALITY
        )
    with pytest.raises(NoacError, match="2099-01 is not over yet"):
        coefficients.close_months(
            session=session, plants=[plant, west], month="2099-01", actor=QUALITY
        )
    assert snapshot(engine) == before
    (rerun,) = coefficients.close_months(
        session=session, plants=[west], month="2026-03", actor=QUALITY
    )
    assert rerun.run == 2 and result(rerun, "SHEET").coefficient == 0.84
    for p in (plant, west):
        coefficients.reopen_month(
            session=session, plant=p, month="2026-03", reason="recount", actor=QUALITY
        )
    again = coefficients.close_months(
        session=session, plants=[plant, west], month="2026-03", actor=QUALITY
    )
    assert [result(c, "SHEET").coefficient for c in again] == [1.02, 0.84]
    assert sorted(session.exec(versions).all()) == sorted(recorded)


def test_a_month_closes_after_the_months_before_it_from_the_plants_first_data(
    engine, session, plant, tmp_path
):
    """A month's close reads the months before it (calibration, flags, the problems counted
    in the month before): from the plant's first month with scores or a problem counted, the
    months close in order, a month without data among them too; those before it are not
    asked for, nor the month of a problem found but not ruled."""
    import_defects(
        session,
        tmp_path,
        "id,date,found_at,part,op,code,severity,qty,responsible\n"
        "J,2026-01-10,ASSY,P3,20,PIT,major,1,STORE\n"
        "K,2025-11-10,ASSY,P3,20,PIT,major,1,",
    )
    form(session, plant, "2026-03", "ASSY", "SHEET", 9)
    before = snapshot(engine)
    with pytest.raises(NoacError) as refused:
        coefficients.close_month(session=session, plant=plant, month="2026-03", actor=QUALITY)
    assert str(refused.value) == (
        "2026-01 is still open, and 1 other month before 2026-03: close them in order from"
        " 2026-01 (a month's close reads the months before it)"
    )
    assert snapshot(engine) == before
    coefficients.close_month(session=session, plant=plant, month="2026-01", actor=QUALITY)
    # February has neither scores nor problems, but a problem ruled now would count in it
    before = snapshot(engine)
    with pytest.raises(NoacError) as refused:
        coefficients.close_month(session=session, plant=plant, month="2026-03", actor=QUALITY)
    assert str(refused.value) == (
        "2026-02 is still open: close it before 2026-03 (a month's close reads the months"
        " before it)"
    )
    assert snapshot(engine) == before
    coefficients.close_month(session=session, plant=plant, month="2026-02", actor=QUALITY)
    march = coefficients.close_month(session=session, plant=plant, month="2026-03", actor=QUALITY)
    # SHEET, target 88, from ASSY 90 -> K = 1 + (90 - 88) / 100 = 1.02
    assert result(march, "SHEET").coefficient == 1.02


def test_the_months_reopen_from_the_last_closed_one_back(engine, session, plant):
    """A month reopened may change, and the closed months after it read it: they are
    reopened first, and close again after it."""
    for month in ("2026-01", "2026-02", "2026-03"):
        form(session, plant, month, "ASSY", "SHEET", 9)
        coefficients.close_month(session=session, plant=plant, month=month, actor=QUALITY)
    before = snapshot(engine)
    with pytest.raises(NoacError) as refused:
        coefficients.reopen_month(
            session=session, plant=plant, month="2026-01", reason="late form", actor=QUALITY
        )
    assert str(refused.value) == (
        "2026-03 is closed after 2026-01: reopen the months from the last closed one back,"
        " 2026-03 first (a month's close reads the months before it)"
    )
    assert snapshot(engine) == before
    for month in ("2026-03", "2026-02", "2026-01"):
        coefficients.reopen_month(
            session=session, plant=plant, month=month, reason="late form", actor=QUALITY
        )
    form(session, plant, "2026-01", "QC", "SHEET", 7)
    for month in ("2026-01", "2026-02", "2026-03"):
        again = coefficients.close_month(session=session, plant=plant, month=month, actor=QUALITY)
        assert again.run == 2
    # January's SHEET: (1 * 90 + 1 * 70) / 2 = 80, target 88 -> K = 0.92
    january = coefficients.month_results(session=session, plant=plant, month="2026-01")
    assert result(january, "SHEET").coefficient == 0.92


def _closed_from_february(session, plant):
    """The plant's first scores in 2026-02; 2026-02 and 2026-03 closed, in order."""
    form(session, plant, "2026-02", "ASSY", "SHEET", 9)
    for month in ("2026-02", "2026-03"):
        coefficients.close_month(session=session, plant=plant, month=month, actor=QUALITY)


def test_a_month_before_the_last_closed_one_takes_no_scores(engine, session, plant):
    """The months closed read the months before them empty (calibration and flags compare
    with their forms): a month before the last closed one takes no scores, closed or not,
    until the months after it are reopened."""
    _closed_from_february(session, plant)
    before = snapshot(engine)
    with pytest.raises(NoacError) as refused:
        form(session, plant, "2026-01", "ASSY", "SHEET", 7)
    assert str(refused.value) == (
        "month: 2026-01 is before 2026-03, the last closed month: months close in order,"
        " so it takes no scores"
    )
    assert snapshot(engine) == before
    # the last closed month reopened takes scores again; January waits for February
    coefficients.reopen_month(
        session=session, plant=plant, month="2026-03", reason="late form", actor=QUALITY
    )
    form(session, plant, "2026-03", "QC", "SHEET", 7)
    with pytest.raises(NoacError, match="2026-01 is before 2026-02, the last closed month"):
        form(session, plant, "2026-01", "ASSY", "SHEET", 7)
    coefficients.reopen_month(
        session=session, plant=plant, month="2026-02", reason="late form", actor=QUALITY
    )
    form(session, plant, "2026-01", "ASSY", "SHEET", 7)
    # January, now the first month with scores, closes first
    with pytest.raises(NoacError, match="2026-01 is still open: close it before 2026-02"):
        coefficients.close_month(session=session, plant=plant, month="2026-02", actor=QUALITY)


def test_a_problem_found_before_the_last_closed_month_counts_in_the_first_open_one(
    tmp_path, session, plant
):
    """A problem found in a month before the plant's first scores, reported or ruled after
    later months closed, counts in the first open month, as one found in a closed month
    does: it does not hold up the next close."""
    _closed_from_february(session, plant)
    import_defects(
        session,
        tmp_path,
        "id,date,found_at,part,op,code,severity,qty,responsible\n"
        "OLD,2025-12-10,ASSY,P3,20,PIT,major,1,STORE\n"
        "LATE,2026-01-10,ASSY,P3,20,PIT,major,1,",
    )
    problems.rule_problem(
        session=session, plant=plant, ref="LATE", shares="STORE", reason="r", actor=QUALITY
    )
    counted = {
        ref: problems.problem_detail(session=session, plant=plant, ref=ref).counted_month
        for ref in ("OLD", "LATE")
    }
    assert counted == {"OLD": "2026-04", "LATE": "2026-04"}
    april = coefficients.close_month(session=session, plant=plant, month="2026-04", actor=QUALITY)
    # STORE: two major problems of 3 points each
    assert result(april, "STORE").defect_points == 6


def test_a_month_not_over_cannot_be_closed(session, plant):
    with pytest.raises(NoacError, match="2099-01 is not over yet"):
        coefficients.close_month(session=session, plant=plant, month="2099-01", actor=QUALITY)


def test_ruling_after_close_counts_in_the_first_open_month(tmp_path, session, plant):
    import_defects(
        session,
        tmp_path,
        "id,date,found_at,part,op,code,severity,qty\nL,2026-03-10,ASSY,P3,20,PIT,major,1",
    )
    coefficients.close_month(session=session, plant=plant, month="2026-03", actor=QUALITY)
    problems.rule_problem(
        session=session, plant=plant, ref="L", shares="STORE", reason="r", actor=QUALITY
    )
    april = compute(session, plant, "2026-04")
    assert result(april, "STORE").defect_points == 3
    march = coefficients.month_results(session=session, plant=plant, month="2026-03")
    assert result(march, "STORE").defect_points == 0


def test_scores_import_is_atomic_with_row_numbers(tmp_path, engine, session, plant):
    before = snapshot(engine)
    bad = write_csv(
        tmp_path / "scores.csv",
        """
month,rater,ratee,criterion,value,comment
2026-03,SHEET,STORE,quality,8,
2026-03,STORE,SHEET,quality,8,
2026-03,SHEET,STORE,looks,8,
2026-03,SHEET,STORE,delivery,3,
2026-03,SHEET,STORE,quality,9,
2026-3,SHEET,STORE,quality,9,
2026-03,SHEET,STORE,service,x,
""",
    )
    with pytest.raises(ImportRejected) as excinfo:
        import_file(actor=SYSTEM, session=session, kind="scores", path=bad)
    assert [(e.row, e.column) for e in excinfo.value.errors] == [
        (3, "ratee"),
        (4, "criterion"),
        (5, "comment"),
        (6, "criterion"),
        (7, "month"),
        (8, "value"),
    ]
    assert snapshot(engine) == before
    good = write_csv(
        tmp_path / "good.csv",
        "month,rater,ratee,criterion,value,comment\n"
        + "\n".join(
            f"2026-03,SHEET,STORE,{c},8," for c in ("quality", "delivery", "service", "handover")
        ),
    )
    summary = import_file(actor=SYSTEM, session=session, kind="scores", path=good)
    assert summary.created == 4
    assert import_file(actor=SYSTEM, session=session, kind="scores", path=good).unchanged == 4
    assert result(compute(session, plant), "STORE").satisfaction == 80.0


def test_a_score_row_without_its_value_is_refused_saying_so(tmp_path, engine, session, plant):
    before = snapshot(engine)
    bad = write_csv(
        tmp_path / "scores.csv",
        "month,rater,ratee,criterion,value,comment\n2026-03,SHEET,STORE,quality,,",
    )
    with pytest.raises(ImportRejected) as excinfo:
        import_file(actor=SYSTEM, session=session, kind="scores", path=bad)
    assert [(e.row, e.column, e.reason) for e in excinfo.value.errors] == [
        (2, "value", "no value given")
    ]
    assert snapshot(engine) == before


def test_a_month_written_otherwise_than_yyyy_mm_is_refused_saying_how_to_write_it(
    tmp_path, engine, session, plant
):
    """A Chinese spreadsheet saves a month typed 2026-03 as the day 2026/3/1; typed by hand
    it may read 2026年3月 or 2026-3. The refusal says the month to write; 03/2026 could be
    read otherwise and is only refused."""
    before = snapshot(engine)
    rows = ("2026/3/1", "2026年3月", "2026-3", "03/2026")
    bad = write_csv(
        tmp_path / "scores.csv",
        "month,rater,ratee,criterion,value,comment\n"
        + "\n".join(f"{month},SHEET,STORE,quality,8," for month in rows),
    )
    with pytest.raises(ImportRejected) as excinfo:
        import_file(actor=SYSTEM, session=session, kind="scores", path=bad)
    assert [(e.row, e.column, e.reason) for e in excinfo.value.errors] == [
        (2, "month", "'2026/3/1' is not a month (YYYY-MM): write it 2026-03"),
        (3, "month", "'2026年3月' is not a month (YYYY-MM): write it 2026-03"),
        (4, "month", "'2026-3' is not a month (YYYY-MM): write it 2026-03"),
        (5, "month", "'03/2026' is not a month (YYYY-MM)"),
    ]
    assert snapshot(engine) == before


def test_a_row_whose_value_is_not_a_whole_number_is_told_its_other_faults_too(
    tmp_path, engine, session, plant
):
    # a row typed with full-width commas (，) is one cell: its month shows what went wrong
    before = snapshot(engine)
    bad = write_csv(
        tmp_path / "scores.csv",
        """
month,rater,ratee,criterion,value,comment
2026-03，SHEET，STORE，quality，8
2026-03,SHEET,MILL,looks,x,
""",
    )
    with pytest.raises(ImportRejected) as excinfo:
        import_file(actor=SYSTEM, session=session, kind="scores", path=bad)
    assert [(e.row, e.column, e.reason) for e in excinfo.value.errors] == [
        (
            2,
            "month",
            "'2026-03，SHEET，STORE，quality，8' is not a month (YYYY-MM); the cell holds"
            " full-width characters (，): type them half-width",
        ),
        (2, "value", "no value given"),
        (
            3,
            "criterion",
            "unknown criterion 'looks' (one of quality, delivery, service, handover)",
        ),
        (3, "ratee", f"unknown unit 'MILL' in plant {plant.code}"),
        (3, "value", "'x' is not a whole number"),
    ]
    assert snapshot(engine) == before


def test_a_value_a_spreadsheet_saved_with_zero_decimals_is_its_whole_number(
    tmp_path, engine, session, plant
):
    """A value column formatted with decimals is saved 9.0 in CSV: it is the score 9, as a
    quantity saved 2.0 is 2; 8.5 stays refused."""
    path = write_csv(
        tmp_path / "scores.csv",
        "month,rater,ratee,criterion,value\n2026-03,SHEET,STORE,quality,9.0\n"
        "2026-03,SHEET,STORE,delivery, 8.00 \n",
    )
    summary = import_file(actor=SYSTEM, session=session, kind="scores", path=path)
    assert summary.created == 2
    [form] = scoring.forms(session=session, plant=plant, months=["2026-03"])
    assert {c: v for c, v in form.values.items() if v is not None} == {"quality": 9, "delivery": 8}


# A file of 948 good rows (60 months of four forms, one in 2026-02) and one row that breaks
# one rule: the row is named with its column, as in a small file, and nothing is written.
# 2026-02 has handovers (STORE->SHEET only), so there only SHEET may score STORE.
@pytest.mark.parametrize(
    ("bad", "column", "reason"),
    [
        ("2026-02,ASSY,STORE,quality,8,", "ratee", "STORE did not supply ASSY in 2026-02"),
        ("2026-03,QC,STORE,quality,8,", "ratee", "STORE did not supply QC in 2026-03"),
        ("2026-03,ASSY,MILL,quality,8,", "ratee", "unknown unit 'MILL'"),
        ("2026-03,ENG,ENG,quality,8,", "ratee", "a unit cannot score itself"),
        ("2026-03,ASSY,QC,looks,8,", "criterion", "unknown criterion 'looks'"),
        (
            "2026-03,ASSY,QC,quality,11,",
            "value",
            "11 is outside the scale 0..10 of Quality (quality)",
        ),
        ("2026-03,ASSY,QC,quality,8.5,", "value", "'8.5' is not a whole number"),
        ("2026-03,ASSY,QC,quality,1_0,", "value", "'1_0' is not a whole number"),
        ("2026-03,ASSY,QC,quality,９,", "value", "'９' is not a whole number"),
        ("2026-03,ASSY,QC,quality,+9,", "value", "'+9' is not a whole number"),
        ("2026-03,ASSY,QC,quality,3,", "comment", "a value below 6 needs a comment"),
        ("2026-03,ASSY,QC,quality,8," + "x" * 2001, "comment", "longer than 2000 characters"),
        ("2026-03,SHEET,STORE,quality,9,", "criterion", "the same score is already in row"),
        ("2026-13,ASSY,QC,quality,8,", "month", "2026-13"),
    ],
)
def test_one_bad_row_in_a_large_scores_file_is_named(
    tmp_path, engine, session, plant, bad, column, reason
):
    handovers = write_csv(tmp_path / "h.csv", "month,from,to,quantity\n2026-02,STORE,SHEET,50")
    import_file(actor=SYSTEM, session=session, kind="handovers", path=handovers)
    months = ["2021-04"]  # .. 2026-03
    while len(months) < 60:
        months.append(next_month(months[-1]))
    pairs = [("SHEET", "STORE"), ("ASSY", "STORE"), ("QC", "SHEET"), ("ASSY", "SHEET")]
    lines = [
        f"{m},{rater},{ratee},{c},8,"
        for m in months
        for rater, ratee in pairs
        if m != "2026-02" or ratee == "STORE" and rater == "SHEET"
        for c in CRITERIA
    ]
    good = "month,rater,ratee,criterion,value,comment\n" + "\n".join(lines)
    before = snapshot(engine)
    path = write_csv(tmp_path / "scores.csv", good + "\n" + bad)
    with pytest.raises(ImportRejected) as excinfo:
        import_file(actor=SYSTEM, session=session, kind="scores", path=path)
    [error] = excinfo.value.errors
    assert (error.row, error.column) == (len(lines) + 2, column)
    assert reason in error.reason
    assert snapshot(engine) == before
    summary = import_file(
        actor=SYSTEM, session=session, kind="scores", path=write_csv(tmp_path / "ok.csv", good)
    )
    assert summary.created == len(lines) == 4 + 59 * 4 * 4
    stored = scoring.forms(session=session, plant=plant, months=months)
    assert len(stored) == len(lines) // 4
    assert all(f.values == dict.fromkeys(CRITERIA, 8) for f in stored)


# Imported scores carry the importer's name, whatever it holds, and the import's time: a
# file of 1,000 rows or more goes into PostgreSQL by COPY, a smaller one by one insert.
@pytest.mark.parametrize("months", [1, 60])
def test_imported_scores_carry_the_importer_and_the_time(tmp_path, session, plant, months):
    importer = dataclasses.replace(QUALITY, username="o'brien 100%")
    pairs = [("SHEET", "STORE"), ("ASSY", "STORE"), ("QC", "SHEET"), ("ASSY", "SHEET")]
    pairs.append(("ASSY", "QC"))
    month, lines = "2021-04", []
    for _ in range(months):
        lines += [f"{month},{rater},{ratee},{c},7," for rater, ratee in pairs for c in CRITERIA]
        month = next_month(month)
    path = write_csv(
        tmp_path / "scores.csv", "month,rater,ratee,criterion,value,comment\n" + "\n".join(lines)
    )
    started = datetime.now(UTC)
    summary = import_file(actor=importer, session=session, kind="scores", path=path)
    ended = datetime.now(UTC)
    stored = session.exec(select(Score.submitted_by, Score.submitted_at, Score.version)).all()
    assert summary.created == len(stored) == months * 20
    assert {(by, version) for by, _, version in stored} == {("o'brien 100%", 1)}
    [at] = {at if at.tzinfo else at.replace(tzinfo=UTC) for _, at, _ in stored}
    assert started <= at <= ended


SUPPLIES = [
    ("SHEET", "STORE"),
    ("QC", "SHEET"),
    ("ASSY", "QC"),
    ("ASSY", "SHEET"),
    ("ASSY", "STORE"),
]
MANY_MONTHS = [f"{year}-{month:02d}" for year in range(2021, 2026) for month in range(1, 13)][:52]


def _every_score(path, value: int):
    """Every pair's scores of ``MANY_MONTHS``, all at ``value``: 52 * 5 * 4 = 1,040 rows, more
    than PostgreSQL's replacements take through a copy (``bulk.COPY_FROM``)."""
    rows = [
        f"{month},{rater},{ratee},{criterion},{value},"
        for month in MANY_MONTHS
        for rater, ratee in SUPPLIES
        for criterion in CRITERIA
    ]
    return write_csv(path, "month,rater,ratee,criterion,value,comment\n" + "\n".join(rows))


def test_a_file_replacing_a_thousand_scores_keeps_the_history_of_each(tmp_path, session, plant):
    first = import_file(
        actor=SYSTEM, session=session, kind="scores", path=_every_score(tmp_path / "a.csv", 8)
    )
    assert first.created == 1040
    summary = import_file(
        actor=QUALITY, session=session, kind="scores", path=_every_score(tmp_path / "b.csv", 9)
    )
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1040, 0)
    history = session.exec(
        select(ScoreHistory.score_id, ScoreHistory.value, ScoreHistory.version)
    ).all()
    assert len({score_id for score_id, *_ in history}) == 1040
    assert Counter((value, version) for _, value, version in history) == {(8, 1): 1040}
    scores = session.exec(select(Score.value, Score.version, Score.submitted_by)).all()
    assert Counter(scores) == {(9, 2, "quinn"): 1040}


# PostgreSQL: writes of scores do not wait for each other, so the version read decides
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_file_replacing_scores_changed_meanwhile_is_refused_whole(
    tmp_path, engine, session, plant, monkeypatch
):
    import_file(
        actor=SYSTEM, session=session, kind="scores", path=_every_score(tmp_path / "a.csv", 8)
    )
    read = scoring._stored_scores
    meanwhile = {}

    def changed_after_reading(*arguments):
        stored = read(*arguments)
        if not meanwhile:  # the file's read: another user submits a form of the file
            meanwhile["state"] = None
            with Session(engine) as other:
                form(other, plant, "2021-01", "ASSY", "QC", 7)
            meanwhile["state"] = snapshot(engine)
        return stored

    monkeypatch.setattr(scoring, "_stored_scores", changed_after_reading)
    with pytest.raises(NoacError, match="score of ASSY for QC in 2021-01 was changed by sup-assy"):
        import_file(
            actor=QUALITY, session=session, kind="scores", path=_every_score(tmp_path / "b.csv", 9)
        )
    session.rollback()
    assert snapshot(engine) == meanwhile["state"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_form_sent_while_a_file_of_scores_is_stored_waits_for_it_on_sqlite(
    tmp_path, engine, session, plant, monkeypatch
):
    """SQLite has one writer at a time, taken before the file is checked: a form sent
    meanwhile waits for the file and replaces its value afterwards, kept in the history."""
    import_file(
        actor=SYSTEM, session=session, kind="scores", path=_every_score(tmp_path / "a.csv", 8)
    )
    read = scoring._stored_scores
    meanwhile: list[threading.Thread] = []

    def submit():
        with Session(engine) as other:
            form(other, plant, "2021-01", "ASSY", "QC", 7)

    def a_form_sent_after_reading(*arguments):
        stored = read(*arguments)
        if not meanwhile:
            meanwhile.append(threading.Thread(target=submit))
            meanwhile[0].start()
            meanwhile[0].join(1.0)  # it waits for the file's write lock
            assert meanwhile[0].is_alive()
        return stored

    monkeypatch.setattr(scoring, "_stored_scores", a_form_sent_after_reading)
    summary = import_file(
        actor=QUALITY, session=session, kind="scores", path=_every_score(tmp_path / "b.csv", 9)
    )
    meanwhile[0].join()
    assert (summary.created, summary.updated) == (0, 1040)
    ids = {code: unit.id for code, unit in units_by_code(session=session, plant=plant).items()}
    values = session.exec(
        select(Score.month, Score.rater_unit_id, Score.ratee_unit_id, Score.value, Score.version)
    ).all()
    assessed = (ids["ASSY"], ids["QC"])
    assert Counter((v, n) for m, r, e, v, n in values if (m, r, e) != ("2021-01", *assessed)) == {
        (9, 2): 1036
    }
    assert (
        sorted((v, n) for m, r, e, v, n in values if (m, r, e) == ("2021-01", *assessed))
        == [(7, 3)] * 4
    )


def test_scores_reimport_replaces_changed_values_and_keeps_history(tmp_path, session, plant):
    header = "month,rater,ratee,criterion,value,comment\n"
    first = write_csv(
        tmp_path / "first.csv",
        header + "\n".join(f"2026-03,SHEET,STORE,{c},8," for c in CRITERIA),
    )
    assert import_file(actor=SYSTEM, session=session, kind="scores", path=first).created == 4
    first_at = session.exec(select(Score.submitted_at)).first()
    second = write_csv(
        tmp_path / "second.csv",
        header
        + """
2026-03,SHEET,STORE,quality,7,
2026-03,SHEET,STORE,delivery,8,
2026-03,SHEET,STORE,service,5,late twice: 50% short
2026-03,SHEET,STORE,handover,8,
2026-03,ASSY,SHEET,quality,9,
""".strip(),
    )
    summary = import_file(actor=QUALITY, session=session, kind="scores", path=second)
    assert (summary.created, summary.updated, summary.unchanged) == (1, 2, 2)
    history = session.exec(select(ScoreHistory)).all()
    assert sorted((h.value, h.version, h.submitted_by) for h in history) == [
        (8, 1, "system"),
        (8, 1, "system"),
    ]
    assert all(h.submitted_at == first_at < h.replaced_at for h in history)
    replaced = session.exec(select(Score).where(Score.version == 2)).all()
    assert {(s.submitted_by, s.submitted_at) for s in replaced} == {
        ("quinn", history[0].replaced_at)
    }
    forms = {
        (f.rater, f.ratee): f
        for f in scoring.forms(session=session, plant=plant, months=["2026-03"])
    }
    store = forms[("SHEET", "STORE")]
    assert store.values == {"quality": 7, "delivery": 8, "service": 5, "handover": 8}
    assert store.versions == {"quality": 2, "delivery": 1, "service": 2, "handover": 1}
    assert store.comments == {"service": "late twice: 50% short"}
    assert forms[("ASSY", "SHEET")].values == {"quality": 9}


def test_scores_import_refuses_a_score_changed_after_it_was_read(
    tmp_path, engine, session, plant, monkeypatch, server_zone
):
    """The refusal names who changed the score and when, on the server's clock (Shanghai,
    UTC+8: 09:30 UTC is 17:30)."""
    server_zone("Asia/Shanghai")
    header = "month,rater,ratee,criterion,value,comment\n"
    for name, value in (("first.csv", 8), ("second.csv", 9)):
        write_csv(
            tmp_path / name,
            header + "\n".join(f"2026-03,SHEET,STORE,{c},{value}," for c in CRITERIA),
        )
    import_file(actor=SYSTEM, session=session, kind="scores", path=tmp_path / "first.csv")
    before = snapshot(engine)
    read = scoring._stored_scores

    def read_then_another_writer(session, *args):
        stored = read(session, *args)
        session.execute(  # another writer replaces the quality score just after the read
            update(Score)
            .where(col(Score.criterion) == "quality")
            .values(
                version=col(Score.version) + 1,
                submitted_by="sup-sheet",
                submitted_at=datetime(2026, 3, 20, 9, 30, tzinfo=UTC),
            )
        )
        return stored

    monkeypatch.setattr(scoring, "_stored_scores", read_then_another_writer)
    with pytest.raises(NoacError) as excinfo:
        import_file(actor=QUALITY, session=session, kind="scores", path=tmp_path / "second.csv")
    assert str(excinfo.value) == (
        "the Quality (quality) score of SHEET for STORE in 2026-03 was changed by sup-sheet at"
        " 2026-03-20 17:30: reload the form and submit again"
    )
    assert snapshot(engine) == before


@pytest.mark.parametrize("months", [1, 60])  # one month's forms, or a file of 1,200 rows
def test_scores_import_refuses_a_score_inserted_after_it_was_read(
    tmp_path, engine, session, plant, monkeypatch, months
):
    pairs = (
        ("SHEET", "STORE"),
        ("ASSY", "STORE"),
        ("QC", "SHEET"),
        ("ASSY", "SHEET"),
        ("ASSY", "QC"),
    )
    file_months = ["2021-04"]  # .. 2026-03
    while len(file_months) < 60:
        file_months.append(next_month(file_months[-1]))
    file_months = file_months[-months:]
    lines = [
        f"{m},{rater},{ratee},{c},8,"
        for m in file_months
        for rater, ratee in pairs
        for c in CRITERIA
    ]
    path = write_csv(
        tmp_path / "scores.csv", "month,rater,ratee,criterion,value,comment\n" + "\n".join(lines)
    )
    before = snapshot(engine)
    units = units_by_code(session=session, plant=plant)
    read = scoring._stored_scores

    def read_then_another_writer(session, *args):
        stored = read(session, *args)
        session.execute(  # another writer stores the same first score just after the read
            insert(Score).values(
                plant_id=plant.id,
                month="2026-03",
                rater_unit_id=units["SHEET"].id,
                ratee_unit_id=units["STORE"].id,
                criterion="quality",
                value=3,
                comment="late",
                submitted_by="sup-sheet",
                submitted_at=datetime(2026, 3, 20, 9, 30, tzinfo=UTC),
            )
        )
        return stored

    monkeypatch.setattr(scoring, "_stored_scores", read_then_another_writer)
    with pytest.raises(NoacError) as excinfo:
        import_file(actor=QUALITY, session=session, kind="scores", path=path)
    assert str(excinfo.value) == (
        "another submission of the same scores arrived at the same moment:"
        " reload the form and submit again"
    )
    assert snapshot(engine) == before
    monkeypatch.undo()
    summary = import_file(actor=QUALITY, session=session, kind="scores", path=path)
    assert (summary.rows, summary.created) == (20 * months, 20 * months)
    stored = scoring.forms(session=session, plant=plant, months=file_months)
    assert len(stored) == 5 * months
    assert all(f.values == dict.fromkeys(CRITERIA, 8) for f in stored)


def test_scores_files_with_bom_any_column_order_or_xlsx(tmp_path, session, plant):
    (tmp_path / "scores.csv").write_bytes(
        "\ufeffVALUE,Criterion,RATEE,rater,Month\r\n".encode()
        + "".join(f"8,{c},STORE,SHEET,2026-03\r\n" for c in CRITERIA).encode()
    )
    summary = import_file(
        actor=SYSTEM, session=session, kind="scores", path=tmp_path / "scores.csv"
    )
    assert summary.created == 4
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["month", "rater", "ratee", "criterion", "value", "comment"])
    sheet.append(["2026-03", "ASSY", "SHEET", "quality", 4, "  dents  "])
    sheet.append(["2026-03", "ASSY", "SHEET", "delivery", 9, None])
    workbook.save(tmp_path / "scores.xlsx")
    summary = import_file(
        actor=SYSTEM, session=session, kind="scores", path=tmp_path / "scores.xlsx"
    )
    assert summary.created == 2
    forms = {
        (f.rater, f.ratee): f
        for f in scoring.forms(session=session, plant=plant, months=["2026-03"])
    }
    assert forms[("SHEET", "STORE")].values == dict.fromkeys(CRITERIA, 8)
    assert forms[("ASSY", "SHEET")].values == {"quality": 4, "delivery": 9}
    assert forms[("ASSY", "SHEET")].comments == {"quality": "dents"}


def test_a_closed_month_keeps_the_unit_names_its_close_read(session, plant, tmp_path):
    form(session, plant, "2026-03", "ASSY", "SHEET", 9)
    coefficients.close_month(session=session, plant=plant, month="2026-03", actor=QUALITY)
    renamed = UNITS.replace("SHEET,Sheet metal,", "SHEET,Sheet metal and welding,")
    import_file(
        actor=SYSTEM, session=session, kind="units", path=write_csv(tmp_path / "u.csv", renamed)
    )
    stored = coefficients.month_results(session=session, plant=plant, month="2026-03")
    assert {r.unit: r.unit_name for r in stored.results}["SHEET"] == "Sheet metal"
    assert "SHEET,Sheet metal,90.0," in coefficients_file(stored, "csv").decode("utf-8-sig")
    preview = coefficients.compute_month(session=session, plant=plant, month="2026-04")
    assert {r.unit: r.unit_name for r in preview.results}["SHEET"] == "Sheet metal and welding"


def test_export_columns_and_formats(session, plant):
    form(session, plant, "2026-03", "ASSY", "SHEET", 9)
    coefficients.close_month(session=session, plant=plant, month="2026-03", actor=QUALITY)
    stored = coefficients.month_results(session=session, plant=plant, month="2026-03")
    csv_text = coefficients_file(stored, "csv").decode("utf-8-sig")
    assert csv_text.splitlines()[0] == (
        "unit,unit_name,satisfaction,raters,target,satisfaction_term,defect_points,"
        "overdue_points,escape_points,penalty_points,coefficient,flags"
    )
    assert "SHEET,Sheet metal,90.0,1,88.0,0.02,0.0,0.0,0.0,0.0,1.02," in csv_text
    data = json.loads(coefficients_file(stored, "json"))
    assert data["month"] == "2026-03" and len(data["coefficients"]) == 5
    assert coefficients_file(stored, "xlsx")[:2] == b"PK"


def test_a_satisfaction_term_that_rounds_to_nothing_is_exported_without_a_sign(
    tmp_path, session, plant
):
    handovers = write_csv(
        tmp_path / "h.csv",
        "month,from,to,quantity\n2026-03,STORE,SHEET,49999\n2026-03,STORE,ASSY,50001",
    )
    import_file(actor=SYSTEM, session=session, kind="handovers", path=handovers)
    form(session, plant, "2026-03", "SHEET", "STORE", 9)
    form(session, plant, "2026-03", "ASSY", "STORE", 8)
    coefficients.close_month(session=session, plant=plant, month="2026-03", actor=QUALITY)
    stored = coefficients.month_results(session=session, plant=plant, month="2026-03")
    # S = (49999 * 90 + 50001 * 80) / 100000 = 84.9999; the term -0.000001 is 0.0 to 4
    # decimals, as the month close page shows it, not -0.0
    csv_text = coefficients_file(stored, "csv").decode("utf-8-sig")
    assert "STORE,Store,84.9999,2,85.0,0.0,0.0,0.0,0.0,0.0,1.0,\r\n" in csv_text
    store = {r["unit"]: r for r in json.loads(coefficients_file(stored, "json"))["coefficients"]}
    assert math.copysign(1, store["STORE"]["satisfaction_term"]) == 1

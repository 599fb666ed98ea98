"""The executive dashboard's figures (noac.services.dashboard) against hand-computed values,
and on the demo against the coefficient, problem and export services.

The plant: STORE -> SHEET -> QC -> ASSY (P1), STORE -> SHEET -> ASSY (P2), STORE -> ASSY (P3).
Supply weights: STORE->SHEET 2, STORE->ASSY 1, SHEET->QC 1, SHEET->ASSY 1, QC->ASSY 1.
Default scheme: weights .40/.25/.20/.15, scale 0..10, target 85 (SHEET 88, ASSY 70).

Forms of 2026-03: SHEET->STORE 8/10/6/5 (F 76.5), ASSY->STORE all 10 (F 100), ASSY->SHEET all 9
(F 90), ASSY->QC all 5 (F 50); QC owes SHEET a form and sends none.

Problems (imported): A 2026-03-05 major, STORE 0.5 + SHEET 0.5, deadline 03-20, open, cost 1000;
B 2026-03-06 critical, SHEET, deadline 04-30, open; C 2026-02-10 minor, STORE, deadline 03-01,
closed 03-02, cost 200; D 2026-01-10 minor, SHEET, deadline 03-31, closed 04-01. A and B were
found at ASSY on P1, so QC let them through (escape).
"""

import csv
import io
from datetime import date

import pytest
from sqlmodel import Session

from noac.db import create_db_engine
from noac.exports import csv_file
from noac.importers import import_file
from noac.services import coefficients, dashboard, problems, scoring
from noac.services.periods import closed_months, working_month
from noac.services.plants import resolve_plant
from noac.services.problems import list_problems
from tests.conftest import QUALITY, SYSTEM, supervisor, write_csv

UNITS = """
code,name,kind,categories,target
STORE,Store,store,storage,
SHEET,Sheet metal,workshop,cutting;bending,88
QC,Inspection,inspection,inspection,
ASSY,Assembly,workshop,assembly,70
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
DEFECTS = """
id,date,found_at,part,op,code,severity,qty,responsible,deadline,closed_on,cost
A,2026-03-05,ASSY,P1,40,PIT,major,1,STORE:0.5;SHEET:0.5,2026-03-20,,1000
B,2026-03-06,ASSY,P1,40,PIT,critical,1,SHEET,2026-04-30,,
C,2026-02-10,ASSY,P2,30,PIT,minor,1,STORE,2026-03-01,2026-03-02,200
D,2026-01-10,ASSY,P2,30,PIT,minor,1,SHEET,2026-03-31,2026-04-01,
"""
MONTH = "2026-03"
TODAY = date(2026, 5, 10)


def form(session, plant, rater, ratee, value, **values):
    scores = dict.fromkeys(("quality", "delivery", "service", "handover"), value) | values
    scoring.submit_form(
        session=session,
        plant=plant,
        month=MONTH,
        rater=rater,
        ratee=ratee,
        values=scores,
        comments={c: "why" for c, v in scores.items() if v < 6},
        actor=supervisor(plant, rater),
    )


@pytest.fixture
def plant(tmp_path, session):
    for kind, text in (
        ("units", UNITS),
        ("routings", ROUTINGS),
        ("defect-codes", CODES),
        ("defects", DEFECTS),
    ):
        path = write_csv(tmp_path / f"{kind}.csv", text)
        import_file(actor=SYSTEM, session=session, kind=kind, path=path)
    plant = resolve_plant(session=session, code=None)
    form(session, plant, "SHEET", "STORE", 8, delivery=10, service=6, handover=5)
    form(session, plant, "ASSY", "STORE", 10)
    form(session, plant, "ASSY", "SHEET", 9)
    form(session, plant, "ASSY", "QC", 5)
    return plant


def test_hand_computed_month(session, plant):
    board = dashboard.executive_dashboard(session=session, plant=plant, month=MONTH, today=TODAY)
    assert not board.closed and board.has_data and board.forms == 4
    # the page opens on the overview alone: the same status, tiles and ranking
    opening = dashboard.overview(session=session, plant=plant, month=MONTH, today=TODAY)
    assert vars(opening) == {name: vars(board)[name] for name in vars(opening)}
    tiles = {tile.name: tile for tile in board.tiles}
    # plant satisfaction: STORE S 253/3 (volume 3), SHEET 90 (1), QC 50 (1) -> 393 / 5
    assert tiles["satisfaction"].value == pytest.approx(78.6)
    assert tiles["satisfaction"].previous is None and tiles["satisfaction"].delta is None
    # under target: STORE 84.33 < 85 and QC 50 < 85; SHEET 90 >= 88; ASSY has no forms
    assert (tiles["under_target"].value, tiles["under_target"].previous) == (2, None)
    # found in March: A, B (February: C); closed in March: C; overdue at March's end: A, D
    assert (tiles["opened"].value, tiles["opened"].previous, tiles["opened"].delta) == (2, 1, 1)
    assert (tiles["closed"].value, tiles["closed"].previous) == (1, 0)
    assert (tiles["overdue"].value, tiles["overdue"].previous) == (2, 0)
    # K: ASSY 1.0; STORE 1 - 0.0067 - 2.5/100 = 0.9683; SHEET 1 + 0.02 - 12.5/100 = 0.895;
    # QC 1 - 0.35 - 2/100 = 0.63, clamped to 0.70. February: STORE 0.99 (C), others 1.0.
    assert tiles["spread"].value == pytest.approx(0.3)
    assert tiles["spread"].delta == pytest.approx(0.29)
    assert [(u.unit, u.coefficient, u.band) for u in board.ranking] == [
        ("ASSY", 1.0, "green"),
        ("STORE", 0.9683, "amber"),
        ("SHEET", 0.895, "red"),
        ("QC", 0.7, "red"),
    ]
    qc = board.ranking[-1]
    assert (qc.volume, qc.clamp, qc.satisfaction_term) == (1.0, 0.07, pytest.approx(-0.35))

    edges = {(e.supplier, e.customer): (e.volume, e.form) for e in board.supply_map.edges}
    assert edges == {
        ("STORE", "SHEET"): (2.0, 76.5),
        ("STORE", "ASSY"): (1.0, 100.0),
        ("SHEET", "QC"): (1.0, None),
        ("SHEET", "ASSY"): (1.0, 90.0),
        ("QC", "ASSY"): (1.0, 50.0),
    }
    nodes = {n.unit: (n.layer, n.coefficient) for n in board.supply_map.nodes}
    assert nodes == {"STORE": (0, 0.9683), "SHEET": (1, 0.895), "QC": (2, 0.7), "ASSY": (3, 1.0)}

    matrix = board.matrix
    assert (matrix.suppliers, matrix.customers) == (
        ["STORE", "SHEET", "QC"],
        ["SHEET", "QC", "ASSY"],
    )
    cells = {(c.supplier, c.customer): (c.status, c.form) for c in matrix.cells}
    assert cells[("SHEET", "QC")] == ("missing", None)
    assert cells[("STORE", "SHEET")] == ("scored", 76.5)
    assert matrix.missing == 1


def test_problems_paretos_actions_and_trends(session, plant):
    board = dashboard.executive_dashboard(session=session, plant=plant, month=MONTH, today=TODAY)
    paretos = board.paretos
    assert (paretos.problems, paretos.has_cost) == (4, True)
    # shares: STORE 0.5 (A) + 1 (C); SHEET 0.5 (A) + 1 (B) + 1 (D); cost split the same way
    assert paretos.by_responsible.ranked("count") == [("SHEET", 2.5, 62.5), ("STORE", 1.5, 100.0)]
    assert paretos.by_responsible.ranked("cost") == [
        ("STORE", 700.0, pytest.approx(58.3333)),
        ("SHEET", 500.0, 100.0),
    ]
    assert paretos.by_defect_code.ranked("count") == [("PIT", 4, 100.0)]
    assert paretos.by_escape.ranked("count") == [("QC", 2, 100.0)]
    assert paretos.by_escape.ranked("cost") == [("QC", 1000.0, 100.0)]
    assert board.month_paretos.problems == 2

    actions = board.actions
    assert (actions.cutoff, actions.preview) == (date(2026, 3, 31), True)
    # open on 03-31: A (26 days, overdue), B (25 days, deadline ahead), D (80 days, overdue)
    assert sorted((a.ref, a.age_days, a.state) for a in actions.open) == [
        ("A", 26, "overdue"),
        ("B", 25, "due"),
        ("D", 80, "overdue"),
    ]
    assert dict(actions.ageing())["0-30"] == {"overdue": 1, "due": 1, "no-deadline": 0}
    assert dict(actions.ageing())["61-90"] == {"overdue": 1, "due": 0, "no-deadline": 0}
    assert [(r.ref, r.unit, r.share, r.days_overdue, r.points) for r in actions.exposure] == [
        ("A", "SHEET", 0.5, 11, 1.0),
        ("A", "STORE", 0.5, 11, 1.0),
        ("D", "SHEET", 1.0, 0, 2.0),
    ]

    # January has D's penalty, February C's, March everything: three months with data
    store = board.trends.of("STORE")
    assert [p.month for p in store] == ["2026-01", "2026-02", "2026-03"]
    assert [p.actions_closed for p in store] == [[], [], ["C"]]
    assert store[-1].satisfaction == pytest.approx(253 / 3)

    detail = dashboard.unit_detail(session=session, plant=plant, month=MONTH, unit="STORE")
    assert [(s.customer, s.volume, s.form) for s in detail.scores] == [
        ("ASSY", 1.0, 100.0),
        ("SHEET", 2.0, 76.5),
    ]
    assert [p.ref for p in detail.problems] == ["A", "C"]
    # QC let A and B through: on its page by its escapes
    inspection = dashboard.unit_detail(session=session, plant=plant, month=MONTH, unit="QC")
    assert [p.ref for p in inspection.problems] == ["B", "A"]
    assert [h.coefficient for h in detail.history] == [1.0, 0.99, 0.9683]
    assert detail.current.penalty_points == 2.5


def test_while_the_month_runs_an_open_problem_is_overdue_once_its_deadline_has_passed(
    session, plant
):
    def states(today):
        actions = dashboard.actions(session=session, plant=plant, month=MONTH, today=today)
        return sorted((a.ref, a.state) for a in actions.open), [r.ref for r in actions.exposure]

    # the exposure list previews the month's end (A and D penalised); the open actions' state
    # is as of the day looked at: A's deadline 03-20, D's 03-31
    assert states(date(2026, 3, 20)) == (
        [("A", "due"), ("B", "due"), ("D", "due")],
        ["A", "A", "D"],
    )
    assert states(date(2026, 3, 21)) == (
        [("A", "overdue"), ("B", "due"), ("D", "due")],
        ["A", "A", "D"],
    )


EDGES = """
id,date,found_at,part,op,code,severity,qty,responsible,deadline,closed_on
E,2026-03-31,ASSY,P1,40,PIT,minor,1,STORE,2026-04-15,
F,2026-04-01,ASSY,P1,40,PIT,minor,1,STORE,2026-04-15,
G,2026-03-10,ASSY,P1,40,PIT,minor,1,STORE,2026-04-15,2026-03-31
H,2026-01-20,ASSY,P2,30,PIT,minor,1,STORE,2026-02-15,2026-02-01
I,2026-01-05,ASSY,P2,30,PIT,minor,1,STORE,2026-02-15,2026-01-31
"""


def test_sections_read_the_problems_on_the_edges_of_their_days(tmp_path, session, plant):
    """Each section reads only the problems it may show, in SQL: those found or closed on
    the first or last day it covers are in, those a day outside are out."""
    path = write_csv(tmp_path / "edges.csv", EDGES)
    import_file(actor=SYSTEM, session=session, kind="defects", path=path)
    actions = dashboard.actions(session=session, plant=plant, month=MONTH, today=TODAY)
    # open on 03-31: E found that day; not F (found after), nor G (closed that day)
    assert sorted((a.ref, a.age_days) for a in actions.open) == [
        ("A", 26),
        ("B", 25),
        ("D", 80),
        ("E", 0),
    ]
    # closed in February-March: H on 02-01, C on 03-02, G on 03-31; not I (01-31)
    trends = dashboard.trends(session=session, plant=plant, month=MONTH, count=2)
    assert [(p.month, p.actions_closed) for p in trends.of("STORE")] == [
        ("2026-02", ["H"]),
        ("2026-03", ["C", "G"]),
    ]
    # found in March: A, B, E, G; not F (04-01) nor C (02-10)
    month = dashboard.paretos(session=session, plant=plant, months=[MONTH])
    assert month.problems == 4


def close_to_month(session, plant):
    """Close MONTH, after the months before it from D's, the first problem's, in order."""
    for month in ("2026-01", "2026-02", MONTH):
        coefficients.close_month(
            session=session, plant=plant, month=month, actor=QUALITY, today=TODAY
        )


def test_exposure_of_a_closed_month_shows_a_problem_closed_since(session, plant, steps_on):
    """A closed month's exposure lists what the close stored, with each problem as it is now,
    even one whose closing date was put before the month's end (as a verification could be
    dated before such dates were refused)."""
    close_to_month(session, plant)
    steps_on(date(2026, 4, 1))  # the action reported done before the day verified
    store = supervisor(plant, "STORE")
    problems.plan_action(
        session=session,
        plant=plant,
        ref="A",
        owner="STORE",
        root_cause="plates stored uncovered",
        actions="covered racks",
        actor=store,
    )
    problems.request_verification(session=session, plant=plant, ref="A", actor=store)
    problems.verify_problem(
        session=session,
        plant=plant,
        ref="A",
        effective=True,
        note="lots clean since",
        actor=QUALITY,
        on=date(2026, 4, 2),
    )
    exposed = [
        ("A", "SHEET", "2026-03-05", "closed"),
        ("A", "STORE", "2026-03-05", "closed"),
        ("D", "SHEET", "2026-01-10", "closed"),
    ]
    actions = dashboard.actions(session=session, plant=plant, month=MONTH, today=TODAY)
    assert sorted(a.ref for a in actions.open) == ["A", "B", "D"]
    assert [(r.ref, r.unit, r.found_on, r.status) for r in actions.exposure] == exposed
    problem = problems.get_problem(session=session, plant=plant, ref="A")
    problem.closed_on = date(2026, 3, 25)
    session.add(problem)
    session.commit()
    actions = dashboard.actions(session=session, plant=plant, month=MONTH, today=TODAY)
    assert sorted(a.ref for a in actions.open) == ["B", "D"]
    assert [(r.ref, r.unit, r.found_on, r.status) for r in actions.exposure] == exposed


def test_closed_month_reads_the_stored_results_and_the_stamp_moves(session, plant):
    stamp = dashboard.data_stamp(session=session)
    close_to_month(session, plant)
    assert dashboard.data_stamp(session=session) != stamp
    board = dashboard.executive_dashboard(session=session, plant=plant, month=MONTH, today=TODAY)
    assert board.closed and board.run == 1
    export = coefficients.export_records(
        coefficients.month_results(session=session, plant=plant, month=MONTH)
    )
    assert {u.unit: u.coefficient for u in board.ranking} == {
        r["unit"]: r["coefficient"] for r in export
    }
    assert [tile.value for tile in board.tiles][:2] == [pytest.approx(78.6), 2]
    # an empty month, long before: explained, never an error
    empty = dashboard.executive_dashboard(session=session, plant=plant, month="2024-06")
    assert not empty.has_data and empty.trends.points == [] and empty.paretos.problems == 0
    assert [tile.value for tile in empty.tiles] == [None, None, 0, 0, 0, None]


def test_demo_tiles_and_ranking_equal_the_services_and_the_export(demo_url):
    engine = create_db_engine(demo_url)
    try:
        with Session(engine) as session:
            plant = resolve_plant(session=session, code="AERO")
            today = date.today()
            open_month = working_month(session=session, plant=plant, today=today)
            closed_month = max(closed_months(session=session, plant=plant))
            for month, closed in ((open_month, False), (closed_month, True)):
                board = dashboard.executive_dashboard(
                    session=session, plant=plant, month=month, today=today
                )
                assert board.closed is closed
                computation = (
                    coefficients.month_results(session=session, plant=plant, month=month)
                    if closed
                    else coefficients.compute_month(session=session, plant=plant, month=month)
                )
                export = {r["unit"]: r for r in coefficients.export_records(computation)}
                for unit in board.ranking:
                    assert unit.coefficient == export[unit.unit]["coefficient"]
                    if unit.satisfaction is not None:
                        assert round(unit.satisfaction, 4) == export[unit.unit]["satisfaction"]
                tiles = {tile.name: tile.value for tile in board.tiles}
                rated = [r for r in computation.results if r.satisfaction is not None]
                weight = {
                    r.unit: sum(x["weight"] for x in r.decomposition["raters"]) for r in rated
                }
                assert tiles["satisfaction"] == pytest.approx(
                    sum(weight[r.unit] * r.satisfaction for r in rated) / sum(weight.values())
                )
                assert tiles["under_target"] == sum(r.satisfaction < r.target for r in rated)
                assert tiles["opened"] == len(
                    list_problems(session=session, plant=plant, month=month)
                )
                overdue = {
                    d["problem"] for r in computation.results for d in r.decomposition["overdue"]
                }
                assert tiles["overdue"] == len(overdue)
                ks = [r.coefficient for r in computation.results]
                assert tiles["spread"] == pytest.approx(max(ks) - min(ks))
                assert len(board.trends.months) == 12 and board.trends.points
    finally:
        engine.dispose()


def test_the_ranking_csv_shows_the_figures_of_the_coefficient_export():
    """S = (5 · 76.5 + 11 · 80) / 16 = 78.90625 (handed-over quantities 5 and 11): both files
    round it half away from zero, as by hand (Python's round gives 78.9062)."""
    figures = ("SHEET", "钣金分厂", 78.90625, 2, 85.0, -0.0609375, 0, 0, 0.15625, 0.15625, 0.9375)
    result = coefficients.UnitResult(*figures)
    computation = coefficients.MonthComputation("MAIN", MONTH, "", [result], {}, {})
    (exported,) = coefficients.export_records(computation)
    (ranked,) = dashboard.ranking_rows([dashboard._unit_month(MONTH, True, result)])
    assert (ranked["satisfaction"], ranked["penalty_points"]) == (78.9063, 0.1563)
    assert {k: ranked[k] for k in ("satisfaction", "penalty_points", "coefficient")} == {
        k: exported[k] for k in ("satisfaction", "penalty_points", "coefficient")
    }


def test_a_dashboard_csv_keeps_text_a_spreadsheet_would_run_as_text_and_numbers_as_numbers():
    """A unit named "=HYPERLINK(...)" (or any text starting with =, +, -, @, a tab or a CR) is
    written with a leading apostrophe, as in the coefficient export, and a CR inside a cell
    does not start a row of its own; -0.5 stays a number."""
    name = '=HYPERLINK("http://evil.example","open")'
    unit = dashboard.UnitMonth(
        MONTH, "SHEET", name, 78.9, 85.0, 0.9391, 16.0, 2, 0, 0, 0, 0, 0, 0, True
    )
    ranked = dashboard.ranking_rows([unit])
    texts = ["+1", "-1", "@SUM(A1)", "\tcmd", "\rcmd", "WELD\r=cmd"]
    other = [{"text": text, "clamp": -0.5} for text in texts]
    lines = csv_file(ranked).decode("utf-8-sig").splitlines()
    assert lines[1].startswith('1,SHEET,"\'=HYPERLINK(""http://evil.example"",""open"")",0.9391')
    rows = list(csv.DictReader(io.StringIO(csv_file(other).decode("utf-8-sig"), newline="")))
    assert [r["text"] for r in rows] == [
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "'\tcmd",
        "'\rcmd",
        "WELD\r=cmd",
    ]
    assert {r["clamp"] for r in rows} == {"-0.5"}


def test_the_trends_and_unit_csvs_show_figures_rounded_as_the_coefficient_export(session, plant):
    """STORE's S = 253/3 and its satisfaction term (84.3333 - 85) / 100: the CSVs write 84.3333
    and -0.0067, not 84.33333333333333 and -0.006666666666666714."""
    board = dashboard.executive_dashboard(session=session, plant=plant, month=MONTH, today=TODAY)
    (march,) = [r for r in dashboard.trend_rows(board.trends, ["STORE"]) if r["month"] == MONTH]
    assert (march["satisfaction"], march["coefficient"], march["closed"]) == (
        84.3333,
        0.9683,
        False,
    )
    detail = dashboard.unit_detail(session=session, plant=plant, month=MONTH, unit="STORE")
    decomposition = dashboard.decomposition_rows(detail)[-1]
    assert decomposition == {
        "month": MONTH,
        "closed": False,
        "satisfaction": 84.3333,
        "satisfaction_term": -0.0067,
        "defect_points": 1.5,
        "overdue_points": 1.0,
        "escape_points": 0.0,
        "clamp": 0.0,
        "coefficient": 0.9683,
    }
    exported = coefficients.export_records(
        coefficients.compute_month(session=session, plant=plant, month=MONTH)
    )
    store = next(r for r in exported if r["unit"] == "STORE")
    shared = [k for k in decomposition if k not in ("month", "closed", "clamp")]
    assert {k: store[k] for k in shared} == {k: decomposition[k] for k in shared}
    assert dashboard.unit_score_rows(detail)[1]["form"] == 76.5
    every = (
        dashboard.matrix_rows(board.matrix),
        dashboard.map_rows(board.supply_map),
        dashboard.pareto_rows(board.paretos),
        dashboard.open_action_rows(board.actions),
        dashboard.exposure_rows(board.actions),
        dashboard.unit_problem_rows(detail),
    )
    assert all(rows and csv_file(rows) for rows in every)
    assert {r["problem"]: r["responsible"] for r in dashboard.unit_problem_rows(detail)} == {
        "A": "SHEET:0.5;STORE:0.5",
        "C": "STORE:1",
    }

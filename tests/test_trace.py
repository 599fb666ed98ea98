"""The tracing rule on hand-made routings, with hand-worked expectations."""

import pytest

from routing import Operation, operation_graph, sequence_operations
from routing.trace import Escape, Tracer, trace_defect

BACKING_PLATE_OPERATIONS = (
    Operation("10", "STORE", "storage"),
    Operation("20", "SHEET", "cutting", ("10",)),
    Operation("30", "SHEET", "bending", ("20",)),
    Operation("40", "QC-SM", "inspection", ("30",), inspection=True),
    Operation("50", "SURF", "plating", ("40",)),
    Operation("60", "ASSY", "assembly", ("50",)),
    Operation("70", "QC-FIN", "inspection", ("60",), inspection=True),
)
BACKING_PLATE = operation_graph(BACKING_PLATE_OPERATIONS)

ACTUATOR_OPERATIONS = (
    Operation("10", "STORE", "storage"),
    Operation("20", "MACH", "turning", ("10",)),
    Operation("30", "QC-MA", "inspection", ("20",), inspection=True),
    Operation("40", "STORE", "storage"),
    Operation("50", "WELD", "welding", ("40",)),
    Operation("60", "HEAT", "heat-treatment", ("50",)),
    Operation("70", "QC-SM", "inspection", ("60",), inspection=True),
    Operation("80", "ASSY", "assembly", ("30", "70")),
    Operation("90", "QC-FIN", "inspection", ("80",), inspection=True),
)
ACTUATOR = operation_graph(ACTUATOR_OPERATIONS)

SHAFT_OPERATIONS = (
    Operation("10", "STORE", "storage"),
    Operation("20", "MACH", "turning", ("10",)),
    Operation("30", "QC-MA", "inspection", ("20", "35"), inspection=True),
    Operation("35", "MACH", "machining", ("30",)),
    Operation("40", "HEAT", "heat-treatment", ("30",)),
    Operation("50", "QC-FIN", "inspection", ("40",), inspection=True),
)
SHAFT = operation_graph(SHAFT_OPERATIONS)


def _rows(result):
    return [(c.unit, c.op, c.distance, c.path, c.escapes) for c in result.candidates]


def test_backing_plate_finds_both_upstream_units_and_the_inspection_between():
    result = trace_defect(BACKING_PLATE, ["60"], ["storage", "bending"])
    escape = (Escape("40", "QC-SM"),)
    assert _rows(result) == [
        ("SHEET", "30", 3, ("30", "40", "50", "60"), escape),
        ("STORE", "10", 5, ("10", "20", "30", "40", "50", "60"), escape),
    ]
    assert result.proposed.unit == "SHEET"
    assert result.explain() == (
        "proposed: SHEET (op 30, bending), path 30 -> 40 -> 50 -> 60, escapes: QC-SM (op 40)"
    )


def test_assembly_defect_comes_from_its_own_component_branch():
    result = trace_defect(ACTUATOR, ["90"], ["welding"])
    # the machined branch's inspection QC-MA is not on the path from WELD
    assert _rows(result) == [
        ("WELD", "50", 4, ("50", "60", "70", "80", "90"), (Escape("70", "QC-SM"),))
    ]


def test_rework_loop_ranks_both_machining_operations_and_keeps_one_escape():
    result = trace_defect(SHAFT, ["50"], ["turning", "machining"])
    qc = (Escape("30", "QC-MA"),)
    assert _rows(result) == [
        ("MACH", "20", 3, ("20", "30", "40", "50"), qc),
        ("MACH", "35", 3, ("35", "30", "40", "50"), qc),
    ]


def test_handling_damage_blames_the_senders_of_the_handover():
    result = trace_defect(ACTUATOR, ["80"], ["handling"])
    assert _rows(result) == [
        ("QC-MA", "30", 1, ("30", "80"), ()),
        ("QC-SM", "70", 1, ("70", "80"), ()),
    ]


def test_handling_ignores_a_predecessor_at_the_same_unit():
    result = trace_defect(BACKING_PLATE, ["30"], ["handling"])
    assert result.undetermined


def test_unknown_code_means_the_nearest_upstream_work_at_another_unit():
    # ASSY's direct predecessors are inspections; the nearest work is two steps up
    result = trace_defect(ACTUATOR, ["80"], [])
    assert result.rule == "nearest-upstream"
    assert _rows(result) == [
        ("HEAT", "60", 2, ("60", "70", "80"), (Escape("70", "QC-SM"),)),
        ("MACH", "20", 2, ("20", "30", "80"), (Escape("30", "QC-MA"),)),
    ]


def test_no_candidate_is_undetermined():
    result = trace_defect(BACKING_PLATE, ["70"], ["painting"])
    assert result.undetermined and result.proposed is None
    assert result.explain() == "undetermined — arbitration needed"


def test_without_an_operation_every_operation_at_the_unit_is_searched():
    # MACH works at 20 and 35; storage 10 is 1 step from 20 and 3 from 35
    result = trace_defect(SHAFT, ["20", "35"], ["storage"])
    assert _rows(result) == [("STORE", "10", 1, ("10", "20"), ())]


def test_escapes_of_a_ruled_unit_are_those_of_its_nearest_operation():
    tracer = Tracer()
    assert tracer.unit_escapes("bp", BACKING_PLATE, ["60"], "STORE") == (Escape("40", "QC-SM"),)
    assert tracer.unit_escapes("bp", BACKING_PLATE, ["60"], "SURF") == ()
    assert tracer.unit_escapes("bp", BACKING_PLATE, ["60"], "QC-FIN") == ()


def test_ancestry_is_remembered_per_routing_and_operation():
    tracer = Tracer()
    first = tracer.ancestry("bp-v1", BACKING_PLATE, "60")
    tracer.trace("bp-v1", BACKING_PLATE, ["60"], ["storage"])
    assert tracer.ancestry("bp-v1", BACKING_PLATE, "60") is first
    assert tracer.ancestry("bp-v2", BACKING_PLATE, "60") is not first


@pytest.mark.parametrize(
    ("operations", "G"),
    [
        (BACKING_PLATE_OPERATIONS, BACKING_PLATE),
        (ACTUATOR_OPERATIONS, ACTUATOR),
        (SHAFT_OPERATIONS, SHAFT),
    ],
)
def test_a_routings_operations_trace_like_its_graph(operations, G):
    origins = [[], ["handling"], ["storage", "bending"], ["turning", "machining", "welding"]]
    ops = [o.op for o in operations]
    found_sets = [[op] for op in ops] + [ops[-3:], ["20", "35"] if "35" in ops else ops[:2]]
    for found in found_sets:
        for codes in origins:
            assert Tracer().trace("ops", operations, found, codes) == trace_defect(G, found, codes)
        for unit in {o.unit for o in operations}:
            assert Tracer().unit_escapes("ops", operations, found, unit) == Tracer().unit_escapes(
                "graph", G, found, unit
            )


def test_each_trace_is_remembered_per_routing_found_operations_and_origins():
    tracer = Tracer()
    first = tracer.trace("bp-v1", BACKING_PLATE_OPERATIONS, ["60"], ["storage", "bending"])
    assert tracer.trace("bp-v1", BACKING_PLATE_OPERATIONS, ("60",), {"bending", "storage"}) is first
    assert tracer.trace("bp-v1", BACKING_PLATE_OPERATIONS, ["60"], ["storage"]) is not first
    assert tracer.trace("bp-v2", BACKING_PLATE_OPERATIONS, ["60"], ["storage", "bending"]) == first


def _order(*steps):
    """An order's path as a routing of its own, and its visits."""
    return sequence_operations(steps), [o.op for o in steps]


TURN = Operation("turn", "TM", "turning")
GRIND = Operation("grind", "GRIND", "grinding")
LASER = Operation("laser", "LASER", "laser-marking")
PACK = Operation("pack", "PACK", "packing")
QC = Operation("qc", "QC", "inspection", inspection=True)
TM_QC = Operation("tm-qc", "QC", "inspection", inspection=True)
FINAL_QC = Operation("final", "QC", "inspection", inspection=True)

# An order of the Levy log: turned, passed T&M Q.C., laser-marked, packed, passed final Q.C.,
# rejected at T&M Q.C.
PACKED_ORDER = (TURN, TURN, TM_QC, LASER, PACK, FINAL_QC, TM_QC)


def test_on_an_orders_path_the_work_done_last_is_proposed():
    operations, visits = _order(*PACKED_ORDER)
    # on the path graph turning is one step before T&M Q.C. (its first visit), packing two
    graph = trace_defect(operations, ["tm-qc"], [])
    assert [(c.unit, c.distance) for c in graph.candidates] == [("TM", 1)]
    result = Tracer().trace("order", operations, ["tm-qc"], [], visits=visits)
    assert _rows(result) == [
        ("PACK", "pack", 2, ("pack", "final", "tm-qc"), (Escape("final", "QC"),)),
    ]
    assert result.explain() == (
        "proposed: PACK (op pack, packing), path pack -> final -> tm-qc, escapes: QC (op final)"
    )


def test_on_an_orders_path_candidates_rank_by_their_last_visit_with_the_inspections_passed_since():
    operations, visits = _order(*PACKED_ORDER)
    result = Tracer().trace(
        "order", operations, ["tm-qc"], ["turning", "laser-marking", "packing"], visits=visits
    )
    final, tm_qc = Escape("final", "QC"), Escape("tm-qc", "QC")
    # T&M Q.C. passed the turned parts once before it rejected them: an escape for turning
    assert _rows(result) == [
        ("PACK", "pack", 2, ("pack", "final", "tm-qc"), (final,)),
        ("LASER", "laser", 3, ("laser", "pack", "final", "tm-qc"), (final,)),
        ("TM", "turn", 5, ("turn", "tm-qc", "laser", "pack", "final", "tm-qc"), (tm_qc, final)),
    ]


def test_on_an_orders_path_a_ruled_unit_gets_the_inspections_passed_since_its_last_visit():
    operations, visits = _order(*PACKED_ORDER)
    tm_qc, final = Escape("tm-qc", "QC"), Escape("final", "QC")
    # on the path graph the reject's own operation is never an escape
    assert Tracer().unit_escapes("graph", operations, ["tm-qc"], "TM") == (final,)
    tracer = Tracer()
    assert tracer.unit_escapes("order", operations, ["tm-qc"], "TM", visits=visits) == (
        tm_qc,
        final,
    )
    assert tracer.unit_escapes("order", operations, ["tm-qc"], "PACK", visits=visits) == (final,)
    assert tracer.unit_escapes("order", operations, ["tm-qc"], "GRIND", visits=visits) == ()


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        # turned, passed Q.C., ground, packed, rejected: grinding was the last work
        (
            (TURN, QC, GRIND, PACK, QC),
            [
                ("GRIND", "grind", 2, ("grind", "pack", "qc"), ()),
                ("TM", "turn", 4, ("turn", "qc", "grind", "pack", "qc"), (Escape("qc", "QC"),)),
            ],
        ),
        # the same operations the other way round: turning was the last work
        (
            (GRIND, QC, TURN, PACK, QC),
            [
                ("TM", "turn", 2, ("turn", "pack", "qc"), ()),
                ("GRIND", "grind", 4, ("grind", "qc", "turn", "pack", "qc"), (Escape("qc", "QC"),)),
            ],
        ),
    ],
)
def test_a_codes_origins_rank_by_the_order_in_which_the_order_visited_them(order, expected):
    operations, visits = _order(*order)
    result = Tracer().trace("order", operations, ["qc"], ["turning", "grinding"], visits=visits)
    assert _rows(result) == expected
    # on either path graph the operation right before the first Q.C. is one step away
    first = order[0].unit
    assert trace_defect(operations, ["qc"], ["turning", "grinding"]).proposed.unit == first


@pytest.mark.parametrize("origins", [[], ["turning", "grinding"]])
def test_an_operation_worked_early_and_again_just_before_the_reject_is_nearest(origins):
    # turned, ground, passed Q.C., turned again (two reports in a row: one visit), rejected
    operations, visits = _order(TURN, GRIND, QC, TURN, TURN, QC)
    # on the path graph both are one step before Q.C.
    graph = trace_defect(operations, ["qc"], origins)
    assert [(c.unit, c.distance) for c in graph.candidates] == [("GRIND", 1), ("TM", 1)]
    result = Tracer().trace("order", operations, ["qc"], origins, visits=visits)
    grind = ("GRIND", "grind", 3, ("grind", "qc", "turn", "qc"), (Escape("qc", "QC"),))
    assert _rows(result) == [("TM", "turn", 1, ("turn", "qc"), ())] + ([grind] if origins else [])


@pytest.mark.parametrize("origins", [[], ["turning"]])
def test_an_order_whose_log_begins_at_the_rejects_unit_stays_undetermined(origins):
    # the log begins with the order at Q.C.: T&M Q.C., final Q.C., rejected at T&M Q.C.
    operations, visits = _order(TM_QC, FINAL_QC, TM_QC)
    assert trace_defect(operations, ["tm-qc"], origins).undetermined
    assert Tracer().trace("order", operations, ["tm-qc"], origins, visits=visits).undetermined
    # rejected at the first report of the order in the log
    operations, visits = _order(TM_QC)
    assert Tracer().trace("first", operations, ["tm-qc"], origins, visits=visits).undetermined


def test_on_an_orders_path_several_found_operations_keep_their_nearest_candidate():
    # found at unit QC without an operation: each of its operations, at its last visit
    operations, visits = _order(*PACKED_ORDER)
    result = Tracer().trace("order", operations, ["tm-qc", "final"], ["packing"], visits=visits)
    assert _rows(result) == [("PACK", "pack", 1, ("pack", "final"), ())]


def test_without_visits_a_routing_traces_as_before():
    visits = [o.op for o in BACKING_PLATE_OPERATIONS]
    for found in ("40", "60", "70"):
        plain = Tracer().trace("bp", BACKING_PLATE_OPERATIONS, [found], [])
        assert plain == trace_defect(BACKING_PLATE, [found], [])
        # on a path without loops every distance differs: the visits change no ranking
        assert Tracer().trace("bp", BACKING_PLATE_OPERATIONS, [found], [], visits=visits) == plain

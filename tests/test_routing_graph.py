"""The pure graph layer: operation graphs, validation, the supply graph, layout."""

import networkx as nx
import pytest

from routing import (
    Operation,
    RoutingError,
    operation_graph,
    rework_loops,
    supply_graph,
    validate_routing,
)
from routing.layout import flow_layers

UNITS = {
    "STORE": ["storage"],
    "MACH": ["turning", "milling"],
    "WELD": ["welding"],
    "ASSY": ["assembly"],
    "QC": ["inspection"],
}

ASSEMBLY = [
    Operation("10", "STORE", "storage"),
    Operation("20", "MACH", "turning", ("10",)),
    Operation("30", "STORE", "storage"),
    Operation("40", "WELD", "welding", ("30",)),
    Operation("50", "ASSY", "assembly", ("20", "40")),
    Operation("60", "QC", "inspection", ("50",), inspection=True),
]

REWORK = [
    Operation("10", "STORE", "storage"),
    Operation("20", "MACH", "turning", ("10",)),
    Operation("30", "QC", "inspection", ("20", "35"), inspection=True),
    Operation("35", "MACH", "milling", ("30",)),
    Operation("40", "ASSY", "assembly", ("30",)),
]


def test_assembly_joins_component_branches():
    G = operation_graph(ASSEMBLY)
    assert sorted(G.predecessors("50")) == ["20", "40"]
    assert nx.ancestors(G, "60") == {"10", "20", "30", "40", "50"}
    assert G.nodes["60"]["inspection"] is True
    assert rework_loops(G) == []


def test_rework_loop_is_kept_as_a_cycle():
    G = operation_graph(REWORK)
    assert not nx.is_directed_acyclic_graph(G)
    assert rework_loops(G) == [["30", "35"]]
    assert nx.ancestors(G, "30") == {"10", "20", "35"}


def test_supply_graph_counts_transitions_between_units_over_parts():
    S = supply_graph({"A": operation_graph(ASSEMBLY), "R": operation_graph(REWORK)})
    # STORE feeds MACH in both parts, WELD in A only; MACH->QC twice in R (20->30, 35->30)
    assert S["STORE"]["MACH"] == {"weight": 2, "parts": ["A", "R"]}
    assert S["STORE"]["WELD"]["weight"] == 1
    assert S["MACH"]["QC"] == {"weight": 2, "parts": ["R"]}
    assert S["QC"]["MACH"]["weight"] == 1
    assert not S.has_edge("MACH", "MACH")


def test_layers_run_upstream_to_downstream_ignoring_the_lighter_loop_back():
    S = supply_graph({"R": operation_graph(REWORK)})
    # MACH->QC carries 2 transitions, the loop back QC->MACH only 1
    assert flow_layers(S) == {"STORE": 0, "MACH": 1, "QC": 2, "ASSY": 3}


def test_layers_break_a_loop_of_equal_weights_where_the_search_meets_it_again():
    G = nx.DiGraph([("A", "B"), ("B", "C"), ("C", "A"), ("Z", "A")])
    assert flow_layers(G) == {"A": 1, "B": 2, "C": 3, "Z": 0}


@pytest.mark.parametrize(
    ("operations", "column", "message"),
    [
        ([Operation("10", "NOPE", "storage")], "unit", "unknown unit 'NOPE'"),
        (
            [Operation("10", "STORE", "storage"), Operation("20", "MACH", "turning", ("15",))],
            "after",
            "unknown predecessor operation '15'",
        ),
        (
            [Operation("10", "STORE", "storage"), Operation("10", "MACH", "turning")],
            "op",
            "duplicate operation id '10'",
        ),
        (
            [
                Operation("10", "MACH", "turning", ("20",)),
                Operation("20", "QC", "inspection", ("10",)),
            ],
            "after",
            "the part has no starting operation (every operation has a predecessor)",
        ),
        (
            [
                Operation("10", "STORE", "storage"),
                Operation("20", "MACH", "turning", ("30",)),
                Operation("30", "QC", "inspection", ("20",)),
                Operation("40", "ASSY", "assembly", ("10", "30")),
            ],
            "after",
            "these operations are not reached from any starting operation: 20, 30"
            " (name in after the operation each loop is entered from)",
        ),
        (
            [Operation("10", "MACH", "welding")],
            "category",
            "unit 'MACH' does not perform category 'welding' (it performs: turning, milling)",
        ),
    ],
)
def test_validation_names_the_problem(operations, column, message):
    issues = validate_routing("P1", operations, UNITS)
    assert [(i.column, i.message) for i in issues] == [(column, message)]


def test_validation_reports_every_problem_with_its_position():
    operations = [Operation("10", "NOPE", "storage"), Operation("20", "MACH", "welding", ("9",))]
    issues = validate_routing("P1", operations, UNITS)
    assert [(i.index, i.column) for i in issues] == [(0, "unit"), (1, "category"), (1, "after")]


def test_operation_graph_refuses_an_unknown_predecessor():
    with pytest.raises(RoutingError, match="unknown predecessor operation '99'"):
        operation_graph([Operation("10", "MACH", "turning", ("99",))])

"""Pure graph code for process routings: no database, no user interface.

A part's routing is a directed graph of operations, each performed at a unit
with a process category. Edges point from an operation to the operations it
feeds. Routings may loop back (rework), so nothing here assumes a DAG.
"""

from routing.graph import (
    Operation,
    RoutingError,
    RoutingIssue,
    operation_graph,
    rework_loops,
    sequence_graph,
    sequence_operations,
    supply_graph,
    transition_graph,
    validate_routing,
)

__all__ = [
    "Operation",
    "RoutingError",
    "RoutingIssue",
    "operation_graph",
    "rework_loops",
    "sequence_graph",
    "sequence_operations",
    "supply_graph",
    "transition_graph",
    "validate_routing",
]

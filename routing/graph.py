"""Build and validate operation graphs, and derive the unit supply graph."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import networkx as nx

__all__ = [
    "Operation",
    "RoutingError",
    "RoutingIssue",
    "operation_graph",
    "rework_loops",
    "sequence_graph",
    "sequence_operations",
    "supply_graph",
    "validate_routing",
]


@dataclass(frozen=True)
class Operation:
    """One operation of a part's routing.

    ``after`` lists the operations that feed this one: none for a starting
    operation, several for an assembly, a later one for a rework loop.
    """

    op: str
    unit: str
    category: str
    after: tuple[str, ...] = ()
    inspection: bool = False


@dataclass(frozen=True)
class RoutingIssue:
    """A reason a routing cannot be accepted.

    ``index`` is the position of the offending operation in the sequence that
    was validated (``None`` when the issue concerns the part as a whole), so a
    caller reading a file can name the row.
    """

    part: str
    op: str | None
    column: str
    message: str
    index: int | None = None


class RoutingError(ValueError):
    """Raised when operations do not form a valid routing."""

    def __init__(self, issues: Sequence[RoutingIssue]):
        self.issues = list(issues)
        super().__init__("; ".join(f"{i.part} op {i.op}: {i.message}" for i in self.issues))


def validate_routing(
    part: str,
    operations: Sequence[Operation],
    unit_categories: Mapping[str, Sequence[str]],
) -> list[RoutingIssue]:
    """Return every reason the operations of ``part`` do not form a routing.

    Parameters
    ----------
    part : str
        The part code, used in the messages.
    operations : sequence of Operation
        The part's operations in input order.
    unit_categories : mapping
        Unit code to the process categories that unit performs.

    Returns
    -------
    list of RoutingIssue
        Empty when the routing is valid.

    Examples
    --------
    >>> ops = [Operation("10", "CUT", "cutting"), Operation("20", "SEW", "sewing", ("10", "99"))]
    >>> [i.message for i in validate_routing("P1", ops, {"CUT": ["cutting"], "SEW": ["sewing"]})]
    ["unknown predecessor operation '99'"]
    """
    issues: list[RoutingIssue] = []
    seen: set[str] = set()
    for index, operation in enumerate(operations):
        if operation.op in seen:
            issues.append(
                RoutingIssue(
                    part, operation.op, "op", f"duplicate operation id '{operation.op}'", index
                )
            )
        seen.add(operation.op)
        categories = unit_categories.get(operation.unit)
        if categories is None:
            issues.append(
                RoutingIssue(part, operation.op, "unit", f"unknown unit '{operation.unit}'", index)
            )
        elif operation.category not in categories:
            issues.append(
                RoutingIssue(
                    part,
                    operation.op,
                    "category",
                    f"unit '{operation.unit}' does not perform category '{operation.category}'"
                    f" (it performs: {', '.join(categories) or 'nothing'})",
                    index,
                )
            )
    for index, operation in enumerate(operations):
        repeated = sorted({p for p in operation.after if operation.after.count(p) > 1})
        if repeated:
            issues.append(
                RoutingIssue(
                    part,
                    operation.op,
                    "after",
                    f"predecessor {', '.join(repr(p) for p in repeated)} is listed twice",
                    index,
                )
            )
        for predecessor in dict.fromkeys(operation.after):
            if predecessor not in seen:
                issues.append(
                    RoutingIssue(
                        part,
                        operation.op,
                        "after",
                        f"unknown predecessor operation '{predecessor}'",
                        index,
                    )
                )
            elif predecessor == operation.op:
                issues.append(
                    RoutingIssue(
                        part, operation.op, "after", "an operation cannot follow itself", index
                    )
                )
    if operations and all(operation.after for operation in operations):
        issues.append(
            RoutingIssue(
                part,
                None,
                "after",
                "the part has no starting operation (every operation has a predecessor)",
            )
        )
    elif not any(issue.column in {"op", "after"} for issue in issues):
        unreached = _unreached(operations)
        if unreached:
            issues.append(
                RoutingIssue(
                    part,
                    None,
                    "after",
                    "these operations are not reached from any starting operation:"
                    f" {', '.join(operations[i].op for i in unreached)} (name in after the"
                    " operation each loop is entered from)",
                    unreached[0],
                )
            )
    return issues


def _unreached(operations: Sequence[Operation]) -> list[int]:
    """The positions of the operations no starting operation leads to (a loop entered from
    nowhere).

    >>> _unreached([Operation("10", "A", "a"), Operation("20", "B", "b", ("30",)),
    ...             Operation("30", "B", "b", ("20",))])
    [1, 2]
    """
    G = nx.DiGraph()
    G.add_nodes_from(operation.op for operation in operations)
    G.add_edges_from((p, operation.op) for operation in operations for p in operation.after)
    starts = [operation.op for operation in operations if not operation.after]
    reached = set(starts).union(*(nx.descendants(G, start) for start in starts))
    return [i for i, operation in enumerate(operations) if operation.op not in reached]


def sequence_operations(steps: Iterable[Operation]) -> list[Operation]:
    """Return the operations one order went through as a routing of their own.

    Each operation comes once, in the order of its first visit, ``after`` the operations the
    order came to it from (``after`` of ``steps`` is not read). Rework loops are kept, a step
    repeating the operation before it adds nothing.

    >>> [(o.op, o.after) for o in sequence_operations([
    ...     Operation("10", "MACH", "machining"),
    ...     Operation("20", "QC", "inspection", inspection=True),
    ...     Operation("10", "MACH", "machining"),
    ...     Operation("10", "MACH", "machining"),
    ...     Operation("20", "QC", "inspection", inspection=True),
    ... ])]
    [('10', ('20',)), ('20', ('10',))]
    """
    first: dict[str, Operation] = {}
    came_from: dict[str, set[str]] = {}
    previous = None
    for step in steps:
        first.setdefault(step.op, step)
        came_from.setdefault(step.op, set())
        if previous is not None and previous != step.op:
            came_from[step.op].add(previous)
        previous = step.op
    return [
        Operation(op, o.unit, o.category, tuple(sorted(came_from[op])), o.inspection)
        for op, o in first.items()
    ]


def sequence_graph(steps: Iterable[Operation]) -> nx.DiGraph:
    """Return the path graph of the operations one order went through, in their order
    (:func:`sequence_operations` as a graph).

    >>> G = sequence_graph([
    ...     Operation("10", "MACH", "machining"),
    ...     Operation("20", "QC", "inspection", inspection=True),
    ...     Operation("10", "MACH", "machining"),
    ... ])
    >>> sorted(G.edges), G.nodes["20"]["inspection"]
    ([('10', '20'), ('20', '10')], True)
    """
    return operation_graph(sequence_operations(steps))


def operation_graph(operations: Iterable[Operation]) -> nx.DiGraph:
    """Return the operation graph of one part.

    Nodes are operation ids with attributes ``unit``, ``category`` and
    ``inspection``; an edge ``a -> b`` means operation ``a`` feeds ``b``.

    Raises
    ------
    RoutingError
        If a predecessor is unknown or an operation id repeats.

    Examples
    --------
    >>> G = operation_graph([
    ...     Operation("10", "MACH", "machining"),
    ...     Operation("20", "QC", "inspection", ("10", "30"), inspection=True),
    ...     Operation("30", "MACH", "machining", ("20",)),
    ... ])
    >>> sorted(G.edges)
    [('10', '20'), ('20', '30'), ('30', '20')]
    """
    operations = list(operations)
    issues = [
        issue
        for issue in validate_routing("", operations, {o.unit: [o.category] for o in operations})
        if issue.column in {"op", "after"} and issue.op is not None
    ]
    if issues:
        raise RoutingError(issues)
    G = nx.DiGraph()
    for operation in operations:
        G.add_node(
            operation.op,
            unit=operation.unit,
            category=operation.category,
            inspection=operation.inspection,
        )
    for operation in operations:
        for predecessor in operation.after:
            G.add_edge(predecessor, operation.op)
    return G


@dataclass
class _EdgeCount:
    weight: int = 0
    parts: set[str] = field(default_factory=set)


def supply_graph(routings: Mapping[str, nx.DiGraph]) -> nx.DiGraph:
    """Derive the unit supply graph from the operation graphs of several parts.

    There is an edge ``u -> v`` when an operation at unit ``u`` feeds an
    operation at another unit ``v``; its ``weight`` is the number of such
    operation transitions over all parts, and ``parts`` the sorted part codes.

    Examples
    --------
    >>> a = operation_graph([Operation("10", "STORE", "storage"),
    ...                      Operation("20", "SHEET", "bending", ("10",)),
    ...                      Operation("30", "SHEET", "cutting", ("20",))])
    >>> b = operation_graph([Operation("10", "STORE", "storage"),
    ...                      Operation("20", "SHEET", "bending", ("10",))])
    >>> S = supply_graph({"A": a, "B": b})
    >>> S["STORE"]["SHEET"]["weight"], S["STORE"]["SHEET"]["parts"]
    (2, ['A', 'B'])
    """
    return transition_graph(
        (
            (part, G.nodes[a]["unit"], G.nodes[b]["unit"])
            for part, G in routings.items()
            for a, b in G.edges
        ),
        (data["unit"] for G in routings.values() for _op, data in G.nodes(data=True)),
    )


def transition_graph(
    transitions: Iterable[tuple[str, str, str]], units: Iterable[str] = ()
) -> nx.DiGraph:
    """The unit supply graph of operation transitions, each ``(part, unit, next unit)``: one
    per edge of a part's operation graph, from the unit of the feeding operation to the unit
    of the operation it feeds. Transitions within a unit make no edge. Nodes: the transitions'
    units and ``units``, sorted.

    This is ``supply_graph`` for callers that hold the transitions without the operation
    graphs (a database reads them in one query).

    >>> S = transition_graph([("A", "STORE", "SHEET"), ("A", "SHEET", "SHEET"),
    ...                       ("B", "STORE", "SHEET")], ["QC"])
    >>> sorted(S.nodes), S["STORE"]["SHEET"]
    (['QC', 'SHEET', 'STORE'], {'weight': 2, 'parts': ['A', 'B']})
    """
    counts: dict[tuple[str, str], _EdgeCount] = {}
    nodes = set(units)
    for part, u, v in transitions:
        if u != v:
            count = counts.get((u, v))
            if count is None:
                count = counts[(u, v)] = _EdgeCount()
                nodes.update((u, v))
            count.weight += 1
            count.parts.add(part)
    S = nx.DiGraph()
    S.add_nodes_from(sorted(nodes))
    for (u, v), count in sorted(counts.items()):
        S.add_edge(u, v, weight=count.weight, parts=sorted(count.parts))
    return S


def rework_loops(G: nx.DiGraph) -> list[list[str]]:
    """Return the loops of an operation graph, each starting at its earliest operation.

    "Earliest" is the order in which the operations were added to ``G``.

    Examples
    --------
    >>> G = operation_graph([
    ...     Operation("10", "MACH", "machining"),
    ...     Operation("20", "QC", "inspection", ("10", "25"), inspection=True),
    ...     Operation("25", "MACH", "machining", ("20",)),
    ... ])
    >>> rework_loops(G)
    [['20', '25']]
    """
    order = {node: position for position, node in enumerate(G.nodes)}
    loops = []
    for cycle in nx.simple_cycles(G):
        start = min(range(len(cycle)), key=lambda i: order[cycle[i]])
        loops.append(cycle[start:] + cycle[:start])
    return sorted(loops, key=lambda loop: [order[node] for node in loop])

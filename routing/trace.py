"""Trace a defect found downstream back to the operations that may have caused it.

The rule, applied to a part's operation graph ``G`` (loops allowed):

1. The found operations are the given operation, or every operation of the
   part at the unit where the defect was found (candidates of all are merged).
2. Candidates are the ancestors of a found operation whose category is among
   the defect code's origins. For the origin ``handling`` they are the direct
   predecessors of the found operation at another unit (the sender of the
   handover).
3. A code without origins (unknown or empty) means: the nearest upstream
   non-inspection operations at another unit.
4. Candidates are ranked by shortest path length to the found operation,
   nearest first, ties by unit code (then operation id). The first candidate's
   unit is the proposed responsible unit.
5. The escapes of a candidate ``c`` are the inspection operations lying on a
   path from ``c`` to the found operation ``f`` (descendants of ``c`` and
   ancestors of ``f``), excluding ``c`` and ``f``.
6. No candidate: the responsibility is undetermined and needs arbitration.

On the path one order took (``visits``: its operations in their order, up to
the found one; several visits of an operation in a row are one), the order's
own steps replace the graph's paths. The ancestors of ``f`` are the operations
visited before ``f``'s last visit. A candidate's path runs along the order's
steps from its last visit to ``f``, and its distance is the number of those
steps: the operation worked last is the nearest, however near an earlier visit
of another operation was on the graph. Its escapes are the inspections the
order passed after its last visit and before ``f``'s, each once in the order
first passed (``f`` too, when the order passed it before it was found there).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import NamedTuple

import networkx as nx

from routing.graph import Operation

__all__ = ["HANDLING", "Candidate", "Escape", "TraceResult", "Tracer", "trace_defect"]

HANDLING = "handling"

Graph = nx.DiGraph | Sequence[Operation]
"""A part's operation graph, or the operations it is built from."""


@dataclass(frozen=True)
class Escape:
    """An inspection that let the defect through."""

    op: str
    unit: str


@dataclass(frozen=True)
class Candidate:
    """An operation that may have caused the defect, and why.

    ``path`` runs from the candidate operation to the found operation along
    a shortest path, or on an order's path along the order's steps from the
    candidate's last visit; ``distance`` is its number of steps.
    """

    unit: str
    op: str
    category: str
    distance: int
    path: tuple[str, ...]
    escapes: tuple[Escape, ...]

    @property
    def escape_units(self) -> tuple[str, ...]:
        return tuple(sorted({e.unit for e in self.escapes}))


@dataclass(frozen=True)
class TraceResult:
    """Ranked candidates; the first one's unit is the proposal."""

    found_ops: tuple[str, ...]
    rule: str
    candidates: tuple[Candidate, ...]

    @property
    def proposed(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def undetermined(self) -> bool:
        return not self.candidates

    def explain(self) -> str:
        """One line a person can read: the proposal, its path and its escapes."""
        if self.undetermined:
            return "undetermined — arbitration needed"
        best = self.candidates[0]
        escapes = ", ".join(f"{e.unit} (op {e.op})" for e in best.escapes) or "none"
        return (
            f"proposed: {best.unit} (op {best.op}, {best.category}),"
            f" path {' -> '.join(best.path)}, escapes: {escapes}"
        )


class _Ancestry(NamedTuple):
    """Shortest distance to the found operation from each ancestor and the next step; the
    ancestors ranked as candidates are (distance, unit, operation id); on a graph the
    inspections among them, farthest first (ties by operation id). On an order's path,
    ``steps`` are its visits up to the found operation's last one, and an ancestor's
    distance counts the steps from its last visit (no next step, no inspections: the
    escapes are read along the steps)."""

    distance: dict[str, int]
    next_step: dict[str, str]
    ranked: tuple[str, ...]
    inspections: tuple[str, ...]
    steps: tuple[str, ...] | None = None


@dataclass(frozen=True)
class _Routing:
    """What tracing reads of an operation graph, as plain lookups by operation id."""

    unit: dict[str, str]
    category: dict[str, str]
    inspection: frozenset[str]
    predecessors: dict[str, tuple[str, ...]]
    successors: dict[str, tuple[str, ...]]
    visits: tuple[str, ...] | None = None
    """On an order's path: the operations in the order it visited them, several visits of
    one in a row as one."""

    @classmethod
    def of(cls, graph: Graph, visits: Sequence[str] | None = None) -> _Routing:
        steps = None if visits is None else tuple(op for op, _ in groupby(visits))
        if isinstance(graph, nx.DiGraph):
            nodes = graph.nodes
            return cls(
                unit={n: nodes[n]["unit"] for n in nodes},
                category={n: nodes[n]["category"] for n in nodes},
                inspection=frozenset(n for n in nodes if nodes[n].get("inspection")),
                predecessors={n: tuple(graph.predecessors(n)) for n in nodes},
                successors={n: tuple(graph.successors(n)) for n in nodes},
                visits=steps,
            )
        operations = list(graph)
        successors: dict[str, list[str]] = {o.op: [] for o in operations}
        for o in operations:
            for predecessor in o.after:
                successors[predecessor].append(o.op)
        return cls(
            unit={o.op: o.unit for o in operations},
            category={o.op: o.category for o in operations},
            inspection=frozenset(o.op for o in operations if o.inspection),
            predecessors={o.op: o.after for o in operations},
            successors={op: tuple(after) for op, after in successors.items()},
            visits=steps,
        )


class Tracer:
    """Traces defects, remembering per routing its lookups, the ancestry and descendants of
    each operation, each candidate and each result.

    ``key`` identifies a routing version; the same key must always come with
    the same graph, which is read only the first time. The graph is a
    ``networkx.DiGraph`` (see :func:`routing.operation_graph`) or the routing's
    operations themselves; for the path one order took, the key names that path
    and its ``visits`` (see :meth:`trace`) come with the graph. Tracing
    thousands of problems of the same routings then searches each graph once
    per operation, and traces each (found operations, origins) once.
    """

    def __init__(self) -> None:
        self._routings: dict[Hashable, _Routing] = {}
        self._ancestry: dict[tuple[Hashable, str], _Ancestry] = {}
        self._descendants: dict[tuple[Hashable, str], frozenset[str]] = {}
        self._candidates: dict[tuple[Hashable, str, str], Candidate] = {}
        self._results: dict[tuple[Hashable, tuple[str, ...], frozenset[str]], TraceResult] = {}

    def _routing(self, key: Hashable, G: Graph, visits: Sequence[str] | None = None) -> _Routing:
        routing = self._routings.get(key)
        if routing is None:
            routing = self._routings[key] = _Routing.of(G, visits)
        return routing

    def ancestry(self, key: Hashable, G: Graph, found: str) -> _Ancestry:
        return self._ancestry_of(key, self._routing(key, G), found)

    def _ancestry_of(self, key: Hashable, routing: _Routing, found: str) -> _Ancestry:
        cached = self._ancestry.get((key, found))
        if cached is None:
            distance: dict[str, int] = {}
            next_step: dict[str, str] = {}
            steps = None
            inspections: tuple[str, ...] = ()  # an order's path reads its escapes on its steps
            if routing.visits is None:
                predecessors = routing.predecessors
                queue = deque([found])
                seen = {found}
                while queue:
                    node = queue.popleft()
                    for predecessor in predecessors[node]:
                        if predecessor not in seen:
                            seen.add(predecessor)
                            distance[predecessor] = distance.get(node, 0) + 1
                            next_step[predecessor] = node
                            queue.append(predecessor)
                inspections = tuple(
                    sorted(
                        routing.inspection.intersection(distance), key=lambda n: (-distance[n], n)
                    )
                )
            else:
                visits = routing.visits
                steps = visits[: len(visits) - visits[::-1].index(found)] if found in visits else ()
                end = len(steps) - 1
                # a later visit replaces an earlier one: each operation's last visit counts
                distance = {op: end - i for i, op in enumerate(steps[:-1]) if op != found}
            unit = routing.unit
            ranked = sorted(distance, key=lambda n: (distance[n], unit[n], n))
            cached = self._ancestry[(key, found)] = _Ancestry(
                distance, next_step, tuple(ranked), inspections, steps
            )
        return cached

    def descendants(self, key: Hashable, G: Graph, op: str) -> frozenset[str]:
        return self._descendants_of(key, self._routing(key, G), op)

    def _descendants_of(self, key: Hashable, routing: _Routing, op: str) -> frozenset[str]:
        cached = self._descendants.get((key, op))
        if cached is None:
            successors = routing.successors
            seen: set[str] = set()
            todo = list(successors[op])
            while todo:
                node = todo.pop()
                if node not in seen:
                    seen.add(node)
                    todo.extend(successors[node])
            seen.discard(op)
            cached = self._descendants[(key, op)] = frozenset(seen)
        return cached

    def escapes(self, key: Hashable, G: Graph, op: str, found: str) -> tuple[Escape, ...]:
        """Inspections on a path from ``op`` to ``found``, excluding both ends."""
        routing = self._routing(key, G)
        return self._escapes_of(key, routing, self._ancestry_of(key, routing, found), op)

    def _escapes_of(
        self, key: Hashable, routing: _Routing, ancestry: _Ancestry, op: str
    ) -> tuple[Escape, ...]:
        if ancestry.steps is not None:
            since = ancestry.steps[-ancestry.distance[op] : -1]
            passed = dict.fromkeys(n for n in since if n in routing.inspection)
            return tuple(Escape(n, routing.unit[n]) for n in passed)
        if not ancestry.inspections:
            return ()
        downstream = self._descendants_of(key, routing, op)
        return tuple(
            Escape(n, routing.unit[n]) for n in ancestry.inspections if n in downstream and n != op
        )

    def _candidate(
        self, key: Hashable, routing: _Routing, ancestry: _Ancestry, op: str, found: str
    ) -> Candidate:
        """Ancestor ``op`` of ``found`` as a candidate: its shortest path and escapes."""
        cached = self._candidates.get((key, op, found))
        if cached is None:
            if ancestry.steps is not None:
                path = list(ancestry.steps[-1 - ancestry.distance[op] :])
            else:
                path = [op]
                while path[-1] != found:
                    path.append(ancestry.next_step[path[-1]])
            cached = self._candidates[(key, op, found)] = Candidate(
                unit=routing.unit[op],
                op=op,
                category=routing.category[op],
                distance=ancestry.distance[op],
                path=tuple(path),
                escapes=self._escapes_of(key, routing, ancestry, op),
            )
        return cached

    def trace(
        self,
        key: Hashable,
        G: Graph,
        found_ops: Sequence[str],
        origins: Iterable[str],
        visits: Sequence[str] | None = None,
    ) -> TraceResult:
        """Apply the tracing rule (see the module documentation).

        Parameters
        ----------
        key : hashable
            Identifies the routing version ``G`` was built from.
        G : networkx.DiGraph or sequence of Operation
            Operation graph with node attributes ``unit``, ``category``,
            ``inspection``, or the operations it is built from.
        found_ops : sequence of str
            The operation where the defect was found, or every operation of
            the part at the unit where it was found.
        origins : iterable of str
            The defect code's origins; empty for an unknown code.
        visits : sequence of str, optional
            When ``G`` is the path one order took (:func:`routing.sequence_operations`):
            the operations it went through, in their order, up to the found one. Paths,
            distances and escapes then follow the order's steps from each operation's
            last visit (see the module documentation).

        Examples
        --------
        >>> from routing import Operation, operation_graph
        >>> operations = [
        ...     Operation("10", "STORE", "storage"),
        ...     Operation("20", "SHEET", "bending", ("10",)),
        ...     Operation("30", "QC", "inspection", ("20",), inspection=True),
        ...     Operation("40", "ASSY", "assembly", ("30",)),
        ... ]
        >>> G = operation_graph(operations)
        >>> result = Tracer().trace("BP", G, ["40"], ["storage", "bending"])
        >>> [(c.unit, c.distance, c.escape_units) for c in result.candidates]
        [('SHEET', 2, ('QC',)), ('STORE', 3, ('QC',))]
        >>> result.explain()
        'proposed: SHEET (op 20, bending), path 20 -> 30 -> 40, escapes: QC (op 30)'
        >>> Tracer().trace("BP", operations, ["40"], ["storage", "bending"]) == result
        True

        An order was turned, passed T&M QC, was packed, passed final QC and was rejected
        at T&M QC: on its path graph turning is one step before T&M QC (its first visit),
        packing two; along the order's steps packing was the work done last.

        >>> from routing import sequence_operations
        >>> turn, pack = Operation("10", "TM", "turning"), Operation("20", "PACK", "packing")
        >>> tm_qc = Operation("30", "QC", "inspection", inspection=True)
        >>> final_qc = Operation("40", "QC", "inspection", inspection=True)
        >>> order = [turn, tm_qc, pack, final_qc, tm_qc]
        >>> path, visits = sequence_operations(order), [o.op for o in order]
        >>> Tracer().trace("order", path, ["30"], []).explain()
        'proposed: TM (op 10, turning), path 10 -> 30, escapes: QC (op 40)'
        >>> Tracer().trace("order", path, ["30"], [], visits).explain()
        'proposed: PACK (op 20, packing), path 20 -> 40 -> 30, escapes: QC (op 40)'

        Turning's escapes are T&M QC, which passed the order once before rejecting it, and
        final QC.

        >>> found = Tracer().trace("order", path, ["30"], ["turning", "packing"], visits)
        >>> [(c.unit, c.distance, [e.op for e in c.escapes]) for c in found.candidates]
        [('PACK', 2, ['40']), ('TM', 4, ['30', '40'])]
        """
        origins = frozenset(origins)
        found_ops = tuple(found_ops)
        cached = self._results.get((key, found_ops, origins))
        if cached is None:
            cached = self._results[(key, found_ops, origins)] = self._trace(
                key, self._routing(key, G, visits), found_ops, origins
            )
        return cached

    def _chosen(
        self, routing: _Routing, ancestry: _Ancestry, found: str, origins: frozenset[str]
    ) -> list[str]:
        """The candidate operations for one found operation, ranked."""
        unit, found_unit = routing.unit, routing.unit[found]
        if not origins:
            upstream = [
                op
                for op in ancestry.ranked
                if op not in routing.inspection and unit[op] != found_unit
            ]
            nearest = ancestry.distance[upstream[0]] if upstream else None
            return [op for op in upstream if ancestry.distance[op] == nearest]
        category, categories = routing.category, origins - {HANDLING}
        senders = (
            {op for op in routing.predecessors[found] if unit[op] != found_unit}
            if HANDLING in origins
            else set()
        )
        return [op for op in ancestry.ranked if category[op] in categories or op in senders]

    def _trace(
        self, key: Hashable, routing: _Routing, found_ops: tuple[str, ...], origins: frozenset[str]
    ) -> TraceResult:
        ancestries = {found: self._ancestry_of(key, routing, found) for found in found_ops}
        chosen = [
            (found, self._chosen(routing, ancestry, found, origins))
            for found, ancestry in ancestries.items()
        ]
        if len(chosen) == 1:
            found, ops = chosen[0]
            ranked = [(op, found) for op in ops]
        else:
            best: dict[str, tuple[int, str, str]] = {}  # op -> (distance, unit, found op)
            for found, ops in chosen:
                distance = ancestries[found].distance
                for op in ops:
                    entry = (distance[op], routing.unit[op], found)
                    if op not in best or entry < best[op]:
                        best[op] = entry
            ranked = [
                (op, found)
                for op, (_, _, found) in sorted(
                    best.items(), key=lambda item: (item[1][0], item[1][1], item[0])
                )
            ]
        candidates = tuple(
            self._candidate(key, routing, ancestries[found], op, found) for op, found in ranked
        )
        rule = "origins" if origins else "nearest-upstream"
        return TraceResult(found_ops, rule, candidates)

    def unit_escapes(
        self,
        key: Hashable,
        G: Graph,
        found_ops: Sequence[str],
        unit: str,
        visits: Sequence[str] | None = None,
    ) -> tuple[Escape, ...]:
        """Escapes for a unit made responsible by a ruling rather than the trace.

        They are those of the unit's nearest operation among the ancestors of
        the found operations (on an order's path: the one it visited last); none
        when the unit has no such operation.
        """
        routing = self._routing(key, G, visits)
        nearest: tuple[int, str, str] | None = None
        for found in found_ops:
            for op, distance in self._ancestry_of(key, routing, found).distance.items():
                if routing.unit[op] == unit and (
                    nearest is None or (distance, op, found) < nearest
                ):
                    nearest = (distance, op, found)
        if nearest is None:
            return ()
        _, op, found = nearest
        return self._escapes_of(key, routing, self._ancestry_of(key, routing, found), op)


def trace_defect(G: Graph, found_ops: Sequence[str], origins: Iterable[str]) -> TraceResult:
    """Trace one defect on ``G`` without keeping anything for later calls."""
    return Tracer().trace(None, G, found_ops, origins)

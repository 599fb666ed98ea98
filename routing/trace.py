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
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import networkx as nx

__all__ = ["HANDLING", "Candidate", "Escape", "TraceResult", "Tracer", "trace_defect"]

HANDLING = "handling"


@dataclass(frozen=True)
class Escape:
    """An inspection that let the defect through."""

    op: str
    unit: str


@dataclass(frozen=True)
class Candidate:
    """An operation that may have caused the defect, and why.

    ``path`` runs from the candidate operation to the found operation along
    a shortest path; ``distance`` is its number of steps.
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


@dataclass(frozen=True)
class _Ancestry:
    """Shortest distance to the found operation from each ancestor, and the next step."""

    distance: dict[str, int]
    next_step: dict[str, str]


class Tracer:
    """Traces defects, remembering ancestry and descendants per (routing, operation).

    ``key`` identifies a routing version; the same key must always come with
    the same graph. Tracing thousands of problems of the same routings then
    searches each graph once per operation.
    """

    def __init__(self) -> None:
        self._ancestry: dict[tuple[Hashable, str], _Ancestry] = {}
        self._descendants: dict[tuple[Hashable, str], frozenset[str]] = {}

    def ancestry(self, key: Hashable, G: nx.DiGraph, found: str) -> _Ancestry:
        cached = self._ancestry.get((key, found))
        if cached is None:
            distance: dict[str, int] = {}
            next_step: dict[str, str] = {}
            queue = deque([found])
            seen = {found}
            while queue:
                node = queue.popleft()
                for predecessor in G.predecessors(node):
                    if predecessor not in seen:
                        seen.add(predecessor)
                        distance[predecessor] = distance.get(node, 0) + 1
                        next_step[predecessor] = node
                        queue.append(predecessor)
            cached = self._ancestry[(key, found)] = _Ancestry(distance, next_step)
        return cached

    def descendants(self, key: Hashable, G: nx.DiGraph, op: str) -> frozenset[str]:
        cached = self._descendants.get((key, op))
        if cached is None:
            cached = self._descendants[(key, op)] = frozenset(nx.descendants(G, op))
        return cached

    def _path(self, ancestry: _Ancestry, start: str, found: str) -> tuple[str, ...]:
        path = [start]
        while path[-1] != found:
            path.append(ancestry.next_step[path[-1]])
        return tuple(path)

    def escapes(self, key: Hashable, G: nx.DiGraph, op: str, found: str) -> tuple[Escape, ...]:
        """Inspections on a path from ``op`` to ``found``, excluding both ends."""
        ancestry = self.ancestry(key, G, found)
        between = self.descendants(key, G, op).intersection(ancestry.distance)
        between -= {op, found}
        inspections = [n for n in between if G.nodes[n].get("inspection")]
        return tuple(
            Escape(n, G.nodes[n]["unit"])
            for n in sorted(inspections, key=lambda n: (-ancestry.distance[n], n))
        )

    def trace(
        self,
        key: Hashable,
        G: nx.DiGraph,
        found_ops: Sequence[str],
        origins: Iterable[str],
    ) -> TraceResult:
        """Apply the tracing rule (see the module documentation).

        Parameters
        ----------
        key : hashable
            Identifies the routing version ``G`` was built from.
        G : networkx.DiGraph
            Operation graph with node attributes ``unit``, ``category``, ``inspection``.
        found_ops : sequence of str
            The operation where the defect was found, or every operation of
            the part at the unit where it was found.
        origins : iterable of str
            The defect code's origins; empty for an unknown code.

        Examples
        --------
        >>> from routing import Operation, operation_graph
        >>> G = operation_graph([
        ...     Operation("10", "STORE", "storage"),
        ...     Operation("20", "SHEET", "bending", ("10",)),
        ...     Operation("30", "QC", "inspection", ("20",), inspection=True),
        ...     Operation("40", "ASSY", "assembly", ("30",)),
        ... ])
        >>> result = Tracer().trace("BP", G, ["40"], ["storage", "bending"])
        >>> [(c.unit, c.distance, c.escape_units) for c in result.candidates]
        [('SHEET', 2, ('QC',)), ('STORE', 3, ('QC',))]
        >>> result.explain()
        'proposed: SHEET (op 20, bending), path 20 -> 30 -> 40, escapes: QC (op 30)'
        """
        origins = set(origins)
        categories = origins - {HANDLING}
        best: dict[str, tuple[int, str, str]] = {}  # op -> (distance, unit, found op)
        for found in found_ops:
            ancestry = self.ancestry(key, G, found)
            found_unit = G.nodes[found]["unit"]
            chosen: dict[str, int] = {}
            if origins:
                for op, distance in ancestry.distance.items():
                    if G.nodes[op]["category"] in categories:
                        chosen[op] = distance
                if HANDLING in origins:
                    for op in G.predecessors(found):
                        if G.nodes[op]["unit"] != found_unit:
                            chosen[op] = 1
            else:
                upstream = {
                    op: distance
                    for op, distance in ancestry.distance.items()
                    if not G.nodes[op].get("inspection") and G.nodes[op]["unit"] != found_unit
                }
                nearest = min(upstream.values(), default=None)
                chosen = {op: d for op, d in upstream.items() if d == nearest}
            for op, distance in chosen.items():
                entry = (distance, G.nodes[op]["unit"], found)
                if op not in best or entry < best[op]:
                    best[op] = entry
        ranked = sorted(best.items(), key=lambda item: (item[1][0], item[1][1], item[0]))
        candidates = tuple(
            Candidate(
                unit=unit,
                op=op,
                category=G.nodes[op]["category"],
                distance=distance,
                path=self._path(self.ancestry(key, G, found), op, found),
                escapes=self.escapes(key, G, op, found),
            )
            for op, (distance, unit, found) in ranked
        )
        rule = "origins" if origins else "nearest-upstream"
        return TraceResult(tuple(found_ops), rule, candidates)

    def unit_escapes(
        self, key: Hashable, G: nx.DiGraph, found_ops: Sequence[str], unit: str
    ) -> tuple[Escape, ...]:
        """Escapes for a unit made responsible by a ruling rather than the trace.

        They are those of the unit's nearest operation among the ancestors of
        the found operations; none when the unit has no such operation.
        """
        nearest: tuple[int, str, str] | None = None
        for found in found_ops:
            for op, distance in self.ancestry(key, G, found).distance.items():
                if G.nodes[op]["unit"] == unit and (
                    nearest is None or (distance, op, found) < nearest
                ):
                    nearest = (distance, op, found)
        if nearest is None:
            return ()
        _, op, found = nearest
        return self.escapes(key, G, op, found)


def trace_defect(G: nx.DiGraph, found_ops: Sequence[str], origins: Iterable[str]) -> TraceResult:
    """Trace one defect on ``G`` without keeping anything for later calls."""
    return Tracer().trace(None, G, found_ops, origins)

"""Positions for drawing a graph from upstream (left) to downstream (right)."""

from __future__ import annotations

from collections import defaultdict

import networkx as nx

__all__ = ["flow_layers", "flow_positions"]


def _forward_edges(G: nx.DiGraph) -> nx.DiGraph:
    """``G`` without its loop-back edges.

    Of two opposite edges the lighter one (by ``weight``, default 1) is the
    loop back; any loop left is broken where a depth-first search from the
    sources, in sorted order, meets it again.
    """

    def weight(u: str, v: str) -> float:
        return G[u][v].get("weight", 1)

    D = nx.DiGraph()
    D.add_nodes_from(G.nodes)
    D.add_edges_from(
        (u, v) for u, v in G.edges if not (G.has_edge(v, u) and weight(u, v) < weight(v, u))
    )
    visited: set[str] = set()
    on_path: set[str] = set()
    back: list[tuple[str, str]] = []
    for root in sorted(n for n in D if D.in_degree(n) == 0) + sorted(D):
        if root in visited:
            continue
        visited.add(root)
        on_path.add(root)
        stack = [(root, iter(sorted(D.successors(root))))]
        while stack:
            node, successors = stack[-1]
            successor = next(successors, None)
            if successor is None:
                stack.pop()
                on_path.discard(node)
            elif successor in on_path:
                back.append((node, successor))
            elif successor not in visited:
                visited.add(successor)
                on_path.add(successor)
                stack.append((successor, iter(sorted(D.successors(successor)))))
    D.remove_edges_from(back)
    return D


def flow_layers(G: nx.DiGraph) -> dict[str, int]:
    """Return each node's layer: the longest chain of upstream nodes before it.

    Loop-back (rework) edges are left out, so a rework loop does not pull
    the units on it into one layer.

    Examples
    --------
    >>> G = nx.DiGraph([("STORE", "SHEET"), ("SHEET", "QC"), ("QC", "SHEET"), ("QC", "ASSY")])
    >>> flow_layers(G)
    {'STORE': 0, 'SHEET': 1, 'QC': 2, 'ASSY': 3}
    """
    D = _forward_edges(G)
    layer: dict[str, int] = {}
    for node in nx.topological_sort(D):
        layer[node] = max((layer[p] + 1 for p in D.predecessors(node)), default=0)
    return {node: layer[node] for node in G.nodes}


def flow_positions(G: nx.DiGraph) -> dict[str, tuple[float, float]]:
    """Return ``(x, y)`` for each node: x is its layer, nodes of a layer spread on y.

    >>> flow_positions(nx.DiGraph([("A", "B"), ("A", "C")]))
    {'A': (0.0, 0.0), 'B': (1.0, -0.5), 'C': (1.0, 0.5)}
    """
    by_layer: dict[int, list[str]] = defaultdict(list)
    for node, layer in flow_layers(G).items():
        by_layer[layer].append(node)
    positions = {}
    for layer, nodes in by_layer.items():
        nodes.sort()
        for i, node in enumerate(nodes):
            positions[node] = (float(layer), i - (len(nodes) - 1) / 2)
    return positions

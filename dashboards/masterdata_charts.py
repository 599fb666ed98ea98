"""Plotly figures of the master-data page: a part's operation graph."""

from __future__ import annotations

from collections.abc import Callable

import networkx as nx
import plotly.graph_objects as go
from plotly.colors import qualitative

from dashboards.charts import arrowhead
from routing.layout import flow_layers

FORWARD = "#8aa1b8"
BACKWARD = "#d08a3c"


def unit_colours(units: list[str]) -> dict[str, str]:
    """One colour per unit, stable for a sorted list of units.

    >>> unit_colours(["MACH", "STORE"])
    {'MACH': '#636EFA', 'STORE': '#EF553B'}
    """
    palette = qualitative.Plotly + qualitative.Safe
    return {unit: palette[i % len(palette)] for i, unit in enumerate(sorted(set(units)))}


def _spread(layers: dict[int, list[str]]) -> dict[str, float]:
    """y of each node: the nodes of a layer centred on 0, one apart."""
    return {
        node: i - (len(nodes) - 1) / 2 for nodes in layers.values() for i, node in enumerate(nodes)
    }


def _centre(node: str, near: list[str], y: dict[str, float]) -> float:
    return sum(y[n] for n in near) / len(near) if near else y[node]


def ordered_positions(G: nx.DiGraph, sweeps: int = 4) -> dict[str, tuple[float, float]]:
    """``(x, y)`` per node: x its flow layer, nodes of a layer ordered to cross fewer edges.

    Each sweep orders every layer by the mean y of its neighbours in the layers before it,
    then after it (the barycentre heuristic); ties keep the node's current place.

    >>> G = nx.DiGraph([("a1", "b2"), ("a2", "b1")])
    >>> P = ordered_positions(G)
    >>> P["a1"][1] == P["b2"][1] and P["a2"][1] == P["b1"][1]
    True
    """
    layer = flow_layers(G)
    layers: dict[int, list[str]] = {}
    for node in sorted(G.nodes, key=str):
        layers.setdefault(layer[node], []).append(node)
    for _ in range(sweeps):
        for number in sorted(layers)[1:]:
            y = _spread(layers)
            before = {
                n: [p for p in G.predecessors(n) if layer[p] < number] for n in layers[number]
            }
            layers[number].sort(key=lambda n: (_centre(n, before[n], y), y[n]))
        for number in sorted(layers, reverse=True)[1:]:
            y = _spread(layers)
            after = {n: [q for q in G.successors(n) if layer[q] > number] for n in layers[number]}
            layers[number].sort(key=lambda n: (_centre(n, after[n], y), y[n]))
    y = _spread(layers)
    return {node: (float(layer[node]), y[node]) for node in G.nodes}


def backward_edges(G: nx.DiGraph, positions: dict[str, tuple[float, float]]) -> set[tuple]:
    """Edges drawn right to left (rework loops): the head is not downstream of the tail.

    >>> G = nx.DiGraph([("10", "20"), ("20", "30"), ("30", "20")])
    >>> sorted(backward_edges(G, {"10": (0, 0), "20": (1, 0), "30": (2, 0)}))
    [('30', '20')]
    """
    return {(u, v) for u, v in G.edges if positions[v][0] <= positions[u][0]}


def operation_graph_figure(G: nx.DiGraph, t: Callable[..., str]) -> go.Figure:
    """Draw one routing version's operation graph upstream (left) to downstream (right).

    Nodes are operations (``op`` with its unit), coloured by unit; inspection
    operations are diamonds, named so on hover in the language of ``t``; rework
    (loop-back) edges are dashed and orange.
    """
    inspection_label = t("md.inspection")
    positions = ordered_positions(G)
    back = backward_edges(G, positions)
    # forward and rework edges each share a trace and the figure is built once: a trace and
    # an annotation added per edge re-validate the whole figure each time
    lines: dict[bool, tuple[list, list]] = {False: ([], []), True: ([], [])}  # by rework
    arrows: list[dict] = []
    for u, v in G.edges:
        (x0, y0), (x1, y1) = positions[u], positions[v]
        rework = (u, v) in back
        if rework:
            # bend the loop back below the forward flow so both arrows stay visible
            y0, y1 = y0 - 0.15, y1 - 0.15
        xs, ys = lines[rework]
        xs += [x0, x1, None]
        ys += [y0, y1, None]
        arrows.append(
            arrowhead((x0, y0), (x1, y1), BACKWARD if rework else FORWARD, width=1.5, standoff=16)
        )
    traces: list[dict] = [
        {
            "type": "scatter",
            "x": xs,
            "y": ys,
            "mode": "lines",
            "line": {
                "width": 2,
                "color": BACKWARD if rework else FORWARD,
                "dash": "dash" if rework else "solid",
            },
            "hoverinfo": "skip",
            "showlegend": False,
            "name": "rework" if rework else "edges",
        }
        for rework, (xs, ys) in lines.items()
        if xs
    ]
    nodes = list(G.nodes(data=True))
    colours = unit_colours([d.get("unit", "") for _, d in nodes])
    for inspection in (False, True):
        chosen = [(n, d) for n, d in nodes if bool(d.get("inspection")) is inspection]
        if not chosen:
            continue
        traces.append(
            {
                "type": "scatter",
                "x": [positions[n][0] for n, _ in chosen],
                "y": [positions[n][1] for n, _ in chosen],
                "mode": "markers+text",
                "text": [f"{n} · {d.get('unit', '')}" for n, d in chosen],
                "textposition": "top center",
                "marker": {
                    "size": 24 if inspection else 22,
                    "symbol": "diamond" if inspection else "circle",
                    "color": [colours[d.get("unit", "")] for _, d in chosen],
                    "line": {"width": 1, "color": "white"},
                },
                "hovertext": [
                    f"{n} · {d.get('unit', '')}<br>{d.get('category', '')}"
                    + (f"<br>{inspection_label}" if inspection else "")
                    for n, d in chosen
                ],
                "hoverinfo": "text",
                "showlegend": False,
                "name": "operations",
            }
        )
    layers = max((x for x, _ in positions.values()), default=0)
    return go.Figure(
        data=traces,
        layout={
            "annotations": arrows,
            "xaxis": {"visible": False, "range": [-0.5, layers + 0.5]},
            "yaxis": {"visible": False},
            "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
            "height": max(
                320, 90 * (1 + max((abs(y) for _, y in positions.values()), default=0) * 2)
            ),
            "plot_bgcolor": "white",
        },
    )

"""The routing of one part drawn as a plotly figure, with a traced defect on it.

Operations run upstream (left) to downstream (right), laid out by
``routing.layout.flow_positions``; each node reads "op · unit". A trace adds
the path from a candidate operation to where the defect was found (thick,
coloured edges), the candidates, the found operation and the escapes (the
inspections that let the defect through). Texts of the legend are in the
language of the page's ``t``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

import networkx as nx
import plotly.graph_objects as go

from dashboards.charts import arrowhead
from routing.layout import flow_positions
from routing.trace import TraceResult

EDGE = "#b4c2d0"
PATH = "#e07b00"
OPERATION = "#2f6f9f"
INSPECTION = "#6c8a3c"
CANDIDATE = "#f2b366"
FOUND = "#7b3fa0"
ESCAPE = "#c62828"


def _bend(x0: float, y0: float, x1: float, y1: float, lift: float) -> tuple[list, list]:
    """Points of a curve from (x0, y0) to (x1, y1) bowing by ``lift`` (loop-back edges)."""
    xs, ys = [], []
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2 + lift
    for i in range(17):
        s = i / 16
        xs.append((1 - s) ** 2 * x0 + 2 * (1 - s) * s * cx + s**2 * x1)
        ys.append((1 - s) ** 2 * y0 + 2 * (1 - s) * s * cy + s**2 * y1)
    return xs, ys


def _markers(
    G: nx.DiGraph,
    positions: Mapping[str, tuple[float, float]],
    nodes: Iterable[str],
    name: str,
    marker: dict,
) -> list[dict]:
    """The trace marking ``nodes`` (none when no node is on the graph)."""
    nodes = [n for n in nodes if n in positions]
    if not nodes:
        return []
    return [
        {
            "type": "scatter",
            "x": [positions[n][0] for n in nodes],
            "y": [positions[n][1] for n in nodes],
            "mode": "markers",
            "marker": marker,
            "hovertext": [
                f"{n} · {G.nodes[n]['unit']}<br>{G.nodes[n].get('category', '')}" for n in nodes
            ],
            "hoverinfo": "text",
            "name": name,
            "showlegend": True,
        }
    ]


def routing_figure(
    G: nx.DiGraph,
    t: Callable[..., str],
    *,
    path: Sequence[str] = (),
    found_ops: Iterable[str] = (),
    candidates: Iterable[str] = (),
    escapes: Iterable[str] = (),
) -> go.Figure:
    """Draw the operation graph ``G`` of one part, with a trace on it.

    Parameters
    ----------
    G : networkx.DiGraph
        Operation graph (``RoutingView.graph()``): nodes are operation ids with
        attributes ``unit``, ``category`` and ``inspection``.
    t : callable
        The page's text function: the legend in the user's language.
    path : sequence of str
        Operations from the chosen candidate to the found operation; its edges
        are drawn thick and coloured.
    found_ops, candidates, escapes : iterable of str
        Operations marked as where the defect was found, as possible origins,
        and as escapes (inspections that let the defect through).

    Examples
    --------
    >>> from routing import Operation, operation_graph
    >>> G = operation_graph([
    ...     Operation("10", "STORE", "storage"),
    ...     Operation("20", "QC", "inspection", ("10",), inspection=True),
    ...     Operation("30", "ASSY", "assembly", ("20",)),
    ... ])
    >>> from dashboards.i18n import t
    >>> figure = routing_figure(
    ...     G, lambda key: t(key, "en"), path=["10", "20", "30"], found_ops=["30"], escapes=["20"]
    ... )
    >>> [trace.name for trace in figure.data if trace.showlegend][:4]
    ['path of the defect', 'operation', 'inspection', 'found here']
    >>> list(figure.data[-1].text)
    ['10 · STORE', '20 · QC', '30 · ASSY']
    """
    positions = flow_positions(G) if G.number_of_nodes() else {}
    on_path = set(zip(path, path[1:], strict=False))
    # edges of one style share a trace and the figure is built once: a trace and an
    # annotation added per edge re-validate the whole figure each time
    lines: dict[bool, tuple[list, list]] = {False: ([], []), True: ([], [])}  # by backwards
    path_x: list = []
    path_y: list = []
    arrows: list[dict] = []
    for u, v in G.edges:
        (x0, y0), (x1, y1) = positions[u], positions[v]
        backwards = x1 <= x0
        if backwards:
            xs, ys = _bend(x0, y0, x1, y1, 0.6 + 0.15 * abs(x0 - x1))
        else:
            xs, ys = [x0, x1], [y0, y1]
        highlighted = (u, v) in on_path
        line_x, line_y = (path_x, path_y) if highlighted else lines[backwards]
        line_x += [*xs, None]
        line_y += [*ys, None]
        arrows.append(
            arrowhead(
                (xs[-2], ys[-2]),
                (xs[-1], ys[-1]),
                PATH if highlighted else EDGE,
                width=3 if highlighted else 1.5,
                standoff=12,
            )
        )
    traces: list[dict] = [
        {
            "type": "scatter",
            "x": xs,
            "y": ys,
            "mode": "lines",
            "line": {"width": 1.5, "color": EDGE, "dash": "dot" if backwards else "solid"},
            "hoverinfo": "skip",
            "showlegend": False,
            "name": "edges",
        }
        for backwards, (xs, ys) in lines.items()
        if xs
    ]
    if path_x:
        traces.append(
            {
                "type": "scatter",
                "x": path_x,
                "y": path_y,
                "mode": "lines",
                "line": {"width": 6, "color": PATH},
                "hoverinfo": "skip",
                "name": t("prob.chart.path"),
                "showlegend": True,
            }
        )
    inspections = {n for n, d in G.nodes(data=True) if d.get("inspection")}
    traces += _markers(
        G,
        positions,
        [n for n in G if n not in inspections],
        t("prob.chart.operation"),
        {"size": 20, "color": OPERATION, "line": {"width": 1, "color": "white"}},
    )
    traces += _markers(
        G,
        positions,
        [n for n in G if n in inspections],
        t("prob.chart.inspection"),
        {
            "size": 20,
            "symbol": "square",
            "color": INSPECTION,
            "line": {"width": 1, "color": "white"},
        },
    )
    traces += _markers(
        G,
        positions,
        candidates,
        t("prob.chart.candidate"),
        {"size": 30, "symbol": "circle-open", "color": CANDIDATE, "line": {"width": 3}},
    )
    traces += _markers(
        G,
        positions,
        found_ops,
        t("prob.chart.found"),
        {"size": 34, "symbol": "star-open", "color": FOUND, "line": {"width": 3}},
    )
    traces += _markers(
        G,
        positions,
        escapes,
        t("prob.chart.escape"),
        {"size": 34, "symbol": "x-thin-open", "color": ESCAPE, "line": {"width": 4}},
    )
    nodes = list(G)
    traces.append(
        {
            "type": "scatter",
            "x": [positions[n][0] for n in nodes],
            "y": [positions[n][1] + 0.2 for n in nodes],
            "mode": "text",
            "text": [f"{n} · {G.nodes[n]['unit']}" for n in nodes],
            "textposition": "top center",
            "hoverinfo": "skip",
            "showlegend": False,
            "name": "labels",
        }
    )
    widest = max(
        (sum(1 for p in positions.values() if p[0] == x) for x, _ in positions.values()),
        default=1,
    )
    ys = [y for trace in traces for y in trace["y"] if y is not None] or [0.0]
    xs = [x for x, _ in positions.values()] or [0.0]
    return go.Figure(
        data=traces,
        layout={
            "annotations": arrows,
            "xaxis": {"visible": False, "range": [min(xs) - 0.5, max(xs) + 0.5]},
            "yaxis": {"visible": False, "range": [min(ys) - 0.45, max(ys) + 0.35]},
            "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
            "height": min(190 + 90 * widest, 700),
            "plot_bgcolor": "white",
            "legend": {"orientation": "h", "yanchor": "top", "y": -0.02, "x": 0},
        },
    )


def trace_figure(
    G: nx.DiGraph, result: TraceResult, t: Callable[..., str], *, candidate: int = 0
) -> go.Figure:
    """Draw ``G`` with a trace: the path and escapes of candidate number ``candidate``
    (the proposal by default), every candidate and the found operations marked."""
    chosen = result.candidates[candidate] if result.candidates else None
    return routing_figure(
        G,
        t,
        path=chosen.path if chosen else (),
        found_ops=result.found_ops,
        candidates=[c.op for c in result.candidates],
        escapes=[e.op for e in chosen.escapes] if chosen else (),
    )

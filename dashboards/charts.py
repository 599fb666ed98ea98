"""Plotly figures built from plain data returned by the services."""

from __future__ import annotations

from collections import defaultdict

import networkx as nx
import plotly.graph_objects as go

from routing.layout import flow_positions

EDGE = "#8aa1b8"
ARROWS = 120  # edges up to which each gets an arrowhead (here and on the dashboard's map)


def arrowhead(
    tail: tuple[float, float], head: tuple[float, float], colour: str, width: float, standoff: int
) -> dict:
    """An annotation drawing an arrowhead at ``head`` pointing away from ``tail`` (data
    coordinates), ``standoff`` pixels short of it, so the arrow ends at a node's edge."""
    return {
        "x": head[0],
        "y": head[1],
        "ax": tail[0],
        "ay": tail[1],
        "xref": "x",
        "yref": "y",
        "axref": "x",
        "ayref": "y",
        "showarrow": True,
        "arrowhead": 2,
        "arrowsize": 1,
        "arrowwidth": width,
        "arrowcolor": colour,
        "standoff": standoff,
        "text": "",
    }


def supply_graph_figure(S: nx.DiGraph, weight_label: str = "transitions") -> go.Figure:
    """Draw the unit supply graph upstream (left) to downstream (right).

    Edge width grows with the number of operation transitions; hovering an
    edge's midpoint shows the weight and the parts behind it. Each edge has an
    arrowhead up to ``ARROWS`` edges; beyond, the upstream-left layout tells the
    direction.

    The traces and annotations are collected first and the figure is built once, edges
    of the same width sharing one line trace: adding them one by one re-validates the
    whole figure each time, which took minutes for a plant of 60 units and 1,700 edges.

    >>> G = nx.DiGraph([("A", "B", {"weight": 2}), ("B", "C", {"weight": 1})])
    >>> figure = supply_graph_figure(G)
    >>> [trace.name for trace in figure.data], len(figure.layout.annotations)
    (['edges', 'edges', 'supply', 'units'], 2)
    """
    positions = flow_positions(S)
    heaviest = max((d["weight"] for *_, d in S.edges(data=True)), default=1)
    lines: dict[float, tuple[list, list]] = defaultdict(lambda: ([], []))
    arrows: list[dict] = []
    mid_x, mid_y, mid_text = [], [], []
    for u, v, data in S.edges(data=True):
        (x0, y0), (x1, y1) = positions[u], positions[v]
        xs, ys = lines[round(1 + 6 * data["weight"] / heaviest, 1)]
        xs += [x0, x1, None]
        ys += [y0, y1, None]
        arrows.append(arrowhead((x0, y0), (x1, y1), EDGE, width=1, standoff=14))
        mid_x.append((x0 + x1) / 2)
        mid_y.append((y0 + y1) / 2)
        text = f"{u} → {v}<br>{weight_label}: {data['weight']:g}"
        if data.get("parts"):
            text += "<br>parts: " + ", ".join(data["parts"][:8])
            text += " …" if len(data["parts"]) > 8 else ""
        mid_text.append(text)
    traces: list[dict] = [
        {
            "type": "scatter",
            "x": xs,
            "y": ys,
            "mode": "lines",
            "line": {"width": width, "color": EDGE},
            "hoverinfo": "skip",
            "showlegend": False,
            "name": "edges",
        }
        for width, (xs, ys) in sorted(lines.items())
    ]
    traces.append(
        {
            "type": "scatter",
            "x": mid_x,
            "y": mid_y,
            "mode": "markers",
            "marker": {"size": 6, "color": EDGE},
            "hovertext": mid_text,
            "hoverinfo": "text",
            "showlegend": False,
            "name": "supply",
        }
    )
    nodes = list(S.nodes(data=True))
    traces.append(
        {
            "type": "scatter",
            "x": [positions[n][0] for n, _ in nodes],
            "y": [positions[n][1] for n, _ in nodes],
            "mode": "markers+text",
            "text": [n for n, _ in nodes],
            "textposition": "top center",
            "marker": {"size": 22, "color": "#2f6f9f", "line": {"width": 1, "color": "white"}},
            "hovertext": [f"{n} {d.get('name', '')}<br>{d.get('kind', '')}" for n, d in nodes],
            "hoverinfo": "text",
            "showlegend": False,
            "name": "units",
        }
    )
    return go.Figure(
        data=traces,
        layout={
            "annotations": arrows if len(arrows) <= ARROWS else [],
            "xaxis": {"visible": False},
            "yaxis": {"visible": False},
            "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
            "height": 520,
            "plot_bgcolor": "white",
        },
    )

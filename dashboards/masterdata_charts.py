"""Plotly figures of the master-data page: a part's operation graph."""

from __future__ import annotations

import networkx as nx
import plotly.graph_objects as go
from plotly.colors import qualitative

from routing.layout import flow_positions

FORWARD = "#8aa1b8"
BACKWARD = "#d08a3c"


def unit_colours(units: list[str]) -> dict[str, str]:
    """One colour per unit, stable for a sorted list of units.

    >>> unit_colours(["MACH", "STORE"])
    {'MACH': '#636EFA', 'STORE': '#EF553B'}
    """
    palette = qualitative.Plotly + qualitative.Safe
    return {unit: palette[i % len(palette)] for i, unit in enumerate(sorted(set(units)))}


def backward_edges(G: nx.DiGraph, positions: dict[str, tuple[float, float]]) -> set[tuple]:
    """Edges drawn right to left (rework loops): the head is not downstream of the tail.

    >>> G = nx.DiGraph([("10", "20"), ("20", "30"), ("30", "20")])
    >>> sorted(backward_edges(G, {"10": (0, 0), "20": (1, 0), "30": (2, 0)}))
    [('30', '20')]
    """
    return {(u, v) for u, v in G.edges if positions[v][0] <= positions[u][0]}


def operation_graph_figure(G: nx.DiGraph, *, inspection_label: str = "inspection") -> go.Figure:
    """Draw one routing version's operation graph upstream (left) to downstream (right).

    Nodes are operations (``op`` with its unit), coloured by unit; inspection
    operations are diamonds; rework (loop-back) edges are dashed and orange.
    """
    positions = flow_positions(G)
    back = backward_edges(G, positions)
    figure = go.Figure()
    for u, v in G.edges:
        (x0, y0), (x1, y1) = positions[u], positions[v]
        colour = BACKWARD if (u, v) in back else FORWARD
        if (u, v) in back:
            # bend the loop back below the forward flow so both arrows stay visible
            y0, y1 = y0 - 0.15, y1 - 0.15
        figure.add_trace(
            go.Scatter(
                x=[x0, x1],
                y=[y0, y1],
                mode="lines",
                line={"width": 2, "color": colour, "dash": "dash" if (u, v) in back else "solid"},
                hoverinfo="skip",
                showlegend=False,
            )
        )
        figure.add_annotation(
            x=x1,
            y=y1,
            ax=x0,
            ay=y0,
            xref="x",
            yref="y",
            axref="x",
            ayref="y",
            showarrow=True,
            arrowhead=2,
            arrowsize=1,
            arrowwidth=1.5,
            arrowcolor=colour,
            standoff=16,
            text="",
        )
    nodes = list(G.nodes(data=True))
    colours = unit_colours([d.get("unit", "") for _, d in nodes])
    for inspection in (False, True):
        chosen = [(n, d) for n, d in nodes if bool(d.get("inspection")) is inspection]
        if not chosen:
            continue
        figure.add_trace(
            go.Scatter(
                x=[positions[n][0] for n, _ in chosen],
                y=[positions[n][1] for n, _ in chosen],
                mode="markers+text",
                text=[f"{n} · {d.get('unit', '')}" for n, d in chosen],
                textposition="top center",
                marker={
                    "size": 24 if inspection else 22,
                    "symbol": "diamond" if inspection else "circle",
                    "color": [colours[d.get("unit", "")] for _, d in chosen],
                    "line": {"width": 1, "color": "white"},
                },
                hovertext=[
                    f"{n} · {d.get('unit', '')}<br>{d.get('category', '')}"
                    + (f"<br>{inspection_label}" if inspection else "")
                    for n, d in chosen
                ],
                hoverinfo="text",
                showlegend=False,
                name="operations",
            )
        )
    layers = max((x for x, _ in positions.values()), default=0)
    figure.update_layout(
        xaxis={"visible": False, "range": [-0.5, layers + 0.5]},
        yaxis={"visible": False},
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        height=max(320, 90 * (1 + max((abs(y) for _, y in positions.values()), default=0) * 2)),
        plot_bgcolor="white",
    )
    return figure

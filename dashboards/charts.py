"""Plotly figures built from plain data returned by the services."""

from __future__ import annotations

import networkx as nx
import plotly.graph_objects as go

from routing.layout import flow_positions


def supply_graph_figure(S: nx.DiGraph, weight_label: str = "transitions") -> go.Figure:
    """Draw the unit supply graph upstream (left) to downstream (right).

    Edge width grows with the number of operation transitions; hovering an
    edge's midpoint shows the weight and the parts behind it.
    """
    positions = flow_positions(S)
    figure = go.Figure()
    heaviest = max((d["weight"] for *_, d in S.edges(data=True)), default=1)
    mid_x, mid_y, mid_text = [], [], []
    for u, v, data in S.edges(data=True):
        (x0, y0), (x1, y1) = positions[u], positions[v]
        figure.add_trace(
            go.Scatter(
                x=[x0, x1],
                y=[y0, y1],
                mode="lines",
                line={"width": 1 + 6 * data["weight"] / heaviest, "color": "#8aa1b8"},
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
            arrowwidth=1,
            arrowcolor="#8aa1b8",
            standoff=14,
            text="",
        )
        mid_x.append((x0 + x1) / 2)
        mid_y.append((y0 + y1) / 2)
        text = f"{u} → {v}<br>{weight_label}: {data['weight']:g}"
        if data.get("parts"):
            text += "<br>parts: " + ", ".join(data["parts"][:8])
            text += " …" if len(data["parts"]) > 8 else ""
        mid_text.append(text)
    figure.add_trace(
        go.Scatter(
            x=mid_x,
            y=mid_y,
            mode="markers",
            marker={"size": 6, "color": "#8aa1b8"},
            hovertext=mid_text,
            hoverinfo="text",
            showlegend=False,
            name="supply",
        )
    )
    nodes = list(S.nodes(data=True))
    figure.add_trace(
        go.Scatter(
            x=[positions[n][0] for n, _ in nodes],
            y=[positions[n][1] for n, _ in nodes],
            mode="markers+text",
            text=[n for n, _ in nodes],
            textposition="top center",
            marker={"size": 22, "color": "#2f6f9f", "line": {"width": 1, "color": "white"}},
            hovertext=[f"{n} {d.get('name', '')}<br>{d.get('kind', '')}" for n, d in nodes],
            hoverinfo="text",
            showlegend=False,
            name="units",
        )
    )
    figure.update_layout(
        xaxis={"visible": False},
        yaxis={"visible": False},
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        height=520,
        plot_bgcolor="white",
    )
    return figure

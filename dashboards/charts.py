"""Plotly figures built from plain data returned by the services."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

import networkx as nx
import plotly.graph_objects as go
from plotly.colors import qualitative

from dashboards.i18n import listing, number, quantity
from routing.layout import flow_positions

EDGE = "#8aa1b8"
ARROWS = 120  # edges up to which each gets an arrowhead (here and on the dashboard's map)
UNIT_COLOURS = qualitative.Plotly + qualitative.Safe


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


def _segments(
    x: Sequence[str], y: Sequence[float | None], closed: Sequence[bool]
) -> tuple[tuple[list, list], tuple[list, list]]:
    """The line's segments between two closed months (solid) and those reaching an open
    month (dotted), each as x and y lists broken by None; a month without a value breaks both.

    >>> _segments(["Jan", "Feb", "Mar"], [1.0, 2.0, 3.0], [True, True, False])
    ((['Jan', 'Feb'], [1.0, 2.0]), (['Feb', 'Mar'], [2.0, 3.0]))
    >>> _segments(["Jan", "Feb", "Mar", "Apr"], [1.0, 2.0, None, 4.0], [True, False, True, True])
    (([], []), (['Jan', 'Feb'], [1.0, 2.0]))
    """
    solid: tuple[list, list] = ([], [])
    dotted: tuple[list, list] = ([], [])
    for i in range(len(x) - 1):
        if y[i] is None or y[i + 1] is None:
            continue
        xs, ys = solid if closed[i] and closed[i + 1] else dotted
        if not xs or xs[-1] != x[i]:
            if xs:
                xs.append(None)
                ys.append(None)
            xs.append(x[i])
            ys.append(y[i])
        xs.append(x[i + 1])
        ys.append(y[i + 1])
    return solid, dotted


def month_line(
    x: Sequence[str],
    y: Sequence[float | None],
    closed: Sequence[bool],
    hover: Sequence[str],
    provisional: str,
    line: dict,
    name: str,
    legendgroup: str | None = None,
    showlegend: bool = True,
) -> list[go.Scatter]:
    """A line over months that tells an open month (a preview, computed now) from the closed
    ones: solid between closed months, dotted along a segment reaching an open month, whose
    marker is hollow and whose ``hover`` text ends with ``provisional``. Three traces: the
    solid line (with the legend entry), the dotted one and the markers with the hover."""
    colour = line.get("color")
    solid, dotted = _segments(x, y, closed)
    group = legendgroup or name
    return [
        go.Scatter(
            x=solid[0] or [None],
            y=solid[1] or [None],
            mode="lines",
            line=line,
            name=name,
            legendgroup=group,
            showlegend=showlegend,
            hoverinfo="skip",
        ),
        go.Scatter(
            x=dotted[0],
            y=dotted[1],
            mode="lines",
            line=line | {"dash": "dot"},
            name=name,
            legendgroup=group,
            showlegend=False,
            hoverinfo="skip",
        ),
        go.Scatter(
            x=list(x),
            y=list(y),
            mode="markers",
            marker={
                "symbol": ["circle" if c else "circle-open" for c in closed],
                "size": 8,
                "color": colour,
                "line": {"width": 2, "color": colour},
            },
            name=name,
            legendgroup=group,
            showlegend=False,
            hovertext=[
                text if c else f"{text}<br>{provisional}"
                for text, c in zip(hover, closed, strict=True)
            ],
            hoverinfo="text",
        ),
    ]


def feedback_trend_figure(
    months: Sequence[str],
    closed: Sequence[bool],
    customers: dict[str, dict[str, float]],
    satisfaction: dict[str, float | None],
    targets: dict[str, float],
    t: Callable[..., str],
    lang: str,
) -> go.Figure:
    """The feedback page's trend: each customer's form score per month (``customers``), the
    unit's satisfaction (dashed) and its target (dotted) over ``months``; an open month
    (``closed`` False) drawn as provisional (``month_line``)."""
    figure = go.Figure()
    series = [
        (customer, scores, {"color": UNIT_COLOURS[i % len(UNIT_COLOURS)], "width": 2})
        for i, (customer, scores) in enumerate(sorted(customers.items()))
    ]
    if any(value is not None for value in satisfaction.values()):
        line = {"width": 4, "color": "#1f2d3d", "dash": "dash"}
        series.append((t("feedback.satisfaction"), satisfaction, line))
    for name, values, line in series:
        y = [values.get(m) for m in months]
        figure.add_traces(
            month_line(
                months,
                y,
                closed,
                [f"{name}<br>{m}: {number(v, lang, 1)}" for m, v in zip(months, y, strict=True)],
                t("chart.provisional"),
                line,
                name,
            )
        )
    if targets:
        figure.add_trace(
            go.Scatter(
                x=list(months),
                y=[targets.get(m) for m in months],
                mode="lines",
                name=t("feedback.target"),
                line={"width": 1, "color": "#c0392b", "dash": "dot"},
            )
        )
    figure.update_layout(
        xaxis={"type": "category", "title": t("sidebar.month")},
        yaxis={"range": [0, 105], "title": t("feedback.axis_score")},
        legend={"orientation": "h", "x": 0, "y": 1.12},
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        height=420,
    )
    return figure


def supply_graph_figure(
    S: nx.DiGraph, t: Callable[..., str], lang: str, weight_label: str | None = None
) -> go.Figure:
    """Draw the unit supply graph upstream (left) to downstream (right).

    Edge width grows with the number of operation transitions; hovering an
    edge's midpoint shows the weight (named ``weight_label``, operation transitions unless
    told, written in full: ``i18n.quantity``) and the parts behind it, hovering a unit its
    name and kind, in the language of ``t``. Each edge has an
    arrowhead up to ``ARROWS`` edges; beyond, the upstream-left layout tells the
    direction.

    The traces and annotations are collected first and the figure is built once, edges
    of the same width sharing one line trace: adding them one by one re-validates the
    whole figure each time, which took minutes for a plant of 60 units and 1,700 edges.

    >>> G = nx.DiGraph([("A", "B", {"weight": 2}), ("B", "C", {"weight": 1})])
    >>> figure = supply_graph_figure(G, lambda key, **values: key, "en")
    >>> [trace.name for trace in figure.data], len(figure.layout.annotations)
    (['edges', 'edges', 'supply', 'units'], 2)
    """
    label = weight_label or t("plant.transitions")
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
        text = f"{u} → {v}<br>" + t(
            "plant.hover.weight", label=label, value=quantity(data["weight"], lang)
        )
        if data.get("parts"):
            parts = listing(data["parts"][:8], lang) + (" …" if len(data["parts"]) > 8 else "")
            text += "<br>" + t("plant.hover.parts", parts=parts)
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
    kinds = {n: t(f"unit.kind.{d['kind']}") if "kind" in d else "" for n, d in nodes}
    traces.append(
        {
            "type": "scatter",
            "x": [positions[n][0] for n, _ in nodes],
            "y": [positions[n][1] for n, _ in nodes],
            "mode": "markers+text",
            "text": [n for n, _ in nodes],
            "textposition": "top center",
            "marker": {"size": 22, "color": "#2f6f9f", "line": {"width": 1, "color": "white"}},
            "hovertext": [f"{n} {d.get('name', '')}<br>{kinds[n]}" for n, d in nodes],
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

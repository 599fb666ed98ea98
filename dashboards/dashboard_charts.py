"""Plotly figures of the executive dashboard, drawn from ``noac.services.dashboard`` data.

Each builder takes the service's plain data, ``t`` (the page's text function, so every label
is in the user's language) and ``lang``; it draws and computes nothing of its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date
from functools import cache

import networkx as nx
import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

from dashboards.charts import ARROWS, UNIT_COLOURS, arrowhead, month_line
from dashboards.i18n import flag_text, listing, number, signed, target_text
from noac.services.dashboard import (
    GREEN_FROM,
    RED_BELOW,
    Actions,
    Matrix,
    Pareto,
    SupplyMap,
    Trends,
    UnitDetail,
    UnitMonth,
)
from routing.layout import flow_positions

Text = Callable[..., str]

BAND_COLOURS = {"red": "#d64541", "amber": "#f0a830", "green": "#2e9e5b"}
NO_DATA = "#9aa5b1"
MISSING = "#c9ced6"
SCORE_SCALE = "RdYlGn"
SCORE_RANGE = (40.0, 100.0)
STATE_COLOURS = {"overdue": "#d64541", "due": "#f0a830", "no-deadline": "#8aa1b8"}
FONT = "Source Sans Pro, Noto Sans CJK SC, sans-serif"


def chart_config(name: str) -> dict:
    """The plotly config of every chart: PNG download named after the chart, no logo.

    >>> chart_config("ranking")["toImageButtonOptions"]["filename"]
    'noac-ranking'
    """
    return {
        "displaylogo": False,
        "responsive": True,
        "toImageButtonOptions": {"format": "png", "filename": f"noac-{name}", "scale": 2},
        "modeBarButtonsToRemove": ["lasso2d", "select2d"],
    }


@cache
def score_colour(score: float) -> str:
    """The colour of a form score on the red-yellow-green scale (40 and below red); the map
    asks it for whole scores, thousands of times.

    >>> score_colour(100.0), score_colour(10.0)
    ('rgb(0, 104, 55)', 'rgb(165, 0, 38)')
    """
    low, high = SCORE_RANGE
    position = min(max((score - low) / (high - low), 0.0), 1.0)
    return sample_colorscale(SCORE_SCALE, [position])[0]


def edge_curve(
    start: tuple[float, float], end: tuple[float, float], points: int = 17
) -> list[tuple[float, float]]:
    """Points of an edge drawn as a quadratic curve: straight between neighbouring layers,
    arching above for an edge that skips layers (higher the more it skips) and below for
    an edge drawn backwards (a rework loop), so no edge runs through a unit.

    >>> edge_curve((0.0, 0.0), (1.0, 0.0), 3)
    [(0.0, 0.0), (0.5, 0.0), (1.0, 0.0)]
    >>> [round(y, 2) for _, y in edge_curve((0.0, 0.0), (3.0, 0.0), 3)]
    [0.0, 0.28, 0.0]
    """
    (x0, y0), (x2, y2) = start, end
    span = abs(x2 - x0)
    if x2 > x0:
        lift = min(0.14 * (span - 1), 1.4) if span > 1 else 0.0
    else:
        lift = -(0.3 + 0.15 * span)
    x1, y1 = (x0 + x2) / 2, (y0 + y2) / 2 + 2 * lift
    curve = []
    for i in range(points):
        s = i / (points - 1)
        curve.append(
            (
                (1 - s) ** 2 * x0 + 2 * (1 - s) * s * x1 + s**2 * x2,
                (1 - s) ** 2 * y0 + 2 * (1 - s) * s * y1 + s**2 * y2,
            )
        )
    return curve


def label_margin(labels: Sequence[str], title: bool = False) -> int:
    """Pixels the axis labels (and the axis title) take beside a chart, so the chart is laid
    out once: plotly's ``automargin`` lays it out a second time, a fifth of a large chart's
    drawing. CJK characters count double.

    >>> label_margin(["MACH", "ASSY-1"]), label_margin(["装配"], title=True)
    (52, 58)
    """
    widest = max((sum(14 if ord(c) >= 0x2E80 else 7 for c in label) for label in labels), default=0)
    return widest + 10 + (20 if title else 0)


def _layout(figure: go.Figure, height: int, **extra) -> go.Figure:
    figure.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 30, "b": 10} | extra.pop("margin", {}),
        font={"family": FONT},
        plot_bgcolor="white",
        hoverlabel={"font": {"family": FONT}},
        **extra,
    )
    return figure


def month_tick(month: str, lang: str) -> str:
    """A month short enough for an axis.

    >>> month_tick("2026-03", "en"), month_tick("2026-03", "zh")
    ('Mar 26', '26年3月')
    """
    year, number_ = int(month[:4]), int(month[5:])
    if lang == "zh":
        return f"{year % 100:02d}年{number_}月"
    return f"{date(year, number_, 1):%b %y}"


def _k(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


def ranking_label(unit: UnitMonth) -> str:
    """A ranking bar's axis label: the unit and its K as stored (4 decimals), so every K reads
    without hovering, as on the map.

    >>> ranking_label(
    ...     UnitMonth("2026-03", "MACH", "", None, 90.0, 0.9325, 0, 0, 0, 0, 0, 0, 0, 0, True)
    ... )
    'MACH · 0.9325'
    """
    return f"{unit.unit} · {_k(unit.coefficient)}"


def ranking_figure(ranking: Sequence[UnitMonth], t: Text, lang: str) -> go.Figure:
    """Horizontal bars of K from 1.0, highest on top, coloured by band, with the target
    line (K = 1.0) and the alert line (K = 0.9); each bar's ``customdata`` is its unit.

    Each K is written in its bar's axis label rather than beside the bar: the browser lays
    out one text per unit instead of two, and draws the chart in about 30 % less time."""
    units = list(reversed(ranking))
    codes = [u.unit for u in units]
    labels = [ranking_label(u) for u in units]
    figure = go.Figure(
        go.Bar(
            y=codes,
            x=[u.coefficient - 1.0 for u in units],
            base=1.0,
            orientation="h",
            marker={"color": [BAND_COLOURS[u.band] for u in units]},
            customdata=codes,
            hovertext=[
                "<br>".join(
                    [
                        f"<b>{u.unit}</b> {u.unit_name}",
                        f"K {_k(u.coefficient)}",
                        t(
                            "dash.hover.satisfaction",
                            value=number(u.satisfaction, lang, 1),
                            target=target_text(u.target),
                        ),
                        t("dash.hover.penalty", value=number(u.penalty_points, lang, 2)),
                    ]
                    + (
                        [listing((flag_text(f, "name", lang) for f in u.flags), lang)]
                        if u.flags
                        else []
                    )
                )
                for u in units
            ],
            hoverinfo="text",
            name="K",
        )
    )
    low = min([u.coefficient for u in units] + [RED_BELOW]) - 0.03
    high = max([u.coefficient for u in units] + [GREEN_FROM]) + 0.03
    for x, colour, key in (
        (GREEN_FROM, "#2e9e5b", "dash.ranking.target"),
        (RED_BELOW, "#d64541", "dash.ranking.alert"),
    ):
        figure.add_vline(
            x=x,
            line={"color": colour, "dash": "dash", "width": 1.5},
            annotation={"text": t(key), "font": {"color": colour, "size": 11}},
            annotation_position="top",
        )
    return _layout(
        figure,
        max(300, 60 + 26 * len(units)),
        xaxis={"range": [low, high], "title": t("dash.axis.coefficient"), "gridcolor": "#eee"},
        yaxis={"type": "category", "tickvals": codes, "ticktext": labels},
        margin={"l": label_margin(labels)},
        showlegend=False,
        clickmode="event+select",
        dragmode=False,
    )


def supply_map_figure(data: SupplyMap, t: Text, lang: str) -> go.Figure:
    """The units upstream (left) to downstream (right): nodes coloured by K's band, edges
    coloured by the customer's form score (grey, dotted: no form) and as thick as the
    volume. Hovering a node or an edge's midpoint shows the numbers; a node's
    ``customdata`` is its unit.

    The traces and annotations are collected first and the figure is built once: adding
    them one by one re-validates the whole figure each time.
    """
    graph = nx.DiGraph()
    graph.add_nodes_from(n.unit for n in data.nodes)
    graph.add_edges_from((e.supplier, e.customer, {"weight": e.volume}) for e in data.edges)
    positions = flow_positions(graph)
    names = {n.unit: n.unit_name for n in data.nodes}
    heaviest = max((e.volume for e in data.edges), default=1.0) or 1.0
    traces: list[dict] = []
    annotations: list[dict] = []
    arrows: list[dict] = []
    # edges of the same look share one line trace (a large plant has hundreds of edges)
    lines: dict[tuple[str, float], tuple[list, list]] = defaultdict(lambda: ([], []))
    mid_x, mid_y, mid_text, mid_colour = [], [], [], []
    for e in data.edges:
        curve = edge_curve(positions[e.supplier], positions[e.customer])
        colour = MISSING if e.form is None else score_colour(round(e.form))
        xs, ys = lines[(colour, round(1.5 + 7 * e.volume / heaviest))]
        xs += [*(x for x, _ in curve), None]
        ys += [*(y for _, y in curve), None]
        arrows.append(arrowhead(curve[-3], curve[-1], colour, width=1.5, standoff=13))
        middle = curve[len(curve) // 2]
        mid_x.append(middle[0])
        mid_y.append(middle[1])
        mid_colour.append(colour)
        score = (
            t("dash.hover.no_form")
            if e.form is None
            else t("dash.hover.form", value=number(e.form, lang, 1))
        )
        mid_text.append(
            f"<b>{e.supplier} → {e.customer}</b><br>{names.get(e.supplier, '')} →"
            f" {names.get(e.customer, '')}<br>"
            + t("dash.hover.volume", value=number(e.volume, lang, 0))
            + f"<br>{score}"
        )
    for (colour, width), (xs, ys) in lines.items():
        traces.append(
            {
                "type": "scatter",
                "x": xs,
                "y": ys,
                "mode": "lines",
                "line": {
                    "width": width,
                    "color": colour,
                    "dash": "dot" if colour == MISSING else "solid",
                },
                "hoverinfo": "skip",
                "showlegend": False,
            }
        )
    # arrowheads for a readable map; beyond, the upstream-left layout tells the direction
    if len(arrows) <= ARROWS:
        annotations += arrows
    traces.append(
        {
            "type": "scatter",
            "x": mid_x,
            "y": mid_y,
            "mode": "markers",
            "marker": {"size": 9, "color": mid_colour, "line": {"width": 1, "color": "white"}},
            "hovertext": mid_text,
            "hoverinfo": "text",
            "showlegend": False,
            "name": "edges",
        }
    )
    nodes = data.nodes
    traces.append(
        {
            "type": "scatter",
            "x": [positions[n.unit][0] for n in nodes],
            "y": [positions[n.unit][1] for n in nodes],
            "mode": "markers",
            "customdata": [n.unit for n in nodes],
            "marker": {
                "size": 24,
                "color": [BAND_COLOURS[n.band] if n.band else NO_DATA for n in nodes],
                "line": {"width": 1.5, "color": "white"},
            },
            "hovertext": [
                f"<b>{n.unit}</b> {n.unit_name}<br>K {_k(n.coefficient)}<br>"
                + t("dash.hover.satisfaction_only", value=number(n.satisfaction, lang, 1))
                for n in nodes
            ],
            "hoverinfo": "text",
            "showlegend": False,
            "name": "units",
        }
    )
    for n in nodes:
        x, y = positions[n.unit]
        annotations.append(
            {
                "x": x,
                "y": y,
                "text": f"<b>{n.unit}</b> {_k(n.coefficient)}",
                "showarrow": False,
                "yshift": 19 if round(x) % 2 == 0 else -19,
                "font": {"size": 11, "color": "#222"},
                "bgcolor": "rgba(255,255,255,0.85)",
                "borderpad": 1,
            }
        )
    for band_name, label in (
        ("green", t("dash.legend.green")),
        ("amber", t("dash.legend.amber")),
        ("red", t("dash.legend.red")),
    ):
        traces.append(
            {
                "type": "scatter",
                "x": [None],
                "y": [None],
                "mode": "markers",
                "marker": {"size": 12, "color": BAND_COLOURS[band_name]},
                "name": label,
            }
        )
    traces.append(
        {
            "type": "scatter",
            "x": [None],
            "y": [None],
            "mode": "markers",
            "marker": {
                "colorscale": SCORE_SCALE,
                "cmin": SCORE_RANGE[0],
                "cmax": SCORE_RANGE[1],
                "color": [SCORE_RANGE[0]],
                "showscale": True,
                "colorbar": {"title": {"text": t("dash.axis.form")}, "thickness": 12, "len": 0.6},
            },
            "hoverinfo": "skip",
            "showlegend": False,
        }
    )
    xs = [p[0] for p in positions.values()] or [0.0]
    ys = [y for _, y in positions.values()] + mid_y or [0.0]
    figure = go.Figure(data=traces, layout={"annotations": annotations})
    return _layout(
        figure,
        max(440, 80 * (max(ys) - min(ys) + 2)),
        xaxis={"visible": False, "range": [min(xs) - 0.5, max(xs) + 0.5]},
        yaxis={"visible": False, "range": [min(ys) - 0.6, max(ys) + 0.6]},
        legend={"orientation": "h", "yanchor": "top", "y": -0.02, "x": 0},
        clickmode="event+select",
        dragmode=False,
    )


MATRIX_NUMBERS = 900  # cells up to which each cell shows its number; beyond, hover shows it


def matrix_figure(data: Matrix, t: Text, lang: str) -> go.Figure:
    """Supplier (rows, upstream on top) x customer (columns) heatmap of the form scores;
    cells owed a form without one are grey with a cross, pairs without supply are empty.
    A large plant's matrix shows the numbers on hover only: they would not be readable, and
    drawing thousands of labels slows the page down."""
    rows, columns = data.suppliers, data.customers
    small = len(rows) * len(columns) <= MATRIX_NUMBERS
    numbers = "%{text}" if small else None
    gap = 2 if small else 0  # without gaps plotly draws a large matrix as one small image
    row_at = {u: i for i, u in enumerate(rows)}
    column_at = {u: j for j, u in enumerate(columns)}
    scores = [[None] * len(columns) for _ in rows]
    labels = [[""] * len(columns) for _ in rows]
    missing = [[None] * len(columns) for _ in rows]
    missing_text = [[""] * len(columns) for _ in rows]
    hover = [[""] * len(columns) for _ in rows]
    for cell in data.cells:
        i, j = row_at[cell.supplier], column_at[cell.customer]
        pair = t("dash.hover.pair", supplier=cell.supplier, customer=cell.customer)
        if cell.status == "scored":
            scores[i][j] = cell.form
            labels[i][j] = number(cell.form, lang, 0)
            hover[i][j] = f"{pair}<br>" + t("dash.hover.form", value=number(cell.form, lang, 1))
        else:
            missing[i][j] = 1
            missing_text[i][j] = "✕" if cell.status == "missing" else "…"
            status = (
                t("dash.matrix.missing")
                if cell.status == "missing"
                else t("dash.matrix.incomplete")
            )
            hover[i][j] = f"{pair}<br>{status}"
    figure = go.Figure()
    figure.add_trace(
        go.Heatmap(
            z=scores,
            x=columns,
            y=rows,
            text=labels,
            texttemplate=numbers,
            hovertext=hover,
            hoverinfo="text",
            colorscale=SCORE_SCALE,
            zmin=SCORE_RANGE[0],
            zmax=SCORE_RANGE[1],
            colorbar={"title": {"text": t("dash.axis.form")}, "thickness": 12},
            xgap=gap,
            ygap=gap,
        )
    )
    figure.add_trace(
        go.Heatmap(
            z=missing,
            x=columns,
            y=rows,
            text=missing_text,
            texttemplate=numbers,
            textfont={"color": "#444", "size": 14},
            hovertext=hover,
            hoverinfo="text",
            colorscale=[[0, MISSING], [1, MISSING]],
            showscale=False,
            xgap=gap,
            ygap=gap,
        )
    )
    return _layout(
        figure,
        max(320, 90 + 30 * len(rows)),
        xaxis={
            "title": t("dash.axis.customer"),
            "side": "top",
            "type": "category",
            "tickangle": -45,
        },
        yaxis={"title": t("dash.axis.supplier"), "autorange": "reversed", "type": "category"},
        margin={"l": label_margin(rows, title=True)},
    )


def trends_figure(
    data: Trends, units: Sequence[str], names: dict[str, str], t: Text, lang: str
) -> go.Figure:
    """S (top) and K (bottom) per chosen unit over the window; a star marks a month in
    which a corrective action of the unit was closed, its problems listed on hover. An open
    month is a preview: its marker hollow, its segment dotted, its hover says so."""
    figure = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        subplot_titles=(t("dash.axis.satisfaction"), t("dash.axis.coefficient")),
    )
    categories = [month_tick(m, lang) for m in data.months]
    for index, unit in enumerate(units):
        colour = UNIT_COLOURS[index % len(UNIT_COLOURS)]
        points = data.of(unit)
        x = [month_tick(p.month, lang) for p in points]
        for row, values, digits in (
            (1, [p.satisfaction for p in points], 1),
            (2, [p.coefficient for p in points], 4),
        ):
            figure.add_traces(
                month_line(
                    x,
                    values,
                    [p.closed for p in points],
                    [
                        f"{unit} {names.get(unit, '')}<br>{tick}: {number(value, lang, digits)}"
                        for tick, value in zip(x, values, strict=True)
                    ],
                    t("chart.provisional"),
                    {"color": colour, "width": 2},
                    unit,
                    showlegend=row == 1,
                ),
                rows=row,
                cols=1,
            )
            marked = [(p, v) for p, v in zip(points, values, strict=True) if p.actions_closed]
            if marked:
                figure.add_trace(
                    go.Scatter(
                        x=[month_tick(p.month, lang) for p, _ in marked],
                        y=[v for _, v in marked],
                        mode="markers",
                        marker={
                            "symbol": "star",
                            "size": 15,
                            "color": colour,
                            "line": {"width": 1, "color": "#333"},
                        },
                        name=t("dash.trends.action_closed"),
                        legendgroup=unit,
                        showlegend=False,
                        hovertext=[
                            f"{unit}: "
                            + t("dash.trends.closed_refs", refs=listing(p.actions_closed, lang))
                            for p, _ in marked
                        ],
                        hoverinfo="text",
                    ),
                    row=row,
                    col=1,
                )
    figure.add_trace(
        go.Scatter(
            x=[None],
            y=[None],
            mode="markers",
            marker={"symbol": "star", "size": 13, "color": "#777"},
            name=t("dash.trends.action_closed"),
        ),
        row=1,
        col=1,
    )
    figure.add_hline(y=GREEN_FROM, line={"color": "#2e9e5b", "dash": "dash", "width": 1}, row=2)
    figure.update_xaxes(type="category", categoryorder="array", categoryarray=categories)
    figure.update_xaxes(range=[-0.5, len(categories) - 0.5])
    figure.update_yaxes(gridcolor="#eee")
    return _layout(
        figure,
        560,
        legend={"orientation": "h", "yanchor": "bottom", "y": -0.22, "x": 0},
        hovermode="closest",
    )


def pareto_figure(
    pareto: Pareto, measure: str, t: Text, lang: str, none_label: str, limit: int = 9
) -> go.Figure:
    """Bars largest first with the cumulative percentage (right axis); beyond ``limit``
    bars the rest is summed into one "others" bar. The hover's numbers round a half away
    from zero, as the exports do (``number``), not by plotly's format."""
    ranked = pareto.ranked(measure)
    if len(ranked) > limit:
        rest = ranked[limit - 1 :]
        ranked = [
            *ranked[: limit - 1],
            (t("dash.pareto.others"), sum(v for _, v, _ in rest), 100.0),
        ]
    keys = [none_label if key is None else key for key, _, _ in ranked]
    values = [value for _, value, _ in ranked]
    digits = 0 if measure == "cost" else 1
    axis = t("dash.pareto.cost") if measure == "cost" else t("dash.pareto.count")
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    figure.add_trace(
        go.Bar(
            x=keys,
            y=values,
            marker={"color": "#2f6f9f"},
            name=axis,
            hovertext=[
                f"{key}: {number(value, lang, digits)}"
                for key, value in zip(keys, values, strict=True)
            ],
            hovertemplate="%{hovertext}<extra></extra>",
        ),
        secondary_y=False,
    )
    figure.add_trace(
        go.Scatter(
            x=keys,
            y=[cumulative for _, _, cumulative in ranked],
            mode="lines+markers",
            line={"color": "#d08a3c"},
            name=t("dash.pareto.cumulative"),
            hovertext=[
                f"{key}: {number(cumulative, lang, 0)}%"
                for key, (_, _, cumulative) in zip(keys, ranked, strict=True)
            ],
            hovertemplate="%{hovertext}<extra></extra>",
        ),
        secondary_y=True,
    )
    figure.update_yaxes(title_text=axis, gridcolor="#eee", secondary_y=False)
    figure.update_yaxes(
        range=[0, 105],
        tickvals=[0, 20, 40, 60, 80, 100],
        ticktext=["0%", "20%", "40%", "60%", "80%", "100%"],
        showgrid=False,
        secondary_y=True,
    )
    figure.update_xaxes(type="category", tickangle=-40)
    return _layout(
        figure,
        360,
        showlegend=False,
        bargap=0.25,
    )


def ageing_figure(data: Actions, t: Text, lang: str) -> go.Figure:
    """Open problems by age since found (days), stacked by overdue / due / no deadline."""
    ageing = data.ageing()
    names = {
        "overdue": t("dash.actions.overdue"),
        "due": t("dash.actions.due"),
        "no-deadline": t("dash.actions.no_deadline"),
    }
    figure = go.Figure()
    for state in ("overdue", "due", "no-deadline"):
        figure.add_trace(
            go.Bar(
                x=[t("dash.actions.days", range=label) for label, _ in ageing],
                y=[counts[state] for _, counts in ageing],
                name=names[state],
                marker={"color": STATE_COLOURS[state]},
                hovertemplate="%{x}: %{y}<extra>%{fullData.name}</extra>",
            )
        )
    return _layout(
        figure,
        340,
        barmode="stack",
        xaxis={"title": t("dash.axis.age"), "type": "category"},
        yaxis={"title": t("dash.axis.open_problems"), "gridcolor": "#eee"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    )


def unit_scores_figure(detail: UnitDetail, t: Text, lang: str) -> go.Figure:
    """The unit's customers (rows) x criteria and form score (columns): each value as
    given, coloured by its position on the criterion's scale; grey rows: no form."""
    criteria = detail.criteria
    columns = [c.name_zh if lang == "zh" else c.name_en for c in criteria] + [t("dash.axis.form")]
    rows = [s.customer for s in detail.scores]
    z, text, hover = [], [], []
    grey, grey_text = [], []
    for s in detail.scores:
        z_row, text_row, hover_row = [], [], []
        for c, column in zip(criteria, columns, strict=False):
            value = s.values.get(c.code)
            z_row.append(None if value is None else 100 * (value - c.min) / (c.max - c.min))
            text_row.append("" if value is None else str(value))
            comment = s.comments.get(c.code, "")
            hover_row.append(
                f"{s.customer} {s.customer_name}<br>{column}: "
                + ("—" if value is None else f"{value} ({c.min}–{c.max})")
                + (f"<br>{comment[:120]}" if comment else "")
            )
        z_row.append(s.form)
        text_row.append("" if s.form is None else number(s.form, lang, 1))
        hover_row.append(
            f"{s.customer} {s.customer_name}<br>"
            + (
                t("dash.hover.no_form")
                if s.form is None
                else t("dash.hover.form", value=number(s.form, lang, 1))
            )
            + (
                ""
                if s.volume is None
                else "<br>" + t("dash.hover.volume", value=number(s.volume, lang, 0))
            )
        )
        z.append(z_row)
        text.append(text_row)
        hover.append(hover_row)
        grey.append([1 if v is None else None for v in z_row])
        grey_text.append(["✕" if s.form is None and v is None else "" for v in z_row])
    figure = go.Figure()
    figure.add_trace(
        go.Heatmap(
            z=z,
            x=columns,
            y=rows,
            text=text,
            texttemplate="%{text}",
            hovertext=hover,
            hoverinfo="text",
            colorscale=SCORE_SCALE,
            zmin=SCORE_RANGE[0],
            zmax=SCORE_RANGE[1],
            xgap=2,
            ygap=2,
            showscale=False,
        )
    )
    figure.add_trace(
        go.Heatmap(
            z=grey,
            x=columns,
            y=rows,
            text=grey_text,
            texttemplate="%{text}",
            hovertext=hover,
            hoverinfo="text",
            colorscale=[[0, MISSING], [1, MISSING]],
            showscale=False,
            xgap=2,
            ygap=2,
        )
    )
    return _layout(
        figure,
        max(220, 110 + 34 * len(rows)),
        xaxis={"side": "top", "type": "category"},
        yaxis={"autorange": "reversed", "type": "category", "automargin": True},
    )


def decomposition_figure(history: Sequence[UnitMonth], t: Text, lang: str) -> go.Figure:
    """What moved K away from 1.0 month by month: the satisfaction term and the penalties
    (points / 100) stacked around the 1.0 line, with K itself as a line; the axis reads K.
    An open month is a preview, as in the trends (``month_line``): K's marker hollow, its
    segment dotted, its bars paler, its hovers say so."""
    x = [month_tick(h.month, lang) for h in history]
    closed = [h.closed for h in history]
    provisional = t("chart.provisional")
    parts = (
        ("dash.decomposition.satisfaction", [h.satisfaction_term for h in history], "#2f6f9f"),
        ("dash.decomposition.defects", [-h.defect_points / 100 for h in history], "#d64541"),
        ("dash.decomposition.overdue", [-h.overdue_points / 100 for h in history], "#f0a830"),
        ("dash.decomposition.escapes", [-h.escape_points / 100 for h in history], "#8e6bbf"),
        ("dash.decomposition.clamp", [h.clamp for h in history], "#9aa5b1"),
    )
    figure = go.Figure()
    for key, values, colour in parts:
        if not any(values):
            continue
        figure.add_trace(
            go.Bar(
                x=x,
                y=values,
                name=t(key),
                marker={"color": colour, "opacity": [1.0 if c else 0.45 for c in closed]},
                hovertext=[
                    f"{tick}: {signed(v, lang, 4)}" + ("" if c else f"<br>{provisional}")
                    for tick, v, c in zip(x, values, closed, strict=True)
                ],
                hovertemplate="%{hovertext}<extra>%{fullData.name}</extra>",
            )
        )
    figure.add_traces(
        month_line(
            x,
            [h.coefficient - 1.0 for h in history],
            closed,
            [
                f"{tick}: K {number(h.coefficient, lang, 4)}"
                for tick, h in zip(x, history, strict=True)
            ],
            provisional,
            {"color": "#222", "width": 2},
            "K",
        )
    )
    stacked = [
        (sum(v[i] for _, v, _ in parts if v[i] < 0), sum(v[i] for _, v, _ in parts if v[i] > 0))
        for i in range(len(history))
    ]
    low = min([s[0] for s in stacked] + [h.coefficient - 1 for h in history] + [0.0])
    high = max([s[1] for s in stacked] + [h.coefficient - 1 for h in history] + [0.0])
    step = 0.05 if high - low <= 0.4 else 0.1
    first = int(low / step) - 1
    ticks = [round(i * step, 4) for i in range(first, int(high / step) + 2)]
    figure.add_hline(y=0, line={"color": "#555", "width": 1})
    return _layout(
        figure,
        380,
        barmode="relative",
        xaxis={"type": "category"},
        yaxis={
            "title": t("dash.axis.coefficient"),
            "tickvals": ticks,
            "ticktext": [number(1 + v, lang, 2) for v in ticks],
            "gridcolor": "#eee",
        },
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    )

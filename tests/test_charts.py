"""The plant page's supply graph at a plant's size: every edge drawn and on hover, in few
traces; arrowheads while they stay readable. A part's routing: every edge once, its rework
and a traced path told apart. The dashboard's ranking: every unit's K in its label."""

from __future__ import annotations

from functools import partial

import networkx as nx

from dashboards import i18n
from dashboards.charts import ARROWS, feedback_trend_figure, supply_graph_figure
from dashboards.dashboard_charts import (
    decomposition_figure,
    matrix_figure,
    month_tick,
    pareto_figure,
    ranking_figure,
    trends_figure,
    unit_scores_figure,
)
from dashboards.masterdata_charts import BACKWARD, FORWARD, operation_graph_figure
from dashboards.routing_chart import EDGE, PATH, routing_figure
from dashboards.waterfall import waterfall_figure
from noac.services.coefficients import UnitResult
from noac.services.dashboard import (
    CriterionInfo,
    CustomerScores,
    Matrix,
    MatrixCell,
    Pareto,
    ParetoBar,
    TrendPoint,
    Trends,
    UnitDetail,
    UnitMonth,
)
from routing import Operation, operation_graph

EN = partial(i18n.t, lang="en")


def plant_graph(units: int, reach: int) -> nx.DiGraph:
    """Each unit supplies the ``reach`` units after it, with weights 1 to 17."""
    codes = [f"U{i:02d}" for i in range(units)]
    G = nx.DiGraph()
    for i, u in enumerate(codes):
        for j in range(i + 1, min(i + 1 + reach, units)):
            G.add_edge(u, codes[j], weight=(i * j) % 17 + 1, parts=[f"P{i}", f"P{j}"])
    return G


def test_a_plant_sized_supply_graph_shows_every_edge_in_a_trace_per_width():
    G = plant_graph(60, 30)
    assert G.number_of_edges() == 1335
    figure = supply_graph_figure(G, EN, "en")
    hover = next(trace for trace in figure.data if trace.name == "supply")
    assert len(hover.hovertext) == 1335
    # U03 → U05: weight 3 * 5 % 17 + 1 = 16 transitions
    assert "U03 → U05<br>transitions: 16<br>parts: P3, P5" in hover.hovertext
    lines = [trace for trace in figure.data if trace.name == "edges"]
    widths = [trace.line.width for trace in lines]
    assert len(widths) == len(set(widths)) == 17  # 17 weights, 1 + 6 * w / 17 each
    assert min(widths) == 1.4 and max(widths) == 7.0
    assert sum(trace.x.count(None) for trace in lines) == 1335
    assert len(figure.layout.annotations) == 0  # beyond ARROWS edges, no arrowheads


def test_a_small_supply_graph_has_an_arrowhead_per_edge():
    G = plant_graph(12, 20)
    assert G.number_of_edges() == 66 <= ARROWS
    figure = supply_graph_figure(G, EN, "en")
    heads = {(a.ax, a.ay, a.x, a.y) for a in figure.layout.annotations}
    assert len(heads) == 66


REWORK = [
    Operation("10", "STORE", "storage"),
    Operation("20", "SHEET", "bending", ("10",)),
    Operation("30", "QC", "inspection", ("20", "35"), inspection=True),
    Operation("35", "SHEET", "cutting", ("30",)),
    Operation("40", "ASSY", "assembly", ("30",)),
]


def _edges(trace) -> int:
    return list(trace.x).count(None)


def test_a_traced_routing_draws_each_edge_once_and_the_path_thick():
    figure = routing_figure(operation_graph(REWORK), EN, path=["20", "30", "40"], escapes=["30"])
    by_name = {}
    for trace in figure.data:
        by_name.setdefault(trace.name, []).append(trace)
    (path,) = by_name["path of the defect"]
    assert _edges(path) == 2  # 20 → 30 → 40
    plain = {trace.line.dash: _edges(trace) for trace in by_name["edges"]}
    assert plain == {"solid": 2, "dot": 1}  # 10 → 20 and one way of the loop; its way back
    heads = [(a.arrowcolor, a.arrowwidth) for a in figure.layout.annotations]
    assert sorted(heads) == [(EDGE, 1.5)] * 3 + [(PATH, 3)] * 2
    assert list(by_name["escape: inspection that let it through"][0].x) == [
        figure.data[-1].x[list(figure.data[-1].text).index("30 · QC")]
    ]


def test_a_part_s_operation_graph_draws_its_rework_edge_dashed():
    figure = operation_graph_figure(operation_graph(REWORK), EN)
    lines = {trace.name: trace for trace in figure.data if trace.mode == "lines"}
    assert (_edges(lines["edges"]), _edges(lines["rework"])) == (4, 1)
    assert lines["rework"].line.dash == "dash"
    colours = sorted(a.arrowcolor for a in figure.layout.annotations)
    assert colours == sorted([BACKWARD] + [FORWARD] * 4)


def test_the_ranking_writes_each_unit_s_k_in_its_label_highest_on_top():
    ranking = [
        UnitMonth("2026-03", code, code.title(), 90.0, 85.0, k, 1.0, 2, 0.0, 0, 0, 0, 0, 0.0, True)
        for code, k in (("WELD", 1.0425), ("MACH", 0.9), ("PAINT", 0.8005))
    ]
    figure = ranking_figure(ranking, lambda key, **values: key, "en")
    bars = figure.data[0]
    # plotly draws categories bottom up: the lowest K first
    assert list(bars.y) == list(bars.customdata) == ["PAINT", "MACH", "WELD"]
    assert list(figure.layout.yaxis.tickvals) == ["PAINT", "MACH", "WELD"]
    # K as stored, to 4 decimals: the map writes the same
    assert list(figure.layout.yaxis.ticktext) == [
        "PAINT · 0.8005",
        "MACH · 0.9000",
        "WELD · 1.0425",
    ]
    # bars start at K = 1.0: 0.8005 - 1 to the left, 1.0425 - 1 to the right
    assert bars.base == 1.0
    assert [round(x, 5) for x in bars.x] == [-0.1995, -0.1, 0.0425]
    assert bars.text is None
    # the axis holds the lowest and highest K with the target and alert lines, and the
    # labels' margin fits the widest label: 13 characters of 7 pixels and 10 to spare
    assert figure.layout.xaxis.range == (0.8005 - 0.03, 1.0425 + 0.03)
    assert figure.layout.margin.l == 14 * 7 + 10


def test_a_ranking_bar_names_its_unit_s_flags_in_the_reader_s_language():
    weld = ("2026-03", "WELD", "焊接分厂", None, 85.0, 1.0, 0.0, 0, 0.0, 0, 0, 0, 0, 0.0, True)
    flagged = UnitMonth(*weld, flags=["missing-forms", "no-scores"])
    figure = ranking_figure([flagged], partial(i18n.t, lang="zh"), "zh")
    # the month close page's names of the flags, not their codes
    assert figure.data[0].hovertext[0].endswith("<br>缺交评价表（作为评价单位）、无评分")


def _line(figure, name: str, index: int = 0) -> tuple:
    """The ``index``-th line named ``name``: its solid trace, its dotted (provisional) one and
    its markers."""
    traces = [trace for trace in figure.data if trace.name == name]
    solid, dotted, markers = traces[3 * index : 3 * index + 3]
    assert (solid.mode, dotted.mode, markers.mode) == ("lines", "lines", "markers")
    assert dotted.line.dash == "dot" and dotted.line.color == solid.line.color
    return solid, dotted, markers


def test_an_open_month_is_drawn_provisional_in_the_dashboard_s_trends():
    """March is still open (a preview computed now): its marker hollow, the segment from
    February dotted, its hover says so; January and February are closed."""
    points = [
        TrendPoint("WELD", month, s, k, closed)
        for month, s, k, closed in (
            ("2026-01", 80.0, 0.95, True),
            ("2026-02", 84.0, 0.99, True),
            ("2026-03", 86.0, 1.01, False),
        )
    ]
    data = Trends(["2026-01", "2026-02", "2026-03"], points)
    for lang, provisional in (("en", "open, provisional"), ("zh", "未结账，暂定")):
        figure = trends_figure(
            data, ["WELD"], {"WELD": "Welding"}, partial(i18n.t, lang=lang), lang
        )
        ticks = [month_tick(p.month, lang) for p in points]
        satisfaction, coefficient = _line(figure, "WELD", 0), _line(figure, "WELD", 1)
        for solid, dotted, markers in (satisfaction, coefficient):
            assert list(solid.x) == ticks[:2] and list(dotted.x) == ticks[1:]
            assert list(markers.marker.symbol) == ["circle", "circle", "circle-open"]
            assert [provisional in text for text in markers.hovertext] == [False, False, True]
        assert coefficient[2].hovertext[2] == f"WELD Welding<br>{ticks[2]}: 1.0100<br>{provisional}"


def test_an_open_month_is_drawn_provisional_in_the_feedback_trend():
    """February and April closed, March with no form from ASSY, May open."""
    months = ["2026-02", "2026-03", "2026-04", "2026-05"]
    figure = feedback_trend_figure(
        months,
        [True, True, True, False],
        {"ASSY": {"2026-02": 70.0, "2026-04": 75.0, "2026-05": 90.0}},
        {"2026-02": 70.0, "2026-03": 72.0, "2026-04": 75.0, "2026-05": 90.0},
        dict.fromkeys(months, 85.0),
        partial(i18n.t, lang="zh"),
        "zh",
    )
    solid, dotted, markers = _line(figure, "ASSY")
    # no line across March, which has no form; April to May dotted
    assert list(solid.x) == [None] and list(dotted.x) == ["2026-04", "2026-05"]
    assert list(markers.marker.symbol) == ["circle", "circle", "circle", "circle-open"]
    assert markers.hovertext[-1] == "ASSY<br>2026-05: 90.0<br>未结账，暂定"
    solid, dotted, _ = _line(figure, i18n.t("feedback.satisfaction", "zh"))
    assert solid.line.dash == "dash" and list(solid.x) == months[:3]
    assert list(dotted.x) == months[2:]


def test_the_supply_graph_writes_a_large_quantity_in_full():
    """1,234,567 pieces handed over, not 1.23457e+06; a service relation's weight 2.5 as 2.50."""
    G = nx.DiGraph([("STORE", "SHEET", {"weight": 1234567}), ("ENG", "ASSY", {"weight": 2.5})])
    figure = supply_graph_figure(G, EN, "en", weight_label="quantity")
    hover = next(trace for trace in figure.data if trace.name == "supply")
    assert list(hover.hovertext) == [
        "STORE → SHEET<br>quantity: 1,234,567",
        "ENG → ASSY<br>quantity: 2.50",
    ]


def test_a_chinese_reader_reads_the_supply_graph_in_chinese():
    """The hover of an edge names its measure and its parts, a unit's its kind, in Chinese."""
    G = nx.DiGraph([("STORE", "SHEET", {"weight": 3, "parts": ["P1", "P2"]})])
    G.add_node("STORE", name="Store", kind="store")
    G.add_node("SHEET", name="Sheet metal", kind="workshop")
    zh = partial(i18n.t, lang="zh")
    figure = supply_graph_figure(G, zh, "zh")
    hover = next(trace for trace in figure.data if trace.name == "supply")
    assert list(hover.hovertext) == ["STORE → SHEET<br>工序交接：3<br>零件：P1、P2"]
    units = next(trace for trace in figure.data if trace.name == "units")
    assert list(units.hovertext) == ["STORE Store<br>仓库", "SHEET Sheet metal<br>车间"]
    figure = supply_graph_figure(G, zh, "zh", weight_label=zh("plant.quantity"))
    hover = next(trace for trace in figure.data if trace.name == "supply")
    assert hover.hovertext[0].startswith("STORE → SHEET<br>数量：3<br>")


def test_the_routing_and_operation_graphs_name_their_markers_in_chinese():
    zh = partial(i18n.t, lang="zh")
    figure = routing_figure(operation_graph(REWORK), zh, path=["20", "30", "40"], escapes=["30"])
    legend = {trace.name for trace in figure.data if trace.showlegend}
    assert legend == {"缺陷路径", "工序", "检验工序", "漏检：放过缺陷的检验"}
    figure = operation_graph_figure(operation_graph(REWORK), zh)
    (qc,) = [text for trace in figure.data for text in trace.hovertext or () if "30 · QC" in text]
    assert qc.endswith("<br>检验")


def test_the_waterfall_writes_its_steps_rounded_a_half_away_from_zero():
    """1.125 defect points take -0.01125 from K: -0.0113 as K and the exports round it
    (Python's format gives -0.0112, the binary float being just below the half)."""
    result = UnitResult("HEAT", "", None, 0, 85.0, 0.0, 1.125, 0, 0, 1.125, 0.9888)
    figure = waterfall_figure(result, {}, "en")
    assert list(figure.data[0].text) == [
        "1.0000",
        "+0.0000",
        "-0.0113",
        "+0.0000",
        "+0.0000",
        "0.9888",
    ]


def test_the_unit_page_s_form_scores_and_the_matrix_round_a_half_away_from_zero():
    """A form score of 88.25 reads 88.3 in the unit's scores (Python's format: 88.2), and
    a matrix cell of 72.5 reads 73 (Python's format: 72)."""
    criterion = CriterionInfo("Q", "quality", "质量", 0, 10, 1.0)
    scores = CustomerScores("ASSY", "Assembly", 10.0, 88.25, {"Q": 8}, {})
    detail = UnitDetail("WELD", "Welding", "2026-03", True, [criterion], [scores], [], [])
    figure = unit_scores_figure(detail, EN, "en")
    assert list(figure.data[0].text[0]) == ["8", "88.3"]
    matrix = Matrix(["WELD"], ["ASSY"], [MatrixCell("WELD", "ASSY", "scored", 72.5)])
    assert matrix_figure(matrix, EN, "en").data[0].text[0][0] == "73"


def test_the_decomposition_hover_rounds_a_half_away_from_zero():
    """1.125 defect points: -0.0113 on hover, as the waterfall and the exports write it."""
    march = UnitMonth(
        "2026-03", "WELD", "", 85.0, 85.0, 0.9888, 1.0, 1, 0.0, 1.125, 0, 0, 1.125, 0, True
    )
    figure = decomposition_figure([march], EN, "en")
    defects = figure.data[0]
    *_, k = _line(figure, "K")
    assert list(defects.hovertext) == [f"{month_tick('2026-03', 'en')}: -0.0113"]
    assert list(k.hovertext) == [f"{month_tick('2026-03', 'en')}: K 0.9888"]


def test_the_pareto_hover_rounds_a_half_away_from_zero():
    """A defect code's 0.15 problems (shares of several units) read 0.2 on hover, as the
    exports write it; plotly's own number format writes 0.1, the binary float being just
    below the half. The cumulative share of D1, 1/1.15 = 86.96 %, reads 87 %."""
    pareto = Pareto("defect_code", [ParetoBar("D1", 1.0, 0), ParetoBar("D2", 0.15, 0)])
    bars, cumulative = pareto_figure(pareto, "count", EN, "en", "none").data
    assert list(bars.hovertext) == ["D1: 1.0", "D2: 0.2"]
    assert list(cumulative.hovertext) == ["D1: 87%", "D2: 100%"]


def test_an_open_month_is_drawn_provisional_in_the_unit_s_decomposition():
    """January and February closed, March open (a preview computed now): K's marker in March
    hollow, the segment from February dotted, its hover and its bars' say so, as in the
    trends."""
    history = [
        UnitMonth(month, "WELD", "", 85.0, 85.0, k, 1.0, 1, 0.0, points, 0, 0, points, 0, closed)
        for month, k, points, closed in (
            ("2026-01", 0.98, 2.0, True),
            ("2026-02", 0.97, 3.0, True),
            ("2026-03", 0.96, 4.0, False),
        )
    ]
    for lang, provisional in (("en", "open, provisional"), ("zh", "未结账，暂定")):
        figure = decomposition_figure(history, partial(i18n.t, lang=lang), lang)
        ticks = [month_tick(h.month, lang) for h in history]
        solid, dotted, markers = _line(figure, "K")
        assert list(solid.x) == ticks[:2] and list(dotted.x) == ticks[1:]
        assert list(markers.marker.symbol) == ["circle", "circle", "circle-open"]
        assert markers.hovertext[2] == f"{ticks[2]}: K 0.9600<br>{provisional}"
        assert [provisional in text for text in markers.hovertext] == [False, False, True]
        defects = figure.data[0]
        assert defects.name == {"en": "defects (points / 100)", "zh": "缺陷（扣分 / 100）"}[lang]
        assert list(defects.y) == [-0.02, -0.03, -0.04]
        assert [provisional in text for text in defects.hovertext] == [False, False, True]

"""Quality at a glance: the executive dashboard (executives, quality department, admins).

Every figure comes from ``noac.services.dashboard`` (the tests call the same functions);
this page only draws. It opens on the service's overview (status, tiles, ranking); each
other tab's data is read from its service function when the tab is first opened. Both are
cached per database, plant, month, data stamp and day (``data_stamp``: the audit trail,
which every change writes), so closing a month or any other change shows at the next run,
and the first visit after a change reads only what the open tab needs. They are kept as
objects shared by every run (``st.cache_resource``) and never changed here: a copy per run,
as ``st.cache_data`` makes, took a plant's dashboard 0.2 s to unpickle on every click. The
charts drawn from them are kept the same way, per language, and a chart's CSV is made only
when its button is clicked.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboards import dashboard_charts as charts
from dashboards.context import db, page_context, page_fragment, plain, t
from dashboards.i18n import (
    day,
    month_label,
    number,
    penalty_rows,
    severity_text,
    signed,
    target_text,
)
from noac.exports import csv_file
from noac.services import dashboard
from noac.services.coefficients import round_half_up
from noac.services.dashboard import Overview, UnitDetail, data_stamp, unit_detail, window_months
from noac.settings import get_settings

ctx = page_context()
lang = ctx.lang
UNIT_KEY = f"dash_unit_{ctx.plant.code}"
TAB_KEY = f"dash_tab_{ctx.plant.code}_{lang}"
TREND_KEY = f"dash_trend_units_{ctx.plant.code}"


@st.cache_resource(show_spinner=False, max_entries=256)
def _computed(name: str, key: tuple, _compute: Callable[..., object]):
    with db() as session:
        return _compute(session=session)


def _data(name: str, compute: Callable[..., object], **arguments):
    """What the service ``compute`` returns (given the session and plant besides
    ``arguments``): read when first asked for the dashboard's data key (``data_key``), then
    shared by every run."""
    return _computed(
        name,
        (*data_key, *sorted(arguments.items())),
        partial(compute, plant=ctx.plant, **arguments),
    )


def _csv(rows: Callable[[], list[dict]], name: str) -> None:
    """A download button for a chart's data as CSV (``noac.exports.csv_file``: Excel reads
    its Chinese, and a cell such as a unit named "=HYPERLINK(...)" stays text), made from
    ``rows`` when the button is clicked, not at every run."""
    st.download_button(
        t("dash.download_csv"),
        lambda: csv_file(rows()),
        file_name=f"noac-{ctx.plant.code}-{ctx.month}-{name}.csv",
        mime="text/csv",
        key=f"dash_csv_{name}",
        on_click="ignore",
        icon=":material/download:",
    )


@st.cache_resource(show_spinner=False, max_entries=256)
def _figure(name: str, key: tuple, _build: Callable[[], go.Figure]) -> go.Figure:
    return _build()


def _chart(name: str, build: Callable[[], go.Figure], *depends: object, **selection) -> None:
    """The chart ``name`` drawn by ``build``: built once for the data the dashboard was
    computed from (``data_key``), per language and what else it ``depends`` on, and shared by
    every run, which only reads it. Building a plant's matrix took a tenth of a second, every
    run."""
    key = (*data_key, lang, *depends)
    st.plotly_chart(
        _figure(name, key, build),
        width="stretch",
        key=f"dash_{name}",
        config=charts.chart_config(name),
        **selection,
    )


# On a phone the map and the matrix keep a readable width and scroll sideways.
PHONE_CSS = """<style>
@media (max-width: 640px) {
  .st-key-dash_map_scroll, .st-key-dash_matrix_scroll { overflow-x: auto; }
  .st-key-dash_map_scroll .st-key-dash_map { min-width: 760px; }
  .st-key-dash_matrix_scroll .st-key-dash_matrix { min-width: 540px; }
}
</style>"""


def _pick(chart_key: str, units: set[str]) -> None:
    """A click on a unit (a ranking bar or a map node) opens it on the unit page."""
    state = st.session_state.get(chart_key)
    points = state["selection"]["points"] if state else []
    for point in points:
        unit = point.get("customdata")
        unit = unit[0] if isinstance(unit, list) and unit else unit
        if unit in units:
            st.session_state[UNIT_KEY] = unit
            st.session_state[TAB_KEY] = t("dash.unit.title")
            st.toast(t("dash.unit.opened", unit=unit), icon=":material/arrow_downward:")
            return


database_url = get_settings().database_url
with db() as session:
    stamp = data_stamp(session=session)
# what the dashboard and its charts are computed for: the day counts (the running month is
# cut off at today), so a chart is never older than the tiles beside it
data_key = (database_url, ctx.plant.id, ctx.month, stamp, date.today())
board: Overview = _data("overview", dashboard.overview, month=ctx.month, today=date.today())
month = month_label(ctx.month, lang)
names = dict(board.units)
codes = set(names)

# --- header and tiles -----------------------------------------------------------------
st.html(PHONE_CSS)
st.header(t("page.executive"))
status = t("dash.closed", run=board.run) if board.closed else t("dash.preview")
previous = month_label(board.previous_month, lang)
window = window_months(ctx.month)
first, last = month_label(window[0], lang), month_label(window[-1], lang)
st.caption(f"{plain(ctx.plant.name)} · {month} · {status} · " + t("dash.tile.vs", month=previous))
if not board.has_data:
    st.info(t("dash.no_data", month=month))
elif not board.forms:
    st.info(t("dash.no_forms", month=month))

tile_text = {
    "satisfaction": (t("dash.tile.satisfaction"), t("dash.tile.satisfaction_help"), 1, False),
    "under_target": (t("dash.tile.under_target"), t("dash.tile.under_target_help"), 0, True),
    "opened": (t("dash.tile.opened"), t("dash.tile.opened_help"), 0, True),
    "closed": (t("dash.tile.closed"), t("dash.tile.closed_help"), 0, False),
    "overdue": (t("dash.tile.overdue"), t("dash.tile.overdue_help"), 0, True),
    "spread": (t("dash.tile.spread"), t("dash.tile.spread_help"), 3, True),
}
tiles = st.container(horizontal=True, gap="small", key="dash_tiles")
for tile in board.tiles:
    label, help_, digits, inverse = tile_text[tile.name]
    delta = tile.delta
    shown = None
    if delta is not None:
        shown = 0 if round_half_up(delta, digits) == 0 else signed(delta, lang, digits)
    tiles.metric(
        label,
        number(tile.value, lang, digits),
        shown,
        delta_color="inverse" if inverse else "normal",
        help=help_ + " " + t("dash.tile.previous", value=number(tile.previous, lang, digits)),
        border=True,
        width="stretch",
    )


def _ranking() -> None:
    """The coefficient ranking, highest first; a click on a unit opens it."""
    st.subheader(t("dash.ranking.title"))
    if board.has_data and board.ranking:
        st.caption(t("dash.ranking.caption"))
        _chart(
            "ranking",
            partial(charts.ranking_figure, board.ranking, t, lang),
            on_select=lambda: _pick("dash_ranking", codes),
            selection_mode="points",
        )
        _csv(
            lambda: dashboard.ranking_rows(board.ranking),
            "ranking",
        )
    else:
        st.info(t("dash.ranking.empty", month=month))


def _matrix() -> None:
    """Who scored whom: the supplier × customer matrix of the month's forms."""
    st.subheader(t("dash.matrix.title"))
    matrix = _data("matrix", dashboard.matrix, month=ctx.month)
    if matrix.cells:
        st.caption(t("dash.matrix.caption", missing=matrix.missing))
        if not any(c.status == "scored" for c in matrix.cells):
            st.info(t("dash.matrix.no_forms", month=month))
        with st.container(key="dash_matrix_scroll"):
            _chart("matrix", partial(charts.matrix_figure, matrix, t, lang))
        _csv(lambda: dashboard.matrix_rows(matrix), "matrix")
    else:
        st.info(t("dash.matrix.empty", month=month))


def _supply_map() -> None:
    """The routing as a map of who serves whom."""
    st.subheader(t("dash.map.title"))
    supply_map = _data("map", dashboard.supply_map, month=ctx.month)
    if supply_map.edges:
        st.caption(t("dash.map.caption"))
        with st.container(key="dash_map_scroll"):
            _chart(
                "map",
                partial(charts.supply_map_figure, supply_map, t, lang),
                on_select=lambda: _pick("dash_map", codes),
                selection_mode="points",
            )
        _csv(lambda: dashboard.map_rows(supply_map), "map")
    else:
        st.info(t("dash.map.empty", month=month))


def _trends() -> None:
    """Twelve-month trends of the units chosen."""
    st.subheader(t("dash.trends.title"))
    trends = _data("trends", dashboard.trends, month=ctx.month)
    if trends.points:
        lowest = [u.unit for u in reversed(board.ranking)][:3] if board.has_data else []
        trended = sorted({p.unit for p in trends.points})
        if TREND_KEY in st.session_state:
            st.session_state[TREND_KEY] = [u for u in st.session_state[TREND_KEY] if u in trended]
        else:
            st.session_state[TREND_KEY] = lowest or trended[:3]
        chosen = st.multiselect(
            t("dash.trends.units"),
            trended,
            format_func=lambda u: f"{u} · {names.get(u, '')}",
            key=TREND_KEY,
            help=t("dash.trends.units_help"),
        )
        if chosen:
            st.caption(t("dash.trends.caption"))
            _chart(
                "trends",
                partial(charts.trends_figure, trends, chosen, names, t, lang),
                *chosen,
            )
            _csv(lambda: dashboard.trend_rows(trends, chosen), "trends")
        else:
            st.info(t("dash.trends.choose"))
    else:
        st.info(t("dash.trends.empty", first=first, last=last))


def _paretos() -> None:
    """Where defects come from: by responsible unit, defect code, escape point."""
    st.subheader(t("dash.pareto.title"))
    scope_labels = {"window": t("dash.pareto.window", first=first, last=last), "month": month}
    measure_labels = {"count": t("dash.pareto.count"), "cost": t("dash.pareto.cost")}
    options = st.columns([3, 2])
    scope = options[0].radio(
        t("dash.pareto.scope"),
        list(scope_labels),
        format_func=scope_labels.get,
        horizontal=True,
        key=f"dash_pareto_scope_{lang}",
    )
    months = window if scope == "window" else [ctx.month]
    paretos = _data(f"paretos_{scope}", dashboard.paretos, months=tuple(months))
    measure = options[1].radio(
        t("dash.pareto.measure"),
        list(measure_labels),
        format_func=measure_labels.get,
        horizontal=True,
        key=f"dash_pareto_measure_{lang}",
        help=t("dash.pareto.measure_help"),
    )
    period = scope_labels[scope]
    if not paretos.problems:
        st.info(t("dash.pareto.empty", period=period))
    else:
        st.caption(t("dash.pareto.caption", problems=paretos.problems, period=period))
        if measure == "cost" and not paretos.has_cost:
            st.info(t("dash.pareto.no_cost", period=period))
            measure = "count"
        dimensions = (
            (
                "responsible",
                paretos.by_responsible,
                t("dash.pareto.responsible"),
                t("dash.pareto.unsettled"),
            ),
            (
                "defect_code",
                paretos.by_defect_code,
                t("dash.pareto.defect_code"),
                t("dash.pareto.no_code"),
            ),
            ("escape", paretos.by_escape, t("dash.pareto.escape"), "—"),
        )
        for column, (name, pareto, title, none_label) in zip(
            st.columns(3, gap="medium"), dimensions, strict=True
        ):
            with column:
                st.markdown(f"**{title}**")
                if pareto.ranked(measure):
                    _chart(
                        f"pareto_{name}",
                        partial(charts.pareto_figure, pareto, measure, t, lang, none_label),
                        scope,
                        measure,
                    )
                elif measure == "cost":
                    st.info(t("dash.pareto.no_cost_here", period=period))
                else:
                    st.info(t("dash.pareto.no_escape", period=period))
        _csv(lambda: dashboard.pareto_rows(paretos), f"pareto-{scope}")


def _actions() -> None:
    """Corrective actions: their ageing and what is overdue."""
    st.subheader(t("dash.actions.title"))
    actions = _data("actions", dashboard.actions, month=ctx.month, today=date.today())
    cutoff = day(actions.cutoff, lang)
    if actions.preview:
        st.caption(t("dash.actions.preview", day=cutoff))
    left, right = st.columns([2, 3], gap="medium")
    with left:
        st.markdown(f"**{t('dash.actions.ageing', day=cutoff)}**")
        if actions.open:
            _chart("ageing", partial(charts.ageing_figure, actions, t, lang))
            _csv(lambda: dashboard.open_action_rows(actions), "open-actions")
        else:
            st.info(t("dash.actions.none_open", day=cutoff))
    with right:
        st.markdown(f"**{t('dash.actions.exposure', month=month)}**")
        if actions.exposure:
            frame = pd.DataFrame(
                [
                    {
                        t("dash.col.problem"): r.ref,
                        t("dash.col.responsible"): f"{r.unit} · {r.unit_name}"
                        + (f" ({r.share:g})" if r.share != 1 else ""),
                        t("dash.col.deadline"): r.deadline,
                        t("dash.col.days_overdue"): r.days_overdue,
                        t("dash.col.points"): r.points,
                        t("dash.col.defect_code"): r.defect_code or "—",
                        t("dash.col.status"): t(f"status.{r.status}") if r.status else "—",
                    }
                    for r in actions.exposure
                ]
            )
            st.dataframe(
                frame, hide_index=True, width="stretch", height=min(420, 38 + 35 * len(frame))
            )
            _csv(lambda: dashboard.exposure_rows(actions), "exposure")
        else:
            st.info(t("dash.actions.none_overdue", month=month))


def _penalties(unit: str, penalties: list[dict]) -> None:
    """The problems behind the unit's penalty points in the month, with their points, as the
    month close lists them (``i18n.penalty_rows``)."""
    st.markdown(f"**{t('dash.unit.penalties', unit=unit, month=month)}**")
    st.dataframe(
        pd.DataFrame(penalties),
        hide_index=True,
        width="stretch",
        height=min(420, 38 + 35 * len(penalties)),
    )


def _unit_page() -> None:
    """One unit: scores by customer, decomposition over the months, problems."""
    st.subheader(t("dash.unit.title"), anchor="unit")
    if not codes:
        st.info(t("dash.unit.no_units"))
        return
    default_unit = board.ranking[-1].unit if board.has_data and board.ranking else min(codes)
    if st.session_state.get(UNIT_KEY) not in codes:
        st.session_state[UNIT_KEY] = default_unit
    unit = st.selectbox(
        t("dash.unit.choose"),
        sorted(codes),
        format_func=lambda u: f"{u} · {names.get(u, '')}",
        key=UNIT_KEY,
        help=t("dash.unit.choose_help"),
    )
    detail: UnitDetail = _data("unit", unit_detail, month=ctx.month, unit=unit)
    current = detail.current
    if current is not None:
        rank = next((i + 1 for i, u in enumerate(board.ranking) if u.unit == unit), None)
        figures = st.columns(5)
        figures[0].metric(
            t("dash.unit.coefficient"), number(current.coefficient, lang, 4), border=True
        )
        figures[1].metric(
            t("dash.unit.satisfaction"), number(current.satisfaction, lang, 1), border=True
        )
        figures[2].metric(t("dash.unit.target"), target_text(current.target), border=True)
        figures[3].metric(
            t("dash.unit.penalty"), number(current.penalty_points, lang, 2), border=True
        )
        figures[4].metric(
            t("dash.unit.rank"), f"{rank} / {len(board.ranking)}" if rank else "—", border=True
        )
        if penalties := penalty_rows(current.decomposition, lang):
            _penalties(unit, penalties)
    left, right = st.columns(2, gap="medium")
    with left:
        st.markdown(f"**{t('dash.unit.scores', unit=unit, month=month)}**")
        if detail.scores:
            _chart("unit_scores", partial(charts.unit_scores_figure, detail, t, lang), unit)
            _csv(lambda: dashboard.unit_score_rows(detail), f"unit-{unit}-scores")
        else:
            st.info(t("dash.unit.no_customers", unit=unit, month=month))
    with right:
        st.markdown(f"**{t('dash.unit.decomposition', unit=unit)}**")
        if detail.history:
            _chart(
                "unit_decomposition",
                partial(charts.decomposition_figure, detail.history, t, lang),
                unit,
            )
            _csv(lambda: dashboard.decomposition_rows(detail), f"unit-{unit}-decomposition")
        else:
            st.info(t("dash.unit.no_history", unit=unit, first=first, last=last))
    st.markdown(f"**{t('dash.unit.problems', unit=unit, first=first, last=last)}**")
    if detail.problems:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        t("dash.col.problem"): p.ref,
                        t("dash.col.found_on"): p.found_on,
                        t("dash.col.found_at"): p.found_at,
                        t("dash.col.defect_code"): p.defect_code or "—",
                        t("dash.col.severity"): severity_text(p.severity, lang),
                        t("dash.col.role"): t("dash.unit.role_responsible")
                        if unit in p.responsible
                        else t("dash.unit.role_escape"),
                        t("dash.col.share"): p.responsible.get(unit),
                        t("dash.col.status"): t(f"status.{p.status}"),
                        t("dash.col.deadline"): p.deadline or "—",
                        t("dash.col.cost"): p.cost,
                    }
                    for p in detail.problems
                ]
            ),
            hide_index=True,
            width="stretch",
            height=min(420, 38 + 35 * len(detail.problems)),
        )
        _csv(lambda: dashboard.unit_problem_rows(detail), f"unit-{unit}-problems")
    else:
        st.info(t("dash.unit.no_problems", unit=unit, first=first, last=last))


# Only the open tab is computed and drawn: the page opens on the ranking at once, and each
# other view (the matrix of who scored whom among them) is drawn when asked for.
SECTIONS = {
    "dash.ranking.title": _ranking,
    "dash.matrix.title": _matrix,
    "dash.map.title": _supply_map,
    "dash.trends.title": _trends,
    "dash.pareto.title": _paretos,
    "dash.actions.title": _actions,
    "dash.unit.title": _unit_page,
}


@page_fragment
def _sections() -> None:
    """The tabs, a fragment: a click on a tab, or on a widget in one, runs the open tab
    again, not the sidebar, header and tiles, which the browser would otherwise lay out anew
    at every click. The whole page runs instead when the session ended, after any change
    (the data stamp moved) or on a new day, so a tab is never newer than the tiles above it."""
    with db() as session:
        unchanged = data_stamp(session=session) == stamp and date.today() == data_key[-1]
    if not unchanged:
        st.rerun(scope="app")
    tabs = st.tabs([t(key) for key in SECTIONS], key=TAB_KEY, on_change="rerun")
    for tab, draw in zip(tabs, SECTIONS.values(), strict=True):
        if tab.open:
            with tab:
                draw()


_sections()

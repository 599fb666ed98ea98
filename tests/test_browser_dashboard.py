"""The executive dashboard in a real browser: every tab's charts drawn, the tiles equal the
service's numbers, a click on the ranking opens the unit; full-page screenshots in both
languages."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from dashboards import i18n
from noac.db import create_db_engine
from noac.demo import DEMO_PASSWORD
from noac.services.dashboard import TILES, Dashboard, executive_dashboard
from noac.services.periods import month_of, working_month
from noac.services.plants import resolve_plant
from tests.browser import OUTPUT, browser_page, chromium_path, served_app
from tests.demo_plant import report_backing_plate

# tab -> charts it draws on the demo: ranking, matrix, map, trends, three paretos, ageing,
# unit scores and decomposition
TABS = {
    "dash.ranking.title": 1,
    "dash.matrix.title": 1,
    "dash.map.title": 1,
    "dash.trends.title": 1,
    "dash.pareto.title": 3,
    "dash.actions.title": 1,
    "dash.unit.title": 2,
}
TILE_DIGITS = {"satisfaction": 1, "spread": 3}
DRAWN = """({n, plots}) => {
    plots = [...document.querySelectorAll(plots)];
    return plots.length === n && plots.every(p => p._fullLayout && p.querySelector('.main-svg'))
        && !document.querySelector('[data-testid=stStatusWidget]');
}"""


@pytest.fixture(scope="module")
def app(demo_master, tmp_path_factory):
    chromium_path()
    path = tmp_path_factory.mktemp("dashboard") / "demo.db"
    shutil.copy(demo_master, path)
    url = f"sqlite:///{path}"
    with served_app(url) as base:
        yield base, url


def sign_in(page, base: str, username: str) -> None:
    page.goto(base)
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in as").wait_for(timeout=60_000)


def no_error(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlertContentError']").count() == 0


def board_of(url: str) -> Dashboard:
    """What the service says for the month the page opens on (the working month)."""
    engine = create_db_engine(url)
    try:
        with Session(engine) as session:
            plant = resolve_plant(session=session, code="AERO")
            month = working_month(session=session, plant=plant, today=date.today())
            return executive_dashboard(session=session, plant=plant, month=month)
    finally:
        engine.dispose()


# the charts of the tab on show (the tab left keeps its charts, hidden, until the run ends)
SHOWN_PLOTS = "[role=tabpanel]:not([hidden]) .js-plotly-plot"


def wait_tab(page, key: str, lang: str) -> None:
    """Wait until the tab ``key`` is the one on show and all its charts are drawn."""
    tab = page.get_by_role("tab", name=i18n.t(key, lang), exact=True)
    tab.wait_for(timeout=60_000)
    page.wait_for_function(
        "tab => tab.getAttribute('aria-selected') === 'true'",
        arg=tab.element_handle(),
        timeout=60_000,
    )
    page.wait_for_function(DRAWN, arg={"n": TABS[key], "plots": SHOWN_PLOTS}, timeout=90_000)
    assert page.locator(SHOWN_PLOTS).count() == TABS[key]
    no_error(page)


def every_tab(page, lang: str) -> None:
    """Open each tab in turn and wait until all its charts are drawn, with no error."""
    for key in TABS:
        page.get_by_role("tab", name=i18n.t(key, lang), exact=True).click()
        wait_tab(page, key, lang)


def full_screenshot(page, name: str) -> None:
    """The whole page: Streamlit scrolls inside its main block, so grow the viewport first."""
    size = page.viewport_size
    height = page.evaluate(
        "document.querySelector('[data-testid=stMainBlockContainer]').scrollHeight"
    )
    page.set_viewport_size({"width": size["width"], "height": height + 120})
    page.wait_for_timeout(1500)
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=OUTPUT / name, full_page=True)
    page.set_viewport_size(size)


def test_every_chart_is_drawn_and_the_tiles_equal_the_service(app):
    base, url = app
    board = board_of(url)
    with browser_page() as page:
        sign_in(page, base, "exec")  # the executive lands on the dashboard
        page.get_by_role("heading", name="Quality at a glance").wait_for(timeout=60_000)
        wait_tab(page, "dash.ranking.title", "en")
        shown = page.locator("[data-testid=stMetricValue]").all_inner_texts()[:6]
        expected = [
            i18n.number(tile.value, "en", TILE_DIGITS.get(tile.name, 0)) for tile in board.tiles
        ]
        assert [text.strip() for text in shown] == expected
        full_screenshot(page, "dashboard-en.png")
        every_tab(page, "en")

        page.get_by_role("combobox", name="Language").click()
        page.get_by_role("option", name="中文").click()
        page.get_by_role("heading", name="质量总览").wait_for(timeout=60_000)
        wait_tab(page, "dash.ranking.title", "zh")
        assert page.get_by_role("heading", name=i18n.t("dash.ranking.title", "zh")).count() == 1
        full_screenshot(page, "dashboard-zh.png")
        every_tab(page, "zh")


def test_clicking_a_ranking_bar_opens_the_unit(app):
    base, url = app
    top = board_of(url).ranking[0]
    with browser_page() as page:
        sign_in(page, base, "exec")
        wait_tab(page, "dash.ranking.title", "en")
        assert page.get_by_role("combobox", name="Unit", exact=True).count() == 0
        bars = page.locator(".st-key-dash_ranking .bars .point")
        ranking = board_of(url).ranking
        assert bars.count() == len(ranking)
        # every unit's K reads beside its name, highest on top (ticks are drawn bottom up)
        labels = page.locator(".st-key-dash_ranking .ytick text").evaluate_all(
            "texts => texts.map(t => t.textContent)"
        )
        assert labels[::-1] == [f"{u.unit} · {u.coefficient:.4f}" for u in ranking]
        bar = bars.last  # the bars are drawn bottom up: the last one is the highest K
        bar.scroll_into_view_if_needed()
        box = bar.bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_function(
            "unit => (document.querySelector('input[aria-label=Unit]')?.value ?? '')"
            ".startsWith(unit)",
            arg=f"{top.unit} ·",
            timeout=30_000,
        )
        page.get_by_text(f"{top.unit}: scores by customer and criterion").wait_for(timeout=30_000)
        wait_tab(page, "dash.unit.title", "en")


def test_a_charts_data_downloads_as_csv_when_asked(app):
    base, url = app
    board = board_of(url)
    with browser_page() as page:
        sign_in(page, base, "exec")
        wait_tab(page, "dash.ranking.title", "en")
        with page.expect_download(timeout=60_000) as download:
            page.locator(".st-key-dash_csv_ranking button").click()
        assert download.value.suggested_filename.endswith("-ranking.csv")
        lines = download.value.path().read_text(encoding="utf-8-sig").splitlines()
        assert lines[0].startswith("rank,unit,unit_name,coefficient,band")
        assert [line.split(",")[1] for line in lines[1:]] == [u.unit for u in board.ranking]

        page.get_by_role("tab", name=i18n.t("dash.matrix.title", "en"), exact=True).click()
        wait_tab(page, "dash.matrix.title", "en")
        with page.expect_download(timeout=60_000) as download:
            page.locator(".st-key-dash_csv_matrix button").click()
        lines = download.value.path().read_text(encoding="utf-8-sig").splitlines()
        assert lines[0] == "supplier,customer,status,form"
        assert [tuple(line.split(",")[:3]) for line in lines[1:]] == [
            (c.supplier, c.customer, c.status) for c in board.matrix.cells
        ]


def test_a_tab_clicked_after_a_change_runs_the_whole_page(demo_master, tmp_path):
    """A click on a tab runs the tabs alone, unless something changed since the page ran:
    then the whole page runs, so the tiles above the tab show the change too."""
    path = tmp_path / "demo.db"
    shutil.copy(demo_master, path)
    url = f"sqlite:///{path}"
    today = date.today()
    with served_app(url) as base, browser_page() as page:
        sign_in(page, f"{base}/?month={month_of(today)}", "exec")
        wait_tab(page, "dash.ranking.title", "en")
        opened = page.locator("[data-testid=stMetricValue]").nth(TILES.index("opened"))
        before = int(opened.inner_text().replace(",", ""))
        page.get_by_role("tab", name=i18n.t("dash.trends.title", "en"), exact=True).click()
        wait_tab(page, "dash.trends.title", "en")
        expect(opened).to_have_text(i18n.number(before, "en", 0))

        report_backing_plate(url)  # found today, in the month on show
        page.get_by_role("tab", name=i18n.t("dash.ranking.title", "en"), exact=True).click()
        wait_tab(page, "dash.ranking.title", "en")
        expect(opened).to_have_text(i18n.number(before + 1, "en", 0), timeout=30_000)

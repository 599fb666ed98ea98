"""The ``dashboard`` workload of ``noac bench``: the executive dashboard drawn in a browser.

The app (``dashboards/app.py``) and a bare Streamlit page with one plotly chart
(``benchmarks/bare_page.py``, the floor) are served by ``streamlit run`` on the bench
database and driven by the system Chromium (Debian package ``chromium``) through Playwright,
a development dependency. A page counts as drawn when the charts on show are laid out and
the script run is over.

- ``dashboard``: signed in as an executive, from a click on the tab the dashboard opens on
  (coming from its last tab) until the page's tiles and that tab's charts are drawn, three
  times a round;
- ``dashboard:<tab>``: from a click on another tab (coming from the tab before it) until its
  charts are drawn;
- ``dashboard after a change``: back on the last tab, a change made (an audited password
  reset of a second bench account: a new password for the account signed in would end its
  session), then from a click on the tab the dashboard opens on until
  it is drawn: the first visit after a change, when the page reads its data anew;
- ``dashboard after a change:<tab>``: then each other tab clicked once (coming from the tab
  before it), its first visit after the change, when it reads its own data anew;
- floor: from a click on "Chart" (coming from a page without charts) until its one chart is
  drawn, three times after each round of the dashboard's tabs.

The page as opened and the floor are clicked three times a round because a single click of
either ranged over a factor of two from one round to the next (the bare page 0.07-0.16 s):
their medians over all the rounds' clicks make a steadier ratio than three clicks each.

The dashboard opens on the first plant and on the month given (``?month=`` in the link).
"""

from __future__ import annotations

import os
import secrets
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from sqlmodel import Session, select

from noac.app_server import APP, served
from noac.bench import Figure
from noac.db import create_db_engine
from noac.errors import NoacError
from noac.generate import ADMIN, BENCH_EXECUTIVE
from noac.models import User
from noac.services import users

ROOT = Path(__file__).resolve().parent.parent
BENCH_BYSTANDER = "bench-bystander"  # the account whose password reset is the bench's change
BARE_PAGE = ROOT / "benchmarks" / "bare_page.py"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# the charts of the tab on show (a tab left keeps its charts, hidden, until the run ends)
SHOWN = "[data-testid=stMain] [role=tabpanel]:not([hidden]) .js-plotly-plot"
SHOWN_ELEMENTS = "[data-testid=stMain] [role=tabpanel]:not([hidden]) [data-testid=stPlotlyChart]"
ANY = "[data-testid=stMain] .js-plotly-plot"
# Drawn: the script run the click started is over, and the expected number of charts is on
# show, every one laid out. The app's root element carries the run state; an observer notes
# that a run started or the page changed, so a quick run is not missed between two polls.
WATCH = """() => {
    window.benchRan = false;
    window.benchWatch?.disconnect();
    window.benchWatch = new MutationObserver(changes => {
        if (changes.some(c => c.type === 'childList'
            || c.target.getAttribute('data-test-script-state') === 'running')) {
            window.benchRan = true;
        }
    });
    window.benchWatch.observe(document.querySelector('[data-testid=stMain]'), {
        childList: true, subtree: true,
    });
    window.benchWatch.observe(document.body, {
        attributes: true, subtree: true, attributeFilter: ['data-test-script-state'],
    });
}"""
NOT_RUNNING = (
    "document.querySelector('[data-testid=stApp]')"
    ".getAttribute('data-test-script-state') !== 'running'"
)
DRAWN = f"""({{selector, count}}) => {{
    const plots = [...document.querySelectorAll(selector)];
    return window.benchRan && {NOT_RUNNING} && plots.length === count
        && plots.every(p => p._fullLayout && p.querySelector('.main-svg'));
}}"""


def missing() -> str | None:
    """Why the workload cannot run here, or None."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[dev]')"
    if chromium() is None:
        return "the system Chromium is not installed (Debian package chromium)"
    if not BARE_PAGE.exists():
        return f"{BARE_PAGE} is missing (run from a clone of the repository)"
    return None


def chromium() -> str | None:
    return os.environ.get("NOAC_CHROMIUM") or shutil.which("chromium")


def _executive(url: str, username: str) -> str:
    """A new password for the bench's executive account ``username``, created on first use."""
    password = secrets.token_urlsafe(16)
    engine = create_db_engine(url)
    try:
        with Session(engine) as session:
            if session.exec(select(User).where(User.username == username)).first() is None:
                users.add_user(
                    session=session,
                    actor=ADMIN,
                    username=username,
                    display_name="bench executive",
                    role="executive",
                    password=password,
                )
            else:
                users.reset_password(
                    session=session, actor=ADMIN, username=username, password=password
                )
    finally:
        engine.dispose()
    return password


def _timed(page, target, selector: str, count: int) -> float:
    """Seconds from a click on ``target`` (a locator, found before the clock starts) until
    its run is over and ``count`` charts are drawn."""
    element = target.element_handle()
    page.evaluate(WATCH)
    started = time.perf_counter()
    element.click()
    page.wait_for_function(
        DRAWN, arg={"selector": selector, "count": count}, timeout=180_000, polling="raf"
    )
    return time.perf_counter() - started


def _charts_settled(page, click: Callable[[], object]) -> int:
    """``click``, then the number of charts on show once no run is going and that number has
    not changed for two seconds. A first visit may compute for longer than any fixed wait
    (the unit page reads the unit's year), and the click changes the page before its run
    starts, so neither "the run is over" nor a pause alone tells the charts are all there."""
    click()
    count, since = -1, time.monotonic()
    deadline = since + 180
    while time.monotonic() < deadline:
        page.wait_for_timeout(250)
        now = page.locator(SHOWN_ELEMENTS).count()
        running = not page.evaluate(f"() => {NOT_RUNNING}")
        if now != count or running:
            count, since = now, time.monotonic()
        elif time.monotonic() - since >= 2:
            return count
    raise NoacError("the dashboard did not settle within three minutes")


AFTER_CHANGE = "dashboard after a change"
CLICKS = 3  # timed clicks a round on the page as opened and on the bare page's chart


def _dashboard(
    browser, base: str, password: str, month: str, change: Callable[[], object]
) -> tuple[Callable, int]:
    """The dashboard signed in and each tab visited once (a first visit tells how many charts
    it draws); returns a round of clicks through every tab, each opened from the one before,
    which adds its times per tab (the tab the dashboard opens on is ``dashboard``, the others
    ``dashboard:<tab>``), then ``CLICKS - 1`` more of the first tab (``dashboard``) each
    coming from the last tab, then back on the last tab, ``change`` made and the first tab
    clicked again (``AFTER_CHANGE``: the page computed anew) and every tab visited once more
    (``AFTER_CHANGE:<tab>``: each tab's data read anew), so that the next round finds their
    data read; and the number of charts of the page as opened."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{base}/?month={month}")
    page.get_by_role("textbox", name="Username").fill(BENCH_EXECUTIVE)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    tabs = page.get_by_role("tab")
    tabs.first.wait_for(timeout=180_000)
    page.wait_for_function(f"() => {NOT_RUNNING}", timeout=180_000)
    labels = tabs.all_inner_texts()
    order = [*range(1, len(labels)), 0]
    charts = {index: _charts_settled(page, tabs.nth(index).click) for index in order}

    def round_(times: dict[str, list]) -> None:
        page.bring_to_front()
        for index in order:
            name = f"dashboard:{labels[index]}" if index else "dashboard"
            times.setdefault(name, []).append(_timed(page, tabs.nth(index), SHOWN, charts[index]))
        last = order[-2]
        for _ in range(CLICKS - 1):  # the page as opened again, coming from the last tab
            _timed(page, tabs.nth(last), SHOWN, charts[last])
            times["dashboard"].append(_timed(page, tabs.nth(0), SHOWN, charts[0]))
        _timed(page, tabs.nth(last), SHOWN, charts[last])
        change()
        times.setdefault(AFTER_CHANGE, []).append(_timed(page, tabs.nth(0), SHOWN, charts[0]))
        for index in order:  # each tab's first visit after the change reads its data anew
            seconds = _timed(page, tabs.nth(index), SHOWN, charts[index])
            if index:
                times.setdefault(f"{AFTER_CHANGE}:{labels[index]}", []).append(seconds)

    return round_, charts[0]


def _bare(browser, base: str) -> Callable[[], list[float]]:
    """The bare page opened on its chart; returns ``CLICKS`` times a click on its text page,
    then a timed click back on the chart (each click changes the page, so each starts a
    run)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(base)
    page.get_by_role("heading", name="Home").wait_for(timeout=60_000)
    nav = page.locator("[data-testid=stSidebarNav]")

    _timed(page, nav.get_by_text("Chart"), ANY, 1)

    def clicks() -> list[float]:
        page.bring_to_front()
        times = []
        for _ in range(CLICKS):
            _timed(page, nav.get_by_text("Home"), ANY, 0)
            times.append(_timed(page, nav.get_by_text("Chart"), ANY, 1))
        return times

    return clicks


def dashboard(url: str, month: str, runs: int) -> list[Figure]:
    """The dashboard as opened and each of its other tabs, against the bare page. Both are
    served at once and measured in turn, a round of the dashboard's tabs then the bare page,
    so that a machine slowing down or speeding up during the bench moves both alike."""
    from playwright.sync_api import sync_playwright

    password = _executive(url, BENCH_EXECUTIVE)
    _executive(url, BENCH_BYSTANDER)
    app_peak: list[float] = []
    bare_peak: list[float] = []
    views: dict[str, list] = {"dashboard": []}  # the page as opened comes first
    floors = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=FLAGS)
        try:
            with served(APP, url, app_peak) as app, served(BARE_PAGE, url, bare_peak) as bare:
                # a change a user makes (a password reset of the other bench account,
                # audited): the page's data stamp moves, so its overview is read anew
                round_, opened = _dashboard(
                    browser, app, password, month, lambda: _executive(url, BENCH_BYSTANDER)
                )
                floor_clicks = _bare(browser, bare)
                for _ in range(runs):
                    round_(views)
                    floors += floor_clicks()
        finally:
            browser.close()
    floor = statistics.median(floors)
    figures = []
    for name, times in views.items():
        median = statistics.median(times)
        whole_page = name in ("dashboard", AFTER_CHANGE)
        figures.append(
            Figure(
                workload=name,
                size=opened if whole_page else 1,
                unit="page" if whole_page else "tab",
                median_s=round(median, 4),
                floor_s=round(floor, 4),
                ratio=round(median / floor, 2),
                per_second=round(1 / median, 2),
                peak_mb=round(app_peak[0], 1),
                runs=[round(t, 4) for t in times],
                floor_runs=[round(t, 4) for t in floors],
                note=(
                    f"{month}: click to drawn in Chromium vs a bare page with one plotly chart;"
                    " peak MB: the app server's resident memory"
                    if name == "dashboard"
                    else ""
                ),
            )
        )
    return figures

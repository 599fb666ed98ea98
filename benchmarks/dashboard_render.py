"""How long the executive dashboard takes to draw in a browser, next to a bare Streamlit page.

Not a test: a measurement on this machine. Both apps are served by ``streamlit run`` and
driven by the system Chromium through Playwright; a page counts as drawn when every plotly
graph on it has been laid out and the script run is over.

- dashboard: signed in as the demo executive, from a click on "Quality at a glance" in the
  sidebar (coming from the plant page) until its charts are drawn. The first visit, right
  after signing in, fills the page's cache ("cold"); the following ones read it ("warm").
- bare: from a click on "Chart" (coming from a page without charts) until its one plotly
  chart is drawn (``benchmarks/bare_page.py``).

Usage::

    .venv/bin/python benchmarks/dashboard_render.py [--database URL] [--runs 3]

Without ``--database`` the demo database is built in a temporary folder first (about 20 s).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from noac.demo import DEMO_PASSWORD, build  # noqa: E402

CHARTS = 10
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DRAWN = """n => {
    const plots = [...document.querySelectorAll('.js-plotly-plot')];
    return plots.length === n && plots.every(p => p._fullLayout && p.querySelector('.main-svg'))
        && !document.querySelector('[data-testid=stStatusWidget]');
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(script: Path, database_url: str) -> Iterator[str]:
    """``streamlit run script`` on a free port; yield its base URL."""
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(script),
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
            "--client.toolbarMode",
            "viewer",
        ],
        env=os.environ | {"NOAC_DATABASE_URL": database_url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"{script.name} did not start") from None
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def _timed(page, click, count: int) -> float:
    start = time.perf_counter()
    click()
    page.wait_for_function(DRAWN, arg=count, timeout=120_000, polling="raf")
    return time.perf_counter() - start


def measure_dashboard(browser, base: str, runs: int) -> tuple[float, list[float]]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(base)
    page.get_by_role("textbox", name="Username").fill("exec")
    page.get_by_role("textbox", name="Password").fill(DEMO_PASSWORD)
    cold = _timed(page, page.get_by_role("button", name="Sign in").click, CHARTS)
    nav = page.locator("[data-testid=stSidebarNav]")
    warm = []
    for _ in range(runs):
        _timed(page, nav.get_by_text("Plant and supply graph").click, 1)
        warm.append(_timed(page, nav.get_by_text("Quality at a glance").click, CHARTS))
    page.close()
    return cold, warm


def measure_bare(browser, base: str, runs: int) -> list[float]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(base)
    page.get_by_role("heading", name="Home").wait_for(timeout=60_000)
    nav = page.locator("[data-testid=stSidebarNav]")
    times = []
    for _ in range(runs):
        _timed(page, nav.get_by_text("Chart").click, 1)
        _timed(page, nav.get_by_text("Home").click, 0)
        times.append(_timed(page, nav.get_by_text("Chart").click, 1))
    page.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="database URL (default: build the demo)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    chromium = os.environ.get("NOAC_CHROMIUM") or shutil.which("chromium")
    if chromium is None:
        sys.exit("the system Chromium is not installed (Debian package chromium)")
    with tempfile.TemporaryDirectory() as folder:
        url = args.database
        if url is None:
            url = f"sqlite:///{Path(folder) / 'demo.db'}"
            print("building the demo database …", flush=True)
            for _ in build(url):
                pass
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=FLAGS)
            try:
                with serve(ROOT / "dashboards" / "app.py", url) as base:
                    cold, warm = measure_dashboard(browser, base, args.runs)
                with serve(ROOT / "benchmarks" / "bare_page.py", url) as base:
                    bare = measure_bare(browser, base, args.runs)
            finally:
                browser.close()
    dashboard = statistics.median(warm)
    plain = statistics.median(bare)
    print(f"dashboard, first visit after sign-in (cache cold): {cold:.2f} s")
    print(
        f"dashboard ({CHARTS} plotly charts), median of {args.runs}: {dashboard:.2f} s"
        f"  runs {', '.join(f'{t:.2f}' for t in warm)}"
    )
    print(
        f"bare page (1 plotly chart), median of {args.runs}: {plain:.2f} s"
        f"  runs {', '.join(f'{t:.2f}' for t in bare)}"
    )
    print(f"ratio dashboard / bare: {dashboard / plain:.1f}")


if __name__ == "__main__":
    main()

"""What a person sees in a real browser."""

from noac.demo import build
from tests.browser import OUTPUT, browser_page, chromium_path, served_app


def test_demo_app_draws_the_supply_graph(tmp_path):
    chromium_path()
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    list(build(url))
    with served_app(url) as base, browser_page() as page:
        page.goto(base)
        page.get_by_role("heading", name="Supply graph").wait_for(timeout=60_000)
        page.locator(".js-plotly-plot .scatterlayer").first.wait_for(timeout=60_000)
        assert page.locator(".js-plotly-plot").count() == 1
        assert page.locator("text=STORE").count() >= 1
        assert page.locator("[data-testid='stException']").count() == 0
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=OUTPUT / "plant-page.png", full_page=True)

"""What a person sees in a real browser (the system Chromium driven by Playwright)."""

import shutil

import pytest

from noac.demo import DEMO_PASSWORD
from tests.browser import OUTPUT, browser_page, chromium_path, served_app

ROLE_PAGES = {
    "aero-assy": ["Score my suppliers", "Feedback to my unit", "Report a quality problem"],
    "aero-qc-fin-insp": ["Report a quality problem"],
    "quality": ["Quality at a glance", "Quality desk", "Month close", "Audit trail"],
    "exec": ["Quality at a glance", "Plant and supply graph"],
    "admin": ["Quality at a glance", "Routings and master data", "Audit trail"],
}


@pytest.fixture(scope="module")
def app_url(demo_master, tmp_path_factory):
    chromium_path()
    path = tmp_path_factory.mktemp("browser") / "demo.db"
    shutil.copy(demo_master, path)
    with served_app(f"sqlite:///{path}") as base:
        yield base


def sign_in(page, base, username):
    page.goto(base)
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in as").wait_for(timeout=60_000)


def no_error(page):
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlertContentError']").count() == 0


@pytest.mark.parametrize("username", sorted(ROLE_PAGES))
def test_each_demo_role_signs_in_and_sees_its_pages(app_url, username):
    with browser_page() as page:
        sign_in(page, app_url, username)
        nav = page.locator("[data-testid='stSidebarNav']")
        for title in ROLE_PAGES[username]:
            assert nav.get_by_text(title).count() == 1, title
        no_error(page)
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=OUTPUT / f"home-{username}.png", full_page=True)


def test_wrong_password_is_refused(app_url):
    with browser_page() as page:
        page.goto(app_url)
        page.get_by_role("textbox", name="Username").fill("quality")
        page.get_by_role("textbox", name="Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text("wrong username or password").wait_for(timeout=30_000)

"""What a person sees in a real browser (the system Chromium driven by Playwright)."""

import shutil
from datetime import date

import pytest
from sqlmodel import Session

from dashboards import i18n
from dashboards.i18n import month_label
from noac.db import create_db_engine
from noac.demo import DEMO_PASSWORD
from noac.services import problems, scoring
from noac.services.coefficients import close_month
from noac.services.periods import closed_months, month_of, recent_months, working_month
from noac.services.plants import resolve_plant
from noac.services.users import actor_for
from tests.browser import OUTPUT, browser_page, chromium_path, served_app

ROLE_PAGES = {
    "aero-assy": ["Score my suppliers", "Feedback to my unit", "Report a quality problem"],
    "aero-qc-fin-insp": ["Report a quality problem"],
    "quality": ["Quality at a glance", "Quality desk", "Month close", "Audit trail"],
    "exec": ["Quality at a glance", "Plant and supply graph"],
    "admin": ["Quality at a glance", "Routings and master data", "Audit trail"],
}


@pytest.fixture(scope="module")
def browser_path(demo_master, tmp_path_factory):
    path = tmp_path_factory.mktemp("browser") / "demo.db"
    shutil.copy(demo_master, path)
    return path


@pytest.fixture(scope="module")
def app_url(browser_path):
    chromium_path()
    with served_app(f"sqlite:///{browser_path}") as base:
        yield base


@pytest.fixture
def browser_db(browser_path):
    """The served database, to check what the page stored."""
    engine = create_db_engine(f"sqlite:///{browser_path}")
    yield engine
    engine.dispose()


def sign_in(page, base, username):
    page.goto(base)
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in as").wait_for(timeout=120_000)
    idle(page)


def no_error(page):
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlertContentError']").count() == 0


@pytest.mark.parametrize("username", sorted(ROLE_PAGES))
def test_each_demo_role_signs_in_and_sees_its_pages(app_url, username):
    with browser_page() as page:
        sign_in(page, app_url, username)
        nav = page.locator("[data-testid='stSidebarNav']")
        for title in ROLE_PAGES[username]:
            nav.get_by_text(title, exact=True).wait_for(timeout=60_000)
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


def idle(page):
    """Wait until the app has finished its rerun (the status widget is gone)."""
    page.wait_for_timeout(300)
    page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden", timeout=60_000)


def stored_quality(engine, supplier, month=None):
    with Session(engine) as session:
        plant = resolve_plant(session=session, code="AERO")
        month = month or working_month(session=session, plant=plant, today=date.today())
        (form,) = [
            f
            for f in scoring.forms(session=session, plant=plant, months=[month])
            if (f.rater, f.ratee) == ("ASSY", supplier)
        ]
    return form.values["quality"]


def test_supervisor_changes_and_submits_a_form(app_url, browser_db):
    with browser_page() as page:
        sign_in(page, app_url, "aero-assy")
        page.get_by_role("link", name="Score my suppliers").click()
        page.get_by_role("button", name="Submit").first.wait_for(timeout=60_000)
        idle(page)
        cards = page.locator("h3").all_inner_texts()
        supplier = next(text for text in cards if " · " in text).split(" · ")[0]
        slider = page.get_by_role("slider").first  # the first card's first criterion
        before = int(slider.input_value())
        assert before == stored_quality(browser_db, supplier)
        after = before - 1 if before > 6 else before + 1
        slider.focus()
        page.keyboard.press("ArrowLeft" if before > 6 else "ArrowRight")
        for _ in range(60):  # the slider settles after the app's rerun
            idle(page)
            if page.get_by_role("slider").first.input_value() == str(after):
                break
        assert page.get_by_role("slider").first.input_value() == str(after)
        page.get_by_role("button", name="Submit").first.click()
        idle(page)
        for _ in range(120):  # what counts is what the service layer holds
            if stored_quality(browser_db, supplier) == after:
                break
            page.wait_for_timeout(500)
        assert stored_quality(browser_db, supplier) == after
        no_error(page)
        page.screenshot(path=OUTPUT / "score-submitted.png", full_page=True)


def test_quality_closes_the_month(app_url, browser_db):
    with Session(browser_db) as session:
        plant = resolve_plant(session=session, code="AERO")
        month = working_month(session=session, plant=plant, today=date.today())
    with browser_page() as page:
        sign_in(page, app_url, "quality")
        page.get_by_role("link", name="Month close").click()
        page.get_by_role("heading", name="Month close").wait_for(timeout=120_000)
        label = month_label(month, "en")
        idle(page)
        page.get_by_text(f"I have checked the completeness and the flags of {label}").click()
        idle(page)
        page.get_by_role("button", name=f"Close {label}").click()
        page.get_by_text(f"{label} is closed (run 1)").wait_for(timeout=60_000)
        no_error(page)
        page.screenshot(path=OUTPUT / "month-closed.png", full_page=True)
    with Session(browser_db) as session:
        assert month in closed_months(session=session, plant=plant)


def test_the_month_picker_shows_a_month_reopened_or_closed_on_the_page_as_it_now_is(
    demo_master, tmp_path
):
    """The picker marks a closed month with a lock; closing or reopening the month on show
    changes the label the picker shows at once, not only in its list."""
    chromium_path()
    path = tmp_path / "demo.db"
    shutil.copy(demo_master, path)
    engine = create_db_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        plant = resolve_plant(session=session, code="AERO")
        month = recent_months(date.today(), 2)[1]
        quality = actor_for(session=session, username="quality")
        close_month(session=session, plant=plant, month=month, actor=quality)
    engine.dispose()
    label = month_label(month, "en")
    with served_app(f"sqlite:///{path}") as base, browser_page() as page:
        sign_in(page, base, "quality")
        page.get_by_role("link", name="Month close").click()
        page.get_by_role("heading", name="Month close").wait_for(timeout=120_000)
        idle(page)
        picker = page.locator("[data-testid='stSidebar']").get_by_role("combobox", name="Month")
        _choose(page, "Month", f"{label} 🔒")
        assert picker.input_value() == f"{label} 🔒"
        page.get_by_role("textbox", name="Reason (required)").fill("a late form")
        page.get_by_role("button", name="Reopen").click()
        page.get_by_text(f"{label} is open again.").wait_for(timeout=60_000)
        idle(page)
        assert picker.input_value() == label
        page.get_by_text(f"I have checked the completeness and the flags of {label}").click()
        idle(page)
        page.get_by_role("button", name=f"Close {label}").click()
        page.get_by_text(f"{label} is closed (run 2)").wait_for(timeout=60_000)
        idle(page)
        assert picker.input_value() == f"{label} 🔒"
        no_error(page)


def _choose(page, label, option):
    """Pick ``option`` in the selectbox labelled ``label``."""
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option).first.click()
    idle(page)


def test_inspector_reports_a_problem_and_sees_its_trace(app_url, browser_db):
    with browser_page() as page:
        sign_in(page, app_url, "aero-qc-fin-insp")
        page.get_by_role("link", name="Report a quality problem").click()
        page.get_by_role("combobox", name="Part").wait_for(timeout=60_000)
        _choose(page, "Part", "BP-100")
        _choose(page, "Defect code", "PIT-FACE")
        page.get_by_role("textbox", name="Description").fill("pits on the plated face")
        idle(page)
        page.get_by_role("button", name="Report the problem").click()
        done = page.locator("[data-testid='stAlertContainer']").filter(has_text="reported:")
        done.wait_for(timeout=60_000)
        page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
        shown = page.locator("[data-testid='stMain']").inner_text()
        assert "SHEET" in shown and "QC-SM" in shown  # the proposal and the escape
        no_error(page)
        page.screenshot(path=OUTPUT / "problem-reported.png", full_page=True)
    with Session(browser_db) as session:
        plant = resolve_plant(session=session, code="AERO")
        found = problems.list_problems(session=session, plant=plant, unit="QC-FIN")
    assert [p.proposed for p in found if p.description == "pits on the plated face"] == ["SHEET"]


def test_quality_rules_a_disputed_problem(app_url, browser_db):
    with browser_page() as page:
        sign_in(page, app_url, "quality")
        page.get_by_role("link", name="Quality desk").click()
        reason = page.get_by_role("textbox", name="Reason of the ruling")
        reason.wait_for(timeout=60_000)
        idle(page)
        reason.fill("joint review: the cause lies at the proposed unit")
        page.wait_for_timeout(500)
        idle(page)
        page.get_by_role("button", name="Rule", exact=True).click()
        done = page.locator("[data-testid='stAlertContainer']").filter(has_text="ruled.")
        done.wait_for(timeout=60_000)
        ref = done.inner_text().split()[1]
        no_error(page)
        page.screenshot(path=OUTPUT / "problem-ruled.png", full_page=True)
    with Session(browser_db) as session:
        plant = resolve_plant(session=session, code="AERO")
        ruled = problems.problem_detail(session=session, plant=plant, ref=ref)
    assert ruled.status == "ruled" and sum(ruled.responsible.values()) == 1
    assert ruled.history[-1]["note"] == "joint review: the cause lies at the proposed unit"


def test_a_card_runs_alone_until_a_submit_or_a_reload_runs_the_page(app_url, browser_db):
    """Each supplier's card is a fragment: a submit runs the whole page, so the notice of the
    missing forms follows; a reload reads the form another user saved meanwhile."""
    month = month_of(date.today())  # the demo has no form in the current month yet
    with browser_page() as page:
        sign_in(page, f"{app_url}/?month={month}", "aero-assy")
        page.get_by_role("link", name="Score my suppliers").click()
        page.get_by_text("Still missing: 5 of 5 forms").wait_for(timeout=60_000)
        idle(page)
        supplier = next(t for t in page.locator("h3").all_inner_texts() if " · " in t)
        supplier = supplier.split(" · ")[0]
        slider = page.get_by_role("slider").first
        slider.focus()
        page.keyboard.press("ArrowRight")  # 6 -> 7: no comment needed
        for _ in range(60):
            idle(page)
            if page.get_by_role("slider").first.input_value() == "7":
                break
        page.get_by_role("button", name="Submit").first.click()
        page.get_by_text("Still missing: 4 of 5 forms").wait_for(timeout=60_000)
        idle(page)
        assert stored_quality(browser_db, supplier, month) == 7

        with Session(browser_db) as session:
            plant = resolve_plant(session=session, code="AERO")
            scoring.submit_form(
                session=session,
                plant=plant,
                month=month,
                rater="ASSY",
                ratee=supplier,
                values=dict.fromkeys(("quality", "delivery", "service", "handover"), 9),
                actor=actor_for(session=session, username="aero-assy"),
            )
        page.get_by_role("button", name="Submit").first.click()
        page.get_by_text("was changed by aero-assy").wait_for(timeout=60_000)
        page.get_by_role("button", name="Reload").first.click()
        for _ in range(60):
            idle(page)
            if page.get_by_role("slider").first.input_value() == "9":
                break
        assert page.get_by_role("slider").first.input_value() == "9"


def test_a_card_or_a_dashboard_tab_touched_after_the_idle_limit_signs_out(
    demo_master, tmp_path, monkeypatch
):
    """Both run as fragments, without the page that checks the session: each checks it."""
    path = tmp_path / "demo.db"
    shutil.copy(demo_master, path)
    monkeypatch.setenv("NOAC_SESSION_IDLE_MINUTES", "1")
    ended = "Your session ended after a minute without activity"
    with served_app(f"sqlite:///{path}") as base, browser_page() as page:
        sign_in(page, base, "aero-assy")
        page.get_by_role("link", name="Score my suppliers").click()
        page.get_by_role("button", name="Submit").first.wait_for(timeout=60_000)
        idle(page)
        dashboard = page.context.browser.new_page(viewport=page.viewport_size)
        sign_in(dashboard, base, "exec")
        dashboard.get_by_role("tab", name="Coefficient ranking").wait_for(timeout=60_000)
        idle(dashboard)
        page.wait_for_timeout(61_000)
        page.get_by_role("slider").first.focus()
        page.keyboard.press("ArrowRight")
        page.get_by_text(ended).wait_for(timeout=30_000)
        assert page.get_by_role("slider").count() == 0
        dashboard.get_by_role("tab", name="Trends").click()
        dashboard.get_by_text(ended).wait_for(timeout=30_000)
        assert dashboard.get_by_role("tab").count() == 0


def test_a_half_finished_form_outlasts_a_look_at_another_page(app_url):
    """Streamlit forgets a card's widgets when another page runs; what the supervisor
    entered and did not submit is on the card again when he comes back."""
    month = month_of(date.today())
    with browser_page() as page:
        sign_in(page, f"{app_url}/?month={month}", "aero-assy")
        page.get_by_role("link", name="Score my suppliers").click()
        page.get_by_role("button", name="Submit").first.wait_for(timeout=60_000)
        idle(page)
        comment = page.get_by_role("textbox", name="Comment on Quality").first
        comment.fill("burrs on the edges of lot 7")
        page.keyboard.press("Tab")
        idle(page)
        slider = page.get_by_role("slider").first
        entered = str(int(slider.input_value()) - 1)
        slider.focus()
        page.keyboard.press("ArrowLeft")
        for _ in range(60):
            idle(page)
            if page.get_by_role("slider").first.input_value() == entered:
                break
        page.get_by_role("link", name="Feedback to my unit").click()
        page.get_by_role("heading", name="Feedback to my unit").wait_for(timeout=60_000)
        idle(page)
        page.get_by_role("link", name="Score my suppliers").click()
        page.get_by_role("button", name="Submit").first.wait_for(timeout=60_000)
        idle(page)
        assert page.get_by_role("slider").first.input_value() == entered
        assert comment.input_value() == "burrs on the edges of lot 7"
        no_error(page)


def test_the_month_picker_shows_its_month_in_the_language_chosen(app_url):
    """A picker keeps showing the label it had: after a switch to Chinese the month it
    shows reads in Chinese, as its options do."""
    month = month_of(date.today())
    with browser_page() as page:
        sign_in(page, f"{app_url}/?month={month}", "aero-assy")
        month_picker = page.locator("[data-testid='stSidebar'] input[aria-label^='Month']")
        assert month_picker.input_value() == month_label(month, "en")
        page.get_by_role("combobox", name="Language").click()
        page.get_by_role("option", name="中文").click()
        page.get_by_text("当前用户").wait_for(timeout=60_000)
        idle(page)
        month_picker = page.locator("[data-testid='stSidebar'] input[aria-label^='月份']")
        assert month_picker.input_value() == month_label(month, "zh")
        no_error(page)


def test_a_page_s_picker_shows_its_choice_in_the_language_chosen(app_url):
    """As the month picker does, the choice of a page's picker reads in the language the
    user switches to."""
    with browser_page() as page:
        sign_in(page, app_url, "aero-sheet")
        page.get_by_role("link", name="Problems of my unit").click()
        page.get_by_role("heading", name="Problems of my unit").wait_for(timeout=60_000)
        idle(page)
        picker = page.locator("input[aria-label^='Closed problems shown']")
        assert picker.input_value() == "closed in the last 3 months"
        page.get_by_role("combobox", name="Language").click()
        page.get_by_role("option", name="中文").click()
        page.get_by_role("heading", name="本单位的质量问题").wait_for(timeout=60_000)
        idle(page)
        picker = page.locator("input[aria-label^='显示的已关闭问题']")
        assert picker.input_value() == i18n.t("mine.found_closed.3", "zh")
        no_error(page)

"""The app's frame: sign-in, sidebar, pages per role, language; the plant page."""

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from dashboards.context import plain
from dashboards.i18n import month_label
from noac.db import create_db_engine
from noac.demo import DEMO_PASSWORD
from noac.importers import import_file
from noac.services.periods import closed_months, recent_months
from noac.services.plants import resolve_plant
from noac.services.users import add_user, reset_password
from tests.apptest import APP, page, signed_in, texts
from tests.conftest import SYSTEM, write_csv

ROLE_USERS = {
    "supervisor": "aero-assy",
    "inspector": "aero-qc-fin-insp",
    "quality": "quality",
    "executive": "exec",
    "admin": "admin",
}


def test_sign_in_with_the_demo_password(demo_url):
    at = signed_in(demo_url, None)
    assert at.title[0].value == "Sign in"
    at.text_input[0].input("quality")
    at.text_input[1].input("wrong password")
    at.button[0].click().run()
    assert "wrong username or password" in at.error[0].value
    at.text_input[1].input(DEMO_PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["actor"].role == "quality"


def test_a_refused_sign_in_reads_in_chinese_on_the_chinese_page(demo_url):
    at = signed_in(demo_url, None, lang="zh")
    at.text_input[0].input("quality")
    at.text_input[1].input("wrong password")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["用户名或密码错误"]


def test_a_session_idle_past_the_limit_signs_in_again(demo_url):
    at = signed_in(demo_url, "exec")
    assert not at.exception
    assert "Sign in" not in [title.value for title in at.title]
    at.session_state["last_seen"] = datetime.now(UTC) - timedelta(minutes=31)
    at.run()
    assert at.title[0].value == "Sign in"
    assert "session ended after 30 minutes without activity" in texts(at)
    assert "actor" not in at.session_state


def _reset_password_of(url: str, username: str) -> None:
    """An administrator gives ``username`` a new password meanwhile."""
    engine = create_db_engine(url)
    try:
        with Session(engine) as session:
            reset_password(session=session, actor=SYSTEM, username=username, password="a new one")
    finally:
        engine.dispose()


def _signed_in_through_the_identity_provider(monkeypatch, url: str, username: str):
    """The app with ``NOAC_AUTH=oidc``, opened by ``username`` signed in at the plant's
    identity provider (Streamlit's identity cookie, read as ``st.user``)."""
    monkeypatch.setenv("NOAC_AUTH", "oidc")
    at = AppTest.from_file(APP, default_timeout=90)
    at.user = {"is_logged_in": True, "preferred_username": username}
    at.run()
    assert at.session_state["actor"].username == username
    return at


def test_an_idle_session_through_the_identity_provider_asks_to_sign_in_again(demo_url, monkeypatch):
    at = _signed_in_through_the_identity_provider(monkeypatch, demo_url, "exec")
    at.session_state["last_seen"] = datetime.now(UTC) - timedelta(minutes=31)
    at.run()
    assert "actor" not in at.session_state
    assert at.user == {"is_logged_in": False}
    assert "session ended after 30 minutes without activity" in texts(at)
    assert [b.label for b in at.button] == ["Sign in with the plant's identity provider"]
    at.run()
    assert "actor" not in at.session_state


def test_a_changed_account_signed_in_through_the_identity_provider_signs_in_again(
    demo_url, monkeypatch
):
    at = _signed_in_through_the_identity_provider(monkeypatch, demo_url, "exec")
    _reset_password_of(demo_url, "exec")
    at.run()
    assert "actor" not in at.session_state
    assert at.user == {"is_logged_in": False}
    assert "Your account was disabled or changed since you signed in" in texts(at)


def test_a_password_reset_ends_the_sessions_signed_in_with_the_old_one(demo_url):
    at = signed_in(demo_url, "exec")
    _reset_password_of(demo_url, "exec")
    at.run()
    assert at.title[0].value == "Sign in"
    assert "Your account was disabled or changed since you signed in" in texts(at)
    assert "actor" not in at.session_state


def test_a_display_name_is_shown_as_written_not_as_markdown(demo_url):
    name = "**Boss** [mail](https://example.com) 质量部"
    engine = create_db_engine(demo_url)
    try:
        with Session(engine) as session:
            add_user(
                session=session,
                actor=SYSTEM,
                username="boss",
                display_name=name,
                role="executive",
                password="long enough",
            )
    finally:
        engine.dispose()
    at = signed_in(demo_url, "boss")
    (caption,) = [c.value for c in at.sidebar.caption if "Signed in as" in c.value]
    assert caption == f"Signed in as {plain(name)} (executive)"


@pytest.mark.parametrize("role", sorted(ROLE_USERS))
def test_every_role_sees_the_plant_page(demo_url, role):
    at = page(signed_in(demo_url, ROLE_USERS[role]), "views/plant.py")
    assert not at.exception
    assert "Supply graph" in texts(at)
    assert len(at.get("plotly_chart")) == 1


def test_language_switch_changes_the_texts(demo_url):
    at = page(signed_in(demo_url, "exec", lang="zh"), "views/plant.py")
    assert "供需关系图" in texts(at)
    at.sidebar.selectbox(key="lang").select("en").run()
    assert "Supply graph" in texts(at)


def test_uninitialised_database_is_explained(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    create_db_engine(url).connect().close()
    monkeypatch.setenv("NOAC_DATABASE_URL", url)
    at = signed_in(url, None)
    assert "run `noac init` first" in at.error[0].value


def test_a_missing_database_file_is_named_and_not_created(tmp_path, monkeypatch):
    missing = tmp_path / "noac.db"
    monkeypatch.setenv("NOAC_DATABASE_URL", f"sqlite:///{missing}")
    at = signed_in(f"sqlite:///{missing}", None)
    assert f"the database file {missing} does not exist" in at.error[0].value
    assert not missing.exists()


def test_a_link_opens_the_month_it_names(demo_url):
    older = recent_months(date.today())[6]
    at = signed_in(demo_url, "exec", query={"month": older})
    assert not at.exception
    assert at.session_state["month"] == older
    assert at.sidebar.selectbox(key="month").value == older
    # a month the plant cannot show opens the usual one
    usual = signed_in(demo_url, "exec").session_state["month"]
    assert usual != older
    assert signed_in(demo_url, "exec", query={"month": "1999-01"}).session_state["month"] == usual


def import_into_aero(url: str, path, kind: str, **options) -> None:
    """Import a file into the demo's AERO plant behind the app's back, as another user would."""
    engine = create_db_engine(url)
    try:
        with Session(engine) as session:
            import_file(
                actor=SYSTEM, session=session, kind=kind, path=path, plant_code="AERO", **options
            )
    finally:
        engine.dispose()


def _found_in_june_2019(demo_url, tmp_path) -> None:
    """Import a problem found in June 2019, before the plant's other data."""
    import_into_aero(
        demo_url,
        write_csv(
            tmp_path / "d.csv",
            "id,date,found_at,part,severity,qty\nOLD-1,2019-06-10,ASSY,BP-100,major,1",
        ),
        "defects",
    )


def test_a_month_imported_meanwhile_is_offered_at_the_next_click(demo_url, tmp_path):
    at = signed_in(demo_url, "exec")
    assert "Jun 2019" not in at.sidebar.selectbox(key="month").options
    _found_in_june_2019(demo_url, tmp_path)
    at.run()
    assert "Jun 2019" in at.sidebar.selectbox(key="month").options


def _hovered(chart) -> list[str]:
    """What hovering each edge of a supply graph figure shows."""
    figure = json.loads(chart.proto.spec)
    return [
        text for trace in figure["data"] if trace["name"] == "supply" for text in trace["hovertext"]
    ]


def test_the_plant_page_draws_the_services_in_force(demo_url, tmp_path):
    at = signed_in(demo_url, "exec")
    month = at.session_state["month"]
    relations = write_csv(tmp_path / "s.csv", "provider,customer,weight\nENG,ASSY,2")
    import_into_aero(
        demo_url, relations, "service-relations", effective=date.fromisoformat(f"{month}-01")
    )
    at = page(at, "views/plant.py")
    assert not at.exception
    assert "Services in force this month" in texts(at)
    supply, services = at.get("plotly_chart")
    assert _hovered(services) == ["ENG → ASSY<br>weight: 2"]
    assert not [text for text in _hovered(supply) if text.startswith("ENG → ASSY")]
    # the month before, the relation was not in force yet
    at.sidebar.selectbox(key="month").select(recent_months(date.today())[2]).run()
    assert "Services in force this month" not in texts(at)
    assert len(at.get("plotly_chart")) == 1


@pytest.mark.parametrize(("lang", "june"), [("en", "Jun 2019"), ("zh", "2019年6月")])
def test_the_month_picker_names_the_months_in_the_pages_language(demo_url, tmp_path, lang, june):
    """As the pages do ("Jun 2019", "2019年6月"); the month chosen is still its code."""
    _found_in_june_2019(demo_url, tmp_path)
    engine = create_db_engine(demo_url)
    try:
        with Session(engine) as session:
            aero = resolve_plant(session=session, code="AERO")
            last = max(closed_months(session=session, plant=aero))
    finally:
        engine.dispose()
    at = signed_in(demo_url, "exec", lang, query={"month": "2019-06"})
    picker = at.sidebar.selectbox(key="month")
    assert picker.value == at.session_state["month"] == "2019-06"
    assert june in picker.options
    assert f"{month_label(last, lang)} 🔒" in picker.options
    assert not [option for option in picker.options if re.match(r"\d{4}-\d{2}", option)]

    picker.select(last).run()
    assert not at.exception
    assert at.session_state["month"] == last
    other = "zh" if lang == "en" else "en"
    at.sidebar.selectbox(key="lang").select(other).run()  # the month chosen stays
    assert at.sidebar.selectbox(key="month").value == at.session_state["month"] == last
    assert f"{month_label(last, other)} 🔒" in at.sidebar.selectbox(key="month").options

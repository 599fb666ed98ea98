"""Entry script of the NOAC app: `streamlit run dashboards/app.py`.

It signs the user in, offers the plant, month and language in the sidebar,
and shows the pages of the user's role. Pages live in ``views/`` and call
``noac`` services only.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import streamlit as st
from sqlmodel import Session

from dashboards import i18n
from dashboards.context import (
    ACTOR,
    LANG,
    LAST_SEEN,
    MONTH,
    WRITTEN,
    db,
    engine,
    forget_kept,
    lang,
    plain,
    refusal,
    signed_in,
    t,
)
from noac.db import check_schema
from noac.errors import NoacError
from noac.models import Plant
from noac.services import users
from noac.services.dashboard import data_stamp
from noac.services.periods import closed_months, data_months, recent_months, working_month
from noac.services.plants import list_plants
from noac.settings import get_settings

EVERYONE = ("supervisor", "inspector", "quality", "executive", "admin")
MONTH_SHOWN = "month_shown"  # the label the month picker showed on the last run

# (page script, title key, url path, roles that see it)
PAGES = (
    ("views/executive.py", "page.executive", "dashboard", ("executive", "quality", "admin")),
    ("views/score.py", "page.score", "score", ("supervisor",)),
    ("views/feedback.py", "page.feedback", "feedback", ("supervisor",)),
    ("views/report.py", "page.report", "report", ("supervisor", "inspector", "quality")),
    ("views/my_problems.py", "page.my_problems", "my-problems", ("supervisor",)),
    ("views/quality_desk.py", "page.quality_desk", "quality-desk", ("quality",)),
    ("views/month_close.py", "page.month_close", "month-close", ("quality",)),
    ("views/plant.py", "page.plant", "plant", EVERYONE),
    ("views/masterdata.py", "page.masterdata", "master-data", ("admin",)),
    ("views/audit.py", "page.audit", "audit", ("quality", "admin")),
)


def _language_picker() -> None:
    st.sidebar.selectbox(
        i18n.t("sidebar.language", lang()),
        list(i18n.LANGUAGES),
        index=list(i18n.LANGUAGES).index(lang()),
        format_func=i18n.LANGUAGES.get,
        key=LANG,
        on_change=_relabel,
    )


def _relabel() -> None:
    """Have the pickers (the month, a page's choices) show their choice in the language just
    chosen: a picker keeps showing the label it had until its value is set anew. Every text
    value is set anew, a text field's to what it holds; buttons and uploads hold none."""
    for key, value in list(st.session_state.items()):
        if key != LANG and isinstance(value, str):
            st.session_state[key] = value


def _login_page() -> None:
    st.title(t("login.title"))
    minutes = get_settings().session_idle_minutes
    if st.session_state.pop("expired", False):
        st.info(t("login.expired_one") if minutes == 1 else t("login.expired", minutes=minutes))
    if st.session_state.pop("account_changed", False):
        st.warning(t("login.account_changed"))
    if get_settings().auth == "oidc":
        _oidc_login()
        return
    with st.form("login"):
        username = st.text_input(t("login.username"))
        password = st.text_input(t("login.password"), type="password")
        submitted = st.form_submit_button(t("login.submit"), type="primary")
    if submitted:
        try:
            with db() as session:
                actor = users.authenticate(session=session, username=username, password=password)
        except NoacError as error:
            st.error(refusal(error))
            return
        st.session_state[ACTOR] = actor
        st.session_state[LAST_SEEN] = datetime.now(UTC)
        st.rerun()


def _oidc_login() -> None:
    """Sign-in through the plant's identity provider (Streamlit's ``st.login``)."""
    if not st.user.is_logged_in:
        st.button(t("login.oidc"), on_click=st.login, type="primary")
        return
    name = st.user.get("preferred_username") or st.user.get("email") or ""
    try:
        with db() as session:
            st.session_state[ACTOR] = users.actor_for(session=session, username=str(name))
    except NoacError:
        st.error(t("login.oidc_unknown", name=name))
        return
    st.session_state[LAST_SEEN] = datetime.now(UTC)
    st.rerun()


def _logout() -> None:
    for key in (ACTOR, LAST_SEEN, "plant", MONTH):
        st.session_state.pop(key, None)
    forget_kept()
    if get_settings().auth == "oidc":
        st.logout()


@st.cache_data(show_spinner=False, max_entries=256)
def _data_months(url: str, stamp: str, plant_id: int, _session: Session, _plant: Plant) -> set[str]:
    """The months ``_plant`` has data in, read again only after a change (``stamp``, the
    audit trail's): read on every run, they took 20 ms of each click."""
    return data_months(session=_session, plant=_plant)


def _sidebar(today: date) -> bool:
    """Plant and month pickers; False when there is no plant to work on."""
    actor = st.session_state[ACTOR]
    with db() as session:
        plants = list_plants(session=session)
        if actor.plant_id is not None:
            plants = [p for p in plants if p.id == actor.plant_id]
        if not plants:
            st.info(t("no_plant"))
            return False
        plant = st.sidebar.selectbox(
            t("sidebar.plant"), plants, format_func=lambda p: f"{p.code} · {p.name}", key="plant"
        )
        closed = closed_months(session=session, plant=plant)
        default = working_month(session=session, plant=plant, today=today)
        older = _data_months(
            str(engine().url), data_stamp(session=session), plant.id, session, plant
        )
    months = sorted(set(recent_months(today)) | older, reverse=True)
    if st.session_state.get(MONTH) not in months:
        # a link may name the month to open (``?month=2025-12``)
        linked = st.query_params.get(MONTH)
        st.session_state[MONTH] = linked if linked in months else default
    language = lang()
    labels = {m: i18n.month_label(m, language) + (" 🔒" if m in closed else "") for m in months}
    shown = labels[st.session_state[MONTH]]
    if st.session_state.get(MONTH_SHOWN, shown) != shown:
        # the month on show was closed or reopened since: the browser shows the label it
        # had when chosen until the choice is sent to it again
        st.session_state[MONTH] = st.session_state[MONTH]
    st.session_state[MONTH_SHOWN] = shown
    st.sidebar.selectbox(
        t("sidebar.month"),
        months,
        format_func=lambda m: labels[m],
        key=MONTH,
        help=t("sidebar.closed_help"),
    )
    role = t(f"role.{actor.role}") + (f" · {actor.unit}" if actor.unit else "")
    name = plain(actor.display_name or actor.username)
    st.sidebar.caption(t("sidebar.signed_in", name=name, role=role))
    st.sidebar.button(t("logout"), on_click=_logout)
    return True


def main() -> None:
    st.set_page_config(page_title="NOAC", layout="wide")
    try:
        check_schema(engine())
    except NoacError as error:
        st.error(refusal(error))
        return
    _language_picker()
    if not signed_in():
        st.navigation([st.Page(_login_page, title=t("login.title"))]).run()
        return
    for key in WRITTEN:  # kept while the user looks at another page; the sign-in page drops them
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
    if not _sidebar(date.today()):
        return
    role = st.session_state[ACTOR].role
    pages = [
        st.Page(path, title=t(title), url_path=url)
        for path, title, url, roles in PAGES
        if role in roles
    ]
    st.navigation(pages).run()


main()

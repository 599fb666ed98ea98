"""What every page shares: the database, the signed-in user, the plant, the month,
the language. Pages call services with these and draw what comes back."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ParamSpec

import streamlit as st
from sqlalchemy import Engine
from sqlmodel import Session

from dashboards import i18n
from dashboards.i18n import refusals
from noac.db import create_db_engine
from noac.errors import NoacError
from noac.models import Plant
from noac.scheme import Criterion
from noac.services import users
from noac.services.access import Actor
from noac.settings import get_settings

ACTOR = "actor"
PLANT = "plant_code"
MONTH = "month"
LANG = "lang"
LAST_SEEN = "last_seen"
P = ParamSpec("P")
# what a user writes on the problem pages: Streamlit forgets a widget's value once a page
# without it runs, so the app keeps these while the user is signed in, and only then
WRITTEN = (
    "report.description",
    "report.lot",
    "mine.dispute_reason",
    "mine.root_cause",
    "mine.actions",
    "mine.milestones",
    "mine.verify_note",
    "mine.revise.root_cause",
    "mine.revise.actions",
    "desk.rule_reason",
    "desk.rule_milestones",
    "desk.verify_note",
)
# what a page keeps of its user outside its widgets starts so (the drafts of the score page):
# dropped when the user signs out or the session ends, as the sign-in page drops the widgets,
# so that the next user of the browser does not get it
KEPT = "kept-"


@st.cache_resource
def _engine(url: str) -> Engine:
    return create_db_engine(url)


def engine() -> Engine:
    """The configured database's engine, shared by every session of the app."""
    return _engine(get_settings().database_url)


@contextmanager
def db() -> Iterator[Session]:
    with Session(engine(), expire_on_commit=False) as session:
        yield session


def signed_in() -> bool:
    """Whether a user is signed in and active; ends idle sessions, and those of a user
    disabled or changed since signing in (read again on every run)."""
    if ACTOR not in st.session_state:
        return False
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    now = datetime.now(UTC)
    if now - st.session_state.get(LAST_SEEN, now) > idle:
        _end_session("expired")
        return False
    actor = st.session_state[ACTOR]
    try:
        with db() as session:
            current = users.actor_for(session=session, username=actor.username)
    except NoacError:
        current = None
    if current != actor:
        _end_session("account_changed")
        return False
    st.session_state[LAST_SEEN] = now
    return True


def forget_kept() -> None:
    """Drop what the pages kept of the user who leaves (``KEPT``)."""
    for key in [key for key in st.session_state if str(key).startswith(KEPT)]:
        del st.session_state[key]


def _end_session(reason: str) -> None:
    """End the signed-in session; the sign-in page says why (``reason``). Through the
    plant's identity provider this signs out there too, or its sign-in, remembered by the
    browser, would open the session again at once."""
    del st.session_state[ACTOR]
    forget_kept()
    st.session_state[reason] = True
    if get_settings().auth == "oidc":
        st.logout()


def while_signed_in(action: Callable[P, None]) -> Callable[P, None]:
    """A button's ``action`` that writes, run only while its user is still signed in: a
    widget's callback runs before the page, so without this the first click after the idle
    limit would still act in the name of the ended session."""

    @functools.wraps(action)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> None:
        if signed_in():
            action(*args, **kwargs)

    return guarded


def page_fragment(part: Callable[P, None]) -> Callable[P, None]:
    """``part`` of a page as a fragment (``st.fragment``), a widget in it running it alone:
    such a run skips ``app.py``, which ends idle sessions, so when the session ended it runs
    the whole page instead, which signs the user out."""

    @functools.wraps(part)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> None:
        if not signed_in():
            st.rerun(scope="app")
        part(*args, **kwargs)

    return st.fragment(guarded)


def lang() -> str:
    # the settings are read only when the user has not chosen: pages call this per text
    if LANG in st.session_state:
        return st.session_state[LANG]
    return get_settings().language


def t(key: str, **values: object) -> str:
    """The text ``key`` in the user's language."""
    return i18n.t(key, lang(), **values)


def refusal(error: NoacError, criteria: Iterable[Criterion] = ()) -> str:
    """A service's refusal in the user's language (``i18n.refusals.refusal``); ``criteria``:
    those of the scheme a score was refused on, named as the scheme names them."""
    return refusals.refusal(error, lang(), criteria)


def note(text: str, criteria: Iterable[Criterion] = ()) -> str:
    """A service's note (an import's, a flag's) in the user's language
    (``i18n.refusals.note``); ``criteria`` as for ``refusal``."""
    return refusals.note(text, lang(), criteria)


@dataclass(frozen=True)
class PageContext:
    """The signed-in user and the sidebar's choices."""

    actor: Actor
    plant: Plant
    month: str
    lang: str


def page_context() -> PageContext:
    """What the entry script put in the session for the page now running."""
    state = st.session_state
    return PageContext(state[ACTOR], state["plant"], state[MONTH], lang())


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def plain(text: object) -> str:
    """User text made safe for ``st.markdown``: no formatting, link or HTML comes through.

    >>> plain("**bold** <b>x</b> [a](b)")
    '\\\\*\\\\*bold\\\\*\\\\* \\\\<b\\\\>x\\\\</b\\\\> \\\\[a\\\\]\\\\(b\\\\)'
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))

"""Run the app under Streamlit's AppTest as a signed-in demo user (the demo
database comes from the ``demo_url`` fixture of conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from noac.db import create_db_engine
from noac.services.users import actor_for
from tests.conftest import ROOT

APP = str(ROOT / "dashboards" / "app.py")


def signed_in(
    url: str, username: str | None, lang: str = "en", query: dict[str, str] | None = None
) -> AppTest:
    """The app after signing in as ``username`` (None: nobody), first run done; ``query``:
    the query parameters of the link the app was opened with."""
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["lang"] = lang
    for name, value in (query or {}).items():
        at.query_params[name] = value
    if username is not None:
        engine = create_db_engine(url)
        try:
            with Session(engine) as session:
                at.session_state["actor"] = actor_for(session=session, username=username)
        finally:
            engine.dispose()
        at.session_state["last_seen"] = datetime.now(UTC)
    return at.run()


def page(at: AppTest, script: str) -> AppTest:
    """Switch to a page (``views/score.py``) and run it."""
    return at.switch_page(script).run()


def texts(at: AppTest) -> str:
    """Every piece of text the page shows, joined, to search in."""
    parts = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "info",
        "warning",
        "success",
        "error",
        "text",
    ):
        parts += [str(element.value) for element in getattr(at, kind)]
    return "\n".join(parts)

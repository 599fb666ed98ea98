"""The executive dashboard page under AppTest: every tab renders for the demo's open and
closed months in both languages, for a month without data and for a one-unit plant."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from dashboards import i18n
from noac.db import create_db_engine, migrate
from noac.importers import import_file
from noac.services import dashboard, users
from noac.services.coefficients import close_month, month_computations
from noac.services.periods import closed_months, recent_months
from noac.services.plants import resolve_plant, save_plant
from tests.apptest import page, signed_in, texts
from tests.conftest import QUALITY, SYSTEM, write_csv

SCRIPT = "views/executive.py"
# tab -> the section titles it shows and the charts it draws for a demo month
TABS = {
    "dash.ranking.title": (("dash.ranking.title",), 1),
    "dash.matrix.title": (("dash.matrix.title",), 1),
    "dash.map.title": (("dash.map.title",), 1),
    "dash.trends.title": (("dash.trends.title",), 1),
    "dash.pareto.title": (("dash.pareto.title",), 3),
    "dash.actions.title": (("dash.actions.title",), 1),
    "dash.unit.title": (("dash.unit.title",), 2),
}
TILE_DIGITS = {"satisfaction": 1, "spread": 3}


def board_of(url: str, month: str) -> dashboard.Dashboard:
    engine = create_db_engine(url)
    try:
        with Session(engine) as session:
            plant = resolve_plant(session=session, code="AERO")
            return dashboard.executive_dashboard(
                session=session, plant=plant, month=month, today=date.today()
            )
    finally:
        engine.dispose()


def open_tab(at, key: str, lang: str, plant: str = "AERO"):
    at.session_state[f"dash_tab_{plant}_{lang}"] = i18n.t(key, lang)
    return at.run()


def every_tab(at, lang: str, plant: str = "AERO") -> tuple[str, dict[str, int]]:
    """Open each tab in turn: its sections are shown without error; every text shown and the
    charts each tab drew."""
    shown, charts = [], {}
    for key, (sections, _) in TABS.items():
        open_tab(at, key, lang, plant)
        assert not at.exception, key
        assert [tab.label for tab in at.tabs] == [i18n.t(k, lang) for k in TABS]
        for section in sections:
            assert i18n.t(section, lang) in texts(at), section
        shown.append(texts(at))
        charts[key] = len(at.get("plotly_chart"))
    return "\n".join(shown), charts


DEMO_CHARTS = {key: charts for key, (_, charts) in TABS.items()}


@pytest.mark.parametrize(("closed", "lang"), [(False, "en"), (True, "zh")])
def test_every_section_renders_for_a_demo_month(demo_url, closed, lang):
    at = signed_in(demo_url, "exec", lang)
    if closed:
        engine = create_db_engine(demo_url)
        with Session(engine) as session:
            month = max(
                closed_months(session=session, plant=resolve_plant(session=session, code="AERO"))
            )
        engine.dispose()
        at.sidebar.selectbox(key="month").select(month)
    at = page(at, SCRIPT)
    month = at.session_state["month"]
    assert not at.exception
    # the page opens on the ranking only
    assert len(at.get("plotly_chart")) == 1
    assert i18n.t("dash.map.title", lang) not in texts(at)
    assert every_tab(at, lang)[1] == DEMO_CHARTS
    board = board_of(demo_url, month)
    assert board.closed is closed
    status = i18n.t("dash.closed", lang, run=board.run) if closed else i18n.t("dash.preview", lang)
    assert status in texts(at)
    for metric, tile in zip(at.metric[:6], board.tiles, strict=True):
        assert metric.value == i18n.number(tile.value, lang, TILE_DIGITS.get(tile.name, 0))
    # the drill-down follows the unit chosen (the unit tab is the last one opened)
    at.selectbox(key="dash_unit_AERO").select("WELD").run()
    assert not at.exception
    assert i18n.t("dash.unit.scores", lang, unit="WELD", month=i18n.month_label(month, lang)) in (
        texts(at)
    )
    # and the other language draws the same page
    other = "en" if lang == "zh" else "zh"
    at.sidebar.selectbox(key="lang").select(other).run()
    assert not at.exception
    assert every_tab(at, other)[1] == DEMO_CHARTS


def test_closing_the_month_shows_at_the_next_run(demo_url):
    at = page(signed_in(demo_url, "exec"), SCRIPT)
    assert i18n.t("dash.preview", "en") in texts(at)
    engine = create_db_engine(demo_url)
    try:
        with Session(engine) as session:
            plant = resolve_plant(session=session, code="AERO")
            close_month(
                session=session, plant=plant, month=at.session_state["month"], actor=QUALITY
            )
    finally:
        engine.dispose()
    at.run()
    assert not at.exception
    assert i18n.t("dash.closed", "en", run=1) in texts(at)


def test_a_month_without_data_is_explained(demo_url):
    at = signed_in(demo_url, "exec")
    month = recent_months(date.today())[20]
    at.sidebar.selectbox(key="month").select(month)
    at = page(at, SCRIPT)
    assert not at.exception
    label = i18n.month_label(month, "en")
    assert f"No forms yet for {label}, and no problem counts in it" in at.info[0].value
    assert [m.value for m in at.metric[:6]] == ["—", "—", "0", "0", "0", "—"]
    shown, charts = every_tab(at, "en")
    assert i18n.t("dash.ranking.empty", "en", month=label) in shown
    assert i18n.t("dash.matrix.no_forms", "en", month=label) in shown
    assert i18n.t("dash.actions.none_overdue", "en", month=label) in shown
    # what can still be drawn is drawn: the matrix of missing forms, the map, the unit's
    # customers; never an empty chart
    assert charts == dict.fromkeys(TABS, 0) | {
        "dash.matrix.title": 1,
        "dash.map.title": 1,
        "dash.unit.title": 1,
    }


def boss_on_a_new_plant(tmp_path, monkeypatch, setup, lang: str):
    """The dashboard, signed in as an executive, of a new database that ``setup(session)``
    filled; the app reads that database."""
    url = f"sqlite:///{tmp_path / 'new.db'}"
    engine = create_db_engine(url)
    migrate(engine)
    with Session(engine, expire_on_commit=False) as session:
        setup(session)
        users.add_user(
            session=session,
            actor=SYSTEM,
            username="boss",
            display_name="Boss",
            role="executive",
            password="a long enough password",
        )
    engine.dispose()
    monkeypatch.setenv("NOAC_DATABASE_URL", url)
    return page(signed_in(url, "boss", lang), SCRIPT)


def test_a_plant_without_units_yet(tmp_path, monkeypatch):
    def setup(session):
        save_plant(session=session, code="NEW", name="New plant", actor=SYSTEM)

    at = boss_on_a_new_plant(tmp_path, monkeypatch, setup, "en")
    assert not at.exception
    shown, charts = every_tab(at, "en", plant="NEW")
    assert i18n.t("dash.unit.no_units", "en") in shown
    assert sum(charts.values()) == 0


def test_a_one_unit_plant(tmp_path, monkeypatch):
    def setup(session):
        for kind, text in (
            ("units", "code,name,kind,categories,target\nSOLO,Only unit,workshop,assembly,\n"),
            ("routings", "part,op,unit,category,after,inspection\nP1,10,SOLO,assembly,,0\n"),
        ):
            path = write_csv(tmp_path / f"{kind}.csv", text)
            import_file(actor=SYSTEM, session=session, kind=kind, path=path)

    at = boss_on_a_new_plant(tmp_path, monkeypatch, setup, "zh")
    assert not at.exception
    label = i18n.month_label(at.session_state["month"], "zh")
    shown, charts = every_tab(at, "zh", plant="MAIN")
    assert i18n.t("dash.map.empty", "zh", month=label) in shown
    assert i18n.t("dash.matrix.empty", "zh", month=label) in shown
    assert i18n.t("dash.unit.no_customers", "zh", unit="SOLO", month=label) in shown
    assert sum(charts.values()) == 0


def test_a_unit_target_with_decimals_is_shown_as_the_month_close_shows_it(demo_url, tmp_path):
    """A target of 82.5 reads 82.5 on the unit page and in the ranking, as on the month close
    and in the export: rounded to 83, a unit at S 82.7 would look under its target."""
    engine = create_db_engine(demo_url)
    with Session(engine) as session:
        path = write_csv(
            tmp_path / "units.csv",
            "code,name,kind,categories,target\n"
            "SHEET,钣金分厂,workshop,cutting;bending;forming;riveting,82.5\n",
        )
        import_file(actor=SYSTEM, session=session, kind="units", path=path, plant_code="AERO")
    engine.dispose()
    at = page(signed_in(demo_url, "exec", "en"), SCRIPT)
    (ranking,) = at.get("plotly_chart")
    assert "(target 82.5)" in ranking.proto.spec
    at.session_state["dash_unit_AERO"] = "SHEET"
    at = open_tab(at, "dash.unit.title", "en")
    assert not at.exception
    target = next(m for m in at.metric if m.label == i18n.t("dash.unit.target", "en"))
    assert target.value == "82.5"


def test_the_plant_satisfaction_tile_names_the_plant_in_both_languages(demo_url):
    """Above a unit's "Satisfaction S" the tile is the plant's, in English as in Chinese."""
    for lang, label in (("en", "Plant satisfaction"), ("zh", "全厂满意度")):
        at = page(signed_in(demo_url, "exec", lang), SCRIPT)
        at = open_tab(at, "dash.unit.title", lang)
        labels = [m.label for m in at.metric]
        assert labels[0] == label
        assert i18n.t("dash.unit.satisfaction", lang) in labels


def test_the_unit_page_lists_the_problems_behind_its_penalty_points(demo_url):
    """An executive sees which problems make a unit's penalty points in the month, each with
    its points (severity points x share, overdue x share, escape), adding up to the points
    beside K, as the month close lists them."""
    engine = create_db_engine(demo_url)
    with Session(engine) as session:
        plant = resolve_plant(session=session, code="AERO")
        month = max(closed_months(session=session, plant=plant))
        results = month_computations(session=session, plant=plant, months=[month])
    engine.dispose()
    result = max(results[month].results, key=lambda r: (r.penalty_points, r.unit))
    assert result.decomposition["defects"] and result.decomposition["overdue"]
    listed = {
        (part, row["problem"], row["points"])
        for part in ("defects", "overdue", "escapes")
        for row in result.decomposition[part]
    }
    at = signed_in(demo_url, "exec", "en")
    at.sidebar.selectbox(key="month").select(month)
    at = page(at, SCRIPT)
    at.session_state["dash_unit_AERO"] = result.unit
    at = open_tab(at, "dash.unit.title", "en")
    assert not at.exception
    penalty = next(m for m in at.metric if m.label == "Penalty points")
    assert penalty.value == i18n.number(result.penalty_points, "en", 2)
    assert (
        f"**{result.unit}: penalty points of {i18n.month_label(month, 'en')}, problem by problem**"
        in texts(at)
    )
    table = next(d.value for d in at.dataframe if "points" in d.value.columns)
    shown = set(zip(table["penalty"], table["problem"], table["points"], strict=True))
    assert shown == listed
    assert sum(table["points"]) == pytest.approx(result.penalty_points)

"""The pages "Score my suppliers" and "Feedback to my unit" on the demo database.

In the demo the previous month is open with every form of ASSY submitted, the months before it
are closed, and the current month has no score yet. ASSY's suppliers: HEAT, QC-MA, QC-SM, STORE,
SURF.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session

from dashboards.i18n import month_label
from noac.db import create_db_engine
from noac.demo import history_months
from noac.importers import import_file
from noac.scheme import DEFAULT_SCHEME
from noac.services import scoring
from noac.services.coefficients import previous_months
from noac.services.periods import month_of
from noac.services.plants import resolve_plant
from noac.services.schemes import set_scheme
from noac.services.users import actor_for
from tests.apptest import page, signed_in, texts
from tests.conftest import SYSTEM, scheme_with_a_criterion

CRITERIA = ("quality", "delivery", "service", "handover")
CURRENT = month_of(date.today())
OPEN = previous_months(CURRENT, 1)[0]
CLOSED = previous_months(CURRENT, 2)[0]


def stored_forms(url: str, month: str, rater: str = "ASSY") -> dict[str, scoring.Form]:
    """The forms of ``rater`` as the service layer holds them, read with a fresh engine."""
    engine = create_db_engine(url)
    try:
        with Session(engine) as session:
            plant = resolve_plant(session=session, code="AERO")
            return {
                f.ratee: f
                for f in scoring.forms(session=session, plant=plant, months=[month])
                if f.rater == rater
            }
    finally:
        engine.dispose()


def score_page(url, user="aero-assy", lang="en", month=None):
    at = page(signed_in(url, user, lang=lang), "views/score.py")
    if month is not None:
        at.sidebar.selectbox(key="month").select(month).run()
    return at


def said(at, kind: str) -> str:
    """Every message of a kind (success, error, info) on the page, joined."""
    return "\n".join(str(element.value) for element in getattr(at, kind))


def enter(at, month, supplier, values, comments=None):
    for criterion, value in values.items():
        at.slider(key=f"score-{month}-{supplier}-{criterion}").set_value(value)
    for criterion, comment in (comments or {}).items():
        at.text_area(key=f"comment-{month}-{supplier}-{criterion}").input(comment)
    return at.run()


def test_score_page_renders_for_a_supervisor(demo_url):
    at = score_page(demo_url)
    assert not at.exception
    shown = texts(at)
    assert "Score my suppliers" in shown
    assert f"Forms for {month_label(OPEN, 'en')} are due on" in shown
    assert f"All 5 forms for {month_label(OPEN, 'en')} are submitted" in shown
    assert f"What you submitted for {month_label(CLOSED, 'en')}" in shown
    for supplier in ("HEAT", "QC-MA", "QC-SM", "STORE", "SURF"):
        assert f"{supplier} · " in shown
        assert at.button(key=f"submit-{OPEN}-{supplier}")
    # prefilled with the values already saved
    saved = stored_forms(demo_url, OPEN)["STORE"]
    for criterion in CRITERIA:
        assert at.slider(key=f"score-{OPEN}-STORE-{criterion}").value == saved.values[criterion]
    assert len(at.dataframe) == 1  # last month's forms


def test_submitted_values_are_what_the_service_holds(demo_url):
    at = score_page(demo_url)
    values = {"quality": 9, "delivery": 7, "service": 8, "handover": 4}
    enter(at, OPEN, "STORE", values, {"handover": "racks left uncovered"})
    assert not at.exception
    at.button(key=f"submit-{OPEN}-STORE").click().run()
    # F = 0.40*90 + 0.25*70 + 0.20*80 + 0.15*40 = 75.5
    assert "Form for STORE · 物资管理站 submitted: form score 75.5." in said(at, "success")
    form = stored_forms(demo_url, OPEN)["STORE"]
    assert form.values == values
    assert form.comments == {"handover": "racks left uncovered"}
    assert form.score == 75.5
    assert "submitted, form score 75.5" in texts(at)


def test_a_first_form_in_a_month_without_scores(demo_url):
    at = score_page(demo_url, month=CURRENT)
    assert "Still missing: 5 of 5 forms" in texts(at)
    values = {"quality": 10, "delivery": 8, "service": 6, "handover": 10}
    enter(at, CURRENT, "HEAT", values)
    at.button(key=f"submit-{CURRENT}-HEAT").click().run()
    # F = 0.40*100 + 0.25*80 + 0.20*60 + 0.15*100 = 87
    assert "Form for HEAT · 热处理分厂 submitted: form score 87.0." in said(at, "success")
    assert stored_forms(demo_url, CURRENT)["HEAT"].values == values
    assert "Still missing: 4 of 5 forms" in texts(at)


def test_the_missing_forms_are_listed_as_the_page_s_language_lists_them(demo_url):
    """Nothing is scored yet this month: the notice names ASSY's five suppliers, with commas
    on the English page and with the Chinese enumeration comma on the Chinese page."""
    at = score_page(demo_url, month=CURRENT)
    assert (
        "Still missing: 5 of 5 forms — HEAT · 热处理分厂, QC-MA · 机加检验站, QC-SM · 钣金检验站,"
        " STORE · 物资管理站, SURF · 表面处理分厂." in texts(at)
    )
    at = score_page(demo_url, lang="zh", month=CURRENT)
    assert (
        "尚缺 5 份中的 5 份评分表：HEAT · 热处理分厂、QC-MA · 机加检验站、QC-SM · 钣金检验站、"
        "STORE · 物资管理站、SURF · 表面处理分厂。" in texts(at)
    )


def test_a_submit_after_the_idle_limit_stores_nothing_and_signs_out(demo_url):
    """A button's action runs before the page: the session's end must stop it too."""
    at = score_page(demo_url, month=CURRENT)
    enter(at, CURRENT, "HEAT", {"quality": 10, "delivery": 8, "service": 6, "handover": 10})
    at.session_state["last_seen"] = datetime.now(UTC) - timedelta(minutes=31)
    at.button(key=f"submit-{CURRENT}-HEAT").click().run()
    assert not at.exception
    assert "HEAT" not in stored_forms(demo_url, CURRENT)
    assert at.title[0].value == "Sign in"
    assert "session ended after 30 minutes without activity" in texts(at)


def test_a_low_value_without_comment_is_refused_and_nothing_stored(demo_url):
    before = stored_forms(demo_url, OPEN)
    at = score_page(demo_url)
    enter(at, OPEN, "STORE", {"quality": 3}, {"quality": ""})
    # said before submitting
    assert "Below 6: a comment is required" in texts(at)
    at.button(key=f"submit-{OPEN}-STORE").click().run()
    assert not at.exception
    assert len(at.error) == 1
    assert [e.value for e in at.error] == [
        "Quality (quality), comment: a value below 6 needs a comment saying why"
    ]
    assert "submitted: form score" not in said(at, "success")
    assert stored_forms(demo_url, OPEN) == before


def test_a_refusal_on_the_chinese_page_reads_in_chinese(demo_url):
    """The service refuses in English; the Chinese page says it in Chinese, naming the
    criterion by its Chinese name as the form shows it."""
    before = stored_forms(demo_url, OPEN)
    at = score_page(demo_url, lang="zh")
    enter(at, OPEN, "STORE", {"quality": 3}, {"quality": ""})
    at.button(key=f"submit-{OPEN}-STORE").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["质量（quality）·说明：低于 6 分必须填写原因说明"]
    assert stored_forms(demo_url, OPEN) == before


def _surf_scored_nine_meanwhile(url: str) -> None:
    """ASSY's form for SURF in the open month, sent with 9 on every criterion from elsewhere
    (another tab, another PC) while the page shows the form."""
    engine = create_db_engine(url)
    with Session(engine) as session:
        scoring.submit_form(
            session=session,
            plant=resolve_plant(session=session, code="AERO"),
            month=OPEN,
            rater="ASSY",
            ratee="SURF",
            values=dict.fromkeys(CRITERIA, 9),
            actor=actor_for(session=session, username="aero-assy"),
        )
    engine.dispose()


def test_a_stale_form_is_refused(demo_url):
    at = score_page(demo_url)
    _surf_scored_nine_meanwhile(demo_url)
    enter(at, OPEN, "SURF", {"quality": 7})
    at.button(key=f"submit-{OPEN}-SURF").click().run()
    assert "was changed by aero-assy" in at.error[0].value
    assert stored_forms(demo_url, OPEN)["SURF"].values == dict.fromkeys(CRITERIA, 9)
    at.button(key=f"reload-{OPEN}-SURF").click().run()
    assert at.slider(key=f"score-{OPEN}-SURF-quality").value == 9


def test_a_stale_form_on_the_chinese_page_names_the_criterion_in_chinese(demo_url):
    at = score_page(demo_url, lang="zh")
    _surf_scored_nine_meanwhile(demo_url)
    enter(at, OPEN, "SURF", {"quality": 7})
    at.button(key=f"submit-{OPEN}-SURF").click().run()
    (refused,) = [e.value for e in at.error]
    assert refused.startswith(f"ASSY 在 {OPEN} 对 SURF 的 质量（quality） 评分已被 aero-assy 于 ")


def test_a_draft_stays_in_the_session_only(demo_url):
    before = stored_forms(demo_url, OPEN)
    at = score_page(demo_url)
    enter(at, OPEN, "HEAT", {"delivery": 2}, {"delivery": "two weeks late"})
    at.button(key=f"draft-{OPEN}-HEAT").click().run()
    assert "not saved in the database" in said(at, "info")
    assert stored_forms(demo_url, OPEN) == before
    at = page(at, "views/plant.py")
    at = page(at, "views/score.py")
    assert at.slider(key=f"score-{OPEN}-HEAT-delivery").value == 2
    assert at.text_area(key=f"comment-{OPEN}-HEAT-delivery").value == "two weeks late"
    assert "Showing your draft" in texts(at)


def test_a_half_finished_form_outlasts_a_look_at_another_page(demo_url):
    """What the supervisor entered and did not submit nor keep as a draft is still on the
    card when he comes back from another page; nothing of it was stored."""
    before = stored_forms(demo_url, OPEN)
    at = score_page(demo_url)
    enter(at, OPEN, "HEAT", {"delivery": 2}, {"delivery": "two weeks late"})
    at = page(page(at, "views/feedback.py"), "views/score.py")
    assert at.slider(key=f"score-{OPEN}-HEAT-delivery").value == 2
    assert at.text_area(key=f"comment-{OPEN}-HEAT-delivery").value == "two weeks late"
    assert stored_forms(demo_url, OPEN) == before


def test_the_next_supervisor_at_the_same_pc_does_not_get_the_draft_of_the_one_before(demo_url):
    """ASSY keeps a draft for STORE and signs out; SHEET, which STORE supplies too, signs in
    in the same browser: his STORE card shows his own saved form, not ASSY's draft."""
    at = score_page(demo_url)
    enter(at, OPEN, "STORE", {"quality": 2}, {"quality": "rusty blanks"})
    at.button(key=f"draft-{OPEN}-STORE").click().run()
    at.sidebar.button[0].click().run()  # sign out
    engine = create_db_engine(demo_url)
    try:
        with Session(engine) as session:
            at.session_state["actor"] = actor_for(session=session, username="aero-sheet")
    finally:
        engine.dispose()
    at.session_state["last_seen"] = datetime.now(UTC)
    at = page(at.run(), "views/score.py")
    saved = stored_forms(demo_url, OPEN, rater="SHEET")["STORE"]
    assert at.slider(key=f"score-{OPEN}-STORE-quality").value == saved.values["quality"] != 2
    assert at.text_area(key=f"comment-{OPEN}-STORE-quality").value == ""
    assert "Showing your draft" not in texts(at)


def test_a_closed_month_is_read_only(demo_url):
    at = score_page(demo_url, month=CLOSED)
    assert not at.exception
    assert f"{month_label(CLOSED, 'en')} is closed" in texts(at)
    assert not at.slider and not at.text_area
    assert len(at.dataframe) == 5 + 1


def test_a_month_before_the_first_closed_one_is_read_only(demo_url):
    """The demo's data begin twelve months back; the month before them was never closed, but
    the months after it were, so it takes no scores."""
    first = month_of(history_months(date.today())[0])
    before = previous_months(first, 1)[0]
    at = score_page(demo_url, month=before)
    assert not at.exception
    shown = f"{month_label(before, 'en')} comes before {month_label(CLOSED, 'en')}, the last"
    assert shown in texts(at)
    assert not at.slider and not at.text_area
    assert "due on" not in texts(at)


def test_last_month_closed_is_shown_with_the_scheme_its_close_stored(demo_url, tmp_path):
    """A criterion added since: the month before, closed with four, keeps its forms whole."""
    engine = create_db_engine(demo_url)
    with Session(engine) as session:
        plant = resolve_plant(session=session, code="AERO")
        set_scheme(
            session=session, plant=plant, path=scheme_with_a_criterion(tmp_path), actor=SYSTEM
        )
    engine.dispose()
    at = score_page(demo_url)
    assert not at.exception
    assert at.slider(key=f"score-{OPEN}-STORE-documents")  # the open month has five
    table = at.dataframe[0].value
    assert "Documents" not in table.columns
    stored = stored_forms(demo_url, CLOSED)
    assert dict(zip(table["code"], table["form score"], strict=True)) == {
        ratee: round(form.score, 1) for ratee, form in stored.items()
    }
    assert set(table["status"]) == {"submitted"}


def test_a_criterion_added_while_the_page_is_open_gets_its_slider(demo_url, tmp_path):
    at = score_page(demo_url)
    engine = create_db_engine(demo_url)
    with Session(engine) as session:
        plant = resolve_plant(session=session, code="AERO")
        set_scheme(
            session=session, plant=plant, path=scheme_with_a_criterion(tmp_path), actor=SYSTEM
        )
    engine.dispose()
    values = {"quality": 9, "delivery": 7, "service": 8, "handover": 4}
    enter(at, OPEN, "STORE", values, {"handover": "racks left uncovered"})
    assert not at.exception
    assert at.slider(key=f"score-{OPEN}-STORE-documents").value == 6  # the lowest without comment
    enter(at, OPEN, "STORE", {"documents": 5}, {"documents": "no certificate"})
    at.button(key=f"submit-{OPEN}-STORE").click().run()
    # F = (0.40*90 + 0.25*70 + 0.20*80 + 0.15*40 + 0.10*50) / 1.10 = 80.5 / 1.1 = 73.18
    assert "Form for STORE · 物资管理站 submitted: form score 73.2." in said(at, "success")
    assert stored_forms(demo_url, OPEN)["STORE"].values == values | {"documents": 5}


def test_a_card_shows_its_handed_over_quantity_in_full(demo_url):
    engine = create_db_engine(demo_url)
    with Session(engine) as session:
        import_file(
            session=session,
            kind="handovers",
            path="handovers.csv",
            plant_code="AERO",
            actor=SYSTEM,
            data=f"month,from,to,quantity\n{CURRENT},STORE,ASSY,1234567\n".encode(),
        )
    engine.dispose()
    at = score_page(demo_url, month=CURRENT)
    assert not at.exception
    assert "supply weight 1,234,567 · not submitted yet" in texts(at)


def test_a_unit_without_suppliers_is_explained(demo_url):
    at = score_page(demo_url, user="aero-eng")  # engineering serves others, nobody supplies it
    assert not at.exception
    assert f"No unit supplied ENG in {month_label(OPEN, 'en')}" in texts(at)
    assert not at.slider


def test_the_score_page_in_chinese(demo_url):
    at = score_page(demo_url, lang="zh")
    assert not at.exception
    shown = texts(at)
    assert "评价我的上道单位" in shown
    assert "截止日期" in shown
    assert at.slider(key=f"score-{OPEN}-STORE-quality").label == "质量"
    assert at.button(key=f"submit-{OPEN}-STORE").label == "提交"


def test_the_score_and_feedback_pages_name_the_month_as_the_month_close_does(demo_url):
    """In words of the page's language, as the dashboard and the month close write it, also
    beside the deadline's day."""
    at = score_page(demo_url, lang="zh")
    assert f"{month_label(OPEN, 'zh')} 的评分表截止日期" in texts(at)
    assert f"{OPEN} 的评分表" not in texts(at)
    at = page(signed_in(demo_url, "aero-sheet"), "views/feedback.py")
    assert f"Scores per customer, {month_label(OPEN, 'en')}" in texts(at)


def test_feedback_page_with_data(demo_url):
    at = page(signed_in(demo_url, "aero-sheet"), "views/feedback.py")
    assert not at.exception
    shown = texts(at)
    assert "Feedback to my unit" in shown
    assert f"Scores per customer, {month_label(OPEN, 'en')}" in shown
    assert len(at.get("plotly_chart")) == 1
    customers = {f.rater for f in stored_forms_of_ratee(demo_url, OPEN, "SHEET")}
    table = at.dataframe[0].value
    assert set(table["code"]) == customers


def test_feedback_page_explains_the_unit_s_coefficient(demo_url):
    """The supervisor sees the coefficient his customers' scores and his penalties gave his
    unit, and how: ASSY's customers QC-FIN (weight 5, 57.5) and TEST (weight 4, 100) give
    S = (5 × 57.5 + 4 × 100) / 9 = 76.3889; the term is 1.0 × (76.3889 − 85) / 100 = −0.0861;
    no penalty: K = 1 − 0.0861 = 0.9139, provisional while the month is open."""
    at = page(signed_in(demo_url, "aero-assy"), "views/feedback.py")
    assert not at.exception
    shown = {m.label: m.value for m in at.metric}
    assert shown["Coefficient K"] == "0.9139"
    assert shown["Penalty points"] == "0.00"
    text = texts(at)
    assert f"Quality coefficient of ASSY, {month_label(OPEN, 'en')}" in text
    assert "alpha × (S 76.39 − target 85) / 100 = -0.0861" in text
    assert "the figures change until the month is closed" in text
    at = page(signed_in(demo_url, "aero-assy", lang="zh"), "views/feedback.py")
    assert {m.label: m.value for m in at.metric}["系数 K"] == "0.9139"


def test_feedback_page_shows_the_target_as_the_month_close_and_the_dashboard_do(demo_url):
    """SHEET's target of 88 (units file) reads 88, not 88.0, as beside its K elsewhere."""
    at = page(signed_in(demo_url, "aero-sheet"), "views/feedback.py")
    target = next(m for m in at.metric if m.label == "Target")
    assert target.value == "88"


def test_feedback_page_shows_what_each_form_counts_as_when_calibrated(demo_url, tmp_path):
    zscore = tmp_path / "scheme.toml"
    zscore.write_text(
        DEFAULT_SCHEME.read_text().replace('calibration = "none"', 'calibration = "zscore"')
    )
    engine = create_db_engine(demo_url)
    with Session(engine) as session:
        plant = resolve_plant(session=session, code="AERO")
        set_scheme(session=session, plant=plant, path=zscore, actor=SYSTEM)
    engine.dispose()
    at = page(signed_in(demo_url, "aero-sheet"), "views/feedback.py")
    assert not at.exception
    table = at.dataframe[0].value
    counted = table.dropna(subset=["counted as (calibrated)"])
    assert len(counted) > 0
    weighted = (counted["supply weight"] * counted["counted as (calibrated)"]).sum()
    shown = float(at.metric[0].value)  # S, to one decimal
    assert shown == pytest.approx(weighted / counted["supply weight"].sum(), abs=0.1)


def stored_forms_of_ratee(url, month, ratee):
    engine = create_db_engine(url)
    try:
        with Session(engine) as session:
            plant = resolve_plant(session=session, code="AERO")
            return [
                f
                for f in scoring.forms(session=session, plant=plant, months=[month])
                if f.ratee == ratee
            ]
    finally:
        engine.dispose()


def test_feedback_page_explains_an_empty_month(demo_url):
    at = page(signed_in(demo_url, "aero-sheet"), "views/feedback.py")
    at.sidebar.selectbox(key="month").select(CURRENT).run()
    assert not at.exception
    assert f"No forms yet for {month_label(CURRENT, 'en')}" in texts(at)
    assert len(at.get("plotly_chart")) == 1  # the trend of the months before
    at = page(signed_in(demo_url, "aero-sheet", lang="zh"), "views/feedback.py")
    at.sidebar.selectbox(key="month").select(CURRENT).run()
    assert f"{month_label(CURRENT, 'zh')} 尚无评分表" in texts(at)


def test_feedback_page_of_a_unit_nobody_scores(demo_url):
    at = page(signed_in(demo_url, "garm-pack"), "views/feedback.py")  # packing is the last step
    assert not at.exception
    shown = texts(at)
    assert f"PACK supplied no unit in {month_label(OPEN, 'en')}" in shown
    first = month_label(previous_months(OPEN, 11)[0], "en")
    assert f"between {first} and {month_label(OPEN, 'en')}: there is no trend to draw" in shown
    assert not at.get("plotly_chart")

"""The quality-problem pages: report a problem, problems of my unit, the quality desk.

Each page runs under AppTest on a private copy of the demo database; what a
page did is checked through the service layer with an engine of its own.
"""

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from dashboards import i18n
from noac.importers import import_file
from noac.services import problems, users
from noac.services.periods import closed_months
from noac.services.users import actor_for
from tests.apptest import page, signed_in, texts
from tests.conftest import SYSTEM, write_csv
from tests.demo_plant import report_backing_plate, service

PAGES = [
    ("views/report.py", "aero-assy", "page.report"),
    ("views/report.py", "aero-qc-fin-insp", "page.report"),
    ("views/report.py", "quality", "page.report"),
    ("views/my_problems.py", "aero-heat", "page.my_problems"),
    ("views/my_problems.py", "aero-sheet", "page.my_problems"),
    ("views/quality_desk.py", "quality", "page.quality_desk"),
]


def step(url: str, service_step, username: str, ref: str, **values) -> None:
    with service(url) as (session, plant):
        service_step(
            session=session,
            plant=plant,
            ref=ref,
            actor=actor_for(session=session, username=username),
            **values,
        )


def detail(url: str, ref: str) -> problems.ProblemSummary:
    with service(url) as (session, plant):
        return problems.problem_detail(session=session, plant=plant, ref=ref)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(("script", "username", "title"), PAGES)
def test_pages_render_for_their_roles(demo_url, script, username, title, lang):
    at = page(signed_in(demo_url, username, lang=lang), script)
    assert not at.exception
    assert i18n.t(title, lang) in texts(at)


def test_report_the_backing_plate_proposes_sheet_metal(demo_url):
    at = page(signed_in(demo_url, "aero-assy"), "views/report.py")
    assert "Found at: **ASSY**" in texts(at)
    assert "BP-100" in at.selectbox(key="report.part").options
    assert "ACT-200" in at.selectbox(key="report.part").options  # ASSY op 120
    assert "SH-300" not in at.selectbox(key="report.part").options  # never at ASSY
    at.selectbox(key="report.part").select("BP-100").run()
    assert at.selectbox(key="report.op").options[0] == "60 · assembly"
    at.selectbox(key="report.op").select("60")
    at.selectbox(key="report.code").select("PIT-FACE").run()
    at.selectbox(key="report.severity").select("major")
    at.number_input(key="report.quantity").set_value(12)
    at.selectbox(key="report.disposition").select("concession")
    at.number_input(key="report.cost").set_value(4800.0)
    at.text_input(key="report.lot").input("L-2291")
    at.text_area(key="report.description").input("pits on the **galvanised** face")
    at.file_uploader[0].set_value(("pits.jpg", b"a photo of the pits", "image/jpeg"))
    at.button(key="report.submit").click().run()
    assert not at.exception
    shown = texts(at)
    assert "Proposed responsible unit: **SHEET** (operation 30, bending)" in shown
    assert "path 30 → 40 → 50 → 60" in shown
    assert "escapes: QC-SM (op 40)" in shown
    assert r"Evidence stored: pits\.jpg" in shown  # as written, read as Markdown
    assert r"pits on the \*\*galvanised\*\* face" in shown  # user text shown plain
    assert len(at.get("plotly_chart")) == 1
    assert at.text_area(key="report.description").value == ""  # a fresh form
    fresh = [at.selectbox(key=f"report.{k}").value for k in ("part", "code", "severity")]
    assert fresh == ["BP-100", None, "minor"]  # nothing of the last report's judgement

    with service(demo_url) as (session, plant):
        (reported,) = [
            p
            for p in problems.list_problems(session=session, plant=plant, unit="ASSY")
            if p.description == "pits on the **galvanised** face"
        ]
        assert (reported.part, reported.op, reported.defect_code) == ("BP-100", "60", "PIT-FACE")
        assert (reported.status, reported.proposed, reported.quantity) == ("proposed", "SHEET", 12)
        assert (reported.disposition, reported.cost, reported.lot) == ("concession", 4800, "L-2291")
        history = problems.problem_detail(session=session, plant=plant, ref=reported.ref).history
    assert [e["action"] for e in history] == ["reported", "traced", "attachment-added"]


def _backing_plate_reported_in_chinese(demo_url) -> AppTest:
    """ASSY's report page in Chinese, having reported pits on the backing plate's face."""
    at = page(signed_in(demo_url, "aero-assy", lang="zh"), "views/report.py")
    at.selectbox(key="report.part").select("BP-100").run()
    at.selectbox(key="report.code").select("PIT-FACE").run()
    at.button(key="report.submit").click().run()
    return at


def test_the_trace_names_operations_in_chinese(demo_url):
    at = _backing_plate_reported_in_chinese(demo_url)
    assert "BP-100 · 工序 60 · PIT-FACE" in at.success[0].value
    assert "漏检：QC-SM（工序 40）" in texts(at)
    paths = at.selectbox(key="report.trace_candidate").options
    assert paths == ["SHEET · 工序 30", "STORE · 工序 10"]
    assert " op " not in texts(at)


def test_the_last_report_reads_in_the_language_switched_to(demo_url):
    at = _backing_plate_reported_in_chinese(demo_url)
    assert "BP-100 · 工序 60 · PIT-FACE · 一般（一级） · 数量 1" in at.success[0].value
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception
    assert "BP-100 · op 60 · PIT-FACE · minor (level 1) · qty 1" in at.success[0].value
    assert "工序" not in texts(at)


def test_file_and_unit_names_are_shown_as_written(demo_url):
    with service(demo_url) as (session, _):
        data = (
            "code,name,kind,categories,target\nASSY,Final *assembly* <b>A</b>,workshop,assembly,\n"
        )
        import_file(
            session=session,
            kind="units",
            path="units.csv",
            plant_code="AERO",
            actor=SYSTEM,
            data=data.encode(),
        )
    at = page(signed_in(demo_url, "aero-assy"), "views/report.py")
    assert r"Found at: **ASSY** · Final \*assembly\* \<b\>A\</b\>" in texts(at)
    at.selectbox(key="report.part").select("BP-100").run()
    at.selectbox(key="report.code").select("PIT-FACE").run()
    at.file_uploader[0].set_value(("pits_*1*.jpg", b"a photo", "image/jpeg"))
    at.button(key="report.submit").click().run()
    assert r"Evidence stored: pits\_\*1\*\.jpg" in texts(at)


def test_evidence_that_cannot_be_kept_refuses_the_report_and_keeps_the_form(demo_url):
    with service(demo_url) as (session, plant):
        before = len(problems.list_problems(session=session, plant=plant))
    at = page(signed_in(demo_url, "aero-assy"), "views/report.py")
    at.selectbox(key="report.part").select("BP-100").run()
    at.selectbox(key="report.code").select("PIT-FACE").run()
    at.text_area(key="report.description").input("pits again")
    files = [("scan.pdf", b"", "application/pdf"), ("photo.jpg", b"x", "image/jpeg")]
    at.file_uploader[0].set_value(files)
    at.button(key="report.submit").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["attachment 'scan.pdf' is empty"]
    assert at.text_area(key="report.description").value == "pits again"
    assert [f.name for f in at.file_uploader[0].value] == ["scan.pdf", "photo.jpg"]
    with service(demo_url) as (session, plant):
        assert len(problems.list_problems(session=session, plant=plant)) == before


def test_a_refused_report_reads_in_chinese_on_the_chinese_page(demo_url):
    at = page(signed_in(demo_url, "aero-assy", lang="zh"), "views/report.py")
    at.selectbox(key="report.part").select("BP-100").run()
    at.selectbox(key="report.code").select("PIT-FACE").run()
    at.file_uploader[0].set_value([("scan.pdf", b"", "application/pdf")])
    at.button(key="report.submit").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["证据文件“scan.pdf”为空"]


def test_text_written_on_the_problem_pages_outlasts_a_look_at_another_page(demo_url):
    """Streamlit forgets a widget's value once a page without it runs: the text a user
    wrote on a problem page is kept while he looks at another page and comes back."""
    at = page(signed_in(demo_url, "aero-assy"), "views/report.py")
    at.text_area(key="report.description").input("pits on the galvanised face")
    at.text_input(key="report.lot").input("L-2291").run()
    at = page(page(at, "views/plant.py"), "views/report.py")
    assert at.text_area(key="report.description").value == "pits on the galvanised face"
    assert at.text_input(key="report.lot").value == "L-2291"

    at = page(signed_in(demo_url, "quality"), "views/quality_desk.py")
    at.text_area(key="desk.rule_reason").input("joint review with production").run()
    at = page(page(at, "views/plant.py"), "views/quality_desk.py")
    assert not at.exception and not at.warning
    assert at.text_area(key="desk.rule_reason").value == "joint review with production"

    ref = report_backing_plate(demo_url)
    at = page(signed_in(demo_url, "aero-sheet"), "views/my_problems.py")
    at.selectbox(key="mine.answer.pick").select(ref).run()
    at.text_area(key="mine.dispute_reason").input("the blanks came pitted").run()
    at = page(page(at, "views/feedback.py"), "views/my_problems.py")
    assert at.text_area(key="mine.dispute_reason").value == "the blanks came pitted"
    at.sidebar.button[0].click().run()  # signed out: nothing is left for the next user
    assert "mine.dispute_reason" not in at.session_state


def test_the_next_user_at_the_pc_does_not_see_the_report_of_the_one_before(demo_url):
    """ASSY reports a problem and signs out; the inspector signing in at the same browser
    opens the report page on an empty form, not on ASSY's problem and its trace."""
    at = page(signed_in(demo_url, "aero-assy"), "views/report.py")
    at.selectbox(key="report.part").select("BP-100").run()
    at.selectbox(key="report.code").select("PIT-FACE").run()
    at.text_area(key="report.description").input("pits on the galvanised face")
    at.button(key="report.submit").click().run()
    assert "Problem AERO-" in at.success[0].value
    at.sidebar.button[0].click().run()  # sign out
    with service(demo_url) as (session, _):
        at.session_state["actor"] = actor_for(session=session, username="aero-qc-fin-insp")
    at.session_state["last_seen"] = datetime.now(UTC)
    at = page(at.run(), "views/report.py")
    assert not at.exception
    assert not at.success
    assert "pits on the galvanised face" not in texts(at)


def test_inspector_reports_for_his_unit_and_quality_for_any(demo_url):
    at = page(signed_in(demo_url, "aero-qc-fin-insp"), "views/report.py")
    assert "Found at: **QC-FIN**" in texts(at)
    assert not [s for s in at.selectbox if s.key == "report.found_at"]  # his unit, fixed
    at = page(signed_in(demo_url, "quality"), "views/report.py")
    at.selectbox(key="report.found_at").select("SURF").run()
    assert "BRK-110" in at.selectbox(key="report.part").options
    at.selectbox(key="report.part").select("BP-100").run()
    assert at.selectbox(key="report.op").options == ["50 · plating", "not known"]


def test_the_date_found_cannot_be_in_the_future(demo_url):
    at = page(signed_in(demo_url, "aero-assy"), "views/report.py")
    assert at.date_input(key="report.found_on").max == date.today()
    at.date_input(key="report.found_on").set_value(date.today() + timedelta(days=3)).run()
    assert at.date_input(key="report.found_on").value == date.today()


def test_a_refused_report_shows_the_service_message(demo_url, tmp_path):
    """The routing of BP-100 changes while the form is open: the service refuses the report."""
    at = page(signed_in(demo_url, "aero-assy"), "views/report.py")
    at.selectbox(key="report.part").select("BP-100").run()
    at.selectbox(key="report.op").select("60")
    at.selectbox(key="report.code").select("PIT-FACE").run()
    at.text_area(key="report.description").input("pits on the plated face")
    revision = write_csv(
        tmp_path / "routings.csv",
        """
part,op,unit,category,after,inspection
BP-100,10,STORE,storage,,0
BP-100,20,SHEET,cutting,10,0
BP-100,30,SHEET,bending,20,0
BP-100,40,QC-SM,inspection,30,1
BP-100,50,SURF,plating,40,0
BP-100,65,ASSY,assembly,50,0
""",
    )
    with service(demo_url) as (session, _):
        import_file(
            session=session,
            kind="routings",
            path=revision,
            plant_code="AERO",
            effective=date.today(),
            actor=SYSTEM,
        )
        session.commit()
    at.button(key="report.submit").click().run()
    assert not at.exception
    assert "has no operation '60'" in " ".join(e.value for e in at.error)
    assert at.text_area(key="report.description").value == "pits on the plated face"  # kept
    at.run()
    assert at.selectbox(key="report.op").options == ["65 · assembly", "not known"]


def test_supervisor_accepts_a_problem_of_his_unit(demo_url):
    ref = report_backing_plate(demo_url)
    at = page(signed_in(demo_url, "aero-sheet"), "views/my_problems.py")
    assert any(ref in option for option in at.selectbox(key="mine.answer.pick").options)
    at.selectbox(key="mine.answer.pick").select(ref).run()
    assert "Why your unit" in texts(at)
    at.button(key="mine.accept").click().run()
    assert not at.exception
    assert f"Problem {ref} accepted." in texts(at)
    accepted = detail(demo_url, ref)
    assert (accepted.status, accepted.responsible) == ("accepted", {"SHEET": 1.0})


def _pits_may_come_from_plating(demo_url, tmp_path) -> None:
    """PIT-FACE may now come from plating too: SURF (op 50, one step before ASSY) traces
    first."""
    codes = write_csv(
        tmp_path / "codes.csv",
        "code,name,origins\nPIT-FACE,pits on the plated face,storage;bending;plating",
    )
    with service(demo_url) as (session, _):
        import_file(
            session=session, kind="defect-codes", path=codes, plant_code="AERO", actor=SYSTEM
        )
        session.commit()


def test_why_your_unit_explains_the_unit_answering_after_the_catalogue_changed(demo_url, tmp_path):
    ref = report_backing_plate(demo_url)
    _pits_may_come_from_plating(demo_url, tmp_path)
    at = page(signed_in(demo_url, "aero-sheet"), "views/my_problems.py")
    at.selectbox(key="mine.answer.pick").select(ref).run()
    assert (
        "Why your unit: the defect can come from **SHEET** operation 30 (bending);"
        " path 30 → 40 → 50 → 60; escapes: QC-SM (op 40)."
    ) in texts(at)
    at.button(key="mine.accept").click().run()
    assert detail(demo_url, ref).escapes == ["QC-SM"]  # the escapes the page gave


def test_the_desk_says_when_tracing_again_points_elsewhere_than_the_proposal(demo_url, tmp_path):
    """SHEET was proposed when the backing plate was reported; with the catalogue changed,
    its trace now ranks SURF first: the desk says both, and which one stands."""
    ref = report_backing_plate(demo_url)
    at = page(signed_in(demo_url, "quality"), "views/quality_desk.py")
    at.radio(key="desk.queue").set_value("open").run()
    at.selectbox(key="desk.pick").select(ref).run()
    assert not at.info
    _pits_may_come_from_plating(demo_url, tmp_path)
    at.run()
    assert "Proposed responsible unit: **SURF**" in texts(at)
    assert [i.value for i in at.info] == [
        "Traced again with today's defect catalogue, this defect points first to **SURF**.\n\n"
        "When it was reported the trace proposed **SHEET**: that proposal stands until the"
        " quality department rules."
    ]
    assert detail(demo_url, ref).proposed == "SHEET"


def test_a_step_after_the_idle_limit_changes_nothing_and_signs_out(demo_url):
    ref = report_backing_plate(demo_url)
    at = page(signed_in(demo_url, "aero-sheet"), "views/my_problems.py")
    at.selectbox(key="mine.answer.pick").select(ref).run()
    at.session_state["last_seen"] = datetime.now(UTC) - timedelta(minutes=31)
    at.button(key="mine.accept").click().run()
    assert not at.exception
    assert detail(demo_url, ref).status == "proposed"
    assert at.title[0].value == "Sign in"


def test_a_step_by_a_user_disabled_since_signing_in_changes_nothing_and_signs_out(demo_url):
    ref = report_backing_plate(demo_url)
    at = page(signed_in(demo_url, "aero-sheet"), "views/my_problems.py")
    at.selectbox(key="mine.answer.pick").select(ref).run()
    with service(demo_url) as (session, _):
        users.disable_user(session=session, actor=SYSTEM, username="aero-sheet")
    at.button(key="mine.accept").click().run()
    assert not at.exception
    assert detail(demo_url, ref).status == "proposed"
    assert at.title[0].value == "Sign in"
    assert "Your account was disabled or changed since you signed in" in at.warning[0].value


def test_a_report_after_the_idle_limit_stores_nothing(demo_url):
    at = page(signed_in(demo_url, "aero-assy"), "views/report.py")
    at.selectbox(key="report.part").select("BP-100").run()
    at.selectbox(key="report.op").select("60")
    at.selectbox(key="report.code").select("PIT-FACE").run()
    at.text_area(key="report.description").input("left unattended")
    at.session_state["last_seen"] = datetime.now(UTC) - timedelta(minutes=31)
    at.button(key="report.submit").click().run()
    assert not at.exception
    with service(demo_url) as (session, plant):
        described = [p.description for p in problems.list_problems(session=session, plant=plant)]
    assert "left unattended" not in described
    assert at.title[0].value == "Sign in"


def test_dispute_without_a_reason_is_refused_then_disputed(demo_url):
    ref = report_backing_plate(demo_url)
    at = page(signed_in(demo_url, "aero-sheet"), "views/my_problems.py")
    at.selectbox(key="mine.answer.pick").select(ref).run()
    at.button(key="mine.dispute").click().run()
    assert "a dispute needs a reason" in " ".join(e.value for e in at.error)
    assert detail(demo_url, ref).status == "proposed"
    at.text_area(key="mine.dispute_reason").input("the plates came from the store pitted")
    at.button(key="mine.dispute").click().run()
    assert detail(demo_url, ref).status == "disputed"


def test_a_refused_step_reads_in_chinese_on_the_chinese_page(demo_url):
    ref = report_backing_plate(demo_url)
    at = page(signed_in(demo_url, "aero-sheet", lang="zh"), "views/my_problems.py")
    at.selectbox(key="mine.answer.pick").select(ref).run()
    at.button(key="mine.dispute").click().run()
    assert [e.value for e in at.error] == ["提出异议需要填写理由"]
    step(demo_url, problems.accept_problem, "aero-sheet", ref)
    at.text_area(key="mine.dispute_reason").input("pitted by the store")
    at.button(key="mine.dispute").click().run()
    (refused,) = [e.value for e in at.error]
    assert refused.startswith(f"质量问题 {ref} 在您载入后已被 aero-sheet 于 ")
    assert refused.endswith(" 修改：请重新载入后再试\n\n您填写的内容： pitted by the store")
    assert detail(demo_url, ref).status == "accepted"


def test_a_step_on_a_stale_screen_is_refused(demo_url):
    ref = report_backing_plate(demo_url)
    at = page(signed_in(demo_url, "aero-sheet"), "views/my_problems.py")
    at.selectbox(key="mine.answer.pick").select(ref).run()
    step(demo_url, problems.dispute_problem, "aero-sheet", ref, reason="in another window")
    at.button(key="mine.accept").click().run()
    assert "since you loaded it" in " ".join(e.value for e in at.error)
    assert detail(demo_url, ref).status == "disputed"


def test_quality_rules_a_dispute_with_shared_responsibility(demo_url):
    ref = report_backing_plate(demo_url)
    step(demo_url, problems.dispute_problem, "aero-sheet", ref, reason="the store pitted them")
    at = page(signed_in(demo_url, "quality"), "views/quality_desk.py")
    at.radio(key="desk.queue").set_value("rule").run()
    at.selectbox(key="desk.pick").select(ref).run()
    assert "Proposed responsible unit: **SHEET**" in texts(at)
    assert at.multiselect(key="desk.rule_units").value == ["SHEET"]
    at.multiselect(key="desk.rule_units").set_value(["STORE", "SHEET"]).run()
    assert at.number_input(key="desk.share.STORE").value == 0.5
    at.number_input(key="desk.share.STORE").set_value(0.6)
    at.number_input(key="desk.share.SHEET").set_value(0.5)
    at.text_area(key="desk.rule_reason").input("neither knew the downstream requirement")
    at.button(key="desk.rule").click().run()
    assert "shares must be above 0 and sum to 1" in " ".join(e.value for e in at.error)

    deadline = date.today() + timedelta(days=45)
    at.number_input(key="desk.share.STORE").set_value(0.5)
    at.date_input(key="desk.rule_deadline").set_value(deadline)
    at.text_area(key="desk.rule_milestones").input(
        f"{date.today() + timedelta(days=20)}: face marking added to the drawing"
    )
    at.button(key="desk.rule").click().run()
    assert not at.exception
    assert f"Problem {ref} ruled." in texts(at)
    ruled = detail(demo_url, ref)
    assert (ruled.status, ruled.responsible) == ("ruled", {"SHEET": 0.5, "STORE": 0.5})
    assert ruled.deadline == deadline.isoformat()
    assert [m["text"] for m in ruled.milestones] == ["face marking added to the drawing"]
    assert ruled.history[-1]["note"] == "neither knew the downstream requirement"


def test_corrective_action_verification_and_closing(demo_url):
    ref = report_backing_plate(demo_url)
    step(demo_url, problems.accept_problem, "aero-sheet", ref)
    at = page(signed_in(demo_url, "aero-sheet"), "views/my_problems.py")
    at.selectbox(key="mine.plan.pick").select(ref).run()
    at.button(key="mine.plan").click().run()
    assert "a corrective action needs a root cause" in " ".join(e.value for e in at.error)
    at.text_area(key="mine.root_cause").input("plated face not marked on the drawing")
    at.text_area(key="mine.actions").input("face marked; bending fixture keyed")
    at.date_input(key="mine.deadline").set_value(date.today() + timedelta(days=30))
    at.button(key="mine.plan").click().run()
    assert detail(demo_url, ref).status == "action"
    at.selectbox(key="mine.progress.pick").select(ref).run()
    assert "plated face not marked on the drawing" in texts(at)
    at.button(key="mine.request_verification").click().run()
    assert detail(demo_url, ref).status == "verification"

    at = page(signed_in(demo_url, "quality"), "views/quality_desk.py")
    at.radio(key="desk.queue").set_value("verification").run()
    at.selectbox(key="desk.pick").select(ref).run()
    at.text_area(key="desk.verify_note").input("two lots without pits")
    at.button(key="desk.verify").click().run()
    assert not at.exception
    closed = detail(demo_url, ref)
    assert (closed.status, closed.closed_on) == ("closed", date.today().isoformat())
    assert closed.corrective_action["verification_note"] == "two lots without pits"


def _reported_done(demo_url: str, found: date, done_at: datetime) -> str:
    """A problem found at ASSY on ``found``, accepted by SHEET, whose corrective action SHEET
    reported done at ``done_at``; its ref."""
    with service(demo_url) as (session, plant):
        problem, _ = problems.report_problem(
            session=session,
            plant=plant,
            report=problems.ProblemReport(
                found_on=found,
                found_at="ASSY",
                part="BP-100",
                op="60",
                defect_code="PIT-FACE",
                severity="major",
                quantity=12,
            ),
            actor=actor_for(session=session, username="aero-assy"),
        )
    ref = problem.ref
    step(demo_url, problems.accept_problem, "aero-sheet", ref)
    action = {"owner": "SHEET", "root_cause": "face not marked", "actions": "face marked"}
    step(demo_url, problems.plan_action, "aero-sheet", ref, **action, deadline=date.today())
    with problems.steps_dated(done_at):
        step(demo_url, problems.request_verification, "aero-sheet", ref)
    return ref


def test_the_desk_dates_a_verification_from_the_day_the_action_was_reported_done(demo_url):
    """The verification's date is offered from the day the action was reported done (the
    service refuses an earlier one), not from the day the problem was found."""
    found, done = date.today() - timedelta(days=20), date.today() - timedelta(days=5)
    ref = _reported_done(demo_url, found, datetime.combine(done, time(9), UTC))
    at = page(signed_in(demo_url, "quality"), "views/quality_desk.py")
    at.radio(key="desk.queue").set_value("verification").run()
    at.selectbox(key="desk.pick").select(ref).run()
    assert at.date_input(key="desk.verify_on").min == done
    at.date_input(key="desk.verify_on").set_value(done)
    at.text_area(key="desk.verify_note").input("two lots without pits")
    at.button(key="desk.verify").click().run()
    closed = detail(demo_url, ref)
    assert (closed.status, closed.closed_on) == ("closed", done.isoformat())


def _verified_on_the_desk(demo_url: str, done: date, on: date) -> tuple[str, AppTest]:
    """A problem whose action was reported done at 23:30 UTC on ``done``, found not effective
    on the quality desk in a verification dated ``on``; its ref and the desk showing it."""
    ref = _reported_done(
        demo_url, done - timedelta(days=10), datetime.combine(done, time(23, 30), UTC)
    )
    at = page(signed_in(demo_url, "quality"), "views/quality_desk.py")
    at.radio(key="desk.queue").set_value("verification").run()
    at.selectbox(key="desk.pick").select(ref).run()
    at.radio(key="desk.verify_effective").set_value(False)
    at.date_input(key="desk.verify_on").set_value(on)
    at.text_area(key="desk.verify_note").input("pits again")
    at.button(key="desk.verify").click().run()
    assert not at.exception and not at.error
    at.radio(key="desk.queue").set_value("open").run()
    at.selectbox(key="desk.pick").select(ref).run()
    return ref, at


def test_the_desks_history_shows_the_day_a_verification_was_dated(demo_url):
    on = date.today() - timedelta(days=3)
    ref, at = _verified_on_the_desk(demo_url, date.today() - timedelta(days=5), on)
    history = next(d.value for d in at.dataframe if "dated" in d.value.columns)
    verified = history[history["step"] == "verified not effective"]
    assert list(verified["dated"]) == [on.isoformat()]
    assert detail(demo_url, ref).status == "action"


def test_the_desks_history_shows_when_on_the_servers_clock(demo_url, server_zone):
    """In Shanghai (UTC+8), an action reported done at 23:30 UTC shows at 7:30 the next day,
    in a column naming the zone."""
    server_zone("Asia/Shanghai")
    done = date.today() - timedelta(days=5)
    _, at = _verified_on_the_desk(demo_url, done, done + timedelta(days=1))
    history = next(d.value for d in at.dataframe if "when (CST)" in d.value.columns)
    requested = history[history["step"] == "verification asked"]
    assert list(requested["when (CST)"]) == [f"{done + timedelta(days=1)} 07:30:00"]


def test_only_the_owner_of_a_shared_problems_action_is_offered_to_report_it_done(demo_url):
    ref = report_backing_plate(demo_url)
    rule = {"shares": "STORE:0.5;SHEET", "reason": "both", "deadline": TODAY + timedelta(30)}
    step(demo_url, problems.rule_problem, "quality", ref, **rule)
    plan = {"owner": "STORE", "root_cause": "plates stored uncovered", "actions": "racks"}
    step(demo_url, problems.plan_action, "aero-store", ref, **plan)
    at = page(signed_in(demo_url, "aero-sheet"), "views/my_problems.py")
    at.selectbox(key="mine.progress.pick").select(ref).run()
    assert "plates stored uncovered" in texts(at)
    assert "STORE asks for verification once it is done" in " ".join(c.value for c in at.caption)
    assert not [b for b in at.button if b.key == "mine.request_verification"]
    at = page(signed_in(demo_url, "aero-store"), "views/my_problems.py")
    at.selectbox(key="mine.progress.pick").select(ref).run()
    at.button(key="mine.request_verification").click().run()
    assert detail(demo_url, ref).status == "verification"


def test_overdue_problems_are_highlighted(demo_url):
    at = page(signed_in(demo_url, "aero-heat"), "views/my_problems.py")
    overdue = at.get("metric")[3]
    assert int(overdue.value) > 0
    at = page(signed_in(demo_url, "quality"), "views/quality_desk.py")
    at.radio(key="desk.queue").set_value("overdue").run()
    assert "Overdue: the deadline was" in texts(at)


TODAY = date.today()


def test_a_plan_form_takes_a_change_made_meanwhile_and_keeps_what_was_typed(demo_url):
    ref = report_backing_plate(demo_url)
    ten, forty = TODAY + timedelta(days=10), TODAY + timedelta(days=40)
    rule = {"shares": "SHEET", "reason": "r1", "deadline": ten}
    step(demo_url, problems.rule_problem, "quality", ref, **rule)
    at = page(signed_in(demo_url, "aero-sheet"), "views/my_problems.py")
    at.selectbox(key="mine.plan.pick").select(ref).run()
    assert at.date_input(key="mine.deadline").value == ten
    # meanwhile the quality department gives SHEET thirty more days
    step(demo_url, problems.rule_problem, "quality", ref, **rule | {"deadline": forty})
    at.text_area(key="mine.root_cause").input("fixture worn").run()
    assert at.date_input(key="mine.deadline").value == forty
    assert at.text_area(key="mine.root_cause").value == "fixture worn"
    at.text_area(key="mine.actions").input("fixture replaced")
    at.button(key="mine.plan").click().run()
    stored = detail(demo_url, ref)
    assert (stored.deadline, stored.corrective_action["root_cause"]) == (
        forty.isoformat(),
        "fixture worn",
    )


def test_the_desk_takes_a_change_made_meanwhile_and_keeps_an_even_split_of_three(demo_url):
    ref = report_backing_plate(demo_url)
    step(
        demo_url,
        problems.rule_problem,
        "quality",
        ref,
        shares="STORE;SHEET;SURF",
        reason="all three",
        deadline=TODAY + timedelta(days=40),
    )
    at = page(signed_in(demo_url, "quality"), "views/quality_desk.py")
    at.radio(key="desk.queue").set_value("open").run()
    at.selectbox(key="desk.pick").select(ref).run()
    # SHEET brings the deadline earlier while the desk is open
    week = TODAY + timedelta(days=7)
    plan = {"owner": "SHEET", "root_cause": "rc", "actions": "a", "deadline": week}
    step(demo_url, problems.plan_action, "aero-sheet", ref, **plan)
    at.text_area(key="desk.rule_reason").input("escape point QC-SM noted").run()
    assert at.date_input(key="desk.rule_deadline").value == week
    at.button(key="desk.rule").click().run()
    assert not at.error
    stored = detail(demo_url, ref)
    assert stored.deadline == week.isoformat()
    assert stored.responsible == pytest.approx({"STORE": 1 / 3, "SHEET": 1 / 3, "SURF": 1 / 3})


def test_the_desk_moves_the_deadline_of_a_problem_counted_in_a_closed_month(demo_url):
    with service(demo_url) as (session, plant):
        closed = closed_months(session=session, plant=plant)
        overdue = problems.list_problems(session=session, plant=plant, status="overdue")
    late = next(p for p in overdue if p.counted_month in closed)
    later = date.today() + timedelta(days=30)
    at = page(signed_in(demo_url, "quality"), "views/quality_desk.py")
    at.radio(key="desk.queue").set_value("overdue").run()
    at.selectbox(key="desk.pick").select(late.ref).run()
    at.date_input(key="desk.rule_deadline").set_value(later)
    at.text_area(key="desk.rule_reason").input("the new fixture comes next month").run()
    at.button(key="desk.rule").click().run()
    assert not at.error
    moved = detail(demo_url, late.ref)
    assert (moved.deadline, moved.overdue) == (later.isoformat(), False)
    assert (moved.responsible, moved.counted_month) == (late.responsible, late.counted_month)


def test_milestones_emptied_on_the_desk_are_removed(demo_url):
    ref = report_backing_plate(demo_url)
    due = TODAY + timedelta(days=5)
    rule = {"shares": "SHEET", "reason": "r1", "deadline": TODAY + timedelta(days=30)}
    step(demo_url, problems.rule_problem, "quality", ref, **rule, milestones=[f"{due}:drawing"])
    at = page(signed_in(demo_url, "quality"), "views/quality_desk.py")
    at.radio(key="desk.queue").set_value("open").run()
    at.selectbox(key="desk.pick").select(ref).run()
    at.text_area(key="desk.rule_milestones").input("")
    at.text_area(key="desk.rule_reason").input("the drawing was never the issue")
    at.button(key="desk.rule").click().run()
    assert not at.error
    assert detail(demo_url, ref).milestones == []


def test_evidence_is_offered_for_download_on_the_desk_and_to_the_supervisor(demo_url, server_zone):
    """Each file is offered with its size, who attached it and when, on the server's clock
    with the zone named."""
    server_zone("Asia/Shanghai")
    ref = report_backing_plate(demo_url)
    step(
        demo_url,
        problems.add_attachment,
        "aero-assy",
        ref,
        filename="pits.jpg",
        content=b"\xff\xd8 a photo",
        content_type="image/jpeg",
    )

    def offered(at) -> list[str]:
        return [b.proto.label for b in at.get("download_button")]

    at = page(signed_in(demo_url, "quality"), "views/quality_desk.py")
    at.radio(key="desk.queue").set_value("open").run()
    at.selectbox(key="desk.pick").select(ref).run()
    (label,) = [label for label in offered(at) if label.startswith("pits.jpg")]
    assert re.fullmatch(r"pits\.jpg · 10 B · aero-assy, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d CST", label)
    at = page(signed_in(demo_url, "aero-sheet"), "views/my_problems.py")
    at.selectbox(key="mine.answer.pick").select(ref).run()
    assert any(label.startswith("pits.jpg") for label in offered(at))


def _found_by_us(at):
    """The table of the problems the supervisor's unit found."""
    return next(d.value for d in at.dataframe if "closed on" in d.value.columns)


def test_a_supervisor_follows_the_problems_his_unit_found(demo_url):
    """ASSY reported the backing plate: "My problems" lists it first among those ASSY found,
    with where it stands, the shares once ruled, and its evidence to download."""
    ref = report_backing_plate(demo_url)
    photo = {"filename": "pits.jpg", "content": b"\xff\xd8 a photo", "content_type": "image/jpeg"}
    step(demo_url, problems.add_attachment, "aero-assy", ref, **photo)
    at = page(signed_in(demo_url, "aero-assy"), "views/my_problems.py")
    assert not at.exception
    assert "Found by my unit" in texts(at)
    newest = _found_by_us(at).iloc[0]
    assert (newest["problem"], newest["status"], newest["proposed"]) == (ref, "proposed", "SHEET")
    assert (newest["responsible (share)"], newest["closed on"], newest["evidence (files)"]) == (
        "—",
        "—",
        1,
    )
    assert at.selectbox(key="mine.found.pick").value == ref
    (evidence,) = [b for b in at.get("download_button") if b.proto.label.startswith("pits.jpg")]
    assert evidence.proto.label.startswith("pits.jpg · 10 B · aero-assy")
    deadline = TODAY + timedelta(days=30)
    rule = {"shares": "STORE:0.5;SHEET", "reason": "both", "deadline": deadline}
    step(demo_url, problems.rule_problem, "quality", ref, **rule)
    at.run()
    newest = _found_by_us(at).iloc[0]
    assert (newest["status"], newest["responsible (share)"], newest["deadline"]) == (
        "ruled",
        "SHEET 50%, STORE 50%",
        deadline.isoformat(),
    )
    assert newest["overdue"] == ""


def test_the_problems_found_long_ago_and_closed_are_folded_away(demo_url):
    """The demo's ASSY found problems over a year: the page lists the open ones and those
    closed in the last three months, counts the others, and shows them all when asked."""

    def found(closed_months):
        with service(demo_url) as (session, plant):
            return problems.found_by_unit(
                session=session, plant=plant, unit="ASSY", closed_months=closed_months
            )

    at = page(signed_in(demo_url, "aero-assy"), "views/my_problems.py")
    recent = found(3)
    assert recent.left_out > 0
    assert list(_found_by_us(at)["problem"]) == [p.ref for p in recent.problems]
    since = i18n.day(recent.closed_since, "en")
    assert f"{recent.left_out} problems closed before {since} are not shown" in texts(at)
    at.selectbox(key="mine.found.closed").select("all").run()
    assert list(_found_by_us(at)["problem"]) == [p.ref for p in found(None).problems]
    assert "are not shown" not in texts(at)
    at.selectbox(key="mine.found.closed").select("none").run()
    assert "closed" not in set(_found_by_us(at)["status"])
    assert f"{found(0).left_out} closed problems are not shown" in texts(at)


def test_a_supervisor_revises_an_action_found_not_effective(demo_url):
    ref = report_backing_plate(demo_url)
    step(demo_url, problems.accept_problem, "aero-sheet", ref)
    plan = {"owner": "SHEET", "root_cause": "rc", "actions": "a1"}
    step(demo_url, problems.plan_action, "aero-sheet", ref, **plan, deadline=TODAY + timedelta(30))
    step(demo_url, problems.request_verification, "aero-sheet", ref)
    step(demo_url, problems.verify_problem, "quality", ref, effective=False, note="pits again")
    at = page(signed_in(demo_url, "aero-sheet"), "views/my_problems.py")
    at.selectbox(key="mine.progress.pick").select(ref).run()
    assert at.text_area(key="mine.revise.root_cause").value == "rc"
    at.text_area(key="mine.revise.root_cause").input("rc2: the real cause")
    at.text_area(key="mine.revise.actions").input("a2")
    at.button(key="mine.revise").click().run()
    assert not at.exception and not at.error
    stored = detail(demo_url, ref)
    assert stored.status == "action"
    assert (stored.corrective_action["root_cause"], stored.corrective_action["actions"]) == (
        "rc2: the real cause",
        "a2",
    )
    assert stored.deadline == (TODAY + timedelta(30)).isoformat()  # kept


def test_a_refused_step_repeats_the_text_the_form_no_longer_shows(demo_url):
    ref = report_backing_plate(demo_url)
    at = page(signed_in(demo_url, "aero-sheet"), "views/my_problems.py")
    at.selectbox(key="mine.answer.pick").select(ref).run()
    reason = "the blanks arrived pitted from the store"
    at.text_area(key="mine.dispute_reason").input(reason)
    # meanwhile the quality department rules: the problem leaves the group to answer
    step(demo_url, problems.rule_problem, "quality", ref, shares="SHEET", reason="r")
    at.button(key="mine.dispute").click().run()
    (refused,) = [e.value for e in at.error]
    assert "since you loaded it" in refused
    assert refused.endswith(f"What you wrote: {reason}")


def test_a_refused_step_does_not_repeat_the_text_the_form_still_shows(demo_url):
    ref = report_backing_plate(demo_url)
    step(demo_url, problems.accept_problem, "aero-sheet", ref)
    at = page(signed_in(demo_url, "aero-sheet"), "views/my_problems.py")
    at.selectbox(key="mine.plan.pick").select(ref).run()
    at.text_area(key="mine.root_cause").input("blanks bent pitted face up")
    at.text_area(key="mine.actions").input("mark the face to galvanise")
    at.button(key="mine.plan").click().run()
    assert [e.value for e in at.error] == ["a corrective action needs a deadline"]
    assert at.text_area(key="mine.root_cause").value == "blanks bent pitted face up"
    assert at.text_area(key="mine.actions").value == "mark the face to galvanise"


def test_the_revise_form_keeps_what_was_typed_when_the_problem_changes(demo_url):
    ref = report_backing_plate(demo_url)
    step(demo_url, problems.accept_problem, "aero-sheet", ref)
    plan = {"owner": "SHEET", "root_cause": "rc", "actions": "a1"}
    step(demo_url, problems.plan_action, "aero-sheet", ref, **plan, deadline=TODAY + timedelta(30))
    at = page(signed_in(demo_url, "aero-sheet"), "views/my_problems.py")
    at.selectbox(key="mine.progress.pick").select(ref).run()
    at.text_area(key="mine.revise.root_cause").input("rc2: the real cause").run()
    # meanwhile the quality department moves the deadline
    later = {"shares": "SHEET", "reason": "more time", "deadline": TODAY + timedelta(60)}
    step(demo_url, problems.rule_problem, "quality", ref, **later)
    at.text_area(key="mine.verify_note").input("done").run()
    assert at.text_area(key="mine.revise.root_cause").value == "rc2: the real cause"


def test_a_ruling_refused_as_stale_keeps_the_split_deadline_and_milestones_entered(demo_url):
    ref = report_backing_plate(demo_url)
    step(demo_url, problems.dispute_problem, "aero-sheet", ref, reason="the store pitted them")
    at = page(signed_in(demo_url, "quality"), "views/quality_desk.py")
    at.radio(key="desk.queue").set_value("rule").run()
    at.selectbox(key="desk.pick").select(ref).run()
    at.multiselect(key="desk.rule_units").set_value(["STORE", "SHEET"]).run()
    at.number_input(key="desk.share.STORE").set_value(0.7)
    at.number_input(key="desk.share.SHEET").set_value(0.3)
    deadline, due = TODAY + timedelta(days=45), TODAY + timedelta(days=20)
    at.date_input(key="desk.rule_deadline").set_value(deadline)
    at.text_area(key="desk.rule_milestones").input(f"{due}: drawing marked")
    at.text_area(key="desk.rule_reason").input("the store pitted most of them").run()
    # meanwhile ASSY adds a photo: the problem's version moves on
    photo = {"filename": "pits.jpg", "content": b"\xff\xd8", "content_type": "image/jpeg"}
    step(demo_url, problems.add_attachment, "aero-assy", ref, **photo)
    at.button(key="desk.rule").click().run()
    assert "since you loaded it" in " ".join(e.value for e in at.error)
    assert at.multiselect(key="desk.rule_units").value == ["STORE", "SHEET"]
    assert at.number_input(key="desk.share.STORE").value == 0.7
    assert at.number_input(key="desk.share.SHEET").value == 0.3
    assert at.date_input(key="desk.rule_deadline").value == deadline
    assert at.text_area(key="desk.rule_milestones").value == f"{due}: drawing marked"
    at.button(key="desk.rule").click().run()
    assert not at.error
    ruled = detail(demo_url, ref)
    assert (ruled.responsible, ruled.deadline) == ({"SHEET": 0.3, "STORE": 0.7}, str(deadline))
    assert [m["text"] for m in ruled.milestones] == ["drawing marked"]


def test_a_plan_refused_as_stale_keeps_the_deadline_and_milestones_entered(demo_url):
    ref = report_backing_plate(demo_url)
    step(demo_url, problems.rule_problem, "quality", ref, shares="SHEET", reason="r1")
    at = page(signed_in(demo_url, "aero-sheet"), "views/my_problems.py")
    at.selectbox(key="mine.plan.pick").select(ref).run()
    deadline, due = TODAY + timedelta(days=30), TODAY + timedelta(days=10)
    at.text_area(key="mine.root_cause").input("fixture worn")
    at.text_area(key="mine.actions").input("fixture replaced")
    at.date_input(key="mine.deadline").set_value(deadline)
    at.text_area(key="mine.milestones").input(f"{due}: new fixture ordered").run()
    photo = {"filename": "pits.jpg", "content": b"\xff\xd8", "content_type": "image/jpeg"}
    step(demo_url, problems.add_attachment, "aero-assy", ref, **photo)
    at.button(key="mine.plan").click().run()
    assert "since you loaded it" in " ".join(e.value for e in at.error)
    assert at.date_input(key="mine.deadline").value == deadline
    assert at.text_area(key="mine.milestones").value == f"{due}: new fixture ordered"


def test_the_desk_starts_afresh_on_a_problem_of_the_same_id_in_another_plant(demo_url):
    header = "id,date,found_at,part,op,code,severity,qty,description"
    rows = {"AERO": f"QP-1,{TODAY},ASSY,BP-100,60,PIT-FACE,major,3,pits", "GARM": ""}
    rows["GARM"] = f"QP-1,{TODAY},IRON,SHIRT-01,40,,minor,2,shine marks"
    with service(demo_url) as (session, _):
        for plant, row in rows.items():
            data = f"{header}\n{row}\n".encode()
            import_file(
                session=session,
                kind="defects",
                path="defects.csv",
                plant_code=plant,
                actor=SYSTEM,
                data=data,
            )
    at = page(signed_in(demo_url, "quality"), "views/quality_desk.py")
    at.radio(key="desk.queue").set_value("open").run()
    at.selectbox(key="desk.pick").select("QP-1").run()
    at.text_area(key="desk.rule_reason").input("the store pitted the AERO plates").run()
    at.sidebar.selectbox(key="plant").select_index(1).run()
    assert at.subheader[0].value == "QP-1 · SHIRT-01 · proposed"
    assert at.multiselect(key="desk.rule_units").value == ["SEW1"]  # GARM's proposal
    assert at.text_area(key="desk.rule_reason").value == ""


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_desk_names_the_month_a_problem_counts_in_as_the_month_picker_does(demo_url, lang):
    at = page(signed_in(demo_url, "quality", lang), "views/quality_desk.py")
    at.radio(key="desk.queue").set_value("verification").run()
    ref = at.selectbox(key="desk.pick").value
    month = detail(demo_url, ref).counted_month
    assert month
    label = i18n.month_label(month, lang)  # "Sep 2026", "2026年9月"
    words = {"en": "counts in", "zh": "计入月份"}[lang]
    shown = next(m.value for m in at.markdown if words in m.value)
    assert shown.endswith(f"{words} {label}")

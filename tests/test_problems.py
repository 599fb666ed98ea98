"""The quality-problem workflow through the service layer, on both databases."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, col, select, update

from noac.db import create_db_engine
from noac.errors import NoacError
from noac.importers import import_file
from noac.models import (
    Attachment,
    AuditRecord,
    Period,
    ProblemEvent,
    QualityProblem,
    stored_utc,
)
from noac.services import coefficients, problems
from noac.services.access import Actor
from noac.services.plants import resolve_plant
from noac.services.problems import ProblemReport
from tests.conftest import DATA, QUALITY, SYSTEM, snapshot, supervisor

AERO = DATA / "demo" / "aerospace"
TODAY = date(2026, 11, 20)


@pytest.fixture
def plant(session):
    for kind, file in (
        ("units", "units.csv"),
        ("defect-codes", "defect_codes.csv"),
        ("routings", "routings.csv"),
    ):
        import_file(actor=SYSTEM, session=session, kind=kind, path=AERO / file, plant_code="AERO")
    import_file(
        actor=SYSTEM,
        session=session,
        kind="routings",
        path=AERO / "routings_revision.csv",
        plant_code="AERO",
        effective=date(2026, 6, 1),
    )
    return resolve_plant(session=session, code="AERO")


def report(session, plant, **fields):
    values = {
        "found_on": date(2026, 3, 10),
        "found_at": "ASSY",
        "part": "BP-100",
        "severity": "major",
        "quantity": 12,
        "op": "60",
        "defect_code": "PIT-FACE",
        "description": "pits on the plated face",
    }
    values.update(fields)
    problem, result = problems.report_problem(
        session=session, plant=plant, report=ProblemReport(**values), actor=QUALITY, today=TODAY
    )
    return problem, result


def detail(session, plant, ref):
    return problems.problem_detail(session=session, plant=plant, ref=ref)


def test_report_traces_and_proposes(session, plant):
    problem, result = report(session, plant)
    assert problem.ref == "AERO-000001"
    assert [c.unit for c in result.candidates] == ["SHEET", "STORE"]
    shown = detail(session, plant, problem.ref)
    assert (shown.status, shown.proposed, shown.responsible) == ("proposed", "SHEET", {})
    assert [h["action"] for h in shown.history] == ["reported", "traced"]
    assert shown.history[1]["note"].startswith("proposed: SHEET (op 30, bending)")


def test_severity_and_disposition_are_read_whatever_their_case(tmp_path, session, plant):
    problem, _ = report(session, plant, severity="Major", disposition="Use-As-Is")
    assert (problem.severity, problem.disposition) == ("major", "use-as-is")
    path = tmp_path / "defects.csv"
    path.write_text(
        "id,date,found_at,part,severity,qty,disposition\n"
        "Q-1,2026-03-10,ASSY,BP-100,CRITICAL,1,Scrap\n"
    )
    import_file(actor=QUALITY, session=session, kind="defects", path=path, plant_code="AERO")
    imported = problems.get_problem(session=session, plant=plant, ref="Q-1")
    assert (imported.severity, imported.disposition) == ("critical", "scrap")


def test_a_catalogued_defect_code_is_read_whatever_its_case(tmp_path, engine, session, plant):
    """A code typed "pit-face" is the catalogue's PIT-FACE, traced by its origins (storage,
    bending: SHEET), not by the rule for codes outside the catalogue."""
    problem, result = report(session, plant, defect_code=" pit-face")
    assert problem.defect_code == "PIT-FACE"
    assert [c.unit for c in result.candidates] == ["SHEET", "STORE"]
    path = tmp_path / "defects.csv"
    path.write_text(
        "id,date,found_at,part,op,code,severity,qty\n"
        "Q-1,2026-03-10,ASSY,BP-100,60,Pit-Face,major,2\n"
    )
    import_file(actor=QUALITY, session=session, kind="defects", path=path, plant_code="AERO")
    assert problems.get_problem(session=session, plant=plant, ref="Q-1").defect_code == "PIT-FACE"
    before = snapshot(engine)
    again = import_file(
        actor=QUALITY, session=session, kind="defects", path=path, plant_code="AERO"
    )
    assert again.unchanged == 1 and snapshot(engine) == before
    # stored as written before codes were read so: the same file imported again is the same
    session.exec(update(QualityProblem).values(defect_code="Pit-Face"))
    session.commit()
    before = snapshot(engine)
    again = import_file(
        actor=QUALITY, session=session, kind="defects", path=path, plant_code="AERO"
    )
    assert again.unchanged == 1 and snapshot(engine) == before


def test_an_acceptance_keeps_the_escapes_of_the_proposal_accepted(tmp_path, session, plant):
    problem, _ = report(session, plant)
    # the catalogue changes after the report: PIT-FACE now traced to handling damage
    codes = (AERO / "defect_codes.csv").read_text().replace("storage;bending", "handling")
    path = tmp_path / "codes.csv"
    path.write_text(codes)
    import_file(actor=SYSTEM, session=session, kind="defect-codes", path=path, plant_code="AERO")
    assert problems.trace_problem(session=session, plant=plant, ref=problem.ref).proposed.unit != (
        "SHEET"
    )
    problems.accept_problem(
        session=session, plant=plant, ref=problem.ref, actor=supervisor(plant, "SHEET")
    )
    assert detail(session, plant, problem.ref).escapes == ["QC-SM"]


def test_the_routing_in_force_on_the_date_found_is_used(session, plant):
    before, _ = report(session, plant, found_on=date(2026, 5, 31))
    after, _ = report(session, plant, found_on=date(2026, 6, 1))
    for problem, escapes in ((before, ["QC-SM"]), (after, ["QC-SM"])):
        problems.rule_problem(
            session=session, plant=plant, ref=problem.ref, shares="STORE", reason="r", actor=QUALITY
        )
        assert detail(session, plant, problem.ref).escapes == escapes
    old = problems.trace_problem(session=session, plant=plant, ref=before.ref)
    new = problems.trace_problem(session=session, plant=plant, ref=after.ref)
    store = {c.unit: c for c in old.candidates}["STORE"]
    assert [e.op for e in store.escapes] == ["40"]
    store = {c.unit: c for c in new.candidates}["STORE"]
    # the revision added an incoming inspection (op 15) after the store
    assert [e.op for e in store.escapes] == ["15", "40"]


def test_accept_settles_responsibility_with_the_proposals_escapes(engine, session, plant):
    problem, _ = report(session, plant)
    before = snapshot(engine)
    with pytest.raises(
        NoacError,
        match="sup-store \\(supervisor of STORE\\) may not accept or dispute a problem for SHEET",
    ):
        problems.accept_problem(
            session=session, plant=plant, ref=problem.ref, actor=supervisor(plant, "STORE")
        )
    assert snapshot(engine) == before
    problems.accept_problem(
        session=session, plant=plant, ref=problem.ref, actor=supervisor(plant, "SHEET")
    )
    shown = detail(session, plant, problem.ref)
    assert (shown.status, shown.responsible, shown.escapes) == (
        "accepted",
        {"SHEET": 1.0},
        ["QC-SM"],
    )
    assert shown.counted_month == "2026-03"
    assert shown.history[-1]["actor"] == "sup-sheet"


def test_full_workflow_dispute_split_ruling_action_verification(session, plant, steps_on):
    steps_on(date(2026, 3, 12))  # before the day verified
    problem, _ = report(session, plant)
    ref = problem.ref
    with pytest.raises(NoacError, match="a dispute needs a reason"):
        problems.dispute_problem(
            session=session, plant=plant, ref=ref, reason=" ", actor=supervisor(plant, "SHEET")
        )
    problems.dispute_problem(
        session=session,
        plant=plant,
        ref=ref,
        reason="the store issued pitted plates",
        actor=supervisor(plant, "SHEET"),
    )
    problems.rule_problem(
        session=session,
        plant=plant,
        ref=ref,
        shares="STORE:0.6;SHEET",
        actor=QUALITY,
        reason="neither unit knew the downstream need",
        deadline=date(2026, 4, 30),
        milestones=["2026-04-15:incoming surface check defined"],
    )
    shown = detail(session, plant, ref)
    assert shown.status == "ruled"
    assert shown.responsible == pytest.approx({"SHEET": 0.4, "STORE": 0.6})
    assert shown.escapes == ["QC-SM"]
    assert shown.milestones == [{"due": "2026-04-15", "text": "incoming surface check defined"}]
    with pytest.raises(NoacError, match="must be a responsible unit of .* not SURF"):
        problems.plan_action(
            session=session,
            plant=plant,
            ref=ref,
            owner="SURF",
            root_cause="c",
            actions="a",
            actor=QUALITY,
        )
    problems.plan_action(
        session=session,
        plant=plant,
        ref=ref,
        owner="STORE",
        actor=supervisor(plant, "STORE"),
        root_cause="plates stored uncovered",
        actions="covered racks; surface check at issue",
    )
    assert detail(session, plant, ref).deadline == "2026-04-30"
    problems.request_verification(
        session=session, plant=plant, ref=ref, actor=supervisor(plant, "STORE")
    )
    problems.verify_problem(
        session=session,
        plant=plant,
        ref=ref,
        effective=False,
        note="pits again in April",
        actor=QUALITY,
    )
    assert detail(session, plant, ref).status == "action"
    problems.request_verification(
        session=session, plant=plant, ref=ref, actor=supervisor(plant, "STORE")
    )
    problems.verify_problem(
        session=session,
        plant=plant,
        ref=ref,
        effective=True,
        note="three lots clean",
        actor=QUALITY,
        on=date(2026, 5, 20),
    )
    shown = detail(session, plant, ref)
    assert (shown.status, shown.closed_on) == ("closed", "2026-05-20")
    assert [h["action"] for h in shown.history] == [
        "reported",
        "traced",
        "disputed",
        "ruled",
        "action-planned",
        "verification-requested",
        "verified-not-effective",
        "verification-requested",
        "verified-closed",
    ]
    assert shown.corrective_action["root_cause"] == "plates stored uncovered"
    with pytest.raises(NoacError, match="is closed: it cannot be ruled"):
        _rule(session, plant, ref, "SHEET")


def _rule(session, plant, ref, shares, deadline=None):
    """The quality department rules ``ref`` on ``shares``, with ``deadline`` if given."""
    problems.rule_problem(
        session=session,
        plant=plant,
        ref=ref,
        shares=shares,
        reason="r",
        actor=QUALITY,
        deadline=deadline,
    )


def _ruled(session, plant, shares, deadline):
    """A problem reported and ruled on ``shares`` with ``deadline``; its ref."""
    problem, _ = report(session, plant)
    _rule(session, plant, problem.ref, shares, deadline)
    return problem.ref


def test_a_supervisor_enters_and_revises_only_his_own_units_corrective_action(
    engine, session, plant
):
    ref = report(session, plant)[0].ref
    problems.rule_problem(
        session=session,
        plant=plant,
        ref=ref,
        shares="STORE:0.5;SHEET",
        actor=QUALITY,
        reason="both",
        deadline=date(2026, 4, 30),
    )

    def plan(actor, owner, text):
        problems.plan_action(
            session=session,
            plant=plant,
            ref=ref,
            owner=owner,
            actor=actor,
            root_cause=text,
            actions=text,
        )

    store, sheet = supervisor(plant, "STORE"), supervisor(plant, "SHEET")
    before = snapshot(engine)
    with pytest.raises(NoacError, match=r"\(supervisor of SHEET\) may not .* for STORE"):
        plan(sheet, "STORE", "written by SHEET")
    assert snapshot(engine) == before
    plan(store, "STORE", "plates stored uncovered")
    before = snapshot(engine)
    for owner in ("STORE", "SHEET"):  # STORE's action: neither overwritten nor taken over
        with pytest.raises(NoacError, match=r"\(supervisor of SHEET\) may not .* for STORE"):
            plan(sheet, owner, "written by SHEET")
    assert snapshot(engine) == before
    plan(QUALITY, "SHEET", "the quality department gives it to SHEET")
    plan(sheet, "SHEET", "bending marks the plates")
    records = session.exec(
        select(AuditRecord).where(AuditRecord.action == "plan-action").order_by(AuditRecord.id)
    ).all()
    entered = [
        (json.loads(r.before)["corrective_action"], json.loads(r.after)["corrective_action"])
        for r in records
    ]
    action = {"milestones": []}
    assert entered == [
        (
            None,
            action
            | {
                "owner": "STORE",
                "root_cause": "plates stored uncovered",
                "actions": "plates stored uncovered",
            },
        ),
        (
            action
            | {
                "owner": "STORE",
                "root_cause": "plates stored uncovered",
                "actions": "plates stored uncovered",
            },
            action
            | {
                "owner": "SHEET",
                "root_cause": "the quality department gives it to SHEET",
                "actions": "the quality department gives it to SHEET",
            },
        ),
        (
            action
            | {
                "owner": "SHEET",
                "root_cause": "the quality department gives it to SHEET",
                "actions": "the quality department gives it to SHEET",
            },
            action
            | {
                "owner": "SHEET",
                "root_cause": "bending marks the plates",
                "actions": "bending marks the plates",
            },
        ),
    ]


def test_only_the_owner_of_the_corrective_action_reports_it_done(engine, session, plant):
    ref = _ruled_with_action(session, plant, date(2026, 4, 30), "STORE:0.5;SHEET")
    store, sheet = supervisor(plant, "STORE"), supervisor(plant, "SHEET")
    before = snapshot(engine)
    with pytest.raises(
        NoacError, match=r"sup-sheet \(supervisor of SHEET\) may not ask for verification for STORE"
    ):
        problems.request_verification(session=session, plant=plant, ref=ref, actor=sheet)
    assert snapshot(engine) == before
    problems.request_verification(session=session, plant=plant, ref=ref, actor=store)
    assert detail(session, plant, ref).status == "verification"


def test_overdue_means_deadline_passed_and_not_closed_by_then(session, plant):
    ref = _ruled(session, plant, "SHEET", date(2026, 4, 30))

    def overdue(as_of):
        found = problems.list_problems(session=session, plant=plant, status="overdue", as_of=as_of)
        return [p.ref for p in found]

    assert overdue(date(2026, 4, 30)) == []
    assert overdue(date(2026, 5, 1)) == [ref]


def _ruled_with_action(session, plant, deadline, shares="STORE"):
    """A problem ruled on ``shares`` whose corrective action STORE has entered."""
    ref = _ruled(session, plant, shares, deadline)
    problems.plan_action(
        session=session,
        plant=plant,
        ref=ref,
        owner="STORE",
        root_cause="plates stored uncovered",
        actions="covered racks",
        actor=supervisor(plant, "STORE"),
    )
    return ref


def test_a_ruling_that_leaves_out_the_actions_owner_sends_the_problem_back_to_be_planned(
    session, plant
):
    ref = _ruled_with_action(session, plant, date(2026, 4, 30))
    store, sheet = supervisor(plant, "STORE"), supervisor(plant, "SHEET")
    problems.request_verification(session=session, plant=plant, ref=ref, actor=store)
    _rule(session, plant, ref, "STORE:0.5;SHEET")  # STORE keeps its share: its action stays
    assert detail(session, plant, ref).status == "verification"
    _rule(session, plant, ref, "SHEET")
    shown = detail(session, plant, ref)
    assert (shown.status, shown.responsible, shown.corrective_action) == (
        "ruled",
        {"SHEET": 1.0},
        None,
    )
    with pytest.raises(NoacError, match="is ruled: it cannot be sent for verification"):
        problems.request_verification(session=session, plant=plant, ref=ref, actor=sheet)
    problems.plan_action(
        session=session,
        plant=plant,
        ref=ref,
        owner="SHEET",
        root_cause="bending marks the plates",
        actions="bend with the pitted face inside",
        actor=sheet,
    )
    assert detail(session, plant, ref).corrective_action["owner"] == "SHEET"
    ruled = session.exec(
        select(ProblemEvent)
        .where(ProblemEvent.action == "ruled")
        .order_by(col(ProblemEvent.id).desc())
    ).first()
    assert json.loads(ruled.details)["withdrawn_action"] == {
        "owner": "STORE",
        "root_cause": "plates stored uncovered",
        "actions": "covered racks",
        "milestones": [],
    }


def test_only_the_quality_department_moves_a_deadline_later(engine, session, plant):
    ref = _ruled_with_action(session, plant, date(2026, 4, 30))
    store = supervisor(plant, "STORE")
    plan = {"owner": "STORE", "root_cause": "c", "actions": "a"}
    before = snapshot(engine)
    with pytest.raises(
        NoacError,
        match="\\(supervisor\\) may not move a deadline later: that is for quality",
    ):
        problems.plan_action(
            session=session, plant=plant, ref=ref, actor=store, deadline=date(2026, 5, 31), **plan
        )
    assert snapshot(engine) == before
    problems.plan_action(
        session=session, plant=plant, ref=ref, actor=store, deadline=date(2026, 4, 15), **plan
    )
    assert detail(session, plant, ref).deadline == "2026-04-15"
    problems.plan_action(
        session=session, plant=plant, ref=ref, actor=QUALITY, deadline=date(2026, 6, 15), **plan
    )
    assert detail(session, plant, ref).deadline == "2026-06-15"


def _close(session, plant, *months):
    for month in months:
        session.add(
            Period(plant_id=plant.id, month=month, closed_at=datetime.now(UTC), closed_by="q")
        )
    session.commit()


def _verify(session, plant, ref, on):
    problems.verify_problem(
        session=session, plant=plant, ref=ref, effective=True, note="clean", actor=QUALITY, on=on
    )


def test_a_closing_date_cannot_undo_a_closed_months_overdue(engine, session, plant, steps_on):
    steps_on(date(2026, 4, 20))  # the action reported done before the days verified
    ref = _ruled_with_action(session, plant, date(2026, 4, 30))
    problems.request_verification(
        session=session, plant=plant, ref=ref, actor=supervisor(plant, "STORE")
    )
    _close(session, plant, "2026-04", "2026-05")
    before = snapshot(engine)
    # overdue at the end of April (the deadline is its last day) and of May: closed in May,
    # it would no longer be overdue at the end of May
    with pytest.raises(
        NoacError,
        match="overdue at the end of 2026-05, which is closed: a closing date of 2026-05-20"
        " would change that month's figures; date it after 2026-05-31, or reopen 2026-05 first",
    ):
        _verify(session, plant, ref, date(2026, 5, 20))
    assert snapshot(engine) == before
    _verify(session, plant, ref, date(2026, 6, 1))
    assert detail(session, plant, ref).closed_on == "2026-06-01"


def test_a_closing_date_in_a_closed_month_that_changes_nothing_is_kept(session, plant, steps_on):
    steps_on(date(2026, 4, 20))  # the action reported done before the day verified
    ref = _ruled_with_action(session, plant, date(2026, 7, 31))
    problems.request_verification(
        session=session, plant=plant, ref=ref, actor=supervisor(plant, "STORE")
    )
    _close(session, plant, "2026-04", "2026-05")
    _verify(session, plant, ref, date(2026, 5, 20))
    assert detail(session, plant, ref).closed_on == "2026-05-20"


def test_no_deadline_makes_a_problem_overdue_in_a_closed_month(engine, session, plant):
    problem, _ = report(session, plant)
    _close(session, plant, "2026-03", "2026-04")
    before = snapshot(engine)
    with pytest.raises(
        NoacError,
        match="would be overdue for STORE at the end of 2026-04 \\(deadline 2026-04-20\\),"
        " which is closed: give a deadline after 2026-04-30, or reopen 2026-04 first",
    ):
        _rule(session, plant, problem.ref, "STORE", date(2026, 4, 20))
    assert snapshot(engine) == before
    _rule(session, plant, problem.ref, "STORE", date(2026, 5, 15))
    before = snapshot(engine)
    with pytest.raises(NoacError, match="at the end of 2026-04 \\(deadline 2026-04-25\\)"):
        problems.plan_action(
            session=session,
            plant=plant,
            ref=problem.ref,
            owner="STORE",
            root_cause="c",
            actions="a",
            actor=supervisor(plant, "STORE"),
            deadline=date(2026, 4, 25),
        )
    assert snapshot(engine) == before


def test_a_deadline_before_the_date_found_is_refused(engine, session, plant):
    problem, _ = report(session, plant)  # found 2026-03-10
    before = snapshot(engine)
    with pytest.raises(
        NoacError, match="a deadline of 2026-03-09 is before the date found 2026-03-10"
    ):
        _rule(session, plant, problem.ref, "STORE", date(2026, 3, 9))
    assert snapshot(engine) == before


def test_milestones_given_replace_the_earlier_ones_even_by_none(session, plant):
    ref = _ruled(session, plant, "STORE", date(2026, 4, 30))

    def milestones_after(step, **values):
        step(session=session, plant=plant, ref=ref, **values)
        return [m["text"] for m in detail(session, plant, ref).milestones]

    rule = {"shares": "STORE", "reason": "r", "actor": QUALITY}
    assert milestones_after(
        problems.rule_problem, **rule, milestones=["2026-04-10:drawing updated"]
    ) == ["drawing updated"]
    assert milestones_after(problems.rule_problem, **rule) == ["drawing updated"]  # kept
    assert milestones_after(problems.rule_problem, **rule, milestones=[]) == []
    action = {"owner": "STORE", "root_cause": "c", "actions": "a"}
    store = supervisor(plant, "STORE")
    assert milestones_after(
        problems.plan_action, **action, actor=store, milestones=["2026-04-20:racks covered"]
    ) == ["racks covered"]
    assert milestones_after(problems.plan_action, **action, actor=store) == ["racks covered"]
    assert milestones_after(problems.plan_action, **action, actor=store, milestones=[]) == []


def test_a_closing_date_before_the_date_found_is_refused(engine, session, plant):
    ref = _ruled_with_action(session, plant, date(2026, 4, 30))  # found 2026-03-10
    problems.request_verification(
        session=session, plant=plant, ref=ref, actor=supervisor(plant, "STORE")
    )
    before = snapshot(engine)
    with pytest.raises(
        NoacError, match="a closing date of 2026-03-09 is before the date found 2026-03-10"
    ):
        problems.verify_problem(
            session=session,
            plant=plant,
            ref=ref,
            effective=True,
            note="checked",
            actor=QUALITY,
            on=date(2026, 3, 9),
        )
    assert snapshot(engine) == before


def test_a_verification_cannot_predate_the_action_reported_done(engine, session, plant, steps_on):
    """An action's effect is verified once it is done: the verification is dated no earlier
    than the day its owner reported it done, the latest time if it was sent back."""
    steps_on(date(2026, 3, 12))
    ref = _ruled_with_action(session, plant, date(2026, 6, 30))  # found 2026-03-10
    store = supervisor(plant, "STORE")
    steps_on(date(2026, 4, 20))
    problems.request_verification(session=session, plant=plant, ref=ref, actor=store)
    steps_on(date(2026, 4, 22))
    before = snapshot(engine)
    for effective in (True, False):
        with pytest.raises(
            NoacError,
            match=f"problem {ref}: a verification dated 2026-04-19 is before its corrective"
            " action was reported done on 2026-04-20: date it 2026-04-20 or later",
        ):
            problems.verify_problem(
                session=session,
                plant=plant,
                ref=ref,
                effective=effective,
                note="three lots clean",
                actor=QUALITY,
                on=date(2026, 4, 19),
            )
        assert snapshot(engine) == before
    problems.verify_problem(
        session=session,
        plant=plant,
        ref=ref,
        effective=False,
        note="pits again",
        actor=QUALITY,
        on=date(2026, 4, 20),
    )
    steps_on(date(2026, 5, 12))
    problems.request_verification(session=session, plant=plant, ref=ref, actor=store)
    before = snapshot(engine)
    with pytest.raises(NoacError, match="reported done on 2026-05-12: date it 2026-05-12"):
        _verify(session, plant, ref, date(2026, 5, 11))
    assert snapshot(engine) == before
    _verify(session, plant, ref, date(2026, 5, 12))
    assert detail(session, plant, ref).closed_on == "2026-05-12"


def test_the_day_an_action_was_reported_done_is_the_servers_day(
    session, plant, steps_on, server_zone
):
    """Reported done at 22:00 in New York (UTC-4 in summer; 2:00 UTC the next day), an action
    verified that evening is dated that day, as the verification's date is."""
    server_zone("America/New_York")
    steps_on(date(2026, 3, 12))
    ref = _ruled_with_action(session, plant, date(2026, 6, 30))
    with problems.steps_dated(datetime(2026, 4, 20, 2, tzinfo=UTC)):
        problems.request_verification(
            session=session, plant=plant, ref=ref, actor=supervisor(plant, "STORE")
        )
    with pytest.raises(NoacError, match="dated 2026-04-18 is before .* done on 2026-04-19"):
        _verify(session, plant, ref, date(2026, 4, 18))
    _verify(session, plant, ref, date(2026, 4, 19))
    assert detail(session, plant, ref).closed_on == "2026-04-19"


def test_a_verification_keeps_the_day_it_was_dated_in_the_history(session, plant, steps_on):
    """Found not effective in a verification dated three days ago, the problem's history shows
    that day on the verification's step, as it shows the closing date on the step that
    closed it."""
    today = date.today()
    steps_on(today - timedelta(days=5))
    ref = _ruled_with_action(session, plant, date(2026, 6, 30))
    store = supervisor(plant, "STORE")
    problems.request_verification(session=session, plant=plant, ref=ref, actor=store)
    problems.verify_problem(
        session=session,
        plant=plant,
        ref=ref,
        effective=False,
        note="pits again",
        actor=QUALITY,
        on=today - timedelta(days=3),
    )
    problems.request_verification(session=session, plant=plant, ref=ref, actor=store)
    _verify(session, plant, ref, today - timedelta(days=1))
    dated = {h["action"]: h["dated"] for h in detail(session, plant, ref).history}
    assert dated == {
        "reported": None,
        "traced": None,
        "ruled": None,
        "action-planned": None,
        "verification-requested": None,
        "verified-not-effective": (today - timedelta(days=3)).isoformat(),
        "verified-closed": (today - timedelta(days=1)).isoformat(),
    }


def test_the_history_shows_its_times_on_the_servers_clock_and_keeps_them_in_utc(
    session, plant, server_zone
):
    """Reported at 23:30 UTC on 1 March, a problem's steps show in Shanghai (UTC+8) at 7:30
    on 2 March, with the offset; the database keeps 23:30 UTC."""
    server_zone("Asia/Shanghai")
    with problems.steps_dated(datetime(2026, 3, 1, 23, 30, tzinfo=UTC)):
        problem, _ = report(session, plant, found_on=date(2026, 3, 1))
    shown = detail(session, plant, problem.ref).history
    assert [(h["action"], h["at"]) for h in shown] == [
        ("reported", "2026-03-02T07:30:00+08:00"),
        ("traced", "2026-03-02T07:30:00+08:00"),
    ]
    stored = session.exec(select(ProblemEvent.at).where(ProblemEvent.problem_id == problem.id))
    assert {stored_utc(at) for at in stored} == {datetime(2026, 3, 1, 23, 30, tzinfo=UTC)}


def test_a_stale_step_names_when_the_problem_was_changed_on_the_servers_clock(
    session, plant, server_zone
):
    server_zone("Asia/Shanghai")
    problem, _ = report(session, plant, found_on=date(2026, 3, 1))
    loaded = problem.version
    sheet = supervisor(plant, "SHEET")
    with problems.steps_dated(datetime(2026, 3, 1, 23, 30, tzinfo=UTC)):
        problems.dispute_problem(
            session=session, plant=plant, ref=problem.ref, reason="not ours", actor=sheet
        )
    with pytest.raises(
        NoacError,
        match=f"^problem {problem.ref} was changed by sup-sheet at 2026-03-02 07:30 since you"
        " loaded it: reload and try again$",
    ):
        problems.accept_problem(
            session=session, plant=plant, ref=problem.ref, actor=sheet, expected_version=loaded
        )


def test_a_closed_months_overdue_points_stay_with_their_units(engine, session, plant):
    # found in March, ruled once March and April closed: counted in May, due at its end
    problem, _ = report(session, plant)
    _close(session, plant, "2026-03", "2026-04")
    _rule(session, plant, problem.ref, "STORE", date(2026, 5, 31))
    before = snapshot(engine)
    with pytest.raises(
        NoacError,
        match="would be overdue for SHEET at the end of 2026-03, 2026-04 \\(deadline"
        " 2026-03-20\\), all closed",
    ):
        _rule(session, plant, problem.ref, "SHEET", date(2026, 3, 20))
    assert snapshot(engine) == before
    # a deadline after the closed months leaves their overdue points as they are
    _rule(session, plant, problem.ref, "SHEET", date(2026, 5, 31))
    assert detail(session, plant, problem.ref).responsible == {"SHEET": 1.0}


def test_problems_listed_by_open_status_and_by_unit(session, plant):
    """A unit's problems: found there, proposed to it or with a share of it; open: any
    status but closed."""
    closed, _ = report(session, plant)
    proposed, _ = report(session, plant, quantity=3)
    ruled, _ = report(session, plant, quantity=5)
    problems.rule_problem(
        session=session,
        plant=plant,
        ref=closed.ref,
        shares="STORE:0.6;SHEET",
        reason="r",
        actor=QUALITY,
        deadline=date(2026, 4, 30),
    )
    problems.rule_problem(
        session=session, plant=plant, ref=ruled.ref, shares="STORE", reason="r", actor=QUALITY
    )
    store = supervisor(plant, "STORE")
    problems.plan_action(
        session=session,
        plant=plant,
        ref=closed.ref,
        owner="STORE",
        actor=store,
        root_cause="c",
        actions="a",
    )
    problems.request_verification(session=session, plant=plant, ref=closed.ref, actor=store)
    problems.verify_problem(
        session=session, plant=plant, ref=closed.ref, effective=True, note="n", actor=QUALITY
    )

    def listed(**filters):
        return [p.ref for p in problems.list_problems(session=session, plant=plant, **filters)]

    everything = [closed.ref, proposed.ref, ruled.ref]
    assert listed() == everything
    assert listed(status="open") == [proposed.ref, ruled.ref]
    assert listed(status="closed") == [closed.ref]
    assert listed(unit="ASSY") == everything  # found there
    assert listed(unit="SHEET") == everything  # proposed to it
    assert listed(unit="STORE") == [closed.ref, ruled.ref]  # a share only
    assert listed(unit="STORE", status="open") == [ruled.ref]
    assert listed(unit="QC-SM") == []  # the inspection that let them through
    with pytest.raises(NoacError, match="unknown status 'lost'.* open, overdue"):
        listed(status="lost")


def _closed(session, plant, ref, owner, on):
    """The action of ``ref`` entered by ``owner``, done and verified effective ``on``."""
    problems.plan_action(
        session=session,
        plant=plant,
        ref=ref,
        owner=owner,
        root_cause="c",
        actions="a",
        actor=supervisor(plant, owner),
    )
    problems.request_verification(
        session=session, plant=plant, ref=ref, actor=supervisor(plant, owner)
    )
    _verify(session, plant, ref, on)


def test_a_unit_follows_the_problems_it_found_newest_first(session, plant, steps_on):
    """The supervisor of the unit that found problems sees each, newest first, with where it
    stands and its evidence; closed ones only of the months asked, the others counted."""
    steps_on(date(2026, 3, 12))  # before the days verified
    long_closed = _ruled(session, plant, "STORE", date(2026, 4, 30))  # found 2026-03-10
    _closed(session, plant, long_closed, "STORE", date(2026, 5, 20))
    overdue, _ = report(session, plant, found_on=date(2026, 9, 1), quantity=2)
    _rule(session, plant, overdue.ref, "STORE:0.6;SHEET", date(2026, 10, 31))
    closed, _ = report(session, plant, found_on=date(2026, 9, 20), quantity=3)
    _rule(session, plant, closed.ref, "SHEET", date(2026, 10, 31))
    _closed(session, plant, closed.ref, "SHEET", date(2026, 10, 10))
    proposed, _ = report(session, plant, found_on=date(2026, 10, 15), quantity=4)
    problems.add_attachment(
        session=session,
        plant=plant,
        ref=proposed.ref,
        filename="pits.jpg",
        content=b"\xff\xd8 a photo",
        actor=supervisor(plant, "ASSY"),
    )
    elsewhere, _ = report(session, plant, found_on=date(2026, 11, 1), found_at="SURF", op="50")

    def found(unit="ASSY", **months):
        return problems.found_by_unit(
            session=session, plant=plant, unit=unit, as_of=TODAY, **months
        )

    recent = found(closed_months=3)  # November, October, September
    assert [
        (p.ref, p.status, p.responsible, p.deadline, p.overdue, p.closed_on)
        for p in recent.problems
    ] == [
        (proposed.ref, "proposed", {}, None, False, None),
        (closed.ref, "closed", {"SHEET": 1.0}, "2026-10-31", False, "2026-10-10"),
        (overdue.ref, "ruled", {"SHEET": 0.4, "STORE": 0.6}, "2026-10-31", True, None),
    ]
    assert (recent.closed_since, recent.left_out) == (date(2026, 9, 1), 1)
    assert recent.problems[0].proposed == "SHEET"
    assert recent.problems[0].evidence == detail(session, plant, proposed.ref).evidence
    assert [e["filename"] for e in recent.problems[0].evidence] == ["pits.jpg"]
    assert [p.evidence for p in recent.problems[1:]] == [[], []]
    everything = found()
    assert [p.ref for p in everything.problems] == [
        proposed.ref,
        closed.ref,
        overdue.ref,
        long_closed,
    ]
    assert (everything.closed_since, everything.left_out) == (None, 0)
    still_open = found(closed_months=0)
    assert [p.ref for p in still_open.problems] == [proposed.ref, overdue.ref]
    assert still_open.left_out == 2
    assert [p.ref for p in found("SURF").problems] == [elsewhere.ref]
    assert found("SHEET").problems == []  # proposed for all of them, found none
    with pytest.raises(NoacError, match="^unknown unit 'MOON' in plant AERO$"):
        found("MOON")


def test_a_unit_answers_the_problems_it_is_proposed_for_or_responsible_for(session, plant):
    """What the supervisor answers and corrects: not the problems his unit only found."""
    ruled = _ruled(session, plant, "STORE", date(2026, 4, 30))
    proposed, _ = report(session, plant, quantity=2)
    elsewhere, _ = report(session, plant, found_at="SURF", op="50")

    def answered(unit):
        return [p.ref for p in problems.unit_problems(session=session, plant=plant, unit=unit)]

    assert answered("ASSY") == []  # it found them all
    assert answered("SHEET") == [ruled, proposed.ref, elsewhere.ref]  # proposed
    assert answered("STORE") == [ruled]  # responsible
    with pytest.raises(NoacError, match="^unknown unit 'MOON' in plant AERO$"):
        answered("MOON")


@pytest.mark.parametrize(
    ("shares", "message"),
    [
        ("STORE:0.5;SHEET:0.3", "shares sum to 0.8, not 1"),
        ("STORE:1;SHEET", "the given shares already sum to 1, nothing is left for SHEET"),
        ("MOON", "unknown unit\\(s\\): MOON"),
        ("STORE;STORE", "unit 'STORE' is named twice"),
        ("STORE:-1", "share of STORE: -1 is outside 0..1"),
        # as the quality desk sends them: a unit picked and left at 0, a share not a number
        ({"STORE": 1.0, "SHEET": 0.0}, "share of SHEET: a share must be above 0"),
        ({"STORE": float("nan")}, "share of STORE: a share must be above 0"),
        ({}, "no responsible unit given"),  # none picked on the desk
        ("", "no responsible unit given"),
        ("STORE;:0.5", "':0.5' names no unit before its share"),
    ],
)
def test_bad_rulings_are_refused_and_write_nothing(engine, session, plant, shares, message):
    problem, _ = report(session, plant)
    before = snapshot(engine)
    with pytest.raises(NoacError, match=message):
        problems.rule_problem(
            session=session, plant=plant, ref=problem.ref, shares=shares, reason="r", actor=QUALITY
        )
    assert snapshot(engine) == before


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"found_on": date(2026, 11, 21)}, "date: 2026-11-21 is in the future"),
        (
            {"found_at": "WELD", "op": None},
            "found_at: unit WELD is not on the routing of part BP-100",
        ),
        ({"op": "99"}, "op: part BP-100 \\(routing version 1\\) has no operation '99'"),
        (
            {"op": "50"},
            "op: operation 50 of part BP-100 \\(routing version 1\\) is at unit SURF, not at ASSY",
        ),
        ({"part": "NOPE"}, "part: unknown part 'NOPE'"),
        ({"found_at": "MOON"}, "found_at: unknown unit 'MOON'"),
        (
            {"severity": "grave", "quantity": 0},
            "severity: 'grave' is not one of minor, major, critical; qty",
        ),
    ],
)
def test_bad_reports_are_refused_and_write_nothing(engine, session, plant, fields, message):
    before = snapshot(engine)
    with pytest.raises(NoacError, match=message):
        report(session, plant, **fields)
    assert snapshot(engine) == before


def test_ruling_after_the_month_closed_counts_in_the_first_open_month(session, plant):
    problem, _ = report(session, plant)
    _close(session, plant, "2026-03", "2026-04")
    problems.rule_problem(
        session=session, plant=plant, ref=problem.ref, shares="STORE", reason="r", actor=QUALITY
    )
    assert detail(session, plant, problem.ref).counted_month == "2026-05"
    _close(session, plant, "2026-05")
    with pytest.raises(NoacError, match="counts in 2026-05, which is closed"):
        problems.rule_problem(
            session=session, plant=plant, ref=problem.ref, shares="SHEET", reason="r", actor=QUALITY
        )


def test_the_deadline_of_a_problem_counted_in_a_closed_month_moves_for_the_open_months(
    session, plant
):
    """The quality department moves the deadline of a problem found, counted and overdue in
    closed months: the open months count it with the new deadline, the closed ones keep the
    figures they were closed with, and the problem its responsibility, escapes and month."""
    ref = _ruled_with_action(session, plant, date(2026, 3, 31))  # found 2026-03-10
    for month in ("2026-03", "2026-04"):
        coefficients.close_month(
            session=session, plant=plant, month=month, actor=QUALITY, today=TODAY
        )

    def closed_figures():
        return {
            month: {
                r["unit"]: (r["defect_points"], r["overdue_points"], r["escape_points"])
                for r in coefficients.export_records(
                    coefficients.month_results(session=session, plant=plant, month=month)
                )
                if r["unit"] in ("STORE", "QC-SM")
            }
            for month in ("2026-03", "2026-04")
        }

    def may_overdue_points():
        may = coefficients.compute_month(session=session, plant=plant, month="2026-05")
        return {r.unit: r.overdue_points for r in may.results}["STORE"]

    # major: 3 points, counted in March; overdue: 2 at the end of each month from March on
    figures = {"2026-03": {"STORE": (3, 2, 0), "QC-SM": (0, 0, 1)}}
    figures["2026-04"] = {"STORE": (0, 2, 0), "QC-SM": (0, 0, 0)}
    assert closed_figures() == figures
    assert may_overdue_points() == 2
    _rule(session, plant, ref, "STORE", date(2026, 6, 15))
    shown = detail(session, plant, ref)
    assert (shown.deadline, shown.responsible, shown.escapes, shown.counted_month) == (
        "2026-06-15",
        {"STORE": 1.0},
        ["QC-SM"],
        "2026-03",
    )
    assert (shown.status, shown.corrective_action["owner"]) == ("action", "STORE")
    assert closed_figures() == figures
    assert may_overdue_points() == 0


def test_a_deadline_is_not_moved_into_a_closed_month(engine, session, plant):
    """Nor does a ruling of a problem counted in a closed month make it overdue at the end of
    a closed month, or change its responsibility there."""
    ref = _ruled(session, plant, "STORE", date(2026, 5, 20))  # counted in March
    _close(session, plant, "2026-03", "2026-04")
    before = snapshot(engine)
    with pytest.raises(
        NoacError,
        match="would be overdue for STORE at the end of 2026-04 \\(deadline 2026-04-15\\),"
        " which is closed: give a deadline after 2026-04-30, or reopen 2026-04 first",
    ):
        _rule(session, plant, ref, "STORE", date(2026, 4, 15))
    with pytest.raises(NoacError, match="counts in 2026-03, which is closed: reopen that month"):
        _rule(session, plant, ref, "STORE:0.5;SHEET", date(2026, 6, 30))
    assert snapshot(engine) == before
    _rule(session, plant, ref, "STORE", date(2026, 5, 5))  # earlier, in May: open
    assert detail(session, plant, ref).deadline == "2026-05-05"


def test_undetermined_problem_cannot_be_accepted_and_is_ruled(session, plant):
    problem, result = report(session, plant, found_at="STORE", op="10")
    assert result.undetermined
    with pytest.raises(NoacError, match="no proposed responsible unit \\(undetermined\\)"):
        problems.accept_problem(
            session=session, plant=plant, ref=problem.ref, actor=supervisor(plant, "STORE")
        )
    problems.rule_problem(
        session=session,
        plant=plant,
        ref=problem.ref,
        shares="STORE",
        reason="supplier lot",
        actor=QUALITY,
    )
    assert detail(session, plant, problem.ref).responsible == {"STORE": 1.0}


def test_evidence_is_kept_in_the_database_across_restarts(db_url, session, plant):
    problem, _ = report(session, plant)
    photo = bytes(range(256)) * 10
    problems.add_attachment(
        session=session,
        plant=plant,
        ref=problem.ref,
        filename="pits.jpg",
        content=photo,
        content_type="image/jpeg",
        actor=QUALITY,
    )
    other = create_db_engine(db_url)
    try:
        with Session(other) as fresh:
            (stored,) = fresh.exec(select(Attachment)).all()
            assert (stored.filename, stored.content, stored.size) == ("pits.jpg", photo, 2560)
    finally:
        other.dispose()


def test_evidence_is_listed_with_its_problem_and_read_back(engine, session, plant):
    problem, _ = report(session, plant)
    other, _ = report(session, plant)

    def attach(filename, content):
        problems.add_attachment(
            session=session,
            plant=plant,
            ref=problem.ref,
            filename=filename,
            content=content,
            content_type="image/jpeg",
            actor=QUALITY,
        )

    photo = bytes(range(256)) * 10
    attach("pits.jpg", photo)
    (item,) = detail(session, plant, problem.ref).evidence
    assert (item["filename"], item["size"], item["uploaded_by"]) == ("pits.jpg", 2560, "quinn")
    kept = problems.evidence_file(
        session=session, plant=plant, ref=problem.ref, evidence_id=item["id"], actor=QUALITY
    )
    assert kept.content == photo
    with pytest.raises(NoacError, match=f"problem {other.ref} has no evidence {item['id']}"):
        problems.evidence_file(
            session=session, plant=plant, ref=other.ref, evidence_id=item["id"], actor=QUALITY
        )
    before = snapshot(engine)
    long_name = "measurement-report-" + "x" * 250 + ".pdf"  # 273 characters
    with pytest.raises(NoacError, match="has a name of 273 characters; the limit is 255"):
        attach(long_name, photo)
    assert snapshot(engine) == before


def test_evidence_is_read_by_the_quality_department_and_the_units_concerned(session, plant):
    problem, _ = report(session, plant)  # found at ASSY, SHEET proposed
    photo = b"\xff\xd8 a photo"
    problems.add_attachment(
        session=session,
        plant=plant,
        ref=problem.ref,
        filename="pits.jpg",
        content=photo,
        actor=QUALITY,
    )
    (item,) = detail(session, plant, problem.ref).evidence

    def read(actor):
        return problems.evidence_file(
            session=session, plant=plant, ref=problem.ref, evidence_id=item["id"], actor=actor
        ).content

    assert read(QUALITY) == photo
    assert read(supervisor(plant, "ASSY")) == read(supervisor(plant, "SHEET")) == photo
    with pytest.raises(NoacError, match=r"sup-weld \(supervisor of WELD\) may not read the"):
        read(supervisor(plant, "WELD"))
    for outsider in (
        supervisor(plant, "ASSY", role="inspector"),
        Actor("eve", "executive"),
        SYSTEM,
    ):
        with pytest.raises(NoacError, match=f"{outsider.username} \\({outsider.role}\\) may not"):
            read(outsider)


def test_tracing_every_problem_at_once_gives_each_its_own_trace(session, plant):
    reports = [
        {},
        {"found_on": date(2026, 6, 1)},
        {"op": None},
        {"defect_code": None},
        {"found_at": "STORE", "op": "10"},
        {"part": "ACT-200", "found_at": "QC-FIN", "op": None, "defect_code": "WELD-POR"},
        {"part": "ACT-200", "found_at": "QC-FIN", "op": None, "defect_code": "WELD-POR"},
    ]
    refs = [report(session, plant, **fields)[0].ref for fields in reports]
    traced = problems.trace_problems(session=session, plant=plant)
    assert list(traced) == refs
    assert [t.proposed.unit if t.proposed else None for t in traced.values()] == [
        "SHEET",
        "SHEET",
        "SHEET",
        "SURF",
        None,
        "WELD",
        "WELD",
    ]
    # the revision in force from June adds an inspection after the store
    assert [e.op for e in traced[refs[1]].candidates[1].escapes] == ["15", "40"]
    for ref in refs:
        assert traced[ref] == problems.trace_problem(session=session, plant=plant, ref=ref)

"""Every changing action against every role, through the service layer.

Each allowed call must leave exactly one matching audit record; each refused
call must say who may do it and leave the database as it was.
"""

from datetime import date
from itertools import count

import pytest
from sqlmodel import func, select

from noac.errors import NoacError
from noac.importers import import_file
from noac.models import AuditRecord
from noac.scheme import DEFAULT_SCHEME
from noac.services import coefficients, problems, schemes, scoring, users
from noac.services.access import PERMISSIONS, Actor
from noac.services.audit import audit_trail
from noac.services.plants import resolve_plant, save_plant
from noac.services.problems import ProblemReport
from tests.conftest import DATA, QUALITY, SYSTEM, snapshot

AERO = DATA / "demo" / "aerospace"
ROLES = ("supervisor", "inspector", "quality", "executive", "admin")
serial = count(1)


@pytest.fixture
def plant(session):
    for kind, file in (
        ("units", "units.csv"),
        ("defect-codes", "defect_codes.csv"),
        ("routings", "routings.csv"),
    ):
        import_file(actor=SYSTEM, session=session, kind=kind, path=AERO / file, plant_code="AERO")
    return resolve_plant(session=session, code="AERO")


def actor(role, plant, unit):
    bound = role in ("supervisor", "inspector")
    return Actor(
        f"{role}-{unit}".lower() if bound else role,
        role,
        unit=unit if bound else None,
        plant_id=plant.id if bound else None,
    )


def new_problem(session, plant, *steps):
    """A BP-100 problem found at ASSY (proposed: SHEET), taken through ``steps``."""
    problem, _ = problems.report_problem(
        session=session,
        plant=plant,
        actor=QUALITY,
        report=ProblemReport(
            found_on=date(2026, 3, 10),
            found_at="ASSY",
            part="BP-100",
            op="60",
            defect_code="PIT-FACE",
            severity="major",
            quantity=2,
        ),
    )
    ref = problem.ref
    for step in steps:
        if step == "ruled":
            problems.rule_problem(
                session=session,
                plant=plant,
                ref=ref,
                shares="SHEET",
                reason="r",
                actor=QUALITY,
                deadline=date(2026, 4, 30),
            )
        if step == "action":
            problems.plan_action(
                session=session,
                plant=plant,
                ref=ref,
                owner="SHEET",
                root_cause="c",
                actions="a",
                actor=QUALITY,
            )
        if step == "verification":
            problems.request_verification(session=session, plant=plant, ref=ref, actor=QUALITY)
    return ref


def new_account(session, *, disabled: bool = False) -> str:
    """The name of a new executive's account, disabled or not."""
    name = f"u{next(serial)}"
    users.add_user(
        session=session,
        actor=SYSTEM,
        username=name,
        display_name="U",
        role="executive",
        password="long-enough",
    )
    if disabled:
        users.disable_user(session=session, actor=SYSTEM, username=name)
    return name


def month():
    """A different past month for each call, so closes do not collide."""
    n = next(serial)
    return f"{2000 + n // 12:04d}-{n % 12 + 1:02d}"


# action: (permission, unit a unit-bound actor acts for, prepare, call, expected audit entity)
CASES = {
    "import units": (
        "import-master-data",
        "SHEET",
        lambda s, p: None,
        lambda s, p, a, _: import_file(
            session=s,
            kind="units",
            actor=a,
            path="u.csv",
            plant_code="AERO",
            data=f"code,name,kind\nNEW{next(serial)},New,workshop".encode(),
        ),
        "units",
    ),
    "import scores": (
        "import-history",
        "SHEET",
        lambda s, p: None,
        lambda s, p, a, _: import_file(
            session=s,
            kind="scores",
            actor=a,
            path="s.csv",
            plant_code="AERO",
            data=f"month,rater,ratee,criterion,value\n{month()},SHEET,STORE,quality,8".encode(),
        ),
        "scores",
    ),
    "set scheme": (
        "set-scheme",
        "SHEET",
        lambda s, p: None,
        lambda s, p, a, _: schemes.set_scheme(session=s, plant=p, path=DEFAULT_SCHEME, actor=a),
        "scheme",
    ),
    "add user": (
        "manage-users",
        "SHEET",
        lambda s, p: None,
        lambda s, p, a, _: users.add_user(
            session=s,
            actor=a,
            username=f"u{next(serial)}",
            display_name="U",
            role="executive",
            password="long-enough",
        ),
        "user",
    ),
    "enable user": (
        "manage-users",
        "SHEET",
        lambda s, p: new_account(s, disabled=True),
        lambda s, p, a, name: users.enable_user(session=s, actor=a, username=name),
        "user",
    ),
    "change role": (
        "manage-users",
        "SHEET",
        lambda s, p: new_account(s),
        lambda s, p, a, name: users.change_role(session=s, actor=a, username=name, role="quality"),
        "user",
    ),
    "save plant": (
        "manage-plants",
        "SHEET",
        lambda s, p: None,
        lambda s, p, a, _: save_plant(session=s, code=f"P{next(serial)}", name="Plant", actor=a),
        "plant",
    ),
    "submit scores": (
        "submit-scores",
        "SHEET",
        lambda s, p: None,
        lambda s, p, a, _: scoring.submit_form(
            session=s,
            plant=p,
            month=month(),
            rater="SHEET",
            ratee="STORE",
            actor=a,
            values={"quality": 8, "delivery": 8, "service": 8, "handover": 8},
        ),
        "form",
    ),
    "report problem": (
        "report-problem",
        "ASSY",
        lambda s, p: None,
        lambda s, p, a, _: problems.report_problem(
            session=s,
            plant=p,
            actor=a,
            report=ProblemReport(
                found_on=date(2026, 3, 1),
                found_at="ASSY",
                part="BP-100",
                severity="minor",
                quantity=1,
            ),
        ),
        "quality_problem",
    ),
    "attach evidence": (
        "attach-evidence",
        "ASSY",
        lambda s, p: new_problem(s, p),
        lambda s, p, a, ref: problems.add_attachment(
            session=s, plant=p, ref=ref, filename="photo.jpg", content=b"jpeg", actor=a
        ),
        "quality_problem",
    ),
    "accept": (
        "answer-problem",
        "SHEET",
        lambda s, p: new_problem(s, p),
        lambda s, p, a, ref: problems.accept_problem(session=s, plant=p, ref=ref, actor=a),
        "quality_problem",
    ),
    "dispute": (
        "answer-problem",
        "SHEET",
        lambda s, p: new_problem(s, p),
        lambda s, p, a, ref: problems.dispute_problem(
            session=s, plant=p, ref=ref, reason="not us", actor=a
        ),
        "quality_problem",
    ),
    "rule": (
        "rule-problem",
        "SHEET",
        lambda s, p: new_problem(s, p),
        lambda s, p, a, ref: problems.rule_problem(
            session=s, plant=p, ref=ref, shares="STORE", reason="r", actor=a
        ),
        "quality_problem",
    ),
    "plan action": (
        "plan-action",
        "SHEET",
        lambda s, p: new_problem(s, p, "ruled"),
        lambda s, p, a, ref: problems.plan_action(
            session=s, plant=p, ref=ref, owner="SHEET", root_cause="c", actions="a", actor=a
        ),
        "quality_problem",
    ),
    "move a deadline later": (
        "move-deadline",
        "SHEET",
        lambda s, p: new_problem(s, p, "ruled"),
        lambda s, p, a, ref: problems.plan_action(
            session=s,
            plant=p,
            ref=ref,
            owner="SHEET",
            root_cause="c",
            actions="a",
            actor=a,
            deadline=date(2026, 5, 31),
        ),
        "quality_problem",
    ),
    "request verification": (
        "request-verification",
        "SHEET",
        lambda s, p: new_problem(s, p, "ruled", "action"),
        lambda s, p, a, ref: problems.request_verification(session=s, plant=p, ref=ref, actor=a),
        "quality_problem",
    ),
    "verify": (
        "verify-problem",
        "SHEET",
        lambda s, p: new_problem(s, p, "ruled", "action", "verification"),
        lambda s, p, a, ref: problems.verify_problem(
            session=s, plant=p, ref=ref, effective=True, note="checked", actor=a
        ),
        "quality_problem",
    ),
    "close month": (
        "close-month",
        "SHEET",
        lambda s, p: month(),
        lambda s, p, a, m: coefficients.close_month(session=s, plant=p, month=m, actor=a),
        "month",
    ),
    "reopen month": (
        "reopen-month",
        "SHEET",
        lambda s, p: (
            coefficients.close_month(session=s, plant=p, month=month(), actor=QUALITY).month
        ),
        lambda s, p, a, m: coefficients.reopen_month(
            session=s, plant=p, month=m, reason="late forms", actor=a
        ),
        "month",
    ),
}


def test_every_permission_is_walked():
    # reading the trail: test_audit_trail_is_for_quality_and_admin; a restore: test_backup.py;
    # reading evidence: test_evidence_is_read_by_the_quality_department_and_the_units_concerned
    walked = {case[0] for case in CASES.values()} | {
        "read-audit",
        "restore-backup",
        "read-evidence",
    }
    assert walked == set(PERMISSIONS)


def audit_count(session) -> int:
    return session.exec(select(func.count()).select_from(AuditRecord)).one()


@pytest.mark.parametrize("name", sorted(CASES))
def test_role_matrix(engine, session, plant, name):
    permission, unit, prepare, call, entity = CASES[name]
    for role in ROLES:
        who = actor(role, plant, unit)
        target = prepare(session, plant)
        before, records = snapshot(engine), audit_count(session)
        if role in PERMISSIONS[permission]:
            call(session, plant, who, target)
            assert audit_count(session) == records + 1, f"{name} as {role}"
            (last,) = audit_trail(session=session, actor=QUALITY, limit=1)
            assert (last.actor, last.entity) == (who.username, entity)
        else:
            with pytest.raises(NoacError, match=f"{who.username} \\({role}\\) may not"):
                call(session, plant, who, target)
            assert snapshot(engine) == before, f"{name} as {role} changed the database"


@pytest.mark.parametrize(
    ("name", "unit", "message"),
    [
        ("submit scores", "ASSY", "supervisor of ASSY\\) may not submit scores for SHEET"),
        ("report problem", "WELD", "of WELD\\) may not report a quality problem for ASSY"),
        ("accept", "STORE", "of STORE\\) may not accept or dispute a problem for SHEET"),
        ("plan action", "STORE", "of STORE\\) may not enter a corrective action for SHEET"),
    ],
)
def test_unit_bound_roles_act_only_for_their_unit(engine, session, plant, name, unit, message):
    _, _, prepare, call, _ = CASES[name]
    target = prepare(session, plant)
    before = snapshot(engine)
    with pytest.raises(NoacError, match=message):
        call(session, plant, actor("supervisor", plant, unit), target)
    assert snapshot(engine) == before


def test_unit_bound_roles_stay_in_their_plant(engine, session, plant):
    other = save_plant(session=session, code="OTHER", name="Other plant", actor=SYSTEM)
    stranger = Actor("sup-x", "supervisor", unit="ASSY", plant_id=other.id)
    with pytest.raises(NoacError, match="sup-x may not report a quality problem in another plant"):
        CASES["report problem"][3](session, plant, stranger, None)


def test_audit_trail_is_for_quality_and_admin(session, plant):
    for role in ROLES:
        who = actor(role, plant, "SHEET")
        if role in ("quality", "admin"):
            audit_trail(session=session, actor=who)
        else:
            with pytest.raises(NoacError, match="may not read the audit trail"):
                audit_trail(session=session, actor=who)


def test_audit_record_holds_before_after_and_reason(session, plant):
    ref = new_problem(session, plant)
    problems.rule_problem(
        session=session,
        plant=plant,
        ref=ref,
        shares="STORE:0.5;SHEET",
        reason="shared",
        actor=QUALITY,
    )
    (record,) = audit_trail(session=session, actor=QUALITY, entity="quality_problem", limit=1)
    assert (record.action, record.entity_id, record.reason) == ("rule", ref, "shared")
    assert record.before["status"] == "proposed" and record.before["responsible"] == {}
    assert record.after["status"] == "ruled"
    assert record.after["responsible"] == {"SHEET": 0.5, "STORE": 0.5}

"""The demo database: two plants from data/demo with a year of history."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from noac.db import create_db_engine, migrate, sqlite_file
from noac.errors import NoacError
from noac.importers import import_file
from noac.models import Plant
from noac.services import problems, users
from noac.services.access import SYSTEM, Actor
from noac.services.coefficients import close_month
from noac.services.masterdata import list_units
from noac.services.periods import month_of
from noac.services.plants import resolve_plant, save_plant
from noac.services.scoring import ScoringRules
from noac.settings import get_settings

DATA = Path(__file__).resolve().parent.parent / "data" / "demo"

DEMO_PASSWORD = "noac-demo"
PEOPLE = (
    ("admin", "管理员 Administrator", "admin"),
    ("quality", "质量处 Quality department", "quality"),
    ("exec", "厂长 Plant director", "executive"),
)

# (part, found at unit, operation, defect code, severity, weight per month
# in the first and in the second half of the year). WELD improves after its
# corrective action of mid-year; MACH stays the leading source; HEAT's actions
# run late.
AERO_PROBLEMS = (
    ("ACT-200", "QC-FIN", "140", "WELD-POR", "major", 3, 0.5),
    ("HSG-400", "QC-WE", "40", "WELD-POR", "minor", 3, 0.5),
    ("DCT-260", "TEST", "60", "LEAK", "critical", 0.5, 0.2),
    ("SH-300", "QC-MA", "40", "DIM", "minor", 3, 3),
    ("FLG-150", "QC-MA", "40", "DIM", "major", 1.5, 1.5),
    ("VLV-320", "QC-MA", "40", "BURR", "minor", 1.5, 1.5),
    ("PIN-160", "QC-MA", "50", "HARD", "major", 1, 1),
    ("LG-230", "QC-FIN", "70", "PLAT", "minor", 1, 1),
    ("BRK-110", "SURF", "60", "SCR", "minor", 1, 1),
    ("CVR-280", "SURF", "60", "SCR", "minor", 0.5, 0.5),
    ("RCK-410", "QC-FIN", "90", "ASSY-TORQ", "minor", 0.5, 0.5),
    ("CLP-240", "QC-FIN", "60", "CORR", "major", 0.5, 0.5),
    ("HB-140", "QC-SM", "50", "BEND", "minor", 1, 1),
    ("KIT-350", "QC-FIN", "40", "DOC", "minor", 0.3, 0.3),
    ("GBX-250", "ASSY", "70", None, "minor", 0.5, 0.5),
)
GARM_PROBLEMS = (
    ("SHIRT-01", "QC", "50", "SKIP", "minor", 2, 2),
    ("TROUSER-03", "QC", "60", "PUCK", "minor", 1, 1),
    ("JACKET-02", "QC", "80", "SHADE", "major", 0.5, 0.5),
    ("DRESS-05", "QC-CUT", "30", "CUTSZ", "minor", 1, 1),
    ("POLO-04", "QC", "60", "EMB-OFF", "minor", 0.5, 0.5),
    ("VEST-07", "QC", "60", "SHINE", "minor", 0.5, 0.5),
)
LATE_UNITS = {"HEAT"}

# Scoring stories: WELD improves after its corrective action of mid-year, TEST rates
# everyone the maximum (lenient), QC-FIN is harsh, LOGI forgets its forms in the last month.
IMPROVING = "WELD"
LENIENT = "TEST"
HARSH = {"QC-FIN", "QC"}
FORGETFUL = "LOGI"
CRITERIA = ("quality", "delivery", "service", "handover")

PLANTS = (
    ("AERO", "航空装配厂 Aerospace assembly plant", "aerospace"),
    ("GARM", "服装厂 Garment plant", "garment"),
)


def history_months(today: date, count: int = 12) -> list[date]:
    """First days of the ``count`` months before the month of ``today``, oldest first.

    >>> [m.isoformat() for m in history_months(date(2026, 2, 15), 3)]
    ['2025-11-01', '2025-12-01', '2026-01-01']
    """
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        months.append(date(year, month, 1))
    return months[::-1]


def _remove_demo_file(url: str) -> None:
    """Start the default demo SQLite file afresh; any other database must hold no plant yet."""
    parsed = make_url(url)
    if url != get_settings().demo_database_url or parsed.get_backend_name() != "sqlite":
        return
    for suffix in ("", "-wal", "-shm"):
        Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)


def _refuse_plants(engine: Engine) -> None:
    """The demo is built into a new database: one that holds plants is left as it is."""
    file = sqlite_file(engine.url)
    if file is not None and not file.exists():
        return  # a new file, made with its folder by the migration
    if not inspect(engine).has_table("plant"):
        return
    with engine.connect() as connection:
        codes = connection.execute(text("SELECT code FROM plant ORDER BY code")).scalars().all()
    if codes:
        raise NoacError(
            f"{engine.url.render_as_string(hide_password=True)} already holds plants"
            f" ({', '.join(codes)}): the demo is built into a new database"
        )


def build(url: str, today: date | None = None) -> Iterator[str]:
    """Build the demo database at ``url``, yielding a line of progress per step."""
    today = today or date.today()
    months = history_months(today)
    engine = create_db_engine(url)
    try:
        _remove_demo_file(url)
        _refuse_plants(engine)
        migrate(engine)
        with Session(engine, expire_on_commit=False) as session:
            for code, name, folder in PLANTS:
                save_plant(session=session, code=code, name=name, actor=SYSTEM)
                for kind, file in (
                    ("units", "units.csv"),
                    ("defect-codes", "defect_codes.csv"),
                    ("routings", "routings.csv"),
                ):
                    summary = import_file(
                        session=session,
                        kind=kind,
                        path=DATA / folder / file,
                        plant_code=code,
                        actor=SYSTEM,
                    )
                    yield str(summary)
            revision = import_file(
                session=session,
                kind="routings",
                path=DATA / "aerospace" / "routings_revision.csv",
                plant_code="AERO",
                effective=months[6],
                actor=SYSTEM,
            )
            yield f"{_add_people(session)} demo users, password '{DEMO_PASSWORD}'"
            yield f"{revision} (revision in force from {months[6]})"
            rng = random.Random(2014)
            for code, scenarios in (("AERO", AERO_PROBLEMS), ("GARM", GARM_PROBLEMS)):
                plant = resolve_plant(session=session, code=code)
                count = _problem_history(session, plant, scenarios, months, today, rng)
                yield f"{count} quality problems in plant {code} over {len(months)} months"
            _backing_plate_case(session, months, today)
            yield "the backing-plate case of the brief in plant AERO"
            retaliation_month = _retaliation_case(session, months, today)
            for code in ("AERO", "GARM"):
                plant = resolve_plant(session=session, code=code)
                summary = _score_history(session, plant, months, rng, retaliation_month)
                yield f"{summary.created} scores in plant {code}"
                for month in months[:-1]:
                    close_month(
                        session=session, plant=plant, month=month_of(month), actor=_quality(session)
                    )
                yield f"plant {code}: months {month_of(months[0])} to {month_of(months[-2])} closed"
    finally:
        engine.dispose()
    yield f"demo database ready: {make_url(url).render_as_string(hide_password=True)}"


def _day_in(month: date, rng: random.Random, today: date) -> date:
    return min(month + timedelta(days=rng.randrange(28)), today)


def _dated(day: date) -> AbstractContextManager[None]:
    """The problem steps taken inside dated ``day``, as the year of history they make up
    had them: a verification is not dated before the action was reported done."""
    return problems.steps_dated(min(datetime.combine(day, time(9), UTC), datetime.now(UTC)))


def _problem_history(
    session: Session,
    plant: Plant,
    scenarios: tuple,
    months: list[date],
    today: date,
    rng: random.Random,
) -> int:
    """Report problems month by month; move each along its workflow as far as its age allows."""
    count = 0
    for index, month in enumerate(months):
        age = len(months) - 1 - index
        for part, found_at, op, code, severity, early, late in scenarios:
            rate = early if index < len(months) // 2 else late
            for _ in range(int(rate) + (rng.random() < rate - int(rate))):
                report = problems.ProblemReport(
                    found_on=_day_in(month, rng, today),
                    found_at=found_at,
                    part=part,
                    severity=severity,
                    quantity=rng.choice((1, 1, 2, 3, 5, 8)),
                    op=op,
                    defect_code=code,
                    description=f"{code or 'defect'} found at {found_at}",
                    disposition=rng.choice(("rework", "rework", "scrap", "concession")),
                    cost=float(rng.choice((0, 120, 300, 800, 2500))) or None,
                )
                with _dated(report.found_on):
                    problem, result = problems.report_problem(
                        session=session,
                        plant=plant,
                        report=report,
                        actor=_person(session, plant, found_at),
                        today=today,
                    )
                    _advance(
                        session, plant, problem.ref, result, report.found_on, age, today, rng, count
                    )
                count += 1
    return count


def _advance(session, plant, ref, result, found_on, age, today, rng, serial) -> None:
    """Take one problem through as many workflow steps as a problem of its age has seen."""
    steps = (0, 1, 2)[serial % 3] if age == 0 else min(age * 2 + rng.randrange(3), 6)
    if steps == 0:
        return
    unit = result.proposed.unit if result.proposed else None
    if unit is None or (age == 0 and steps == 1) or rng.random() < 0.15:
        if unit is not None:
            problems.dispute_problem(
                session=session,
                plant=plant,
                ref=ref,
                actor=_person(session, plant, unit),
                reason="our inspection passed the parts; the cause lies elsewhere",
            )
            if steps == 1:
                return
        first_store = "STORE" if plant.code == "AERO" else "FAB"
        candidates = list(dict.fromkeys(c.unit for c in result.candidates))[:2] or [first_store]
        shares = {c: 1 / len(candidates) for c in candidates}
        problems.rule_problem(
            session=session,
            plant=plant,
            ref=ref,
            shares=shares,
            actor=_quality(session),
            reason="ruled after a joint review with production and the finding unit",
        )
        unit = candidates[0]
    else:
        problems.accept_problem(
            session=session, plant=plant, ref=ref, actor=_person(session, plant, unit)
        )
    if steps < 3:
        return
    late = unit in LATE_UNITS and rng.random() < 0.6
    deadline = found_on + timedelta(days=30)
    problems.plan_action(
        session=session,
        plant=plant,
        ref=ref,
        owner=unit,
        actor=_person(session, plant, unit),
        root_cause="process parameter drift not caught by the operator check",
        actions="parameter window fixed in the work instruction; first-piece check added",
        deadline=deadline,
        milestones=[f"{found_on + timedelta(days=14)}:instruction revised"],
    )
    if steps < 4 or late or deadline > today:
        return
    verified_on = min(deadline - timedelta(days=rng.randrange(10)), today) if steps > 4 else None
    with _dated(verified_on or found_on):  # reported done the day it is verified
        problems.request_verification(
            session=session, plant=plant, ref=ref, actor=_person(session, plant, unit)
        )
        if verified_on is None:
            return
        problems.verify_problem(
            session=session,
            plant=plant,
            ref=ref,
            effective=True,
            actor=_quality(session),
            note="three following lots checked without recurrence",
            on=verified_on,
        )


def _backing_plate_case(session: Session, months: list[date], today: date) -> None:
    """The case of the brief: the store issued pitted plates, sheet metal bent them wrongly."""
    plant = resolve_plant(session=session, code="AERO")
    found_on = months[3] + timedelta(days=9)
    with _dated(found_on):
        problem, _ = problems.report_problem(
            session=session,
            plant=plant,
            report=problems.ProblemReport(
                found_on=found_on,
                found_at="ASSY",
                part="BP-100",
                op="60",
                defect_code="PIT-FACE",
                severity="major",
                quantity=12,
                disposition="concession",
                cost=4800.0,
                description="背板镀锌面有腐蚀坑:"
                " corrosion pits on the galvanised face of 12 plates",
            ),
            actor=_person(session, plant, "ASSY"),
            today=today,
        )
        problems.dispute_problem(
            session=session,
            plant=plant,
            ref=problem.ref,
            actor=_person(session, plant, "SHEET"),
            reason="the plates came from the store already pitted;"
            " we did not know which face is plated",
        )
        problems.rule_problem(
            session=session,
            plant=plant,
            ref=problem.ref,
            shares={"STORE": 0.5, "SHEET": 0.5},
            actor=_quality(session),
            deadline=found_on + timedelta(days=45),
            reason="the store issued pitted plates and sheet metal bent them with the pitted face"
            " to be plated: neither knew the downstream requirement",
            milestones=[f"{found_on + timedelta(days=20)}:face marking added to the drawing"],
        )
        problems.plan_action(
            session=session,
            plant=plant,
            ref=problem.ref,
            owner="STORE",
            actor=_person(session, plant, "STORE"),
            root_cause="plates stored uncovered; no incoming surface check; plated face not marked",
            actions="covered racks; incoming surface inspection before sheet metal"
            " (routing revised)",
        )
    with _dated(found_on + timedelta(days=40)):
        problems.request_verification(
            session=session, plant=plant, ref=problem.ref, actor=_person(session, plant, "STORE")
        )
        problems.verify_problem(
            session=session,
            plant=plant,
            ref=problem.ref,
            effective=True,
            actor=_quality(session),
            note="no pitted plate at final assembly for two months",
            on=found_on + timedelta(days=40),
        )


def _retaliation_case(session: Session, months: list[date], today: date) -> str:
    """HEAT reports a machining defect that MACH accepts; next month MACH marks HEAT down."""
    plant = resolve_plant(session=session, code="AERO")
    found_on = months[8] + timedelta(days=5)
    with _dated(found_on):
        problem, _ = problems.report_problem(
            session=session,
            plant=plant,
            report=problems.ProblemReport(
                found_on=found_on,
                found_at="HEAT",
                part="PIN-160",
                op="30",
                defect_code="DIM",
                severity="major",
                quantity=6,
                disposition="rework",
                description="pins arrived at heat treatment with the shoulder diameter oversize",
            ),
            actor=_person(session, plant, "HEAT"),
            today=today,
        )
        problems.accept_problem(
            session=session, plant=plant, ref=problem.ref, actor=_person(session, plant, "MACH")
        )
    return month_of(months[9])


def _value(
    rng: random.Random, rater: str, ratee: str, index: int, months: int, retaliation: bool
) -> int:
    if rater == LENIENT:
        return 10
    base = 8.0
    if ratee == IMPROVING:
        base = 5.5 if index < months // 2 else 8.5
    if rater in HARSH:
        base -= 2
    if retaliation:
        base = 4
    return max(0, min(10, round(base + rng.choice((-1, 0, 0, 1)))))


def _score_history(
    session: Session, plant: Plant, months: list[date], rng: random.Random, retaliation_month: str
):
    """Every rater scores every unit that supplied it, month by month, through the importer."""
    rules = ScoringRules(session, plant)
    lines = ["month,rater,ratee,criterion,value,comment"]
    for index, first_day in enumerate(months):
        month = month_of(first_day)
        for ratee, rater in sorted(rules.weights(month)):
            if rater == FORGETFUL and index == len(months) - 1:
                continue
            retaliation = (plant.code, rater, ratee, month) == (
                "AERO",
                "MACH",
                "HEAT",
                retaliation_month,
            )
            for criterion in CRITERIA:
                value = _value(rng, rater, ratee, index, len(months), retaliation)
                comment = ""
                if value < rules.scheme.comment_below:
                    comment = (
                        f"{criterion} below expectation: rework and late deliveries this month"
                    )
                lines.append(f"{month},{rater},{ratee},{criterion},{value},{comment}")
    return import_file(
        session=session,
        kind="scores",
        path="demo-scores.csv",
        plant_code=plant.code,
        data="\n".join(lines).encode(),
        actor=_quality(session),
    )


def username(plant: str, unit: str, role: str = "supervisor") -> str:
    """Demo user names: ``aero-assy`` supervises AERO's ASSY, ``aero-qc-fin-insp`` inspects."""
    suffix = "-insp" if role == "inspector" else ""
    return f"{plant}-{unit}{suffix}".lower()


def _add_people(session: Session) -> int:
    """One user per role: a supervisor per unit, an inspector per inspection station."""
    count = 0
    for name, display, role in PEOPLE:
        users.add_user(
            session=session,
            actor=SYSTEM,
            username=name,
            display_name=display,
            role=role,
            password=DEMO_PASSWORD,
        )
        count += 1
    for code, *_ in PLANTS:
        plant = resolve_plant(session=session, code=code)
        for unit in list_units(session=session, plant=plant):
            roles = ["supervisor"] + (["inspector"] if unit.kind == "inspection" else [])
            for role in roles:
                users.add_user(
                    session=session,
                    actor=SYSTEM,
                    username=username(code, unit.code, role),
                    display_name=f"{unit.name} {role}",
                    role=role,
                    password=DEMO_PASSWORD,
                    plant=plant,
                    unit=unit.code,
                )
                count += 1
    return count


def _person(session: Session, plant: Plant, unit: str) -> Actor:
    return users.actor_for(session=session, username=username(plant.code, unit))


def _quality(session: Session) -> Actor:
    return users.actor_for(session=session, username="quality")

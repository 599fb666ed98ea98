"""Fifty people at once: no lost update, no crash, every refusal reported.

50 threads submit forms (4 scores each) and rulings on a few overlapping
forms and problems, each based on what it read. A write based on a stale read
must be refused with a message; every accepted write must show in the end.
"""

import random
import threading
from collections import Counter
from datetime import date

import pytest
from sqlmodel import Session, func, select

from noac.errors import NoacError
from noac.importers import import_file
from noac.models import ProblemEvent, Score, ScoreHistory
from noac.services import audit, coefficients, problems, scoring
from noac.services.plants import resolve_plant
from noac.services.problems import ProblemReport
from tests.conftest import QUALITY, SYSTEM, supervisor

THREADS = 50
FORMS_PER_THREAD = 48  # 50 * 48 forms * 4 criteria = 9,600 scores
RULINGS_PER_THREAD = 8  # + 400 rulings
CRITERIA = ("quality", "delivery", "service", "handover")
UNITS = "code,name,kind,categories\nSTORE,Store,store,storage\nSHEET,Sheet,workshop,bending\n"
UNITS += "QC,QC,inspection,inspection\nASSY,Assembly,workshop,assembly\n"
ROUTINGS = """part,op,unit,category,after,inspection
P1,10,STORE,,,0
P1,20,SHEET,,10,0
P1,30,QC,,20,1
P1,40,ASSY,,30,0
"""
FORMS = [("SHEET", "STORE"), ("QC", "SHEET"), ("ASSY", "QC")]
MONTHS = ("2026-01", "2026-02")


def _import_plant(session):
    """The plant of ``UNITS`` and ``ROUTINGS``, imported."""
    for kind, text in (("units", UNITS), ("routings", ROUTINGS)):
        import_file(
            actor=SYSTEM, session=session, kind=kind, path=f"{kind}.csv", data=text.encode()
        )
    return resolve_plant(session=session, code=None)


def test_concurrent_forms_and_rulings(engine):
    with Session(engine, expire_on_commit=False) as session:
        plant = _import_plant(session)
        refs = [
            problems.report_problem(
                session=session,
                plant=plant,
                actor=QUALITY,
                report=ProblemReport(
                    found_on=date(2026, 1, 5),
                    found_at="ASSY",
                    part="P1",
                    severity="minor",
                    quantity=1,
                ),
            )[0].ref
            for _ in range(3)
        ]
    accepted: Counter = Counter()
    refused: Counter = Counter()
    reasons: Counter = Counter()
    crashes: list[BaseException] = []
    lock = threading.Lock()

    def submit(session, rng):
        rater, ratee = rng.choice(FORMS)
        month = rng.choice(MONTHS)
        seen = [
            f
            for f in scoring.forms(session=session, plant=plant, months=[month])
            if (f.rater, f.ratee) == (rater, ratee)
        ]
        values = seen[0].values if seen else {}
        versions = {c: (seen[0].versions.get(c, 0) if seen else 0) for c in CRITERIA}
        new = {c: values.get(c, 7) % 4 + 7 for c in CRITERIA}  # 7 -> 10 -> 9 -> 8 -> 7: a change
        scoring.submit_form(
            session=session,
            plant=plant,
            month=month,
            rater=rater,
            ratee=ratee,
            values=new,
            actor=supervisor(plant, rater),
            expected_versions=versions,
        )
        return ("form", month, rater, ratee)

    def rule(session, rng):
        ref = rng.choice(refs)
        seen = problems.get_problem(session=session, plant=plant, ref=ref).version
        problems.rule_problem(
            session=session,
            plant=plant,
            ref=ref,
            shares=rng.choice(["STORE", "SHEET", "QC"]),
            reason="ruling under load",
            actor=QUALITY,
            expected_version=seen,
        )
        return ("rule", ref)

    def worker(seed):
        rng = random.Random(seed)
        jobs = [submit] * FORMS_PER_THREAD + [rule] * RULINGS_PER_THREAD
        rng.shuffle(jobs)
        with Session(engine, expire_on_commit=False) as session:
            for job in jobs:
                try:
                    key = job(session, rng)
                except NoacError as error:
                    with lock:
                        refused[job.__name__] += 1
                        reasons[str(error).split(":")[0][-40:]] += 1
                    assert str(error)
                    session.rollback()
                    continue
                except BaseException as error:  # a crash: recorded and failed below
                    with lock:
                        crashes.append(error)
                    session.rollback()
                    continue
                with lock:
                    accepted[key] += 1

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [repr(c)[:1500] for c in crashes if "QueuePool" not in repr(c)][:2] == []
    total = sum(accepted.values()) + sum(refused.values())
    assert total == THREADS * (FORMS_PER_THREAD + RULINGS_PER_THREAD)
    print(f"\naccepted {sum(accepted.values())}, refused {dict(refused)}: {dict(reasons)}")
    with Session(engine) as session:
        scores = session.exec(select(Score)).all()
        history = session.exec(select(func.count()).select_from(ScoreHistory)).one()
        assert history == sum(s.version - 1 for s in scores)
        for month in MONTHS:
            for form in scoring.forms(session=session, plant=plant, months=[month]):
                submissions = accepted[("form", month, form.rater, form.ratee)]
                # every accepted submission changed every criterion exactly once
                assert set(form.versions.values()) == {submissions}, (month, form.rater)
        for ref in refs:
            problem = problems.get_problem(session=session, plant=plant, ref=ref)
            rulings = session.exec(
                select(func.count())
                .select_from(ProblemEvent)
                .where(ProblemEvent.problem_id == problem.id, ProblemEvent.action == "ruled")
            ).one()
            assert rulings == accepted[("rule", ref)] == problem.version - 1


# A month closing while a form is submitted: the form is either counted by the close or
# refused, never stored in the closed month behind its figures. Each test holds one side
# half-way (the patched step) while the other starts in a thread, then lets it go on: with
# the months locked, the thread waits for the held side to commit.
HELD = 1.0  # seconds the held side waits for the thread before going on


def _plant_with_a_form(engine):
    with Session(engine, expire_on_commit=False) as session:
        plant = _import_plant(session)
        _submit(session, plant, "SHEET", "STORE", 8)
    return plant


def _submit(session, plant, rater, ratee, value):
    scoring.submit_form(
        session=session,
        plant=plant,
        month=MONTHS[0],
        rater=rater,
        ratee=ratee,
        values=dict.fromkeys(CRITERIA, value),
        actor=supervisor(plant, rater),
    )


def _close(engine, plant):
    with Session(engine, expire_on_commit=False) as session:
        coefficients.close_month(session=session, plant=plant, month=MONTHS[0], actor=QUALITY)


def _in_thread(step):
    """Start ``step`` in a thread; the returned list gets its error, if any, once it ends."""
    errors: list[BaseException] = []

    def run():
        try:
            step()
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def _stored_and_recomputed(engine, plant):
    with Session(engine) as session:
        stored = coefficients.month_results(session=session, plant=plant, month=MONTHS[0])
        now = coefficients.compute_month(session=session, plant=plant, month=MONTHS[0])
    return (
        {r.unit: r.coefficient for r in stored.results},
        {r.unit: r.coefficient for r in now.results},
    )


def test_a_form_under_way_when_the_month_closes_is_counted_by_the_close(engine, monkeypatch):
    plant = _plant_with_a_form(engine)
    store = scoring._store
    closing: list = []

    def store_while_the_month_closes(*args, **kwargs):
        closing.extend(_in_thread(lambda: _close(engine, plant)))
        closing[0].join(HELD)
        return store(*args, **kwargs)

    monkeypatch.setattr(scoring, "_store", store_while_the_month_closes)
    with Session(engine, expire_on_commit=False) as session:
        _submit(session, plant, "QC", "SHEET", 9)
    thread, errors = closing
    thread.join()
    assert errors == []
    stored, recomputed = _stored_and_recomputed(engine, plant)
    # QC's form for SHEET, all 9 of 10: S = 90, K = 1 + (90 - 85) / 100 = 1.05;
    # uncounted, SHEET would have no scores and K 1.0
    assert stored["SHEET"] == recomputed["SHEET"] == 1.05
    # SHEET's form for STORE, all 8: S = 80, K = 1 + (80 - 85) / 100 = 0.95
    assert stored["STORE"] == recomputed["STORE"] == 0.95


def test_a_form_sent_while_the_month_closes_waits_and_is_refused(engine, monkeypatch):
    plant = _plant_with_a_form(engine)
    record_schemes = coefficients.record_schemes
    submitting: list = []

    def submit():
        with Session(engine, expire_on_commit=False) as session:
            _submit(session, plant, "QC", "SHEET", 9)

    def store_while_a_form_arrives(*args, **kwargs):
        submitting.extend(_in_thread(submit))
        submitting[0].join(HELD)
        return record_schemes(*args, **kwargs)

    monkeypatch.setattr(coefficients, "record_schemes", store_while_a_form_arrives)
    _close(engine, plant)
    thread, errors = submitting
    thread.join()
    closed = (
        f"month: {MONTHS[0]} is closed: scores can no longer change unless the quality"
        " department reopens it"
    )
    assert [str(e) for e in errors] == [closed]
    stored, recomputed = _stored_and_recomputed(engine, plant)
    assert stored["SHEET"] == recomputed["SHEET"] == 1.0
    with Session(engine) as session:
        pairs = {
            (f.rater, f.ratee)
            for f in scoring.forms(session=session, plant=plant, months=[MONTHS[0]])
        }
    assert pairs == {("SHEET", "STORE")}


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_changes_recorded_at_once_leave_one_unbroken_audit_trail(engine):
    """Two supervisors send their forms at the same moments, which take no lock from each
    other: their records are chained in one line (each waits for the trail's lock), not
    forked from the same previous record."""
    with Session(engine, expire_on_commit=False) as session:
        plant = _import_plant(session)
    start = threading.Barrier(2)

    def send(rater, ratee):
        with Session(engine, expire_on_commit=False) as session:
            start.wait()
            for n in range(20):
                _submit(session, plant, rater, ratee, 7 + n % 4)

    senders = [_in_thread(lambda form=form: send(*form)) for form in FORMS[:2]]
    for thread, _ in senders:
        thread.join()
    assert [errors for _, errors in senders] == [[], []]
    with Session(engine) as session:
        check = audit.verify_trail(session=session, actor=QUALITY)
    assert (check.broken_id, check.reason) == (None, None)
    assert check.records == 2 + 40  # the imports of units and routings, then the forms

"""The monthly quality coefficient of every unit, and the month close.

For unit u and month m (see docs/COEFFICIENT.md):

- S(u, m) = sum_r w(u->r, m) * F(r, u, m) / sum_r w(u->r, m) over raters r with a
  complete form, F optionally calibrated (z-score per rater);
- P(u, m) = defect points + overdue points + escape points;
- K(u, m) = clamp(1 + alpha * (S - target_u) / 100 - P / 100, k_min, k_max),
  rounded to 4 decimals; without S the satisfaction term is 0 (flag no-scores).
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime

from sqlmodel import Session, col, select

from noac.errors import NoacError
from noac.models import (
    MonthResult,
    Period,
    PeriodEvent,
    Plant,
    ProblemEscape,
    ProblemResponsibility,
    QualityProblem,
)
from noac.scheme import Scheme
from noac.services import audit
from noac.services.access import Actor, require
from noac.services.masterdata import units_by_code
from noac.services.periods import closed_months, next_month, parse_month
from noac.services.schemes import active_scheme, record_scheme
from noac.services.scoring import Form, forms, month_days, supply_weights

CALIBRATION_WINDOW = 6
RETALIATION_DROP = 20.0
UNIFORM_MONTHS = 3


def previous_months(month: str, count: int) -> list[str]:
    """The ``count`` months before ``month``, oldest first.

    >>> previous_months("2026-02", 3)
    ['2025-11', '2025-12', '2026-01']
    """
    year, number = int(month[:4]), int(month[5:])
    result = []
    for _ in range(count):
        year, number = (year, number - 1) if number > 1 else (year - 1, 12)
        result.append(f"{year:04d}-{number:02d}")
    return result[::-1]


@dataclass
class UnitResult:
    """One unit's coefficient and how it came about."""

    unit: str
    unit_name: str
    satisfaction: float | None
    raters: int
    target: float
    satisfaction_term: float
    defect_points: float
    overdue_points: float
    escape_points: float
    penalty_points: float
    coefficient: float
    flags: list[str] = field(default_factory=list)
    decomposition: dict = field(default_factory=dict)


@dataclass
class MonthComputation:
    """The coefficients of a month with what the close reports."""

    plant: str
    month: str
    scheme_hash: str
    results: list[UnitResult]
    owed: dict[str, list[str]]
    missing: dict[str, list[str]]
    closed: bool = False
    run: int = 0

    @property
    def forms_owed(self) -> int:
        return sum(len(v) for v in self.owed.values())

    @property
    def forms_missing(self) -> int:
        return sum(len(v) for v in self.missing.values())


def _calibrate(
    month_forms: list[Form], window: list[Form]
) -> tuple[dict[tuple[str, str], float], set[str]]:
    """z-score calibration: ``F' = M + (F - mean_r) / sd_r * SD`` over the window.

    Raters with fewer than 3 forms in the window, or no spread, keep F and are
    returned as uncalibrated. Standard deviations are population ones.
    """
    scores = [f.score for f in window if f.score is not None]
    plant_mean = statistics.fmean(scores) if scores else 0.0
    plant_sd = statistics.pstdev(scores) if len(scores) > 1 else 0.0
    by_rater: dict[str, list[float]] = defaultdict(list)
    for f in window:
        if f.score is not None:
            by_rater[f.rater].append(f.score)
    calibrated: dict[tuple[str, str], float] = {}
    uncalibrated: set[str] = set()
    for f in month_forms:
        own = by_rater[f.rater]
        sd = statistics.pstdev(own) if len(own) >= 3 else 0.0
        if sd > 0:
            calibrated[(f.rater, f.ratee)] = (
                plant_mean + (f.score - statistics.fmean(own)) / sd * plant_sd
            )
        else:
            calibrated[(f.rater, f.ratee)] = f.score
            uncalibrated.add(f.rater)
    return calibrated, uncalibrated


def compute_month(
    *, session: Session, plant: Plant, month: str, scheme: Scheme | None = None
) -> MonthComputation:
    """Compute every unit's coefficient for ``month`` from what is stored now."""
    parse_month(month)
    scheme = scheme or active_scheme(session=session, plant=plant)
    units = units_by_code(session=session, plant=plant)
    codes = {u.id: c for c, u in units.items()}
    weights = supply_weights(session=session, plant=plant, month=month)
    window_months = [*previous_months(month, CALIBRATION_WINDOW), month]
    all_forms = forms(session=session, plant=plant, months=window_months, scheme=scheme)
    complete = [f for f in all_forms if f.complete]
    this_month = [f for f in complete if f.month == month and (f.ratee, f.rater) in weights]
    flags: dict[str, set[str]] = defaultdict(set)
    notes: dict[str, list[str]] = defaultdict(list)

    form_value = {(f.rater, f.ratee): f.score for f in this_month}
    if scheme.calibration == "zscore":
        calibration_window = [f for f in complete if f.month in window_months[1:]]
        form_value, uncalibrated = _calibrate(this_month, calibration_window)
        for rater in uncalibrated:
            flags[rater].add("uncalibrated")

    owed: dict[str, list[str]] = defaultdict(list)
    for supplier, customer in sorted(weights):
        owed[customer].append(supplier)
    submitted = {(f.rater, f.ratee) for f in this_month}
    missing = {
        rater: [r for r in ratees if (rater, r) not in submitted] for rater, ratees in owed.items()
    }
    missing = {rater: ratees for rater, ratees in missing.items() if ratees}
    for rater, ratees in owed.items():
        if all((rater, r) not in submitted for r in ratees):
            flags[rater].add("missing-forms")

    _uniform_flags(complete, month, scheme, flags)
    _retaliation_flags(session, plant, complete, month, codes, flags, notes)
    penalties = _penalties(session, plant, month, scheme, codes)

    results = []
    for code, unit in units.items():
        raters = [
            {
                "rater": f.rater,
                "weight": weights[(code, f.rater)],
                "form": f.score,
                "used": form_value[(f.rater, code)],
            }
            for f in this_month
            if f.ratee == code
        ]
        target = unit.target if unit.target is not None else scheme.target
        total_weight = sum(r["weight"] for r in raters)
        satisfaction = (
            sum(r["weight"] * r["used"] for r in raters) / total_weight if total_weight else None
        )
        if satisfaction is None:
            flags[code].add("no-scores")
            term = 0.0
        else:
            term = scheme.alpha * (satisfaction - target) / 100
        parts = penalties[code]
        defect = sum(p["points"] for p in parts["defects"])
        overdue = sum(p["points"] for p in parts["overdue"])
        escape = sum(p["points"] for p in parts["escapes"])
        penalty = defect + overdue + escape
        raw = 1 + term - penalty / 100
        coefficient = round(min(max(raw, scheme.k_min), scheme.k_max), 4)
        results.append(
            UnitResult(
                unit=code,
                unit_name=unit.name,
                satisfaction=satisfaction,
                raters=len(raters),
                target=target,
                satisfaction_term=term,
                defect_points=defect,
                overdue_points=overdue,
                escape_points=escape,
                penalty_points=penalty,
                coefficient=coefficient,
                flags=sorted(flags[code]),
                decomposition={
                    "raters": raters,
                    "defects": parts["defects"],
                    "overdue": parts["overdue"],
                    "escapes": parts["escapes"],
                    "unclamped": raw,
                    "notes": notes[code],
                },
            )
        )
    return MonthComputation(
        plant=plant.code,
        month=month,
        scheme_hash=scheme.content_hash,
        results=results,
        owed=dict(owed),
        missing=missing,
    )


def _uniform_flags(complete: list[Form], month: str, scheme: Scheme, flags) -> None:
    """A rater that gave every ratee the maximum on every criterion three months running."""
    months = [*previous_months(month, UNIFORM_MONTHS - 1), month]
    by_rater: dict[str, dict[str, list[Form]]] = defaultdict(lambda: defaultdict(list))
    for f in complete:
        if f.month in months:
            by_rater[f.rater][f.month].append(f)
    for rater, per_month in by_rater.items():
        if len(per_month) == UNIFORM_MONTHS and all(
            f.values[c.code] == c.max
            for month_forms in per_month.values()
            for f in month_forms
            for c in scheme.criteria
        ):
            flags[rater].add("uniform-scores")


def _retaliation_flags(session, plant, complete, month, codes, flags, notes) -> None:
    """A rater whose form for a ratee falls 20+ points below its own six-month average
    for that ratee, in the month after a problem reported by that ratee made the rater
    responsible (counted in the previous month)."""
    before = previous_months(month, 1)[0]
    statement = (
        select(QualityProblem.found_at_unit_id, ProblemResponsibility.unit_id)
        .join(ProblemResponsibility, col(ProblemResponsibility.problem_id) == QualityProblem.id)
        .where(QualityProblem.plant_id == plant.id, QualityProblem.counted_month == before)
    )
    blamed = {
        (codes[responsible], codes[reporter]) for reporter, responsible in session.exec(statement)
    }
    window = previous_months(month, CALIBRATION_WINDOW)
    history: dict[tuple[str, str], list[float]] = defaultdict(list)
    for f in complete:
        if f.month in window:
            history[(f.rater, f.ratee)].append(f.score)
    for f in complete:
        if f.month != month or (f.rater, f.ratee) not in blamed:
            continue
        past = history.get((f.rater, f.ratee))
        if past and f.score <= statistics.fmean(past) - RETALIATION_DROP:
            flags[f.rater].add("retaliation-suspect")
            notes[f.rater].append(
                f"form for {f.ratee} {f.score:.1f} against its average {statistics.fmean(past):.1f}"
                f" after {f.ratee} reported a problem {f.rater} was made responsible for"
            )


def _penalties(session, plant, month, scheme: Scheme, codes) -> dict[str, dict[str, list]]:
    points = scheme.penalties
    result: dict[str, dict[str, list]] = defaultdict(
        lambda: {"defects": [], "overdue": [], "escapes": []}
    )
    _, last_day = month_days(month)
    statement = (
        select(QualityProblem, ProblemResponsibility)
        .join(ProblemResponsibility, col(ProblemResponsibility.problem_id) == QualityProblem.id)
        .where(QualityProblem.plant_id == plant.id)
    )
    for problem, share in session.exec(statement):
        unit = codes[share.unit_id]
        if problem.counted_month == month:
            severity_points = getattr(points, problem.severity)
            result[unit]["defects"].append(
                {
                    "problem": problem.ref,
                    "severity": problem.severity,
                    "share": share.share,
                    "points": severity_points * share.share,
                }
            )
        if overdue_at_month_end(problem, last_day):
            result[unit]["overdue"].append(
                {
                    "problem": problem.ref,
                    "deadline": problem.deadline.isoformat(),
                    "share": share.share,
                    "points": points.overdue * share.share,
                }
            )
    statement = (
        select(QualityProblem.ref, ProblemEscape.unit_id)
        .join(ProblemEscape, col(ProblemEscape.problem_id) == QualityProblem.id)
        .where(QualityProblem.plant_id == plant.id, QualityProblem.counted_month == month)
        .distinct()
    )
    for ref, unit_id in session.exec(statement):
        result[codes[unit_id]]["escapes"].append({"problem": ref, "points": points.escape})
    return result


def overdue_at_month_end(problem: QualityProblem, last_day: date) -> bool:
    """The deadline fell in or before the month and the problem was not closed by its end."""
    return (
        problem.deadline is not None
        and problem.deadline <= last_day
        and (problem.closed_on is None or problem.closed_on > last_day)
    )


def _period(session: Session, plant: Plant, month: str) -> Period | None:
    return session.exec(
        select(Period).where(Period.plant_id == plant.id, Period.month == month)
    ).first()


def close_month(
    *, session: Session, plant: Plant, month: str, actor: Actor, today: date | None = None
) -> MonthComputation:
    """Lock ``month`` and store every unit's coefficient with its decomposition.

    Refused for a month already closed or not yet over.
    """
    require(actor, "close-month", plant_id=plant.id)
    parse_month(month)
    today = today or date.today()
    _, last_day = month_days(month)
    if last_day >= today:
        raise NoacError(f"{month} is not over yet: it can be closed from {next_month(month)}-01")
    period = _period(session, plant, month) or Period(plant_id=plant.id, month=month)
    if period.closed_at is not None:
        raise NoacError(f"{month} is already closed (by {period.closed_by})")
    scheme = active_scheme(session=session, plant=plant)
    computation = compute_month(session=session, plant=plant, month=month, scheme=scheme)
    now = datetime.now(UTC)
    units = units_by_code(session=session, plant=plant)
    try:
        record_scheme(session=session, plant=plant, scheme=scheme, actor=actor)
        period.runs += 1
        period.closed_at, period.closed_by = now, actor.username
        session.add(period)
        session.flush()
        for r in computation.results:
            session.add(
                MonthResult(
                    plant_id=plant.id,
                    month=month,
                    run=period.runs,
                    unit_id=units[r.unit].id,
                    satisfaction=r.satisfaction,
                    raters=r.raters,
                    target=r.target,
                    satisfaction_term=r.satisfaction_term,
                    defect_points=r.defect_points,
                    overdue_points=r.overdue_points,
                    escape_points=r.escape_points,
                    penalty_points=r.penalty_points,
                    coefficient=r.coefficient,
                    flags=";".join(r.flags),
                    decomposition=json.dumps(r.decomposition, ensure_ascii=False),
                    scheme_hash=computation.scheme_hash,
                    computed_at=now,
                )
            )
        session.add(PeriodEvent(period_id=period.id, at=now, actor=actor.username, action="close"))
        audit.record(
            session,
            actor,
            "close",
            "month",
            f"{plant.code}/{month}",
            None,
            {
                "run": period.runs,
                "scheme": computation.scheme_hash,
                "coefficients": {r.unit: r.coefficient for r in computation.results},
            },
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    computation.closed, computation.run = True, period.runs
    return computation


def reopen_month(*, session: Session, plant: Plant, month: str, reason: str, actor: Actor) -> None:
    """Unlock a closed month; closing it again recomputes and stores a new run."""
    require(actor, "reopen-month", plant_id=plant.id)
    parse_month(month)
    period = _period(session, plant, month)
    if period is None or period.closed_at is None:
        raise NoacError(f"{month} is not closed")
    if not reason.strip():
        raise NoacError("reopening a month needs a reason")
    period.closed_at, period.closed_by = None, None
    session.add(period)
    session.add(
        PeriodEvent(
            period_id=period.id,
            at=datetime.now(UTC),
            actor=actor.username,
            action="reopen",
            reason=reason.strip(),
        )
    )
    audit.record(
        session,
        actor,
        "reopen",
        "month",
        f"{plant.code}/{month}",
        {"run": period.runs},
        None,
        reason.strip(),
    )
    session.commit()


def month_results(*, session: Session, plant: Plant, month: str) -> MonthComputation:
    """The stored coefficients of a closed month (its latest close)."""
    parse_month(month)
    if month not in closed_months(session=session, plant=plant):
        raise NoacError(f"{month} is not closed: close it first (noac close {month})")
    period = _period(session, plant, month)
    assert period is not None
    units = units_by_code(session=session, plant=plant)
    names = {u.id: (c, u.name) for c, u in units.items()}
    rows = session.exec(
        select(MonthResult).where(
            MonthResult.plant_id == plant.id,
            MonthResult.month == month,
            MonthResult.run == period.runs,
        )
    ).all()
    results = sorted(
        (
            UnitResult(
                unit=names[r.unit_id][0],
                unit_name=names[r.unit_id][1],
                satisfaction=r.satisfaction,
                raters=r.raters,
                target=r.target,
                satisfaction_term=r.satisfaction_term,
                defect_points=r.defect_points,
                overdue_points=r.overdue_points,
                escape_points=r.escape_points,
                penalty_points=r.penalty_points,
                coefficient=r.coefficient,
                flags=[f for f in r.flags.split(";") if f],
                decomposition=json.loads(r.decomposition),
            )
            for r in rows
        ),
        key=lambda r: r.unit,
    )
    scheme_hash = rows[0].scheme_hash if rows else ""
    return MonthComputation(
        plant=plant.code,
        month=month,
        scheme_hash=scheme_hash,
        results=results,
        owed={},
        missing={},
        closed=True,
        run=period.runs,
    )


EXPORT_COLUMNS = (
    "unit",
    "unit_name",
    "satisfaction",
    "raters",
    "target",
    "satisfaction_term",
    "defect_points",
    "overdue_points",
    "escape_points",
    "penalty_points",
    "coefficient",
    "flags",
)


def export_records(computation: MonthComputation) -> list[dict]:
    """Rows of the coefficient export, numbers rounded to 4 decimals."""
    records = []
    for r in computation.results:
        row = asdict(r)
        record = {}
        for column in EXPORT_COLUMNS:
            value = row[column]
            if column == "flags":
                value = ";".join(value)
            elif isinstance(value, float):
                value = round(value, 4)
            record[column] = value
        records.append(record)
    return records

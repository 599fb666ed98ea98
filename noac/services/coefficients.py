"""The monthly quality coefficient of every unit, and the month close.

For unit u and month m (see docs/COEFFICIENT.md):

- S(u, m) = sum_r w(u->r, m) * F(r, u, m) / sum_r w(u->r, m) over raters r with a
  complete form, F optionally calibrated (z-score per rater);
- P(u, m) = defect points + overdue points + escape points;
- K(u, m) = clamp(1 + alpha * (S - target_u) / 100 - P / 100, k_min, k_max),
  rounded to 4 decimals; without S the satisfaction term is 0 (flag no-scores).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from operator import itemgetter

import orjson
from sqlalchemy import Engine, String, type_coerce
from sqlmodel import Session, col, select

from noac.errors import NoacError
from noac.models import (
    Handover,
    MonthResult,
    Period,
    PeriodEvent,
    Plant,
    ProblemEscape,
    ProblemResponsibility,
    QualityProblem,
    Score,
    Unit,
)
from noac.scheme import Scheme
from noac.services import audit
from noac.services.access import Actor, require
from noac.services.bulk import collector_paused, insert_rows
from noac.services.masterdata import units_by_code
from noac.services.periods import (
    closed_months,
    lock_months,
    next_month,
    open_months_before,
    parse_month,
)
from noac.services.plants import NO_PLANT
from noac.services.schemes import (
    active_schemes,
    closed_with_other_schemes,
    month_schemes,
    record_schemes,
    scores_outside,
)
from noac.services.scoring import FormScore, form_scores, month_days, months_supply_weights
from noac.validation import check_text

CALIBRATION_WINDOW = 6
RETALIATION_DROP = 20.0
UNIFORM_MONTHS = 3


def round_half_up(value: float, digits: int) -> float:
    """``value`` to ``digits`` decimals, a half away from zero, as by hand or in a
    spreadsheet: the figure as written (to 10 decimals), not the binary float, decides. A
    value that rounds to zero is 0.0, never -0.0.

    >>> round_half_up(88.25, 1), round(88.25, 1), round_half_up(-0.125, 2)
    (88.3, 88.2, -0.13)
    >>> round_half_up(-0.000001, 4)
    0.0
    >>> import numpy as np  # a pandas cell is a numpy number
    >>> round_half_up(np.float64(88.25), 1), round_half_up(np.int64(3), 1)
    (88.3, 3.0)
    """
    written = repr(float(round(value, 10)))
    return float(Decimal(written).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)) + 0.0


def round4(value: float) -> float:
    """``value`` to 4 decimals, a half away from zero (``round_half_up``): K and the
    exports' numbers.

    >>> round4(1 + (85.375 - 85) / 100), round(1 + (85.375 - 85) / 100, 4)
    (1.0038, 1.0037)
    >>> round4(-0.00875)
    -0.0088
    """
    return round_half_up(value, 4)


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
    audit_head: str = ""  # a close: the trail's head after it, its own last record's chain

    @property
    def forms_owed(self) -> int:
        return sum(len(v) for v in self.owed.values())

    @property
    def forms_missing(self) -> int:
        return sum(len(v) for v in self.missing.values())


def _calibrate(
    month_forms: list[FormScore], window: list[FormScore]
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
    schemes = {plant.id: scheme} if scheme is not None else None
    return compute_months(session=session, plants=[plant], month=month, schemes=schemes)[0]


def compute_months(
    *,
    session: Session,
    plants: Sequence[Plant],
    month: str,
    schemes: Mapping[int, Scheme] | None = None,
    apart: bool = False,
) -> list[MonthComputation]:
    """``compute_month`` for each of ``plants`` (scheme by plant id, else each plant's own),
    reading what the month needs of every plant at once (``apart``: see ``_compute``)."""
    computed = _compute(session, plants, [month], schemes, apart=apart)
    return [computed[(plant.id, month)] for plant in plants]


def compute_window(
    *, session: Session, plant: Plant, months: Sequence[str], scheme: Scheme | None = None
) -> dict[str, MonthComputation]:
    """``compute_month`` for each of ``months`` of ``plant``, by month, reading what they
    need at once (a trend, a unit's history)."""
    schemes = {plant.id: scheme} if scheme is not None else None
    computed = _compute(session, [plant], months, schemes)
    return {month: computed[(plant.id, month)] for month in months}


def close_reports(
    *, session: Session, plants: Sequence[Plant], month: str
) -> list[MonthComputation]:
    """``month`` of each of ``plants`` as its close reports it: an open month computed now
    (a preview, the open plants read at once); a closed month's stored results, with its
    completeness read with the scheme its close stored."""
    if not plants:
        raise NoacError(NO_PLANT)
    closed = {plant.id for plant in plants if month in closed_months(session=session, plant=plant)}
    still_open = [plant for plant in plants if plant.id not in closed]
    opened = compute_months(session=session, plants=still_open, month=month) if still_open else []
    previews = {computation.plant: computation for computation in opened}
    reports = []
    for plant in plants:
        if plant.id not in closed:
            reports.append(previews[plant.code])
            continue
        scheme = month_schemes(session=session, plant=plant, months=[month])[month]
        forms = compute_month(session=session, plant=plant, month=month, scheme=scheme)
        stored = month_results(session=session, plant=plant, month=month)
        reports.append(replace(stored, owed=forms.owed, missing=forms.missing))
    return reports


def month_computations(
    *, session: Session, plant: Plant, months: Sequence[str], scheme: Scheme | None = None
) -> dict[str, MonthComputation]:
    """Each of ``months`` of ``plant`` as its users see it, by month: the stored results of a
    closed month (``month_results``), the open ones computed at once (``compute_window``,
    with ``scheme`` if given)."""
    closed = closed_months(session=session, plant=plant)
    stored = {
        m: month_results(session=session, plant=plant, month=m) for m in months if m in closed
    }
    opened = [m for m in months if m not in closed]
    return stored | compute_window(session=session, plant=plant, months=opened, scheme=scheme)


@collector_paused()
def _compute(
    session: Session,
    plants: Sequence[Plant],
    months: Sequence[str],
    schemes: Mapping[int, Scheme] | None,
    *,
    apart: bool = False,
) -> dict[tuple[int, str], MonthComputation]:
    """Each of ``months`` of each of ``plants``, by (plant id, month).

    ``apart``: on PostgreSQL, the penalties are read on a second connection while this one
    reads the rest, the server working on both at once; only for a close, which holds the
    months (``lock_months``) and has written nothing yet, so both connections read the same.
    """
    months = sorted({parse_month(month) for month in months})
    if not months:
        return {}
    if schemes is None:
        schemes = active_schemes(session=session, plants=plants)
    ids = [p.id for p in plants]
    units: dict[int, list] = defaultdict(list)
    codes: dict[int, str] = {}
    statement = (
        select(Unit.id, Unit.plant_id, Unit.code, Unit.name, Unit.target)
        .where(col(Unit.plant_id).in_(ids))
        .order_by(Unit.code)
    )
    for unit in session.connection().execute(statement).all():
        units[unit.plant_id].append(unit)
        codes[unit.id] = unit.code
    bind = session.get_bind()
    pending: Future | None = None
    if apart and isinstance(bind, Engine) and bind.dialect.name == "postgresql":
        pool = ThreadPoolExecutor(1)
        pending = pool.submit(_penalties_apart, bind, ids, months, schemes, codes)
        pool.shutdown(wait=False)  # the read goes on; its thread ends with it
    weights = _weights(session, plants, months, codes)
    complete: dict[int, dict[str, list[FormScore]]] = {}
    for plant_id, forms_of_plant in form_scores(
        session=session, schemes=schemes, months=months
    ).items():
        complete[plant_id] = defaultdict(list)
        for f in forms_of_plant:
            complete[plant_id][f.month].append(f)
    blamed = _blamed(session, ids, months, codes)
    history = _history(session, schemes, months, units, complete, blamed)
    if pending is None:
        penalties = _penalties(session, ids, months, schemes, codes)
    else:
        penalties = pending.result()
    computed = {}
    for plant in plants:
        by_month = complete[plant.id]
        for f in history[plant.id]:  # months before ``months``, none among them
            by_month[f.month].append(f)
        for month in months:
            window = [*previous_months(month, CALIBRATION_WINDOW), month]
            computed[(plant.id, month)] = _computation(
                plant,
                month,
                schemes[plant.id],
                units[plant.id],
                weights[(plant.id, month)],
                [f for m in window for f in by_month[m]],
                blamed[(plant.id, month)],
                penalties[(plant.id, month)],
            )
    return computed


def _computation(
    plant: Plant,
    month: str,
    scheme: Scheme,
    units: list,
    weights: dict[tuple[str, str], float],
    complete: list[FormScore],
    blamed: set[tuple[str, str]],
    penalties: dict[str, dict[str, list]],
) -> MonthComputation:
    """One plant's month from its loaded rows: ``complete`` holds its complete forms of the
    month and those of the months before that calibration and the flags need."""
    window_months = [*previous_months(month, CALIBRATION_WINDOW), month]
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

    _uniform_flags(complete, month, flags)
    _retaliation_flags(complete, month, blamed, flags, notes)

    raters_of: dict[str, list[dict]] = defaultdict(list)
    for f in this_month:
        raters_of[f.ratee].append(
            {
                "rater": f.rater,
                "weight": weights[(f.ratee, f.rater)],
                "form": f.score,
                "used": form_value[(f.rater, f.ratee)],
            }
        )
    results = []
    for unit in units:
        code = unit.code
        raters = raters_of[code]
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
        coefficient = round4(min(max(raw, scheme.k_min), scheme.k_max))
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


def _weights(session, plants, months, codes) -> dict[tuple[int, str], dict[tuple[str, str], float]]:
    """Per plant and month, the supply weights: the handovers of every plant and month read
    at once, ``months_supply_weights`` of the months a plant recorded none in."""
    statement = select(
        Handover.plant_id,
        Handover.month,
        Handover.from_unit_id,
        Handover.to_unit_id,
        Handover.quantity,
    ).where(col(Handover.plant_id).in_([p.id for p in plants]), col(Handover.month).in_(months))
    weights: dict[tuple[int, str], dict[tuple[str, str], float]] = defaultdict(dict)
    for plant_id, month, supplier, customer, quantity in (
        session.connection().execute(statement).all()
    ):
        weights[(plant_id, month)][(codes[supplier], codes[customer])] = quantity
    for plant in plants:
        missing = [month for month in months if (plant.id, month) not in weights]
        if missing:
            for month, weights_of_month in months_supply_weights(
                session=session, plant=plant, months=missing
            ).items():
                weights[(plant.id, month)] = weights_of_month
    return weights


def _blamed(session, ids, months, codes) -> dict[tuple[int, str], set[tuple[str, str]]]:
    """Per plant and month, the pairs (responsible unit, reporting unit) of the problems
    counted in the month before."""
    month_after = {previous_months(month, 1)[0]: month for month in months}
    statement = (
        select(
            QualityProblem.plant_id,
            QualityProblem.counted_month,
            QualityProblem.found_at_unit_id,
            ProblemResponsibility.unit_id,
        )
        .join(ProblemResponsibility, col(ProblemResponsibility.problem_id) == QualityProblem.id)
        .where(
            col(QualityProblem.plant_id).in_(ids),
            col(QualityProblem.counted_month).in_(month_after),
        )
    )
    blamed: dict[tuple[int, str], set[tuple[str, str]]] = {
        (plant_id, month): set() for plant_id in ids for month in months
    }
    for plant_id, before, reporter, responsible in session.connection().execute(statement).all():
        blamed[(plant_id, month_after[before])].add((codes[responsible], codes[reporter]))
    return blamed


def _history(session, schemes, months, units, complete, blamed) -> dict[int, list[FormScore]]:
    """Per plant, the complete forms of the months before ``months`` (and not among them)
    that calibration and the flags can use: every one of a plant that calibrates; else those
    of the raters that gave every ratee the maximum in one of ``months`` and those of the
    pairs whose ratee blamed the rater in the month before. ``complete``: each plant's
    complete forms of ``months`` by month."""
    calibrating = {p: scheme for p, scheme in schemes.items() if scheme.calibration == "zscore"}
    others = {p: scheme for p, scheme in schemes.items() if p not in calibrating}
    raters: set[int] = set()
    pairs: set[tuple[int, int, int]] = set()
    for plant_id in others:
        ids = {unit.code: unit.id for unit in units[plant_id]}
        for month, forms_of_month in complete[plant_id].items():
            below = {f.rater for f in forms_of_month if not f.top}
            for f in forms_of_month:
                if f.rater not in below:
                    raters.add(ids[f.rater])
                if (f.rater, f.ratee) in blamed[(plant_id, month)]:
                    pairs.add((plant_id, ids[f.rater], ids[f.ratee]))
    before = sorted(
        {m for month in months for m in previous_months(month, CALIBRATION_WINDOW)} - set(months)
    )
    if not before:
        return {plant_id: [] for plant_id in schemes}

    def read(read_with: Mapping[int, Scheme], months_read: list[str]) -> dict[int, list]:
        """The forms of ``months_read`` as above, scored with ``read_with`` (by plant id)."""
        loaded: dict[int, list[FormScore]] = {}
        every = {p: scheme for p, scheme in read_with.items() if p in calibrating}
        some = {p: scheme for p, scheme in read_with.items() if p not in calibrating}
        if every:
            loaded |= form_scores(session=session, schemes=every, months=months_read)
        if some and (raters or pairs):
            loaded |= form_scores(
                session=session, schemes=some, months=months_read, raters=raters, pairs=pairs
            )
        return loaded

    # a closed month's forms are those of the scheme its close stored (docs/COEFFICIENT.md):
    # each plant's months are read in groups of the same scheme, the plants whose groups
    # cover the same months at once (one read in all while no scheme changed)
    closed_with = closed_with_other_schemes(session=session, schemes=schemes, months=before)
    reads: dict[tuple[str, ...], dict[int, Scheme]] = defaultdict(dict)
    for plant_id, scheme in schemes.items():
        by_scheme: dict[str, tuple[Scheme, list[str]]] = {}
        for month in before:
            read_with = closed_with.get((plant_id, month), scheme)
            by_scheme.setdefault(read_with.content_hash, (read_with, []))[1].append(month)
        for read_with, months_read in by_scheme.values():
            reads[tuple(months_read)][plant_id] = read_with
    history: dict[int, list[FormScore]] = {plant_id: [] for plant_id in schemes}
    for months_read, read_with in reads.items():
        for plant_id, forms in read(read_with, list(months_read)).items():
            history[plant_id] += forms
    return history


def _uniform_flags(complete: list[FormScore], month: str, flags) -> None:
    """A rater that gave every ratee the maximum on every criterion three months running."""
    months = [*previous_months(month, UNIFORM_MONTHS - 1), month]
    by_rater: dict[str, dict[str, bool]] = defaultdict(dict)
    for f in complete:
        if f.month in months:
            per_month = by_rater[f.rater]
            per_month[f.month] = per_month.get(f.month, True) and f.top
    for rater, per_month in by_rater.items():
        if len(per_month) == UNIFORM_MONTHS and all(per_month.values()):
            flags[rater].add("uniform-scores")


def _retaliation_flags(complete, month, blamed, flags, notes) -> None:
    """A rater whose form for a ratee falls 20+ points below its own six-month average
    for that ratee, in the month after a problem reported by that ratee made the rater
    responsible (counted in the previous month)."""
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


def _penalties(session, ids, months, schemes, codes) -> dict[tuple[int, str], dict]:
    """Per plant, month and unit, the defect points of the problems counted in the month,
    the overdue points of those past their deadline and still open at its end, and the
    escape points of the inspections that let the month's problems through."""
    result: dict[tuple[int, str], dict[str, dict[str, list]]] = {
        (plant_id, month): defaultdict(lambda: {"defects": [], "overdue": [], "escapes": []})
        for plant_id in ids
        for month in months
    }
    shares = (
        select(
            QualityProblem.plant_id,
            QualityProblem.ref,
            ProblemResponsibility.unit_id,
            ProblemResponsibility.share,
        )
        .join(ProblemResponsibility, col(ProblemResponsibility.problem_id) == QualityProblem.id)
        .where(col(QualityProblem.plant_id).in_(ids))
        .order_by(QualityProblem.id, ProblemResponsibility.unit_id)
    )
    counted = shares.add_columns(QualityProblem.severity, QualityProblem.counted_month).where(
        col(QualityProblem.counted_month).in_(months)
    )
    for plant_id, ref, unit_id, share, severity, month in (
        session.connection().execute(counted).all()
    ):
        result[(plant_id, month)][codes[unit_id]]["defects"].append(
            {
                "problem": ref,
                "severity": severity,
                "share": share,
                "points": getattr(schemes[plant_id].penalties, severity) * share,
            }
        )
    # the deadline as the driver gives it (ISO text from SQLite, a date from PostgreSQL):
    # str() of either is the ISO date, without parsing thousands of dates into objects.
    # Still open, or closed after the month: two ranges of the index on (plant, closed_on,
    # deadline), where one condition with OR made both databases read every problem.
    points = {plant_id: scheme.penalties.overdue for plant_id, scheme in schemes.items()}
    overdue = shares.add_columns(
        type_coerce(QualityProblem.deadline, String), QualityProblem.id
    ).order_by(None)
    for month in months:
        _, last_day = month_days(month)
        due = overdue.where(col(QualityProblem.deadline) <= last_day)
        # fetched whole: row by row, fetching took longer than the database's own reading
        rows = [
            *session.connection().execute(due.where(col(QualityProblem.closed_on).is_(None))).all(),
            *session.connection()
            .execute(due.where(col(QualityProblem.closed_on) > last_day))
            .all(),
        ]
        rows.sort(key=itemgetter(5, 2))
        for plant_id, ref, unit_id, share, deadline, _ in rows:
            result[(plant_id, month)][codes[unit_id]]["overdue"].append(
                {
                    "problem": ref,
                    "deadline": str(deadline),
                    "share": share,
                    "points": points[plant_id] * share,
                }
            )
    escapes = (
        select(
            QualityProblem.plant_id,
            QualityProblem.counted_month,
            QualityProblem.ref,
            ProblemEscape.unit_id,
        )
        .join(ProblemEscape, col(ProblemEscape.problem_id) == QualityProblem.id)
        .where(col(QualityProblem.plant_id).in_(ids), col(QualityProblem.counted_month).in_(months))
        .distinct()
        .order_by(QualityProblem.ref, ProblemEscape.unit_id)
    )
    for plant_id, month, ref, unit_id in session.connection().execute(escapes).all():
        result[(plant_id, month)][codes[unit_id]]["escapes"].append(
            {"problem": ref, "points": schemes[plant_id].penalties.escape}
        )
    return result


def _penalties_apart(engine: Engine, ids, months, schemes, codes) -> dict[tuple[int, str], dict]:
    """``_penalties`` read on a connection of its own."""
    with Session(engine) as other:
        return _penalties(other, ids, months, schemes, codes)


def _period(session: Session, plant: Plant, month: str) -> Period | None:
    return session.exec(
        select(Period).where(Period.plant_id == plant.id, Period.month == month)
    ).first()


READS_BEFORE = "a month's close reads the months before it"


def _open_before(month: str, waiting: Mapping[str, list[str]], alone: bool) -> str:
    """Why ``month`` is not closed while months before it are open (``waiting``, the open
    months by plant code, oldest first)."""
    if alone:
        (earlier,) = waiting.values()
        if len(earlier) == 1:
            return f"{earlier[0]} is still open: close it before {month} ({READS_BEFORE})"
        others = f"{len(earlier) - 1} other month{'s' if len(earlier) > 2 else ''}"
        return (
            f"{earlier[0]} is still open, and {others} before {month}: close them in order"
            f" from {earlier[0]} ({READS_BEFORE})"
        )
    plants = ", ".join(f"{code} {earlier[0]}" for code, earlier in waiting.items())
    return (
        f"still open before {month}, the first month of each plant: {plants}. No plant was"
        f" closed: close those months in order first, or the other plants without them"
        f" ({READS_BEFORE})"
    )


def close_month(
    *, session: Session, plant: Plant, month: str, actor: Actor, today: date | None = None
) -> MonthComputation:
    """Lock ``month`` and store every unit's coefficient with its decomposition.

    Refused for a month already closed or not yet over, or while a month before it is open
    (``periods.open_months_before``).
    """
    return close_months(session=session, plants=[plant], month=month, actor=actor, today=today)[0]


@collector_paused()
def close_months(
    *,
    session: Session,
    plants: Sequence[Plant],
    month: str,
    actor: Actor,
    today: date | None = None,
) -> list[MonthComputation]:
    """``close_month`` of ``month`` for each of ``plants`` in one transaction.

    Refused as a whole, closing nothing, if the month is not over yet, or already closed, before
    the last closed month or waiting for an open month before it in any of them. One audit
    record per plant closed, written at once; the chain of the last is the audit trail's head
    after the close (``audit_head``), which the close's report prints: a report kept outside
    the database vouches for the trail up to and with the close.
    """
    if not plants:
        raise NoacError(NO_PLANT)
    for plant in plants:
        require(actor, "close-month", plant_id=plant.id)
    parse_month(month)
    today = today or date.today()
    _, last_day = month_days(month)
    if last_day >= today:
        raise NoacError(f"{month} is not over yet: it can be closed from {next_month(month)}-01")
    try:
        lock_months(session=session, plants=plants, exclusive=True)
        ids = [plant.id for plant in plants]
        periods = {
            period.plant_id: period
            for period in session.exec(
                select(Period).where(col(Period.plant_id).in_(ids), Period.month == month)
            )
        }
        closed = [
            (plant.code, periods[plant.id].closed_by)
            for plant in plants
            if plant.id in periods and periods[plant.id].closed_at is not None
        ]
        if len(plants) == 1 and closed:
            raise NoacError(
                f"{month} is already closed (by {closed[0][1]}): to close it again, reopen it"
                f" first (noac reopen {month} --plant {plants[0].code} --reason TEXT)"
            )
        if closed:
            raise NoacError(
                f"{month} is already closed in "
                + ", ".join(f"{code} (by {who})" for code, who in closed)
                + ": no plant was closed; close the others without them"
            )
        waiting = {}
        for plant in plants:
            last = max(closed_months(session=session, plant=plant), default=None)
            if last is not None and month < last:
                raise NoacError(
                    f"{month} is before {last}, the last closed month of plant {plant.code}:"
                    " months close in order, so it counts as closed already (the months closed"
                    " after it read it empty)"
                )
            if earlier := open_months_before(session=session, plant=plant, month=month):
                waiting[plant.code] = earlier
        if waiting:
            raise NoacError(_open_before(month, waiting, alone=len(plants) == 1))
        schemes = active_schemes(session=session, plants=plants)
        computations = compute_months(
            session=session, plants=plants, month=month, schemes=schemes, apart=True
        )
        unit_ids = {
            (plant_id, code): unit_id
            for unit_id, plant_id, code in session.connection()
            .execute(select(Unit.id, Unit.plant_id, Unit.code).where(col(Unit.plant_id).in_(ids)))
            .all()
        }
        now = datetime.now(UTC)
        record_schemes(session=session, plants=plants, schemes=schemes, actor=actor)
        for plant in plants:
            period = periods.setdefault(plant.id, Period(plant_id=plant.id, month=month))
            period.runs += 1
            period.closed_at, period.closed_by = now, actor.username
            session.add(period)
        session.flush()
        runs = {plant_id: period.runs for plant_id, period in periods.items()}
        insert_rows(
            session,
            MonthResult.__table__,
            [
                {
                    "plant_id": plant.id,
                    "month": month,
                    "run": runs[plant.id],
                    "unit_id": unit_ids[(plant.id, r.unit)],
                    "unit_name": r.unit_name,
                    "satisfaction": r.satisfaction,
                    "raters": r.raters,
                    "target": r.target,
                    "satisfaction_term": r.satisfaction_term,
                    "defect_points": r.defect_points,
                    "overdue_points": r.overdue_points,
                    "escape_points": r.escape_points,
                    "penalty_points": r.penalty_points,
                    "coefficient": r.coefficient,
                    "flags": ";".join(r.flags),
                    "decomposition": orjson.dumps(r.decomposition).decode(),
                    "scheme_hash": computation.scheme_hash,
                    "computed_at": now,
                }
                for plant, computation in zip(plants, computations, strict=True)
                for r in computation.results
            ],
        )
        session.add_all(
            PeriodEvent(
                period_id=periods[plant.id].id, at=now, actor=actor.username, action="close"
            )
            for plant in plants
        )
        trail_head = audit.record_all(
            session,
            actor,
            "close",
            "month",
            [
                (
                    f"{plant.code}/{month}",
                    None,
                    {
                        "run": runs[plant.id],
                        "scheme": computation.scheme_hash,
                        "coefficients": {r.unit: r.coefficient for r in computation.results},
                    },
                )
                for plant, computation in zip(plants, computations, strict=True)
            ],
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    for plant, computation in zip(plants, computations, strict=True):
        computation.closed, computation.run = True, runs[plant.id]
        computation.audit_head = trail_head
    return computations


def reopen_month(*, session: Session, plant: Plant, month: str, reason: str, actor: Actor) -> None:
    """Unlock a closed month; closing it again recomputes and stores a new run.

    Refused while a later month is closed: the months reopen from the last closed one back
    (and close again in order), as each month's close reads the months before it.
    """
    require(actor, "reopen-month", plant_id=plant.id)
    parse_month(month)
    if not reason.strip():
        raise NoacError("reopening a month needs a reason")
    if refused := check_text(reason, "the reason", 2000):
        raise NoacError(refused)
    lock_months(session=session, plants=[plant], exclusive=True)
    period = _period(session, plant, month)
    if period is None or period.closed_at is None:
        session.rollback()
        raise NoacError(f"{month} is not closed")
    if later := [m for m in closed_months(session=session, plant=plant) if m > month]:
        session.rollback()
        raise NoacError(
            f"{max(later)} is closed after {month}: reopen the months from the last closed one"
            f" back, {max(later)} first ({READS_BEFORE})"
        )
    scheme = active_schemes(session=session, plants=[plant])[plant.id]
    if outside := scores_outside(session, plant, scheme, Score.month == month):
        session.rollback()
        raise NoacError(
            f"{month} was scored on other scales than the scheme in force"
            f" ({', '.join(outside)}): reopened, its scores would be read on the new ones;"
            " it stays closed with the figures its close stored"
        )
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
    """The stored coefficients of a closed month (its latest close), each unit under the name
    its close read."""
    parse_month(month)
    if month not in closed_months(session=session, plant=plant):
        raise NoacError(
            f"{month} is not closed: close it first (noac close {month} --plant {plant.code})"
        )
    period = _period(session, plant, month)
    assert period is not None
    codes = {u.id: c for c, u in units_by_code(session=session, plant=plant).items()}
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
                unit=codes[r.unit_id],
                unit_name=r.unit_name,
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
                decomposition=orjson.loads(r.decomposition),
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
                value = round4(value)
            record[column] = value
        records.append(record)
    return records

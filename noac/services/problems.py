"""Quality problems: report, trace, accept or dispute, rule, correct, verify, close.

Workflow (every step stores who and when in ``problem_event``)::

    proposed (reported and traced) -> accepted | disputed -> ruled
        -> action (corrective action planned) -> verification -> closed

A problem counts for penalties in the month it was found if its
responsibility is settled (accepted, ruled or imported) while that month is
open, else in the first open month at the time it is settled.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime
from typing import NamedTuple, TypeVar

import orjson
from sqlalchemy import ColumnElement, func, insert, not_, or_, union
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, delete, select, update

from noac.errors import NoacError, RowError
from noac.models import (
    DISPOSITIONS,
    PROBLEM_STATUSES,
    SEVERITIES,
    Attachment,
    CorrectiveAction,
    Part,
    Plant,
    ProblemEscape,
    ProblemEvent,
    ProblemResponsibility,
    QualityProblem,
    Unit,
    local_time,
)
from noac.services import audit
from noac.services.access import Actor, require
from noac.services.bulk import collector_paused, insert_rows
from noac.services.masterdata import catalogue_spelling, defect_codes_by_code, units_by_code
from noac.services.periods import (
    ClosedMonths,
    first_open_month,
    lock_closed_months,
    month_of,
    parse_month,
    recent_months,
)
from noac.services.routings import RoutingView, all_routing_versions, in_force, views_by_id
from noac.services.scoring import month_days
from noac.tabular import Row
from noac.validation import check_text, parse_date, parse_number
from routing import sequence_operations
from routing.trace import Candidate, Escape, Graph, Tracer, TraceResult

T = TypeVar("T")
SHARE_TOLERANCE = 1e-6
MAX_QUANTITY = 1_000_000_000
MAX_MILESTONES = 20
GENERATED_REF = re.compile(r"[0-9]{6}")
LOOKUP_BATCH = 10_000  # values per IN list, well under the databases' limits on parameters
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
MAX_FILENAME = 255  # characters of an attachment's name
OVERDUE = "overdue"
OPEN = "open"  # every status but closed
_STEPS_AT: ContextVar[datetime | None] = ContextVar("problem_steps_at", default=None)


def _now() -> datetime:
    return _STEPS_AT.get() or datetime.now(UTC)


@contextmanager
def steps_dated(moment: datetime) -> Iterator[None]:
    """Date the problem steps taken inside at ``moment`` instead of now: a history written
    afterwards (the demo's year) keeps its steps on the days they were taken, which the rules
    on dates compare (a verification is not dated before the action was reported done). The
    audit trail still records when each step was written."""
    token = _STEPS_AT.set(moment)
    try:
        yield
    finally:
        _STEPS_AT.reset(token)


@dataclass
class ProblemReport:
    """What the unit that found a defect writes on the handling form."""

    found_on: date
    found_at: str
    part: str
    severity: str
    quantity: int
    op: str | None = None
    defect_code: str | None = None
    description: str = ""
    disposition: str | None = None
    cost: float | None = None
    lot: str | None = None
    ref: str | None = None

    def __post_init__(self) -> None:
        """Severity and disposition are words of a list, read whatever their case ("Major" is
        major) by every way a problem comes in: the page, the command line, an import. A form
        number is read without the spaces around it, as an import reads its cells; a blank one
        is given by NOAC."""
        self.severity = self.severity.lower()
        if self.disposition is not None:
            self.disposition = self.disposition.lower()
        self.ref = (self.ref or "").strip() or None


@dataclass
class Milestone:
    due: date
    text: str


class PlantTracing:
    """A plant's units and defect codes, its routing versions read as they are needed, and a
    tracer.

    Reporting, importing or tracing many problems share one instance: each routing version
    is read once (only those the problems name), searched once per operation, and each
    (routing version, found operations, defect origins) traced once.
    """

    def __init__(self, *, session: Session, plant: Plant):
        self.session = session
        self.plant = plant
        self.units = units_by_code(session=session, plant=plant)
        self.unit_codes = {unit.id: code for code, unit in self.units.items()}
        self.codes = defect_codes_by_code(session=session, plant=plant)
        self.part_ids: dict[str, int] = dict(
            session.exec(select(Part.code, Part.id).where(Part.plant_id == plant.id)).all()
        )
        self.tracer = Tracer()
        self._origins = {code: frozenset(entry.origin_list) for code, entry in self.codes.items()}
        self.catalogue_code = catalogue_spelling(self.codes)
        self._versions: dict[str, list[RoutingView]] = {}
        self._views: dict[int, RoutingView] = {}

    def load_parts(self, parts: Iterable[str]) -> None:
        """Read the declared routing versions of ``parts`` not read yet, in one go."""
        missing = {part for part in parts if part in self.part_ids} - self._versions.keys()
        if missing:
            found = all_routing_versions(session=self.session, plant=self.plant, parts=missing)
            for part in missing:
                self._versions[part] = found.get(part, [])
                self._views.update((view.version_id, view) for view in self._versions[part])

    def load_versions(self, ids: Iterable[int]) -> None:
        """Read the routing versions ``ids`` (declared or observed) not read yet, in one go."""
        missing = set(ids) - self._views.keys()
        if missing:
            self._views.update(views_by_id(session=self.session, ids=missing))

    def view(self, version_id: int) -> RoutingView:
        self.load_versions((version_id,))
        return self._views[version_id]

    def versions_of(self, part: str) -> list[RoutingView]:
        """The declared versions of ``part``, oldest first; none for an unknown part."""
        self.load_parts((part,))
        return self._versions.get(part, [])

    def origins(self, code: str | None) -> frozenset[str]:
        return self._origins.get(code or "", frozenset())

    def found_ops(self, view: RoutingView, found_at: str, op: str | None) -> tuple[str, ...]:
        if op:
            return (op,)
        return tuple(o.op for o in view.operations if o.unit == found_at)

    def check(self, report: ProblemReport, today: date) -> tuple[RoutingView | None, list]:
        """Return the routing version in force and each ``(field, reason)`` wrong in ``report``
        (whose defect code is set as the catalogue writes it)."""
        report.defect_code = self.catalogue_code(report.defect_code)
        errors: list[tuple[str, str]] = []
        if report.found_on > today:
            errors.append(("date", f"{report.found_on} is in the future"))
        if report.found_at not in self.units:
            errors.append(("found_at", f"unknown unit '{report.found_at}'"))
        if report.severity not in SEVERITIES:
            errors.append(
                ("severity", f"'{report.severity}' is not one of {', '.join(SEVERITIES)}")
            )
        if not 1 <= report.quantity <= MAX_QUANTITY:
            errors.append(
                ("qty", f"the quantity must be a whole number from 1 to {MAX_QUANTITY:,}")
            )
        if report.disposition is not None and report.disposition not in DISPOSITIONS:
            errors.append(
                ("disposition", f"'{report.disposition}' is not one of {', '.join(DISPOSITIONS)}")
            )
        if report.cost is not None and not (math.isfinite(report.cost) and report.cost >= 0):
            errors.append(("cost", "the cost must be a number of at least 0"))
        for name, value, limit in (
            ("description", report.description, 4000),
            ("code", report.defect_code or "", 40),
            ("lot", report.lot or "", 80),
            ("id", report.ref or "", 40),
        ):
            if reason := check_text(value, f"the {name}", limit):
                errors.append((name, reason))
        if report.ref and GENERATED_REF.fullmatch(report.ref.removeprefix(f"{self.plant.code}-")):
            errors.append(
                ("id", f"ids like {self.plant.code}-000123 are given by NOAC: choose another id")
            )
        view = None
        versions = self.versions_of(report.part)
        if not versions and report.part in self.part_ids:
            errors.append(
                (
                    "part",
                    f"part {report.part} has only an observed routing (from a production log):"
                    " import its routing to report defects on it",
                )
            )
        elif not versions:
            errors.append(("part", f"unknown part '{report.part}'"))
        else:
            view = in_force(versions, report.found_on)
            if view is None:
                errors.append(
                    ("part", f"part {report.part} has no routing in force on {report.found_on}")
                )
        if view is not None and report.found_at in self.units:
            ops = {o.op: o for o in view.operations}
            where = f"part {report.part} (routing version {view.version})"
            if report.op and report.op not in ops:
                errors.append(("op", f"{where} has no operation '{report.op}'"))
            elif report.op and ops[report.op].unit != report.found_at:
                errors.append(
                    (
                        "op",
                        f"operation {report.op} of {where} is at unit {ops[report.op].unit},"
                        f" not at {report.found_at}",
                    )
                )
            elif not report.op and not self.found_ops(view, report.found_at, None):
                errors.append(
                    ("found_at", f"unit {report.found_at} is not on the routing of {where}")
                )
        return view, errors

    def _graph(
        self, view: RoutingView, steps: tuple[str, ...] | None
    ) -> tuple[Hashable, Graph, tuple[str, ...] | None]:
        """The tracer's key, graph and visits of ``view``, or of the path an order took on it
        (``steps``, its operation ids in their order, which are then the visits)."""
        if steps is None:
            return view.version_id, view.operations, None
        operations = {o.op: o for o in view.operations}
        if not operations.keys() >= set(steps):  # a path kept on another version of the part
            return view.version_id, view.operations, None
        path = sequence_operations(operations[op] for op in steps)
        return (view.version_id, steps), path, steps

    def traced_view(self, problem: QualityProblem) -> RoutingView:
        """The routing ``problem`` is traced on: its routing version, or for a problem read
        from a production log the path its order took on it."""
        view = self.view(problem.routing_version_id)
        steps = self.order_steps([problem.ref]) if view.source == "observed" else {}
        _, operations, _ = self._graph(view, steps.get(problem.ref))
        return replace(view, operations=tuple(operations))

    def order_steps(self, refs: Collection[str]) -> dict[str, tuple[str, ...]]:
        """The operations each of the problems ``refs`` that were read from a production log
        went through up to where it was found, as its import traced it (docs/EVENTS.md)."""
        steps: dict[str, tuple[str, ...]] = {}
        for batch in _batches(sorted(refs)):
            statement = (
                select(QualityProblem.ref, ProblemEvent.details)
                .join(ProblemEvent, col(ProblemEvent.problem_id) == QualityProblem.id)
                .where(
                    QualityProblem.plant_id == self.plant.id,
                    col(QualityProblem.ref).in_(batch),
                    ProblemEvent.action == "traced",
                )
            )
            for ref, details in self.session.exec(statement):
                if sequence := json.loads(details).get("order_sequence"):
                    steps[ref] = tuple(sequence)
        return steps

    def trace_at(
        self,
        view: RoutingView,
        found_at: str,
        op: str | None,
        code: str | None,
        steps: tuple[str, ...] | None = None,
    ) -> TraceResult:
        """Trace a defect ``code`` found at unit ``found_at`` (operation ``op``) on ``view``,
        or along the steps an order took on it (``steps``), where the operation it visited
        last is the nearest."""
        key, graph, visits = self._graph(view, steps)
        return self.tracer.trace(
            key, graph, self.found_ops(view, found_at, op), self.origins(code), visits
        )

    def trace(self, problem: QualityProblem) -> TraceResult:
        return self.trace_many([problem])[0]

    @collector_paused()
    def trace_many(self, problems: Sequence[ProblemTraceRow | QualityProblem]) -> list[TraceResult]:
        """Trace many problems (stored ones, or rows of ``problem_trace_rows``) in order: a
        problem read from a production log on the path its order took (docs/EVENTS.md)."""
        ids = {p.routing_version_id for p in problems}
        self.load_versions(ids)
        views, units = self._views, self.unit_codes
        observed = {i for i in ids if views[i].source == "observed"}
        steps = (
            self.order_steps([p.ref for p in problems if p.routing_version_id in observed])
            if observed
            else {}
        )
        return [
            self.trace_at(
                views[p.routing_version_id],
                units[p.found_at_unit_id],
                p.op,
                p.defect_code,
                steps.get(p.ref) if steps else None,
            )
            for p in problems
        ]

    def escapes_at(
        self,
        view: RoutingView,
        found_at: str,
        op: str | None,
        unit: str,
        steps: tuple[str, ...] | None = None,
    ) -> tuple[Escape, ...]:
        """The escapes of ``unit`` made responsible for a defect found at ``found_at``, on
        ``view`` or on the path an order took on it (``steps``)."""
        key, graph, visits = self._graph(view, steps)
        return self.tracer.unit_escapes(
            key, graph, self.found_ops(view, found_at, op), unit, visits
        )

    def unit_escapes(self, problem: QualityProblem, unit: str) -> tuple[Escape, ...]:
        view = self.view(problem.routing_version_id)
        steps = self.order_steps([problem.ref]) if view.source == "observed" else {}
        return self.escapes_at(
            view,
            self.unit_codes[problem.found_at_unit_id],
            problem.op,
            unit,
            steps.get(problem.ref),
        )


def parse_shares(text: str | Sequence[str]) -> tuple[dict[str, float], list[str]]:
    """Parse ``UNIT[:share];UNIT[:share]`` (or a list of such items) into shares.

    Units without a share split what the others leave equally.

    >>> parse_shares("STORE:0.6;SHEET")
    ({'STORE': 0.6, 'SHEET': 0.4}, [])
    >>> parse_shares(["A", "B"])[0]
    {'A': 0.5, 'B': 0.5}
    >>> parse_shares("A;:0.5")
    ({}, ["':0.5' names no unit before its share"])
    """
    items = text.split(";") if isinstance(text, str) else list(text)
    given: dict[str, float | None] = {}
    errors: list[str] = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        unit, _, share_text = item.partition(":")
        unit = unit.strip()
        if not unit:
            errors.append(f"'{item}' names no unit before its share")
            continue
        if unit in given:
            errors.append(f"unit '{unit}' is named twice")
            continue
        share = None
        if share_text.strip():
            share, reason = parse_number(share_text.strip(), 0, 1)
            if reason or share == 0:
                errors.append(f"share of {unit}: {reason or 'a share must be above 0'}")
                continue
        given[unit] = share
    if not given and not errors:
        errors.append("no responsible unit given")
    if errors:
        return {}, errors
    assigned = sum(s for s in given.values() if s is not None)
    missing = [u for u, s in given.items() if s is None]
    rest = (1 - assigned) / len(missing) if missing else 0.0
    if missing and rest <= SHARE_TOLERANCE:
        left_out = ", ".join(missing)
        return {}, [f"the given shares already sum to {assigned:g}, nothing is left for {left_out}"]
    shares = {u: (s if s is not None else rest) for u, s in given.items()}
    total = sum(shares.values())
    if abs(total - 1) > SHARE_TOLERANCE:
        return {}, [f"shares sum to {total:g}, not 1"]
    return shares, []


def _event_row(
    problem_id: int,
    status: str,
    actor: Actor,
    action: str,
    note: str = "",
    details: Mapping | None = None,
    at: datetime | None = None,
) -> dict:
    """A ``problem_event`` row: one step of a problem's history."""
    return {
        "problem_id": problem_id,
        "at": at or _now(),
        "actor": actor.username,
        "action": action,
        "status": status,
        "note": note,
        "details": json.dumps(details, ensure_ascii=False, default=str) if details else "{}",
    }


def _event(
    session: Session,
    problem: QualityProblem,
    actor: Actor,
    action: str,
    note: str = "",
    details: Mapping | None = None,
    at: datetime | None = None,
) -> None:
    session.add(
        ProblemEvent(**_event_row(problem.id, problem.status, actor, action, note, details, at))
    )


def _trace_details(result: TraceResult) -> dict:
    return {
        "rule": result.rule,
        "found_ops": list(result.found_ops),
        "candidates": [
            {
                "unit": c.unit,
                "op": c.op,
                "distance": c.distance,
                "path": list(c.path),
                "escapes": [asdict(e) for e in c.escapes],
            }
            for c in result.candidates
        ],
        "explanation": result.explain(),
    }


def _settled_details(
    shares: Mapping[str, float], escapes: set[tuple[str, str]], counted_month: str | None
) -> dict:
    """What a problem's history shows of settled responsibility."""
    return {
        "shares": dict(shares),
        "escapes": sorted(f"{unit} (op {op})" for unit, op in escapes),
        "counted_month": counted_month,
    }


def _create_problems(
    session: Session,
    ctx: PlantTracing,
    records: Sequence[DefectRecord],
    actor: Actor,
    now: datetime,
) -> list[tuple[int, TraceResult]]:
    """Store checked records as new problems, traced at once, with the responsibility,
    deadline and closure they bring and their history; return each one's id and trace
    (no commit).

    Rows are written set-based (one insert per table), so an import of thousands of
    problems costs a few statements.
    """
    closed = lock_closed_months(session=session, plant=ctx.plant)
    counted = {
        month: first_open_month(closed, month)
        for month in {month_of(r.report.found_on) for r in records if r.shares}
    }
    rows: list[dict] = []
    traces: list[TraceResult] = []
    settled: list[tuple[set[tuple[str, str]], str | None]] = []
    for record in records:
        report, view = record.report, record.view
        assert view is not None
        result = ctx.trace_at(view, report.found_at, report.op, report.defect_code)
        escapes = {
            (e.unit, e.op)
            for unit in record.shares
            for e in ctx.escapes_at(view, report.found_at, report.op, unit)
        }
        month = counted[month_of(report.found_on)] if record.shares else None
        status = "closed" if record.closed_on else "ruled" if record.shares else "proposed"
        rows.append(
            {
                "plant_id": ctx.plant.id,
                "ref": report.ref or "",
                "found_on": report.found_on,
                "found_at_unit_id": ctx.units[report.found_at].id,
                "part_id": ctx.part_ids[report.part],
                "routing_version_id": view.version_id,
                "op": report.op or None,
                "lot": report.lot or None,
                "defect_code": report.defect_code or None,
                "severity": report.severity,
                "quantity": report.quantity,
                "description": report.description,
                "disposition": report.disposition,
                "cost": report.cost,
                "status": status,
                "proposed_unit_id": ctx.units[result.proposed.unit].id if result.proposed else None,
                "responsibility_source": "imported" if record.shares else None,
                "responsibility_set_at": now if record.shares else None,
                "counted_month": month,
                "deadline": record.deadline,
                "milestones": "[]",
                "closed_on": record.closed_on,
                "version": 1,
                "reported_by": actor.username,
                "reported_at": now,
            }
        )
        traces.append(result)
        settled.append((escapes, month))
    ids = _insert_problems(session, ctx.plant, rows)
    events: list[dict] = []
    responsibilities: list[dict] = []
    escape_rows: list[dict] = []
    explained: dict[int, tuple[str, dict]] = {}
    for problem_id, record, result, (escapes, month) in zip(
        ids, records, traces, settled, strict=True
    ):
        if id(result) not in explained:
            explained[id(result)] = (result.explain(), _trace_details(result))
        note, details = explained[id(result)]
        events += [
            _event_row(
                problem_id,
                "proposed",
                actor,
                "reported",
                record.report.description,
                {"reported_with": _brought(record.shares, record.deadline, record.closed_on)},
                at=now,
            ),
            _event_row(problem_id, "proposed", actor, "traced", note, details, at=now),
        ]
        if record.shares:
            events.append(
                _event_row(
                    problem_id,
                    "ruled",
                    actor,
                    "imported-responsibility",
                    "",
                    _settled_details(record.shares, escapes, month),
                    at=now,
                )
            )
            responsibilities += [
                {"problem_id": problem_id, "unit_id": ctx.units[unit].id, "share": share}
                for unit, share in record.shares.items()
            ]
            escape_rows += [
                {"problem_id": problem_id, "unit_id": ctx.units[unit].id, "op": op}
                for unit, op in sorted(escapes)
            ]
        if record.closed_on is not None:
            events.append(
                _event_row(
                    problem_id,
                    "closed",
                    actor,
                    "imported-closed",
                    "",
                    {"closed_on": record.closed_on},
                    at=now,
                )
            )
    for model, values in (
        (ProblemEvent, events),
        (ProblemResponsibility, responsibilities),
        (ProblemEscape, escape_rows),
    ):
        if values:
            insert_rows(session, model.__table__, values)
    return list(zip(ids, traces, strict=True))


def _insert_problems(session: Session, plant: Plant, rows: Sequence[dict]) -> list[int]:
    """Insert problem rows and return their ids, in order; a row without a ref gets the one
    NOAC gives (``PLANT-000123``, from its id).

    Rows with a ref are inserted as one Core insert returning (ref, id), which both
    databases run as multi-row statements; the ORM's bulk insert, or asking for the ids
    in the order of the rows, costs a statement per row.
    """
    table = QualityProblem.__table__
    named = [row for row in rows if row["ref"]]
    ids: dict[str, int] = {}
    if named:
        returned = session.exec(insert(table).returning(table.c.ref, table.c.id), params=named)
        ids.update(returned.all())
    result = []
    for row in rows:
        if row["ref"]:
            result.append(ids[row["ref"]])
            continue
        problem_id = session.exec(insert(table).returning(table.c.id), params=row).scalar_one()
        session.exec(
            update(QualityProblem)
            .where(col(QualityProblem.id) == problem_id)
            .values(ref=f"{plant.code}-{problem_id:06d}")
        )
        result.append(problem_id)
    return result


def _batches(items: Sequence[T]) -> Iterator[Sequence[T]]:
    """``items`` in slices short enough for an ``IN`` list on either database."""
    for start in range(0, len(items), LOOKUP_BATCH):
        yield items[start : start + LOOKUP_BATCH]


def report_problem(
    *,
    session: Session,
    plant: Plant,
    report: ProblemReport,
    actor: Actor,
    today: date | None = None,
) -> tuple[QualityProblem, TraceResult]:
    """Record a handling form and trace it; return the problem and the trace.

    Supervisors and inspectors report for their own unit; the quality
    department for any.

    Raises
    ------
    NoacError
        Naming every field that is wrong; nothing is written.
    """
    require(actor, "report-problem", plant_id=plant.id, units=(report.found_at,))
    ctx = PlantTracing(session=session, plant=plant)
    view, errors = ctx.check(report, today or date.today())
    if report.ref:
        exists = session.exec(
            select(QualityProblem.id).where(
                QualityProblem.plant_id == plant.id, QualityProblem.ref == report.ref
            )
        ).first()
        if exists:
            errors.append(("id", f"problem '{report.ref}' already exists"))
    if errors:
        raise NoacError("; ".join(f"{name}: {reason}" for name, reason in errors))
    try:
        ((problem_id, result),) = _create_problems(
            session, ctx, [DefectRecord(report, view, {}, None, None)], actor, _now()
        )
        problem = session.get_one(QualityProblem, problem_id)
        audit.record(
            session,
            actor,
            "report",
            "quality_problem",
            problem.ref,
            None,
            asdict(report) | {"proposed": result.proposed.unit if result.proposed else None},
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return problem, result


def get_problem(
    *, session: Session, plant: Plant, ref: str, for_update: bool = False
) -> QualityProblem:
    """The problem ``ref``; ``for_update`` locks it until the transaction ends, so two
    changes of one problem queue instead of crossing."""
    statement = select(QualityProblem).where(
        QualityProblem.plant_id == plant.id, QualityProblem.ref == ref
    )
    if for_update:
        statement = statement.with_for_update()
    problem = session.exec(statement).first()
    if problem is None:
        raise NoacError(f"plant {plant.code} has no quality problem '{ref}'")
    return problem


def trace_problem(*, session: Session, plant: Plant, ref: str) -> TraceResult:
    """The ranked candidates of a problem, with paths and escapes."""
    problem = get_problem(session=session, plant=plant, ref=ref)
    return PlantTracing(session=session, plant=plant).trace(problem)


def proposed_candidate(*, session: Session, plant: Plant, ref: str) -> Candidate | None:
    """The proposed unit's nearest candidate as the problem is traced now: why that unit was
    proposed, with the escapes accepting records. It is the proposal itself unless the
    catalogue changed since the report; None when the problem is undetermined or no longer
    traced to that unit."""
    problem = get_problem(session=session, plant=plant, ref=ref)
    if problem.proposed_unit_id is None:
        return None
    ctx = PlantTracing(session=session, plant=plant)
    return _candidate_of(ctx, problem, ctx.unit_codes[problem.proposed_unit_id])


def _candidate_of(ctx: PlantTracing, problem: QualityProblem, unit: str) -> Candidate | None:
    """``unit``'s nearest candidate in the trace of ``problem`` now, if it is one."""
    return next((c for c in ctx.trace(problem).candidates if c.unit == unit), None)


def traced_routing(*, session: Session, plant: Plant, ref: str) -> RoutingView:
    """The routing a problem is traced on (``PlantTracing.traced_view``)."""
    problem = get_problem(session=session, plant=plant, ref=ref)
    return PlantTracing(session=session, plant=plant).traced_view(problem)


class ProblemTraceRow(NamedTuple):
    """What tracing reads of a stored problem."""

    ref: str
    routing_version_id: int
    found_at_unit_id: int
    op: str | None
    defect_code: str | None


def problem_trace_rows(*, session: Session, plant: Plant) -> list[ProblemTraceRow]:
    """Every problem of the plant as the plain columns tracing reads, by id (plain rows
    straight from the connection: a plant has tens of thousands)."""
    statement = (
        select(
            QualityProblem.ref,
            QualityProblem.routing_version_id,
            QualityProblem.found_at_unit_id,
            QualityProblem.op,
            QualityProblem.defect_code,
        )
        .where(QualityProblem.plant_id == plant.id)
        .order_by(col(QualityProblem.id))
    )
    return [ProblemTraceRow(*row) for row in session.connection().execute(statement).all()]


@collector_paused()
def trace_problems(*, session: Session, plant: Plant) -> dict[str, TraceResult]:
    """The trace of every problem of the plant, by problem id, read and traced in bulk."""
    rows = problem_trace_rows(session=session, plant=plant)
    traces = PlantTracing(session=session, plant=plant).trace_many(rows)
    return {row.ref: result for row, result in zip(rows, traces, strict=True)}


def _require_status(problem: QualityProblem, allowed: Sequence[str], doing: str) -> None:
    if problem.status not in allowed:
        raise NoacError(
            f"problem {problem.ref} is {problem.status}: it cannot be {doing}"
            f" (only when {' or '.join(allowed)})"
        )


def _settle(
    session: Session,
    ctx: PlantTracing,
    problem: QualityProblem,
    shares: Mapping[str, float],
    source: str,
    now: datetime,
    deadline: date | None,
    escapes: Mapping[str, Sequence[Escape]] | None = None,
) -> dict:
    """Store the responsible units, their escapes and the month the problem counts in; the
    problem is to have ``deadline`` from then on. A problem counted in a closed month keeps
    them as that month counted them: only the same units with the same shares are accepted,
    and then only the deadline may change (for the open months)."""
    closed = lock_closed_months(session=session, plant=ctx.plant)
    counted_closed = problem.counted_month is not None and problem.counted_month in closed
    if counted_closed and dict(shares) != responsible_units(session=session, problem=problem):
        raise NoacError(
            f"problem {problem.ref} counts in {problem.counted_month}, which is closed:"
            " reopen that month to change its responsibility"
        )
    _refuse_closed_overdue(session, problem, closed, shares, deadline)
    if counted_closed:
        kept = session.exec(
            select(ProblemEscape.unit_id, ProblemEscape.op).where(
                ProblemEscape.problem_id == problem.id
            )
        )
        escaped = {(ctx.unit_codes[unit_id], op) for unit_id, op in kept}
        return _settled_details(shares, escaped, problem.counted_month)
    if escapes is None:
        escapes = {unit: ctx.unit_escapes(problem, unit) for unit in shares}
    session.exec(
        delete(ProblemResponsibility).where(col(ProblemResponsibility.problem_id) == problem.id)
    )
    session.exec(delete(ProblemEscape).where(col(ProblemEscape.problem_id) == problem.id))
    session.flush()
    for unit, share in shares.items():
        session.add(
            ProblemResponsibility(problem_id=problem.id, unit_id=ctx.units[unit].id, share=share)
        )
    stored = {(e.unit, e.op) for found in escapes.values() for e in found}
    for unit, op in sorted(stored):
        session.add(ProblemEscape(problem_id=problem.id, unit_id=ctx.units[unit].id, op=op))
    problem.responsibility_source = source
    problem.responsibility_set_at = now
    problem.counted_month = first_open_month(closed, month_of(problem.found_on))
    return _settled_details(shares, stored, problem.counted_month)


def _state(session: Session, problem: QualityProblem) -> dict:
    """What an audit record shows of a problem before and after a step."""
    action = session.get(CorrectiveAction, problem.id)
    return {
        "status": problem.status,
        "responsible": responsible_units(session=session, problem=problem),
        "counted_month": problem.counted_month,
        "deadline": problem.deadline,
        "closed_on": problem.closed_on,
        "corrective_action": action
        and {
            "owner": session.get(Unit, action.owner_unit_id).code,
            "root_cause": action.root_cause,
            "actions": action.actions,
            "milestones": json.loads(problem.milestones),
        },
        "version": problem.version,
    }


def _open(
    session: Session, plant: Plant, ref: str, expected_version: int | None
) -> tuple[QualityProblem, dict]:
    """Load a problem for a change, refusing a change based on a stale screen."""
    problem = get_problem(session=session, plant=plant, ref=ref, for_update=True)
    session.refresh(problem)
    if expected_version is not None and expected_version != problem.version:
        raise _stale(session, problem)
    return problem, _state(session, problem)


def _stale(session: Session, problem: QualityProblem) -> NoacError:
    last = session.exec(
        select(ProblemEvent)
        .where(ProblemEvent.problem_id == problem.id)
        .order_by(col(ProblemEvent.id).desc())
    ).first()
    who = f" by {last.actor} at {local_time(last.at):%Y-%m-%d %H:%M}" if last else ""
    return NoacError(
        f"problem {problem.ref} was changed{who} since you loaded it: reload and try again"
    )


def _finish(
    session: Session,
    problem: QualityProblem,
    actor: Actor,
    action: str,
    before: dict,
    reason: str = "",
) -> QualityProblem:
    """Commit a step with its audit record; a concurrent change of the same problem
    (its version moved on meanwhile) refuses the whole step."""
    loaded = before["version"]
    try:
        session.add(problem)
        session.flush()
        bumped = session.exec(
            update(QualityProblem)
            .where(col(QualityProblem.id) == problem.id, col(QualityProblem.version) == loaded)
            .values(version=loaded + 1)
        )
        if bumped.rowcount != 1:
            session.rollback()
            raise _stale(session, session.get(QualityProblem, problem.id))
        session.refresh(problem)
        audit.record(
            session,
            actor,
            action,
            "quality_problem",
            problem.ref,
            before,
            _state(session, problem),
            reason,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return problem


def _refuse_conflicts(step: Callable[..., T]) -> Callable[..., T]:
    """A step that collides with a concurrent change of the same problem (a key written
    meanwhile) is refused like a stale one, never raised as a database error."""

    @functools.wraps(step)
    def guarded(*, session: Session, plant: Plant, ref: str, **kwargs):
        try:
            return step(session=session, plant=plant, ref=ref, **kwargs)
        except IntegrityError:
            session.rollback()
            raise _stale(session, get_problem(session=session, plant=plant, ref=ref)) from None

    return guarded


def _proposed_unit(ctx: PlantTracing, problem: QualityProblem) -> str:
    if problem.proposed_unit_id is None:
        raise NoacError(
            f"problem {problem.ref} has no proposed responsible unit (undetermined):"
            " the quality department rules it"
        )
    return ctx.unit_codes[problem.proposed_unit_id]


@_refuse_conflicts
def accept_problem(
    *,
    session: Session,
    plant: Plant,
    ref: str,
    actor: Actor,
    expected_version: int | None = None,
) -> QualityProblem:
    """The supervisor of the proposed responsible unit accepts the problem as his unit's."""
    problem, before = _open(session, plant, ref, expected_version)
    ctx = PlantTracing(session=session, plant=plant)
    unit = _proposed_unit(ctx, problem)
    require(actor, "answer-problem", plant_id=plant.id, units=(unit,))
    _require_status(problem, ("proposed",), "accepted")
    # the unit's nearest candidate traced now: the proposal itself, unless the routing or the
    # catalogue changed since the report, and then the unit's escapes as a ruling gives them
    candidate = _candidate_of(ctx, problem, unit)
    details = _settle(
        session,
        ctx,
        problem,
        {unit: 1.0},
        "accepted",
        _now(),
        problem.deadline,
        escapes={unit: candidate.escapes if candidate else ctx.unit_escapes(problem, unit)},
    )
    problem.status = "accepted"
    _event(session, problem, actor, "accepted", "", details)
    return _finish(session, problem, actor, "accept", before)


@_refuse_conflicts
def dispute_problem(
    *,
    session: Session,
    plant: Plant,
    ref: str,
    reason: str,
    actor: Actor,
    expected_version: int | None = None,
) -> QualityProblem:
    """The supervisor of the proposed responsible unit disputes the proposal, with a reason."""
    problem, before = _open(session, plant, ref, expected_version)
    ctx = PlantTracing(session=session, plant=plant)
    unit = _proposed_unit(ctx, problem)
    require(actor, "answer-problem", plant_id=plant.id, units=(unit,))
    _require_status(problem, ("proposed",), "disputed")
    reason = _note(reason, "the reason")
    if not reason:
        raise NoacError("a dispute needs a reason")
    problem.status = "disputed"
    _event(session, problem, actor, "disputed", reason)
    return _finish(session, problem, actor, "dispute", before, reason)


def _note(text: str, what: str) -> str:
    """A reason or note, stripped; refused when it cannot be stored."""
    if reason := check_text(text, what, 4000):
        raise NoacError(reason)
    return text.strip()


def _parse_milestones(milestones: Sequence[Milestone | str]) -> list[dict]:
    if len(milestones) > MAX_MILESTONES:
        raise NoacError(f"at most {MAX_MILESTONES} milestones")
    parsed = []
    for item in milestones:
        if isinstance(item, str):
            day_text, _, text = item.partition(":")
            day, reason = parse_date(day_text.strip())
            if reason or not text.strip():
                raise NoacError(f"milestone '{item}' must read YYYY-MM-DD:what is due")
            item = Milestone(day, text.strip())
        if reason := check_text(item.text, "a milestone", 500):
            raise NoacError(reason)
        parsed.append({"due": item.due.isoformat(), "text": item.text})
    return sorted(parsed, key=lambda m: m["due"])


@_refuse_conflicts
def rule_problem(
    *,
    session: Session,
    plant: Plant,
    ref: str,
    shares: Mapping[str, float] | str | Sequence[str],
    reason: str,
    actor: Actor,
    deadline: date | None = None,
    milestones: Sequence[Milestone | str] | None = None,
    expected_version: int | None = None,
) -> QualityProblem:
    """The quality department rules the responsible units and their shares.

    ``shares`` is a mapping, or text ``UNIT[:share];...`` (missing shares split
    what is left equally). A ruling may split responsibility, may come after
    a dispute or overrule an acceptance, and may set the deadline and
    milestones of the corrective action (``milestones`` given, even none, replace the
    earlier ones; None keeps them). A problem counted in a closed month is ruled on its
    responsible units and shares as they are, which it keeps with its escapes: the ruling
    moves its deadline for the open months.
    """
    require(actor, "rule-problem", plant_id=plant.id)
    problem, before = _open(session, plant, ref, expected_version)
    _require_status(problem, [s for s in PROBLEM_STATUSES if s != "closed"], "ruled")
    if isinstance(shares, str | list | tuple):
        shares, errors = parse_shares(shares)
        if errors:
            raise NoacError("; ".join(errors))
    if not shares:
        raise NoacError("no responsible unit given")
    ctx = PlantTracing(session=session, plant=plant)
    unknown = [u for u in shares if u not in ctx.units]
    if unknown:
        raise NoacError(f"unknown unit(s): {', '.join(unknown)}")
    if not_above := [u for u, s in shares.items() if not s > 0]:  # NaN is not above 0 either
        raise NoacError("; ".join(f"share of {u}: a share must be above 0" for u in not_above))
    total = sum(shares.values())
    if abs(total - 1) > SHARE_TOLERANCE:
        raise NoacError(f"shares must be above 0 and sum to 1, not {total:g}")
    reason = _note(reason, "the reason")
    if not reason:
        raise NoacError("a ruling needs a reason")
    parsed_milestones = None if milestones is None else _parse_milestones(milestones)
    _refuse_before_found(problem, deadline)
    details = _settle(session, ctx, problem, shares, "ruled", _now(), deadline or problem.deadline)
    if deadline is not None:
        problem.deadline = deadline
        details["deadline"] = deadline.isoformat()
    if parsed_milestones is not None:  # given, even empty: they replace the earlier ones
        problem.milestones = json.dumps(parsed_milestones, ensure_ascii=False)
        details["milestones"] = parsed_milestones
    action = session.get(CorrectiveAction, problem.id)
    withdrawn = action is not None and ctx.unit_codes[action.owner_unit_id] not in shares
    if withdrawn:  # its owner is no longer responsible: the units ruled enter their own
        session.delete(action)
        details["withdrawn_action"] = before["corrective_action"]
    if withdrawn or problem.status in ("proposed", "accepted", "disputed", "ruled"):
        problem.status = "ruled"
    _event(session, problem, actor, "ruled", reason.strip(), details)
    return _finish(session, problem, actor, "rule", before, reason)


def responsible_units(*, session: Session, problem: QualityProblem) -> dict[str, float]:
    statement = (
        select(Unit.code, ProblemResponsibility.share)
        .join(Unit, col(Unit.id) == ProblemResponsibility.unit_id)
        .where(ProblemResponsibility.problem_id == problem.id)
        .order_by(Unit.code)
    )
    return dict(session.exec(statement).all())


@_refuse_conflicts
def plan_action(
    *,
    session: Session,
    plant: Plant,
    ref: str,
    owner: str,
    root_cause: str,
    actions: str,
    actor: Actor,
    deadline: date | None = None,
    milestones: Sequence[Milestone | str] | None = None,
    expected_version: int | None = None,
) -> QualityProblem:
    """The responsible unit enters root cause and corrective action (again, to revise it)."""
    problem, before = _open(session, plant, ref, expected_version)
    responsible = responsible_units(session=session, problem=problem)
    require(actor, "plan-action", plant_id=plant.id, units=tuple(responsible))
    _require_status(problem, ("accepted", "ruled", "action"), "given a corrective action")
    if owner not in responsible:
        raise NoacError(
            f"the owner of the corrective action must be a responsible unit of {ref}"
            f" ({', '.join(responsible)}), not {owner}"
        )
    require(actor, "plan-action", units=(owner,))  # a supervisor enters his own unit's action
    entered = before["corrective_action"]
    if entered and entered["owner"] != owner:
        require(actor, "plan-action", units=(entered["owner"],))  # and revises only his own
    root_cause, actions = _note(root_cause, "the root cause"), _note(actions, "the actions")
    if not root_cause or not actions:
        raise NoacError("a corrective action needs a root cause and the actions taken")
    deadline = deadline or problem.deadline
    if deadline is None:
        raise NoacError("a corrective action needs a deadline")
    if problem.deadline is not None and deadline > problem.deadline:
        require(actor, "move-deadline", plant_id=plant.id)
    _refuse_before_found(problem, deadline)
    _refuse_closed_overdue(
        session,
        problem,
        lock_closed_months(session=session, plant=plant),
        responsible,
        deadline,
    )
    parsed_milestones = None if milestones is None else _parse_milestones(milestones)
    unit = units_by_code(session=session, plant=plant)[owner]
    action = session.get(CorrectiveAction, problem.id) or CorrectiveAction(
        problem_id=problem.id, owner_unit_id=unit.id, root_cause="", actions="", planned_at=_now()
    )
    action.owner_unit_id = unit.id
    action.root_cause = root_cause.strip()
    action.actions = actions.strip()
    action.planned_at = _now()
    session.add(action)
    problem.deadline = deadline
    if parsed_milestones is not None:  # given, even empty: they replace the earlier ones
        problem.milestones = json.dumps(parsed_milestones, ensure_ascii=False)
    problem.status = "action"
    _event(
        session,
        problem,
        actor,
        "action-planned",
        action.actions,
        {
            "owner": owner,
            "root_cause": action.root_cause,
            "deadline": deadline.isoformat(),
            "milestones": json.loads(problem.milestones),
        },
    )
    return _finish(session, problem, actor, "plan-action", before)


@_refuse_conflicts
def request_verification(
    *,
    session: Session,
    plant: Plant,
    ref: str,
    actor: Actor,
    note: str = "",
    expected_version: int | None = None,
) -> QualityProblem:
    """The responsible unit reports its corrective action done and asks for verification."""
    problem, before = _open(session, plant, ref, expected_version)
    responsible = responsible_units(session=session, problem=problem)
    require(actor, "request-verification", plant_id=plant.id, units=tuple(responsible))
    _require_status(problem, ("action",), "sent for verification")
    # a supervisor reports only his own unit's action done
    require(actor, "request-verification", units=(before["corrective_action"]["owner"],))
    note = _note(note, "the note")
    problem.status = "verification"
    _event(session, problem, actor, "verification-requested", note)
    return _finish(session, problem, actor, "request-verification", before)


@_refuse_conflicts
def verify_problem(
    *,
    session: Session,
    plant: Plant,
    ref: str,
    effective: bool,
    note: str,
    actor: Actor,
    on: date | None = None,
    expected_version: int | None = None,
) -> QualityProblem:
    """The quality department checks the action's effect: effective closes the problem,
    not effective sends it back to the responsible unit."""
    require(actor, "verify-problem", plant_id=plant.id)
    problem, before = _open(session, plant, ref, expected_version)
    _require_status(problem, ("verification",), "verified")
    note = _note(note, "the note")
    if not note:
        raise NoacError("a verification needs a note of what was checked")
    on = on or date.today()
    if on > date.today():
        raise NoacError(f"{on} is in the future")
    if on < problem.found_on:
        raise NoacError(f"a closing date of {on} is before the date found {problem.found_on}")
    done = _reported_done_on(session, problem)
    if done is not None and on < done:
        raise NoacError(
            f"problem {ref}: a verification dated {on} is before its corrective action was"
            f" reported done on {done}: date it {done} or later"
        )
    if effective:
        closed = lock_closed_months(session=session, plant=plant)
        changed = overdue_months(problem.deadline, None, closed.months) - overdue_months(
            problem.deadline, on, closed.months
        )
        if changed:
            last = max(changed)
            raise NoacError(
                f"problem {ref} was overdue at the end of {last}, which is closed: a closing"
                f" date of {on} would change that month's figures; date it after"
                f" {month_days(last)[1]}, or reopen {last} first"
            )
    action = session.get(CorrectiveAction, problem.id)
    assert action is not None
    action.verified_at = _now()
    action.verified_by = actor.username
    action.verification_note = note
    session.add(action)
    if effective:
        problem.status = "closed"
        problem.closed_on = on
        _event(session, problem, actor, "verified-closed", note.strip(), {"closed_on": on})
    else:
        problem.status = "action"
        _event(session, problem, actor, "verified-not-effective", note, {"verified_on": on})
    return _finish(session, problem, actor, "verify", before, note)


def _reported_done_on(session: Session, problem: QualityProblem) -> date | None:
    """The day the corrective action of ``problem`` was last reported done (its latest request
    for verification) on the server's calendar, which ``date.today()`` reads; None if it never
    was."""
    at = session.exec(
        select(ProblemEvent.at)
        .where(
            ProblemEvent.problem_id == problem.id,
            ProblemEvent.action == "verification-requested",
        )
        .order_by(col(ProblemEvent.id).desc())
    ).first()
    if at is None:
        return None
    return local_time(at).date()


def _refuse_before_found(problem: QualityProblem, deadline: date | None) -> None:
    if deadline is not None and deadline < problem.found_on:
        raise NoacError(f"a deadline of {deadline} is before the date found {problem.found_on}")


def _refuse_closed_overdue(
    session: Session,
    problem: QualityProblem,
    closed: ClosedMonths,
    shares: Mapping[str, float],
    deadline: date | None,
) -> None:
    """Refuse a step after which ``problem``, with the responsible ``shares`` and ``deadline``,
    would be overdue at the end of a ``closed`` month where it was not, or overdue there for
    other units: that month's figures cannot change until it is reopened. A deadline moved
    later only takes overdue points away, and holds from then on."""
    was = responsible_units(session=session, problem=problem)
    before = overdue_months(problem.deadline, problem.closed_on, closed.months) if was else set()
    after = overdue_months(deadline, problem.closed_on, closed.months) if shares else set()
    changed = sorted(after - before if dict(shares) == was else after)
    if changed:
        months = ", ".join(changed)
        raise NoacError(
            f"problem {problem.ref} would be overdue for {', '.join(sorted(shares))} at the end"
            f" of {months} (deadline {deadline}), {'which is' if len(changed) == 1 else 'all'}"
            f" closed: give a deadline after {month_days(changed[-1])[1]}, or reopen {months}"
            " first"
        )


def overdue_months(
    deadline: date | None, closed_on: date | None, months: Collection[str]
) -> set[str]:
    """The ``months`` at whose end a problem was overdue as the close counts it: its deadline
    on or before the month's last day, and not closed by then.

    >>> months = {"2026-01", "2026-02", "2026-03"}
    >>> sorted(overdue_months(date(2026, 1, 31), date(2026, 3, 5), months))
    ['2026-01', '2026-02']
    """
    return {
        month
        for month in months
        if deadline is not None
        and deadline <= (last := month_days(month)[1])
        and (closed_on is None or closed_on > last)
    }


def is_overdue(deadline: date | None, closed_on: date | None, as_of: date) -> bool:
    """Deadline passed and the problem not closed by ``as_of``."""
    return deadline is not None and deadline < as_of and (closed_on is None or closed_on > as_of)


def check_attachment(filename: str, content: bytes) -> None:
    """Refuse a piece of evidence that cannot be kept: empty, over the size limit, or a name
    longer than the 255 characters kept."""
    if len(filename) > MAX_FILENAME:
        raise NoacError(
            f"attachment '{filename[:40]}…' has a name of {len(filename)} characters; the limit"
            f" is {MAX_FILENAME}: rename the file"
        )
    if not content:
        raise NoacError(f"attachment '{filename}' is empty")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise NoacError(
            f"attachment '{filename}' is {len(content)} bytes; the limit is {MAX_ATTACHMENT_BYTES}"
        )


def _units_concerned(session: Session, plant: Plant, problem: QualityProblem) -> tuple[str, ...]:
    """The units a problem concerns, as a supervisor's list of problems finds it: the unit
    that found it, the proposed unit and the responsible units."""
    codes = {unit.id: code for code, unit in units_by_code(session=session, plant=plant).items()}
    concerned = {
        codes[problem.found_at_unit_id],
        *responsible_units(session=session, problem=problem),
    }
    if problem.proposed_unit_id:
        concerned.add(codes[problem.proposed_unit_id])
    return tuple(sorted(concerned))


@_refuse_conflicts
def add_attachment(
    *,
    session: Session,
    plant: Plant,
    ref: str,
    filename: str,
    content: bytes,
    actor: Actor,
    content_type: str = "application/octet-stream",
) -> Attachment:
    """Keep a piece of evidence with the problem, in the database."""
    problem, before = _open(session, plant, ref, None)
    require(
        actor, "attach-evidence", plant_id=plant.id, units=_units_concerned(session, plant, problem)
    )
    check_attachment(filename, content)
    attachment = Attachment(
        problem_id=problem.id,
        filename=filename or "attachment",
        content_type=content_type[:100],
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        uploaded_at=_now(),
        uploaded_by=actor.username,
    )
    session.add(attachment)
    _event(
        session,
        problem,
        actor,
        "attachment-added",
        attachment.filename,
        {"sha256": attachment.sha256, "size": attachment.size},
    )
    _finish(session, problem, actor, "attach", before)
    return attachment


@dataclass
class ProblemSummary:
    """A problem as listed: plain values, ready for a table or JSON."""

    ref: str
    found_on: str
    found_at: str
    part: str
    op: str | None
    defect_code: str | None
    severity: str
    quantity: int
    status: str
    proposed: str | None
    responsible: dict[str, float]
    escapes: list[str]
    counted_month: str | None
    deadline: str | None
    closed_on: str | None
    overdue: bool
    cost: float | None = None
    description: str = ""
    disposition: str | None = None
    lot: str | None = None
    history: list[dict] = field(default_factory=list)
    corrective_action: dict | None = None
    milestones: list[dict] = field(default_factory=list)
    evidence: list[dict] = field(default_factory=list)


_LISTED = (
    QualityProblem.id,
    QualityProblem.ref,
    QualityProblem.found_on,
    QualityProblem.found_at_unit_id,
    Part.code,
    QualityProblem.op,
    QualityProblem.defect_code,
    QualityProblem.severity,
    QualityProblem.quantity,
    QualityProblem.status,
    QualityProblem.proposed_unit_id,
    QualityProblem.counted_month,
    QualityProblem.deadline,
    QualityProblem.closed_on,
    QualityProblem.cost,
    QualityProblem.description,
    QualityProblem.disposition,
    QualityProblem.lot,
    QualityProblem.milestones,
)


def problems_where(
    *, session: Session, plant: Plant, conditions: Sequence[ColumnElement[bool]], as_of: date
) -> list[ProblemSummary]:
    """The plant's problems that meet the SQL ``conditions`` on ``QualityProblem``, oldest
    found first, as the problem list shows them on ``as_of``; read as plain columns (a plant's
    20,000 problems as objects took seconds)."""
    codes = {u.id: c for c, u in units_by_code(session=session, plant=plant).items()}
    where = (QualityProblem.plant_id == plant.id, *conditions)
    connection = session.connection()
    rows = connection.execute(
        select(*_LISTED)
        .join(Part, col(Part.id) == QualityProblem.part_id)
        .where(*where)
        .order_by(col(QualityProblem.found_on), QualityProblem.ref)
    ).all()
    shares: dict[int, dict[str, float]] = {}
    escapes: dict[int, set[str]] = {}
    for problem_id, unit_id, share in connection.execute(
        select(
            ProblemResponsibility.problem_id,
            ProblemResponsibility.unit_id,
            ProblemResponsibility.share,
        )
        .join(QualityProblem, col(QualityProblem.id) == ProblemResponsibility.problem_id)
        .where(*where)
    ):
        shares.setdefault(problem_id, {})[codes[unit_id]] = share
    for problem_id, unit_id in connection.execute(
        select(ProblemEscape.problem_id, ProblemEscape.unit_id)
        .join(QualityProblem, col(QualityProblem.id) == ProblemEscape.problem_id)
        .where(*where)
    ):
        escapes.setdefault(problem_id, set()).add(codes[unit_id])
    return [
        ProblemSummary(
            ref=ref,
            found_on=found_on.isoformat(),
            found_at=codes[found_at],
            part=part,
            op=op,
            defect_code=defect_code,
            severity=severity,
            quantity=quantity,
            status=status,
            proposed=codes.get(proposed) if proposed else None,
            responsible=dict(sorted(shares.get(problem_id, {}).items())),
            escapes=sorted(escapes.get(problem_id, ())),
            counted_month=counted_month,
            deadline=deadline.isoformat() if deadline else None,
            closed_on=closed_on.isoformat() if closed_on else None,
            overdue=is_overdue(deadline, closed_on, as_of),
            cost=cost,
            description=description,
            disposition=disposition,
            lot=lot,
            milestones=orjson.loads(milestones),
        )
        # unpacked: a row's columns by name cost a microsecond each
        for (
            problem_id,
            ref,
            found_on,
            found_at,
            part,
            op,
            defect_code,
            severity,
            quantity,
            status,
            proposed,
            counted_month,
            deadline,
            closed_on,
            cost,
            description,
            disposition,
            lot,
            milestones,
        ) in rows
    ]


def _unit_id(session: Session, plant: Plant, unit: str) -> int:
    units = units_by_code(session=session, plant=plant)
    if unit not in units:
        raise NoacError(f"unknown unit '{unit}' in plant {plant.code}")
    return units[unit].id


def _blamed_on(unit_id: int) -> ColumnElement[bool]:
    """Problems unit ``unit_id`` is proposed for or responsible for: the ids of both, each read
    through its index on the unit (with an OR of the two, either database read every problem
    of the plant)."""
    proposed = aliased(QualityProblem)
    return col(QualityProblem.id).in_(
        union(
            select(ProblemResponsibility.problem_id).where(
                ProblemResponsibility.unit_id == unit_id
            ),
            select(proposed.id).where(proposed.proposed_unit_id == unit_id),
        )
    )


def list_problems(
    *,
    session: Session,
    plant: Plant,
    month: str | None = None,
    status: str | None = None,
    unit: str | None = None,
    as_of: date | None = None,
) -> list[ProblemSummary]:
    """Problems of a plant, optionally of a month found, a status (or ``open``: any but
    closed, or ``overdue``: past the deadline and not closed by ``as_of``), a unit.

    ``unit`` matches where the problem was found, the proposed unit and the
    responsible units. Every filter is applied by the database: a page listing a unit's
    problems, or the open ones, read all of a plant's 20,000 problems and took half a second.
    """
    as_of = as_of or date.today()
    if status is not None and status not in (*PROBLEM_STATUSES, OPEN, OVERDUE):
        raise NoacError(
            f"unknown status '{status}' (one of {', '.join(PROBLEM_STATUSES)}, open, overdue)"
        )
    conditions = []
    if unit is not None:
        unit_id = _unit_id(session, plant, unit)
        conditions.append(or_(QualityProblem.found_at_unit_id == unit_id, _blamed_on(unit_id)))
    if month is not None:
        first, last = month_days(parse_month(month))
        conditions += [col(QualityProblem.found_on) >= first, col(QualityProblem.found_on) <= last]
    if status == OPEN:
        conditions.append(QualityProblem.status != "closed")
    elif status == OVERDUE:  # as ``is_overdue`` tells
        conditions += [
            col(QualityProblem.deadline) < as_of,
            or_(col(QualityProblem.closed_on).is_(None), col(QualityProblem.closed_on) > as_of),
        ]
    elif status is not None:
        conditions.append(QualityProblem.status == status)
    return problems_where(session=session, plant=plant, conditions=conditions, as_of=as_of)


def unit_problems(
    *, session: Session, plant: Plant, unit: str, as_of: date | None = None
) -> list[ProblemSummary]:
    """The problems ``unit`` is proposed for or responsible for, oldest found first: those
    its supervisor answers and corrects on "My problems" (not those it only found:
    ``found_by_unit``)."""
    unit_id = _unit_id(session, plant, unit)
    return problems_where(
        session=session, plant=plant, conditions=[_blamed_on(unit_id)], as_of=as_of or date.today()
    )


@dataclass
class FoundProblems:
    """The problems a unit found, newest first, as its supervisor follows them: every open
    one and the closed ones asked for: closed since ``closed_since``, or all or none of them
    (``closed_since`` None); ``left_out`` closed ones are not listed."""

    problems: list[ProblemSummary]
    closed_since: date | None
    left_out: int


def found_by_unit(
    *,
    session: Session,
    plant: Plant,
    unit: str,
    closed_months: int | None = None,
    as_of: date | None = None,
) -> FoundProblems:
    """The problems ``unit`` found (reported), newest found first, each with the evidence
    kept with it, so that its supervisor follows where they stand: status, responsible
    units and shares once settled, deadline, overdue, closing date.

    Closed problems are listed if closed in the month of ``as_of`` or the
    ``closed_months - 1`` before it (0: none; None: every closed problem); the others are
    counted, not read, so a unit that reported hundreds lists only what is recent.
    """
    as_of = as_of or date.today()
    found_here = QualityProblem.found_at_unit_id == _unit_id(session, plant, unit)
    conditions = [found_here]
    since, left_out = None, 0
    if closed_months is not None:
        closed_on = col(QualityProblem.closed_on)
        if closed_months > 0:
            since = month_days(recent_months(as_of, closed_months)[-1])[0]
        shown = or_(closed_on.is_(None), closed_on >= since) if since else closed_on.is_(None)
        conditions.append(shown)
        left_out = session.exec(
            select(func.count())
            .select_from(QualityProblem)
            .where(QualityProblem.plant_id == plant.id, found_here, not_(shown))
        ).one()
    listed = problems_where(session=session, plant=plant, conditions=conditions, as_of=as_of)
    evidence = _evidence(session, plant, conditions)
    for problem in listed:
        problem.evidence = evidence.get(problem.ref, [])
    return FoundProblems(listed[::-1], since, left_out)


def _evidence(
    session: Session, plant: Plant, conditions: Sequence[ColumnElement[bool]]
) -> dict[str, list[dict]]:
    """What ``ProblemSummary.evidence`` lists (not the files' content) of the plant's problems
    that meet ``conditions``, by problem, oldest kept first."""
    kept = session.exec(
        select(
            QualityProblem.ref,
            Attachment.id,
            Attachment.filename,
            Attachment.content_type,
            Attachment.size,
            Attachment.uploaded_at,
            Attachment.uploaded_by,
        )
        .join(QualityProblem, col(QualityProblem.id) == Attachment.problem_id)
        .where(QualityProblem.plant_id == plant.id, *conditions)
        .order_by(col(Attachment.id))
    )
    evidence: dict[str, list[dict]] = {}
    for row in kept:
        item = row._asdict()
        evidence.setdefault(item.pop("ref"), []).append(
            item | {"uploaded_at": local_time(row.uploaded_at).isoformat(timespec="seconds")}
        )
    return evidence


def problem_detail(*, session: Session, plant: Plant, ref: str) -> ProblemSummary:
    """One problem with its history and corrective action."""
    problem = get_problem(session=session, plant=plant, ref=ref)
    (summary,) = problems_where(
        session=session,
        plant=plant,
        conditions=[QualityProblem.id == problem.id],
        as_of=date.today(),
    )
    events = session.exec(
        select(ProblemEvent)
        .where(ProblemEvent.problem_id == problem.id)
        .order_by(col(ProblemEvent.at), col(ProblemEvent.id))
    )
    summary.history = [
        {
            "at": local_time(e.at).isoformat(timespec="seconds"),
            "actor": e.actor,
            "action": e.action,
            "status": e.status,
            "note": e.note,
            "dated": _dated(json.loads(e.details)),
        }
        for e in events
    ]
    action = session.get(CorrectiveAction, problem.id)
    if action is not None:
        owner = session.get(Unit, action.owner_unit_id)
        done = _reported_done_on(session, problem)
        summary.corrective_action = {
            "owner": owner.code if owner else None,
            "root_cause": action.root_cause,
            "actions": action.actions,
            "verified_by": action.verified_by,
            "verification_note": action.verification_note,
            "reported_done_on": done.isoformat() if done else None,
        }
    kept = _evidence(session, plant, [QualityProblem.id == problem.id])
    summary.evidence = kept.get(problem.ref, [])
    return summary


def _dated(details: Mapping) -> str | None:
    """The day a step of the history was dated by who took it (a verification's date, the
    closing date of a problem closed), from its ``details``; None for a step not dated."""
    return details.get("verified_on", details.get("closed_on"))


def evidence_file(
    *, session: Session, plant: Plant, ref: str, evidence_id: int, actor: Actor
) -> Attachment:
    """A piece of evidence of problem ``ref`` (``ProblemSummary.evidence``), with its content,
    for the quality department and the supervisors of the units the problem concerns."""
    problem = get_problem(session=session, plant=plant, ref=ref)
    require(
        actor, "read-evidence", plant_id=plant.id, units=_units_concerned(session, plant, problem)
    )
    attachment = session.get(Attachment, evidence_id)
    if attachment is None or attachment.problem_id != problem.id:
        raise NoacError(f"problem {ref} has no evidence {evidence_id}")
    return attachment


def _brought(shares: Mapping[str, float], deadline: date | None, closed_on: date | None) -> dict:
    """The responsibility, deadline and closure a report or an imported row brought, as its
    "reported" step keeps them: later steps change the problem, not what it came with."""
    return {
        "responsible": dict(sorted(shares.items())),
        "deadline": deadline.isoformat() if deadline else None,
        "closed_on": closed_on.isoformat() if closed_on else None,
    }


def _identity(record: DefectRecord) -> tuple:
    """The values that say whether an imported row is a problem already stored: the report's
    own, and what it brought (``_brought``)."""
    report = record.report
    return (
        report.found_on,
        report.found_at,
        report.part,
        report.op or None,
        _code_key(report.defect_code),
        report.severity,
        report.quantity,
        report.description,
        report.disposition or None,
        report.cost,
        report.lot or None,
        _brought(record.shares, record.deadline, record.closed_on),
    )


def _code_key(code: str | None) -> str | None:
    """A defect code as an identity compares it: whatever its case, as it is read (a problem
    stored before codes were read so keeps the case it was written in)."""
    return code.casefold() if code else None


def _same_problem(stored: tuple, imported: tuple) -> bool:
    """Whether an imported row's identity is the stored one's; a problem whose "reported" step
    kept nothing of what it brought is compared on the report's own values."""
    return stored == imported if stored[-1] is not None else stored[:-1] == imported[:-1]


def stored_identities(*, session: Session, plant: Plant, refs: Collection[str]) -> dict[str, tuple]:
    """The identity (see ``_identity``) of each stored problem among ``refs``."""
    found_at = aliased(Unit)
    statement = (
        select(
            QualityProblem.ref,
            QualityProblem.found_on,
            found_at.code,
            Part.code,
            QualityProblem.op,
            QualityProblem.defect_code,
            QualityProblem.severity,
            QualityProblem.quantity,
            QualityProblem.description,
            QualityProblem.disposition,
            QualityProblem.cost,
            QualityProblem.lot,
            ProblemEvent.details,
        )
        .join(Part, col(Part.id) == QualityProblem.part_id)
        .join(found_at, col(found_at.id) == QualityProblem.found_at_unit_id)
        .outerjoin(
            ProblemEvent,
            (col(ProblemEvent.problem_id) == QualityProblem.id)
            & (col(ProblemEvent.action) == "reported"),
        )
        .where(QualityProblem.plant_id == plant.id)
    )
    identities: dict[str, tuple] = {}
    for batch in _batches(sorted(refs)):
        for ref, *identity, details in session.exec(
            statement.where(col(QualityProblem.ref).in_(batch))
        ):
            brought = json.loads(details).get("reported_with") if details else None
            identity[4] = _code_key(identity[4])
            identities[ref] = (*identity, brought)
    return identities


@dataclass
class DefectRecord:
    report: ProblemReport
    view: RoutingView | None
    shares: dict[str, float]
    deadline: date | None
    closed_on: date | None


@collector_paused()
def validate_defect_rows(
    rows: Sequence[Row],
    ctx: PlantTracing,
    today: date,
    stored: Mapping[str, tuple],
    closed: ClosedMonths,
) -> tuple[list[DefectRecord], list[RowError], int]:
    """Check the rows of a defects file against the plant's ``closed`` months.

    Returns the records to create, every error, and how many rows are
    problems already stored with the same values (a re-import).
    """
    errors: list[RowError] = []
    records: list[DefectRecord] = []
    unchanged = 0
    first_row: dict[str, int] = {}
    ctx.load_parts({row["part"] for row in rows})
    for row in rows:
        row_errors: list[tuple[str, str]] = []
        ref = row["id"]
        if not ref:
            row_errors.append(("id", "id is empty"))
        elif len(ref) > 40:
            row_errors.append(("id", "id is longer than 40 characters"))
        elif ref in first_row:
            row_errors.append(("id", f"'{ref}' already appears in row {first_row[ref]}"))
        first_row.setdefault(ref, row.number)
        found_on, reason = parse_date(row["date"])
        if reason:
            row_errors.append(("date", reason))
        quantity, reason = parse_number(row["qty"], 1, MAX_QUANTITY)
        if reason or (quantity is not None and not quantity.is_integer()):
            row_errors.append(
                ("qty", f"'{row['qty']}' is not a whole number from 1 to {MAX_QUANTITY:,}")
            )
        cost = None
        if row["cost"]:
            cost, reason = parse_number(row["cost"], 0, 1e12)
            if reason:
                row_errors.append(("cost", reason))
        report = ProblemReport(
            found_on=found_on or today,
            found_at=row["found_at"],
            part=row["part"],
            severity=row["severity"],
            quantity=int(quantity) if quantity and quantity.is_integer() else 1,
            op=row["op"] or None,
            defect_code=ctx.catalogue_code(row["code"] or None),
            description=row["description"],
            disposition=row["disposition"] or None,
            cost=cost,
            lot=row["lot"] or None,
            ref=ref,
        )
        shares: dict[str, float] = {}
        if row["responsible"]:
            shares, share_errors = parse_shares(row["responsible"])
            row_errors += [("responsible", reason) for reason in share_errors]
        dates: dict[str, date | None] = {"deadline": None, "closed_on": None}
        for column in dates:
            if row[column]:
                dates[column], reason = parse_date(row[column])
                if reason:
                    row_errors.append((column, reason))
        closed_on = dates["closed_on"]
        record = DefectRecord(report, None, shares, dates["deadline"], closed_on)
        if ref in stored and not row_errors and _same_problem(stored[ref], _identity(record)):
            # as it was imported, whatever changed since: a routing, a month closed
            unchanged += 1
            continue
        record.view, report_errors = ctx.check(report, today)
        row_errors += report_errors
        row_errors += [
            ("responsible", f"unknown unit '{unit}'") for unit in shares if unit not in ctx.units
        ]
        if found_on and dates["deadline"] and dates["deadline"] < found_on:
            row_errors.append(
                ("deadline", f"{dates['deadline']} is before the date found {found_on}")
            )
        if closed_on is not None:
            if closed_on > today:
                row_errors.append(("closed_on", f"{closed_on} is in the future"))
            if found_on and closed_on < found_on:
                row_errors.append(("closed_on", f"{closed_on} is before the date found {found_on}"))
            if not row["responsible"]:
                row_errors.append(("closed_on", "a closed problem needs its responsible unit(s)"))
        if shares and (late := overdue_months(dates["deadline"], closed_on, closed.months)):
            last = max(late)
            row_errors.append(
                (
                    "deadline",
                    f"the problem would be overdue at the end of {last}, which is closed:"
                    f" reopen {last} first, or give a deadline after {month_days(last)[1]}",
                )
            )
        if ref in stored and not row_errors:
            row_errors.append(
                (
                    "id",
                    f"problem '{ref}' already exists with other values; it changes"
                    " through its workflow, not by a new import",
                )
            )
        errors += [RowError(row.number, column, reason) for column, reason in row_errors]
        records.append(record)
    return records, errors, unchanged


@collector_paused()
def apply_defect_records(
    *, session: Session, ctx: PlantTracing, records: Sequence[DefectRecord], actor: Actor
) -> None:
    """Write validated defect records (no commit)."""
    if records:
        _create_problems(session, ctx, records, actor, _now())

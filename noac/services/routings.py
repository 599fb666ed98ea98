"""Versioned routings and the unit supply graph derived from them."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TypeVar

import networkx as nx
from sqlalchemy import insert
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from noac.errors import NoacError, RowError
from noac.models import OperationLink, Part, Plant, RoutingOperation, RoutingVersion, Unit
from noac.services.masterdata import ImportSummary, units_by_code
from noac.services.periods import ClosedMonths, changes_closed_month, first_open_day
from noac.tabular import Row, split_list
from noac.validation import parse_bool
from routing import Operation, operation_graph, transition_graph, validate_routing

V = TypeVar("V")
NONE_CLOSED = ClosedMonths()  # what a plan checks when given no closed months


@dataclass(frozen=True)
class RoutingView:
    """One version of a part's routing, as plain data."""

    part: str
    version: int
    source: str
    effective_from: date | None
    operations: tuple[Operation, ...]
    version_id: int | None = None

    def graph(self) -> nx.DiGraph:
        return operation_graph(self.operations)

    def as_dict(self) -> dict:
        return {
            "part": self.part,
            "version": self.version,
            "source": self.source,
            "effective_from": self.effective_from.isoformat() if self.effective_from else None,
            "operations": [
                {
                    "op": o.op,
                    "unit": o.unit,
                    "category": o.category,
                    "after": list(o.after),
                    "inspection": o.inspection,
                }
                for o in self.operations
            ],
        }


def content_hash(operations: Sequence[Operation]) -> str:
    """A digest of the operations that ignores their order and the order of predecessors."""
    canonical = sorted(
        (o.op, o.unit, o.category, sorted(o.after), o.inspection) for o in operations
    )
    return hashlib.sha256(json.dumps(canonical, ensure_ascii=False).encode()).hexdigest()


def _check_text(value: str, what: str, limit: int) -> str | None:
    if not value:
        return f"{what} is empty"
    if len(value) > limit:
        return f"{what} is longer than {limit} characters"
    if ";" in value:
        return f"{what} '{value}' must not contain ';'"
    return None


def validate_routing_rows(
    rows: Sequence[Row], units: dict[str, Unit]
) -> tuple[dict[str, list[Operation]], list[RowError]]:
    """Check routing rows; return each part's operations and every error."""
    errors: list[RowError] = []
    parts: dict[str, list[tuple[int, Operation]]] = defaultdict(list)
    for row in rows:
        bad = False
        for column, what, limit in (("part", "part", 80), ("op", "operation id", 40)):
            if reason := _check_text(row[column], what, limit):
                errors.append(RowError(row.number, column, reason))
                bad = True
        unit = units.get(row["unit"])
        category = row["category"]
        if unit is None:
            errors.append(
                RowError(row.number, "unit", f"unknown unit '{row['unit']}' (import units first)")
            )
        elif not category:
            if not unit.category_list:
                errors.append(
                    RowError(
                        row.number,
                        "category",
                        f"unit '{unit.code}' lists no category: name one",
                    )
                )
            category = unit.category_list[0] if unit.category_list else ""
        inspection = parse_bool(row["inspection"])
        if inspection is None:
            errors.append(
                RowError(
                    row.number,
                    "inspection",
                    f"'{row['inspection']}' is not 1/0, true/false or 是/否",
                )
            )
        if bad:
            continue
        parts[row["part"]].append(
            (
                row.number,
                Operation(
                    op=row["op"],
                    unit=row["unit"],
                    category=category,
                    after=tuple(split_list(row["after"])),
                    inspection=bool(inspection),
                ),
            )
        )
    unit_categories = {code: unit.category_list for code, unit in units.items()}
    result: dict[str, list[Operation]] = {}
    for part, numbered in parts.items():
        operations = [operation for _, operation in numbered]
        for issue in validate_routing(part, operations, unit_categories):
            if issue.column == "unit":
                continue  # already reported above with the row
            number = numbered[issue.index][0] if issue.index is not None else numbered[0][0]
            errors.append(RowError(number, issue.column, f"part {part}: {issue.message}"))
        result[part] = operations
    return result, errors


def _latest_versions(session: Session, plant: Plant, source: str) -> dict[str, RoutingVersion]:
    statement = (
        select(Part.code, RoutingVersion)
        .join(RoutingVersion, col(RoutingVersion.part_id) == Part.id)
        .where(Part.plant_id == plant.id, RoutingVersion.source == source)
        .order_by(col(RoutingVersion.version))
    )
    return dict(session.exec(statement).all())


def categories_in_use(*, session: Session, plant: Plant) -> dict[tuple[str, str], str]:
    """Each (unit, category) the newest routing of some part uses, with where: the first
    such operation, ``PART (op OP)``, by part code and position."""
    latest = _latest_versions(session, plant, "declared")
    part_of = {version.id: part for part, version in latest.items()}
    statement = (
        select(
            RoutingOperation.routing_version_id,
            RoutingOperation.op,
            Unit.code,
            RoutingOperation.category,
        )
        .join(Unit, col(Unit.id) == RoutingOperation.unit_id)
        .where(col(RoutingOperation.routing_version_id).in_(part_of))
        .order_by(col(RoutingOperation.position))
    )
    used: dict[tuple[str, str], str] = {}
    rows = sorted(session.exec(statement).all(), key=lambda row: part_of[row[0]])
    for version_id, op, unit, category in rows:
        used.setdefault((unit, category), f"{part_of[version_id]} (op {op})")
    return used


def plan_routing_versions(
    *,
    session: Session,
    plant: Plant,
    parts: dict[str, list[Operation]],
    effective: date | None,
    first_row: dict[str, int],
    source: str = "declared",
    closed: ClosedMonths = NONE_CLOSED,
) -> tuple[dict[str, date | None], list[RowError]]:
    """Decide which parts need a new version and from when it is in force.

    A part's first version is in force from the beginning while no month is closed,
    otherwise from ``effective`` (default: the first day after the closed months); a
    changed part gets a new version from ``effective`` (default: today), which must come
    after the date of the version it replaces. Neither may come before the end of a
    ``closed`` month (a month's supply relations are those in force on its last day). Parts
    whose operations did not change are left out.
    """
    first_from = effective or first_open_day(closed)
    changed_from = effective or date.today()
    latest = _latest_versions(session, plant, source)
    plan: dict[str, date | None] = {}
    errors: list[RowError] = []
    for part, operations in parts.items():
        current = latest.get(part)
        if current is None:
            if first_from is not None and (reason := changes_closed_month(first_from, closed)):
                errors.append(
                    RowError(first_row[part], "part", f"part {part}: a first version {reason}")
                )
            plan[part] = first_from if closed.last is not None else None
        elif current.content_hash != content_hash(operations):
            if current.effective_from is not None and changed_from <= current.effective_from:
                errors.append(
                    RowError(
                        first_row[part],
                        "part",
                        f"part {part}: the new version must take effect after"
                        f" {current.effective_from} (version {current.version}),"
                        f" not {changed_from}",
                    )
                )
            elif reason := changes_closed_month(changed_from, closed):
                errors.append(
                    RowError(first_row[part], "part", f"part {part}: a new version {reason}")
                )
            plan[part] = changed_from
    return plan, errors


def apply_routings(
    *,
    session: Session,
    plant: Plant,
    parts: dict[str, list[Operation]],
    plan: dict[str, date | None],
    summary: ImportSummary,
    source: str = "declared",
) -> None:
    """Write the planned versions (no commit)."""
    units = units_by_code(session=session, plant=plant)
    part_ids = dict(
        session.execute(select(Part.code, Part.id).where(Part.plant_id == plant.id)).all()
    )
    latest = _latest_versions(session, plant, source)
    now = datetime.now(UTC)
    summary.unchanged += len(parts) - len(plan)
    summary.created += sum(1 for code in plan if code not in latest)
    summary.updated += sum(1 for code in plan if code in latest)
    if not plan:
        return
    new_parts = [code for code in plan if code not in part_ids]
    if new_parts:
        # set-based: a plant imports thousands of routings at once
        ids = session.scalars(
            insert(Part).returning(Part.id, sort_by_parameter_order=True),
            [{"plant_id": plant.id, "code": code} for code in new_parts],
        ).all()
        part_ids.update(zip(new_parts, ids, strict=True))
    codes = list(plan)
    version_ids = session.scalars(
        insert(RoutingVersion).returning(RoutingVersion.id, sort_by_parameter_order=True),
        [
            {
                "part_id": part_ids[code],
                "version": latest[code].version + 1 if code in latest else 1,
                "source": source,
                "effective_from": plan[code],
                "content_hash": content_hash(parts[code]),
                "created_at": now,
            }
            for code in codes
        ],
    ).all()
    operations = [
        (version_id, position, operation)
        for code, version_id in zip(codes, version_ids, strict=True)
        for position, operation in enumerate(parts[code])
    ]
    operation_ids = session.scalars(
        insert(RoutingOperation).returning(RoutingOperation.id, sort_by_parameter_order=True),
        [
            {
                "routing_version_id": version_id,
                "op": operation.op,
                "unit_id": units[operation.unit].id,
                "category": operation.category,
                "inspection": operation.inspection,
                "position": position,
            }
            for version_id, position, operation in operations
        ],
    ).all()
    ids = {
        (version_id, operation.op): operation_id
        for (version_id, _, operation), operation_id in zip(operations, operation_ids, strict=True)
    }
    links = [
        {
            "from_operation_id": ids[(version_id, before)],
            "to_operation_id": ids[(version_id, operation.op)],
        }
        for version_id, _, operation in operations
        for before in operation.after
    ]
    if links:
        session.execute(insert(OperationLink), links)


_VERSION_COLUMNS = (
    Part.code,
    RoutingVersion.version,
    RoutingVersion.source,
    RoutingVersion.effective_from,
    RoutingVersion.id,
)


def _views(session: Session, versions: Sequence[Sequence]) -> list[RoutingView]:
    """Views of ``versions`` (rows of ``_VERSION_COLUMNS``).

    Operations and links are read as plain rows straight from the connection: a plant
    has tens of thousands of them, and they need no ORM bookkeeping.
    """
    ids = [version_id for *_, version_id in versions]
    if not ids:
        return []
    connection = session.connection()
    operations: dict[int, list[tuple[int, str, str, str, bool]]] = defaultdict(list)
    op_names: dict[int, str] = {}
    statement = (
        select(
            RoutingOperation.routing_version_id,
            RoutingOperation.id,
            RoutingOperation.op,
            Unit.code,
            RoutingOperation.category,
            RoutingOperation.inspection,
        )
        .join(Unit, col(Unit.id) == RoutingOperation.unit_id)
        .where(col(RoutingOperation.routing_version_id).in_(ids))
        .order_by(col(RoutingOperation.routing_version_id), col(RoutingOperation.position))
    )
    for version_id, operation_id, op, unit_code, category, inspection in connection.execute(
        statement
    ).all():
        operations[version_id].append((operation_id, op, unit_code, category, inspection))
        op_names[operation_id] = op
    predecessors: dict[int, list[str]] = defaultdict(list)
    links = connection.execute(
        select(OperationLink.from_operation_id, OperationLink.to_operation_id)
        .join(RoutingOperation, col(RoutingOperation.id) == OperationLink.to_operation_id)
        .where(col(RoutingOperation.routing_version_id).in_(ids))
    )
    for source_id, target_id in links.all():
        predecessors[target_id].append(op_names[source_id])
    return [
        RoutingView(
            part,
            number,
            source,
            effective_from,
            tuple(
                Operation(
                    op=op,
                    unit=unit_code,
                    category=category,
                    after=tuple(sorted(predecessors[operation_id])),
                    inspection=inspection,
                )
                for operation_id, op, unit_code, category, inspection in operations[version_id]
            ),
            version_id,
        )
        for part, number, source, effective_from, version_id in versions
    ]


def all_routing_versions(
    *,
    session: Session,
    plant: Plant,
    source: str = "declared",
    parts: Collection[str] | None = None,
) -> dict[str, list[RoutingView]]:
    """Every version of every part of the plant (or of ``parts``), oldest first, by part code."""
    statement = (
        select(*_VERSION_COLUMNS)
        .join(RoutingVersion, col(RoutingVersion.part_id) == Part.id)
        .where(Part.plant_id == plant.id, RoutingVersion.source == source)
        .order_by(Part.code, col(RoutingVersion.version))
    )
    if parts is not None:
        statement = statement.where(col(Part.code).in_(parts))
    result: dict[str, list[RoutingView]] = defaultdict(list)
    for view in _views(session, session.exec(statement).all()):
        result[view.part].append(view)
    return dict(result)


def routed_parts(*, session: Session, plant: Plant, source: str = "declared") -> list[str]:
    """The codes of the plant's parts with a routing (``declared`` or ``observed``), sorted,
    without reading the routings."""
    statement = (
        select(Part.code)
        .join(RoutingVersion, col(RoutingVersion.part_id) == Part.id)
        .where(Part.plant_id == plant.id, RoutingVersion.source == source)
        .distinct()
        .order_by(Part.code)
    )
    return list(session.exec(statement).all())


def views_by_id(*, session: Session, ids: Collection[int]) -> dict[int, RoutingView]:
    """The routing versions ``ids`` (declared or observed), by id."""
    statement = (
        select(*_VERSION_COLUMNS)
        .join(RoutingVersion, col(RoutingVersion.part_id) == Part.id)
        .where(col(RoutingVersion.id).in_(ids))
    )
    return {view.version_id: view for view in _views(session, session.exec(statement).all())}


def routing_versions(
    *, session: Session, plant: Plant, part: str, source: str = "declared"
) -> list[RoutingView]:
    """Every version of ``part``, oldest first."""
    versions = all_routing_versions(session=session, plant=plant, source=source, parts=[part])
    if part not in versions:
        raise NoacError(f"plant {plant.code} has no routing for part '{part}'")
    return versions[part]


def in_force(versions: Sequence[V], on: date) -> V | None:
    """The version in force on ``on``: the newest one whose date has come. ``versions``:
    views, or rows of ``_VERSION_COLUMNS``."""
    current = None
    for view in versions:
        if view.effective_from is None or view.effective_from <= on:
            if current is None or view.version > current.version:
                current = view
    return current


def _versions_in_force(
    session: Session, plant: Plant, days: Collection[date], source: str
) -> dict[date, list]:
    """Rows of ``_VERSION_COLUMNS`` by day of ``days``: each part's version in force that
    day, the versions read in one query."""
    if not days:
        return {}
    statement = (
        select(*_VERSION_COLUMNS)
        .join(RoutingVersion, col(RoutingVersion.part_id) == Part.id)
        .where(
            Part.plant_id == plant.id,
            RoutingVersion.source == source,
            (col(RoutingVersion.effective_from).is_(None))
            | (RoutingVersion.effective_from <= max(days)),
        )
        .order_by(Part.code, col(RoutingVersion.version))
    )
    by_part: dict[str, list] = defaultdict(list)
    for row in session.exec(statement):
        by_part[row.code].append(row)
    return {
        day: [row for rows in by_part.values() if (row := in_force(rows, day)) is not None]
        for day in days
    }


def routings_in_force(
    *, session: Session, plant: Plant, on: date, source: str = "declared"
) -> dict[str, RoutingView]:
    """Each part's routing in force on ``on``, by part code."""
    versions = _versions_in_force(session, plant, [on], source)[on]
    return {view.part: view for view in _views(session, versions)}


def parts_through(*, session: Session, plant: Plant, unit: str, on: date) -> list[str]:
    """The codes of the parts whose routing in force on ``on`` has an operation at ``unit``,
    sorted, read without the routings themselves (a plant has 2,000 of them)."""
    ids = [row.id for row in _versions_in_force(session, plant, [on], "declared")[on]]
    if not ids:
        return []
    statement = (
        select(Part.code)
        .join(RoutingVersion, col(RoutingVersion.part_id) == Part.id)
        .join(RoutingOperation, col(RoutingOperation.routing_version_id) == RoutingVersion.id)
        .join(Unit, col(Unit.id) == RoutingOperation.unit_id)
        .where(col(RoutingVersion.id).in_(ids), Unit.code == unit)
        .distinct()
        .order_by(Part.code)
    )
    return list(session.exec(statement).all())


def plant_supply_graph(*, session: Session, plant: Plant, on: date) -> nx.DiGraph:
    """The unit supply graph of the routings in force on ``on``, with every unit as a node."""
    return plant_supply_graphs(session=session, plant=plant, days=[on])[on]


def plant_supply_graphs(
    *, session: Session, plant: Plant, days: Collection[date]
) -> dict[date, nx.DiGraph]:
    """``plant_supply_graph`` of each of ``days``, by day. Days with the same routings in
    force share one graph, made once: callers only read it.

    The operation transitions are read in one query (``transition_graph``), not as each
    part's operation graph: a plant's 2,000 graphs took half a second to build.
    """
    units = units_by_code(session=session, plant=plant)
    graphs: dict[tuple[int, ...], nx.DiGraph] = {}
    result = {}
    for day, versions in _versions_in_force(session, plant, days, "declared").items():
        ids = tuple(sorted(row.id for row in versions))
        if ids not in graphs:
            graphs[ids] = _supply_graph(session, ids, units)
        result[day] = graphs[ids]
    return result


def _supply_graph(session: Session, ids: Sequence[int], units: dict[str, Unit]) -> nx.DiGraph:
    """The unit supply graph of the routing versions ``ids``, every unit of ``units`` a node."""
    transitions: list = []
    if ids:
        feeding, fed = aliased(RoutingOperation), aliased(RoutingOperation)
        transitions = (
            session.connection()
            .execute(
                select(Part.code, feeding.unit_id, fed.unit_id)
                .select_from(OperationLink)
                .join(feeding, col(feeding.id) == OperationLink.from_operation_id)
                .join(fed, col(fed.id) == OperationLink.to_operation_id)
                .join(RoutingVersion, col(RoutingVersion.id) == fed.routing_version_id)
                .join(Part, col(Part.id) == RoutingVersion.part_id)
                .where(col(fed.routing_version_id).in_(ids), feeding.unit_id != fed.unit_id)
            )
            .all()
        )
    code = {unit.id: unit.code for unit in units.values()}
    S = transition_graph(
        ((part, code[feeding], code[fed]) for part, feeding, fed in transitions), units
    )
    for unit in units.values():
        S.nodes[unit.code].update(name=unit.name, kind=unit.kind)
    return S

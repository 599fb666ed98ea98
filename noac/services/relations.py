"""Who supplies whom besides the routings: recorded handovers and service relations."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date

import networkx as nx
from sqlmodel import Session, col, select

from noac.errors import NoacError, RowError
from noac.models import Handover, Plant, ServiceRelation, Unit
from noac.services.masterdata import ImportSummary, units_by_code
from noac.services.periods import (
    ClosedMonths,
    changes_closed_month,
    first_open_day,
    parse_month,
)
from noac.tabular import Row, Table
from noac.validation import parse_number


def _unit_errors(row: Row, units: dict[str, Unit], columns: Sequence[str]) -> list[RowError]:
    errors = [
        RowError(
            row.number, column, f"unknown unit '{row[column]}'" if row[column] else "no unit given"
        )
        for column in columns
        if row[column] not in units
    ]
    if row[columns[0]] == row[columns[1]] != "":
        errors.append(RowError(row.number, columns[1], "a unit cannot supply itself"))
    return errors


def validate_handover_rows(
    rows: Sequence[Row], units: dict[str, Unit], closed: ClosedMonths, current: str
) -> tuple[list[tuple[str, str, str, float]], list[RowError]]:
    """Each row as ``(month, from, to, quantity)``, or why it is wrong: a month closed or
    before the last closed one, or after ``current`` (the month running), which has handed
    nothing over yet. Quantity 0 means no handover: the month's handover between the two units
    is removed."""
    errors: list[RowError] = []
    records = []
    seen: dict[tuple, int] = {}
    for row in rows:
        row_errors = _unit_errors(row, units, ("from", "to"))
        try:
            parse_month(row["month"])
        except NoacError as error:
            row_errors.append(RowError(row.number, "month", str(error)))
        else:
            if row["month"] in closed.months:
                row_errors.append(
                    RowError(
                        row.number,
                        "month",
                        f"{row['month']} is closed: handovers can no longer change unless the"
                        " quality department reopens it",
                    )
                )
            elif row["month"] in closed:
                row_errors.append(
                    RowError(
                        row.number,
                        "month",
                        f"{row['month']} is before {closed.last}, the last closed month: months"
                        " close in order, so it takes no handovers",
                    )
                )
            elif row["month"] > current:
                row_errors.append(
                    RowError(
                        row.number,
                        "month",
                        f"{row['month']} has not begun: its handovers can be recorded from"
                        f" {row['month']}-01",
                    )
                )
        quantity, reason = parse_number(row["quantity"], 0, 1e12)
        if reason:
            row_errors.append(RowError(row.number, "quantity", reason))
        key = (row["month"], row["from"], row["to"])
        if key in seen:
            row_errors.append(
                RowError(row.number, "to", f"the same handover is already in row {seen[key]}")
            )
        seen.setdefault(key, row.number)
        errors += row_errors
        if not row_errors:
            records.append((row["month"], row["from"], row["to"], quantity))
    return records, errors


def apply_handovers(
    *, session: Session, plant: Plant, records: Sequence[tuple], summary: ImportSummary
) -> None:
    """Store validated monthly handover quantities, removing those of quantity 0 (no commit)."""
    units = {u.code: u for u in session.exec(select(Unit).where(Unit.plant_id == plant.id))}
    for month, source, target, quantity in records:
        key = (plant.id, month, units[source].id, units[target].id)
        handover = session.get(Handover, key)
        if handover is None and quantity:
            session.add(
                Handover(
                    plant_id=plant.id,
                    month=month,
                    from_unit_id=key[2],
                    to_unit_id=key[3],
                    quantity=quantity,
                )
            )
            summary.created += 1
        elif handover is None or handover.quantity == quantity:
            summary.unchanged += 1
        else:
            summary.changed(
                f"{month} {source}->{target}",
                {"quantity": handover.quantity},
                {"quantity": quantity},
            )
            if quantity:
                handover.quantity = quantity
                session.add(handover)
            else:
                session.delete(handover)
    session.flush()


def validate_service_rows(
    rows: Table, units: dict[str, Unit]
) -> tuple[list[tuple[int, str, str, float | None]], list[RowError]]:
    """Each row as ``(row number, provider, customer, weight)``, or why it is wrong; the
    weight is None when the file has no weight column, 0 when the relation ends."""
    errors: list[RowError] = []
    records = []
    seen: dict[tuple, int] = {}
    for row in rows:
        row_errors = _unit_errors(row, units, ("provider", "customer"))
        key = (row["provider"], row["customer"])
        if key in seen:
            row_errors.append(
                RowError(row.number, "customer", f"the same relation is already in row {seen[key]}")
            )
        seen.setdefault(key, row.number)
        weight = None if "weight" in rows.absent else 1.0
        if row["weight"]:
            weight, reason = parse_number(row["weight"], 0, 1e9)
            if reason:
                row_errors.append(RowError(row.number, "weight", reason))
        errors += row_errors
        if not row_errors:
            records.append((row.number, row["provider"], row["customer"], weight))
    return records, errors


def _in_order(entries: Iterable[ServiceRelation]) -> list[ServiceRelation]:
    """Entries oldest first: the one in force from the beginning, then by date."""
    return sorted(entries, key=lambda e: (e.effective_from is not None, e.effective_from))


def _entries(session: Session, plant: Plant) -> dict[tuple[int, int], list[ServiceRelation]]:
    """The stored entries of each pair of units of ``plant``, oldest first."""
    stored = session.exec(
        select(ServiceRelation)
        .join(Unit, col(Unit.id) == ServiceRelation.provider_unit_id)
        .where(Unit.plant_id == plant.id)
    )
    pairs: dict[tuple[int, int], list[ServiceRelation]] = defaultdict(list)
    for entry in _in_order(stored):
        pairs[(entry.provider_unit_id, entry.customer_unit_id)].append(entry)
    return pairs


def plan_service_relations(
    *,
    session: Session,
    plant: Plant,
    records: Sequence[tuple[int, str, str, float | None]],
    effective: date | None,
    closed: ClosedMonths,
) -> tuple[list[tuple[str, str, float, date | None]], list[RowError]]:
    """Decide which relations need an entry and from when it is in force.

    A pair listed for the first time is in force from the beginning while no month is closed,
    otherwise from ``effective`` (default: the first day after the closed months); a changed
    weight is in force from ``effective`` (default: today), which must not come before the
    pair's newest entry (on its date, it replaces that entry). Neither may change a
    ``closed`` month: a month counts the relations in force on its last day. Pairs whose
    weight did not change are left out, unless ``effective`` asks for it before its date; a
    record without a weight keeps the pair's own (a new pair weighs 1, an ended one is served
    again with the weight it had). Weight 0 ends a relation as a changed weight does; a pair
    never listed has none to end.
    """
    units = units_by_code(session=session, plant=plant)
    stored = _entries(session, plant)
    first_from = effective or first_open_day(closed) or date.today()
    changed_from = effective or date.today()
    plan: list[tuple[str, str, float, date | None]] = []
    errors: list[RowError] = []
    for number, provider, customer, weight in records:
        entries = stored.get((units[provider].id, units[customer].id), [])
        newest = entries[-1] if entries else None
        if weight is None:
            weight = next((entry.weight for entry in reversed(entries) if entry.weight), 1.0)
        since = newest.effective_from if newest is not None else None
        day = first_from if newest is None else changed_from
        if newest is None and not weight:
            continue  # not served: nothing to end
        if (
            newest is not None
            and newest.weight == weight
            and (effective is None or since is None or day >= since)
        ):
            continue  # in force already, or from the date it was given (no other date asked)
        if newest is None and closed.last is None:
            plan.append((provider, customer, weight, None))
        elif since is not None and day < since:
            was = f"its weight {newest.weight:g} took effect" if newest.weight else "it ended"
            errors.append(
                RowError(
                    number,
                    "weight",
                    f"{provider}->{customer}: {'the new weight' if weight else 'the end'} must"
                    f" take effect on or after {since}, when {was}, not {day}",
                )
            )
        elif reason := changes_closed_month(day, closed):
            change = "a weight" if weight else "an end"
            errors.append(RowError(number, "weight", f"{provider}->{customer}: {change} {reason}"))
        else:
            plan.append((provider, customer, weight, day))
    return plan, errors


def apply_service_relations(
    *,
    session: Session,
    plant: Plant,
    plan: Sequence[tuple[str, str, float, date | None]],
    rows: int,
    summary: ImportSummary,
) -> None:
    """Write the planned entries of ``rows`` listed relations (no commit)."""
    units = units_by_code(session=session, plant=plant)
    stored = _entries(session, plant)
    summary.unchanged += rows - len(plan)
    for provider, customer, weight, effective in plan:
        key = (units[provider].id, units[customer].id)
        entries = stored.get(key, [])
        if not entries:
            summary.created += 1
        else:
            newest = entries[-1]
            summary.changed(
                f"{provider}->{customer}",
                {"weight": newest.weight, "effective_from": newest.effective_from},
                {"weight": weight, "effective_from": effective},
            )
            if newest.effective_from == effective:  # replaced on the day it takes effect
                newest.weight = weight
                session.add(newest)
                continue
        session.add(
            ServiceRelation(
                provider_unit_id=key[0],
                customer_unit_id=key[1],
                effective_from=effective,
                weight=weight,
            )
        )
    session.flush()


def service_weights(
    *, session: Session, plant: Plant, days: Iterable[date]
) -> dict[date, dict[tuple[str, str], float]]:
    """The service relations in force on each of ``days``: ``(provider, customer) -> weight``
    (a relation ended by then is left out)."""
    codes = {unit.id: code for code, unit in units_by_code(session=session, plant=plant).items()}
    stored = _entries(session, plant)
    result: dict[date, dict[tuple[str, str], float]] = {}
    for day in days:
        weights = result[day] = {}
        for (provider, customer), entries in stored.items():
            in_force = [e for e in entries if e.effective_from is None or e.effective_from <= day]
            if in_force and in_force[-1].weight:
                weights[(codes[provider], codes[customer])] = in_force[-1].weight
    return result


def service_graph(*, session: Session, plant: Plant, day: date) -> nx.DiGraph:
    """The service relations in force on ``day``: each provider and customer a node, each
    relation an edge weighted as it counts in a form's weight (no edge: none in force)."""
    units = units_by_code(session=session, plant=plant)
    weights = service_weights(session=session, plant=plant, days=[day])[day]
    G = nx.DiGraph()
    for (provider, customer), weight in weights.items():
        for code in (provider, customer):
            G.add_node(code, name=units[code].name, kind=units[code].kind)
        G.add_edge(provider, customer, weight=weight)
    return G


def handover_graph(*, session: Session, plant: Plant, month: str) -> nx.DiGraph:
    """The units and what they handed over to each other in ``month`` (no edge: none recorded)."""
    units = {u.id: u for u in session.exec(select(Unit).where(Unit.plant_id == plant.id))}
    G = nx.DiGraph()
    rows = session.exec(
        select(Handover).where(Handover.plant_id == plant.id, Handover.month == month)
    )
    for row in rows:
        source, target = units[row.from_unit_id], units[row.to_unit_id]
        G.add_node(source.code, name=source.name, kind=source.kind)
        G.add_node(target.code, name=target.name, kind=target.kind)
        G.add_edge(source.code, target.code, weight=row.quantity)
    return G

"""Who supplies whom besides the routings: recorded handovers and service relations."""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
from sqlmodel import Session, select

from noac.errors import NoacError, RowError
from noac.models import Handover, Plant, ServiceRelation, Unit
from noac.services.masterdata import ImportSummary
from noac.services.periods import parse_month
from noac.tabular import Row
from noac.validation import parse_number


def _unit_errors(row: Row, units: dict[str, Unit], columns: Sequence[str]) -> list[RowError]:
    errors = [
        RowError(row.number, column, f"unknown unit '{row[column]}'")
        for column in columns
        if row[column] not in units
    ]
    if row[columns[0]] == row[columns[1]]:
        errors.append(RowError(row.number, columns[1], "a unit cannot supply itself"))
    return errors


def validate_handover_rows(
    rows: Sequence[Row], units: dict[str, Unit], closed: set[str]
) -> tuple[list[tuple[str, str, str, float]], list[RowError]]:
    errors: list[RowError] = []
    records = []
    seen: dict[tuple, int] = {}
    for row in rows:
        row_errors = _unit_errors(row, units, ("from", "to"))
        try:
            parse_month(row["month"])
        except NoacError as error:
            row_errors.append(RowError(row.number, "month", str(error)))
        if row["month"] in closed:
            row_errors.append(
                RowError(
                    row.number, "month", f"{row['month']} is closed: handovers can no longer change"
                )
            )
        quantity, reason = parse_number(row["quantity"], 0, 1e12)
        if reason or not quantity:
            row_errors.append(
                RowError(row.number, "quantity", reason or "the quantity must be above 0")
            )
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
    """Store validated monthly handover quantities (no commit)."""
    units = {u.code: u for u in session.exec(select(Unit).where(Unit.plant_id == plant.id))}
    for month, source, target, quantity in records:
        key = (plant.id, month, units[source].id, units[target].id)
        handover = session.get(Handover, key)
        if handover is None:
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
        elif handover.quantity != quantity:
            summary.changed(
                f"{month} {source}->{target}",
                {"quantity": handover.quantity},
                {"quantity": quantity},
            )
            handover.quantity = quantity
            session.add(handover)
        else:
            summary.unchanged += 1
    session.flush()


def validate_service_rows(
    rows: Sequence[Row], units: dict[str, Unit]
) -> tuple[list[tuple[str, str, float]], list[RowError]]:
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
        weight = 1.0
        if row["weight"]:
            weight, reason = parse_number(row["weight"], 0, 1e9)
            if reason or not weight:
                row_errors.append(
                    RowError(row.number, "weight", reason or "the weight must be above 0")
                )
        errors += row_errors
        if not row_errors:
            records.append((row["provider"], row["customer"], weight))
    return records, errors


def apply_service_relations(
    *, session: Session, plant: Plant, records: Sequence[tuple], summary: ImportSummary
) -> None:
    units = {u.code: u for u in session.exec(select(Unit).where(Unit.plant_id == plant.id))}
    for provider, customer, weight in records:
        key = (units[provider].id, units[customer].id)
        relation = session.get(ServiceRelation, key)
        if relation is None:
            session.add(
                ServiceRelation(provider_unit_id=key[0], customer_unit_id=key[1], weight=weight)
            )
            summary.created += 1
        elif relation.weight != weight:
            summary.changed(
                f"{provider}->{customer}", {"weight": relation.weight}, {"weight": weight}
            )
            relation.weight = weight
            session.add(relation)
        else:
            summary.unchanged += 1
    session.flush()


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

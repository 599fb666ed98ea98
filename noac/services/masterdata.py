"""Units and the defect-code catalogue of a plant."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, select

from noac.errors import RowError
from noac.models import UNIT_KINDS, DefectCode, Plant, Unit
from noac.tabular import Row, Table, split_list
from noac.validation import check_code, parse_number
from routing.trace import HANDLING

MAX_NOTES = 20  # lines of notes an import keeps


@dataclass
class ImportSummary:
    """What an import did: rows read and records created, changed or left as they were;
    ``changes``: what each changed record was and became (kept with the import's audit
    record; a changed score keeps its old value in the score's own history); ``notes``: what
    the importing user should know of the result, such as forms that do not count."""

    kind: str
    plant: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changes: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def note(self, notes: Sequence[str]) -> None:
        """Keep ``notes`` for the user (and the audit record): at most ``MAX_NOTES`` lines,
        the last saying how many more there were."""
        notes = [*self.notes, *notes]
        if len(notes) > MAX_NOTES:
            notes = [*notes[: MAX_NOTES - 1], f"… and {len(notes) - MAX_NOTES + 1} more like these"]
        self.notes = notes

    def changed(self, key: str, before: dict, after: dict) -> None:
        """Count one record updated, and keep what it was and became."""
        self.updated += 1
        self.changes.append({"key": key, "before": before, "after": after})

    def __str__(self) -> str:
        return "\n  ".join(
            [
                f"{self.kind} into plant {self.plant}: {self.rows} rows, {self.created} created,"
                f" {self.updated} updated, {self.unchanged} unchanged",
                *self.notes,
            ]
        )


def units_by_code(*, session: Session, plant: Plant) -> dict[str, Unit]:
    units = session.exec(select(Unit).where(Unit.plant_id == plant.id).order_by(Unit.code))
    return {unit.code: unit for unit in units}


def list_units(*, session: Session, plant: Plant) -> list[Unit]:
    return list(units_by_code(session=session, plant=plant).values())


def defect_codes_by_code(*, session: Session, plant: Plant) -> dict[str, DefectCode]:
    codes = session.exec(
        select(DefectCode).where(DefectCode.plant_id == plant.id).order_by(DefectCode.code)
    )
    return {code.code: code for code in codes}


def _duplicates(rows: Sequence[Row], column: str) -> list[RowError]:
    first: dict[str, int] = {}
    errors = []
    for row in rows:
        value = row[column]
        if value in first:
            errors.append(
                RowError(row.number, column, f"'{value}' already appears in row {first[value]}")
            )
        else:
            first[value] = row.number
    return errors


def _with_stored(row: Row, absent: Collection[str], stored: Mapping[str, str]) -> Row:
    """``row`` with the cells of the optional columns its file lacks taken from ``stored``:
    what the record already stored holds there, as a file holds it."""
    cells = list(row.cells)
    for column in absent:
        cells[row.columns[column]] = stored[column]
    return Row(row.number, tuple(cells), row.columns)


def _unit_cells(unit: Unit, parents: Mapping[int, str]) -> dict[str, str]:
    """The optional cells of a stored unit (``parents``: each unit's code by id)."""
    return {
        "categories": unit.categories,
        "target": "" if unit.target is None else repr(unit.target),
        "parent": parents.get(unit.parent_id, ""),
    }


def validate_unit_rows(
    rows: Table,
    existing: dict[str, Unit],
    in_use: Mapping[tuple[str, str], str],
) -> tuple[list[dict], list[RowError]]:
    """Check unit rows; return the cleaned records and every error. ``in_use``: for each
    (unit, category) the newest routings use, where (``part op``). An optional column the
    file lacks keeps what a unit already stored holds there (a file of codes, names and kinds
    renames units)."""
    errors = _duplicates(rows, "code")
    codes = {row["code"] for row in rows} | set(existing)
    code_of = {unit.id: code for code, unit in existing.items()}
    records = []
    for row in rows:
        if rows.absent and (unit := existing.get(row["code"])):
            row = _with_stored(row, rows.absent, _unit_cells(unit, code_of))
        record: dict = {"row": row.number, "code": row["code"], "name": row["name"]}
        if reason := check_code(row["code"], "unit code"):
            errors.append(RowError(row.number, "code", reason))
        if not row["name"]:
            errors.append(RowError(row.number, "name", "name is empty"))
        elif len(row["name"]) > 200:
            errors.append(RowError(row.number, "name", "name is longer than 200 characters"))
        kind = row["kind"].lower()
        if kind not in UNIT_KINDS:
            errors.append(
                RowError(
                    row.number, "kind", f"'{row['kind']}' is not one of {', '.join(UNIT_KINDS)}"
                )
            )
        record["kind"] = kind
        categories = split_list(row["categories"])
        for category in categories:
            if reason := check_code(category, "category"):
                errors.append(RowError(row.number, "categories", reason))
        if len(set(categories)) != len(categories):
            errors.append(RowError(row.number, "categories", "a category is listed twice"))
        errors += [
            RowError(
                row.number,
                "categories",
                f"'{category}' is used by the routing of {where}: import the routings without"
                " it first",
            )
            for (unit, category), where in sorted(in_use.items())
            if unit == row["code"] and category not in categories
        ]
        record["categories"] = ";".join(categories)
        if len(record["categories"]) > 1000:
            errors.append(
                RowError(row.number, "categories", "the categories are longer than 1000 characters")
            )
        record["target"] = None
        if row["target"]:
            target, reason = parse_number(row["target"], 0, 100)
            if reason:
                errors.append(RowError(row.number, "target", reason))
            record["target"] = target
        parent = row["parent"]
        if parent and parent not in codes:
            errors.append(RowError(row.number, "parent", f"unknown parent unit '{parent}'"))
        elif parent and parent == row["code"]:
            errors.append(RowError(row.number, "parent", "a unit cannot be its own parent"))
        record["parent"] = parent or None
        records.append(record)
    errors += _parent_cycles(records, existing)
    return records, errors


def _parent_cycles(records: Sequence[dict], existing: dict[str, Unit]) -> list[RowError]:
    """A row whose unit would belong, through its parents, to itself."""
    code_of = {unit.id: code for code, unit in existing.items()}
    parents = {code: code_of.get(unit.parent_id) for code, unit in existing.items()}
    parents |= {record["code"]: record["parent"] for record in records}
    errors = []
    for record in records:
        chain = [record["code"]]
        while (parent := parents.get(chain[-1])) and parent not in chain:
            chain.append(parent)
        if parent == record["code"]:
            errors.append(
                RowError(
                    record["row"],
                    "parent",
                    f"the parents go round in a circle: {' -> '.join([*chain, parent])}",
                )
            )
    return errors


def apply_units(
    *, session: Session, plant: Plant, records: Sequence[dict], summary: ImportSummary
) -> None:
    """Create or update units from validated records (no commit)."""
    existing = units_by_code(session=session, plant=plant)
    code_of = {unit.id: code for code, unit in existing.items()}
    created, changed = 0, {}
    for record in records:
        unit = existing.get(record["code"])
        values = {k: record[k] for k in ("name", "kind", "categories", "target")}
        if unit is None:
            unit = Unit(plant_id=plant.id, code=record["code"], **values)
            session.add(unit)
            existing[unit.code] = unit
            created += 1
        else:
            was = {k: getattr(unit, k) for k in values} | {"parent": code_of.get(unit.parent_id)}
            if was != values | {"parent": record["parent"]}:
                changed[unit.code] = was
                for key, value in values.items():
                    setattr(unit, key, value)
    session.flush()
    for record in records:
        unit = existing[record["code"]]
        unit.parent_id = existing[record["parent"]].id if record["parent"] else None
        if unit.code in changed:
            after = {k: record[k] for k in ("name", "kind", "categories", "target", "parent")}
            summary.changed(unit.code, changed[unit.code], after)
    summary.created += created
    summary.unchanged += len(records) - created - len(changed)
    session.flush()


def catalogue_spelling(codes: Mapping[str, DefectCode]) -> Callable[[str | None], str | None]:
    """A reading of defect codes as the catalogue ``codes`` writes them, whatever their case and
    the spaces around them ("pit-face" is PIT-FACE); a code outside the catalogue as given.

    >>> spelled = catalogue_spelling({"PIT-FACE": None})
    >>> spelled(" pit-face"), spelled("SCRATCH"), spelled(None)
    ('PIT-FACE', 'SCRATCH', None)
    """
    by_casefold = {code.casefold(): code for code in codes}

    def spelled(code: str | None) -> str | None:
        if not code or code in codes:
            return code
        return by_casefold.get(code.strip().casefold(), code)

    return spelled


def validate_defect_code_rows(
    rows: Table, known_categories: set[str], existing: dict[str, DefectCode]
) -> tuple[list[dict], list[RowError]]:
    """Check defect-code rows against the categories the plant's units perform. A file
    without the origins column keeps the origins of the codes already stored."""
    errors = _duplicates(rows, "code")
    records = []
    for row in rows:
        if "origins" in rows.absent and (code := existing.get(row["code"])):
            row = _with_stored(row, rows.absent, {"origins": code.origins})
        if reason := check_code(row["code"], "defect code"):
            errors.append(RowError(row.number, "code", reason))
        if not row["name"]:
            errors.append(RowError(row.number, "name", "name is empty"))
        elif len(row["name"]) > 200:
            errors.append(RowError(row.number, "name", "name is longer than 200 characters"))
        origins = list(dict.fromkeys(split_list(row["origins"])))
        if len(";".join(origins)) > 1000:
            errors.append(
                RowError(row.number, "origins", "the origins are longer than 1000 characters")
            )
        for origin in origins:
            if origin != HANDLING and origin not in known_categories:
                errors.append(
                    RowError(
                        row.number,
                        "origins",
                        f"'{origin}' is neither '{HANDLING}' nor a category any unit performs",
                    )
                )
        records.append({"code": row["code"], "name": row["name"], "origins": ";".join(origins)})
    return records, errors


def apply_defect_codes(
    *, session: Session, plant: Plant, records: Sequence[dict], summary: ImportSummary
) -> None:
    existing = defect_codes_by_code(session=session, plant=plant)
    for record in records:
        code = existing.get(record["code"])
        if code is None:
            session.add(DefectCode(plant_id=plant.id, **record))
            summary.created += 1
        elif (code.name, code.origins) != (record["name"], record["origins"]):
            summary.changed(
                code.code,
                {"name": code.name, "origins": code.origins},
                {"name": record["name"], "origins": record["origins"]},
            )
            code.name, code.origins = record["name"], record["origins"]
        else:
            summary.unchanged += 1
    session.flush()

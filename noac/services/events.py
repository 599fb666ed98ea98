"""Import a production event log (MES/ERP operation reports) through a mapping file.

``noac import events FILE --map MAPPING`` reads a CSV or XLSX log of operation
reports (order, part, activity, resource, start, end, quantities) and, in one
transaction with one audit record:

1. creates the units the mapping names that do not exist yet;
2. stores, per part, the operation graph observed over all its orders as an
   *observed* routing version (``source="observed"``), beside any declared one;
3. stores the monthly handovers between units (who scores whom, edge weights);
4. reports a quality problem for every production row with rejected parts,
   traced over the order's own operation sequence.

The mapping (TOML) and every rule are described in ``docs/EVENTS.md``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import tomllib
from collections import Counter, defaultdict
from collections.abc import Callable, Container, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

import networkx as nx
import openpyxl
from sqlmodel import Session, col, select

from noac.errors import ImportRejected, NoacError, RowError, unreadable
from noac.models import (
    DISPOSITIONS,
    SEVERITIES,
    UNIT_KINDS,
    Handover,
    Part,
    Plant,
    ProblemEscape,
    ProblemEvent,
    ProblemResponsibility,
    QualityProblem,
    Unit,
)
from noac.services import audit
from noac.services.access import Actor, require
from noac.services.masterdata import (
    ImportSummary,
    catalogue_spelling,
    defect_codes_by_code,
    units_by_code,
)
from noac.services.periods import first_open_month, lock_closed_months, month_of
from noac.services.plants import plant_for_import
from noac.services.routings import (
    all_routing_versions,
    apply_routings,
    content_hash,
    in_force,
    plan_routing_versions,
)
from noac.services.scoring import uncounted_forms
from noac.tabular import Row, read_table
from noac.validation import check_code, check_text
from routing import Operation, sequence_graph, validate_routing
from routing.trace import Tracer, TraceResult

COLUMNS_REQUIRED = ("order", "part", "activity", "resource", "start", "done", "rejected")
COLUMNS_OPTIONAL = ("end", "review", "rework", "report_type", "code")
MAX_OP = 40
MAX_CODE = 40
MAX_LISTED = 20  # replaced quantities the summary lists one by one
UNIT_KEYS = ("name", "kind", "category", "categories")
RULE_KEYS = (
    "unit",
    "activity",
    "resource",
    "activity_is",
    "resource_is",
    "op",
    "category",
    "inspection",
)
MAX_REF = 40
MAX_PART = 80
MAX_QUANTITY = 1_000_000_000
NO_START_REASON = "no start time"
REWORK_WORDS = {"y", "yes", "1", "true", "x"}


# --------------------------------------------------------------------------- mapping


@dataclass(frozen=True)
class UnitSpec:
    """A unit the mapping may create: code, name, kind and categories (first = default)."""

    code: str
    name: str
    kind: str
    categories: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    """Rows whose activity/resource match go to ``unit`` (first matching rule wins)."""

    index: int
    unit: str
    activity: re.Pattern | None = None
    resource: re.Pattern | None = None
    activity_is: str | None = None
    resource_is: str | None = None
    op: str | None = None
    category: str | None = None
    inspection: bool | None = None

    def matches(self, activity: str, resource: str) -> bool:
        if self.activity_is is not None and activity != self.activity_is:
            return False
        if self.resource_is is not None and resource != self.resource_is:
            return False
        if self.activity is not None and not self.activity.fullmatch(activity):
            return False
        if self.resource is not None and not self.resource.fullmatch(resource):
            return False
        return True


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping file: columns, production filter, units and rules."""

    columns: dict[str, str]
    production_value: str | None
    timestamp_format: str | None
    units: dict[str, UnitSpec]
    rules: tuple[Rule, ...]
    severity: str = "minor"
    code: str = ""
    disposition: str | None = None
    settle: bool = False

    def resolve(self, activity: str, resource: str) -> tuple[Rule, UnitSpec] | None:
        for rule in self.rules:
            if rule.matches(activity, resource):
                return rule, self.units[rule.unit]
        return None


def _fail(source: str, where: str, reason: str) -> ImportRejected:
    return ImportRejected(source, [RowError(None, where, reason)])


def _text(table: dict, key: str, where: str, source: str, *, required: bool = False) -> str | None:
    value = table.get(key)
    if value is None:
        if required:
            raise _fail(source, where, f"'{key}' is missing")
        return None
    if not isinstance(value, str) or not value.strip():
        raise _fail(source, where, f"'{key}' must be a non-empty text, not {value!r}")
    return value


def _pattern(table: dict, key: str, where: str, source: str) -> re.Pattern | None:
    text = _text(table, key, where, source)
    if text is None:
        return None
    try:
        return re.compile(text)
    except re.error as error:
        reason = f"'{key}' = {text!r} is not a regular expression: {error}"
        raise _fail(source, where, reason) from None


def _only(table: dict, keys: Sequence[str], where: str, source: str) -> None:
    """Refuse a key of the mapping's ``table`` (at ``where``) that is not one of ``keys``."""
    for key in table:
        if key not in keys:
            raise _fail(source, f"{where}.{key}", f"unknown field (expected: {', '.join(keys)})")


def _table(data: dict, name: str, keys: Sequence[str], source: str) -> dict:
    """The optional table ``name`` of a mapping, holding none but ``keys``."""
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise _fail(source, name, f"must be a table ([{name}])")
    _only(table, keys, name, source)
    return table


def load_mapping(path: str | Path | None = None, *, text: str | None = None) -> Mapping:
    """Read and check a mapping file (TOML); see ``docs/EVENTS.md``.

    Raises
    ------
    ImportRejected
        Naming the table, key and value that is wrong.
    """
    source = str(path or "mapping")
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")  # type: ignore[arg-type]
        except (OSError, UnicodeDecodeError) as error:
            raise _fail(source, "", f"cannot read the mapping: {unreadable(error)}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _fail(source, "", f"not a TOML file: {error}") from None
    known = {"columns", "production", "problems", "units", "rules"}
    for key in data:
        if key not in known:
            raise _fail(source, key, f"unknown table (expected: {', '.join(sorted(known))})")
    columns_table = data.get("columns")
    if not isinstance(columns_table, dict):
        raise _fail(source, "columns", "the [columns] table is missing")
    _only(columns_table, (*COLUMNS_REQUIRED, *COLUMNS_OPTIONAL), "columns", source)
    columns: dict[str, str] = {}
    for key in columns_table:
        columns[key] = _text(columns_table, key, f"columns.{key}", source) or ""
    for key in COLUMNS_REQUIRED:
        if key not in columns:
            raise _fail(source, f"columns.{key}", "required field is missing")
    production = _table(data, "production", ("report_type", "timestamp_format"), source)
    production_value = _text(production, "report_type", "production.report_type", source)
    if production_value is not None and "report_type" not in columns:
        raise _fail(
            source, "production.report_type", "needs columns.report_type to name the column"
        )
    timestamp_format = _text(production, "timestamp_format", "production.timestamp_format", source)
    problems_table = _table(
        data, "problems", ("severity", "code", "disposition", "responsibility"), source
    )
    severity = _text(problems_table, "severity", "problems.severity", source) or "minor"
    if severity not in SEVERITIES:
        raise _fail(
            source, "problems.severity", f"'{severity}' is not one of {', '.join(SEVERITIES)}"
        )
    code = problems_table.get("code", "")
    if not isinstance(code, str):
        raise _fail(source, "problems.code", f"'code' must be a text, not {code!r}")
    if reason := check_text(code.strip(), "the code", MAX_CODE):
        raise _fail(source, "problems.code", reason)
    code = code.strip()
    disposition = _text(problems_table, "disposition", "problems.disposition", source) or None
    if disposition is not None and disposition not in DISPOSITIONS:
        raise _fail(
            source,
            "problems.disposition",
            f"'{disposition}' is not one of {', '.join(DISPOSITIONS)}",
        )
    settle = problems_table.get("responsibility", "proposed")
    if settle not in ("proposed", "traced"):
        raise _fail(
            source,
            "problems.responsibility",
            f"'{settle}' is not 'proposed' (units answer) or 'traced' (the trace decides)",
        )
    units: dict[str, UnitSpec] = {}
    units_table = data.get("units")
    if not isinstance(units_table, dict) or not units_table:
        raise _fail(source, "units", "the mapping names no unit ([units.CODE] tables)")
    for unit_code, spec in units_table.items():
        where = f"units.{unit_code}"
        if reason := check_code(unit_code, "unit code"):
            raise _fail(source, where, reason)
        if not isinstance(spec, dict):
            raise _fail(source, where, "must be a table with name, kind and category")
        _only(spec, UNIT_KEYS, where, source)
        kind = _text(spec, "kind", where, source, required=True) or ""
        if kind not in UNIT_KINDS:
            raise _fail(source, where, f"kind '{kind}' is not one of {', '.join(UNIT_KINDS)}")
        raw = spec.get("categories", [spec["category"]] if "category" in spec else None)
        if not isinstance(raw, list) or not raw:
            raise _fail(source, where, "name a 'category' (or a list 'categories')")
        for category in raw:
            if reason := check_code(str(category), "category"):
                raise _fail(source, where, reason)
        name = spec.get("name", unit_code)
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise _fail(source, where, f"name {name!r} must be a text of 1-200 characters")
        units[unit_code] = UnitSpec(unit_code, name, kind, tuple(str(c) for c in raw))
    rules = []
    rules_table = data.get("rules")
    if not isinstance(rules_table, list) or not rules_table:
        raise _fail(source, "rules", "the mapping has no [[rules]]")
    for index, spec in enumerate(rules_table, start=1):
        where = f"rules[{index}]"
        if not isinstance(spec, dict):
            raise _fail(
                source, where, "must be a table ([[rules]]) with a unit and what it matches"
            )
        unit = _text(spec, "unit", where, source, required=True) or ""
        if unit not in units:
            raise _fail(source, where, f"unit '{unit}' is not defined in [units]")
        _only(spec, RULE_KEYS, where, source)
        rule = Rule(
            index=index,
            unit=unit,
            activity=_pattern(spec, "activity", where, source),
            resource=_pattern(spec, "resource", where, source),
            activity_is=_text(spec, "activity_is", where, source),
            resource_is=_text(spec, "resource_is", where, source),
            op=_text(spec, "op", where, source),
            category=_text(spec, "category", where, source),
            inspection=spec.get("inspection"),
        )
        if not any((rule.activity, rule.resource, rule.activity_is, rule.resource_is)):
            raise _fail(source, where, "name activity, resource, activity_is or resource_is")
        if rule.category and rule.category not in units[unit].categories:
            raise _fail(
                source,
                where,
                f"category '{rule.category}' is not among the categories of unit {unit}"
                f" ({', '.join(units[unit].categories)})",
            )
        if rule.op and (len(rule.op) > MAX_OP or ";" in rule.op):
            raise _fail(source, where, f"op {rule.op!r}: at most {MAX_OP} characters, no ';'")
        if rule.inspection is not None and not isinstance(rule.inspection, bool):
            raise _fail(source, where, f"inspection must be true or false, not {rule.inspection!r}")
        rules.append(rule)
    return Mapping(
        columns=columns,
        production_value=production_value,
        timestamp_format=timestamp_format,
        units=units,
        rules=tuple(rules),
        severity=severity,
        code=str(code),
        disposition=disposition,
        settle=settle == "traced",
    )


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Event:
    """One production row of the log, resolved to a unit and an operation."""

    number: int
    order: str
    part: str
    activity: str
    resource: str
    unit: str
    category: str
    inspection: bool
    op_name: str
    start: datetime
    end: datetime | None
    done: float
    rejected: int
    review: float
    rework: bool
    code: str

    @property
    def sort_key(self) -> tuple:
        """An order's rows by start, then end, then by their values, so that rows with the same
        times follow one another the same way in whatever order the log lists them: activity,
        resource, then the larger quantities first (a report of parts before an empty one of
        the same time, whose parts a handover would otherwise miss). The row number decides
        only between rows alike in every value: it changes nothing but which of their
        problems bears which row in its id."""
        return (
            self.start,
            self.end or self.start,
            self.end is None,
            self.activity,
            self.resource,
            -self.done,
            -self.rejected,
            -self.review,
            self.rework,
            self.code,
            self.number,
        )

    @property
    def found_on(self) -> date:
        return (self.end or self.start).date()


def _header(data: bytes, name: str) -> list[str]:
    if name.lower().endswith(".xlsx"):
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
            for record in workbook.worksheets[0].iter_rows(values_only=True):
                cells = ["" if c is None else str(c).strip() for c in record]
                if any(cells):
                    return cells
        except Exception:  # read_table reports a broken workbook with its reason
            return []
        return []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return []
    for record in csv.reader(io.StringIO(text)):
        cells = [c.strip() for c in record]
        if any(cells):
            return cells
    return []


def _timestamp(value: str, fmt: str | None) -> datetime:
    """Parse with the mapping's format; ISO 8601 is always accepted too (XLSX date cells)."""
    if fmt:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            pass
    return datetime.fromisoformat(value)


# ASCII digits with an optional decimal point; thousands commas only where a decimal point
# follows them (``1,234.5``): ``1,234`` and ``1.000,0`` could be read either way
QUANTITY = re.compile(r"[0-9]+(\.[0-9]+)?|[0-9]{1,3}(,[0-9]{3})+\.[0-9]+")


def _time_refused(moment: datetime, zoned: bool | None, today: date) -> str | None:
    """Why a time read from the log cannot be used (given whether the times read before it
    have a UTC offset, and today's date), or None."""
    if zoned is not None and (moment.tzinfo is not None) != zoned:
        return (
            f"{moment.isoformat(sep=' ')} "
            + (
                "has a UTC offset, the earlier times none"
                if not zoned
                else "has no UTC offset, the earlier times one"
            )
            + ": give every time the same way"
        )
    if moment.date() > today:
        return f"{moment.date()} is in the future"
    return None


def _quantity(value: str) -> float:
    if not value:
        return 0.0
    if not QUANTITY.fullmatch(value):
        raise ValueError(value)
    number = float(value.replace(",", ""))
    if number > MAX_QUANTITY:
        raise ValueError(value)
    return number


def _slug_op(text: str) -> str:
    text = text.replace(";", ",").strip()
    if len(text) <= MAX_OP:
        return text
    digest = hashlib.sha1(text.encode()).hexdigest()[:6]
    return f"{text[: MAX_OP - 7]}~{digest}"


@dataclass
class EventsSummary:
    """What an events import did."""

    plant: str
    file: str
    rows: int = 0
    production_rows: int = 0
    orders: int = 0
    orders_in_file: int = 0
    parts: int = 0
    units: int = 0
    units_created: list[str] = field(default_factory=list)
    routings_created: int = 0
    routings_updated: int = 0
    routings_unchanged: int = 0
    handovers: int = 0
    handovers_created: int = 0
    handover_months: list[str] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)  # each handover quantity replaced
    problems: int = 0
    problems_unchanged: int = 0  # rejects of the log already stored
    problems_moved: int = 0  # of those, stored under another row number
    rejected_parts: int = 0
    traced: int = 0
    undetermined: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # forms left out, rows reporting alike
    seconds: float = 0.0

    @property
    def changed_nothing(self) -> bool:
        """Whether the import left the plant as it was (the same log imported again)."""
        return not (
            self.units_created
            or self.routings_created
            or self.routings_updated
            or self.handovers_created
            or self.changes
            or self.problems
        )

    def __str__(self) -> str:
        lines = [
            f"events from {self.file} into plant {self.plant}:",
            f"  rows: {self.rows} ({self.production_rows} production rows)",
            f"  orders: {self.orders_in_file} in the file, {self.orders} with production rows",
            f"  parts: {self.parts} (observed routings: {self.routings_created} created,"
            f" {self.routings_updated} updated, {self.routings_unchanged} unchanged)",
            f"  units: {self.units} ({len(self.units_created)} created"
            + (f": {', '.join(self.units_created)})" if self.units_created else ")"),
            f"  handovers: {self.handovers} (month, from unit, to unit) quantities, months"
            f" {', '.join(self.handover_months) or '-'}"
            + (
                f"; {len(self.changes)} stored"
                f" {'quantity' if len(self.changes) == 1 else 'quantities'} replaced:"
                if self.changes
                else ""
            ),
            *(
                f"    {c['key']}: {c['before']['quantity']:g} -> {c['after']['quantity']:g}"
                for c in self.changes[:MAX_LISTED]
            ),
            *(
                [f"    ... and {len(self.changes) - MAX_LISTED} more (in the audit trail)"]
                if len(self.changes) > MAX_LISTED
                else []
            ),
            f"  problems: {self.problems} created ({self.rejected_parts} rejected parts),"
            f" {self.problems_unchanged} rejects already stored"
            + (
                f" ({self.problems_moved} of them from another row number)"
                if self.problems_moved
                else ""
            )
            + f"; {self.traced} traced to a unit",
        ]
        for reason, count in sorted(self.undetermined.items()):
            lines.append(f"    undetermined: {count} ({reason})")
        skipped = sum(self.skipped.values())
        lines.append(f"  rows skipped: {skipped}")
        lines[0] += f" ({self.seconds:.1f} s)"
        for reason, count in sorted(self.skipped.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"    {count}: {reason}")
        lines += (f"  {note}" for note in self.notes[:MAX_LISTED])
        if len(self.notes) > MAX_LISTED:
            lines.append(f"  ... and {len(self.notes) - MAX_LISTED} more (in the audit trail)")
        return "\n".join(lines)


@dataclass
class LogContents:
    """What :func:`read_events` found: production events and facts about every row."""

    events: list[Event]
    rows: int
    skipped: Counter
    orders: set[str]
    units: dict[str, set[str]]


def read_events(path: str | Path, mapping: Mapping, *, data: bytes | None = None) -> LogContents:
    """Read the log: its production events, the skipped rows' reasons, and the orders and
    units (with their categories) of every row. Every row's resource/activity must match a
    rule, production row or not, so the mapping covers the whole log.

    Raises
    ------
    ImportRejected
        With every row whose mapped value is wrong (row, column, value).
    """
    name = str(path)
    if data is None:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise _fail(name, "", f"cannot read the file: {exc.strerror}") from None
    header = [h.lower() for h in _header(data, name)]
    wanted = {key: column.lower() for key, column in mapping.columns.items()}
    required = tuple(dict.fromkeys(wanted.values()))
    optional = tuple(h for h in dict.fromkeys(header) if h and h not in required)
    rows = read_table(path, required, optional, data=data)
    errors: list[RowError] = []
    skipped: Counter = Counter()
    events: list[Event] = []
    column = mapping.columns

    def value(row: Row, key: str) -> str:
        return row[wanted[key]] if key in wanted else ""

    orders: set[str] = set()
    seen_units: dict[str, set[str]] = defaultdict(set)
    zoned: bool | None = None  # whether the log's first time read has a UTC offset
    today = date.today()
    for row in rows:
        order, part = value(row, "order"), value(row, "part")
        activity, resource = value(row, "activity"), value(row, "resource")
        resolved = mapping.resolve(activity, resource)
        if resolved is None:
            errors.append(
                RowError(
                    row.number,
                    column["resource"],
                    f"no mapping rule matches resource '{resource}' / activity '{activity}'",
                )
            )
            continue
        seen_units[resolved[1].code].add(resolved[0].category or resolved[1].categories[0])
        if order:
            orders.add(order)
        if mapping.production_value is not None:
            kind = value(row, "report_type")
            if kind != mapping.production_value:
                skipped[f"not a production row ({column['report_type']} '{kind}')"] += 1
                continue
        bad = False
        if not order:
            errors.append(RowError(row.number, column["order"], "the order is empty"))
            bad = True
        if not part:
            errors.append(RowError(row.number, column["part"], "the part is empty"))
            bad = True
        elif len(part) > MAX_PART or ";" in part:
            errors.append(
                RowError(
                    row.number, column["part"], f"part '{part}': at most 80 characters, no ';'"
                )
            )
            bad = True
        if reason := check_text(value(row, "code"), "the defect code", MAX_CODE):
            errors.append(RowError(row.number, column["code"], reason))
            bad = True
        quantities = {}
        for key in ("done", "rejected", "review"):
            try:
                quantities[key] = _quantity(value(row, key))
            except ValueError:
                errors.append(
                    RowError(
                        row.number,
                        column[key],
                        f"'{value(row, key)}' is not a quantity (a number from 0 such as 12,"
                        " 12.5 or 1,234.5)",
                    )
                )
                bad = True
        if "rejected" in quantities and not float(quantities["rejected"]).is_integer():
            errors.append(
                RowError(
                    row.number,
                    column["rejected"],
                    f"'{value(row, 'rejected')}' is not a whole number of parts",
                )
            )
            bad = True
        times: dict[str, datetime | None] = {"start": None, "end": None}
        for key in times:
            text = value(row, key)
            if not text:
                continue
            try:
                moment = times[key] = _timestamp(text, mapping.timestamp_format)
            except ValueError:
                reason = (
                    f"'{text}' is not a time"
                    f" ({mapping.timestamp_format or 'ISO 8601, e.g. 2012-01-29 23:24'})"
                )
            else:
                reason = _time_refused(moment, zoned, today)
                zoned = moment.tzinfo is not None if zoned is None else zoned
            if reason:
                errors.append(RowError(row.number, column[key], reason))
                bad = True
        if bad:
            continue
        start, end = times["start"], times["end"]
        if start is not None and end is not None and end < start:
            reason = f"'{value(row, 'end')}' is before the start '{value(row, 'start')}'"
            errors.append(RowError(row.number, column["end"], reason))
            continue
        if start is None:
            rejected = int(quantities["rejected"])
            reason = NO_START_REASON + (" (rows with rejects among them)" if rejected else "")
            skipped[reason] += 1
            continue
        rule, unit = resolved
        inspection = rule.inspection if rule.inspection is not None else unit.kind == "inspection"
        events.append(
            Event(
                number=row.number,
                order=order,
                part=part,
                activity=activity,
                resource=resource,
                unit=unit.code,
                category=rule.category or unit.categories[0],
                inspection=inspection,
                op_name=rule.op or activity or unit.code,
                start=start,
                end=end,
                done=quantities["done"],
                rejected=int(quantities["rejected"]),
                review=quantities["review"],
                rework=value(row, "rework").strip().lower() in REWORK_WORDS,
                code=value(row, "code") or mapping.code,
            )
        )
    if errors:
        raise ImportRejected(name, errors)
    return LogContents(events, len(rows), skipped, orders, dict(seen_units))


# --------------------------------------------------------------------------- analysis


def _op_ids(events: Sequence[Event]) -> dict[tuple[str, str, str], str]:
    """Operation id of each (part, unit, op name): the name, or ``name@UNIT`` when the
    same name occurs at several units of the part."""
    units_of: dict[tuple[str, str], set[str]] = defaultdict(set)
    for e in events:
        units_of[(e.part, e.op_name)].add(e.unit)
    ids = {}
    for e in events:
        key = (e.part, e.unit, e.op_name)
        if key not in ids:
            shared = len(units_of[(e.part, e.op_name)]) > 1
            ids[key] = _slug_op(f"{e.op_name}@{e.unit}" if shared else e.op_name)
    return ids


def observed_operations(
    orders: dict[str, list[Event]], op_ids: dict[tuple[str, str, str], str]
) -> dict[str, list[Operation]]:
    """Each part's observed operations: one per (unit, operation name), in order of first
    appearance, with the category and inspection of its first row (by ``Event.sort_key``);
    ``after`` = the operations that directly preceded it in some order."""
    nodes: dict[str, dict[str, Operation]] = defaultdict(dict)
    preds: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    first_seen: dict[str, dict[str, tuple]] = defaultdict(dict)
    for events in orders.values():
        previous = None
        for e in events:
            op = op_ids[(e.part, e.unit, e.op_name)]
            if op not in nodes[e.part] or e.sort_key < first_seen[e.part][op]:
                nodes[e.part][op] = Operation(op, e.unit, e.category, (), e.inspection)
                first_seen[e.part][op] = e.sort_key
            if previous is not None and previous != op:
                preds[e.part][op].add(previous)
            previous = op
    result = {}
    for part, ops in nodes.items():
        ordered = sorted(ops, key=lambda op: (first_seen[part][op], op))
        result[part] = [
            Operation(
                op,
                ops[op].unit,
                ops[op].category,
                tuple(sorted(preds[part][op])),
                ops[op].inspection,
            )
            for op in ordered
        ]
    return result


def order_graph(events: Sequence[Event], op_ids: dict[tuple[str, str, str], str]) -> nx.DiGraph:
    """The path graph of an order's production rows (rework loops kept, self-steps dropped)."""
    return sequence_graph(
        Operation(op_ids[(e.part, e.unit, e.op_name)], e.unit, e.category, inspection=e.inspection)
        for e in events
    )


def handovers(orders: dict[str, list[Event]]) -> dict[tuple[str, str, str], float]:
    """Quantity handed from unit u to v per month, from consecutive production rows of an
    order at different units.

    The quantity is what u completed in its run of rows before the order moved on;
    when u reported none, what v reported (completed + rejected + to review); when
    neither reported a quantity the move still counts as 1. The month is that of the
    receiving row's start.
    """
    result: dict[tuple[str, str, str], float] = defaultdict(float)
    for events in orders.values():
        run_done = 0.0
        for before, after in zip(events, events[1:], strict=False):
            run_done += before.done
            if before.unit == after.unit:
                continue
            quantity = run_done or (after.done + after.rejected + after.review) or 1.0
            result[(after.start.strftime("%Y-%m"), before.unit, after.unit)] += quantity
            run_done = 0.0
    return dict(result)


def _ref(order: str, number: int, taken: Container[str] = ()) -> str:
    """``ORDER/rROW``, or ``ORDER/rROW-2``, ``-3`` ... where a problem of the plant bears it
    already (the reject of row ``ROW`` of another log)."""
    suffix, n = f"/r{number}", 1
    while True:
        head = order
        if len(order) + len(suffix) > MAX_REF:
            digest = hashlib.sha1(order.encode()).hexdigest()[:6]
            head = f"{order[: MAX_REF - len(suffix) - 7]}~{digest}"
        if f"{head}{suffix}" not in taken:
            return f"{head}{suffix}"
        n += 1
        suffix = f"/r{number}-{n}"


def reject_key(what: str, part: str, found_on: date, occurrence: int) -> str:
    """A reject's identity, whatever its row in the log: what was rejected where in which
    order (``what``, the head of its description: "2 rejected at Final Q.C. (Quality Check
    1), order A"), its part, the day it was found, and which of the log's rejects alike in
    all these it is (1, 2 ...). A log exported again, its rows moved, reordered or extended,
    gives each of its rejects the same key (docs/EVENTS.md)."""
    text = json.dumps([what, part, found_on.isoformat(), occurrence], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _identical_rejects(orders: dict[str, list[Event]]) -> list[str]:
    """A note for each reject the log reports on several rows alike in every value read."""
    rows: dict[Event, list[int]] = defaultdict(list)
    for events in orders.values():
        for e in events:
            if e.rejected > 0:
                rows[replace(e, number=0)].append(e.number)
    return [
        f"rows {', '.join(map(str, numbers[:-1]))} and {numbers[-1]} report the same reject"
        " (every value alike): a problem each"
        for numbers in sorted(sorted(numbers) for numbers in rows.values() if len(numbers) > 1)
    ]


def _undetermined_reason(G: nx.DiGraph, found: str) -> str:
    unit = G.nodes[found]["unit"]
    upstream = nx.ancestors(G, found)
    if not any(G.nodes[op]["unit"] != unit for op in upstream):
        return "found at the order's first unit: nothing upstream"
    return "only inspections upstream at other units"


# --------------------------------------------------------------------------- import


def import_events(
    *,
    session: Session,
    path: str | Path,
    mapping_path: str | Path | None = None,
    mapping: Mapping | None = None,
    plant_code: str | None = None,
    actor: Actor,
    data: bytes | None = None,
    progress: Callable[[str], None] | None = None,
) -> EventsSummary:
    """Import a production event log through a mapping, all or nothing.

    ``progress`` is called with the name of each of the five stages as it starts
    (for a progress bar).

    Raises
    ------
    ImportRejected
        A bad mapping or bad rows, naming the row, column/field and value; nothing is
        written.
    NoacError
        A refusal (permission, closed month, a changed routing that cannot take effect).
    """
    started = datetime.now()
    require(actor, "import-master-data")
    require(actor, "import-history")
    if mapping is None:
        if mapping_path is None:
            raise NoacError("name the mapping file with --map MAPPING (see docs/EVENTS.md)")
        mapping = load_mapping(mapping_path)
    step = progress or (lambda stage: None)
    step("reading the log")
    log = read_events(path, mapping, data=data)
    name = str(path)
    summary = EventsSummary(plant="", file=Path(path).name, rows=log.rows)
    summary.skipped = dict(log.skipped)
    summary.production_rows = len(log.events)
    summary.orders_in_file = len(log.orders)
    try:
        plant = plant_for_import(session=session, code=plant_code)
        summary.plant = plant.code
        _import(session, plant, name, mapping, log, summary, actor, step)
        step("saving")
        summary.seconds = round((datetime.now() - started).total_seconds(), 2)
        if summary.changed_nothing:  # not even a plant made for the log
            session.rollback()
            return summary
        audit.record(session, actor, "import", "events", summary.file, None, asdict(summary))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return summary


def _import(
    session: Session,
    plant: Plant,
    name: str,
    mapping: Mapping,
    log: LogContents,
    summary: EventsSummary,
    actor: Actor,
    step: Callable[[str], None],
) -> None:
    events = log.events
    orders: dict[str, list[Event]] = defaultdict(list)
    for e in events:
        orders[e.order].append(e)
    errors: list[RowError] = []
    part_col = mapping.columns["part"]
    orders = dict(sorted(orders.items()))  # stored in the same order whatever the log's
    for order, rows in orders.items():
        rows.sort(key=lambda e: e.sort_key)
        parts = {e.part for e in rows}
        if len(parts) > 1:
            errors.append(
                RowError(
                    rows[0].number,
                    part_col,
                    f"order '{order}' has rows of several parts: {', '.join(sorted(parts))}",
                )
            )
    if errors:
        raise ImportRejected(name, errors)
    summary.orders = len(orders)
    summary.parts = len({e.part for e in events})

    # units: create the mapped ones that are used and missing
    units = units_by_code(session=session, plant=plant)
    used = log.units
    summary.units = len(used)
    new_units = []
    for code in sorted(used):
        spec = mapping.units[code]
        unit = units.get(code)
        if unit is None:
            new_units.append(
                Unit(
                    plant_id=plant.id,
                    code=code,
                    name=spec.name,
                    kind=spec.kind,
                    categories=";".join(spec.categories),
                )
            )
            summary.units_created.append(code)
        else:
            missing = sorted(used[code] - set(unit.category_list))
            if missing:
                errors.append(
                    RowError(
                        None,
                        "",
                        f"unit {code} exists and does not perform {', '.join(missing)}"
                        f" (it performs: {', '.join(unit.category_list) or 'nothing'})",
                    )
                )
    if errors:
        raise ImportRejected(name, errors)
    session.add_all(new_units)
    session.flush()
    units = units_by_code(session=session, plant=plant)

    # observed routings
    step("observed routings")
    op_ids = _op_ids(events)
    parts = observed_operations(orders, op_ids)
    unit_categories = {code: unit.category_list for code, unit in units.items()}
    first_row = {}
    for e in events:
        first_row[e.part] = min(first_row.get(e.part, e.number), e.number)
    for part, operations in parts.items():
        for issue in validate_routing(part, operations, unit_categories):
            if issue.op is None and issue.column == "after":
                continue  # an observed graph needs no starting operation (docs/EVENTS.md)
            errors.append(RowError(first_row[part], part_col, f"part {part}: {issue.message}"))
    first_day = min(e.start for e in events).date().replace(day=1) if events else date.today()
    # a part whose graph is the one in force when the log begins is unchanged, even where a
    # later log has dated a newer version (that earlier log imported again)
    stored = all_routing_versions(
        session=session, plant=plant, source="observed", parts=list(parts)
    )
    in_force_then = {part: in_force(views, first_day) for part, views in stored.items()}
    changed = {
        part: operations
        for part, operations in parts.items()
        if (view := in_force_then.get(part)) is None
        or content_hash(view.operations) != content_hash(operations)
    }
    plan, plan_errors = plan_routing_versions(
        session=session,
        plant=plant,
        parts=changed,
        effective=first_day,
        first_row=first_row,
        source="observed",
    )
    errors += plan_errors
    closed = lock_closed_months(session=session, plant=plant)
    moves = handovers(orders)
    for month in sorted({m for m, _, _ in moves if m in closed}):
        errors.append(
            RowError(
                None,
                mapping.columns["start"],
                f"{month} is closed: reopen it to import"
                if month in closed.months
                else f"{month} is before {closed.last}, the last closed month: months close in"
                " order, so it takes no handovers",
            )
        )
    if errors:
        raise ImportRejected(name, errors)
    routing_summary = ImportSummary(kind="routings", plant=plant.code)
    apply_routings(
        session=session,
        plant=plant,
        parts=parts,
        plan=plan,
        summary=routing_summary,
        source="observed",
    )
    summary.routings_created = routing_summary.created
    summary.routings_updated = routing_summary.updated
    summary.routings_unchanged = routing_summary.unchanged

    step("handovers")
    # handovers: replace the quantity of each (month, from, to) the log covers
    existing = {
        (h.month, h.from_unit_id, h.to_unit_id): h
        for h in session.exec(
            select(Handover).where(
                Handover.plant_id == plant.id,
                col(Handover.month).in_(sorted({m for m, _, _ in moves})),
            )
        )
    }
    for (month, source, target), quantity in sorted(moves.items()):
        key = (month, units[source].id, units[target].id)
        handover = existing.get(key)
        if handover is None:
            session.add(
                Handover(
                    plant_id=plant.id,
                    month=month,
                    from_unit_id=key[1],
                    to_unit_id=key[2],
                    quantity=quantity,
                )
            )
            summary.handovers_created += 1
        elif handover.quantity != quantity:
            summary.changes.append(
                {
                    "key": f"{month} {source}->{target}",
                    "before": {"quantity": handover.quantity},
                    "after": {"quantity": quantity},
                }
            )
            handover.quantity = quantity
            session.add(handover)
    summary.handovers = len(moves)
    summary.handover_months = sorted({m for m, _, _ in moves})
    session.flush()
    summary.notes = uncounted_forms(session=session, plant=plant, months=summary.handover_months)

    step("problems")
    _problems(session, plant, mapping, orders, op_ids, summary, actor, units, parts)


def _problems(
    session: Session,
    plant: Plant,
    mapping: Mapping,
    orders: dict[str, list[Event]],
    op_ids: dict[tuple[str, str, str], str],
    summary: EventsSummary,
    actor: Actor,
    units: dict[str, Unit],
    parts: dict[str, list[Operation]],
) -> None:
    versions = all_routing_versions(session=session, plant=plant, source="observed")
    # a problem is linked to the version of its log's graph: with logs imported out of order,
    # the version in force on the day found may be a later log's
    graph_hash = {part: content_hash(operations) for part, operations in parts.items()}
    of_the_log = {
        part: [v for v in views if content_hash(v.operations) == graph_hash.get(part)]
        for part, views in versions.items()
    }
    part_ids = {p.code: p.id for p in session.exec(select(Part).where(Part.plant_id == plant.id))}
    taken = set(session.exec(select(QualityProblem.ref).where(QualityProblem.plant_id == plant.id)))
    stored = dict(
        session.exec(
            select(QualityProblem.reject_key, QualityProblem.ref).where(
                QualityProblem.plant_id == plant.id, col(QualityProblem.reject_key).is_not(None)
            )
        ).all()
    )
    alike: Counter = Counter()
    codes = defect_codes_by_code(session=session, plant=plant)
    spelled = catalogue_spelling(codes)  # as a report or a defects file reads a code
    tracer = Tracer()
    now = datetime.now(UTC)
    undetermined: Counter = Counter()
    made: list[tuple[QualityProblem, TraceResult, list[str]]] = []
    for order, events in sorted(orders.items()):
        for position, e in enumerate(events):
            if e.rejected <= 0:
                continue
            what = f"{e.rejected} rejected at {e.activity} ({e.resource}), order {order}"
            alike[(what, e.part, e.found_on)] += 1
            key = reject_key(what, e.part, e.found_on, alike[(what, e.part, e.found_on)])
            if key in stored:
                summary.problems_unchanged += 1
                summary.problems_moved += stored[key] != _ref(order, e.number)
                continue
            ref = _ref(order, e.number, taken)
            taken.add(ref)
            G = order_graph(events[: position + 1], op_ids)
            sequence = [op_ids[(x.part, x.unit, x.op_name)] for x in events[: position + 1]]
            found = op_ids[(e.part, e.unit, e.op_name)]
            code = spelled(e.code)
            entry = codes.get(code)
            result = tracer.trace(ref, G, [found], entry.origin_list if entry else [], sequence)
            view = in_force(of_the_log[e.part], e.found_on) or in_force(
                versions[e.part], e.found_on
            )
            assert view is not None and view.version_id is not None
            description = (
                f"{what}, log row {e.number}"
                + (f"; {e.review:g} to review" if e.review else "")
                + ("; rework row" if e.rework else "")
            )
            problem = QualityProblem(
                plant_id=plant.id,
                ref=ref,
                found_on=e.found_on,
                found_at_unit_id=units[e.unit].id,
                part_id=part_ids[e.part],
                routing_version_id=view.version_id,
                op=found,
                lot=order[:80],
                defect_code=code or None,
                severity=mapping.severity,
                quantity=e.rejected,
                description=description,
                disposition=mapping.disposition,
                status="proposed",
                proposed_unit_id=units[result.proposed.unit].id if result.proposed else None,
                reported_by=actor.username,
                reported_at=now,
                reject_key=key,
            )
            made.append((problem, result, sequence))
            summary.rejected_parts += e.rejected
            if result.proposed:
                summary.traced += 1
            else:
                undetermined[_undetermined_reason(G, found)] += 1
    session.add_all([problem for problem, *_ in made])
    session.flush()
    session.add_all(
        event
        for problem, result, sequence in made
        for event in _problem_events(problem, result, sequence, actor, now)
    )
    if mapping.settle:
        _settle_traced(session, plant, made, units, now)
    session.flush()
    summary.problems = len(made)
    summary.undetermined = dict(undetermined)
    summary.notes += _identical_rejects(orders)


def _settle_traced(session, plant, made, units, now) -> None:
    """Responsibility taken from the trace (mapping ``responsibility = "traced"``): the
    proposed unit answers for the whole problem, its escapes count, and the problem counts
    in its month (or the first open one)."""
    closed = lock_closed_months(session=session, plant=plant)
    for problem, result, _ in made:
        best = result.proposed
        if best is None:
            continue
        problem.status = "accepted"
        problem.responsibility_source = "imported"
        problem.responsibility_set_at = now
        problem.counted_month = first_open_month(closed, month_of(problem.found_on))
        session.add(
            ProblemResponsibility(problem_id=problem.id, unit_id=units[best.unit].id, share=1.0)
        )
        session.add_all(
            ProblemEscape(problem_id=problem.id, unit_id=units[e.unit].id, op=e.op)
            for e in {(e.unit, e.op): e for e in best.escapes}.values()
        )


def _problem_events(
    problem: QualityProblem,
    result: TraceResult,
    sequence: list[str],
    actor: Actor,
    now: datetime,
) -> list[ProblemEvent]:
    """The "reported" and "traced" history steps, shaped like those of a reported problem."""
    details = {
        "rule": result.rule,
        "found_ops": list(result.found_ops),
        "candidates": [
            {
                "unit": c.unit,
                "op": c.op,
                "distance": c.distance,
                "path": list(c.path),
                "escapes": [asdict(x) for x in c.escapes],
            }
            for c in result.candidates
        ],
        "explanation": result.explain(),
        "source": "events",
        "order_sequence": sequence,
    }
    common = {"problem_id": problem.id, "at": now, "actor": actor.username, "status": "proposed"}
    return [
        ProblemEvent(**common, action="reported", note=problem.description, details="{}"),
        ProblemEvent(
            **common,
            action="traced",
            note=result.explain(),
            details=json.dumps(details, ensure_ascii=False, default=str),
        ),
    ]

"""The ``noac import KIND FILE`` family: read, validate every row, then write all or nothing."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from sqlmodel import Session

from noac.errors import ImportRejected, RowError
from noac.models import Plant
from noac.services import audit, masterdata, problems, relations, routings, scoring
from noac.services.access import Actor, require
from noac.services.bulk import collector_paused
from noac.services.masterdata import ImportSummary
from noac.services.periods import ClosedMonths, lock_closed_months, month_of
from noac.services.plants import plant_for_import, resolve_plant
from noac.tabular import Table, read_table


@dataclass(frozen=True)
class ImportContext:
    session: Session
    plant: Plant
    effective: date | None  # from when dated changes take effect; None: not given
    actor: Actor


@dataclass(frozen=True)
class ImportKind:
    """A file kind: its columns and the function that validates and writes its rows.

    ``load`` returns the row errors; it writes (without committing) only when
    there are none.
    """

    required: tuple[str, ...]
    optional: tuple[str, ...]
    load: Callable[[ImportContext, Table, ImportSummary], list[RowError]]
    permission: str = "import-master-data"
    dated: bool = False  # its changes take effect from a date (``effective``)


def _load_units(ctx: ImportContext, rows: Table, summary: ImportSummary) -> list[RowError]:
    existing = masterdata.units_by_code(session=ctx.session, plant=ctx.plant)
    in_use = routings.categories_in_use(session=ctx.session, plant=ctx.plant)
    records, errors = masterdata.validate_unit_rows(rows, existing, in_use)
    if not errors:
        masterdata.apply_units(
            session=ctx.session, plant=ctx.plant, records=records, summary=summary
        )
    return errors


def _load_defect_codes(ctx: ImportContext, rows: Table, summary: ImportSummary) -> list[RowError]:
    units = masterdata.units_by_code(session=ctx.session, plant=ctx.plant).values()
    categories = {category for unit in units for category in unit.category_list}
    existing = masterdata.defect_codes_by_code(session=ctx.session, plant=ctx.plant)
    records, errors = masterdata.validate_defect_code_rows(rows, categories, existing)
    if not errors:
        masterdata.apply_defect_codes(
            session=ctx.session, plant=ctx.plant, records=records, summary=summary
        )
    return errors


def _note_uncounted_since(ctx: ImportContext, summary: ImportSummary, closed: ClosedMonths) -> None:
    """After a change in force from the import's date, name the forms of the open months from
    then on that no longer count."""
    if summary.updated:
        summary.note(
            scoring.uncounted_forms_since(
                session=ctx.session,
                plant=ctx.plant,
                since=ctx.effective or date.today(),
                closed=closed,
            )
        )


def _load_routings(ctx: ImportContext, rows: Table, summary: ImportSummary) -> list[RowError]:
    units = masterdata.units_by_code(session=ctx.session, plant=ctx.plant)
    parts, errors = routings.validate_routing_rows(rows, units)
    first_row: dict[str, int] = {}
    for row in rows:
        first_row.setdefault(row["part"], row.number)
    closed = lock_closed_months(session=ctx.session, plant=ctx.plant)
    plan, plan_errors = routings.plan_routing_versions(
        session=ctx.session,
        plant=ctx.plant,
        parts=parts,
        effective=ctx.effective,
        first_row=first_row,
        closed=closed,
    )
    errors += plan_errors
    if not errors:
        routings.apply_routings(
            session=ctx.session, plant=ctx.plant, parts=parts, plan=plan, summary=summary
        )
        # a changed part's new version may leave a form without supplier
        _note_uncounted_since(ctx, summary, closed)
    return errors


def _load_defects(ctx: ImportContext, rows: Table, summary: ImportSummary) -> list[RowError]:
    tracing = problems.PlantTracing(session=ctx.session, plant=ctx.plant)
    stored = problems.stored_identities(
        session=ctx.session, plant=ctx.plant, refs={row["id"] for row in rows}
    )
    records, errors, summary.unchanged = problems.validate_defect_rows(
        rows,
        tracing,
        date.today(),
        stored,
        lock_closed_months(session=ctx.session, plant=ctx.plant),
    )
    if not errors:
        problems.apply_defect_records(
            session=ctx.session, ctx=tracing, records=records, actor=ctx.actor
        )
        summary.created = len(records)
    return errors


def _load_scores(ctx: ImportContext, rows: Table, summary: ImportSummary) -> list[RowError]:
    rules = scoring.ScoringRules(ctx.session, ctx.plant)
    scores, errors = scoring.validate_score_rows(rows, rules)
    if not errors:
        summary.created, summary.updated, summary.unchanged = scoring.store_score_entries(
            session=ctx.session,
            rules=rules,
            scores=scores,
            actor=ctx.actor,
        )
        summary.note(
            scoring.incomplete_forms(
                session=ctx.session, plant=ctx.plant, scheme=rules.scheme, scores=scores
            )
        )
    return errors


def _load_handovers(ctx: ImportContext, rows: Table, summary: ImportSummary) -> list[RowError]:
    records, errors = relations.validate_handover_rows(
        rows,
        masterdata.units_by_code(session=ctx.session, plant=ctx.plant),
        lock_closed_months(session=ctx.session, plant=ctx.plant),
        month_of(date.today()),
    )
    if not errors:
        relations.apply_handovers(
            session=ctx.session, plant=ctx.plant, records=records, summary=summary
        )
        summary.note(
            scoring.uncounted_forms(
                session=ctx.session, plant=ctx.plant, months={month for month, *_ in records}
            )
        )
    return errors


def _load_service_relations(
    ctx: ImportContext, rows: Table, summary: ImportSummary
) -> list[RowError]:
    records, errors = relations.validate_service_rows(
        rows, masterdata.units_by_code(session=ctx.session, plant=ctx.plant)
    )
    closed = lock_closed_months(session=ctx.session, plant=ctx.plant)
    plan, plan_errors = relations.plan_service_relations(
        session=ctx.session,
        plant=ctx.plant,
        records=records,
        effective=ctx.effective,
        closed=closed,
    )
    errors += plan_errors
    if not errors:
        relations.apply_service_relations(
            session=ctx.session, plant=ctx.plant, plan=plan, rows=len(records), summary=summary
        )
        # an ended relation leaves its customer's forms without supplier
        _note_uncounted_since(ctx, summary, closed)
    return errors


# the name of each column in a file headed in Chinese
CHINESE_COLUMNS = {
    "after": "前道工序",
    "categories": "工艺类别",
    "category": "工艺类别",
    "closed_on": "关闭日期",
    "code": "代码",
    "comment": "说明",
    "cost": "损失",
    "criterion": "指标",
    "customer": "服务对象",
    "date": "发现日期",
    "deadline": "整改期限",
    "description": "描述",
    "disposition": "处置",
    "found_at": "发现单位",
    "from": "交出单位",
    "id": "编号",
    "inspection": "检验",
    "kind": "类型",
    "lot": "批次",
    "month": "月份",
    "name": "名称",
    "op": "工序",
    "origins": "缺陷来源",
    "parent": "上级单位",
    "part": "零件",
    "provider": "服务部门",
    "qty": "数量",
    "quantity": "数量",
    "ratee": "被评价单位",
    "rater": "评价单位",
    "responsible": "责任单位",
    "severity": "严重程度",
    "target": "目标",
    "to": "接收单位",
    "unit": "单位",
    "value": "分值",
    "weight": "权重",
}

KINDS: dict[str, ImportKind] = {
    "units": ImportKind(("code", "name", "kind"), ("categories", "target", "parent"), _load_units),
    "routings": ImportKind(
        ("part", "op", "unit"), ("category", "after", "inspection"), _load_routings, dated=True
    ),
    "defect-codes": ImportKind(("code", "name"), ("origins",), _load_defect_codes),
    "defects": ImportKind(
        ("id", "date", "found_at", "part", "severity", "qty"),
        (
            "op",
            "code",
            "description",
            "responsible",
            "deadline",
            "closed_on",
            "lot",
            "disposition",
            "cost",
        ),
        _load_defects,
        "import-history",
    ),
    "scores": ImportKind(
        ("month", "rater", "ratee", "criterion", "value"),
        ("comment",),
        _load_scores,
        "import-history",
    ),
    "handovers": ImportKind(
        ("month", "from", "to", "quantity"), (), _load_handovers, "import-history"
    ),
    "service-relations": ImportKind(
        ("provider", "customer"), ("weight",), _load_service_relations, dated=True
    ),
}


# the full-width forms of the ASCII characters: what an input method left in full-width mode
# types for letters, digits and punctuation (Ａ, ９, ，), which read like them
_FULL_WIDTH = re.compile("[\uff01-\uff5e]")


def _told(rows: Table, errors: list[RowError]) -> list[RowError]:
    """``errors`` as the file's user reads them: each column named as the file's header names
    it, each reason quoting full-width characters of its cell naming them, and so the
    characters that show nothing (a zero-width space, a byte-order mark: a code copied from
    a chat message or a web page)."""
    index = {number: at for at, number in enumerate(rows.numbers)}
    told = []
    for error in errors:
        at = index.get(error.row)
        cell = rows[at][error.column] if at is not None and error.column else ""
        found = dict.fromkeys(c for c in _FULL_WIDTH.findall(cell) if c in error.reason)
        reason = error.reason
        if found:
            characters = ", ".join(found)
            reason = (
                f"{error.reason}; the cell holds full-width characters ({characters}): type them"
                " half-width"
            )
        unseen = dict.fromkeys(
            f"U+{ord(c):04X}" for c in cell if unicodedata.category(c) == "Cf" and c in error.reason
        )
        if unseen:
            codes = ", ".join(unseen)
            reason = f"{reason}; the cell holds invisible characters ({codes}): delete them"
        told.append(RowError(error.row, rows.headed.get(error.column, error.column), reason))
    return told


@collector_paused()
def import_file(
    *,
    session: Session,
    kind: str,
    path: str | Path,
    plant_code: str | None = None,
    effective: date | None = None,
    actor: Actor,
    data: bytes | None = None,
) -> ImportSummary:
    """Import one file of ``kind`` atomically.

    Raises
    ------
    ImportRejected
        With every bad row (row number, column, reason); the database is left
        exactly as it was.
    """
    spec = KINDS.get(kind)
    if spec is None:
        raise ImportRejected(
            str(path), [RowError(None, "", f"unknown kind '{kind}' (one of {', '.join(KINDS)})")]
        )
    require(actor, spec.permission)
    if effective is not None and not spec.dated:
        dated = ", ".join(name for name, other in KINDS.items() if other.dated)
        raise ImportRejected(
            str(path),
            [RowError(None, "", f"{kind} take no effective date (only {dated} do)")],
        )
    rows = read_table(path, spec.required, spec.optional, data=data, names=CHINESE_COLUMNS)
    try:
        if spec.permission == "import-master-data":
            plant = plant_for_import(session=session, code=plant_code)
        else:
            plant = resolve_plant(session=session, code=plant_code)
        summary = ImportSummary(kind=kind, plant=plant.code, rows=len(rows))
        ctx = ImportContext(session, plant, effective, actor)
        errors = spec.load(ctx, rows, summary)
        if errors:
            raise ImportRejected(str(path), _told(rows, errors))
        if not (summary.created or summary.updated):  # not even a plant made for the file
            session.rollback()
            return summary
        audit.record(session, actor, "import", kind, Path(path).name, None, asdict(summary))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return summary

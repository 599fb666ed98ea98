"""Deterministic synthetic plants for scale work: ``noac generate --scale tiny|plant|group``.

Everything is written through ``noac.importers.import_file`` (units, defect codes, routings,
then handovers, scores and defects month by month) and the problem services, exactly as a
user's files would be: no row reaches the database around the validation.

The structure mimics the demo plants at a larger size: stores, workshops grouped in areas,
inspection stations, functional departments; parts that are either single-branch or
assemblies of two to four branches joining at an assembly operation; rework loops between an
inspection and a rework operation; lenient and harsh raters; problems in every state.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlmodel import Session, col, select

from noac.db import create_db_engine, migrate
from noac.errors import NoacError
from noac.importers import import_file
from noac.models import AuditRecord, Plant
from noac.services import problems
from noac.services.access import Actor
from noac.services.masterdata import units_by_code
from noac.services.plants import save_plant
from noac.services.scoring import ScoringRules, month_days

# The last generated month; fixed so that a seed gives the same data set on any day.
LAST_MONTH = date(2025, 12, 1)
CRITERIA = ("quality", "delivery", "service", "handover")
ADMIN = Actor("generator-admin", "admin", display_name="synthetic administrator")
QUALITY = Actor("generator-quality", "quality", display_name="synthetic quality department")
BENCH_EXECUTIVE = "bench-executive"  # the account the bench's dashboard workload signs in with

# (process categories a workshop of the family may list)
FAMILIES = (
    ("SHEET", ("cutting", "bending", "forming", "riveting")),
    ("MACH", ("turning", "milling", "drilling", "grinding")),
    ("WELD", ("welding", "brazing")),
    ("HEAT", ("heat-treatment", "hardening")),
    ("SURF", ("plating", "painting", "anodising")),
    ("CAST", ("casting", "fettling")),
    ("ELEC", ("wiring", "soldering")),
    ("COMP", ("laminating", "curing", "trimming")),
)
FINAL_CATEGORIES = ("assembly", "test")
DEFECTS = (
    ("CORR", "corrosion pits", ("storage",)),
    ("SCR", "scratch or bump in transport", ("logistics",)),
    ("MISS", "missing part in kit", ("storage", "assembly")),
    ("DOC", "process document error", ("engineering", "planning")),
    ("TORQ", "torque wrong", ("assembly",)),
    ("LEAK", "leak found in test", ("welding", "brazing", "assembly")),
)
DEFECTS_PER_CATEGORY = (
    ("DIM", "dimension out of tolerance"),
    ("SURF", "surface defect"),
)


@dataclass(frozen=True)
class Scale:
    plants: int
    units: int  # per plant
    parts: int  # per plant
    months: int
    forms: int  # complete forms per plant and month, about
    problems: int  # per plant and month, about
    workflow: int  # problems per plant moved through the workflow services


SCALES = {
    "tiny": Scale(plants=1, units=16, parts=24, months=4, forms=30, problems=12, workflow=8),
    "plant": Scale(plants=1, units=60, parts=2000, months=36, forms=312, problems=556, workflow=60),
    "group": Scale(plants=30, units=67, parts=667, months=36, forms=324, problems=667, workflow=60),
}


@dataclass
class Design:
    """One plant's master data as the generator planned it (codes only)."""

    code: str
    units: list[tuple[str, str, str, list[str]]] = field(default_factory=list)
    # part -> [(op, unit, category, after, inspection)]
    routings: dict[str, list[tuple[str, str, str, list[str], bool]]] = field(default_factory=dict)
    defect_codes: list[tuple[str, str, list[str]]] = field(default_factory=list)
    lenient: set[str] = field(default_factory=set)
    harsh: set[str] = field(default_factory=set)
    quality: dict[str, float] = field(default_factory=dict)  # unit -> base value 0..10
    trend: dict[str, float] = field(default_factory=dict)  # per month


def months_of(count: int) -> list[date]:
    """First days of the ``count`` months ending with ``LAST_MONTH``, oldest first.

    >>> [m.isoformat() for m in months_of(3)]
    ['2025-10-01', '2025-11-01', '2025-12-01']
    """
    result = []
    year, month = LAST_MONTH.year, LAST_MONTH.month
    for _ in range(count):
        result.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return result[::-1]


def _csv(header: str, lines: list[str]) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()


def design_plant(code: str, scale: Scale, rng: random.Random) -> Design:
    """Plan units, defect codes and part routings of one plant."""
    d = Design(code)
    n = scale.units
    stores = max(1, n // 30)
    departments = 3
    finals = max(2, n // 15)  # assembly and test workshops
    final_inspections = max(1, n // 30)
    rest = n - stores - departments - finals - final_inspections
    areas = max(2, min(len(FAMILIES), rest // 6))
    inspections_per_area = 1
    workshops = rest - areas * inspections_per_area
    for i in range(stores):
        d.units.append((f"STORE{i + 1}", f"store {i + 1}", "store", ["storage"]))
    for code_, cat in (("LOGI", "logistics"), ("ENG", "engineering"), ("PLAN", "planning")):
        d.units.append((code_, f"department {code_.lower()}", "department", [cat]))
    for i in range(finals):
        d.units.append(
            (f"ASSY{i + 1}", f"assembly workshop {i + 1}", "workshop", list(FINAL_CATEGORIES))
        )
    for i in range(final_inspections):
        d.units.append(
            (f"QC-FIN{i + 1}", f"final inspection {i + 1}", "inspection", ["inspection"])
        )
    area_units: dict[int, list[str]] = defaultdict(list)
    area_inspection: dict[int, str] = {}
    for a in range(areas):
        family = FAMILIES[a % len(FAMILIES)][0]
        area_inspection[a] = f"QC-{family}{a // len(FAMILIES) or ''}"
        d.units.append((area_inspection[a], f"{family} inspection", "inspection", ["inspection"]))
    for i in range(workshops):
        a = i % areas
        family, categories = FAMILIES[a % len(FAMILIES)]
        unit = f"{family}{i // areas + 1}" + ("" if a < len(FAMILIES) else f"-{a}")
        cats = rng.sample(categories, rng.randint(1, len(categories)))
        d.units.append((unit, f"{family.lower()} workshop {i // areas + 1}", "workshop", cats))
        area_units[a].append(unit)
    unit_cats = {u: cats for u, _, _, cats in d.units}
    # defect codes: a few plant-wide ones and two per process category
    categories = sorted({c for cats in unit_cats.values() for c in cats} - {"inspection"})
    present = set(categories)
    d.defect_codes = [
        (c, n_, [x for x in o if x in present]) for c, n_, o in DEFECTS if present & set(o)
    ]
    for category in categories:
        for prefix, name in DEFECTS_PER_CATEGORY:
            d.defect_codes.append(
                (f"{prefix}-{category.upper()[:10]}", f"{name} ({category})", [category])
            )
    # raters' habits and ratees' quality
    codes = [u for u, *_ in d.units]
    for unit in codes:
        d.quality[unit] = min(9.5, max(4.5, rng.gauss(7.6, 0.9)))
        d.trend[unit] = rng.choice((0.0, 0.0, 0.0, 0.04, -0.03))
    d.lenient = set(rng.sample(codes, max(1, n // 10)))
    d.harsh = set(rng.sample([u for u in codes if u not in d.lenient], max(1, n // 10)))

    def op_at(unit_choice: list[str]) -> tuple[str, str]:
        unit = rng.choice(unit_choice)
        return unit, rng.choice(unit_cats[unit])

    stores_ = [u for u, *_ in d.units if u.startswith("STORE")]
    finals_ = [u for u, *_ in d.units if u.startswith("ASSY")]
    qc_fin = [u for u, *_ in d.units if u.startswith("QC-FIN")]

    def build_part() -> tuple[list[tuple[str, str, str, list[str], bool]], bool]:
        ops: list[tuple[str, str, str, list[str], bool]] = []
        number = [0]

        def add(unit: str, category: str, after: list[str], inspection: bool = False) -> str:
            number[0] += 10
            op = str(number[0])
            ops.append((op, unit, category, after, inspection))
            return op

        def branch() -> str:
            a = rng.randrange(areas)
            last = add(rng.choice(stores_), "storage", [])
            for _ in range(rng.randint(1, 4)):
                last = add(*op_at(area_units[a]), [last])
            if rng.random() < 0.35:  # heat treatment or surface in another area
                other = rng.randrange(areas)
                last = add(*op_at(area_units[other]), [last])
            if rng.random() < 0.85:
                inspection = add(area_inspection[a], "inspection", [last], True)
                if rng.random() < 0.3:  # rework loop: inspection <-> rework operation
                    rework = add(*op_at(area_units[a]), [inspection])
                    index = next(i for i, o in enumerate(ops) if o[0] == inspection)
                    o = ops[index]
                    ops[index] = (o[0], o[1], o[2], [*o[3], rework], True)
                last = inspection
            if rng.random() < 0.1:
                last = add("LOGI", "logistics", [last])
            return last

        assembly = rng.random() < 0.4
        if assembly:
            ends = [branch() for _ in range(rng.randint(2, 4))]
            if rng.random() < 0.2:
                ends.append(add(rng.choice(stores_), "storage", []))  # bought-in parts
            final = rng.choice(finals_)
            last = add(final, "assembly", ends)
            if rng.random() < 0.6:
                last = add(final, "test", [last])
        else:
            last = branch()
        last = add(rng.choice(qc_fin), "inspection", [last], True)
        if rng.random() < 0.15:
            rework = add(rng.choice(finals_), "assembly", [last])
            o = ops[-2]
            ops[-2] = (o[0], o[1], o[2], [*o[3], rework], o[4])
        return ops, assembly

    for p in range(scale.parts):
        ops, assembly = build_part()
        d.routings[f"{'A' if assembly else 'P'}{p + 1:05d}"] = ops
    return d


def _transitions(d: Design) -> dict[tuple[str, str], int]:
    edges: dict[tuple[str, str], int] = defaultdict(int)
    for ops in d.routings.values():
        units = {op: unit for op, unit, *_ in ops}
        for _, unit, _, after, _ in ops:
            for predecessor in after:
                if units[predecessor] != unit:
                    edges[(units[predecessor], unit)] += 1
    return edges


def _value(rng: random.Random, d: Design, rater: str, ratee: str, index: int) -> int:
    base = d.quality[ratee] + d.trend[ratee] * index
    if rater in d.lenient:
        base += 1.8
    if rater in d.harsh:
        base -= 2.2
    return max(0, min(10, round(base + rng.gauss(0, 1.0))))


def _ancestors(ops: list[tuple[str, str, str, list[str], bool]], op: str) -> list[tuple]:
    """The operations upstream of ``op`` (through rework loops too), in routing order."""
    after = {o[0]: o[3] for o in ops}
    seen: set[str] = set()
    todo = list(after[op])
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo += after[current]
    seen.discard(op)
    return [o for o in ops if o[0] in seen]


def _problem_rows(
    d: Design,
    rng: random.Random,
    month: date,
    count: int,
    age: int,
    serial: int,
    parts: list[str],
    by_category: dict[str, list[str]],
) -> list[str]:
    lines = []
    _, last_day = month_days(month.strftime("%Y-%m"))
    for i in range(count):
        part = rng.choice(parts)
        ops = d.routings[part]
        position = rng.choice([i for i, o in enumerate(ops) if o[3]])
        op, found_at, *_ = ops[position]
        upstream = _ancestors(ops, op)
        source = rng.choice(upstream)
        codes = list(by_category.get(source[2], []))
        code = rng.choice(codes) if codes and rng.random() < 0.9 else ""
        severity = rng.choices(("minor", "major", "critical"), (80, 17, 3))[0]
        found_on = month + timedelta(days=rng.randrange(last_day.day))
        responsible = ""
        deadline = closed_on = ""
        # most problems are settled and closed within months; a few stay open for long
        state = rng.random()
        settled = state < (0.99 if age > 6 else 0.95 if age > 2 else 0.6)
        if settled:
            shares = [source[1]]
            if rng.random() < 0.15:
                other = rng.choice(upstream)[1]
                if other != source[1]:
                    shares = [f"{source[1]}:0.6", f"{other}:0.4"]
            responsible = ";".join(shares)
            due = found_on + timedelta(days=rng.choice((14, 30, 45)))
            deadline = due.isoformat()
            closes = state < (0.96 if age > 6 else 0.8 if age > 2 else 0.2)
            if closes:
                late = rng.random() < 0.15
                done = due + timedelta(days=rng.randint(1, 30) if late else -rng.randint(0, 10))
                if done <= LAST_MONTH + timedelta(days=30):
                    closed_on = max(done, found_on).isoformat()
        qty = rng.choice((1, 1, 2, 3, 5, 8, 20))
        disposition = rng.choice(("rework", "rework", "scrap", "concession", "use-as-is"))
        cost = rng.choice(("", "120", "300", "800", "2500"))
        lines.append(
            f"{d.code}-G{serial + i:07d},{found_on},{found_at},{part},{severity},{qty},{op},"
            f"{code},{code or 'defect'} found at {found_at},{responsible},{deadline},"
            f"{closed_on},L{rng.randrange(10**6):06d},{disposition},{cost}"
        )
    return lines


def _workflow(session: Session, plant: Plant, refs: list[str]) -> int:
    """Move a sample of open problems to accepted, disputed, action and verification."""
    moved = 0
    for index, ref in enumerate(refs):
        problem = problems.get_problem(session=session, plant=plant, ref=ref)
        step = index % 4
        if problem.status == "proposed" and problem.proposed_unit_id is not None:
            unit = next(
                c
                for c, u in units_by_code(session=session, plant=plant).items()
                if u.id == problem.proposed_unit_id
            )
            person = Actor(f"gen-{unit.lower()}", "supervisor", unit=unit, plant_id=plant.id)
            if step % 2 == 0:
                problems.accept_problem(session=session, plant=plant, ref=ref, actor=person)
            else:
                problems.dispute_problem(
                    session=session,
                    plant=plant,
                    ref=ref,
                    actor=person,
                    reason="our check passed these parts; the cause lies upstream",
                )
            moved += 1
        elif problem.status == "ruled":
            owner = next(iter(problems.responsible_units(session=session, problem=problem)))
            problems.plan_action(
                session=session,
                plant=plant,
                ref=ref,
                owner=owner,
                actor=QUALITY,
                root_cause="parameter drift not caught by the operator check",
                actions="parameter window fixed in the work instruction; first-piece check",
            )
            if step % 2 == 1:
                problems.request_verification(session=session, plant=plant, ref=ref, actor=QUALITY)
            moved += 1
    return moved


def refuse_users_work(session: Session, doing: str) -> None:
    """Refuse ``doing`` in a database where anyone but the generator and the bench acted: the
    synthetic data would mix with a plant's own, and the bench deletes and imports again every
    score and reopens months."""
    synthetic = (ADMIN.username, QUALITY.username, BENCH_EXECUTIVE)
    actor = session.exec(
        select(AuditRecord.actor)
        .where(col(AuditRecord.actor).not_in(synthetic), ~col(AuditRecord.actor).startswith("gen-"))
        .limit(1)
    ).first()
    if actor is not None:
        raise NoacError(
            f"this database holds work by {actor}: {doing} only in a database of its own, empty"
            " or made by noac generate"
        )


def generate(url: str, scale_name: str, seed: int) -> Iterator[str]:
    """Build the data set of ``scale_name`` at ``url``, yielding a line of progress per step."""
    scale = SCALES[scale_name]
    rng = random.Random(seed)
    months = months_of(scale.months)
    engine = create_db_engine(url)
    try:
        migrate(engine)
        with Session(engine, expire_on_commit=False) as session:
            refuse_users_work(session, "noac generate writes synthetic plants")
            for number in range(1, scale.plants + 1):
                started = time.perf_counter()
                code = f"G{number:02d}" if scale.plants > 1 else "SYN"
                yield from _plant(session, code, scale, months, random.Random(rng.random()))
                yield f"plant {code} done in {time.perf_counter() - started:.1f} s"
    finally:
        engine.dispose()


def _plant(
    session: Session, code: str, scale: Scale, months: list[date], rng: random.Random
) -> Iterator[str]:
    d = design_plant(code, scale, rng)
    plant = save_plant(session=session, code=code, name=f"synthetic plant {code}", actor=ADMIN)

    def load(kind: str, data: bytes, actor: Actor = ADMIN, effective: date | None = None):
        return import_file(
            session=session,
            kind=kind,
            path=f"{code}-{kind}.csv",
            data=data,
            plant_code=code,
            actor=actor,
            effective=effective,
        )

    yield str(
        load(
            "units",
            _csv(
                "code,name,kind,categories",
                [f"{u},{n},{k},{';'.join(c)}" for u, n, k, c in d.units],
            ),
        )
    )
    yield str(
        load(
            "defect-codes",
            _csv("code,name,origins", [f"{c},{n},{';'.join(o)}" for c, n, o in d.defect_codes]),
        )
    )
    lines = [
        f"{part},{op},{unit},{category},{';'.join(after)},{int(inspection)}"
        for part, ops in d.routings.items()
        for op, unit, category, after, inspection in ops
    ]
    yield str(
        load("routings", _csv("part,op,unit,category,after,inspection", lines), effective=months[0])
    )
    edges = _transitions(d)
    code_origins = {c: o for c, _, o in d.defect_codes}
    by_category: dict[str, list[str]] = defaultdict(list)
    for c, origins in code_origins.items():
        for origin in origins:
            by_category[origin].append(c)
    parts = sorted(d.routings)
    scores = problem_count = serial = 0
    open_refs: list[str] = []
    for index, first_day in enumerate(months):
        month = first_day.strftime("%Y-%m")
        age = len(months) - 1 - index
        handovers = [
            f"{month},{u},{v},{count * rng.randint(5, 40)}"
            for (u, v), count in sorted(edges.items())
            if rng.random() < 0.97
        ]
        load("handovers", _csv("month,from,to,quantity", handovers), QUALITY)
        pairs = sorted(ScoringRules(session, plant).weights(month))
        share = min(1.0, scale.forms / max(1, len(pairs)))
        rows = []
        for ratee, rater in pairs:
            if rng.random() >= share:
                continue
            for criterion in CRITERIA:
                value = _value(rng, d, rater, ratee, index)
                comment = f"{criterion}: rework and late deliveries" if value < 6 else ""
                rows.append(f"{month},{rater},{ratee},{criterion},{value},{comment}")
        summary = load("scores", _csv("month,rater,ratee,criterion,value,comment", rows), QUALITY)
        scores += summary.created
        count = max(1, round(scale.problems * rng.uniform(0.8, 1.2)))
        lines = _problem_rows(d, rng, first_day, count, age, serial, parts, by_category)
        serial += count
        load(
            "defects",
            _csv(
                "id,date,found_at,part,severity,qty,op,code,description,responsible,deadline,"
                "closed_on,lot,disposition,cost",
                lines,
            ),
            QUALITY,
        )
        problem_count += count
        if age < 3:
            open_refs += [line.split(",", 1)[0] for line in lines]
        if index % 6 == 5 or age == 0:
            yield f"plant {code}: {month}: {scores} scores, {problem_count} problems so far"
    sample = rng.sample(open_refs, min(scale.workflow, len(open_refs)))
    moved = _workflow(session, plant, sample)
    yield (
        f"plant {code}: {len(d.units)} units, {len(d.routings)} parts, {scores} scores,"
        f" {problem_count} problems ({moved} moved through the workflow)"
    )

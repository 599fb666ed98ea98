"""The ``noac`` command line: parses, calls services, prints. No rule lives here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from sqlmodel import Session

from noac import demo as demo_data
from noac.db import check_schema, create_db_engine, migrate
from noac.errors import NoacError
from noac.importers import KINDS, import_file
from noac.services.masterdata import list_units
from noac.services.plants import resolve_plant
from noac.services.routings import in_force, routing_versions
from noac.settings import get_settings
from routing.graph import rework_loops

app = typer.Typer(help="NOAC: next operation as customer.", no_args_is_help=True)
units_app = typer.Typer(help="Units of a plant.", no_args_is_help=True)
routing_app = typer.Typer(help="Part routings.", no_args_is_help=True)
app.add_typer(units_app, name="units")
app.add_typer(routing_app, name="routing")

PlantOption = Annotated[
    str | None,
    typer.Option("--plant", help="Plant code; optional while the database holds one plant."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.callback()
def main(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database URL (default: NOAC_DATABASE_URL or the SQLite file)."),
    ] = None,
) -> None:
    ctx.obj = {"db": db}


def _url(ctx: typer.Context) -> str:
    return ctx.obj["db"] or get_settings().database_url


@contextmanager
def _session(ctx: typer.Context) -> Iterator[Session]:
    engine = create_db_engine(_url(ctx))
    try:
        check_schema(engine)
        with Session(engine, expire_on_commit=False) as session:
            yield session
    finally:
        engine.dispose()


@contextmanager
def _user_errors() -> Iterator[None]:
    try:
        yield
    except NoacError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None


def _table(records: list[dict]) -> str:
    if not records:
        return "(none)"
    return pd.DataFrame(records).to_string(index=False, na_rep="")


@app.command()
def init(ctx: typer.Context) -> None:
    """Create or upgrade the database schema to the current version (safe to repeat)."""
    engine = create_db_engine(_url(ctx))
    try:
        migrate(engine)
    finally:
        engine.dispose()
    typer.echo(f"database ready: {engine.url.render_as_string(hide_password=True)}")


@app.command("import")
def import_(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(KINDS)}.")],
    file: Annotated[Path, typer.Argument(help="CSV or XLSX file.")],
    plant: PlantOption = None,
    effective: Annotated[
        str | None,
        typer.Option(help="Routings: date (YYYY-MM-DD) a changed routing takes effect; today."),
    ] = None,
) -> None:
    """Import a file of units, routings or defect codes: every row or none."""
    with _user_errors(), _session(ctx) as session:
        when = None
        if effective:
            try:
                when = date.fromisoformat(effective)
            except ValueError:
                raise NoacError(f"--effective '{effective}' is not a date (YYYY-MM-DD)") from None
        summary = import_file(
            session=session, kind=kind, path=file, plant_code=plant, effective=when
        )
        typer.echo(str(summary))


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
        day = date.today()
        if on:
            try:
                day = date.fromisoformat(on)
            except ValueError:
                raise NoacError(f"--on '{on}' is not a date (YYYY-MM-DD)") from None
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
    app_path = Path(__file__).resolve().parent.parent / "dashboards" / "app.py"
    env = os.environ | {"NOAC_DATABASE_URL": url}
    command = [sys.executable, "-m", "streamlit", "run", str(app_path), "--server.port", str(port)]
    subprocess.run(command, env=env, check=False)


@app.command()
def serve(ctx: typer.Context, port: Annotated[int, typer.Option(help="HTTP port.")] = 8501) -> None:
    """Start the app on the configured database."""
    with _user_errors():
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
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8501,
) -> None:
    """Build the demo database (two plants, a year of history) and start the app."""
    url = ctx.obj["db"] or get_settings().demo_database_url
    with _user_errors():
        for line in demo_data.build(url):
            typer.echo(line)
    if not no_serve:
        _serve(url, port)

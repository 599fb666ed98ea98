"""The demo database: two plants from data/demo with a year of history."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlmodel import Session

from noac.db import create_db_engine, migrate
from noac.importers import import_file
from noac.services.plants import save_plant
from noac.settings import get_settings

DATA = Path(__file__).resolve().parent.parent / "data" / "demo"

PLANTS = (
    ("AERO", "航空装配厂 Aerospace assembly plant", "aerospace"),
    ("GARM", "服装厂 Garment plant", "garment"),
)


def history_months(today: date, count: int = 12) -> list[date]:
    """First days of the ``count`` months before the month of ``today``, oldest first.

    >>> [m.isoformat() for m in history_months(date(2026, 2, 15), 3)]
    ['2025-11-01', '2025-12-01', '2026-01-01']
    """
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        months.append(date(year, month, 1))
    return months[::-1]


def _remove_demo_file(url: str) -> None:
    """Start the default demo SQLite file afresh; any other database is only added to."""
    parsed = make_url(url)
    if url != get_settings().demo_database_url or parsed.get_backend_name() != "sqlite":
        return
    for suffix in ("", "-wal", "-shm"):
        Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)


def build(url: str, today: date | None = None) -> Iterator[str]:
    """Build the demo database at ``url``, yielding a line of progress per step."""
    today = today or date.today()
    months = history_months(today)
    _remove_demo_file(url)
    engine = create_db_engine(url)
    try:
        migrate(engine)
        with Session(engine, expire_on_commit=False) as session:
            for code, name, folder in PLANTS:
                save_plant(session=session, code=code, name=name)
                for kind, file in (
                    ("units", "units.csv"),
                    ("defect-codes", "defect_codes.csv"),
                    ("routings", "routings.csv"),
                ):
                    summary = import_file(
                        session=session, kind=kind, path=DATA / folder / file, plant_code=code
                    )
                    yield str(summary)
            revision = import_file(
                session=session,
                kind="routings",
                path=DATA / "aerospace" / "routings_revision.csv",
                plant_code="AERO",
                effective=months[6],
            )
            yield f"{revision} (revision in force from {months[6]})"
    finally:
        engine.dispose()
    yield f"demo database ready: {make_url(url).render_as_string(hide_password=True)}"

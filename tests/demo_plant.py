"""The demo plant AERO through its services, for tests that check what a page did or change
the database under a served app: a session of its own, and a problem reported at ASSY."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlmodel import Session

from noac.db import create_db_engine
from noac.models import Plant
from noac.services import problems
from noac.services.plants import resolve_plant
from noac.services.users import actor_for


@contextmanager
def service(url: str) -> Iterator[tuple[Session, Plant]]:
    """A session of its own on the app's database, and the demo plant AERO."""
    engine = create_db_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            yield session, resolve_plant(session=session, code="AERO")
    finally:
        engine.dispose()


def report_backing_plate(url: str) -> str:
    """ASSY reports pits on the plated face of BP-100 at op 60 (SHEET is proposed)."""
    with service(url) as (session, plant):
        problem, result = problems.report_problem(
            session=session,
            plant=plant,
            report=problems.ProblemReport(
                found_on=date.today(),
                found_at="ASSY",
                part="BP-100",
                op="60",
                defect_code="PIT-FACE",
                severity="major",
                quantity=12,
                description="pits on the galvanised face",
            ),
            actor=actor_for(session=session, username="aero-assy"),
        )
    assert result.proposed.unit == "SHEET"
    return problem.ref

"""Plants: one database can hold the several plants of a group."""

from __future__ import annotations

from sqlmodel import Session, select

from noac.errors import NoacError
from noac.models import Plant
from noac.services import audit
from noac.services.access import Actor, require
from noac.validation import check_code, check_text

DEFAULT_PLANT_CODE = "MAIN"
NO_PLANT = "the database holds no plant yet: import units first"


def list_plants(*, session: Session) -> list[Plant]:
    return list(session.exec(select(Plant).order_by(Plant.code)))


def resolve_plant(*, session: Session, code: str | None) -> Plant:
    """Return the plant named ``code``, or the only plant when ``code`` is None.

    Raises
    ------
    NoacError
        When the plant does not exist, or ``code`` is None and the database
        holds no plant or several.
    """
    if code is not None:
        plant = session.exec(select(Plant).where(Plant.code == code)).first()
        if plant is None:
            known = ", ".join(p.code for p in list_plants(session=session)) or "none yet"
            raise NoacError(f"unknown plant '{code}' (plants: {known})")
        return plant
    plants = list_plants(session=session)
    if not plants:
        raise NoacError(NO_PLANT)
    if len(plants) > 1:
        codes = ", ".join(p.code for p in plants)
        raise NoacError(f"the database holds several plants ({codes}): choose one with --plant")
    return plants[0]


def plant_for_import(*, session: Session, code: str | None) -> Plant:
    """Return the plant an import writes to, adding it (unsaved) when it is new.

    Without ``code`` an empty database gets the default plant ``MAIN``.
    """
    if code is None and not list_plants(session=session):
        code = DEFAULT_PLANT_CODE
    if code is not None:
        plant = session.exec(select(Plant).where(Plant.code == code)).first()
        if plant is None:
            if reason := check_code(code, "plant code"):
                raise NoacError(reason)
            plant = Plant(code=code, name=code)
            session.add(plant)
            session.flush()
        return plant
    return resolve_plant(session=session, code=None)


def save_plant(*, session: Session, code: str, name: str, actor: Actor) -> Plant:
    """Add a plant or rename an existing one."""
    require(actor, "manage-plants")
    if reason := check_code(code, "plant code"):
        raise NoacError(reason)
    if not name.strip():
        raise NoacError("plant name is empty")
    if reason := check_text(name, "plant name", 200):
        raise NoacError(reason)
    plant = session.exec(select(Plant).where(Plant.code == code)).first() or Plant(code=code)
    before = plant.name if plant.id else None
    plant.name = name.strip()
    session.add(plant)
    audit.record(session, actor, "save", "plant", code, before, plant.name)
    session.commit()
    return plant

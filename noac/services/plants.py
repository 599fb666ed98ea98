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


def _alike(code: str, plants: list[Plant]) -> Plant | None:
    """The plant of ``plants`` whose code is ``code`` typed in another case (no two plants'
    codes differ only in case: :func:`add_plant`), or None."""
    return next((p for p in plants if p.code.casefold() == code.casefold()), None)


def _unknown(code: str, plants: list[Plant]) -> str:
    known = ", ".join(p.code for p in plants) or "none yet"
    if meant := _alike(code, plants):
        return f"unknown plant '{code}' (plants: {known}): did you mean {meant.code}?"
    return f"unknown plant '{code}' (plants: {known})"


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
            raise NoacError(_unknown(code, list_plants(session=session)))
        return plant
    plants = list_plants(session=session)
    if not plants:
        raise NoacError(NO_PLANT)
    if len(plants) > 1:
        codes = ", ".join(p.code for p in plants)
        raise NoacError(f"the database holds several plants ({codes}): choose one with --plant")
    return plants[0]


def plant_for_import(*, session: Session, code: str | None) -> Plant:
    """Return the plant an import writes to.

    Only the first import into an empty database adds its plant (unsaved): ``code``, or the
    default plant ``MAIN`` without one. Once the database holds a plant, an import writes
    into one it holds, so a mistyped code cannot start a plant of its own: a further plant
    is added first (:func:`add_plant`).
    """
    plants = list_plants(session=session)
    if not plants:
        code = DEFAULT_PLANT_CODE if code is None else code
        if reason := check_code(code, "plant code"):
            raise NoacError(reason)
        plant = Plant(code=code, name=code)
        session.add(plant)
        session.flush()
        return plant
    if code is None:
        return resolve_plant(session=session, code=None)
    for plant in plants:
        if plant.code == code:
            return plant
    if _alike(code, plants):  # not a plant to add: one that would differ only in case
        raise NoacError(_unknown(code, plants))
    raise NoacError(
        f"{_unknown(code, plants)}: an import writes into a plant the database holds;"
        f" add a new plant first with: noac plants add {code} --name NAME"
    )


def add_plant(*, session: Session, code: str, name: str, actor: Actor) -> Plant:
    """Add a new plant, so that imports can write into it; a code in use is refused."""
    require(actor, "manage-plants")
    plants = list_plants(session=session)
    if any(plant.code == code for plant in plants):
        raise NoacError(f"plant {code} exists already")
    if alike := _alike(code, plants):
        raise NoacError(
            f"plant {code} would differ from plant {alike.code} only in upper and lower"
            f" case: choose another code, or use {alike.code}"
        )
    return save_plant(session=session, code=code, name=name, actor=actor)


def rename_plant(*, session: Session, code: str, name: str, actor: Actor) -> Plant:
    """Give a plant the database holds a new name (a plant added by its first import is
    named after its code); an unknown code is refused, not added."""
    require(actor, "manage-plants")
    resolve_plant(session=session, code=code)
    return save_plant(session=session, code=code, name=name, actor=actor)


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

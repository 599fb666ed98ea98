"""The scoring scheme in force for a plant, and its history."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session, col, select

from noac.errors import NoacError
from noac.models import Plant, SchemeVersion
from noac.scheme import Scheme, load_scheme_file
from noac.services import audit
from noac.services.access import Actor, require


def active_scheme(*, session: Session, plant: Plant) -> Scheme:
    """The newest scheme the plant set, else the default shipped in data/scheme.toml."""
    stored = session.exec(
        select(SchemeVersion)
        .where(SchemeVersion.plant_id == plant.id)
        .order_by(col(SchemeVersion.id).desc())
    ).first()
    if stored is None:
        return load_scheme_file()
    return Scheme.model_validate(json.loads(stored.content))


def scheme_by_hash(*, session: Session, plant: Plant, content_hash: str) -> Scheme:
    stored = session.exec(
        select(SchemeVersion).where(
            SchemeVersion.plant_id == plant.id, SchemeVersion.content_hash == content_hash
        )
    ).first()
    if stored is None:
        raise NoacError(f"plant {plant.code} has no scheme {content_hash[:12]}")
    return Scheme.model_validate(json.loads(stored.content))


def record_scheme(*, session: Session, plant: Plant, scheme: Scheme, actor: Actor) -> bool:
    """Store ``scheme`` as the plant's newest unless it already is; no commit.

    Returns True when a new version was stored.
    """
    newest = session.exec(
        select(SchemeVersion)
        .where(SchemeVersion.plant_id == plant.id)
        .order_by(col(SchemeVersion.id).desc())
    ).first()
    if newest is not None and newest.content_hash == scheme.content_hash:
        return False
    existing = session.exec(
        select(SchemeVersion).where(
            SchemeVersion.plant_id == plant.id,
            SchemeVersion.content_hash == scheme.content_hash,
        )
    ).first()
    if existing is not None:
        session.delete(existing)
        session.flush()
    session.add(
        SchemeVersion(
            plant_id=plant.id,
            content_hash=scheme.content_hash,
            content=json.dumps(scheme.model_dump(mode="json"), ensure_ascii=False),
            created_at=datetime.now(UTC),
            created_by=actor.username,
        )
    )
    session.flush()
    return True


def set_scheme(*, session: Session, plant: Plant, path: str | Path, actor: Actor) -> Scheme:
    """Put the scheme in ``path`` in force for the months closed from now on."""
    require(actor, "set-scheme")
    scheme = load_scheme_file(path)
    before = active_scheme(session=session, plant=plant).content_hash
    record_scheme(session=session, plant=plant, scheme=scheme, actor=actor)
    audit.record(
        session,
        actor,
        "set",
        "scheme",
        plant.code,
        {"hash": before},
        {"hash": scheme.content_hash, "scheme": scheme.model_dump(mode="json")},
    )
    session.commit()
    return scheme

"""The scoring scheme in force for a plant, and its history."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import ColumnElement, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from noac.errors import NoacError
from noac.models import MonthResult, Period, Plant, SchemeVersion, Score, Unit
from noac.scheme import Criterion, Scheme, load_scheme_file
from noac.services import audit
from noac.services.access import Actor, require
from noac.services.periods import ClosedMonths, lock_closed_months


def _newest(session: Session, plant_ids: Collection[int]) -> dict[int, tuple[str, str]]:
    """The newest stored scheme of each of ``plant_ids`` as (hash, content), by plant id."""
    newest = (
        select(func.max(SchemeVersion.id))
        .where(col(SchemeVersion.plant_id).in_(plant_ids))
        .group_by(SchemeVersion.plant_id)
    )
    statement = select(
        SchemeVersion.plant_id, SchemeVersion.content_hash, SchemeVersion.content
    ).where(col(SchemeVersion.id).in_(newest))
    return {plant_id: (hash_, content) for plant_id, hash_, content in session.execute(statement)}


def active_schemes(*, session: Session, plants: Sequence[Plant]) -> dict[int, Scheme]:
    """``active_scheme`` of each of ``plants``, by plant id, read at once (a group's close)."""
    newest = _newest(session, [plant.id for plant in plants])
    parsed: dict[str, Scheme] = {}
    for hash_, content in newest.values():
        if hash_ not in parsed:
            parsed[hash_] = Scheme.model_validate(json.loads(content))
    default = load_scheme_file() if len(newest) < len(plants) else None
    return {
        plant.id: parsed[newest[plant.id][0]] if plant.id in newest else default for plant in plants
    }


def active_scheme(*, session: Session, plant: Plant) -> Scheme:
    """The newest scheme the plant set, else the default shipped in data/scheme.toml."""
    return active_schemes(session=session, plants=[plant])[plant.id]


def _closed_hashes(
    session: Session, plant_ids: Collection[int], months: Collection[str]
) -> dict[tuple[int, str], str]:
    """The hash of the scheme each closed one of ``months`` of ``plant_ids`` was closed with
    (its latest close), by (plant id, month)."""
    latest_run = (Period.plant_id == MonthResult.plant_id) & (Period.month == MonthResult.month)
    statement = (
        select(MonthResult.plant_id, MonthResult.month, MonthResult.scheme_hash)
        .join(Period, latest_run & (Period.runs == MonthResult.run))
        .where(
            col(MonthResult.plant_id).in_(list(plant_ids)),
            col(MonthResult.month).in_(list(months)),
            col(Period.closed_at).is_not(None),
        )
        .distinct()
    )
    return {(plant_id, month): hash_ for plant_id, month, hash_ in session.exec(statement).all()}


def month_schemes(*, session: Session, plant: Plant, months: Collection[str]) -> dict[str, Scheme]:
    """The scheme each of ``months`` is read with: a closed month's as its latest close stored
    it, the plant's active one for an open month (a scheme set applies to the months closed
    from then on)."""
    stored = {
        month: hash_ for (_, month), hash_ in _closed_hashes(session, [plant.id], months).items()
    }
    active = active_scheme(session=session, plant=plant)
    parsed = {active.content_hash: active}
    for content_hash in set(stored.values()) - parsed.keys():
        parsed[content_hash] = scheme_by_hash(
            session=session, plant=plant, content_hash=content_hash
        )
    return {month: parsed[stored.get(month, active.content_hash)] for month in months}


def closed_with_other_schemes(
    *, session: Session, schemes: Mapping[int, Scheme], months: Collection[str]
) -> dict[tuple[int, str], Scheme]:
    """The closed ones of ``months`` of the plants of ``schemes`` (by plant id) whose close
    stored a scheme other than the plant's there, with that scheme, by (plant id, month)."""
    other = {
        key: hash_
        for key, hash_ in _closed_hashes(session, schemes, months).items()
        if hash_ != schemes[key[0]].content_hash
    }
    parsed = {
        (plant_id, hash_): _stored_scheme(session, plant_id, hash_)
        for plant_id, hash_ in {(plant_id, hash_) for (plant_id, _), hash_ in other.items()}
    }
    return {
        (plant_id, month): parsed[(plant_id, hash_)] for (plant_id, month), hash_ in other.items()
    }


def _stored_scheme(session: Session, plant_id: int, content_hash: str) -> Scheme | None:
    content = session.exec(
        select(SchemeVersion.content).where(
            SchemeVersion.plant_id == plant_id, SchemeVersion.content_hash == content_hash
        )
    ).first()
    return None if content is None else Scheme.model_validate(json.loads(content))


def scheme_by_hash(*, session: Session, plant: Plant, content_hash: str) -> Scheme:
    stored = _stored_scheme(session, plant.id, content_hash)
    if stored is None:
        raise NoacError(f"plant {plant.code} has no scheme {content_hash[:12]}")
    return stored


def record_schemes(
    *, session: Session, plants: Sequence[Plant], schemes: Mapping[int, Scheme], actor: Actor
) -> None:
    """Store each plant's scheme (``schemes`` by plant id) as its newest version unless it
    already is, the newest versions read at once; no commit."""
    newest = _newest(session, [plant.id for plant in plants])
    for plant in plants:
        scheme = schemes[plant.id]
        if plant.id in newest and newest[plant.id][0] == scheme.content_hash:
            continue
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


def scores_outside(
    session: Session, plant: Plant, scheme: Scheme, months: ColumnElement[bool]
) -> list[str]:
    """Each criterion and month (of those ``months`` selects) whose scores lie outside the
    scales of ``scheme``, as ``quality in 2026-03 (9..9)``."""
    spread = session.exec(
        select(Score.criterion, Score.month, func.min(Score.value), func.max(Score.value))
        .where(Score.plant_id == plant.id, months)
        .group_by(Score.criterion, Score.month)
        .order_by(Score.criterion, Score.month)
    ).all()
    scales = {c.code: c for c in scheme.criteria}
    return [
        f"{criterion} in {month} ({low}..{high})"
        for criterion, month, low, high in spread
        if criterion in scales and not scales[criterion].min <= low <= high <= scales[criterion].max
    ]


def _refuse_rescaling(session: Session, plant: Plant, scheme: Scheme, closed: ClosedMonths) -> None:
    """Refuse ``scheme`` when scores of the months not closed lie outside its scales: they are
    read with the scheme in force, so a 9 given on 0..10 would count as 9 on 1..5 (a month
    before the last closed one too, which takes no scores but may hold some)."""
    outside = scores_outside(session, plant, scheme, col(Score.month).not_in(closed.months))
    if outside:
        session.rollback()  # the months taken by the lock
        raise NoacError(
            "the scheme's scales leave out scores already given in open months, which would be"
            f" read on the new scale: {', '.join(outside)}; the scales are "
            + ", ".join(f"{c.code} {c.min}..{c.max}" for c in scheme.criteria)
            + ". Change a scale once the months scored on the old one are closed"
        )


def incomplete_note(month: str, rater: str, ratee: str, missing: Sequence[Criterion]) -> str:
    """What a user is told of a form that lacks the criteria ``missing``, each named as the
    form shows it (``Criterion.label``)."""
    return (
        f"the form of {rater} for {ratee} in {month} does not count until it is complete:"
        f" no value for {', '.join(c.label() for c in missing)}"
    )


def _left_incomplete(
    session: Session, plant: Plant, before: Scheme, after: Scheme, closed: ClosedMonths
) -> list[str]:
    """The forms of the open months complete on ``before`` that lack a criterion of ``after``,
    each as a note for the user: they stop counting until their raters give it."""
    had = {c.code for c in before.criteria}
    if all(c.code in had for c in after.criteria):
        return []
    rater, ratee = aliased(Unit), aliased(Unit)
    rows = session.exec(
        select(Score.month, rater.code, ratee.code, Score.criterion)
        .join(rater, col(rater.id) == Score.rater_unit_id)
        .join(ratee, col(ratee.id) == Score.ratee_unit_id)
        .where(Score.plant_id == plant.id, col(Score.month).not_in(closed.months))
    ).all()
    given: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for month, rater_code, ratee_code, criterion in rows:
        given[(month, rater_code, ratee_code)].add(criterion)
    return [
        incomplete_note(*form, [c for c in after.criteria if c.code not in criteria])
        for form, criteria in sorted(given.items())
        if had <= criteria and not all(c.code in criteria for c in after.criteria)
    ]


def set_scheme(
    *, session: Session, plant: Plant, path: str | Path, actor: Actor
) -> tuple[Scheme, list[str]]:
    """Put the scheme in ``path`` in force for the months closed from now on; return it, with
    a note for each form of the open months it leaves incomplete (a criterion added)."""
    require(actor, "set-scheme")
    scheme = load_scheme_file(path)
    closed = lock_closed_months(session=session, plant=plant)
    _refuse_rescaling(session, plant, scheme, closed)
    before = active_scheme(session=session, plant=plant)
    notes = _left_incomplete(session, plant, before, scheme, closed)
    record_schemes(session=session, plants=[plant], schemes={plant.id: scheme}, actor=actor)
    audit.record(
        session,
        actor,
        "set",
        "scheme",
        plant.code,
        {"hash": before.content_hash},
        {
            "hash": scheme.content_hash,
            "scheme": scheme.model_dump(mode="json"),
            "incomplete": notes,
        },
    )
    session.commit()
    return scheme, notes

"""What the scoring pages show: a rater's forms per supplier, the forms a unit received.

Read-only views built on :mod:`noac.services.scoring` (forms, form scores,
supply weights) and :mod:`noac.services.coefficients` (satisfaction); the
rules themselves stay there.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from noac.models import Plant
from noac.scheme import Scheme
from noac.services.coefficients import MonthComputation, month_computations, previous_months
from noac.services.masterdata import units_by_code
from noac.services.periods import next_month, parse_month
from noac.services.schemes import month_schemes
from noac.services.scoring import forms, months_supply_weights, supply_weights


@dataclass
class Card:
    """A rater's form for one supplier in a month.

    ``versions`` holds every criterion of the scheme, 0 where none is scored
    yet: what ``scoring.submit_form`` expects as ``expected_versions``.
    """

    month: str
    rater: str
    supplier: str
    supplier_name: str
    weight: float
    values: dict[str, int]
    comments: dict[str, str]
    versions: dict[str, int]
    complete: bool
    score: float | None


@dataclass
class ReceivedForm:
    """A form a customer gave a unit in a month; ``used``: what the unit's satisfaction S
    counts of it (the form score, calibrated where the scheme says so; None: not counted)."""

    month: str
    customer: str
    customer_name: str
    weight: float
    values: dict[str, int]
    comments: dict[str, str]
    complete: bool
    score: float | None
    used: float | None = None


@dataclass
class MonthSatisfaction:
    """A unit's volume-weighted satisfaction S of a month (None: no complete form) and target."""

    month: str
    satisfaction: float | None
    target: float
    closed: bool


def due_date(month: str, day: int) -> date:
    """The day forms of ``month`` are due: ``day`` of the next month (its last day at most).

    >>> due_date("2026-10", 5), due_date("2026-01", 31)
    (datetime.date(2026, 11, 5), datetime.date(2026, 2, 28))
    """
    following = next_month(parse_month(month))
    year, number = int(following[:4]), int(following[5:])
    return date(year, number, max(1, min(day, calendar.monthrange(year, number)[1])))


def trend_months(month: str, count: int = 12) -> list[str]:
    """``month`` and the ``count - 1`` months before it, oldest first.

    >>> trend_months("2026-02", 3)
    ['2025-12', '2026-01', '2026-02']
    """
    return [*previous_months(month, count - 1), month]


def rater_cards(
    *, session: Session, plant: Plant, month: str, rater: str, scheme: Scheme | None = None
) -> list[Card]:
    """One card per unit that supplied ``rater`` in ``month``, by supplier code.

    Parameters
    ----------
    rater
        The scoring (customer) unit's code.
    scheme
        The scheme the values are read with; by default the month's own (a closed month's as
        stored, the active one for an open month).
    """
    return months_rater_cards(
        session=session, plant=plant, months=[month], rater=rater, scheme=scheme
    )[month]


def months_rater_cards(
    *,
    session: Session,
    plant: Plant,
    months: Sequence[str],
    rater: str,
    scheme: Scheme | None = None,
) -> dict[str, list[Card]]:
    """``rater_cards`` of each of ``months``, by month, their weights and forms read at once."""
    if scheme is None:
        schemes = month_schemes(session=session, plant=plant, months=months)
    else:
        schemes = dict.fromkeys(months, scheme)
    units = units_by_code(session=session, plant=plant)
    weights = months_supply_weights(session=session, plant=plant, months=months)
    given = {
        (f.month, f.ratee): f
        for f in forms(session=session, plant=plant, months=months, scheme=scheme)
        if f.rater == rater
    }
    cards: dict[str, list[Card]] = {month: [] for month in months}
    for month in months:
        for (supplier, customer), weight in sorted(weights[month].items()):
            if customer != rater:
                continue
            form = given.get((month, supplier))
            versions = form.versions if form else {}
            cards[month].append(
                Card(
                    month=month,
                    rater=rater,
                    supplier=supplier,
                    supplier_name=units[supplier].name,
                    weight=weight,
                    values=dict(form.values) if form else {},
                    comments=dict(form.comments) if form else {},
                    versions={c.code: versions.get(c.code, 0) for c in schemes[month].criteria},
                    complete=bool(form and form.complete),
                    score=form.score if form else None,
                )
            )
    return cards


def incomplete(cards: Sequence[Card]) -> list[Card]:
    """The cards without a complete form: the forms still missing."""
    return [card for card in cards if not card.complete]


def customer_weights(*, session: Session, plant: Plant, month: str, unit: str) -> dict[str, float]:
    """The units ``unit`` supplied in ``month`` (who may score it), with the edge weights."""
    weights = supply_weights(session=session, plant=plant, month=month)
    return {c: w for (s, c), w in sorted(weights.items()) if s == unit}


def received_forms(
    *,
    session: Session,
    plant: Plant,
    unit: str,
    months: Sequence[str],
    computations: Mapping[str, MonthComputation] | None = None,
) -> list[ReceivedForm]:
    """Every form ``unit`` received in ``months``, by month then customer.

    ``weight`` is the customer's supply weight of that month (0 if the pair no
    longer supplies); form scores use each month's scheme (``schemes.month_schemes``);
    ``used`` comes from the months' ``computations`` (``month_computations``, read when not
    given).
    """
    units = units_by_code(session=session, plant=plant)
    received = [f for f in forms(session=session, plant=plant, months=months) if f.ratee == unit]
    with_forms = sorted({f.month for f in received})
    weights = months_supply_weights(session=session, plant=plant, months=with_forms)
    if computations is None:
        computations = month_computations(session=session, plant=plant, months=with_forms)
    used = {
        (month, rater["rater"]): rater["used"]
        for month in with_forms
        for result in computations[month].results
        if result.unit == unit
        for rater in result.decomposition["raters"]
    }
    return [
        ReceivedForm(
            month=f.month,
            customer=f.rater,
            customer_name=units[f.rater].name,
            weight=weights[f.month].get((unit, f.rater), 0.0),
            values=dict(f.values),
            comments=dict(f.comments),
            complete=f.complete,
            score=f.score,
            used=used.get((f.month, f.rater)),
        )
        for f in received
    ]


def satisfaction_trend(
    *,
    session: Session,
    plant: Plant,
    unit: str,
    months: Sequence[str],
    computations: Mapping[str, MonthComputation] | None = None,
) -> list[MonthSatisfaction]:
    """The satisfaction S and target of ``unit`` per month: as stored for a closed month,
    computed from the scores stored now for an open one (see docs/COEFFICIENT.md); from
    ``computations`` of ``months`` where given."""
    computed = computations or month_computations(session=session, plant=plant, months=months)
    trend = []
    for month in months:
        computation = computed[month]
        result = next((r for r in computation.results if r.unit == unit), None)
        if result is None:
            continue
        trend.append(
            MonthSatisfaction(month, result.satisfaction, result.target, computation.closed)
        )
    return trend

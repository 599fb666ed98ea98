"""Months of a plant: which are closed, the first open one, and the lock that keeps them
so while a write or a close is under way."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, func, select

from noac.errors import NoacError
from noac.models import Handover, Period, Plant, QualityProblem, Score
from noac.validation import parse_date

MONTH_PATTERN = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
# a month written year first otherwise: 2026-3, 2026/3, 2026年3月
_MONTH_WRITTEN = re.compile(r"([0-9]{4})(?:[-/.]([0-9]{1,2})|年([0-9]{1,2})月)")


def month_of(day: date) -> str:
    """The month ``YYYY-MM`` of a day.

    >>> month_of(date(2026, 3, 9))
    '2026-03'
    """
    return f"{day.year:04d}-{day.month:02d}"


def parse_month(text: str) -> str:
    """Return ``text`` if it is a month ``YYYY-MM`` (year 0001 or later); refuse it otherwise.

    >>> parse_month("0000-01")
    Traceback (most recent call last):
    ...
    noac.errors.NoacError: '0000-01' is not a month (YYYY-MM)
    """
    if not MONTH_PATTERN.fullmatch(text or "") or text.startswith("0000"):
        if meant := _month_meant(text or ""):
            raise NoacError(f"'{text}' is not a month (YYYY-MM): write it {meant}")
        raise NoacError(f"'{text}' is not a month (YYYY-MM)")
    return text


def _month_meant(text: str) -> str | None:
    """The month ``YYYY-MM`` that ``text`` writes otherwise, year first (2026-3, 2026年3月,
    or its first day, as a spreadsheet saves a month typed 2026-03: 2026/3/1), or None.

    >>> _month_meant("2026/3/1"), _month_meant("2026年3月"), _month_meant("2026/3/9")
    ('2026-03', '2026-03', None)
    """
    day, _ = parse_date(text)
    if day is not None:
        return month_of(day) if day.day == 1 else None
    if written := _MONTH_WRITTEN.fullmatch(text):
        year, number = written[1], int(written[2] or written[3])
        if year != "0000" and 1 <= number <= 12:
            return f"{year}-{number:02d}"
    return None


def next_month(month: str) -> str:
    """The month after ``month``.

    >>> next_month("2026-12")
    '2027-01'
    """
    year, number = int(month[:4]), int(month[5:])
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


@dataclass(frozen=True)
class ClosedMonths:
    """The closed months of a plant as a write reads them (``lock_closed_months``).

    ``months`` are the months closed, ``last`` the last of them. The months close in order
    from the plant's first month with scores or a problem counted (``open_months_before``):
    a month before the last closed one that was never closed came before that first month,
    and the months closed after it read it empty (the forms their calibration and flags
    compare with). So it takes no write either: ``month in closed`` holds for every month on
    or before ``last``, closed or not. The figures stored are those of ``months``.

    >>> closed = ClosedMonths(frozenset({"2026-03", "2026-04"}))
    >>> closed.last, "2025-11" in closed, "2026-04" in closed, "2026-05" in closed
    ('2026-04', True, True, False)
    """

    months: frozenset[str] = frozenset()
    last: str | None = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "last", max(self.months, default=None))

    def __contains__(self, month: str) -> bool:
        return self.last is not None and month <= self.last


def first_open_day(closed: ClosedMonths) -> date | None:
    """The first day after the last of the ``closed`` months; None when none is closed.

    >>> closed = ClosedMonths(frozenset({"2026-03", "2026-04"}))
    >>> first_open_day(closed), first_open_day(ClosedMonths())
    (datetime.date(2026, 5, 1), None)
    """
    return None if closed.last is None else date.fromisoformat(f"{next_month(closed.last)}-01")


def changes_closed_month(effective: date, closed: ClosedMonths) -> str | None:
    """Why something in force from ``effective`` would change one of the ``closed`` months (a
    month counts the routings and service relations in force on its last day), or None.

    >>> closed = ClosedMonths(frozenset({"2026-03", "2026-04"}))
    >>> print(changes_closed_month(date(2026, 1, 20), closed))  # doctest: +NORMALIZE_WHITESPACE
    from 2026-01-20 would change 2026-04, which is closed: take it in force from 2026-05-01,
    or reopen the months from 2026-03 first
    >>> changes_closed_month(date(2026, 5, 1), closed) is None
    True
    """
    first_open = first_open_day(closed)
    if first_open is None or effective >= first_open:
        return None
    reopened = min(month for month in closed.months if month >= month_of(effective))
    return (
        f"from {effective} would change {closed.last}, which is closed: take it in force from"
        f" {first_open}, or reopen the months from {reopened} first"
    )


def closed_months(*, session: Session, plant: Plant) -> set[str]:
    statement = select(Period.month).where(
        Period.plant_id == plant.id, col(Period.closed_at).is_not(None)
    )
    return set(session.exec(statement))


def open_months_before(*, session: Session, plant: Plant, month: str) -> list[str]:
    """The months before ``month`` that are not closed, oldest first, from the plant's first
    month with scores or a problem counted (none before it).

    A month's close reads the months before it (the forms its calibration and flags compare
    with, the problems counted in the month before), so it waits for them; a month without
    data among them still counts, as a problem ruled later counts in the first open month.
    A problem found earlier and ruled after a close counts in the first open month too
    (``first_open_month``): the month it was found in is not asked for.
    """
    first_scored = session.exec(
        select(func.min(Score.month)).where(Score.plant_id == plant.id)
    ).one()
    first_counted = session.exec(
        select(func.min(QualityProblem.counted_month)).where(QualityProblem.plant_id == plant.id)
    ).one()
    starts = [m for m in (first_scored, first_counted) if m]
    closed = closed_months(session=session, plant=plant)
    months = []
    current = min(starts, default=month)
    while current < month:
        if current not in closed:
            months.append(current)
        current = next_month(current)
    return months


def lock_months(*, session: Session, plants: Sequence[Plant], exclusive: bool = False) -> None:
    """Keep the months of ``plants`` open or closed as they are until this transaction ends.

    A write that must land in an open month (a score, a handover, a ruling) takes the shared
    lock before it reads the closed months; closing or reopening a month takes the exclusive
    one before it reads anything. So a close waits for the writes under way and counts them,
    and a write that comes during a close waits for it and is then refused: nothing is ever
    stored in a closed month behind the back of the figures stored for it.

    SQLite has one writer at a time: both take its write lock (``BEGIN IMMEDIATE``) unless
    this transaction writes already. PostgreSQL: the plants' rows ``FOR SHARE`` (writes,
    which do not wait for each other) or ``FOR NO KEY UPDATE`` (closes; rows that merely
    refer to a plant can still be written).
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        if not connection.connection.driver_connection.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        return
    statement = (
        select(Plant.id)
        .where(col(Plant.id).in_([plant.id for plant in plants]))
        .order_by(col(Plant.id))
        .with_for_update(read=not exclusive, key_share=exclusive)
    )
    connection.execute(statement).all()


def months_closed_to_writes(*, session: Session, plant: Plant) -> ClosedMonths:
    """The months of ``plant`` that take no write (``ClosedMonths``), as a page reads them to
    show a month read-only; a write reads them with ``lock_closed_months``."""
    return ClosedMonths(frozenset(closed_months(session=session, plant=plant)))


def lock_closed_months(*, session: Session, plant: Plant) -> ClosedMonths:
    """``months_closed_to_writes`` for a write that must land in an open month, a month after
    the last closed one: the months are taken first (``lock_months``), so they stay as read
    until the write's transaction ends."""
    lock_months(session=session, plants=[plant])
    return months_closed_to_writes(session=session, plant=plant)


def first_open_month(closed: ClosedMonths, month: str) -> str:
    """``month`` itself if it is open, else the first month after the last closed one.

    >>> closed = ClosedMonths(frozenset({"2026-01", "2026-02"}))
    >>> first_open_month(closed, "2025-11"), first_open_month(closed, "2026-04")
    ('2026-03', '2026-04')
    """
    return next_month(closed.last) if month in closed else month


def recent_months(today: date, count: int = 24) -> list[str]:
    """The month of ``today`` and the ``count - 1`` before it, newest first.

    >>> recent_months(date(2026, 2, 10), 3)
    ['2026-02', '2026-01', '2025-12']
    """
    months = [month_of(today)]
    while len(months) < count:
        year, number = int(months[-1][:4]), int(months[-1][5:])
        months.append(f"{year - (number == 1):04d}-{(number - 2) % 12 + 1:02d}")
    return months


def working_month(*, session: Session, plant: Plant, today: date) -> str:
    """The month people work on by default: the previous month while it is open
    (forms are due early in the next month), else the current one."""
    current = month_of(today)
    previous = recent_months(today, 2)[1]
    return previous if previous not in closed_months(session=session, plant=plant) else current


def data_months(*, session: Session, plant: Plant) -> set[str]:
    """The months the plant has scores, handovers, problems or a close in."""
    months = set(session.exec(select(Period.month).where(Period.plant_id == plant.id)))
    months |= set(session.exec(select(Score.month).where(Score.plant_id == plant.id).distinct()))
    months |= set(
        session.exec(select(Handover.month).where(Handover.plant_id == plant.id).distinct())
    )
    days = session.exec(
        select(QualityProblem.found_on).where(QualityProblem.plant_id == plant.id).distinct()
    )
    return months | {month_of(day) for day in days}

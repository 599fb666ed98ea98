"""Months of a plant: which are closed, and the first open one."""

from __future__ import annotations

import re
from datetime import date

from sqlmodel import Session, col, select

from noac.errors import NoacError
from noac.models import Period, Plant

MONTH_PATTERN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def month_of(day: date) -> str:
    """>>> month_of(date(2026, 3, 9))
    '2026-03'
    """
    return f"{day.year:04d}-{day.month:02d}"


def parse_month(text: str) -> str:
    """Return ``text`` if it is a month ``YYYY-MM``; refuse it otherwise."""
    if not MONTH_PATTERN.match(text or ""):
        raise NoacError(f"'{text}' is not a month (YYYY-MM)")
    return text


def next_month(month: str) -> str:
    """>>> next_month("2026-12")
    '2027-01'
    """
    year, number = int(month[:4]), int(month[5:])
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


def closed_months(*, session: Session, plant: Plant) -> set[str]:
    statement = select(Period.month).where(
        Period.plant_id == plant.id, col(Period.closed_at).is_not(None)
    )
    return set(session.exec(statement))


def first_open_month(*, session: Session, plant: Plant, month: str) -> str:
    """``month`` itself if it is open, else the first open month after it."""
    closed = closed_months(session=session, plant=plant)
    while month in closed:
        month = next_month(month)
    return month

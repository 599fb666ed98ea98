"""Checks of single cells, shared by every importer and service."""

from __future__ import annotations

import math
import re
from datetime import date

CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}")
# a day written year first: ISO (2026-03-10), as a Chinese spreadsheet saves it (2026/3/10,
# 2026.3.10, 2026-3-10) or in Chinese (2026年3月10日)
DATE_PATTERN = re.compile(
    r"(?P<year>[0-9]{4})(?:(?P<sep>[-/.])(?P<month>[0-9]{1,2})(?P=sep)(?P<day>[0-9]{1,2})"
    r"|年(?P<zh_month>[0-9]{1,2})月(?P<zh_day>[0-9]{1,2})日)"
)
# a whole number, as a spreadsheet column formatted with decimals saves it too (9.0)
# a number with its thousands separated by commas, as a spreadsheet saves a column formatted so
THOUSANDS_PATTERN = re.compile(r"-?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
WHOLE_PATTERN = re.compile(r"(-?[0-9]+)(?:\.0+)?")
TRUE_WORDS = {"1", "true", "yes", "y", "是"}
FALSE_WORDS = {"0", "false", "no", "n", "否", ""}


def check_code(value: str, what: str = "code") -> str | None:
    """Return why ``value`` is not a valid code, or None.

    >>> check_code("ASSY\\n", "unit")
    "unit 'ASSY\\n' must be 1-40 letters, digits, '.', '_' or '-', starting with a letter or digit"
    """
    if not value:
        return f"{what} is empty"
    if not CODE_PATTERN.fullmatch(value):
        return (
            f"{what} '{value}' must be 1-40 letters, digits, '.', '_' or '-',"
            " starting with a letter or digit"
        )
    return None


def parse_bool(value: str) -> bool | None:
    """``1/0``, ``true/false``, ``yes/no`` (any case), ``是/否``; None when it is none of
    them."""
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def parse_whole(value: str) -> int | None:
    """The whole number written in ``value`` with the digits 0-9, its decimals zeros or
    none, or None.

    >>> [parse_whole(text) for text in ("9", "-2", "9.0", "1_0", "+9", "９", "9.5", "9.")]
    [9, -2, 9, None, None, None, None, None]
    """
    return int(whole[1]) if (whole := WHOLE_PATTERN.fullmatch(value)) else None


def parse_number(value: str, low: float, high: float) -> tuple[float | None, str | None]:
    """Return ``(number, None)`` or ``(None, reason)`` for a cell between low and high; its
    thousands may be separated by commas (a file's columns are, so no comma is its decimal
    point).

    >>> parse_number("12,500.5", 0, 1e6), parse_number("1,5", 0, 1e6)
    ((12500.5, None), (None, "'1,5' is not a number"))
    >>> parse_number("1_000", 0, 1e6)
    (None, "'1_000' is not a number")
    >>> parse_number("٣", 0, 10)
    (None, "'٣' is not a number")
    """
    written = value.replace(",", "") if THOUSANDS_PATTERN.fullmatch(value) else value
    try:
        number = float(written) if "_" not in written and written.isascii() else None
    except ValueError:
        number = None
    if number is None:
        return None, f"'{value}' is not a number"
    if not math.isfinite(number) or not low <= number <= high:
        return None, f"{value} is outside {low:g}..{high:g}"
    return number, None


def parse_date(value: str) -> tuple[date | None, str | None]:
    """Return ``(date, None)`` for ``YYYY-MM-DD``, or the same day written year first as a
    Chinese spreadsheet writes it, or ``(None, reason)``. A day written day or month first
    (``10/03/2026``) and the other ISO forms (``20261103``, ``2026-W45-2``) are refused as the
    message says.

    >>> parse_date("2026/3/10"), parse_date("2026年3月10日")
    ((datetime.date(2026, 3, 10), None), (datetime.date(2026, 3, 10), None))
    >>> parse_date("20261103")
    (None, "'20261103' is not a date (YYYY-MM-DD)")
    """
    if written := DATE_PATTERN.fullmatch(value):
        year, month, day = written.group("year", "month", "day")
        try:
            return date(
                int(year), int(month or written["zh_month"]), int(day or written["zh_day"])
            ), None
        except ValueError:
            pass
    return None, f"'{value}' is not a date (YYYY-MM-DD)"


def check_text(value: str, what: str, limit: int) -> str | None:
    """Return why free text cannot be stored (too long, a NUL character), or None."""
    if "\x00" in value:
        return f"{what} contains a NUL character"
    if len(value) > limit:
        return f"{what} is longer than {limit} characters"
    return None

"""Checks of single cells, shared by every importer and service."""

from __future__ import annotations

import math
import re
from datetime import date

CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}")
DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
WHOLE_PATTERN = re.compile(r"-?[0-9]+")
TRUE_WORDS = {"1", "true", "yes", "y"}
FALSE_WORDS = {"0", "false", "no", "n", ""}


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
    """``1/0``, ``true/false``, ``yes/no`` (any case); None when it is none of them."""
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def parse_whole(value: str) -> int | None:
    """The whole number written in ``value`` with the digits 0-9, or None.

    >>> [parse_whole(text) for text in ("9", "-2", "1_0", "+9", "９", "9.0")]
    [9, -2, None, None, None, None]
    """
    return int(value) if WHOLE_PATTERN.fullmatch(value) else None


def parse_number(value: str, low: float, high: float) -> tuple[float | None, str | None]:
    """Return ``(number, None)`` or ``(None, reason)`` for a cell between low and high.

    >>> parse_number("1_000", 0, 1e6)
    (None, "'1_000' is not a number")
    >>> parse_number("٣", 0, 10)
    (None, "'٣' is not a number")
    """
    try:
        number = float(value) if "_" not in value and value.isascii() else None
    except ValueError:
        number = None
    if number is None:
        return None, f"'{value}' is not a number"
    if not math.isfinite(number) or not low <= number <= high:
        return None, f"{value} is outside {low:g}..{high:g}"
    return number, None


def parse_date(value: str) -> tuple[date | None, str | None]:
    """Return ``(date, None)`` for ``YYYY-MM-DD`` or ``(None, reason)``; the other ISO forms
    (``20261103``, ``2026-W45-2``) are refused as the message says.

    >>> parse_date("20261103")
    (None, "'20261103' is not a date (YYYY-MM-DD)")
    """
    try:
        if DATE_PATTERN.fullmatch(value):
            return date.fromisoformat(value), None
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

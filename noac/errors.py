"""Errors shown to users: each names what was wrong and where."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class NoacError(Exception):
    """A refusal or failure whose message is meant for the user."""


@dataclass(frozen=True)
class RowError:
    """One reason a row of an input file was refused.

    ``row`` is the spreadsheet row number (the header is row 1); ``None`` for
    a problem with the file as a whole.
    """

    row: int | None
    column: str
    reason: str

    def __str__(self) -> str:
        where = "file" if self.row is None else f"row {self.row}"
        column = f", column '{self.column}'" if self.column else ""
        return f"{where}{column}: {self.reason}"


class ImportRejected(NoacError):
    """An input file was refused as a whole; nothing was written."""

    def __init__(self, source: str, errors: Sequence[RowError]):
        self.source = source
        self.errors = sorted(errors, key=lambda e: (e.row or 0, e.column, e.reason))
        lines = "\n".join(f"  {e}" for e in self.errors)
        super().__init__(f"{source}: {len(self.errors)} error(s), nothing was imported\n{lines}")


def unreadable(error: OSError | UnicodeDecodeError) -> str:
    """Why a text file could not be read, as its user is told: the system's reason (no such
    file, a folder, no permission), or the byte where its text stops being UTF-8."""
    if isinstance(error, UnicodeDecodeError):
        return f"it is not UTF-8 text (byte {error.start}): save it as UTF-8"
    return error.strerror

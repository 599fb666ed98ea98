"""Read CSV and XLSX files into rows with their spreadsheet row numbers."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import openpyxl

from noac.errors import ImportRejected, RowError

LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class Row:
    """A data row: ``number`` is its spreadsheet row (header = 1), ``values`` by column."""

    number: int
    values: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "")


def split_list(value: str) -> list[str]:
    """Split a ``;``-separated cell into its non-empty, stripped items."""
    return [item.strip() for item in value.split(LIST_SEPARATOR) if item.strip()]


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _read_csv(data: bytes, source: str) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected(
            source, [RowError(None, "", f"the file is not UTF-8 text (byte {exc.start})")]
        ) from None
    try:
        return [[cell.strip() for cell in record] for record in csv.reader(io.StringIO(text))]
    except csv.Error as exc:
        raise ImportRejected(
            source, [RowError(None, "", f"not a readable CSV file: {exc}")]
        ) from None


def _read_xlsx(data: bytes, source: str) -> list[list[str]]:
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds on a broken file
        raise ImportRejected(
            source, [RowError(None, "", f"not a readable XLSX workbook: {exc}")]
        ) from None
    sheet = workbook.worksheets[0]
    return [[_cell_text(cell) for cell in record] for record in sheet.iter_rows(values_only=True)]


def read_table(
    source: str | Path,
    required: Sequence[str],
    optional: Sequence[str] = (),
    *,
    data: bytes | None = None,
) -> list[Row]:
    """Read a CSV or XLSX file whose header names the columns.

    Header names are matched case-insensitively; every ``required`` column
    must be present, and a column that is neither required nor optional is
    refused so that nothing a user entered is silently dropped. Blank rows are
    skipped. ``data`` gives the file's bytes when they come from an upload.

    Raises
    ------
    ImportRejected
        With every problem of the header, or of the file as a whole.
    """
    name = str(source)
    if data is None:
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise ImportRejected(
                name, [RowError(None, "", f"cannot read the file: {exc.strerror}")]
            ) from None
    records = _read_xlsx(data, name) if name.lower().endswith(".xlsx") else _read_csv(data, name)
    numbered = [(number, cells) for number, cells in enumerate(records, start=1) if any(cells)]
    if not numbered:
        raise ImportRejected(name, [RowError(None, "", "the file is empty (no header row)")])
    header_number, header_cells = numbered[0]
    header = [cell.lower() for cell in header_cells]
    known = [*required, *optional]
    errors: list[RowError] = []
    for position, column in enumerate(header):
        if not column:
            errors.append(RowError(header_number, "", f"header cell {position + 1} is empty"))
        elif column not in known:
            errors.append(
                RowError(header_number, column, f"unknown column (expected: {', '.join(known)})")
            )
        elif header.index(column) != position:
            errors.append(RowError(header_number, column, "the column appears more than once"))
    errors.extend(
        RowError(header_number, column, "required column is missing")
        for column in required
        if column not in header
    )
    rows: list[Row] = []
    for number, cells in numbered[1:]:
        if any(cells[len(header) :]):
            errors.append(
                RowError(number, "", f"{len(cells)} cells but the header has {len(header)} columns")
            )
            continue
        nul = [column for column, cell in zip(header, cells, strict=False) if "\x00" in cell]
        if nul:
            errors += [RowError(number, column, "contains a NUL character") for column in nul]
            continue
        padded = cells + [""] * (len(header) - len(cells))
        rows.append(Row(number, dict(zip(header, padded, strict=False))))
    if errors:
        raise ImportRejected(name, errors)
    return rows

"""Read CSV and XLSX files into rows with their spreadsheet row numbers."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from itertools import repeat
from pathlib import Path
from typing import overload

import openpyxl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from openpyxl.utils import get_column_letter

from noac.errors import ImportRejected, RowError

LIST_SEPARATOR = ";"


class Row:
    """A data row: ``number`` is its spreadsheet row (header = 1), ``row[column]`` a cell.

    A column the file does not have reads as "". The rows of one file share
    ``columns``, the position of each column in ``cells``.
    """

    __slots__ = ("cells", "columns", "number")

    def __init__(self, number: int, cells: tuple[str, ...], columns: Mapping[str, int]) -> None:
        self.number = number
        self.cells = cells
        self.columns = columns

    def __getitem__(self, column: str) -> str:
        position = self.columns.get(column)
        return "" if position is None else self.cells[position]


class Table(Sequence[Row]):
    """The data rows of a file in order, each made a ``Row`` when it is used.

    The cells are kept column by column (one tuple of plain strings per column, which
    Python's garbage collector never has to walk): ``columns`` hands whole columns to a
    check that works on them at once, ``cells`` chosen columns of every row.
    """

    def __init__(
        self,
        numbers: list[int],
        data: Sequence[Sequence[str]],
        columns: Mapping[str, int],
        width: int,
        headed: Mapping[str, str] | None = None,
    ) -> None:
        self.numbers = numbers
        self._data = data
        self._columns = columns
        self.absent = frozenset(name for name, at in columns.items() if at >= width)
        """The optional columns the file lacks (their cells read as empty)."""
        self.headed = headed or {}
        """The name the file's header gives each column it names by another name."""

    def __len__(self) -> int:
        return len(self.numbers)

    @overload
    def __getitem__(self, index: int) -> Row: ...

    @overload
    def __getitem__(self, index: slice) -> list[Row]: ...

    def __getitem__(self, index: int | slice) -> Row | list[Row]:
        if isinstance(index, slice):
            cells = zip(*(column[index] for column in self._data), strict=True)
            return list(map(Row, self.numbers[index], cells, repeat(self._columns)))
        return Row(self.numbers[index], tuple(c[index] for c in self._data), self._columns)

    def __iter__(self) -> Iterator[Row]:
        return map(Row, self.numbers, zip(*self._data, strict=True), repeat(self._columns))

    def columns(self, names: Sequence[str]) -> list[Sequence[str]]:
        """The cells of each of ``names`` (required or optional columns), top to bottom."""
        return [self._data[self._columns[name]] for name in names]


def split_list(value: str) -> list[str]:
    """Split a ``;``-separated cell into its non-empty, stripped items."""
    return [item.strip() for item in value.split(LIST_SEPARATOR) if item.strip()]


# the quoted text and the escaped characters of a number format, which it shows as they are
_FORMAT_LITERALS = re.compile(r'"[^"]*"|\\.')


def _cell_text(value: object, number_format: str = "") -> str:
    """A spreadsheet cell as the text a CSV file would hold: a date formatted without its day
    (``yyyy-mm``, ``mmm yy``) as the month it shows, a number formatted as a percentage as
    the percentage it shows (0.88 as ``88%``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if (
        isinstance(value, int | float)
        and "%" in number_format
        and "%" in _FORMAT_LITERALS.sub("", number_format)
    ):
        return f"{Decimal(repr(value)).scaleb(2).normalize():f}%"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            return str(value)
        if value.day == 1 and "d" not in number_format.lower() and "y" in number_format.lower():
            return value.strftime("%Y-%m")
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _read_csv(data: bytes, source: str) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportRejected(
            source,
            [
                RowError(
                    line,
                    "",
                    f"the file is not UTF-8 text (byte {exc.start}): save it as CSV UTF-8",
                )
            ],
        ) from None
    # lines ended by CR LF, LF or a lone CR (older spreadsheet programs) alike
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        records = list(reader)
    except csv.Error as exc:
        raise ImportRejected(
            source, [RowError(reader.line_num, "", f"not readable as CSV: {exc}")]
        ) from None
    if text.count('"') % 2 and (row := _open_quote(text)):
        reason = (
            'a quote (") opening a cell in this row is not closed, so every line after it'
            " would be read into that cell: close it, or write a quote inside a quoted cell"
            ' twice ("")'
        )
        raise ImportRejected(source, [RowError(row, "", reason)])
    return records


def _open_quote(text: str) -> int | None:
    """The row whose quoted cell the CSV ``text`` ends in (its closing quote left out), or
    None. A quote inside a cell that is not quoted (``12" flange``) leaves the quotes of a
    file odd in number too: only a reader that refuses the end of the file inside a quoted
    cell tells them apart."""
    rows = 0
    try:
        for _ in csv.reader(io.StringIO(text, newline=""), strict=True):
            rows += 1
    except csv.Error as exc:
        return rows + 1 if "unexpected end of data" in str(exc) else None
    return None


def _sheet_cells(data: bytes, data_only: bool) -> list[tuple]:
    """The cells of the first sheet, row by row: as entered, or with each formula's value
    as the spreadsheet program last computed it (``data_only``)."""
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
    try:
        return list(workbook.worksheets[0].iter_rows())
    finally:
        workbook.close()


# how an XLSX workbook (a ZIP archive) begins, and an Excel 97-2003 one (.xls)
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _sheet_headers(data: bytes) -> list[tuple[str, tuple[str, ...]]]:
    """Each sheet's title and first row that holds anything, in the workbook's order."""
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return [
            (
                sheet.title,
                next(
                    (
                        cells
                        for row in sheet.iter_rows(values_only=True)
                        if any(cells := tuple(map(_cell_text, row)))
                    ),
                    (),
                ),
            )
            for sheet in workbook.worksheets
        ]
    finally:
        workbook.close()


def _read_xlsx(data: bytes, source: str) -> list[tuple[str, ...]]:
    """The first sheet's rows as text, each cell as the spreadsheet shows it: a formula by
    its value, refused where the file holds none (saved by a program that computes nothing)."""
    try:
        entered = _sheet_cells(data, data_only=False)
        formulas = any(cell.data_type == "f" for row in entered for cell in row)
        shown = _sheet_cells(data, data_only=True) if formulas else entered
    except Exception as exc:  # openpyxl raises many kinds on a broken file
        raise ImportRejected(
            source, [RowError(None, "", f"not a readable XLSX workbook: {exc}")]
        ) from None
    records: list[tuple[str, ...]] = []
    errors: list[RowError] = []
    for number, (row, values) in enumerate(zip(entered, shown, strict=True), start=1):
        for position, (cell, value) in enumerate(zip(row, values, strict=True), start=1):
            if cell.data_type == "f" and value.value is None:
                errors.append(
                    RowError(
                        number,
                        "",
                        f"cell {get_column_letter(position)}{number} holds a formula whose value"
                        " was not saved: open the file in a spreadsheet program and save it",
                    )
                )
        records.append(
            tuple(_cell_text(c.value, getattr(c, "number_format", "") or "") for c in values)
        )
    if errors:
        raise ImportRejected(source, errors)
    return records


def _plain_columns(body: list[Sequence[str]], width: int) -> list[Sequence[str]] | None:
    """The cells of ``body`` column by column, stripped, when every row has ``width`` cells
    and at least one that is not empty; None when some row needs a closer look."""
    if not body:
        return [()] * width
    if len(body[0]) != width:
        return None
    try:
        data = list(zip(*body, strict=True))
    except ValueError:  # rows of different widths
        return None
    data = [tuple(map(str.strip, column)) for column in data]
    return None if _blank_row(data) else data


def _blank_row(columns: Sequence[Sequence[str]]) -> bool:
    """Whether some row of ``columns`` (stripped cells) has every cell empty."""
    return "" in columns[0] and not all(map(any, zip(*columns, strict=True)))


# the ASCII characters str.strip() removes, more than Arrow calls white space
_ASCII_SPACE = "".join(c for c in map(chr, range(128)) if c.isspace())
_ARROW_WIDTH = 64  # columns read as text by Arrow; a wider file is read by the csv module


def _arrow_columns(data: bytes) -> list[tuple[str, ...]] | None:
    """The columns of a CSV file (header row first), every cell stripped, read by Arrow's
    CSV reader when every row has the first row's width and none is blank: a scores file of
    45,000 rows in 18 ms instead of 52 ms through the ``csv`` module. None when the file
    needs the reading row by row, which tells what is wrong where: rows of other widths,
    a blank row, a line ended by a lone carriage return, a NUL, text that is not UTF-8, a
    quote left open.

    Arrow splits cells and unquotes them as the ``csv`` module does (``tests/test_imports.py``
    compares both on generated files); what it trims differently is trimmed by ``str.strip``.
    """
    if b"\x00" in data or data.count(b"\r") != data.count(b"\r\n") or data.count(b'"') % 2:
        return None  # an odd number of quotes: perhaps one left open
    # every cell as its text, however it looks (Arrow names the columns f0, f1, ...)
    as_text = pa_csv.ConvertOptions(
        column_types={f"f{i}": pa.string() for i in range(_ARROW_WIDTH)},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(data),
            read_options=pa_csv.ReadOptions(autogenerate_column_names=True, use_threads=False),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
            convert_options=as_text,
        )
    except pa.ArrowInvalid:  # rows of other widths, text that is not UTF-8, no row at all
        return None
    if table.num_columns > _ARROW_WIDTH:
        return None
    columns = []
    for column in table.columns:
        if pc.all(pc.string_is_ascii(column)).as_py() is not False:
            cells = pc.ascii_trim(column, characters=_ASCII_SPACE).to_pylist()
        else:
            cells = map(str.strip, column.to_pylist())
        columns.append(tuple(cells))
    return None if _blank_row(columns) else columns


# what some spreadsheet programs separate columns with (a European Excel's CSV, "Text (Tab
# delimited)", a Chinese input method left in full-width mode), as a refusal names it
_SEPARATORS = {";": "semicolons (;)", "\t": "tabs", "，": "full-width commas (，)"}


def _other_separator(cells: tuple[str, ...], known: Sequence[str]) -> str | None:
    """The character splitting a header of one cell into column names where a comma should,
    or None."""
    if len(cells) != 1:
        return None
    for separator in _SEPARATORS:
        names = [name.strip().lower() for name in cells[0].split(separator)]
        if len(names) > 1 and any(name in known for name in names):
            return separator
    return None


def _named(
    cells: tuple[str, ...], known: Sequence[str], names: Mapping[str, str]
) -> tuple[tuple[str, ...], dict[str, str]]:
    """The header ``cells`` with a column named by its other name (``names``) read as named
    by its own, and the name the file gives each such column. A column named by both, as
    ``heading`` names it or with ( ) typed half-width, is named by its other name too.

    >>> _named(("代码", "name"), ("code", "name"), {"code": "代码", "name": "名称"})
    (('code', 'name'), {'code': '代码'})
    >>> _named(("代码（code）", "名称(name)"), ("code", "name"), {"code": "代码", "name": "名称"})
    (('code', 'name'), {'code': '代码（code）', 'name': '名称(name)'})
    """
    other = {
        text: column
        for column in known
        if column in names
        for text in (names[column], heading(column, names), f"{names[column]}({column})")
    }
    header = tuple(other.get(cell.strip(), cell) for cell in cells)
    return header, {
        column: cell for cell, column in zip(cells, header, strict=True) if cell != column
    }


def heading(column: str, names: Mapping[str, str]) -> str:
    """``column`` as a file heading its columns by their other names (``names``) heads it,
    its own name in parentheses; as it is when it has no other name.

    >>> heading("value", {"value": "分值"}), heading("value", {})
    ('分值（value）', 'value')
    """
    return f"{names[column]}（{column}）" if column in names else column


def _header(
    cells: tuple[str, ...],
    number: int,
    required: Sequence[str],
    optional: Sequence[str],
    names: Mapping[str, str],
) -> tuple[list[str], list[RowError], dict[str, int]]:
    """The header's column names (lower case), what is wrong with it, and the position of
    each column among the cells of a row, the optional columns the file lacks last. A column
    the header lacks, or could have, is named by its other name in ``names`` (those of a
    header that names some column by its other name)."""
    header = [cell.lower() for cell in cells]
    known = [*required, *optional]
    expected = ", ".join(heading(column, names) for column in known)
    errors: list[RowError] = []
    for position, column in enumerate(header):
        if not column:
            errors.append(RowError(number, "", f"header cell {position + 1} is empty"))
        elif column not in known:
            errors.append(RowError(number, column, f"unknown column (expected: {expected})"))
        elif header.index(column) != position:
            errors.append(RowError(number, column, "the column appears more than once"))
    errors.extend(
        RowError(number, heading(column, names), "required column is missing")
        for column in required
        if column not in header
    )
    absent = [column for column in optional if column not in header]
    return header, errors, {column: position for position, column in enumerate(header + absent)}


def _names_columns(
    cells: Sequence[str], required: Sequence[str], optional: Sequence[str], names: Mapping[str, str]
) -> bool:
    """Whether a row of ``cells`` names the columns of a file: every required one, and no
    other than the optional ones."""
    cells = tuple(cell.strip() for cell in cells)
    while cells and not cells[-1]:
        cells = cells[:-1]
    named, _ = _named(cells, [*required, *optional], names)
    return bool(cells) and not _header(named, 0, required, optional, {})[1]


def _header_elsewhere(
    records: Sequence[Sequence[str]],
    first: int,
    workbook: bytes | None,
    required: Sequence[str],
    optional: Sequence[str],
    names: Mapping[str, str],
) -> RowError | None:
    """Where a file whose first row that holds anything (row ``first``, 0 for none) names
    none of its columns names them: a later row (under a title), or the first row of
    another sheet of the ``workbook``; None when nowhere."""
    for number, cells in enumerate(records[first:], start=first + 1):
        if _names_columns(cells, required, optional, names):
            return RowError(
                first,
                "",
                f"the columns are named in row {number}: delete the rows above it",
            )
    if workbook is not None:
        (sheet, _), *others = _sheet_headers(workbook)
        for other, cells in others:
            if _names_columns(cells, required, optional, names):
                return RowError(
                    None,
                    "",
                    f"the first sheet, '{sheet}', does not name the columns, sheet '{other}'"
                    " does: move it first (a workbook is read from its first sheet)",
                )
    return None


def read_table(
    source: str | Path,
    required: Sequence[str],
    optional: Sequence[str] = (),
    *,
    data: bytes | None = None,
    names: Mapping[str, str] | None = None,
) -> Table:
    """Read a CSV or XLSX file whose header names the columns, each told by what it holds
    (a workbook renamed .csv is read as a workbook).

    Header names are matched case-insensitively, or as another name of the column in
    ``names`` (``Table.headed`` keeps the file's); every ``required`` column
    must be present, and a column that is neither required nor optional is
    refused so that nothing a user entered is silently dropped. Blank rows are
    skipped. ``data`` gives the file's bytes when they come from an upload.

    Raises
    ------
    ImportRejected
        With every problem of the header, or of the file as a whole.
    """
    name = str(source)
    known = [*required, *optional]
    if data is None:
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise ImportRejected(
                name, [RowError(None, "", f"cannot read the file: {exc.strerror}")]
            ) from None
    if data.startswith(_OLE):
        reason = (
            "the file is an Excel 97-2003 workbook (.xls): save it as an Excel workbook (.xlsx)"
            " or as CSV UTF-8"
        )
        raise ImportRejected(name, [RowError(None, "", reason)])
    workbook = data.startswith(_ZIP)  # whatever the file's name ends with
    fast = None if workbook else _arrow_columns(data)
    if fast is not None and fast[-1][0]:  # a last column without a name: read row by row
        named, headed = _named(tuple(cell[0] for cell in fast), known, names or {})
        header, errors, columns = _header(named, 1, required, optional, {})
        if not errors:  # the header on row 1 and every row full: no step per row
            rows = len(fast[0]) - 1
            filler = [("",) * rows] * (len(columns) - len(header))
            data = [cells[1:] for cells in fast] + filler
            return Table(list(range(2, rows + 2)), data, columns, len(header), headed)
    records = _read_xlsx(data, name) if workbook else _read_csv(data, name)
    numbered = ((n, tuple(map(str.strip, cells))) for n, cells in enumerate(records, start=1))
    header_number, header_cells = next(((n, cells) for n, cells in numbered if any(cells)), (0, ()))
    if not header_cells:
        elsewhere = _header_elsewhere(
            records, 0, data if workbook else None, required, optional, names or {}
        )
        raise ImportRejected(
            name, [elsewhere or RowError(None, "", "the file is empty (no header row)")]
        )
    while not header_cells[-1]:  # empty cells after the last column, as some programs write
        header_cells = header_cells[:-1]
    if separator := _other_separator(header_cells, known):
        what = _SEPARATORS[separator]
        reason = (
            f"the columns are separated by {what}, not by commas: save the file as CSV UTF-8"
            " (comma delimited)"
        )
        raise ImportRejected(name, [RowError(header_number, "", reason)])
    header_cells, headed = _named(header_cells, known, names or {})
    header, errors, columns = _header(
        header_cells, header_number, required, optional, (names or {}) if headed else {}
    )
    # a column headed twice, as the file heads it
    errors = [RowError(e.row, headed.get(e.column, e.column), e.reason) for e in errors]
    if errors and not set(header) & set(known):  # no column named here: a title, a note
        elsewhere = _header_elsewhere(
            records, header_number, data if workbook else None, required, optional, names or {}
        )
        if elsewhere is not None:
            raise ImportRejected(name, [elsewhere])
    width = len(header)
    filler = ("",) * (len(columns) - width)
    nul_possible = b"\x00" in data
    body = records[header_number:]
    plain = None if errors or nul_possible else _plain_columns(body, width)
    if plain is not None:  # every row full and of the header's width: no step per row
        numbers = list(range(header_number + 1, header_number + 1 + len(body)))
        return Table(numbers, plain + [("",) * len(body)] * len(filler), columns, width, headed)
    numbers: list[int] = []
    kept: list[tuple[str, ...]] = []
    for number, cells in numbered:
        if not any(cells):
            continue
        if len(cells) != width:
            if any(cells[width:]):
                at = next(at for at in range(width, len(cells)) if cells[at])
                errors.append(
                    RowError(
                        number,
                        "",
                        f"{len(cells)} cells but the header has {width} columns: '{cells[at]}' in"
                        f" column {get_column_letter(at + 1)} is under no column name",
                    )
                )
                continue
            cells = cells[:width] + ("",) * (width - len(cells))
        if nul_possible:
            nul = [column for column, cell in zip(header, cells, strict=False) if "\x00" in cell]
            if nul:
                errors += [RowError(number, column, "contains a NUL character") for column in nul]
                continue
        numbers.append(number)
        kept.append(cells + filler)
    if errors:
        raise ImportRejected(name, errors)
    kept_columns = list(zip(*kept, strict=True)) or [()] * len(columns)
    return Table(numbers, kept_columns, columns, width, headed)

"""Files users download: the coefficient export in CSV, XLSX or JSON, and the dashboard's
CSVs (``csv_file``)."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence

import pandas as pd

from noac.errors import NoacError
from noac.services.coefficients import EXPORT_COLUMNS, MonthComputation, export_records

FORMATS = ("csv", "xlsx", "json")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value: object) -> object:
    """Text a spreadsheet would run as a formula is kept as text (a leading apostrophe);
    numbers, a negative one too, stay numbers.

    >>> inert("=HYPERLINK(1)"), inert("\\tcmd"), inert("WELD"), inert(-0.5)
    ("'=HYPERLINK(1)", "'\\tcmd", 'WELD', -0.5)
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def spreadsheet_frame(rows: list[dict], columns: Sequence[str] | None = None) -> pd.DataFrame:
    """``rows`` as a table for a spreadsheet, every cell ``inert``."""
    return pd.DataFrame([{k: inert(v) for k, v in row.items()} for row in rows], columns=columns)


def csv_file(rows: list[dict], columns: Sequence[str] | None = None) -> bytes:
    """``rows`` as a CSV file in UTF-8 with a byte order mark, so Excel reads the units'
    Chinese names, every cell ``inert``. Lines end in CR LF, as RFC 4180 and Excel write
    them, so a cell holding a CR is quoted and cannot start a row of its own."""
    frame = spreadsheet_frame(rows, columns)
    return frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def coefficients_file(computation: MonthComputation, format_: str) -> bytes:
    """The coefficient export of a closed month as bytes in ``format_``: a CSV file in UTF-8
    with a byte order mark, so Excel reads the units' Chinese names."""
    records = export_records(computation)
    if format_ == "json":
        payload = {
            "plant": computation.plant,
            "month": computation.month,
            "run": computation.run,
            "scheme": computation.scheme_hash,
            "coefficients": records,
        }
        return json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8")
    if format_ == "csv":
        return csv_file(records, EXPORT_COLUMNS)
    if format_ == "xlsx":
        frame = spreadsheet_frame(records, EXPORT_COLUMNS)
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            frame.to_excel(writer, index=False, sheet_name=computation.month)
        return buffer.getvalue()
    raise NoacError(f"unknown format '{format_}' (one of {', '.join(FORMATS)})")

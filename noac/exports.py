"""Files users download: the coefficient export in CSV, XLSX or JSON."""

from __future__ import annotations

import io
import json

import pandas as pd

from noac.errors import NoacError
from noac.services.coefficients import EXPORT_COLUMNS, MonthComputation, export_records

FORMATS = ("csv", "xlsx", "json")


def _inert(value: object) -> object:
    """Text a spreadsheet would run as a formula is kept as text (a leading apostrophe).

    >>> _inert("=HYPERLINK(1)"), _inert("WELD"), _inert(0.5)
    ("'=HYPERLINK(1)", 'WELD', 0.5)
    """
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


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
    frame = pd.DataFrame(
        [{k: _inert(v) for k, v in record.items()} for record in records],
        columns=list(EXPORT_COLUMNS),
    )
    if format_ == "csv":
        return frame.to_csv(index=False).encode("utf-8-sig")
    if format_ == "xlsx":
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            frame.to_excel(writer, index=False, sheet_name=computation.month)
        return buffer.getvalue()
    raise NoacError(f"unknown format '{format_}' (one of {', '.join(FORMATS)})")

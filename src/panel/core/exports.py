"""Spreadsheet exports. An export is a disclosure (docs/domain.md §8): services log every one.

Cells that a spreadsheet would treat as a formula are neutralised (OWASP CSV injection).
"""

from __future__ import annotations

import io

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _for_excel(value):
    """Characters a worksheet cannot hold (control characters) dropped: openpyxl refuses them.
    Dropped before neutralising, so "\x1f=1+1" cannot turn back into a formula."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _safe(df: pd.DataFrame, excel: bool = False) -> pd.DataFrame:
    clean = (lambda v: neutralise(_for_excel(v))) if excel else neutralise
    out = df.copy()
    for col in out.columns:
        if (out[col].dtype == object or pd.api.types.is_string_dtype(out[col])
                or isinstance(out[col].dtype, pd.CategoricalDtype)):
            out[col] = out[col].astype(object).map(clean)
    out.columns = [clean(str(c)) for c in out.columns]
    return out


def to_csv(df: pd.DataFrame) -> bytes:
    # CRLF rows, as RFC 4180 and Excel expect; it also makes the writer quote any cell holding a
    # lone carriage return, which a spreadsheet would otherwise read as a new row whose first
    # cell ("=...") nobody neutralised.
    return _safe(df).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def to_xlsx(df: pd.DataFrame, sheet: str = "Export") -> bytes:
    return to_xlsx_sheets({sheet: df})


def to_xlsx_sheets(sheets: dict[str, pd.DataFrame]) -> bytes:
    """Several sheets in one workbook, each neutralised, sized to fit and with a frozen header."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for name, df in sheets.items():
            _safe(df, excel=True).to_excel(writer, index=False, sheet_name=name[:31])
            ws = writer.sheets[name[:31]]
            for cells in ws.columns:
                width = max(len(str(c.value or "")) for c in cells[:200])
                ws.column_dimensions[cells[0].column_letter].width = min(max(10, width + 2), 60)
            ws.freeze_panes = "A2"
    return buf.getvalue()

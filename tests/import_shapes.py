"""Hostile and honest workbook shapes for the import limits, built byte by byte.

Shared by tests/test_import_limits.py and the subprocess it measures each read in.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import PatternFill

from panel import tracker_io

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
LAST_ROW = 1_048_576  # Excel's last row
LAST_COLUMN = "XFD"  # and its last column (16,384)


def _base(sheets: list[str]) -> bytes:
    """A real workbook with the named sheets (openpyxl writes sheetN.xml in this order)."""
    wb = Workbook()
    wb.remove(wb.active)
    for name in sheets:
        wb.create_sheet(name).append(["placeholder"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _with_sheets(sheet_xml: dict[str, bytes]) -> bytes:
    """A workbook whose sheets hold exactly the given XML, deflated as Excel does."""
    base = _base(list(sheet_xml))
    parts = {f"xl/worksheets/sheet{i}.xml": xml for i, xml in enumerate(sheet_xml.values(), start=1)}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, parts.get(info.filename, src.read(info.filename)))
    return out.getvalue()


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _sheet(rows: str, dimension: str | None = None) -> bytes:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{NS}">'
            f'{dim}<sheetData>{rows}</sheetData></worksheet>').encode()


def _header_row(sheet: str) -> str:
    cols = tracker_io.SHEETS[sheet]
    cells = "".join(_inline(f"{_letter(i)}1", c.name) for i, c in enumerate(cols))
    return f'<row r="1">{cells}</row>'


def _letter(i: int) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(i + 1)


def declared_sheet(sheet: str) -> bytes:
    """Declares the whole grid (A1:XFD1048576) and holds a cell in Excel's last row."""
    last = f'<row r="{LAST_ROW}">{_inline(f"A{LAST_ROW}", "NB-2025-001")}</row>'
    return _sheet(_header_row(sheet) + last, dimension=f"A1:{LAST_COLUMN}{LAST_ROW}")


def declared() -> bytes:
    """A few KB that claim a 1,048,576-row, 16,384-column referrals sheet."""
    return _with_sheets({"referrals": declared_sheet("referrals")})


def declared_four() -> bytes:
    """The same claim on all four tracker sheets."""
    return _with_sheets({name: declared_sheet(name) for name in tracker_io.SHEETS})


def styled_empty(rows: int = 500_000, cells: int = 10) -> bytes:
    """Row after row of formatted but empty cells: tens of MB of XML that deflate to little."""
    empty = '<c s="1"/>' * cells
    body = "".join(f'<row r="{r}">{empty}</row>' for r in range(2, rows + 2))
    return _with_sheets({"referrals": _sheet(_header_row("referrals") + body)})


def declared_narrow() -> bytes:
    """An honest sheet whose dimension record undersells it (A1 only)."""
    row = f'<row r="2">{_inline("A2", "NB-2025-001")}</row>'
    return _with_sheets({"referrals": _sheet(_header_row("referrals") + row, dimension="A1")})


def wide_row() -> bytes:
    """One data row with a value in Excel's last column."""
    row = f'<row r="2">{_inline("A2", "NB-2025-001")}{_inline(f"{LAST_COLUMN}2", "x")}</row>'
    return _with_sheets({"referrals": _sheet(_header_row("referrals") + row)})


def zip_bomb(megabytes: int = 50) -> bytes:
    """A real workbook plus one member that inflates a thousandfold (zeros deflate ~1000:1)."""
    base = io.BytesIO(_with_sheets({"referrals": _sheet(_header_row("referrals"))}))
    with zipfile.ZipFile(base, "a", zipfile.ZIP_DEFLATED) as z:
        with z.open("xl/media/image1.bin", "w", force_zip64=True) as f:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(megabytes):
                f.write(chunk)
    return base.getvalue()


def honest(rows: int, trailing_styled: int = 0) -> bytes:
    """A real tracker: `rows` referrals, then `trailing_styled` formatted but empty rows below."""
    wb = Workbook()
    ws = wb.active
    ws.title = "referrals"
    cols = tracker_io.REFERRAL_COLUMNS
    ws.append([c.name for c in cols])
    for i in range(rows):
        ws.append([f"NB-2025-{i + 1:03d}", date(2025, 1, 1 + i % 28), "Example text"]
                  + [None] * (len(cols) - 3))
    fill = PatternFill("solid", fgColor="FFFF00")
    for r in range(rows + 2, rows + 2 + trailing_styled):
        for c in range(1, 6):
            ws.cell(r, c).fill = fill
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


SHAPES = {
    "declared": declared,
    "declared_four": declared_four,
    "styled_empty": styled_empty,
    "wide_row": wide_row,
    "zip_bomb": zip_bomb,
    "zip_bomb_large": lambda: zip_bomb(300),
}

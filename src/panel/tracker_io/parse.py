"""Reading a tracker file: the workbook, its sheets and header, and each cell as a clean value.

Limits (size, rows, unzipped size) are checked before anything is trusted."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from openpyxl import load_workbook

from panel.exports import FORMULA_STARTS
from panel.tracker_io.format import (
    EARLIEST,
    FALSE,
    GUIDE_SHEET,
    ISO_RE,
    MAX_BYTES,
    MAX_ROWS,
    MAX_UNZIPPED,
    SHEETS,
    TRUE,
    UK_RE,
    Column,
)
from panel.tracker_io.report import Problem

# -- reading a file --------------------------------------------------------------------------

@dataclass
class Sheet:
    name: str
    columns: list[str]  # known columns present, in the sheet's order
    rows: list[tuple[int, dict[str, Any]]]  # (Excel row number, raw cell values by column)


@dataclass
class Parsed:
    file_name: str
    sheets: dict[str, Sheet] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        return sum(len(s.rows) for s in self.sheets.values())


def _header_key(value: Any) -> str:
    return re.sub(r"[\s\-]+", "_", str(value or "").strip().lower())


def too_large(size: int) -> Problem | None:
    if size > MAX_BYTES:
        return Problem("", None, None, f"The file is {size / 1024 / 1024:.1f} MB: the limit is "
                       f"{MAX_BYTES // 1024 // 1024} MB. Split it (for example one file per "
                       "partnership or per year) and import the parts one after another.")
    return None


def read_workbook(data: bytes, file_name: str = "tracker.xlsx") -> Parsed:
    """The file's rows by sheet and column, or the problems that stop it being read at all.

    Cells are read as stored, never evaluated: a formula arrives as its text (=SUM(...)).
    """
    parsed = Parsed(file_name)
    if (problem := too_large(len(data))) is not None:
        parsed.problems.append(problem)
        return parsed
    not_xlsx = Problem("", None, None, "This is not an Excel .xlsx workbook: save it from Excel as "
                       "\"Excel Workbook (.xlsx)\", or download the template and copy the rows into it.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            if sum(i.file_size for i in z.infolist()) > MAX_UNZIPPED:
                parsed.problems.append(Problem("", None, None, "The workbook unpacks to more than "
                                               f"{MAX_UNZIPPED // 1024 // 1024} MB: it is not a tracker."))
                return parsed
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # noqa: BLE001 - any unreadable upload gets the same plain answer
        parsed.problems.append(not_xlsx)
        return parsed
    try:
        found = {}
        for ws in wb.worksheets:
            key = _header_key(ws.title)
            if key == GUIDE_SHEET:
                continue
            if key not in SHEETS:
                parsed.warnings.append(Problem(ws.title, None, None, "Not a sheet of the tracker "
                                               f"format ({', '.join(SHEETS)}): ignored."))
                continue
            if key in found:
                parsed.problems.append(Problem(ws.title, None, None, f"A second {key} sheet: keep one."))
                continue
            found[key] = ws
        if not found:
            parsed.problems.append(Problem("", None, None, "The workbook has none of the sheets "
                                           f"{', '.join(SHEETS)}: download the template and use its sheets."))
        total = 0
        for key in SHEETS:
            if key not in found:
                continue
            sheet, total = _read_sheet(found[key], key, parsed, total)
            if sheet is None:
                return parsed
            parsed.sheets[key] = sheet
    except Exception:  # noqa: BLE001 - a corrupt sheet part
        parsed.problems.append(not_xlsx)
    finally:
        wb.close()
    return parsed


def _read_sheet(ws, key: str, parsed: Parsed, total: int) -> tuple[Sheet | None, int]:
    known = {c.name for c in SHEETS[key]}
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None) or ()
    index: dict[str, int] = {}
    for i, value in enumerate(header):
        name = _header_key(value)
        if not name:
            continue
        if name not in known:
            parsed.warnings.append(Problem(key, 1, str(value), "Not a column of this sheet: ignored."))
        elif name in index:
            parsed.problems.append(Problem(key, 1, name, "This column appears twice: keep one."))
        else:
            index[name] = i
    for c in SHEETS[key]:
        if c.required and c.name not in index:
            parsed.problems.append(Problem(key, 1, c.name, "Missing column: add it to the header row "
                                           "(row 1), as in the template."))
    out: list[tuple[int, dict[str, Any]]] = []
    for n, values in enumerate(rows, start=2):
        if values is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        total += 1
        if total > MAX_ROWS:
            parsed.problems.append(Problem("", None, None, f"The file has more than {MAX_ROWS:,} rows: "
                                           "split it (for example by partnership or year) and "
                                           "import the parts one after another."))
            return None, total
        out.append((n, {name: values[i] if i < len(values) else None for name, i in index.items()}))
    present = [c.name for c in SHEETS[key] if c.name in index]
    return Sheet(key, present, out), total


# -- cells -----------------------------------------------------------------------------------

class CellError(ValueError):
    pass


def _plain(value: Any) -> Any:
    """Cells as Python values; anything exotic (an array formula) as its text."""
    if value is None or isinstance(value, str | bool | int | float | datetime | date | time):
        return value
    return str(getattr(value, "text", value))


def _text(value: Any) -> str | None:
    value = _plain(value)
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date() if value.time() == time(0) else value
    if isinstance(value, date | datetime | time):
        text = value.isoformat()
    else:
        text = str(value).strip()
    # Our exports neutralise formula-looking text with a leading apostrophe: undo it.
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_STARTS:
        text = text[1:]
    return text or None


def parse_date(value: Any) -> date | None:
    value = _plain(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("="):
            raise CellError("A formula: type the date itself (formulas are never worked out).")
        if ISO_RE.match(text):
            try:
                return date.fromisoformat(text)
            except ValueError:
                raise CellError(f"{text!r} is not a real date.") from None
        if m := UK_RE.match(text):
            try:
                return date(int(m[3]), int(m[2]), int(m[1]))
            except ValueError:
                raise CellError(f"{text!r} is not a real date.") from None
    shown = str(value)[:40]
    raise CellError(f"{shown!r} is not a date: use a date cell, YYYY-MM-DD or DD/MM/YYYY.")


def parse_bool(value: Any) -> bool | None:
    value = _plain(value)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if not text:
        return None
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise CellError(f"{str(value)[:40]!r} is not TRUE or FALSE.")


def parse_int(value: Any) -> int | None:
    value = _plain(value)
    if value is None:
        return None
    if isinstance(value, bool):
        raise CellError("Enter a whole number, not TRUE or FALSE.")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise CellError(f"{value!r} is not a whole number.")
    text = str(value).strip()
    if not text:
        return None
    if re.fullmatch(r"-?\d{1,6}", text):
        return int(text)
    raise CellError(f"{text[:40]!r} is not a whole number.")


def parse_choice(value: Any, choices: Mapping[str, str]) -> str | None:
    text = _text(value)
    if text is None:
        return None
    low = text.lower()
    for key, label in choices.items():
        if low == key.lower() or low == str(label).lower():
            return key
    raise CellError(f"{text[:40]!r} is not one of: {', '.join(choices)}.")


def _cell(col: Column, raw: Any) -> Any:
    if col.kind == "date":
        day = parse_date(raw)
        if day is not None and day < EARLIEST:
            raise CellError(f"{day.isoformat()} is before {EARLIEST.year}: check the year.")
        return day
    if col.kind == "bool":
        return parse_bool(raw)
    if col.kind == "int":
        return parse_int(raw)
    if col.kind == "choice":
        return parse_choice(raw, col.choices or {})
    if col.kind == "list":
        text = _text(raw)
        return tuple(p.strip() for p in text.split(";") if p.strip()) if text else ()
    text = _text(raw)
    if text is not None and col.max_len and len(text) > col.max_len:
        raise CellError(f"Keep it to {col.max_len:,} characters (this is {len(text):,}).")
    return text

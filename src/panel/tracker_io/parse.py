"""Reading a tracker file: the workbook, its sheets and header, and each cell as a clean value.

Limits (size, unzipped size, rows, columns, time) are checked before or while reading, never
taken from what the file says about itself: a sheet's declared dimension is ignored, so the work
done is bounded by what the file really holds."""

from __future__ import annotations

import io
import itertools
import re
import time as clock
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.worksheet._reader import WorkSheetParser

from panel.core.exports import FORMULA_STARTS
from panel.tracker_io.format import (
    EARLIEST,
    EMPTY_RUN,
    FALSE,
    GUIDE_SHEET,
    ISO_RE,
    MAX_BYTES,
    MAX_COLUMNS,
    MAX_RATIO,
    MAX_ROWS,
    MAX_SECONDS,
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
class _Book:
    """A workbook opened for streaming: its parts but none of its sheets read yet.

    openpyxl's `load_workbook(read_only=True)` reads the same parts, but first parses every
    sheet that has no dimension record from end to end (to learn its size) before returning:
    a small file of many empty rows cost tens of seconds there. Here a sheet is read once, row
    by row, by the same parser read-only mode uses, and reading stops at the first limit."""
    reader: ExcelReader
    sheets: list[tuple[str, str]]  # (sheet name, part in the zip), in workbook order

    @classmethod
    def open(cls, data: bytes) -> _Book:
        reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)  # which number formats are dates
        sheets = [(sheet.name, rel.target) for sheet, rel in reader.parser.find_sheets()
                  if rel.target in reader.valid_files and "chartsheet" not in rel.Type]
        return cls(reader, sheets)

    def rows(self, part: str):
        """(Excel row number, {column number: value}) for each row stored in the sheet."""
        wb = self.reader.wb
        with self.reader.archive.open(part) as src:
            parser = WorkSheetParser(src, self.reader.shared_strings, data_only=False, epoch=wb.epoch,
                                     date_formats=wb._date_formats,
                                     timedelta_formats=wb._timedelta_formats)
            for n, cells in parser.parse():
                yield n, {c["column"]: c["value"] for c in cells}

    def close(self) -> None:
        self.reader.archive.close()


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


class _Refused(Exception):
    """A limit reached while reading: the file is refused with this problem."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


_BIG_PART = 1024 * 1024  # small parts (styles, relationships) may deflate well and cost nothing


def unzip_problem(infos: list[zipfile.ZipInfo]) -> Problem | None:
    """A zip bomb, judged from the sizes its parts declare before any is inflated.

    A declared size can lie, but never upwards usefully: zipfile stops each part at its declared
    size (and a part longer than it says fails its checksum)."""
    total = sum(i.file_size for i in infos)
    if total > MAX_UNZIPPED:
        return Problem("", None, None, f"The workbook unpacks to {total / 1024 / 1024:,.0f} MB, more "
                       f"than the {MAX_UNZIPPED // 1024 // 1024} MB limit: it is not a tracker.")
    for i in infos:
        if i.file_size > _BIG_PART and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            return Problem("", None, None, f"Part {i.filename[:60]} of the workbook unpacks "
                           f"{i.file_size // max(i.compress_size, 1):,} times larger than it is stored "
                           f"(more than {MAX_RATIO} times is padding, not data): it is not a tracker.")
    return None


def read_workbook(data: bytes, file_name: str = "tracker.xlsx") -> Parsed:
    """The file's rows by sheet and column, or the problems that stop it being read at all.

    Cells are read as stored, never evaluated: a formula arrives as its text (=SUM(...)), so
    `data_only` stays off (on, it would read the result Excel last cached instead).
    """
    parsed = Parsed(file_name)
    if (problem := too_large(len(data))) is not None:
        parsed.problems.append(problem)
        return parsed
    deadline = clock.monotonic() + MAX_SECONDS
    not_xlsx = Problem("", None, None, "This is not an Excel .xlsx workbook: save it from Excel as "
                       "\"Excel Workbook (.xlsx)\", or download the template and copy the rows into it.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            if (problem := unzip_problem(z.infolist())) is not None:
                parsed.problems.append(problem)
                return parsed
        book = _Book.open(data)
    except Exception:  # noqa: BLE001 - any unreadable upload gets the same plain answer
        parsed.problems.append(not_xlsx)
        return parsed
    try:
        found = {}
        for title, part in book.sheets:
            key = _header_key(title)
            if key == GUIDE_SHEET:
                continue
            if key not in SHEETS:
                parsed.warnings.append(Problem(title, None, None, "Not a sheet of the tracker "
                                               f"format ({', '.join(SHEETS)}): ignored."))
                continue
            if key in found:
                parsed.problems.append(Problem(title, None, None, f"A second {key} sheet: keep one."))
                continue
            found[key] = part
        if not found:
            parsed.problems.append(Problem("", None, None, "The workbook has none of the sheets "
                                           f"{', '.join(SHEETS)}: download the template and use its sheets."))
        total = 0
        for key in SHEETS:
            if key not in found:
                continue
            sheet, total = _read_sheet(book.rows(found[key]), key, parsed, total, deadline)
            parsed.sheets[key] = sheet
    except _Refused as refused:
        parsed.sheets.clear()
        parsed.problems.append(refused.problem)
    except Exception:  # noqa: BLE001 - a corrupt sheet part
        parsed.problems.append(not_xlsx)
    finally:
        book.close()
    return parsed


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _check_width(values: dict[int, Any], key: str, n: int) -> None:
    """Refuses a value beyond MAX_COLUMNS (formatted but empty cells out there are ignored)."""
    if any(col > MAX_COLUMNS and _filled(v) for col, v in values.items()):
        raise _Refused(Problem(key, n, None, f"The {key} sheet has more than {MAX_COLUMNS} columns: "
                               "the tracker has at most 32. Delete the columns to the right of "
                               "your data."))


def _read_sheet(rows, key: str, parsed: Parsed, total: int, deadline: float) -> tuple[Sheet, int]:
    """One sheet's rows, read as a stream of what is stored (its declared dimension is never read).

    Rows count against MAX_ROWS only when they hold a value. The data ends at EMPTY_RUN empty rows
    in a row, stored (formatted rows below a table) or not (a gap in the row numbers), with a
    warning when anything follows: so neither an honest sheet formatted far below its data nor a
    small file claiming a million rows costs more than reading what is actually there."""
    known = {c.name for c in SHEETS[key]}
    first = next(rows, None)
    header: dict[int, Any] = {}
    pending = None
    if first is not None and first[0] == 1:
        header = first[1]
    elif first is not None:
        pending = first  # no row 1: no header, and this is already data
    _check_width(header, key, 1)
    index: dict[str, int] = {}
    for col, value in sorted(header.items()):
        name = _header_key(value)
        if not name:
            continue
        if name not in known:
            parsed.warnings.append(Problem(key, 1, str(value), "Not a column of this sheet: ignored."))
        elif name in index:
            parsed.problems.append(Problem(key, 1, name, "This column appears twice: keep one."))
        else:
            index[name] = col
    for c in SHEETS[key]:
        if c.required and c.name not in index:
            parsed.problems.append(Problem(key, 1, c.name, "Missing column: add it to the header row "
                                           "(row 1), as in the template."))
    out: list[tuple[int, dict[str, Any]]] = []
    empty, last = 0, 1

    def stop(n: int) -> None:
        parsed.warnings.append(Problem(key, n, None, f"Reading stopped after {EMPTY_RUN:,} empty rows "
                                       "in a row: this row and any below were not read. If there is "
                                       "more data, delete the empty rows above it."))

    for n, values in itertools.chain([pending] if pending else [], rows):
        if clock.monotonic() > deadline:
            raise _Refused(Problem("", None, None, f"Reading the file took more than {MAX_SECONDS:.0f} "
                                   "seconds, so it was stopped: split it (for example by partnership "
                                   "or year) and import the parts one after another."))
        empty += max(n - last - 1, 0)  # rows not stored at all are empty too
        last = n
        if empty >= EMPTY_RUN:
            stop(n)
            break
        if not any(_filled(v) for v in values.values()):
            empty += 1
            if empty >= EMPTY_RUN and (following := next(rows, None)) is not None:
                stop(following[0])
                break
            continue
        empty = 0
        _check_width(values, key, n)
        total += 1
        if total > MAX_ROWS:
            raise _Refused(Problem("", None, None, f"The file has more than {MAX_ROWS:,} rows: "
                                   "split it (for example by partnership or year) and "
                                   "import the parts one after another."))
        out.append((n, {name: values.get(col) for name, col in index.items()}))
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


def cell_text(value: Any) -> str | None:
    """A cell as trimmed text (TRUE/FALSE, whole numbers without .0); the import context
    matches names against the database with it."""
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
    text = cell_text(value)
    if text is None:
        return None
    low = text.lower()
    for key, label in choices.items():
        if low == key.lower() or low == str(label).lower():
            return key
    raise CellError(f"{text[:40]!r} is not one of: {', '.join(choices)}.")


def parse_cell(col: Column, raw: Any) -> Any:
    """A raw cell as the value its column holds, or CellError with the message for the row;
    the row checks read every cell through this."""
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
        text = cell_text(raw)
        return tuple(p.strip() for p in text.split(";") if p.strip()) if text else ()
    text = cell_text(raw)
    if text is not None and col.max_len and len(text) > col.max_len:
        raise CellError(f"Keep it to {col.max_len:,} characters (this is {len(text):,}).")
    return text

"""The tracker spreadsheet: its format, the template, reading a file and checking every row.

Pure: no database and no Streamlit. `panel.services.imports` gathers what the checks need to
know about the database into a `Context` (plain dicts), calls `validate`, and writes the `Plan`
only when the report has no problems. The format is documented in docs/import-format.md.

Referral rows are checked by `panel.referral_rules.validate_referral`, the same function as the
referral form, so an imported referral is valid exactly when a typed one would be.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from panel import lifecycle, screening
from panel.clock import add_working_days
from panel.exports import FORMULA_STARTS, neutralise
from panel.referral_rules import (
    ABUSE_OR_NEGLECT,
    ETHNICITY,
    HARM,
    IDENTIFIED_BY,
    LOCATION,
    SEX,
    STATUSES,
    parse_reference,
    validate_referral,
)
from panel.review_types import DEFAULT_REVIEW_TYPES, PUBLICATION_KEY, ReviewTypeSpec
from panel.services.review_record import EMAIL_RE, GATES, PUBLICATION_STATUSES
from panel.services.reviews import LCSPR_DECISIONS, RESPONSES
from panel.services.screening import BODIES, DIRECTOR_DECISIONS

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_UNZIPPED = 200 * 1024 * 1024  # a 5 MB file that inflates past this is not a tracker
IMPORTED_RATIONALE = "Imported from a spreadsheet tracker"
IMPORTED_DEPARTURE = ("Imported from a spreadsheet tracker: the tracker does not record why the "
                      "outcome departs from the criteria.")
REVIEW_STATUSES = {"open": "Open", "closed": "Closed", "superseded": "Superseded"}
INTERAGENCY = dict(screening.CHOICES["interagency_concerns"])
REVIEW_REF_RE = re.compile(r"^(?P<referral>[A-Z]{2,8}-\d{4}-\d{3,6})-R(?P<n>[1-9]\d{0,2})$")
ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
UK_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
TRUE = {"true", "yes", "y", "1"}
FALSE = {"false", "no", "n", "0"}
NOTE_MAX = 4000
EARLIEST = date(1970, 1, 1)  # no tracker holds earlier dates: an earlier one is a typo


# -- the format ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text, date, int, bool, choice, list
    required: bool  # the header must be there and every row needs a value
    help: str
    choices: Mapping[str, str] | None = None
    max_len: int | None = None
    computed: bool = False  # blank means "work it out" (and, for a record already there, "keep")


def _c(name, kind, required, help_, choices=None, max_len=None, computed=False) -> Column:
    return Column(name, kind, required, help_, choices, max_len, computed)


REFERRAL_COLUMNS: tuple[Column, ...] = (
    _c("reference", "text", True, "The referral's reference, like NB-2025-014: the partnership "
       "code, the year and a number. It keys the import: a reference already in the database is "
       "compared, never changed.", max_len=20),
    _c("partnership_code", "text", True, "The partnership's code, e.g. NB; the reference starts with it."),
    _c("received_on", "date", True, "The day the referral arrived."),
    _c("aware_on", "date", True, "The day the local authority became aware; picks the regime "
       "(before 29 June 2018: WT2015)."),
    _c("referrer_name", "text", True, "The referrer's role or name.", max_len=200),
    _c("referrer_agency", "text", True, "The referrer's agency, named exactly as in the agency list below."),
    _c("identified_by", "choice", True, "How the case was identified.", IDENTIFIED_BY),
    _c("child_initials", "text", True, "Initials only, 1 to 4 letters (no names)."),
    _c("child_dob", "date", False, "Date of birth, only where needed; else give the age."),
    _c("child_age_years", "int", False, "Age in whole years (0-17), if no date of birth."),
    _c("child_sex", "choice", True, "The child's sex.", SEX),
    _c("child_ethnicity", "choice", True, "ONS 2021 high-level ethnic group.", ETHNICITY),
    _c("looked_after", "bool", False, "TRUE or FALSE (blank: FALSE)."),
    _c("child_protection_plan", "bool", False, "TRUE or FALSE (blank: FALSE)."),
    _c("known_to_csc", "bool", False, "Known to children's social care: TRUE or FALSE (blank: FALSE)."),
    _c("incident_date", "date", True, "The day of the incident."),
    _c("incident_summary", "text", True, "What happened, without names (10 to 4,000 characters).",
       max_len=4000),
    _c("harm", "choice", True, "The harm.", HARM),
    _c("abuse_or_neglect", "choice", True, "Whether abuse or neglect is known or suspected.",
       ABUSE_OR_NEGLECT),
    _c("location", "choice", True, "Where it happened.", LOCATION),
    _c("status", "choice", True, "The referral's status; a referral with a review or an outcome "
       "is decided.", STATUSES),
    _c("agencies_involved", "list", False, "Agencies involved, separated by semicolons (;)."),
    _c("referrer_view", "text", False, "The referrer's view on the criteria.", max_len=2000),
    _c("status_note", "text", False, "Note on the status (e.g. why it was closed).", max_len=2000),
    _c("interagency_concerns", "choice", False, "Cause for concern about how agencies worked "
       "together (blank: unclear).", INTERAGENCY),
    _c("custody_death", "bool", False, "Died in custody or detention (then harm is died)."),
    _c("media_interest", "bool", False, "Media attention (WT2015 Ofsted ground)."),
    _c("practice_concerns", "bool", False, "Professional practice concerns (WT2015 Ofsted ground)."),
    _c("director_decision", "choice", False, "The director's route (seed 004).", DIRECTOR_DECISIONS),
    _c("dcs_informed_on", "date", False, "The day the DCS was told."),
    _c("outcome", "text", False, "The panel's signed decision: a review type key of the partnership. "
       "Blank: taken from the referral's first review, if any.", computed=True),
    _c("decided_on", "date", False, "The day of the panel's decision (with outcome). Blank: the "
       "first review's started_on.", computed=True),
)
NOTIFICATION_COLUMNS: tuple[Column, ...] = (
    _c("referral_reference", "text", True, "The referral, in this file or already in the database."),
    _c("body", "choice", True, "Who was notified.", BODIES),
    _c("due_on", "date", False, "Due date. Blank: 5 working days after aware_on.", computed=True),
    _c("sent_on", "date", True, "The day it was sent."),
    _c("sent_reference", "text", False, "The reference the body gave, if any.", max_len=100),
)
REVIEW_COLUMNS: tuple[Column, ...] = (
    _c("review_reference", "text", True, "The referral's reference, -R and a number: NB-2025-014-R1.",
       max_len=30),
    _c("referral_reference", "text", True, "The referral, in this file or already in the database."),
    _c("review_type_key", "text", True, "A review type key of the referral's partnership (listed below)."),
    _c("started_on", "date", True, "The decision date: decision-anchored milestones count from it."),
    _c("notified_on", "date", False, "The notification date: the rapid review's day 0."),
    _c("lead_reviewer", "text", False, "The lead reviewer.", max_len=200),
    _c("status", "choice", True, "The review's status.", REVIEW_STATUSES),
    _c("lead_reviewer_email", "text", False, "The lead reviewer's e-mail address.", max_len=254),
    _c("publication_status", "choice", False, "Blank: planned. Delayed or withheld needs a reason.",
       PUBLICATION_STATUSES),
    _c("publication_reason", "text", False, "Why publication is delayed or withheld.", max_len=NOTE_MAX),
    _c("lcspr_decision", "choice", False, "Rapid reviews only: the partners' LCSPR decision.",
       LCSPR_DECISIONS),
    _c("sent_to_national_panel_on", "date", False, "Rapid reviews: the day it was sent to the National Panel."),
    _c("national_panel_response", "choice", False, "The National Panel's response.", RESPONSES),
    _c("national_panel_note", "text", False, "What the National Panel said (needed if it disagrees).",
       max_len=NOTE_MAX),
)
MILESTONE_COLUMNS: tuple[Column, ...] = (
    _c("review_reference", "text", True, "The review, in this file or already in the database."),
    _c("milestone_key", "text", True, "A milestone key of the review's type (listed below)."),
    _c("planned_on", "date", False, "Target date. Blank: worked out from the review type.", computed=True),
    _c("actual_on", "date", False, "The day it happened; blank if not yet."),
)
SHEETS: dict[str, tuple[Column, ...]] = {
    "referrals": REFERRAL_COLUMNS,
    "notifications": NOTIFICATION_COLUMNS,
    "reviews": REVIEW_COLUMNS,
    "milestones": MILESTONE_COLUMNS,
}
GUIDE_SHEET = "guide"
KEYS = {"referrals": ("reference",), "notifications": ("referral_reference", "body"),
        "reviews": ("review_reference",), "milestones": ("review_reference", "milestone_key")}


# -- the report ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int | None  # as Excel shows it: the header is row 1
    column: str | None
    message: str

    def line(self) -> str:
        where = self.sheet or "file"
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f", {self.column}"
        return f"{where}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column or "", "problem": self.message}


@dataclass
class ImportReport:
    file_name: str
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # sheet -> new / unchanged
    rows: int = 0
    imported: bool = False
    decisions: int = 0  # signed decisions created for imported reviews and outcomes

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def new(self) -> int:
        return sum(c.get("new", 0) for c in self.counts.values())

    @property
    def unchanged(self) -> int:
        return sum(c.get("unchanged", 0) for c in self.counts.values())

    def summary(self) -> str:
        if not self.ok:
            n = len(self.problems)
            return (f"{n} problem{'s' if n != 1 else ''} in {self.file_name}: nothing has been "
                    "imported. Fix the file and check it again.")
        head = f"All {self.rows} rows are valid: {self.new} new, {self.unchanged} unchanged."
        if self.imported:
            head = f"Imported {self.file_name}: {self.new} new rows, {self.unchanged} unchanged."
        return head

    def count_lines(self) -> list[str]:
        return [f"{sheet}: {c.get('new', 0)} new, {c.get('unchanged', 0)} unchanged"
                for sheet, c in self.counts.items() if c.get("new") or c.get("unchanged")]

    def lines(self) -> list[str]:
        return [p.line() for p in self.problems]


@dataclass
class Plan:
    """What to write, in the order to write it; only built when every row passed."""

    referrals: list[dict] = field(default_factory=list)
    notifications: list[dict] = field(default_factory=list)
    decisions: list[dict] = field(default_factory=list)
    reviews: list[dict] = field(default_factory=list)


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


# -- what the checks know about the database --------------------------------------------------

@dataclass(frozen=True)
class TypeInfo:
    id: int
    spec: ReviewTypeSpec


@dataclass
class Context:
    """The database as the checks see it. Existing rows use the same columns and values as
    clean file rows (agencies as ids), so they compare directly."""

    today: date
    partnerships: dict[str, int]  # code -> id, every partnership
    importable: frozenset[int] | None  # None: every partnership (the command line)
    agencies: dict[str, int]  # casefolded name -> id
    review_types: dict[int, dict[str, TypeInfo]]  # partnership id -> key -> type
    referrals: dict[str, dict] = field(default_factory=dict)  # reference -> values, "_id", "_pid", ...
    notifications: dict[tuple[str, str], dict] = field(default_factory=dict)
    reviews: dict[str, dict] = field(default_factory=dict)  # reference -> values, "_pid", "_type"
    milestones: dict[tuple[str, str], dict] = field(default_factory=dict)

    def may_import(self, partnership_id: int | None) -> bool:
        return partnership_id is not None and (self.importable is None or partnership_id in self.importable)


def references(parsed: Parsed) -> tuple[set[str], set[str]]:
    """Referral and review references the file mentions, for the service to look up."""
    referrals: set[str] = set()
    reviews: set[str] = set()
    for key, sheet in parsed.sheets.items():
        for _, raw in sheet.rows:
            for col, bucket in (("reference", referrals), ("referral_reference", referrals),
                                ("review_reference", reviews)):
                if key == "referrals" and col != "reference":
                    continue
                text = _text(raw.get(col)) if col in raw else None
                if text:
                    bucket.add(text.upper()[:40])
    for ref in list(reviews):
        if m := REVIEW_REF_RE.match(ref):
            referrals.add(m["referral"])
    return referrals, reviews


# -- checking --------------------------------------------------------------------------------

@dataclass
class _Row:
    n: int
    clean: dict[str, Any]
    errors: dict[str, str]
    new: bool = False


@dataclass
class _Referral:
    """A referral a row refers to: from this file or from the database."""

    reference: str
    partnership_id: int | None
    aware_on: date | None
    status: str | None
    facts: dict | None  # screening facts, if they are valid
    in_db: bool
    outcome: str | None = None  # the signed decision's type key
    decided_on: date | None = None
    max_version: int = 0


_DATE_LABELS = {"aware_on": "The day the authority became aware", "decision": "The decision",
                "notification": "The notification", "started_on": "The review's start"}


def _order(dates: dict[str, date | None], order: list[str], labels: dict[str, str] | None = None) -> dict[str, str]:
    return lifecycle.check_dates_in_order(dates, order, {**_DATE_LABELS, **(labels or {})})


class _Checker:
    def __init__(self, parsed: Parsed, ctx: Context):
        self.parsed, self.ctx = parsed, ctx
        self.report = ImportReport(parsed.file_name, warnings=list(parsed.warnings),
                                   rows=parsed.row_count)
        self.plan = Plan()
        self.file_referrals: dict[str, tuple[_Row, _Referral]] = {}
        self.file_reviews: dict[str, tuple[_Row, dict]] = {}
        self.extra_review_rows: list[_Row] = []  # duplicates and rows without a reference

    # shared helpers --------------------------------------------------------------------------
    def problem(self, sheet: str, row: int, column: str | None, message: str) -> None:
        self.report.problems.append(Problem(sheet, row, column, message))

    def cells(self, sheet: str, n: int, raw: dict[str, Any]) -> _Row:
        row = _Row(n, {}, {})
        for col in SHEETS[sheet]:
            if col.name not in self.parsed.sheets[sheet].columns:
                continue
            try:
                value = _cell(col, raw.get(col.name))
            except CellError as e:
                row.errors[col.name] = str(e)
                value = None
            if value is None and col.required and col.name not in row.errors:
                row.errors[col.name] = "Required: this cell is empty."
            row.clean[col.name] = value
        return row

    def finish_row(self, sheet: str, row: _Row) -> None:
        order = [c.name for c in SHEETS[sheet]]
        for col in sorted(row.errors, key=lambda c: order.index(c) if c in order else len(order)):
            self.problem(sheet, row.n, col, row.errors[col])

    def compare(self, sheet: str, row: _Row, existing: dict) -> None:
        """A row whose key is already in the database: unchanged, or an error naming the columns."""
        present = self.parsed.sheets[sheet].columns
        differ = []
        for col in SHEETS[sheet]:
            if col.name not in present or col.name in KEYS[sheet]:
                continue
            mine = row.clean.get(col.name)
            if col.computed and mine is None:
                continue  # blank: keep what is there
            theirs = existing.get(col.name)
            if col.kind == "list":
                mine, theirs = tuple(sorted(mine or ())), tuple(sorted(theirs or ()))
            if col.kind == "bool":
                mine, theirs = bool(mine), bool(theirs)
            if mine != theirs:
                differ.append(col.name)
        if differ:
            cols = ", ".join(differ)
            row.errors.setdefault(KEYS[sheet][0], (
                f"Already in the database with different values in: {cols}. An import never changes "
                "existing records: correct them in the app, or make the file match."))
        else:
            self.report.counts[sheet]["unchanged"] += 1

    def referral(self, reference: str | None) -> _Referral | str | None:
        """The referral a notification or review row names, or why it cannot be used; None
        for a referral of this file whose own row has problems (reported there, not again)."""
        if not reference:
            return "Required: this cell is empty."
        ref = reference.upper()
        if ref in self.file_referrals:
            row, found = self.file_referrals[ref]
            return None if row.errors else found  # its own row reports the problem
        existing = self.ctx.referrals.get(ref)
        if existing is None or not self.ctx.may_import(existing["_pid"]):
            return f"No referral {ref} in this file or in the partnerships you can import into."
        return _Referral(ref, existing["_pid"], existing["aware_on"], existing["status"],
                         existing.get("_facts"), True, existing.get("_outcome"),
                         existing.get("_decided_on"), existing.get("_max_version", 0))

    def types_of(self, pid: int | None) -> dict[str, TypeInfo]:
        return self.ctx.review_types.get(pid, {}) if pid is not None else {}

    # sheets ----------------------------------------------------------------------------------
    def run(self) -> tuple[ImportReport, Plan | None]:
        for sheet in SHEETS:
            self.report.counts[sheet] = {"new": 0, "unchanged": 0}
        if "referrals" in self.parsed.sheets:
            self.referrals()
        if "notifications" in self.parsed.sheets:
            self.notifications()
        if "reviews" in self.parsed.sheets:
            self.reviews()
        new_reviews = self.milestones()
        self.decisions(new_reviews)
        self.report.problems.sort(key=lambda p: (list(SHEETS).index(p.sheet) if p.sheet in SHEETS else -1,
                                                 p.row or 0))
        if self.report.problems:
            return self.report, None
        return self.report, self.plan

    def referrals(self) -> None:
        ctx = self.ctx
        agency_ids = set(ctx.agencies.values())
        for n, raw in self.parsed.sheets["referrals"].rows:
            row = self.cells("referrals", n, raw)
            c, e = row.clean, row.errors
            ref = (c.get("reference") or "").upper() or None
            c["reference"] = ref
            if ref and "reference" not in e:
                try:
                    parse_reference(ref)
                except ValueError:
                    e["reference"] = f"{ref[:40]!r} is not a referral reference like NB-2025-014."
            if ref in self.file_referrals:
                e["reference"] = f"Duplicate reference: {ref} is also on row {self.file_referrals[ref][0].n}."
            code = (c.get("partnership_code") or "").upper() or None
            c["partnership_code"] = code
            pid = ctx.partnerships.get(code) if code else None
            if code and pid is None:
                e["partnership_code"] = f"No partnership with code {code[:12]!r}."
            elif pid is not None and not ctx.may_import(pid):
                e["partnership_code"] = f"You cannot import into partnership {code}: you are not its administrator."
            elif code and ref and "reference" not in e and not ref.startswith(code + "-"):
                e["reference"] = f"The reference must start with its partnership's code, {code}-."
            # Agencies, by name.
            agency = c.get("referrer_agency")
            if agency is not None:
                c["referrer_agency"] = ctx.agencies.get(agency.casefold())
                if c["referrer_agency"] is None:
                    e["referrer_agency"] = f"No agency named {agency[:60]!r}: use a name from the guide sheet."
            involved = c.get("agencies_involved") or ()
            unknown = [a for a in involved if a.casefold() not in ctx.agencies]
            if unknown:
                e["agencies_involved"] = f"No agency named {unknown[0][:60]!r}: use names from the guide sheet."
            c["agencies_involved"] = tuple(sorted({ctx.agencies[a.casefold()] for a in involved
                                                   if a.casefold() in ctx.agencies}))
            # The referral form's own checks, on the values that parsed.
            form = {k: v for k, v in c.items() if k not in e}
            form["referrer_agency_id"] = c.get("referrer_agency") if "referrer_agency" not in e else None
            form["agencies_involved"] = list(c["agencies_involved"])
            clean, form_errors = validate_referral(form, ctx.today, agency_ids)
            for field_name, msg in form_errors.items():
                e.setdefault("referrer_agency" if field_name == "referrer_agency_id" else field_name, msg)
            for k in ("child_initials", "referrer_name", "incident_summary", "referrer_view"):
                if k in c and k not in e and clean.get(k) is not None:
                    c[k] = clean[k]
            for flag in ("looked_after", "child_protection_plan", "known_to_csc", "custody_death",
                         "media_interest", "practice_concerns"):
                c[flag] = bool(c.get(flag))
            c.setdefault("interagency_concerns", None)
            c["interagency_concerns"] = c["interagency_concerns"] or "unclear"
            for k in ("dcs_informed_on", "decided_on"):
                if c.get(k) and c[k] > ctx.today:
                    e.setdefault(k, "The date cannot be in the future.")
            # The screening engine must accept the facts.
            facts = None
            if all(c.get(k) is not None and k not in e for k in ("aware_on", "harm", "abuse_or_neglect", "location")):
                facts = {"aware_on": c["aware_on"].isoformat(), "abuse_or_neglect": c["abuse_or_neglect"],
                         "harm": c["harm"], "location": c["location"],
                         "interagency_concerns": c["interagency_concerns"], "custody_death": c["custody_death"],
                         "looked_after": c["looked_after"], "media_interest": c["media_interest"],
                         "practice_concerns": c["practice_concerns"]}
                try:
                    screening.assess(facts)
                except ValueError as err:
                    key = str(err).split(":", 1)[0].strip()
                    e.setdefault(key if key in c else "harm", str(err))
                    facts = None
            # The panel's outcome.
            outcome, decided_on = c.get("outcome"), c.get("decided_on")
            if outcome is not None:
                info = self.types_of(pid).get(outcome) or self.types_of(pid).get(outcome.lower())
                if pid is not None and info is None:
                    e["outcome"] = (f"{outcome[:40]!r} is not a review type of {code}: "
                                    f"{', '.join(self.types_of(pid))}.")
                elif info is not None:
                    c["outcome"] = info.spec.key
                    regime = screening.assess(facts)["regime"] if facts else None
                    if regime and info.spec.regime != regime:
                        e["outcome"] = (f"{info.spec.name} is a {info.spec.regime} outcome; "
                                        f"{regime} applies to this referral.")
                if c.get("status") and c["status"] != "decided":
                    e.setdefault("status", "A referral with an outcome is decided: set the status to decided.")
                if decided_on is None and "decided_on" not in e:
                    e["decided_on"] = "Give the date of the decision with the outcome."
            elif decided_on is not None:
                e.setdefault("outcome", "Give the outcome (a review type key) with the decision date.")
            if decided_on and c.get("aware_on") and "decided_on" not in e:
                e.update({k: v for k, v in _order({"aware_on": c["aware_on"], "decided_on": decided_on},
                                                  ["aware_on", "decided_on"], {"decided_on": "The decision"}).items()
                          if k not in e})
            info_ref = _Referral(ref or "", pid, c.get("aware_on"), c.get("status"), facts, False,
                                 c.get("outcome"), decided_on)
            existing = ctx.referrals.get(ref) if ref else None
            if existing is not None and "reference" not in e:
                if not ctx.may_import(existing["_pid"]):
                    e["reference"] = f"Reference {ref} is already used by a referral of another partnership."
                else:
                    values = dict(existing, outcome=existing.get("_outcome"),
                                  decided_on=existing.get("_decided_on"))
                    if not e:
                        self.compare("referrals", row, values)
                    info_ref.in_db = True
                    info_ref.max_version = existing.get("_max_version", 0)
                    info_ref.outcome = existing.get("_outcome") or info_ref.outcome
                    info_ref.decided_on = existing.get("_decided_on") or info_ref.decided_on
            elif not e:
                row.new = True
                self.report.counts["referrals"]["new"] += 1
                self.plan.referrals.append({**c, "_pid": pid})
            if ref and ref not in self.file_referrals:
                self.file_referrals[ref] = (row, info_ref)
            self.finish_row("referrals", row)

    def notifications(self) -> None:
        ctx = self.ctx
        seen: dict[tuple[str, str], int] = {}
        for n, raw in self.parsed.sheets["notifications"].rows:
            row = self.cells("notifications", n, raw)
            c, e = row.clean, row.errors
            ref = (c.get("referral_reference") or "").upper() or None
            c["referral_reference"] = ref
            target = self.referral(ref) if "referral_reference" not in e else None
            if isinstance(target, str):
                e["referral_reference"] = target
                target = None
            body = c.get("body")
            key = (ref or "", body or "")
            if ref and body:
                if key in seen:
                    e["body"] = f"Duplicate: {ref} already has a {body} row (row {seen[key]})."
                else:
                    seen[key] = n
            aware = target.aware_on if target else None
            if c.get("due_on") is None and aware is not None:
                due = add_working_days(aware, screening.NOTIFY_WITHIN)
            else:
                due = c.get("due_on")
            sent = c.get("sent_on")
            if sent and sent > ctx.today and "sent_on" not in e:
                e["sent_on"] = "The date cannot be in the future."
            for col, day in (("due_on", c.get("due_on")), ("sent_on", sent)):
                if day and aware and col not in e:
                    msgs = _order({"aware_on": aware, col: day}, ["aware_on", col],
                                  {"due_on": "The due date", "sent_on": "The notification"})
                    if msgs:
                        e[col] = msgs[col]
            existing = ctx.notifications.get(key) if target and target.in_db else None
            if existing is not None:
                if not e:
                    self.compare("notifications", row, existing)
            elif not e:
                self.report.counts["notifications"]["new"] += 1
                self.plan.notifications.append({**c, "due_on": due})
            self.finish_row("notifications", row)

    def _anchor(self, review: dict, target: _Referral) -> date:
        """The rapid review's day 0 when the notification date is not given (as the app does)."""
        if review.get("notified_on"):
            return review["notified_on"]
        if target.facts:
            due = [date.fromisoformat(x["due"]) for x in screening.assess(target.facts)["notify"]]
            if due:
                return min(due)
        return review["started_on"]

    def reviews(self) -> None:
        ctx = self.ctx
        for n, raw in self.parsed.sheets["reviews"].rows:
            row = self.cells("reviews", n, raw)
            c, e = row.clean, row.errors
            ref = (c.get("review_reference") or "").upper() or None
            c["review_reference"] = ref
            referral_ref = (c.get("referral_reference") or "").upper() or None
            c["referral_reference"] = referral_ref
            m = REVIEW_REF_RE.match(ref) if ref else None
            if ref and "review_reference" not in e:
                if ref in self.file_reviews:
                    e["review_reference"] = f"Duplicate reference: {ref} is also on row {self.file_reviews[ref][0].n}."
                elif m is None:
                    e["review_reference"] = (f"{ref[:40]!r} is not a review reference: the referral's "
                                             "reference, -R and a number, like NB-2025-014-R1.")
                elif referral_ref and m["referral"] != referral_ref:
                    e["review_reference"] = f"A review of {referral_ref} has a reference starting {referral_ref}-R."
            target = self.referral(referral_ref) if "referral_reference" not in e else None
            if isinstance(target, str):
                e["referral_reference"] = target
                target = None
            if target is not None and target.in_db and target.facts is None:
                e["referral_reference"] = (f"Referral {referral_ref}'s screening answers are not valid: "
                                           "fix them on its screening page first.")
            if target is not None and target.status and target.status != "decided":
                e.setdefault("referral_reference", f"Referral {referral_ref} has status {target.status!r}: "
                             "only a decided referral has a review (set its status to decided).")
            pid = target.partnership_id if target else None
            info = None
            key = c.get("review_type_key")
            if key and target is not None and pid is not None:
                types = self.types_of(pid)
                info = types.get(key) or types.get(key.lower())
                if info is None:
                    e["review_type_key"] = f"{key[:40]!r} is not a review type of this partnership: {', '.join(types)}."
                elif not info.spec.creates_review:
                    e["review_type_key"] = (f"{info.spec.name!r} is an outcome without a review: "
                                            "put it in the referral's outcome column.")
                    info = None
                else:
                    c["review_type_key"] = info.spec.key
                    regime = screening.assess(target.facts)["regime"] if target.facts else None
                    if regime and info.spec.regime != regime:
                        e["review_type_key"] = (f"{info.spec.name} is a {info.spec.regime} review; "
                                                f"{regime} applies to {referral_ref}.")
            aware = target.aware_on if target else None
            for col in ("started_on", "notified_on", "sent_to_national_panel_on"):
                day = c.get(col)
                if day and day > ctx.today and col not in e:
                    e[col] = "The date cannot be in the future."
            for col in ("started_on", "notified_on"):
                if c.get(col) and aware and col not in e:
                    msgs = _order({"aware_on": aware, col: c[col]}, ["aware_on", col],
                                  {"started_on": "The review's start (the decision)",
                                   "notified_on": "The notification"})
                    if msgs:
                        e[col] = msgs[col]
            sent = c.get("sent_to_national_panel_on")
            if sent and c.get("started_on") and "sent_to_national_panel_on" not in e and sent < c["started_on"]:
                e["sent_to_national_panel_on"] = "The review cannot be sent before it started."
            email = c.get("lead_reviewer_email")
            if email and not EMAIL_RE.match(email):
                e.setdefault("lead_reviewer_email", "Enter an e-mail address like name@example.org.")
            pub = c["publication_status"] = c.get("publication_status") or "planned"
            if pub != "planned" and len(c.get("publication_reason") or "") < 10:
                e.setdefault("publication_reason", "Say why publication is delayed or withheld (a sentence).")
            rapid = info is not None and info.spec.key == "rapid_review"
            if info is not None and not rapid:
                for col in ("lcspr_decision", "sent_to_national_panel_on", "national_panel_response"):
                    if c.get(col):
                        e.setdefault(col, "Only a rapid review has this.")
            if c.get("national_panel_response") and not sent:
                e.setdefault("national_panel_response", "Give sent_to_national_panel_on before the response.")
            if c.get("national_panel_response") == "disagrees" and not c.get("national_panel_note"):
                e.setdefault("national_panel_note", "Say what the National Panel disagreed with.")
            existing = ctx.reviews.get(ref) if ref else None
            record = {**c, "_row": row, "_target": target, "_type": info, "_pid": pid, "_new": False}
            if existing is not None and "review_reference" not in e:
                if not ctx.may_import(existing["_pid"]):
                    e["review_reference"] = f"Reference {ref} is already used by a review of another partnership."
                elif not e:
                    self.compare("reviews", row, existing)
            elif existing is None and not e and target is not None and info is not None:
                record["_new"] = True
            if ref and ref not in self.file_reviews:
                self.file_reviews[ref] = (row, record)
            else:
                self.extra_review_rows.append(row)

    def milestones(self) -> list[dict]:
        """Milestone rows, then every new review's full milestone list and its date order."""
        ctx = self.ctx
        rows_by_review: dict[str, dict[str, _Row]] = {}
        all_rows: list[_Row] = []
        for n, raw in (self.parsed.sheets["milestones"].rows if "milestones" in self.parsed.sheets else ()):
            row = self.cells("milestones", n, raw)
            all_rows.append(row)
            c, e = row.clean, row.errors
            ref = (c.get("review_reference") or "").upper() or None
            c["review_reference"] = ref
            key = (c.get("milestone_key") or "").lower() or None
            c["milestone_key"] = key
            record = self.file_reviews[ref][1] if ref in self.file_reviews else None
            existing = ctx.reviews.get(ref) if ref else None
            if existing is not None and not ctx.may_import(existing["_pid"]):
                existing = None
            if ref and "review_reference" not in e:
                if record is None and existing is None:
                    e["review_reference"] = f"No review {ref} in this file or in the partnerships you can import into."
            info = record["_type"] if record is not None else (existing or {}).get("_type")
            if key and info is not None and "milestone_key" not in e:
                keys = [m.key for m in info.spec.milestones]
                if key not in keys:
                    e["milestone_key"] = f"{key[:40]!r} is not a milestone of {info.spec.name}: {', '.join(keys)}."
            if c.get("actual_on") and c["actual_on"] > ctx.today and "actual_on" not in e:
                e["actual_on"] = "The date cannot be in the future."
            if ref and key:
                mine = rows_by_review.setdefault(ref, {})
                if key in mine:
                    e.setdefault("milestone_key", f"Duplicate: {ref} already has a {key} row (row {mine[key].n}).")
                else:
                    mine[key] = row
            in_db = existing is not None and (record is None or not record["_new"])
            if in_db and not e:
                old = ctx.milestones.get((ref, key))
                if old is None:
                    e["milestone_key"] = (f"Review {ref} in the database has no {key} milestone "
                                          "(its type changed after it was created).")
                else:
                    self.compare("milestones", row, old)
        # New reviews: the type's milestones with the file's dates, checked in order.
        new_reviews = []
        for ref, (rrow, record) in self.file_reviews.items():
            if not record["_new"]:
                continue
            if record["_type"] is None or record["_target"] is None:
                rrow.errors.setdefault("review_type_key", "This review cannot be checked: fix its referral first.")
                continue
            mine = rows_by_review.get(ref, {})
            info: TypeInfo = record["_type"]
            target: _Referral = record["_target"]
            spec = info.spec
            try:
                planned = lifecycle.planned_dates(spec, record["started_on"], self._anchor(record, target))
            except ValueError as err:  # an edited type the lifecycle cannot plan
                rrow.errors["review_type_key"] = str(err)
                planned = {}
            actual = {k: r.clean.get("actual_on") for k, r in mine.items() if not r.errors}
            labels = {m.key: m.name for m in spec.milestones}
            anchors = {"decision": record["started_on"], "notification": record.get("notified_on")}
            for m in spec.milestones:
                day, start = actual.get(m.key), anchors.get(m.anchor)
                if day and start:
                    msgs = _order({m.anchor: start, m.key: day}, [m.anchor, m.key], labels)
                    if msgs:
                        mine[m.key].errors.setdefault("actual_on", msgs[m.key])
            gates = [m.key for m in spec.milestones if m.key in GATES]
            for key, msg in _order(actual, gates, labels).items():
                mine[key].errors.setdefault("actual_on", msg)
            if actual.get(PUBLICATION_KEY) and record.get("publication_status") == "withheld":
                mine[PUBLICATION_KEY].errors.setdefault(
                    "actual_on", "The review's publication is withheld: it has no publication date.")
            if rrow.errors or any(r.errors for r in mine.values()):
                continue
            milestones = []
            for i, m in enumerate(spec.milestones):
                r = mine.get(m.key)
                given = r.clean.get("planned_on") if r is not None else None
                milestones.append({"key": m.key, "name": m.name, "position": i, "statutory": m.statutory,
                                   "planned_on": given or planned[m.key], "actual_on": actual.get(m.key)})
            self.report.counts["reviews"]["new"] += 1
            self.report.counts["milestones"]["new"] += len(mine)
            new_reviews.append({**{k: v for k, v in record.items() if not k.startswith("_")},
                                "_pid": record["_pid"], "_type_id": info.id, "milestones": milestones})
        for rrow, _ in self.file_reviews.values():
            self.finish_row("reviews", rrow)
        for rrow in self.extra_review_rows:
            self.finish_row("reviews", rrow)
        for row in all_rows:
            self.finish_row("milestones", row)
        self.plan.reviews = new_reviews
        return new_reviews

    def decisions(self, new_reviews: list[dict]) -> None:
        """One signed decision per referral that gets reviews or an outcome and has none yet;
        new reviews of a referral with a signed decision join that decision."""
        if self.report.problems:
            return
        first: dict[str, dict] = {}
        for rv in sorted(new_reviews, key=lambda r: (r["started_on"], r["review_reference"])):
            first.setdefault(rv["referral_reference"], rv)
        with_outcome = {r["reference"] for r in self.plan.referrals if r.get("outcome")}
        for ref in sorted(set(first) | with_outcome):
            target = self.file_referrals[ref][1] if ref in self.file_referrals else self.referral(ref)
            if not isinstance(target, _Referral) or target.facts is None:
                continue  # already reported
            if target.in_db and self.ctx.referrals[ref].get("_outcome"):
                continue
            given = self.file_referrals[ref][0].clean if ref in self.file_referrals else {}
            rv = first.get(ref)
            key = given.get("outcome") or rv["review_type_key"]
            info = self.types_of(target.partnership_id)[key]
            result = screening.assess(target.facts)
            self.plan.decisions.append({
                "referral_reference": ref, "review_type_id": info.id, "review_type_key": info.spec.key,
                "decided_on": given.get("decided_on") or rv["started_on"],
                "engine_regime": result["regime"], "engine_route": result["route"],
                "departs": result["route"] not in info.spec.routes, "version_no": target.max_version + 1,
            })
        self.report.decisions = len(self.plan.decisions)


def validate(parsed: Parsed, ctx: Context) -> tuple[ImportReport, Plan | None]:
    """Check every row of every sheet; the plan is None unless every row passed."""
    if parsed.problems:
        report = ImportReport(parsed.file_name, problems=list(parsed.problems),
                              warnings=list(parsed.warnings), rows=parsed.row_count)
        if any(p.column and p.row == 1 for p in parsed.problems):
            report.warnings.append(Problem("", None, None, "Rows were not checked: fix the columns first."))
        return report, None
    return _Checker(parsed, ctx).run()


# -- writing a workbook ----------------------------------------------------------------------

def _out(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return "; ".join(str(v) for v in value)
    return neutralise(value)


def write_workbook(sheets: Mapping[str, Iterable[Mapping[str, Any]]],
                   guide: Iterable[Iterable[Any]] = ()) -> bytes:
    """The tracker format: one sheet per kind with the header row, then the guide."""
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for name, columns in SHEETS.items():
        ws = wb.create_sheet(name)
        ws.freeze_panes = "A2"
        for i, col in enumerate(columns):
            letter = _letter(i)
            ws.column_dimensions[letter].width = 14 if col.kind in ("date", "bool", "int") else 24
        header = []
        for col in columns:
            cell = WriteOnlyCell(ws, value=col.name)
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in sheets.get(name, ()):
            cells = []
            for col in columns:
                value = _out(row.get(col.name))
                cell = WriteOnlyCell(ws, value=value)
                if isinstance(value, date):
                    cell.number_format = "yyyy-mm-dd"
                cells.append(cell)
            ws.append(cells)
    ws = wb.create_sheet(GUIDE_SHEET)
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 26
    ws.column_dimensions["C"].width = 12
    ws.column_dimensions["D"].width = 60
    ws.column_dimensions["E"].width = 80
    for line in guide:
        ws.append([_out(v) for v in line])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i + 1)


def guide_rows(agencies: Iterable[str] = (), partnerships: Iterable[str] = (),
               review_types: Mapping[str, Iterable[ReviewTypeSpec]] | None = None) -> list[list[Any]]:
    """The guide sheet: every column with its allowed values, then agencies and review types."""
    rows: list[list[Any]] = [
        ["Panel tracker import format. Fill the sheets referrals, notifications, reviews and "
         "milestones; row 1 is the header. Delete the example rows first. Nothing is imported "
         "unless every row passes; importing the same file again changes nothing."],
        [],
        ["sheet", "column", "required", "what it holds", "allowed values"],
    ]
    for sheet, columns in SHEETS.items():
        for col in columns:
            allowed = ""
            if col.choices:
                allowed = "; ".join(col.choices)
            elif col.kind == "date":
                allowed = "a date cell, YYYY-MM-DD or DD/MM/YYYY"
            elif col.kind == "bool":
                allowed = "TRUE / FALSE (also yes / no)"
            elif col.kind == "int":
                allowed = "a whole number"
            rows.append([sheet, col.name, "yes" if col.required else "no", col.help, allowed])
    rows += [[], ["Partnership codes"]]
    rows += [["", code] for code in partnerships]
    rows += [[], ["Agencies (referrer_agency, agencies_involved)"]]
    rows += [["", name] for name in agencies]
    rows += [[], ["Review types", "review_type_key / outcome", "regime", "name",
                  "milestone keys (in order); outcomes with none create no review"]]
    types = review_types if review_types is not None else {"every partnership": DEFAULT_REVIEW_TYPES}
    for code, specs in types.items():
        for spec in specs:
            rows.append([code, spec.key, spec.regime, spec.name, ", ".join(m.key for m in spec.milestones)])
    return rows


def example_rows(partnership_code: str = "NB", agency: str = "Children's social care") -> dict[str, list[dict]]:
    """One fictional row per sheet that passes the checks: a WT2018 serious harm case, its
    National Panel notification, its rapid review and the first milestone."""
    ref = f"{partnership_code}-2025-900"
    return {
        "referrals": [{
            "reference": ref, "partnership_code": partnership_code, "received_on": date(2025, 3, 4),
            "aware_on": date(2025, 3, 3), "referrer_name": "Designated safeguarding lead",
            "referrer_agency": agency, "identified_by": "social_worker", "child_initials": "XY",
            "child_age_years": 1, "child_sex": "female", "child_ethnicity": "not_recorded",
            "looked_after": False, "child_protection_plan": False, "known_to_csc": True,
            "incident_date": date(2025, 3, 1),
            "incident_summary": "Fictional example: baby admitted with injuries inconsistent with the account given.",
            "harm": "serious_harm", "abuse_or_neglect": "suspected", "location": "in_area",
            "status": "decided", "agencies_involved": (agency,), "interagency_concerns": "unclear",
            "outcome": "rapid_review", "decided_on": date(2025, 3, 7),
        }],
        "notifications": [{
            "referral_reference": ref, "body": "national_panel", "due_on": date(2025, 3, 10),
            "sent_on": date(2025, 3, 6), "sent_reference": "CIN-2025-0001",
        }],
        "reviews": [{
            "review_reference": f"{ref}-R1", "referral_reference": ref, "review_type_key": "rapid_review",
            "started_on": date(2025, 3, 7), "notified_on": date(2025, 3, 6), "status": "open",
        }],
        "milestones": [{
            "review_reference": f"{ref}-R1", "milestone_key": "agency_summaries_requested",
            "planned_on": date(2025, 3, 7), "actual_on": date(2025, 3, 7),
        }],
    }


def build_template(partnership_code: str = "NB", agencies: Iterable[str] = ("Children's social care",),
                   partnerships: Iterable[str] = ("NB",),
                   review_types: Mapping[str, Iterable[ReviewTypeSpec]] | None = None) -> bytes:
    """The downloadable template: headers, one fictional example row per sheet, the guide."""
    agencies = list(agencies)
    return write_workbook(example_rows(partnership_code, agencies[0] if agencies else "Children's social care"),
                          guide_rows(agencies, partnerships, review_types))

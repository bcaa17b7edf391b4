"""What an agency may be called and what kind it is, and reading an agency list file. Plain
Python: no database, no Streamlit.

The three statutory safeguarding partners (Children Act 2004 s.16E, docs/domain.md §2) are the local
authority, the chief officer of police and the integrated care board: only agencies of those
kinds can be marked statutory. Names are compared without regard to case, so "Police" and
"police" are one agency.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

KINDS = ("local_authority", "police", "health", "education", "other")
KIND_LABELS = {
    "local_authority": "Local authority",
    "police": "Police",
    "health": "Health",
    "education": "Education",
    "other": "Other",
}
STATUTORY_KINDS = frozenset({"local_authority", "police", "health"})
NAME_MAX = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TRUE = {"yes", "y", "true", "1", "statutory", "x"}
_FALSE = {"", "no", "n", "false", "0"}


def kind_label(kind: str) -> str:
    """Older rows may hold a kind outside KINDS (probation, say): shown as it is."""
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


def clean_name(name: str | None) -> str:
    return " ".join((name or "").split())


def name_key(name: str) -> str:
    """How two names are compared: case and spacing aside."""
    return clean_name(name).casefold()


def agency_problems(name: str, kind: str, statutory: bool) -> dict[str, str]:
    """Messages for the fields of one agency; {} if it is fine."""
    errors: dict[str, str] = {}
    name = clean_name(name)
    if not name:
        errors["name"] = "Enter the agency's name."
    elif len(name) > NAME_MAX:
        errors["name"] = f"Keep the name to {NAME_MAX} characters."
    elif _CONTROL.search(name):
        errors["name"] = "The name cannot hold control characters."
    if kind not in KINDS:
        errors["kind"] = "Choose a kind: " + ", ".join(KIND_LABELS[k].lower() for k in KINDS) + "."
    elif statutory and kind not in STATUTORY_KINDS:
        errors["statutory"] = ("Only the local authority, the police and health (the integrated care board) "
                               "are statutory safeguarding partners.")
    return errors


def parse_kind(text: str) -> str | None:
    t = (text or "").strip().casefold().replace("-", " ").replace("_", " ")
    for key, label in KIND_LABELS.items():
        if t in (key.replace("_", " "), label.casefold()):
            return key
    if t in ("la", "council", "local authority children's services"):
        return "local_authority"
    if t in ("icb", "nhs", "integrated care board"):
        return "health"
    return None


def parse_flag(text) -> bool | None:
    if isinstance(text, bool):
        return text
    t = str(text if text is not None else "").strip().casefold()
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    return None


@dataclass
class AgencyList:
    """An agency list file read: the rows to add, and every problem as "row N, column: reason"."""

    rows: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


COLUMNS = ("name", "kind", "statutory")


def _table(data: bytes, file_name: str) -> list[list]:
    if file_name.lower().endswith((".xlsx", ".xlsm")):
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            ws = wb.worksheets[0]
            return [list(r) for _, r in zip(range(5001), ws.iter_rows(values_only=True), strict=False)]
        finally:
            wb.close()
    text = data.decode("utf-8-sig")
    return [row for row in csv.reader(io.StringIO(text))]


def read_agency_list(data: bytes, file_name: str) -> AgencyList:
    """Rows of name, kind, statutory (a header row naming them first); checked, not yet compared
    with the database. Blank rows are skipped; a name twice in the file is a problem."""
    out = AgencyList()
    try:
        table = _table(data, file_name or "agencies.csv")
    except Exception:  # noqa: BLE001 (any unreadable file gets the same plain answer)
        out.problems.append("The file could not be read: save it as CSV (UTF-8) or Excel (.xlsx).")
        return out
    if not table:
        out.problems.append("The file is empty: put name, kind, statutory in the first row.")
        return out
    header = [str(h or "").strip().casefold() for h in table[0]]
    missing = [c for c in ("name", "kind") if c not in header]
    if missing:
        out.problems.append("Row 1 must name the columns name, kind and (optionally) statutory; missing: "
                            + ", ".join(missing) + ".")
        return out
    at = {c: header.index(c) for c in COLUMNS if c in header}
    seen: dict[str, int] = {}
    for n, raw in enumerate(table[1:], start=2):
        def cell(c, raw=raw):
            return raw[at[c]] if c in at and at[c] < len(raw) else None

        if all(v in (None, "") or str(v).strip() == "" for v in raw):
            continue
        name = clean_name(str(cell("name") or ""))
        kind = parse_kind(str(cell("kind") or ""))
        statutory = parse_flag(cell("statutory"))
        errors = agency_problems(name, kind or "", bool(statutory))
        if kind is None:
            errors["kind"] = (f"{str(cell('kind') or '')[:40]!r} is not a kind: use "
                              + ", ".join(KIND_LABELS[k].lower() for k in KINDS) + ".")
        if statutory is None:
            errors["statutory"] = "Use yes or no."
        if name and name_key(name) in seen:
            errors["name"] = f"{name[:60]!r} is already on row {seen[name_key(name)]}."
        if errors:
            out.problems += [f"row {n}, {col}: {msg}" for col, msg in errors.items()]
            continue
        seen[name_key(name)] = n
        out.rows.append({"row": n, "name": name, "kind": kind, "statutory": bool(statutory)})
    if not out.rows and not out.problems:
        out.problems.append("The file lists no agencies.")
    return out

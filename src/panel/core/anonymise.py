"""The anonymisation check run before a learning document leaves the system (docs/domain.md §8).

Published learning calls the child "Child X". This module looks for what would identify the
child in free text: the child's initials, their date of birth, and names recorded on the case.
It is a warning aid, not a guarantee, so it prefers a false alarm to a miss on the forms it
knows, while passing clean text: "Child X", ordinary words that merely contain the initials
("ASSESSMENT" for AS), and dates that are not the date of birth.

Pure functions over plain values: no database, no Streamlit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

KINDS = {"initials": "the child's initials", "date_of_birth": "the child's date of birth",
         "name": "a name recorded on the case"}

MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
}
_MONTH = "(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_NOT_DIGIT_BEFORE, _NOT_DIGIT_AFTER = r"(?<![\d/.\-])", r"(?![\d]|[/.\-]\d)"
# Full dates, each read in the UK order its form implies.
_FULL_DATES = [
    ("ISO", re.compile(_NOT_DIGIT_BEFORE + r"(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})"
                       + _NOT_DIGIT_AFTER)),
    ("dd/mm/yyyy", re.compile(_NOT_DIGIT_BEFORE + r"(?P<day>\d{1,2})([/.\-])(?P<month>\d{1,2})\2"
                              r"(?P<year>\d{4}|\d{2})" + _NOT_DIGIT_AFTER)),
    ("d Month yyyy", re.compile(r"(?<![\w])" + _DAY + r"\s+(?:of\s+)?" + _MONTH + r",?\s+" + _YEAR
                                + r"(?!\d)", re.IGNORECASE)),
    ("Month d, yyyy", re.compile(r"(?<![\w])" + _MONTH + r"\s+" + _DAY + r",?\s+" + _YEAR + r"(?!\d)",
                                 re.IGNORECASE)),
]
_MONTH_YEAR = re.compile(r"(?<![\w])" + _MONTH + r",?\s+" + _YEAR + r"(?!\d)", re.IGNORECASE)


@dataclass(frozen=True)
class Identifiers:
    """What identifies the child on this case: minimised data only (docs/domain.md §8)."""

    initials: str | None = None
    dob: date | None = None
    names: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, order=True)
class Hit:
    """One place where the text may identify the child.

    `start`/`end` are character offsets into the checked text (text[start:end] == matched);
    `kind` is "initials", "date_of_birth" or "name"; `why` says it in words; `section` is
    filled in by callers that check several texts (e.g. a briefing's sections)."""

    start: int
    end: int
    matched: str
    kind: str
    why: str
    section: str = ""


def _initials_letters(initials: str | None) -> str:
    return "".join(ch for ch in (initials or "").upper() if ch.isalpha())


def _initials_pattern(letters: str) -> re.Pattern | None:
    """The initials as a token of their own: "AB", "A.B.", "A. B.", "A.B" (case-sensitive)."""
    if not letters:
        return None
    if len(letters) == 1:
        # A lone capital is an ordinary word ("A review"); only the dotted form is an initial,
        # and "Child X" is the anonymised name, not a leak.
        body = re.escape(letters) + r"\."
        return re.compile(r"(?<![\w.])(?<!Child )" + body + r"(?!\w)")
    undotted = re.escape(letters)
    dotted = r"\.\s?".join(re.escape(ch) for ch in letters) + r"\.?"
    return re.compile(r"(?<![\w.])(?:" + dotted + "|" + undotted + r")(?![\w]|\.\w)")


def _year(raw: str) -> int:
    y = int(raw)
    if len(raw) == 2:  # dd/mm/yy: a child's birth year is this century or the last
        y += 2000 if y <= 69 else 1900
    return y


def _as_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month(raw: str) -> int:
    return MONTHS[raw.lower().rstrip(".")] if not raw.isdigit() else int(raw)


def _dob_hits(text: str, dob: date) -> list[Hit]:
    hits: list[Hit] = []
    taken: list[tuple[int, int]] = []
    for form, pattern in _FULL_DATES:
        for m in pattern.finditer(text):
            if any(s <= m.start() < e or s < m.end() <= e for s, e in taken):
                continue
            day = _as_date(_year(m["year"]), _month(m["month"]), int(m["day"]))
            if day is None:
                continue
            taken.append((m.start(), m.end()))  # a date, DOB or not: its parts are not re-read
            if day == dob:
                hits.append(Hit(m.start(), m.end(), m.group(0), "date_of_birth",
                                f"The child's date of birth ({form} form)."))
    for m in _MONTH_YEAR.finditer(text):
        if any(s <= m.start() < e for s, e in taken):
            continue
        if _month(m["month"]) == dob.month and int(m["year"]) == dob.year:
            hits.append(Hit(m.start(), m.end(), m.group(0), "date_of_birth",
                            "The child's month and year of birth (Month yyyy form)."))
    return hits


def _name_pattern(name: str) -> re.Pattern | None:
    words = name.split()
    if not words or len("".join(words)) < 2:
        return None
    body = r"\s+".join(re.escape(w) for w in words)
    return re.compile(r"(?<!\w)" + body + r"(?!\w)", re.IGNORECASE)


def check(text: str, identifiers: Identifiers) -> list[Hit]:
    """Every place in `text` that shows the child's initials, date of birth or a case name.

    Hits are in text order; a hit inside a longer one (initials inside a name) is dropped."""
    text = text or ""
    hits: list[Hit] = []
    letters = _initials_letters(identifiers.initials)
    pattern = _initials_pattern(letters)
    if pattern is not None:
        for m in pattern.finditer(text):
            hits.append(Hit(m.start(), m.end(), m.group(0), "initials",
                            f"The child's initials ({letters})."))
    if identifiers.dob is not None:
        hits += _dob_hits(text, identifiers.dob)
    for name in _unique(identifiers.names):
        pattern = _name_pattern(name)
        if pattern is None:
            continue
        for m in pattern.finditer(text):
            hits.append(Hit(m.start(), m.end(), m.group(0), "name",
                            f"A name recorded on the case ({name.strip()})."))
    hits.sort(key=lambda h: (h.start, -(h.end - h.start)))
    kept: list[Hit] = []
    for h in hits:
        if kept and h.start >= kept[-1].start and h.end <= kept[-1].end:
            continue
        kept.append(h)
    return kept


def _unique(names: Iterable[str]) -> list[str]:
    seen, out = set(), []
    for n in names or ():
        key = " ".join((n or "").split()).lower()
        if key and key not in seen:
            seen.add(key)
            out.append(n)
    return out


# Words of a job title, not of a person's name: "Referrer's name and role" holds both
# ("Jane Smith, designated safeguarding lead"), and only the name identifies anyone.
ROLE_WORDS = frozenset("""
    lead designated named safeguarding manager management head service services team senior
    social worker workers nurse nursing doctor gp consultant paediatrician midwife health visitor
    visiting detective inspector sergeant constable officer police teacher headteacher deputy
    school principal director assistant practitioner advisor adviser coordinator co-ordinator
    specialist chief superintendent acting interim locum independent reviewing chair partnership
    children's children child family families early help of the for and at in on to a an
    professional professionals protection liaison ward sister staff member clinical clinician
    matron manager's lead's duty on-call emergency department hospital trust primary secondary
    youth justice probation housing education care board integrated community acute mental
    representative rep officer's pc dc ds di dci sgt insp supt dsl dsls senco sendco iro sw
    mr mrs ms miss mx dr prof professor
""".split())
_NAME_PARTS = re.compile(r"[,;()/|\[\]]|\s[-\u2013\u2014]\s|\s+and\s+|\s+&\s+", re.IGNORECASE)


def names_in(raw: str | None) -> list[str]:
    """The personal names in a "name and role" field: "Jane Smith, Named Nurse" -> ["Jane Smith"].

    Role words (and titles such as Mrs, Dr, PC) are dropped; whatever remains counts as a name
    (a false alarm is better than a miss). A field holding only a role gives no names."""
    out: list[str] = []
    for part in _NAME_PARTS.split(raw or ""):
        words = [w.strip(".'\"") for w in part.split()]
        kept = [w for w in words if w and w.lower() not in ROLE_WORDS and any(ch.isalpha() for ch in w)]
        if len("".join(kept)) >= 2:
            out.append(" ".join(kept))
    return _unique(out)


def excerpt(text: str, hit: Hit, width: int = 40) -> str:
    """The words around a hit, for showing where it is: "…the child **AB** was seen…"."""
    before = text[max(0, hit.start - width):hit.start]
    after = text[hit.end:hit.end + width]
    lead = "…" if hit.start > width else ""
    tail = "…" if hit.end + width < len(text) else ""
    return f"{lead}{before}[{hit.matched}]{after}{tail}".replace("\n", " ")

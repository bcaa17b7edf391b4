"""What the checks know about the database: plain dicts the service gathers, and the
references a file mentions so the service knows what to look up."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from panel.reviews.types import ReviewTypeSpec
from panel.tracker_io.format import REVIEW_REF_RE
from panel.tracker_io.parse import Parsed, cell_text

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
    agencies: dict[str, int]  # casefolded name -> id, retired agencies too (old records name them)
    review_types: dict[int, dict[str, TypeInfo]]  # partnership id -> key -> type
    referrals: dict[str, dict] = field(default_factory=dict)  # reference -> values, "_id", "_pid", ...
    notifications: dict[tuple[str, str], dict] = field(default_factory=dict)
    reviews: dict[str, dict] = field(default_factory=dict)  # reference -> values, "_pid", "_type", "_lcspr"
    milestones: dict[tuple[str, str], dict] = field(default_factory=dict)
    # The learning (docs/domain.md §7.1): active themes by casefolded name, and the learning of
    # the reviews the file names by review and text, rows sharing one in order (panel.tracker_io.learning_db).
    themes: dict[str, int] = field(default_factory=dict)
    findings: dict[tuple[str, str], list[dict]] = field(default_factory=dict)  # (review ref, text) -> values
    recommendations: dict[tuple[str, str], list[dict]] = field(default_factory=dict)
    actions: dict[tuple[int, str, str], list[dict]] = field(default_factory=dict)  # (rec id, text, owner) -> values
    # Learning sources (panel.tracker_io.sources_db): by (partnership id, kind, "reference" or
    # "title", the casefolded value), and by the name findings give them (reference, else title).
    sources: dict[tuple, dict] = field(default_factory=dict)
    source_names: dict[str, list[dict]] = field(default_factory=dict)
    # Retired agencies: id -> why a new learning row cannot name it (a row already stored keeps it).
    retired: dict[int, str] = field(default_factory=dict)

    def may_import(self, partnership_id: int | None) -> bool:
        return partnership_id is not None and (self.importable is None or partnership_id in self.importable)


def references(parsed: Parsed) -> tuple[set[str], set[str]]:
    """Referral and review references the file mentions, for the service to look up."""
    referrals: set[str] = set()
    reviews: set[str] = set()
    for key, sheet in parsed.sheets.items():
        for _, raw in sheet.rows:
            for col, bucket in (("reference", referrals), ("referral_reference", referrals),
                                ("review_reference", reviews), ("rapid_review_reference", reviews)):
                if key == "referrals" and col != "reference":
                    continue
                text = cell_text(raw.get(col)) if col in raw else None
                if text:
                    bucket.add(text.upper()[:40])
    for ref in list(reviews):
        if m := REVIEW_REF_RE.match(ref):
            referrals.add(m["referral"])
    return referrals, reviews


def agency_names(parsed: Parsed) -> list[str]:
    """Agency names the referrals sheet uses (referring and involved), first spelling of each
    kept, so the service can say which are new and, if asked, create them."""
    out: dict[str, str] = {}
    sheet = parsed.sheets.get("referrals")
    for _, raw in (sheet.rows if sheet else ()):
        names = [cell_text(raw.get("referrer_agency"))]
        names += (cell_text(raw.get("agencies_involved")) or "").split(";")
        for name in names:
            name = (name or "").strip()
            if name and len(name) <= 200:
                out.setdefault(name.casefold(), name)
    return list(out.values())

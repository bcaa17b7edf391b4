"""Learning sources and the database (docs/domain.md §7.1): what the checks need to know, writing
the new sources inside the import's transaction, and the rows the export writes.

A source is matched in its partnership by kind and reference, or by kind and title when it has
no reference (panel.tracker_io.checks_sources). Findings and recommendations name a source by its
reference, or by its title if it has none.
"""

from __future__ import annotations

from sqlmodel import Session, select

from panel.core import audit
from panel.core.access import Actor
from panel.models import LearningSource, Partnership, SourceAgency
from panel.tracker_io.checks_sources import FIELDS, source_key, source_name
from panel.tracker_io.context import Context
from panel.tracker_io.format import SOURCE_SHEET
from panel.tracker_io.parse import Parsed, cell_text
from panel.tracker_io.report import ImportReport, Plan


def _agencies(s: Session, ids: list[int] | None = None) -> dict[int, tuple[int, ...]]:
    stmt = select(SourceAgency.source_id, SourceAgency.agency_id)
    if ids is not None:
        stmt = stmt.where(SourceAgency.source_id.in_(ids))
    out: dict[int, set[int]] = {}
    for sid, aid in s.exec(stmt):
        out.setdefault(sid, set()).add(aid)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def _row(src: LearningSource, code: str, agencies: tuple[int, ...]) -> dict:
    return {"partnership_code": code, **{k: getattr(src, k) for k in FIELDS}, "agencies": agencies,
            "_id": src.id, "_pid": src.partnership_id}


def names_in(parsed: Parsed) -> set[str]:
    """The sources a file names (casefolded): its learning_sources rows and the source column."""
    out: set[str] = set()
    for key, cols in ((SOURCE_SHEET, ("reference", "title")), ("findings", ("source",)),
                      ("recommendations", ("source",))):
        sheet = parsed.sheets.get(key)
        for _, raw in (sheet.rows if sheet else ()):
            for col in cols:
                if text := cell_text(raw.get(col)):
                    out.add(text.casefold())
                    break  # a source with a reference is named by it
    return out


def load(s: Session, ctx: Context, parsed: Parsed) -> list[int]:
    """The stored sources the file names, keyed as the checks match them; returns their ids (their
    learning is loaded with the reviews')."""
    wanted = names_in(parsed)
    if not wanted:
        return []
    codes = dict(s.exec(select(Partnership.id, Partnership.code)).all())
    found = [src for src in s.exec(select(LearningSource))
             if (src.reference or "").strip().casefold() in wanted or src.title.strip().casefold() in wanted]
    agencies = _agencies(s, [src.id for src in found]) if found else {}
    for src in found:
        row = _row(src, codes[src.partnership_id], agencies.get(src.id, ()))
        ctx.sources[source_key(src.partnership_id, src.kind, src.reference, src.title)] = row
        ctx.source_names.setdefault(source_name(row).casefold(), []).append(row)
    return [src.id for src in found]


def write(s: Session, actor: Actor, plan: Plan, report: ImportReport) -> None:
    """The new sources, with their agencies, each audited as an import; their ids go back into the
    checks' records, where the findings and recommendations naming them read them."""
    new = [(r, LearningSource(partnership_id=r["_pid"], created_by_id=actor.user_id,
                              **{k: r.get(k) for k in FIELDS})) for r in plan.sources]
    s.add_all([src for _, src in new])
    s.flush()
    for r, src in new:
        r["_id"] = src.id
        s.add_all([SourceAgency(source_id=src.id, agency_id=a) for a in r["agencies"]])
        audit.record(s, actor, "import", "learning_source", src.id, src.partnership_id, detail=report.file_name)


def export_rows(s: Session, partnership_ids: list[int],
                agency_names: dict[int, str]) -> tuple[list[dict], dict[int, tuple[str, str]]]:
    """The learning_sources sheet of these partnerships, and how its findings and recommendations
    name each source (id -> name, partnership code)."""
    codes = dict(s.exec(select(Partnership.id, Partnership.code)).all())
    sources = list(s.exec(select(LearningSource).where(LearningSource.partnership_id.in_(partnership_ids))
                          .order_by(LearningSource.partnership_id, LearningSource.id)))
    agencies = _agencies(s, [src.id for src in sources]) if sources else {}
    rows, names = [], {}
    for src in sources:
        row = _row(src, codes[src.partnership_id], agencies.get(src.id, ()))
        names[src.id] = (source_name(row), row["partnership_code"])
        rows.append({k: v for k, v in row.items() if not k.startswith("_")}
                    | {"agencies": sorted(agency_names[a] for a in row["agencies"])})
    return rows, names

"""Learning sources in the tracker (docs/import-format.md, docs/domain.md §7.1): a learning_sources
sheet checked by the source page's own rules, findings and recommendations naming a review or a
source (exactly one), every problem named by sheet, row and column with nothing written, a
source matched rather than duplicated, and a second import changing nothing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func
from sqlmodel import select

from panel.core.access import SYSTEM
from panel.core.db import read_session, transaction
from panel.models import (
    Action,
    AuditEvent,
    Finding,
    FindingAgency,
    LearningSource,
    Recommendation,
    RecommendationAgency,
    RecommendationFinding,
    SourceAgency,
    ThemeTag,
)
from panel.themes.service import seed_taxonomy
from panel.tracker_io import service as imports
from tests.factories import (
    CSC,
    book,
    do_import,
    example,
    set_cell,
    setup_installation,
    tracker_counts,
)

REF = "CDOP-FX-001"
TITLE = "Fictional CDOP learning: safe sleep after a move"


TABLES = (LearningSource, SourceAgency, Finding, FindingAgency, Recommendation, RecommendationAgency,
          RecommendationFinding, Action, ThemeTag)


@pytest.fixture
def parts(db) -> dict[str, int]:
    found = setup_installation()
    with transaction() as s:
        seed_taxonomy(s)
    return found


def counts() -> dict[str, int]:
    with read_session() as s:
        learned = {m.__name__: s.exec(select(func.count()).select_from(m)).one() for m in TABLES}
    return {**tracker_counts(), **learned}


def source_rows() -> dict[str, list[dict]]:
    """The review's case and learning, and a child death review's learning beside it."""
    data = example(learning=True)
    data["learning_sources"] = [{
        "partnership_code": "NB", "kind": "child_death_review", "title": TITLE, "reference": REF,
        "topic": "Fictional example: safe sleep advice", "started_on": date(2025, 1, 6),
        "completed_on": date(2025, 5, 30), "agencies": (CSC, "Police")}]
    data["findings"].append({
        "finding_reference": "F2", "source": REF, "recorded_on": date(2025, 6, 2), "nature": "concern",
        "text": "Fictional example: safe sleep advice was not repeated after the family moved.", "agencies": (CSC,)})
    data["recommendations"].append({
        "recommendation_reference": "R2", "source": REF.lower(), "finding_references": ("F2",),
        "text": "Fictional example: health visitors repeat safe sleep advice at every move.",
        "target_agencies": (CSC,), "status": "draft", "recorded_on": date(2025, 6, 3)})
    data["actions"].append({
        "action_reference": "A2", "recommendation_reference": "R2", "owner_agency": CSC,
        "owner_name": "Fictional named nurse", "text": "Fictional example: add safe sleep to the move checklist.",
        "due_on": date(2025, 9, 30), "status": "open"})
    return data


def refused(data: bytes, sheet: str, row: int, column: str, fragment: str) -> None:
    before = counts()
    report = do_import(data)
    assert not report.ok and not report.imported
    assert counts() == before
    hits = [p.message for p in report.problems if (p.sheet, p.row, p.column) == (sheet, row, column)]
    assert any(fragment in m for m in hits), report.lines()


def test_a_source_imports_with_its_finding_and_recommendation(parts):
    report = do_import(book(source_rows()), name="sources.xlsx")
    assert report.imported, report.lines()
    assert report.counts["learning_sources"] == {"new": 1, "unchanged": 0}
    assert {k: report.counts[k]["new"] for k in ("findings", "recommendations", "actions")} == {
        "findings": 2, "recommendations": 2, "actions": 2}
    with read_session() as s:
        src = s.exec(select(LearningSource)).one()
        assert (src.partnership_id, src.kind, src.title, src.reference, src.started_on, src.completed_on) == (
            parts["NB"], "child_death_review", TITLE, REF, date(2025, 1, 6), date(2025, 5, 30))
        assert len(s.exec(select(SourceAgency).where(SourceAgency.source_id == src.id)).all()) == 2
        fi = s.exec(select(Finding).where(Finding.source_id == src.id)).one()
        assert (fi.review_id, fi.source_kind, fi.source_title, fi.partnership_id) == (
            None, "child_death_review", TITLE, parts["NB"])
        rec = s.exec(select(Recommendation).where(Recommendation.source_id == src.id)).one()
        assert (rec.review_id, rec.finding_id, rec.status) == (None, fi.id, "draft")
        assert s.exec(select(RecommendationFinding.finding_id)
                      .where(RecommendationFinding.recommendation_id == rec.id)).all() == [fi.id]
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "import",
                                               AuditEvent.entity == "learning_source")).one().entity_id == src.id


def test_importing_twice_changes_nothing(parts):
    data = book(source_rows())
    assert do_import(data).imported
    before = counts()
    again = do_import(data)
    assert again.ok and not again.imported and again.new == 0 and again.unchanged == again.rows, again.lines()
    assert again.counts["learning_sources"] == {"new": 0, "unchanged": 1}
    assert counts() == before


BAD = [  # sheet, index, values, column, what the message says (the source page's own words)
    ("learning_sources", 0, {"kind": "survey"}, "kind", "'survey' is not one of: case_file_audit"),
    ("learning_sources", 0, {"title": None}, "title", "Required: this cell is empty."),
    ("learning_sources", 0, {"title": "x" * 201}, "title", "Keep the title to 200 characters."),
    ("learning_sources", 0, {"inspectorate": "ofsted"}, "inspectorate", "Only an inspection names an inspectorate."),
    ("learning_sources", 0, {"kind": "inspection"}, "inspectorate", "Choose the inspectorate"),
    ("learning_sources", 0, {"cases_sampled": 12}, "cases_sampled", "Only an audit samples cases"),
    ("learning_sources", 0, {"completed_on": date(2024, 12, 1)}, "completed_on", "cannot be completed before it started"),
    ("learning_sources", 0, {"started_on": None, "completed_on": None}, "completed_on", "Enter when it was completed"),
    ("learning_sources", 0, {"partnership_code": "ZZ"}, "partnership_code", "No partnership with code 'ZZ'"),
    ("learning_sources", 0, {"agencies": ("Nobody",)}, "agencies", "No agency named 'Nobody'"),
    ("findings", 1, {"review_reference": "NB-2025-900-R1"}, "source", "Say which review or which learning source"),
    ("findings", 1, {"source": None}, "review_reference", "Say which review or which learning source"),
    ("findings", 1, {"source": "CDOP-NOPE"}, "source", "No learning source 'CDOP-NOPE'"),
    ("findings", 1, {"source_partnership_code": "EM"}, "source", "No learning source"),
    ("findings", 0, {"source_partnership_code": "NB"}, "source_partnership_code", "Only a learning source's row"),
    ("recommendations", 1, {"source": "CDOP-NOPE"}, "source", "No learning source 'CDOP-NOPE'"),
    ("recommendations", 1, {"finding_references": ("F1",)}, "finding_references", "Link findings of this review"),
]


@pytest.mark.parametrize(("sheet", "index", "values", "column", "fragment"), BAD,
                         ids=[f"{b[0]}-{b[3]}-{i}" for i, b in enumerate(BAD)])
def test_each_bad_cell_is_named_and_nothing_is_written(parts, sheet, index, values, column, fragment):
    refused(book(set_cell(source_rows(), sheet, index, **values)), sheet, index + 2, column, fragment)


def test_one_bad_row_anywhere_writes_no_source(parts):
    data = source_rows()
    data["actions"][-1]["due_on"] = date(2025, 6, 1)  # before its recommendation: the last sheet
    refused(book(data), "actions", 3, "due_on", "the action cannot be due before that")
    with read_session() as s:
        assert s.exec(select(func.count()).select_from(LearningSource)).one() == 0


def test_a_source_without_a_reference_is_matched_by_kind_and_title(parts):
    data = source_rows()
    data["learning_sources"][0]["reference"] = None
    for sheet in ("findings", "recommendations"):
        data[sheet][1]["source"] = TITLE.upper()
    assert do_import(book(data)).imported
    again = do_import(book(data))
    assert again.ok and again.new == 0 and again.counts["learning_sources"]["unchanged"] == 1, again.lines()
    # A different value in a stored source is named, beside the title that matched it.
    data["learning_sources"][0]["topic"] = "Fictional example: something else"
    refused(book(data), "learning_sources", 2, "title", "different values in: topic")


def test_learning_for_a_source_already_stored(parts):
    data = source_rows()
    assert do_import(book({k: v for k, v in data.items() if k not in ("findings", "recommendations", "actions")})).imported
    learning = {k: data[k][1:] for k in ("findings", "recommendations")} | {"actions": data["actions"][1:]}
    first = do_import(book(learning))
    assert first.imported and first.new == 3, first.lines()
    assert do_import(book(learning)).unchanged == 3
    with read_session() as s:
        assert s.exec(select(func.count()).select_from(LearningSource)).one() == 1


def test_the_export_carries_the_sources_and_imports_back_unchanged(parts):
    assert do_import(book(source_rows())).imported
    data = imports.export_tracker(SYSTEM)
    again = do_import(data, dry_run=True)
    assert again.ok and again.new == 0 and again.counts["learning_sources"]["unchanged"] == 1, again.lines()[:5]

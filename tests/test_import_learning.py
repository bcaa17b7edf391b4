"""The learning sheets of the tracker (docs/import-format.md, docs/domain.md §7.1): findings,
recommendations and actions come in with their review, every problem named by sheet, row and
column with nothing written, a second import changes nothing, and an export imports back whole."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func
from sqlmodel import select

from panel import tracker_io
from panel.agencies import service as agency_service
from panel.core.access import SYSTEM
from panel.core.db import get_engine, read_session, transaction
from panel.learning import actions as register
from panel.learning import findings, recommendations
from panel.models import (
    Action,
    Agency,
    AuditEvent,
    Finding,
    FindingAgency,
    Recommendation,
    RecommendationAgency,
    RecommendationFinding,
    Review,
    Theme,
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

LEARNING = (Finding, FindingAgency, Recommendation, RecommendationAgency, RecommendationFinding, Action, ThemeTag)
THEME = "information sharing"


def installation() -> dict[str, int]:
    parts = setup_installation()
    with transaction() as s:
        seed_taxonomy(s)
    return parts


@pytest.fixture
def parts(db) -> dict[str, int]:
    return installation()


def counts() -> dict[str, int]:
    with read_session() as s:
        learned = {m.__name__: s.exec(select(func.count()).select_from(m)).one() for m in LEARNING}
    return {**tracker_counts(), **learned}


def rows() -> dict[str, list[dict]]:
    """The template's case and learning, with a theme and a second, closed action."""
    out = example(learning=True)
    out["findings"][0]["themes"] = (THEME,)
    out["actions"].append({
        "action_reference": "A2", "recommendation_reference": "R1", "owner_agency": CSC,
        "owner_name": "Named nurse", "owner_email": "nurse@example.org",
        "text": "Audit twenty case files for sharing with the GP.", "due_on": date(2025, 10, 31),
        "status": "closed", "closed_on": date(2025, 11, 3), "follow_up_on": date(2026, 5, 1),
        "evidence_of_impact": "The audit found the GP told in 18 of 20 cases, up from 6.",
    })
    return out


def refused(data: bytes, sheet: str, row: int, column: str, fragment: str) -> None:
    before = counts()
    report = do_import(data)
    assert not report.ok and not report.imported
    assert counts() == before
    hits = [p.message for p in report.problems if (p.sheet, p.row, p.column) == (sheet, row, column)]
    assert any(fragment in m for m in hits), report.lines()


def test_the_format_allows_what_the_learning_services_allow():
    assert tracker_io.format.NATURES == findings.NATURES
    assert tracker_io.format.RECOMMENDATION_STATUSES == recommendations.STATUSES
    assert tracker_io.format.ACTION_STATUSES == register.STATUSES


def test_learning_imports_with_its_links_themes_and_audit(parts):
    report = do_import(book(rows()), name="plan.xlsx")
    assert report.imported, report.lines()
    assert {k: report.counts[k]["new"] for k in tracker_io.LEARNING_SHEETS} == {
        "findings": 1, "recommendations": 1, "actions": 2}
    with read_session() as s:
        rv = s.exec(select(Review)).one()
        fi = s.exec(select(Finding)).one()
        rec = s.exec(select(Recommendation)).one()
        assert (fi.review_id, fi.partnership_id, fi.nature, fi.source_kind) == (rv.id, rv.partnership_id, "concern", "review")
        assert (rec.review_id, rec.finding_id, rec.status, rec.accepted_on) == (rv.id, fi.id, "accepted", date(2025, 4, 20))
        assert s.exec(select(RecommendationFinding.finding_id)).all() == [fi.id]
        themes = s.exec(select(ThemeTag.entity, Theme.name).join(Theme, Theme.id == ThemeTag.theme_id)).all()
        assert sorted(themes) == [("finding", THEME), ("recommendation", THEME)]  # blank: its findings' themes
        closed = s.exec(select(Action).where(Action.status == "closed")).one()
        assert (closed.recommendation_id, closed.closed_on, closed.follow_up_on) == (rec.id, date(2025, 11, 3), date(2026, 5, 1))
        audited = {e.entity for e in s.exec(select(AuditEvent).where(AuditEvent.action == "import"))}
        assert {"finding", "recommendation", "action", "tracker"} <= audited


BAD = [  # sheet, index, values, column, what the message says
    ("findings", 0, {"review_reference": "NB-2025-999-R1"}, "review_reference", "No review NB-2025-999-R1"),
    ("findings", 0, {"themes": ("Not a theme",)}, "themes", "No theme named 'Not a theme'"),
    ("findings", 0, {"agencies": ("Nobody",)}, "agencies", "No agency named 'Nobody'"),
    ("findings", 0, {"text": "Short"}, "text", "at least 10 characters"),
    ("findings", 0, {"nature": "worry"}, "nature", "is not one of: concern, good_practice"),
    ("recommendations", 0, {"finding_references": ("F9",)}, "finding_references", "No finding F9"),
    ("recommendations", 0, {"target_agencies": ()}, "target_agencies", recommendations.NO_AGENCY),
    ("recommendations", 0, {"target_agencies": ("Nobody",)}, "target_agencies", "No agency named"),
    ("recommendations", 0, {"status": "approved"}, "status", "is not one of: draft, accepted"),
    ("recommendations", 0, {"accepted_on": None}, "accepted_on", "Give the day the partnership accepted it"),
    ("recommendations", 0, {"status": "draft"}, "accepted_on", "Only an accepted recommendation"),
    ("recommendations", 0, {"accepted_on": date(2025, 4, 1)}, "accepted_on", "cannot have been accepted before"),
    ("recommendations", 0, {"due_on": date(2025, 4, 1)}, "due_on", "It cannot be due before it was recorded."),
    ("recommendations", 0, {"themes": ("Not a theme",)}, "themes", "No theme named"),
    ("actions", 0, {"recommendation_reference": "R9"}, "recommendation_reference", "No recommendation R9"),
    ("actions", 0, {"due_on": date(2025, 4, 18)}, "due_on",
     "The recommendation was accepted on Sun 20 Apr 2025: the action cannot be due before that."),
    ("actions", 0, {"owner_agency": "Nobody"}, "owner_agency", "No agency named 'Nobody'"),
    ("actions", 0, {"owner_email": "not-an-address"}, "owner_email", "Enter an e-mail address"),
    ("actions", 0, {"status": "done"}, "status", "is not one of: open, in_progress"),
    ("actions", 0, {"status": "carried"}, "carried_to", "Name who takes the action on"),
    ("actions", 0, {"closed_on": date(2025, 11, 3)}, "closed_on", "Only a closed action has this"),
    ("actions", 1, {"evidence_of_impact": None}, "evidence_of_impact", "Record the evidence that practice changed"),
    ("actions", 1, {"evidence_of_impact": "Better now."}, "evidence_of_impact", "Record the evidence"),
    ("actions", 1, {"closed_on": None}, "closed_on", "Give the day the action was closed"),
    ("actions", 1, {"follow_up_on": date(2025, 11, 1)}, "follow_up_on", "Choose a follow-up date after"),
]


@pytest.mark.parametrize(("sheet", "index", "values", "column", "fragment"), BAD,
                         ids=[f"{b[0]}-{b[3]}-{i}" for i, b in enumerate(BAD)])
def test_each_bad_learning_cell_is_named_and_nothing_is_written(parts, sheet, index, values, column, fragment):
    refused(book(set_cell(rows(), sheet, index, **values)), sheet, index + 2, column, fragment)


def test_a_finding_of_another_review_cannot_be_answered(parts):
    data = rows()
    ref = data["reviews"][0]["review_reference"]
    data["reviews"].append({**data["reviews"][0], "review_reference": ref[:-1] + "2"})
    data["findings"].append({**data["findings"][0], "finding_reference": "F2", "review_reference": ref[:-1] + "2"})
    data["recommendations"][0]["finding_references"] = ("F1", "F2")
    refused(book(data), "recommendations", 2, "finding_references", "Link findings of this review")


def test_duplicate_references_and_repeated_text_in_the_file(parts):
    data = rows()
    data["findings"].append(dict(data["findings"][0]))
    refused(book(data), "findings", 3, "finding_reference", "Duplicate reference: F1 is also on row 2.")
    # The same text twice in a review is two findings, matched in turn when imported again.
    data["findings"][1]["finding_reference"] = "F2"
    assert do_import(book(data)).counts["findings"]["new"] == 2
    assert do_import(book(data)).counts["findings"] == {"new": 0, "unchanged": 2}


def test_one_bad_learning_row_writes_nothing_at_all(parts):
    data = rows()
    data["actions"][1]["evidence_of_impact"] = None  # the last row of the last sheet
    refused(book(data), "actions", 3, "evidence_of_impact", "Record the evidence")
    with read_session() as s:  # not the referral, the review, nor the learning before it
        assert s.exec(select(func.count()).select_from(Review)).one() == 0


def test_reimporting_changes_nothing_and_reports_unchanged(parts):
    data = book(rows())
    assert do_import(data).imported
    before = counts()
    again = do_import(data)
    assert again.ok and not again.imported and again.new == 0 and again.unchanged == again.rows == 8
    assert {k: again.counts[k]["unchanged"] for k in tracker_io.LEARNING_SHEETS} == {
        "findings": 1, "recommendations": 1, "actions": 2}
    assert counts() == before


def test_learning_for_a_review_already_stored(parts):
    """A later file of learning alone: new once, then unchanged; a changed value is named."""
    case = rows()
    assert do_import(book({k: v for k, v in case.items() if k not in tracker_io.LEARNING_SHEETS})).imported
    learning = {k: case[k] for k in tracker_io.LEARNING_SHEETS}
    first = do_import(book(learning))
    assert first.imported and first.new == 4, first.lines()
    assert do_import(book(learning)).unchanged == 4
    learning["findings"][0]["nature"] = "good_practice"
    learning["actions"][0]["due_on"] = date(2025, 10, 1)
    report = do_import(book(learning))
    assert not report.ok
    assert [(p.sheet, p.row, p.column) for p in report.problems] == [
        ("findings", 2, "finding_reference"), ("actions", 2, "action_reference")]
    assert "different values in: nature" in report.problems[0].message
    assert "different values in: due_on" in report.problems[1].message


def test_a_learning_row_checks_without_the_database():
    """The checks run on a bare context (the pure half): an unknown review is named, not a crash."""
    parsed = tracker_io.read_workbook(book({k: v for k, v in rows().items() if k in tracker_io.LEARNING_SHEETS}))
    ctx = tracker_io.Context(today=date(2026, 11, 23), partnerships={}, importable=None, agencies={},
                             review_types={})
    report, plan = tracker_io.validate(parsed, ctx)
    assert plan is None
    assert ("findings", 2, "review_reference") in {(p.sheet, p.row, p.column) for p in report.problems}


def learning_snapshot() -> dict:
    """The learning keyed by what survives a move: review reference and text."""
    with read_session() as s:
        ref = dict(s.exec(select(Review.id, Review.reference)).all())
        fi = {f.id: (ref[f.review_id], f.text) for f in s.exec(select(Finding))}
        recs = {r.id: r for r in s.exec(select(Recommendation))}
        return {
            "findings": {fi[f.id]: (f.nature, f.recorded_on) for f in s.exec(select(Finding))},
            "recommendations": {(ref[r.review_id], r.text): (r.status, r.accepted_on, r.due_on, r.measure,
                                                             fi.get(r.finding_id)) for r in recs.values()},
            "actions": {(recs[a.recommendation_id].text, a.text): (a.owner_name, a.status, a.due_on, a.closed_on,
                                                                   a.evidence_of_impact, a.follow_up_on)
                        for a in s.exec(select(Action))},
            "tags": sorted((e, t) for e, t in s.exec(select(ThemeTag.entity, Theme.name)
                                                      .join(Theme, Theme.id == ThemeTag.theme_id))),
        }


def test_export_then_import_into_an_empty_database_keeps_the_learning(parts, tmp_path, another_db):
    assert do_import(book(rows())).imported
    data = imports.export_tracker(SYSTEM)
    original, before = learning_snapshot(), counts()
    assert do_import(data, dry_run=True).new == 0  # the export matches what it came from
    get_engine().dispose()

    another_db(tmp_path / "empty")
    installation()
    report = do_import(data, name="export.xlsx")
    assert report.imported, report.lines()[:5]
    assert learning_snapshot() == original
    after = counts()
    assert {k: after[k] for k in ("Finding", "Recommendation", "Action", "ThemeTag", "RecommendationFinding")} == {
        k: before[k] for k in ("Finding", "Recommendation", "Action", "ThemeTag", "RecommendationFinding")}
    assert do_import(data).new == 0
    get_engine().dispose()


# -- retired agencies ---------------------------------------------------------------------------

def _police_everywhere() -> dict[str, list[dict]]:
    data = rows()
    data["findings"][0]["agencies"] = (CSC, "Police")
    data["recommendations"][0]["target_agencies"] = ("Police",)
    data["actions"][0]["owner_agency"] = "Police"
    return data


def _retire(name: str) -> None:
    with read_session() as s:
        aid = s.exec(select(Agency.id).where(Agency.name == name)).one()
    agency_service.set_active(SYSTEM, aid, False)


@pytest.mark.parametrize(("sheet", "column"), [("findings", "agencies"), ("recommendations", "target_agencies"),
                                               ("actions", "owner_agency")])
def test_a_new_learning_row_cannot_name_a_retired_agency(parts, sheet, column):
    _retire("Police")
    data = rows()
    data[sheet][0][column] = "Police" if sheet == "actions" else (CSC, "Police")
    refused(book(data), sheet, 2, column, "Police was retired on ")
    report = do_import(book(data))
    assert any("choose a current agency" in p.message for p in report.problems)


def test_a_merged_agency_names_the_one_it_was_merged_into(parts):
    with read_session() as s:
        police, csc = (s.exec(select(Agency.id).where(Agency.name == n)).one() for n in ("Police", CSC))
    agency_service.merge_agencies(SYSTEM, police, csc)
    refused(book(set_cell(rows(), "actions", 0, owner_agency="Police")), "actions", 2, "owner_agency",
            f"Police was merged into {CSC} on ")


def test_a_stored_row_keeps_an_agency_retired_since(parts):
    data = book(_police_everywhere())
    assert do_import(data).imported
    _retire("Police")
    before = counts()
    again = do_import(data)
    assert again.ok and not again.imported and again.new == 0, again.lines()
    assert {k: again.counts[k]["unchanged"] for k in tracker_io.LEARNING_SHEETS} == {
        "findings": 1, "recommendations": 1, "actions": 2}
    assert counts() == before
    # A new row of the same file naming it is still refused.
    more = _police_everywhere()
    more["findings"].append({**more["findings"][0], "finding_reference": "F2",
                             "text": "Fictional example: a second finding naming the retired agency."})
    refused(book(more), "findings", 3, "agencies", "Police was retired on ")

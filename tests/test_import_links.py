"""The reviews sheet's link and closing date (docs/import-format.md, docs/domain.md §6.3): an LCSPR
names the rapid review of the same referral whose decision started it, and a closed review its
closing date. Both survive export and re-import unchanged; a wrong link or date is refused on its
row and column, and nothing is written."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from panel.core.access import SYSTEM
from panel.core.db import read_session
from panel.models import Decision, Review, ReviewType
from panel.reviews import lifecycle
from panel.tracker_io import service as imports
from tests.factories import book, do_import, example, setup_installation, tracker_counts

REF = "NB-2025-900"


@pytest.fixture
def parts(db) -> dict[str, int]:
    return setup_installation()


def linked(**lcspr) -> dict[str, list[dict]]:
    """The example's rapid review, decided "hold an LCSPR", and that LCSPR pointing at it."""
    rows = example()
    rows["reviews"][0]["lcspr_decision"] = "lcspr"
    rows["reviews"].append({"review_reference": f"{REF}-R2", "referral_reference": REF, "review_type_key": "lcspr",
                            "started_on": date(2025, 3, 28), "status": "open",
                            "rapid_review_reference": f"{REF}-R1", **lcspr})
    return rows


def refused(rows: dict, row: int, column: str, fragment: str) -> None:
    """Refused on that reviews row and column, with nothing written."""
    before = tracker_counts()
    report = do_import(book(rows))
    assert not report.imported and tracker_counts() == before
    hits = [p.message for p in report.problems if (p.sheet, p.row, p.column) == ("reviews", row, column)]
    assert any(fragment in m for m in hits), report.lines()


def links() -> dict[str, str | None]:
    with read_session() as s:
        reviews = {rv.id: rv for rv in s.exec(select(Review))}
    return {rv.reference: reviews[rv.rapid_review_id].reference if rv.rapid_review_id else None
            for rv in reviews.values()}


def test_an_lcspr_with_its_rapid_review_in_the_file_imports_linked_and_reimports_unchanged(parts):
    rows = linked(started_on=date(2025, 3, 7))  # the same day as the rapid review,
    rows["reviews"].reverse()  # and before it in the file
    data = book(rows)
    report = do_import(data)
    assert report.imported and report.counts["reviews"] == {"new": 2, "unchanged": 0}, report.lines()
    assert links() == {f"{REF}-R1": None, f"{REF}-R2": f"{REF}-R1"}
    with read_session() as s:
        rapid = s.exec(select(Review).where(Review.reference == f"{REF}-R1")).one()
        lcspr = s.exec(select(Review).where(Review.reference == f"{REF}-R2")).one()
        decision = s.exec(select(Decision)).one()
        assert rapid.id < lcspr.id  # the rapid review was written first
        assert s.get(ReviewType, decision.review_type_id).key == "rapid_review"  # the panel decided that
    after = tracker_counts()
    again = do_import(data)
    assert again.ok and again.new == 0 and again.counts["reviews"] == {"new": 0, "unchanged": 2}
    assert tracker_counts() == after
    exported = imports.export_tracker(SYSTEM)
    ws = load_workbook(io.BytesIO(exported))["reviews"]
    sheet = [dict(zip([c.value for c in ws[1]], (c.value for c in line), strict=True)) for line in ws.iter_rows(min_row=2)]
    assert [(r["review_reference"], r["rapid_review_reference"]) for r in sheet] == [
        (f"{REF}-R1", None), (f"{REF}-R2", f"{REF}-R1")]
    same = do_import(exported, dry_run=True)
    assert same.ok and same.new == 0 and same.unchanged == same.rows, same.lines()


def test_an_lcspr_links_to_its_rapid_review_already_in_the_database(parts):
    first = example()
    first["reviews"][0]["lcspr_decision"] = "lcspr"
    assert do_import(book(first)).imported
    report = do_import(book({"reviews": linked()["reviews"][1:]}))
    assert report.imported and report.decisions == 0, report.lines()  # it joins the signed decision
    assert links()[f"{REF}-R2"] == f"{REF}-R1"
    # That rapid review has started its LCSPR: it starts no second one.
    third = dict(linked()["reviews"][1], review_reference=f"{REF}-R3")
    refused({"reviews": [third]}, 2, "rapid_review_reference",
            f"Rapid review {REF}-R1 already started the LCSPR {REF}-R2: it starts one only.")
    # An LCSPR in the database keeps its link: a file saying otherwise is a difference.
    refused({"reviews": [dict(linked()["reviews"][1], rapid_review_reference=None)]}, 2, "review_reference",
            "different values in: rapid_review_reference")


def _other_referral(rows: dict) -> dict:
    """A second decided referral in the file, with its own rapid review that decided on an LCSPR."""
    rows["referrals"].append(dict(rows["referrals"][0], reference="NB-2025-901"))
    rows["reviews"].append(dict(rows["reviews"][0], review_reference="NB-2025-901-R1",
                                referral_reference="NB-2025-901"))
    return rows


def _lcspr_first(rows: dict) -> dict:
    """A second LCSPR (decided directly by the panel): not a rapid review."""
    rows["reviews"][1]["rapid_review_reference"] = None
    rows["reviews"].append(dict(rows["reviews"][1], review_reference=f"{REF}-R3",
                                rapid_review_reference=f"{REF}-R2"))
    return rows


@pytest.mark.parametrize(("change", "row", "fragment"), [
    (_lcspr_first, 4,
     f"{REF}-R2 is a Local Child Safeguarding Practice Review, not a rapid review: only a rapid review's "
     "decision starts an LCSPR."),
    (lambda rows: _other_referral(rows) | {"reviews": [*rows["reviews"][:1], dict(
        rows["reviews"][1], rapid_review_reference="NB-2025-901-R1"), *rows["reviews"][2:]]}, 3,
     "NB-2025-901-R1 is a review of NB-2025-901: name a rapid review of the same referral, NB-2025-900."),
    (lambda rows: rows["reviews"][1].update(rapid_review_reference=f"{REF}-R5") or rows, 3,
     f"No review {REF}-R5 in this file or in the partnerships you can import into."),
    (lambda rows: rows["reviews"][1].update(rapid_review_reference="R1") or rows, 3,
     "'R1' is not a review reference"),
    (lambda rows: rows["reviews"][0].update(lcspr_decision="no_lcspr") or rows, 3,
     f"Rapid review {REF}-R1 did not decide to hold an LCSPR"),
    (lambda rows: rows["reviews"][1].update(started_on=date(2025, 3, 5)) or rows, 3,
     f"The LCSPR cannot start before its rapid review {REF}-R1 (Fri 7 Mar 2025)."),
    (lambda rows: rows["reviews"].append(dict(rows["reviews"][1], review_reference=f"{REF}-R3")) or rows, 4,
     f"Rapid review {REF}-R1 already started the LCSPR {REF}-R2"),
    (lambda rows: rows["reviews"][0].update(rapid_review_reference=f"{REF}-R1") or rows, 2,
     "Only an LCSPR is started by a rapid review's decision."),
])
def test_a_wrong_rapid_review_reference_is_refused(parts, change, row, fragment):
    assert do_import(book(linked()), dry_run=True).ok
    refused(change(linked()), row, "rapid_review_reference", fragment)


def test_closed_on_round_trips(parts):
    rows = linked(status="closed", closed_on=date(2026, 6, 30))
    rows["milestones"].append({"review_reference": f"{REF}-R2", "milestone_key": "closure",
                               "actual_on": date(2026, 6, 1)})
    report = do_import(book(rows))
    assert report.imported, report.lines()
    with read_session() as s:
        rv = s.exec(select(Review).where(Review.reference == f"{REF}-R2")).one()
    assert (rv.status, rv.closed_on) == ("closed", date(2026, 6, 30))
    assert lifecycle.review_state(rv.status, rv.publication_status, None, rv.closed_on) == "closed"
    exported = imports.export_tracker(SYSTEM)
    ws = load_workbook(io.BytesIO(exported))["reviews"]
    col = [c.value for c in ws[1]].index("closed_on") + 1
    assert ws.cell(3, col).value.date() == date(2026, 6, 30) and ws.cell(2, col).value is None
    same = do_import(exported, dry_run=True)
    assert same.ok and same.new == 0 and same.unchanged == same.rows, same.lines()
    # The database's date stands: a file without it is a difference, never a change.
    refused({"reviews": [dict(rows["reviews"][1], closed_on=None)]}, 2, "review_reference",
            "different values in: closed_on")


@pytest.mark.parametrize(("values", "fragment"), [
    ({"status": "open", "closed_on": date(2026, 6, 30)}, "Only a closed review has a closing date: the status is 'open'."),
    ({"status": "superseded", "closed_on": date(2026, 6, 30)}, "the status is 'superseded'"),
    ({"status": "closed", "closed_on": date(2026, 12, 1)}, "The date cannot be in the future."),
    ({"status": "closed", "closed_on": date(2025, 3, 20)},
     "The closing date cannot be before the review's start (Fri 28 Mar 2025)."),
    ({"status": "closed", "closed_on": date(2026, 5, 31)},
     "The closure milestone was recorded on Mon 1 Jun 2026: the review cannot close before."),
])
def test_a_wrong_closing_date_is_refused(parts, values, fragment):
    rows = linked(**values)
    rows["milestones"].append({"review_reference": f"{REF}-R2", "milestone_key": "closure",
                               "actual_on": date(2026, 6, 1)})
    refused(rows, 3, "closed_on", fragment)


def test_a_closed_review_without_its_date_imports(parts):
    rows = linked(status="closed")
    assert do_import(book(rows)).imported
    with read_session() as s:
        rv = s.exec(select(Review).where(Review.reference == f"{REF}-R2")).one()
    assert (rv.status, rv.closed_on) == ("closed", None)

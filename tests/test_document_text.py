"""A final report's text for the anonymisation check (docs/domain.md §11): Word by paragraph and
table row, PDF by page, bounded, and a file the check cannot read said to be so."""

from __future__ import annotations

from datetime import date

from panel.core.anonymise import Identifiers
from panel.documents import checks, text
from tests.document_files import PNG, docx_bytes, pdf_bytes


def test_word_paragraphs_and_table_rows_keep_where_they_are():
    found = text.extract(docx_bytes(["Intro.", "", "Third."], table=[["Agency", "Police"], ["Child", "QX"]]), "docx")
    assert found.problem is None
    assert found.pieces == [("paragraph 1", "Intro."), ("paragraph 3", "Third."), ("table 1, row 1", "Agency | Police"),
                            ("table 1, row 2", "Child | QX")]
    hits = checks.find_hits(found, Identifiers(initials="QX"))
    assert [(loc, kind) for loc, kind, _ in hits] == [("table 1, row 2", "initials")]


def test_pdf_pages_and_a_scan():
    found = text.extract(pdf_bytes([["Page one."], [], ["Born 4 March 2025."]]), "pdf")
    assert [loc for loc, _ in found.pieces] == ["page 1", "page 3"] and found.problem is None
    hits = checks.find_hits(found, Identifiers(dob=date(2025, 3, 4)))
    assert [(loc, kind) for loc, kind, _ in hits] == [("page 3", "date_of_birth")]
    scan = text.extract(pdf_bytes([[]]), "pdf")
    assert scan.pieces == [] and scan.problem == text.NO_TEXT
    assert checks.find_hits(scan, Identifiers(initials="QX")) == [("whole document", checks.UNREAD, text.NO_TEXT)]


def test_what_the_check_cannot_read_says_so():
    assert text.extract(PNG, "png").problem == text.UNREADABLE
    assert text.extract(b"%PDF-1.4 not really", "pdf").problem in (text.DAMAGED, text.NO_TEXT)
    assert text.extract(b"PK\x03\x04 not a zip", "docx").problem == text.DAMAGED


def test_reading_is_bounded(monkeypatch):
    monkeypatch.setattr(text, "MAX_PAGES", 2)
    assert text.extract(pdf_bytes([["a"], ["b"], ["c"]]), "pdf").problem == text.TOO_LONG
    monkeypatch.setattr(text, "MAX_CHARS", 10)
    long = text.extract(docx_bytes(["x" * 8, "y" * 8, "z" * 8]), "docx")
    assert long.problem == text.TOO_LONG and len(long.pieces) == 2

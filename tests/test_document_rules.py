"""A review's documents, the pure rules (docs/domain.md §11): files judged by their content, the
size limit, zipped office documents looked into without unpacking, safe file names, and who may
open what."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from panel.documents import rules
from tests.document_files import (
    ELF,
    EXE,
    PNG,
    docx_bytes,
    pdf_bytes,
    zip_bomb,
    zip_without_content_types,
)


def test_documents_and_images_pass_by_their_content_whatever_their_name():
    assert rules.check_file(docx_bytes(["Agency report"]), 20).extension == "docx"
    pdf = rules.check_file(pdf_bytes([["Final report"]]), 20)
    assert (pdf.extension, pdf.content_type, pdf.problem) == ("pdf", "application/pdf", None)
    assert rules.check_file(PNG, 20).content_type == "image/png"


@pytest.mark.parametrize("program", [EXE, ELF, b"#!/bin/sh\nrm -rf /\n"])
def test_a_program_renamed_as_a_document_is_refused(program):
    assert rules.check_file(program, 20).problem == rules.PROGRAM


@pytest.mark.parametrize(("data", "problem"), [
    (b"", rules.EMPTY),
    (b"just some text", rules.UNKNOWN),
    (b"\x1f\x8b\x08\x00" + b"\x00" * 40, rules.UNKNOWN),  # gzip: not a document
    (zip_without_content_types(), rules.NOT_OFFICE),
])
def test_unknown_or_empty_files_are_refused(data, problem):
    assert rules.check_file(data, 20).problem == problem


def test_a_zip_bomb_is_refused_without_unpacking_it():
    data = zip_bomb()
    assert len(data) < 1024 * 1024
    assert rules.check_file(data, 20).problem == rules.BOMB


def test_the_size_limit():
    big = pdf_bytes([["x"]]) + b"\n%" + b"0" * (1024 * 1024 + 10)
    found = rules.check_file(big, 1)
    assert found.extension is None and "the largest Panel takes is 1 MB" in found.problem
    assert rules.check_file(big, 2).extension == "pdf"


@pytest.mark.parametrize(("raw", "clean"), [
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\me\\Police chronology.docx", "Police chronology.docx"),
    ("re\x00port\x1b.pdf", "report.pdf"),
    ("", "document"),
    ("...", "document"),
    ("a" * 300 + ".pdf", "a" * 251 + ".pdf"),
])
def test_file_names_are_cleaned(raw, clean):
    assert rules.clean_filename(raw) == clean


def test_a_download_is_named_for_what_the_file_is():
    assert rules.download_name("report.docx", "application/pdf") == "report.pdf"
    assert rules.download_name("notes", "image/png") == "notes.png"


@given(st.text())
def test_a_cleaned_name_is_never_a_path_nor_empty_nor_has_control_characters(raw):
    name = rules.clean_filename(raw)
    assert name and len(name) <= 255
    assert "/" not in name and "\\" not in name
    assert not any(ord(ch) < 32 or ord(ch) == 127 for ch in name)
    assert name not in (".", "..")


@given(st.binary(max_size=512))
def test_random_bytes_never_pass_unless_they_start_with_a_real_signature(data):
    if rules.check_file(data, 20).extension is not None:
        assert rules.has_signature(data)


@given(st.sampled_from([s for sigs in rules.SIGNATURES.values() for s in sigs]), st.binary(max_size=256))
def test_a_signature_followed_by_noise_is_never_a_program(sig, rest):
    found = rules.check_file(sig + rest, 20)
    assert (found.extension is None) == (found.problem is not None)


@pytest.mark.parametrize(("visibility", "roles", "lead", "sees"), [
    ("panel", {"chair"}, False, True),
    ("panel", {"member"}, False, True),
    ("panel", {"manager"}, False, True),
    ("panel", {"referrer"}, False, False),
    ("panel", {"referrer"}, True, False),
    ("lead_reviewer", {"referrer"}, True, True),
    ("lead_reviewer", {"referrer"}, False, False),
    ("lead_reviewer", set(), True, False),  # no role in the partnership: nothing
    ("partners", {"referrer"}, False, True),
    ("partners", {"admin"}, False, False),
    ("partners", set(), False, False),
])
def test_who_may_see_a_document(visibility, roles, lead, sees):
    assert rules.may_see(visibility, frozenset(roles), lead) is sees
    assert (visibility in rules.visible_levels(frozenset(roles), lead)) is sees


def test_the_lead_reviewer_is_matched_by_e_mail():
    assert rules.is_lead_reviewer("Lead@Example.org ", "lead@example.org")
    assert not rules.is_lead_reviewer("", "")
    assert not rules.is_lead_reviewer("other@example.org", "lead@example.org")


def test_the_upload_form_names_each_missing_answer():
    assert set(rules.check_upload(kind=None, title=" ", visibility="world")) == {"kind", "title", "visibility"}
    assert rules.check_upload(kind="final_report", title="Final report", visibility="partners") == {}

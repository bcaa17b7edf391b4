"""The Documents section of the review and referral pages through AppTest (docs/domain.md §11):
the empty state says what to upload first, an upload is listed, a refused file's message is
beside the field, a download is prepared only when asked for, and the final report's check
findings are listed and accepted with a reason, and the three partners' sign-offs of the final report
are listed (which version each signed) and recorded with each refusal beside its field. Built
from an empty partnership."""

from __future__ import annotations

import json

import pytest

from panel.accounts import service as accounts
from panel.core.access import SYSTEM
from panel.documents import rules
from panel.documents import service as documents
from panel.screening import decisions
from tests.apptest import press, signed_in, texts
from tests.conftest import TODAY
from tests.document_files import EXE, PNG, docx_bytes
from tests.factories import accepted, actor, decision_form, empty_nb


@pytest.fixture
def nb(db):
    return empty_nb()


def decided(**kw) -> str:
    ref = accepted(**kw)
    did = decisions.record_decision(actor("member"), ref, decision_form("lcspr"), TODAY)
    return decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True)


def labelled(widgets, label):
    return next(w for w in widgets if w.label == label)


def downloads(at) -> list[str]:
    """The download buttons' labels: fixed words (the file's name is in the caption above)."""
    return [b.proto.label for b in at.get("download_button")]


def table_titles(at) -> list[str]:
    return [t for df in at.dataframe if "title" in df.value.columns for t in df.value["title"]]


@pytest.mark.parametrize("who", ["chair", "manager"])
def test_upload_on_the_review_page_is_listed_and_downloads_when_asked(nb, who):
    ref = decided()
    at = signed_in(who, "pages/review.py", query={"ref": ref})
    assert "No documents yet." in texts(at) and "each agency's chronology and report" in texts(at)
    uploader = labelled(at.file_uploader, "The file (a document or an image)")
    assert "up to 20 MB" in uploader.proto.help
    uploader.set_value(("police.docx", docx_bytes(["Police chronology."]), "application/octet-stream"))
    labelled(at.selectbox, "Kind").set_value("chronology")
    labelled(at.text_input, "Title").set_value("Police chronology")
    press(at, "Upload")
    assert "Uploaded." in texts(at)
    assert table_titles(at) == ["Police chronology"]
    assert not at.get("download_button") or all("police" not in b.proto.label for b in at.get("download_button"))
    press(at, "Prepare download")
    assert downloads(at) == ["Download version 1"] and "police.docx, version 1" in texts(at)


def test_no_file_chosen_is_said_beside_the_file_field(nb):
    at = signed_in("chair", "pages/review.py", query={"ref": decided()})
    press(at, "Upload")
    shown_text = texts(at)
    assert "Choose the file to upload." in shown_text and "Choose what kind of document this is." in shown_text


def test_a_program_is_refused_beside_the_file_field(nb):
    ref = decided()
    at = signed_in("chair", "pages/review.py", query={"ref": ref})
    labelled(at.file_uploader, "The file (a document or an image)").set_value(("report.docx", EXE, "application/pdf"))
    labelled(at.selectbox, "Kind").set_value("other")
    labelled(at.text_input, "Title").set_value("Report")
    press(at, "Upload")
    assert rules.PROGRAM in texts(at)
    assert table_titles(at) == []


def test_a_partner_user_sees_only_what_is_shared_with_partners(nb):
    ref = decided()
    for visibility in rules.VISIBILITY:
        documents.upload(SYSTEM, documents.Target(review=ref), kind="other", title=f"For {visibility}",
                         agency_id=None, visibility=visibility, filename="p.png", data=PNG, today=TODAY)
    accounts.create_user(SYSTEM, username="partner", name="Partner User", email="partner@example.org",
                         password="a long test password", memberships=[("NB", "referrer")])
    panel = signed_in("member", "pages/review.py", query={"ref": ref})
    assert sorted(table_titles(panel)) == ["For lead_reviewer", "For panel", "For partners"]
    partner = signed_in("partner", "pages/shared_documents.py")
    assert table_titles(partner) == ["For partners"]
    press(partner, "Prepare download")
    assert downloads(partner) == ["Download version 1"] and "p.png, version 1" in texts(partner)


def test_the_final_reports_findings_are_listed_and_accepted_on_the_page(nb):
    ref = decided(child_initials="QX")
    documents.upload(actor("chair"), documents.Target(review=ref), kind="final_report", title="Final report",
                     agency_id=None, visibility="panel", filename="final.docx",
                     data=docx_bytes(["Child X was seen.", "QX was seen."]), today=TODAY)
    at = signed_in("manager", "pages/review.py", query={"ref": ref})
    assert "1 finding still open." in texts(at)
    labelled(at.text_area, "Why it may stay").set_value("The initials of the ward, not of the child.")
    press(at, "Accept with this reason")
    assert "Every finding is accepted" in texts(at)
    member = signed_in("member", "pages/review.py", query={"ref": ref})
    assert "Accept with this reason" not in [b.label for b in member.button]


def test_an_earlier_version_can_be_downloaded(nb):
    ref = decided()
    doc = documents.upload(actor("chair"), documents.Target(review=ref), kind="draft_report", title="Draft",
                           agency_id=None, visibility="panel", filename="draft.docx",
                           data=docx_bytes(["Draft one."]), today=TODAY)
    documents.replace(actor("chair"), doc, filename="draft two.png", data=PNG, expected_version=1, today=TODAY)
    at = signed_in("member", "pages/review.py", query={"ref": ref})
    labelled(at.selectbox, "Version").set_value(1)
    press(at, "Prepare download")
    assert downloads(at) == ["Download version 1"] and "draft.docx, version 1" in texts(at)


def test_the_referral_page_has_its_documents(nb):
    ref = accepted()
    at = signed_in("member", "pages/referral.py", query={"ref": ref})
    assert "No documents yet." in texts(at) and "the notification form" in texts(at)
    labelled(at.file_uploader, "The file (a document or an image)").set_value(("scan.png", PNG, "image/png"))
    labelled(at.selectbox, "Kind").set_value("minutes_extract")
    labelled(at.text_input, "Title").set_value("Minutes extract")
    press(at, "Upload")
    assert table_titles(at) == ["Minutes extract"]


def test_the_partners_sign_off_the_final_report_on_the_page(nb):
    ref = decided()
    doc = documents.upload(actor("chair"), documents.Target(review=ref), kind="final_report", title="Final report",
                           agency_id=None, visibility="panel", filename="final.docx",
                           data=docx_bytes(["Child X was seen."]), today=TODAY)
    at = signed_in("manager", "pages/review.py", query={"ref": ref})
    shown_text = texts(at)
    assert "The safeguarding partners' sign-off of the final report" in shown_text
    assert shown_text.count("not yet signed") == 3
    assert labelled(at.date_input, "Signed on").value is None  # empty until chosen
    press(at, "Record the sign-off of version 1")
    shown_text = texts(at)
    assert "Choose the partner: the local authority, the police or health." in shown_text
    assert "Enter the date it was signed." in shown_text and "Give the name and role" in shown_text
    labelled(at.selectbox, "Partner").set_value("police")
    labelled(at.text_input, "Signed by (name and role)").set_value("Pat <b>Smith</b>, Superintendent")
    labelled(at.date_input, "Signed on").set_value(TODAY)
    press(at, "Record the sign-off of version 1")
    shown_text = texts(at)
    assert "Sign-off recorded." in shown_text
    assert "The police: signed version 1 on Mon 23 Nov 2026, by Pat" in shown_text
    assert shown_text.count("not yet signed") == 2
    assert labelled(at.selectbox, "Partner").options == ["The local authority", "Health"]
    member = signed_in("member", "pages/review.py", query={"ref": ref})
    assert "The police: signed version 1" in texts(member)
    assert not any(b.label.startswith("Record the sign-off of version") for b in member.button)
    documents.replace(actor("chair"), doc, filename="final.docx", data=docx_bytes(["Child X was seen again."]),
                      expected_version=1, today=TODAY)
    at = signed_in("chair", "pages/review.py", query={"ref": ref})
    assert "The police: signed version 1 on Mon 23 Nov 2026, by Pat" in texts(at)
    assert "version 2 is not yet signed" in texts(at)
    assert "The police" in labelled(at.selectbox, "Partner").options


def test_the_documents_table_puts_what_a_reader_looks_for_first_and_fits_a_wide_screen(nb):
    ref = decided()
    documents.upload(actor("manager"), documents.Target(review=ref), kind="chronology", title="Police chronology",
                     agency_id=None, visibility="panel", filename="police.docx",
                     data=docx_bytes(["Police chronology."]), today=TODAY)
    at = signed_in("chair", "pages/review.py", query={"ref": ref})
    grid = next(d for d in at.dataframe if "title" in d.value.columns)
    config = json.loads(grid.proto.columns)
    shown_columns = list(grid.proto.column_order)
    assert shown_columns == ["title", "kind", "version", "who", "agency", "uploaded", "uploaded_by"]
    assert [config[c]["label"] for c in shown_columns[:4]] == ["Title", "Kind", "Version", "Who may see it"]
    assert grid.value.iloc[0]["uploaded_by"] == "Northbrook manager"
    assert config["uploaded"]["type_config"]["format"] == "ddd D MMM YYYY"
    # Every column given its width, together no wider than the page's content at 1280 px (about
    # 820 px beside the menu): the last one is not cut off at the right.
    assert sum(config[c]["width"] for c in shown_columns) <= 820


def test_who_uploaded_is_left_out_when_no_document_says(nb):
    ref = decided()
    documents.upload(SYSTEM, documents.Target(review=ref), kind="chronology", title="Imported chronology",
                     agency_id=None, visibility="panel", filename="police.docx",
                     data=docx_bytes(["Police chronology."]), today=TODAY)
    at = signed_in("chair", "pages/review.py", query={"ref": ref})
    grid = next(d for d in at.dataframe if "title" in d.value.columns)
    assert "uploaded_by" not in grid.proto.column_order and "who" in grid.proto.column_order

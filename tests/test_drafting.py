"""The documents Panel drafts (docs/domain.md §11): each partnership's headings, the rapid review
report and an LCSPR's terms of reference filled from the record (and never showing the child's
identifiers), edited, downloaded as Word, signed off by the three partners and sent to the
National Panel. Rules first, then the services from an empty partnership."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import docx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select

from panel.core import anonymise
from panel.core.anonymise import Identifiers
from panel.core.db import read_session
from panel.core.errors import NotFound, PermissionDenied, StaleEdit, ValidationFailed
from panel.documents import service as documents
from panel.documents.service import Target
from panel.drafting import rules
from panel.drafting import service as drafting
from panel.learning import briefings
from panel.models import AuditEvent, ReviewMilestone
from panel.reviews import record as review_record
from panel.reviews import service as reviews
from panel.screening import decisions
from panel.screening.rules import LCSPR_CONSIDERATIONS
from tests.conftest import TODAY
from tests.document_files import docx_bytes
from tests.factories import accepted, actor, agency_id, decision_form, empty_nb, review_row

DOB = date(2025, 3, 3)
SUMMARY = "DQ was seen by the health visitor on 3 March 2025 and on 3/3/2025; Jane Smith raised no concern."
RR_HEADINGS = [h["heading"] for h in rules.DEFAULT_HEADINGS["rapid_review"]]


# --- the rules ------------------------------------------------------------------------------------


def test_the_default_headings_follow_the_rapid_reviews_purposes_and_the_terms_of_reference():
    assert RR_HEADINGS[0] == "The facts as far as readily known"
    assert [h["key"] for h in rules.DEFAULT_HEADINGS["rapid_review"]] == [
        "facts", "agencies", "immediate_action", "equality", "learning", "lcspr", "sign_off"]
    assert [h["heading"] for h in rules.DEFAULT_HEADINGS["terms_of_reference"]] == [
        "Scope", "Period under review", "Key lines of enquiry", "Agencies", "Family involvement", "Methodology",
        "Timescale"]
    for rows in rules.DEFAULT_HEADINGS.values():
        assert rules.check_headings(rows) == (rows, {})


def test_headings_are_checked_each_beside_its_row():
    assert rules.check_headings([]) == ([], {"headings": "Keep at least one heading."})
    rows = [{"key": "facts", "heading": "Facts"}, {"heading": "  "}, {"heading": "facts", "guidance": "x"},
            {"key": "Bad Key", "heading": "Other"}, {"heading": "y" * 201}]
    _, errors = rules.check_headings(rows)
    assert set(errors) == {"headings[1].heading", "headings[2].heading", "headings[3].key", "headings[4].heading"}
    assert "row 1" in errors["headings[2].heading"]


def test_a_new_heading_gets_a_stable_key_and_a_renamed_one_keeps_its_own():
    rows, errors = rules.check_headings([{"key": "facts", "heading": "What happened"},
                                         {"heading": "Views of the family"}, {"heading": "Facts"}])
    assert errors == {}
    assert [r["key"] for r in rows] == ["facts", "views_of_the_family", "facts_2"]


def test_filling_scrubs_identifiers_and_says_what_to_write_where_nothing_is_known():
    ids = Identifiers(initials="DQ", dob=DOB, names=("Jane Smith",))
    f = rules.RecordFacts(reference="NB-1", identifiers=ids, incident_date=date(2026, 11, 19), age_years=1,
                          sex="male", harm="serious_harm", abuse_or_neglect="known", incident_summary=SUMMARY)
    sections = rules.fill("rapid_review", rules.DEFAULT_HEADINGS["rapid_review"], f)
    assert [s["heading"] for s in sections] == RR_HEADINGS
    text = "\n".join(s["text"] for s in sections)
    assert anonymise.check(text, ids) == []
    assert "Child X was seen" in sections[0]["text"] and "aged 1 (male)" in sections[0]["text"]
    assert "19 November 2026" in sections[0]["text"]
    assert sections[2]["text"].startswith("Panel holds nothing on this yet. Write this section here: What was done")
    assert "not yet signed" in sections[-1]["text"]


def test_the_agencies_section_says_what_each_request_has_brought():
    f = rules.RecordFacts(reference="NB-1", agencies=[
        {"name": "Police", "asked": ["agency report", "agency summary"], "requests": [
            {"kind": "Agency report", "due_on": date(2026, 11, 20), "received_on": date(2026, 11, 23),
             "summary": "", "document": "Police agency report"},
            {"kind": "Agency summary", "due_on": date(2026, 11, 30), "received_on": None, "summary": "",
             "document": ""}]},
        {"name": "Health", "asked": ["agency summary"], "requests": [
            {"kind": "Agency summary", "due_on": date(2026, 11, 30), "received_on": date(2026, 11, 22),
             "summary": "The health visitor saw the baby twice.", "document": ""}]},
        {"name": "School", "asked": ["chronology"], "requests": [
            {"kind": "Chronology", "due_on": date(2026, 11, 30), "received_on": date(2026, 11, 21), "summary": "",
             "document": ""}]},
        {"name": "Housing", "asked": [], "requests": []}])
    text = rules.fill("rapid_review", rules.DEFAULT_HEADINGS["rapid_review"], f)[1]["text"]
    assert text.split("\n\n") == [
        "Police (asked for: agency report, agency summary)\n"
        "Agency report received on 23 November 2026 (Police agency report).\n"
        "Agency summary asked for, due 30 November 2026, not yet received.",
        "Health (asked for: agency summary)\nThe health visitor saw the baby twice.",
        "School (asked for: chronology)\nChronology received on 21 November 2026.",
        "Housing\nNot asked for a chronology, report or summary yet."]
    assert "has not arrived" not in text


def test_the_sign_off_section_is_written_from_the_sign_offs_and_never_edited():
    sections = rules.fill("rapid_review", rules.DEFAULT_HEADINGS["rapid_review"], rules.RecordFacts(reference="NB-1"))
    shown = rules.derive(sections, {"police": {"signed_by": "DCI Jo Bloggs", "signed_on": date(2026, 11, 23)}})
    sign_off = shown[-1]
    assert sign_off["derived"] and not any(x["derived"] for x in shown[:-1])
    assert sign_off["text"].splitlines() == ["- The local authority: not yet signed.",
                                             "- The police: signed by DCI Jo Bloggs on 23 November 2026.",
                                             "- Health: not yet signed."]
    keys = [x["key"] for x in sections]
    assert set(rules.check_texts({"sign_off": "Signed by all."}, keys)) == {"section_sign_off"}
    assert rules.check_texts({"facts": "Edited."}, keys) == {}


@given(st.lists(st.fixed_dictionaries({"key": st.one_of(st.none(), st.text(max_size=50)),
                                        "heading": st.one_of(st.none(), st.text(max_size=250)),
                                        "guidance": st.text(max_size=30)}), max_size=8))
def test_any_headings_are_either_refused_by_field_or_kept_unique_and_keyed(rows):
    kept, errors = rules.check_headings(rows)
    assert all(k == "headings" or k.startswith("headings[") for k in errors)
    if not errors:
        assert kept and len({h["key"] for h in kept}) == len(kept)
        assert len({h["heading"].lower() for h in kept}) == len(kept)
        assert all(h["heading"] and re.fullmatch(r"[a-z][a-z0-9_]{0,39}", h["key"]) for h in kept)


def test_a_sign_off_needs_a_partner_a_name_and_a_date_within_the_drafts_life():
    errs = rules.check_sign_off(partner="mayor", signed_by=" ", signed_on=TODAY + timedelta(days=1), today=TODAY,
                                drafted_on=TODAY)
    assert set(errs) == {"partner", "signed_by", "signed_on"}
    assert rules.check_sign_off(partner="police", signed_by="DCI Jo Bloggs, Head of PPU",
                                signed_on=TODAY - timedelta(days=1), today=TODAY, drafted_on=TODAY)["signed_on"] \
        .startswith("The draft was made on")
    assert rules.check_sign_off(partner="health", signed_by="Dr A Lee, Designated Doctor", signed_on=TODAY,
                                today=TODAY, drafted_on=TODAY) == {}


def test_the_file_name_is_safe():
    assert rules.safe_filename("NB-2026-001-R1", "rapid_review") == "NB-2026-001-R1-rapid-review-report.docx"
    assert rules.safe_filename("../x/..\\y", "terms_of_reference") == "xy-terms-of-reference.docx"


# --- the services ---------------------------------------------------------------------------------


@pytest.fixture
def nb(db):
    return empty_nb()


def decided(outcome: str = "rapid_review", **kw) -> str:
    ref = accepted(**kw)
    did = decisions.record_decision(actor("member"), ref, decision_form(outcome), TODAY)
    return decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True)


def rapid(summary: bool = True) -> str:
    """A rapid review of a baby known as DQ (date of birth on the referral), with the police asked
    for an agency summary and, by default, the summary entered."""
    ref = decided("rapid_review", child_dob=DOB, child_age_years=None, incident_summary=SUMMARY,
                  referrer_name="Jane Smith, Named nurse")
    review_record.add_agency_request(actor("manager"), ref, agency_id=agency_id("Police"), kind="agency_summary",
                                     requested_on=TODAY, due_on=TODAY + timedelta(days=10), contact_email="",
                                     today=TODAY)
    if summary:
        req = drafting.agency_summaries(actor("member"), ref)[0]
        drafting.save_agency_summary(actor("member"), ref, req["id"], "Police attended twice; DQ's mother was "
                                     "spoken to alone.", TODAY, review_row(ref).version, TODAY)
    return ref


def word_text(data: bytes) -> tuple[list[str], str, str]:
    d = docx.Document(io.BytesIO(data))
    headings = [p.text for p in d.paragraphs if p.style.name == "Heading 1"]
    return headings, "\n".join(p.text for p in d.paragraphs), d.sections[0].header.paragraphs[0].text


def test_agency_summaries_are_entered_version_safe_and_audited_without_their_words(nb):
    ref = rapid(summary=False)
    req = drafting.agency_summaries(actor("member"), ref)[0]
    assert (req["agency"], req["received_on"], req["summary"]) == ("Police", None, "")
    with pytest.raises(ValidationFailed) as e:
        drafting.save_agency_summary(actor("member"), ref, req["id"], " ", TODAY + timedelta(days=1),
                                     review_row(ref).version, TODAY)
    assert set(e.value.errors) == {"summary", "received_on"}
    version = review_row(ref).version
    drafting.save_agency_summary(actor("chair"), ref, req["id"], "Police attended twice.", TODAY, version, TODAY)
    with pytest.raises(StaleEdit):
        drafting.save_agency_summary(actor("member"), ref, req["id"], "Other words.", TODAY, version, TODAY)
    got = drafting.agency_summaries(actor("manager"), ref)[0]
    assert (got["summary"], got["received_on"]) == ("Police attended twice.", TODAY)
    with read_session() as s:
        row = s.exec(select(AuditEvent).where(AuditEvent.action == "agency_summary")).one()
    assert "attended" not in (row.after or "")


def test_the_rapid_review_report_is_drafted_from_the_record_without_the_childs_identifiers(nb):
    ref = rapid()
    view = drafting.draft(actor("member"), ref, "rapid_review")
    assert view.available and not view.exists and view.can_draft
    drafting.create_draft(actor("member"), ref, "rapid_review")
    with pytest.raises(ValidationFailed) as e:
        drafting.create_draft(actor("member"), ref, "rapid_review")
    assert "already drafted" in e.value.errors["kind"]
    name, data = drafting.download_draft(actor("manager"), ref, "rapid_review")
    assert name == f"{ref}-rapid-review-report.docx"
    headings, body, header = word_text(data)
    assert headings == RR_HEADINGS
    assert ref in header and "DQ" not in header
    assert "Police attended twice; Child X's mother was spoken to alone." in body  # the agency's summary
    assert "Child X was seen by the health visitor" in body  # the referral's facts
    assert "19 November 2026" in body and "aged 1 (male)" in body
    assert "The criteria the case meets, as the panel answered them:" in body and ": not met" not in body
    assert decision_form().rationale in body
    ids = briefings.identifiers_for_review(actor("chair"), ref)
    assert ids.names and ids.initials == "DQ" and ids.dob == DOB
    assert anonymise.check(body + header, ids) == []
    assert "[name removed] raised no concern" in body
    with read_session() as s:
        actions = {r.action for r in s.exec(select(AuditEvent).where(AuditEvent.entity == "review"))}
    assert {"report_draft", "export", "agency_summary"} <= actions
    before = _count("view")
    drafting.draft(actor("chair"), ref, "rapid_review")  # opening the draft is a view of the case
    drafting.draft(actor("chair"), ref, "rapid_review", record_view=False)  # a rerun of the same page
    assert _count("view") == before + 1


def _count(action: str) -> int:
    with read_session() as s:
        return len(s.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def test_the_lcspr_section_carries_the_reg11_answers_and_decision_once_recorded(nb):
    ref = rapid()
    reviews.record_rapid_review_outcome(
        actor("chair"), ref, considerations={k: "yes" for k, _ in LCSPR_CONSIDERATIONS}, lcspr_decision="no_lcspr",
        sent_on=None, response=None, response_note="", expected_version=review_row(ref).version, today=TODAY,
        decided_on=TODAY)
    drafting.create_draft(actor("chair"), ref, "rapid_review")
    view = drafting.draft(actor("chair"), ref, "rapid_review")
    lcspr = next(s for s in view.sections if s["key"] == "lcspr")["text"]
    assert LCSPR_CONSIDERATIONS[0][1] in lcspr and "Yes" in lcspr
    assert "The partners' decision: No LCSPR (decided on 23 November 2026)." in lcspr


def test_editing_refilling_and_staleness(nb):
    ref = rapid()
    drafting.create_draft(actor("member"), ref, "rapid_review")
    v = drafting.draft(actor("member"), ref, "rapid_review")
    drafting.save_draft(actor("member"), ref, "rapid_review", {"immediate_action": "Siblings seen the same day."},
                        v.version)
    with pytest.raises(StaleEdit):
        drafting.save_draft(actor("chair"), ref, "rapid_review", {"immediate_action": "Other."}, v.version)
    v = drafting.draft(actor("member"), ref, "rapid_review")
    assert next(s for s in v.sections if s["key"] == "immediate_action")["text"] == "Siblings seen the same day."
    with pytest.raises(ValidationFailed) as e:
        drafting.refill_draft(actor("member"), ref, "rapid_review", False, v.version)
    assert set(e.value.errors) == {"confirm"}
    drafting.refill_draft(actor("member"), ref, "rapid_review", True, v.version)
    v = drafting.draft(actor("member"), ref, "rapid_review")
    assert next(s for s in v.sections if s["key"] == "immediate_action")["text"].startswith("Panel holds nothing")
    with pytest.raises(ValidationFailed) as e:
        drafting.save_draft(actor("member"), ref, "rapid_review", {"facts": "x" * 20_001}, v.version)
    assert set(e.value.errors) == {"section_facts"}


def sign_all(ref: str, who: str = "manager") -> str:
    status = ""
    for partner, name in (("local_authority", "Ann Smith, Director of Children's Services"),
                          ("police", "DCI Jo Bloggs, Head of Public Protection"),
                          ("health", "Dr A Lee, Designated Doctor")):
        status = drafting.record_sign_off(actor(who), ref, "rapid_review", partner, name, TODAY,
                                          drafting.draft(actor(who), ref, "rapid_review").version, TODAY)
    return status


def test_three_sign_offs_approve_the_report_then_sending_dates_the_review_and_its_milestone(nb):
    ref = rapid()
    drafting.create_draft(actor("member"), ref, "rapid_review")
    v = drafting.draft(actor("member"), ref, "rapid_review")
    with pytest.raises(ValidationFailed) as e:
        drafting.record_sign_off(actor("member"), ref, "rapid_review", None, "", TODAY + timedelta(days=1),
                                 v.version, TODAY)
    assert set(e.value.errors) == {"partner", "signed_by", "signed_on"}
    with pytest.raises(ValidationFailed) as e:
        drafting.record_sent(actor("chair"), ref, TODAY, v.version, TODAY)
    assert "sign the report off" in e.value.errors["sent_on"]
    drafting.record_sign_off(actor("member"), ref, "rapid_review", "police", "DCI Jo Bloggs, PPU", TODAY, v.version,
                             TODAY)
    with pytest.raises(ValidationFailed) as e:
        drafting.record_sign_off(actor("member"), ref, "rapid_review", "police", "DCI Jo Bloggs, PPU", TODAY,
                                 v.version + 1, TODAY)
    assert "already signed" in e.value.errors["partner"]
    for partner, name in (("local_authority", "Ann Smith, DCS"), ("health", "Dr A Lee, Designated Doctor")):
        status = drafting.record_sign_off(actor("manager"), ref, "rapid_review", partner, name, TODAY,
                                          drafting.draft(actor("manager"), ref, "rapid_review").version, TODAY)
    assert status == "approved"
    v = drafting.draft(actor("chair"), ref, "rapid_review")
    assert set(v.sign_offs) == set(rules.PARTNERS)
    with pytest.raises(ValidationFailed) as e:
        drafting.save_draft(actor("chair"), ref, "rapid_review", {"facts": "Changed."}, v.version)
    assert e.value.errors["draft"].startswith("Signed off:")
    with pytest.raises(ValidationFailed) as e:
        drafting.record_sent(actor("chair"), ref, TODAY + timedelta(days=1), v.version, TODAY)
    assert set(e.value.errors) == {"sent_on"}
    drafting.record_sent(actor("chair"), ref, TODAY, v.version, TODAY)
    rv = review_row(ref)
    assert rv.sent_to_national_panel_on == TODAY
    with read_session() as s:
        m = s.exec(select(ReviewMilestone).where(ReviewMilestone.review_id == rv.id,
                                                 ReviewMilestone.key == "sent_to_national_panel")).one()
    assert m.actual_on == TODAY
    assert drafting.draft(actor("chair"), ref, "rapid_review").status == "sent"


def test_who_may_draft_and_who_only_reads(nb):
    ref = rapid()
    with pytest.raises((PermissionDenied, NotFound)):
        drafting.create_draft(_admin(), ref, "rapid_review")
    drafting.create_draft(actor("manager"), ref, "rapid_review")
    assert drafting.draft(actor("member"), ref, "rapid_review").exists
    with pytest.raises(ValidationFailed) as e:
        drafting.create_draft(actor("chair"), ref, "terms_of_reference")
    assert "only on an LCSPR" in e.value.errors["kind"]


def _admin():
    from panel.accounts import service as accounts
    from panel.core.access import SYSTEM

    accounts.create_user(SYSTEM, username="admin", name="Admin", email="admin@example.org",
                         password="a long test password", memberships=[("NB", "admin")])
    return actor("admin")


def test_the_partnerships_headings_shape_the_next_draft(nb):
    admin = _admin()
    t = drafting.template(admin, nb, "rapid_review")
    assert t.version == 0 and [h["heading"] for h in t.headings] == RR_HEADINGS
    with pytest.raises(PermissionDenied):
        drafting.template(actor("chair"), nb, "rapid_review")
    with pytest.raises(ValidationFailed) as e:
        drafting.save_template(admin, nb, "rapid_review", [{"heading": "A"}, {"heading": "a"}], 0)
    assert set(e.value.errors) == {"headings[1].heading"}
    rows = [t.headings[1], {**t.headings[0], "heading": "What happened"}, {"heading": "Local context", "guidance": ""}]
    assert drafting.save_template(admin, nb, "rapid_review", rows, 0) == 1
    with pytest.raises(StaleEdit):
        drafting.save_template(admin, nb, "rapid_review", rows, 0)
    ref = rapid()
    drafting.create_draft(actor("chair"), ref, "rapid_review")
    v = drafting.draft(actor("chair"), ref, "rapid_review")
    assert [s["heading"] for s in v.sections] == [RR_HEADINGS[1], "What happened", "Local context"]
    assert "Child X was seen" in v.sections[1]["text"]  # the renamed heading keeps its key, so its filling
    assert v.sections[2]["text"] == "Panel holds nothing on this yet. Write this section here."


def test_the_terms_of_reference_are_drafted_for_an_lcspr(nb):
    ref = decided("lcspr", child_dob=DOB, child_age_years=None, incident_summary=SUMMARY)
    review_record.add_agency_request(actor("manager"), ref, agency_id=agency_id("Police"), kind="chronology",
                                     requested_on=TODAY, due_on=TODAY + timedelta(days=10), contact_email="",
                                     today=TODAY)
    assert not drafting.draft(actor("chair"), ref, "rapid_review").available
    drafting.create_draft(actor("chair"), ref, "terms_of_reference")
    _, data = drafting.download_draft(actor("member"), ref, "terms_of_reference")
    headings, body, header = word_text(data)
    assert headings == [h["heading"] for h in rules.DEFAULT_HEADINGS["terms_of_reference"]]
    assert "Police: chronology" in body
    assert "Terms of reference agreed: planned for" in body
    assert "Write how the family will be invited" in body
    assert anonymise.check(body + header, Identifiers(initials="DQ", dob=DOB)) == []


def test_an_lcspr_from_a_rapid_review_starts_its_lines_of_enquiry_from_the_reg11_answers(nb):
    ref = rapid()
    answers = {k: ("yes" if i == 0 else "no") for i, (k, _) in enumerate(LCSPR_CONSIDERATIONS)}
    lcspr = reviews.record_rapid_review_outcome(
        actor("chair"), ref, considerations=answers, lcspr_decision="lcspr", sent_on=None, response=None,
        response_note="", expected_version=review_row(ref).version, today=TODAY, decided_on=TODAY)
    drafting.create_draft(actor("chair"), lcspr, "terms_of_reference")
    sections = {s["key"]: s["text"] for s in drafting.draft(actor("chair"), lcspr, "terms_of_reference").sections}
    assert LCSPR_CONSIDERATIONS[0][1] in sections["lines_of_enquiry"]
    assert LCSPR_CONSIDERATIONS[1][1] not in sections["lines_of_enquiry"]
    assert sections["scope"].startswith("A Local Child Safeguarding Practice Review of the serious harm of a child "
                                        "on 19 November 2026, decided on 23 November 2026.")


def test_two_sign_offs_from_the_same_form_version_cannot_both_land(nb):
    ref = rapid()
    drafting.create_draft(actor("member"), ref, "rapid_review")
    version = drafting.draft(actor("member"), ref, "rapid_review", record_view=False).version
    drafting.record_sign_off(actor("member"), ref, "rapid_review", "police", "DCI Jo Bloggs, PPU", TODAY, version,
                             TODAY)
    with pytest.raises(StaleEdit):
        drafting.record_sign_off(actor("chair"), ref, "rapid_review", "health", "Dr A Lee, Designated Doctor",
                                 TODAY, version, TODAY)
    assert set(drafting.draft(actor("chair"), ref, "rapid_review", record_view=False).sign_offs) == {"police"}


def test_the_sign_off_section_shows_each_partners_signatory_and_date_on_the_page_and_in_the_word_file(nb):
    ref = rapid()
    drafting.create_draft(actor("member"), ref, "rapid_review")  # drafted before anyone signed
    assert sign_all(ref) == "approved"
    want = ["- The local authority: signed by Ann Smith, Director of Children's Services on 23 November 2026.",
            "- The police: signed by DCI Jo Bloggs, Head of Public Protection on 23 November 2026.",
            "- Health: signed by Dr A Lee, Designated Doctor on 23 November 2026."]
    section = next(s for s in drafting.draft(actor("chair"), ref, "rapid_review").sections if s["key"] == "sign_off")
    assert section["derived"] and section["text"].splitlines() == want
    _, data = drafting.download_draft(actor("chair"), ref, "rapid_review")
    d = docx.Document(io.BytesIO(data))
    paragraphs = [p.text for p in d.paragraphs]
    at = paragraphs.index(rules.DEFAULT_HEADINGS["rapid_review"][-1]["heading"])
    assert paragraphs[at + 1:at + 4] == [w[2:] for w in want]
    assert "not yet signed" not in "\n".join(paragraphs)


def test_a_draft_edit_cannot_write_the_sign_off_section(nb):
    ref = rapid()
    drafting.create_draft(actor("member"), ref, "rapid_review")
    v = drafting.draft(actor("member"), ref, "rapid_review", record_view=False)
    with pytest.raises(ValidationFailed) as e:
        drafting.save_draft(actor("member"), ref, "rapid_review", {"sign_off": "All three signed."}, v.version)
    assert set(e.value.errors) == {"section_sign_off"}


def test_the_agencies_section_uses_every_request_and_the_document_that_answered_it(nb):
    ref = rapid(summary=False)
    for agency, kind in (("Police", "agency_report"), ("Children's social care", "agency_report"),
                         ("Children's social care", "chronology")):
        review_record.add_agency_request(actor("manager"), ref, agency_id=agency_id(agency), kind=kind,
                                         requested_on=TODAY, due_on=TODAY + timedelta(days=7), contact_email="",
                                         today=TODAY)
    documents.upload(actor("chair"), Target(review=ref), kind="agency_report", title="Police agency report",
                     agency_id=agency_id("Police"), visibility="panel", filename="police.docx",
                     data=docx_bytes(["The police's involvement."]), today=TODAY)
    drafting.create_draft(actor("chair"), ref, "rapid_review")
    text = next(s for s in drafting.draft(actor("chair"), ref, "rapid_review").sections if s["key"] == "agencies")["text"]
    assert text.split("\n\n") == [
        "Children's social care (asked for: agency report, chronology)\n"
        "Agency report asked for, due 30 November 2026, not yet received.\n"
        "Chronology asked for, due 30 November 2026, not yet received.",
        "Police (asked for: agency summary, agency report)\n"
        "Agency summary asked for, due 3 December 2026, not yet received.\n"
        "Agency report received on 23 November 2026 (Police agency report)."]

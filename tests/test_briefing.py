"""7-minute briefings: the anonymisation check (catches planted identifiers, passes clean text),
the Word document (opens, seven sections in order), and the service (drafted from the record,
no child details, walls, downloads audited)."""

import io
from datetime import date

import docx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import func, select

from panel.accounts import service as accounts
from panel.core import anonymise
from panel.core.anonymise import Identifiers
from panel.core.db import read_session, transaction
from panel.core.errors import NotFound
from panel.learning import briefing, briefings
from panel.models import AuditEvent, Finding, Recommendation, Referral, Review

DOB = date(2017, 6, 3)
IDS = Identifiers(initials="AS", dob=DOB, names=("Jane Smith", "Detective inspector"))


def kinds(text, ids=IDS):
    return [(h.kind, h.matched) for h in anonymise.check(text, ids)]


# --- the anonymisation check ------------------------------------------------------------------


@pytest.mark.parametrize("planted", ["AS", "A.S.", "A. S.", "A.S"])
def test_initials_are_caught_as_a_token(planted):
    text = f"The panel heard that {planted} was not seen alone."
    hits = anonymise.check(text, IDS)
    assert [(h.kind, h.matched) for h in hits] == [("initials", planted)]
    assert text[hits[0].start:hits[0].end] == planted
    assert "initials" in hits[0].why


@pytest.mark.parametrize("planted,form", [
    ("2017-06-03", "ISO"), ("03/06/2017", "dd/mm/yyyy"), ("3/6/2017", "dd/mm/yyyy"), ("03.06.2017", "dd/mm/yyyy"),
    ("03/06/17", "dd/mm/yyyy"), ("3 June 2017", "d Month yyyy"), ("3rd June 2017", "d Month yyyy"),
    ("03 Jun 2017", "d Month yyyy"), ("June 3, 2017", "Month d, yyyy"), ("June 2017", "Month yyyy"),
    ("JUNE 2017", "Month yyyy"),
])
def test_date_of_birth_is_caught_in_its_common_forms(planted, form):
    hits = anonymise.check(f"Child X was born on {planted}, the eldest.", IDS)
    assert [(h.kind, h.matched) for h in hits] == [("date_of_birth", planted)]
    assert form in hits[0].why


@pytest.mark.parametrize("planted", ["Jane Smith", "jane smith", "JANE  SMITH", "Jane\nSmith", "detective inspector"])
def test_names_recorded_on_the_case_are_caught_whole_word_any_case(planted):
    assert kinds(f"Concerns raised by {planted} were not escalated.") == [("name", planted)]


def test_every_planted_identifier_is_found_with_its_position():
    text = ("Summary: A.S. (born 03/06/2017) was referred by Jane Smith. In June 2017 the family moved; "
            "on 2017-06-03 AS turned one... Detective Inspector notes.")
    hits = anonymise.check(text, IDS)
    assert [(h.kind, h.matched) for h in hits] == [
        ("initials", "A.S."), ("date_of_birth", "03/06/2017"), ("name", "Jane Smith"),
        ("date_of_birth", "June 2017"), ("date_of_birth", "2017-06-03"), ("initials", "AS"),
        ("name", "Detective Inspector")]
    assert all(text[h.start:h.end] == h.matched for h in hits)
    assert hits == sorted(hits, key=lambda h: h.start)
    assert "[A.S.]" in anonymise.excerpt(text, hits[0])


def test_clean_text_passes():
    clean = ("Child X lived with their mother. The ASSESSMENT was based on a home visit; as agreed, "
             "the case was discussed at BASIS meetings. Was the child seen? Jane and Mr Smithson attended; "
             "a blacksmith, an inspector and a detective gave evidence on 4 June 2017, 2017-06-04, 13/06/2017, "
             "03/07/2017, in July 2017 and in June 2018. A review found: Child A was not seen. "
             "Version 2017.06.03.1 of the form. Phone 03062017 is not a date.")
    assert anonymise.check(clean, IDS) == []
    assert anonymise.check("", IDS) == []
    assert anonymise.check("AS 2017-06-03 Jane Smith", Identifiers()) == []  # nothing recorded: nothing found


def test_single_letter_initials_and_child_x():
    ids = Identifiers(initials="x", dob=None, names=())
    assert anonymise.check("Child X was seen. X marks the spot.", ids) == []
    assert kinds("The records for X. were incomplete.", ids) == [("initials", "X.")]


SAFE_WORDS = ["the", "child", "was", "seen", "by", "a", "health", "visitor", "as", "has", "basis", "case",
              "ASSESSMENT", "BASIS", "Was", "Smithson", "blacksmith", "Janet", "inspector", "Detective", "Child X",
              "family", "school", "police", "June", "in", "on", "of", "and", "2018", "13", "review", "May"]
OTHER_DATES = st.dates(min_value=date(1990, 1, 1), max_value=date(2035, 12, 31)).filter(
    lambda d: (d.year, d.month) != (DOB.year, DOB.month))
DATE_FORMS = [lambda d: d.isoformat(), lambda d: f"{d:%d/%m/%Y}", lambda d: f"{d.day} {d:%B %Y}",
              lambda d: f"{d:%B} {d.day}, {d.year}", lambda d: f"{d:%B %Y}", lambda d: f"{d:%d.%m.%y}"]


@given(st.lists(st.one_of(st.sampled_from(SAFE_WORDS),
                          st.tuples(OTHER_DATES, st.sampled_from(DATE_FORMS)).map(lambda t: t[1](t[0]))),
                max_size=40),
       st.sampled_from([" ", ". ", ", ", "\n", "; "]))
def test_text_without_identifiers_yields_no_hits(words, sep):
    text = sep.join(words)
    assert anonymise.check(text, IDS) == [], text


@given(st.lists(st.sampled_from(SAFE_WORDS), max_size=20), st.lists(st.sampled_from(SAFE_WORDS), max_size=20),
       st.sampled_from(["AS", "A.S.", "03/06/2017", "3 June 2017", "2017-06-03", "Jane Smith", "june 2017"]))
def test_a_planted_identifier_is_always_found(before, after, planted):
    # A sentence break either side: "13 June 2017" would be another date, not the month of birth.
    text = ". ".join([" ".join(before), planted, " ".join(after)])
    assert planted in [h.matched for h in anonymise.check(text, IDS)], text


# --- the Word document ------------------------------------------------------------------------


def test_briefing_opens_with_python_docx_and_has_seven_sections_in_order():
    sections = {k: f"Text for {k}.\n- a bullet" for k in briefing.SECTION_KEYS}
    data = briefing.build_docx(briefing.title_for("Rapid review", 2026), sections, subtitle="Northbrook")
    d = docx.Document(io.BytesIO(data))
    assert d.paragraphs[0].text == "7-minute briefing: Rapid review (2026)"
    headings = [p.text for p in d.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["1. Background", "2. Why it matters", "3. Key findings", "4. Key findings (continued)",
                        "5. Key findings (continued)", "6. Things to remember", "7. What to do: reflective questions"]
    texts = [p.text for p in d.paragraphs]
    for i, k in enumerate(briefing.SECTION_KEYS):
        at = texts.index(headings[i])
        assert texts[at + 1] == f"Text for {k}." and texts[at + 2] == "a bullet"
    assert sum(p.style.name == "List Bullet" for p in d.paragraphs) == 7
    assert "Child X" in d.sections[0].footer.paragraphs[0].text
    assert d.core_properties.author == "" and d.core_properties.title.startswith("7-minute briefing")
    assert abs(d.sections[0].page_width.cm - 21.0) < 0.01  # A4
    # a missing section still gets its heading, shown empty
    d2 = docx.Document(io.BytesIO(briefing.build_docx("T", {"background": "Only this."})))
    assert len([p for p in d2.paragraphs if p.style.name == "Heading 1"]) == 7
    assert briefing.fits_one_page(sections) and not briefing.fits_one_page({"background": "x" * 5000})


# --- the service ------------------------------------------------------------------------------

REF = "NB-2022-003-R1"  # a closed Northbrook rapid review whose referral has initials and a date of birth


def referral_of(ref):
    with read_session() as s:
        rv = s.exec(select(Review).where(Review.reference == ref)).one()
        return rv, s.get(Referral, rv.referral_id)


def add_learning(ref, findings, recommendations):
    rv, _ = referral_of(ref)
    with transaction() as s:
        for i, text in enumerate(findings):
            s.add(Finding(partnership_id=rv.partnership_id, review_id=rv.id, recorded_on=date(2022, 5, 1 + i),
                          text=text))
        for i, text in enumerate(recommendations):
            s.add(Recommendation(partnership_id=rv.partnership_id, review_id=rv.id, recorded_on=date(2022, 5, 1 + i),
                                 text=text))


def exports():
    with read_session() as s:
        return s.exec(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "export")).one()


def name_the_referrer(ref, value="Jane Smith, Designated safeguarding lead"):
    rv, _ = referral_of(ref)
    with transaction() as s:
        r = s.get(Referral, rv.referral_id)
        r.referrer_name = value
        s.add(r)


def test_names_in_a_name_and_role_field():
    assert anonymise.names_in("Jane Smith, Designated safeguarding lead") == ["Jane Smith"]
    assert anonymise.names_in("Dr Amir Khan (named GP)") == ["Amir Khan"]
    assert anonymise.names_in("PC Tom Hill - Police") == ["Tom Hill"]
    assert anonymise.names_in("jane smith") == ["jane smith"]  # typed in lower case: still a name
    for role in ("Designated safeguarding lead", "Head of service", "Named nurse for safeguarding",
                 "Detective inspector", "Team manager", "", None):
        assert anonymise.names_in(role) == []


def test_identifiers_for_review_are_the_referrals_minimised_data_and_names(demo_db):
    name_the_referrer(REF)
    _, r = referral_of(REF)
    ids = briefings.identifiers_for_review(accounts.actor_for("chair"), REF)
    assert ids.initials == r.child_initials and ids.dob == r.child_dob and r.child_dob is not None
    assert ids.names == ("Jane Smith",)  # the role is not a name; the demo referral has no submitter


def test_draft_is_prefilled_from_the_record_without_child_details(demo_db):
    add_learning(REF, ["First: no one saw the child alone.", "Second: records were not shared.",
                       "Third: the escalation was not followed up.", "Fourth: supervision was missed."],
                 ["Every agency sees the child alone at each visit.", "Share chronologies within 5 days."])
    rv, _ = referral_of(REF)
    with read_session() as s:  # the record as the draft should read it (the demo may hold more)
        findings = [f.text for f in s.exec(select(Finding).where(Finding.review_id == rv.id)
                                           .order_by(Finding.recorded_on, Finding.id))]
        recs = [r.text for r in s.exec(select(Recommendation).where(Recommendation.review_id == rv.id)
                                       .order_by(Recommendation.recorded_on, Recommendation.id))]
    assert len(findings) >= 4 and len(recs) >= 2
    chair = accounts.actor_for("chair")
    d = briefings.draft(chair, REF.lower())
    assert d.title == "7-minute briefing: Rapid review (2022)"
    assert (d.findings, d.recommendations) == (len(findings), len(recs))
    assert list(d.sections) == list(briefing.SECTION_KEYS)
    assert d.sections["key_findings_1"] == findings[0]
    assert d.sections["key_findings_2"] == findings[1]
    assert d.sections["key_findings_3"].startswith(findings[2])
    assert all(f"- {f}" in d.sections["key_findings_3"] for f in findings[3:])
    assert "Rapid review" in d.sections["background"] and "Child X" in d.sections["background"]
    assert "March 2022" in d.sections["background"]
    assert all(f"- {r}" in d.sections["what_to_do"] for r in recs[:briefings.MAX_RECOMMENDATIONS])
    assert "Reflective questions" in d.sections["what_to_do"] and d.sections["things_to_remember"]
    ids = briefings.identifiers_for_review(chair, REF)
    assert briefings.check_sections(d.sections, ids) == []  # the draft itself never leaks
    with read_session() as s:
        view = s.exec(select(AuditEvent).where(AuditEvent.action == "view", AuditEvent.entity == "review")
                      .order_by(AuditEvent.id.desc())).first()
    assert view.username == "chair" and "briefing" in view.detail


def test_build_returns_the_document_and_the_hits_and_audits_the_download(demo_db):
    name_the_referrer(REF)
    _, r = referral_of(REF)
    chair = accounts.actor_for("chair")
    d = briefings.draft(chair, REF, record_view=False)
    sections = dict(d.sections)
    sections["key_findings_2"] = f"{r.child_initials} was born on {r.child_dob:%d/%m/%Y}; Jane Smith said so."
    before = exports()
    data, hits = briefings.build(chair, REF, sections)
    assert [(h.section, h.kind) for h in hits] == [
        ("key_findings_2", "initials"), ("key_findings_2", "date_of_birth"), ("key_findings_2", "name")]
    doc = docx.Document(io.BytesIO(data))
    assert doc.paragraphs[0].text == d.title
    assert [p.text for p in doc.paragraphs if p.style.name == "Heading 1"][2] == "3. Key findings"
    assert exports() == before + 1
    with read_session() as s:
        row = s.exec(select(AuditEvent).where(AuditEvent.action == "export").order_by(AuditEvent.id.desc())).first()
    assert (row.entity, row.username) == ("review", "chair") and "3 anonymisation warning" in row.detail
    _, clean_hits = briefings.build(chair, REF, d.sections)
    assert clean_hits == []


@pytest.mark.parametrize("username", ["chair.em", "referrer", "admin"])
def test_briefings_are_walled_by_partnership_and_role(demo_db, username):
    who = accounts.actor_for(username)
    before = exports()
    for call in (lambda: briefings.draft(who, REF), lambda: briefings.identifiers_for_review(who, REF),
                 lambda: briefings.build(who, REF, {})):
        with pytest.raises(NotFound):
            call()
    assert exports() == before
    refs = {c["reference"] for c in briefings.choices(who)}
    assert REF not in refs
    if username != "chair.em":
        assert refs == set()

"""The incident notification's rules (panel.notifications.rules): which referrals make one
incident, the four children in detail and the rest in free text, the grounds and what is missing."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from panel.notifications import document
from panel.notifications import rules as nr
from panel.screening import assess

AWARE, INCIDENT, DUE = date(2026, 11, 20), date(2026, 11, 19), date(2026, 11, 27)
NOTIFIER = nr.Notifier(name="Sam Chair", email="sam@example.org", partnership="Northbrook", local_authority="Northbrook")
PLACE = nr.Incident(reference="NB-2026-001", aware_on=AWARE, incident_date=INCIDENT, location="in_area",
                    abuse_or_neglect="suspected", summary="=HYPERLINK(\"x\") *bold* <b>not html</b>")
RESULT = assess({"aware_on": AWARE, "abuse_or_neglect": "suspected", "harm": "serious_harm"})


def child(seq: int, **kw) -> nr.Child:
    values = {"reference": f"NB-2026-{seq:03d}", "initials": "AB", "age": 3, "sex": "female",
              "ethnicity": "white", "harm": "serious_harm", "abuse_or_neglect": "suspected"}
    values.update(kw)
    return nr.Child(**values)


def test_an_incident_is_every_referral_reached_through_sibling_links():
    links = [(1, 2, "sibling"), (3, 2, "sibling"), (3, 4, "same_child"), (5, 6, "sibling")]
    assert nr.incident_group(1, links) == {1, 2, 3}
    assert nr.incident_group(3, links) == {1, 2, 3}  # a link counts both ways
    assert nr.incident_group(4, links) == {4}  # the same child again is a duplicate, not a sibling
    assert nr.incident_group(7, links) == {7}


def test_references_sort_by_their_number_not_their_text():
    refs = ["NB-2026-1000", "NB-2026-999", "NB-2025-500"]
    assert sorted(refs, key=nr.reference_key) == ["NB-2025-500", "NB-2026-999", "NB-2026-1000"]


def test_four_children_in_detail_the_rest_in_one_line_of_free_text():
    kids = [child(n, initials=i) for n, i in zip((6, 2, 5, 1, 3, 4), "FBEACD", strict=True)]
    d = nr.draft("national_panel", DUE, NOTIFIER, PLACE, kids, RESULT)
    assert [c.reference for c in d.in_detail] == [f"NB-2026-00{n}" for n in (1, 2, 3, 4)]
    assert [c.reference for c in d.others] == ["NB-2026-005", "NB-2026-006"]
    text = nr.as_text(d)
    assert "covering 6 children" in text and "Child 4 of 6 (NB-2026-004)" in text and "Child 5 of" not in text
    assert "Other children (2, for the form's free text)" in text
    assert "E, age 3, female, serious harm (NB-2026-005); F, age 3, female, serious harm (NB-2026-006)" in text
    assert "Nature: serious harm (6 children)" in text


def test_each_child_in_detail_as_recorded():
    kid = child(1, initials="QZ", age=0, sex="male", ethnicity="mixed", looked_after=True, known_to_csc=True)
    lines = nr.child_lines(kid)
    assert "Initials (as recorded): QZ" in lines and "Age at the incident: under 1" in lines
    assert "Ethnicity: Mixed or multiple ethnic groups" in lines and "Looked after: Yes" in lines
    assert "Known to children's social care: Yes" in lines and "On a child protection plan: No" in lines
    leaver = nr.child_lines(child(2, age=19, harm="died", care_leaver=True))
    assert "Care leaver (aged 18 to 24): Yes" in leaver
    assert any("death of a care leaver" in line for line in leaver)


def test_age_is_the_recorded_one_or_from_the_date_of_birth_at_the_incident():
    assert nr.age_of(4, date(2010, 1, 1), INCIDENT) == 4
    assert nr.age_of(None, date(2020, 11, 20), INCIDENT) == 5  # sixth birthday the day after
    assert nr.age_of(None, None, INCIDENT) is None


def test_the_grounds_are_the_criteria_met_and_the_route():
    d = nr.draft("national_panel", DUE, NOTIFIER, PLACE, [child(1)], RESULT)
    assert d.route == "rapid_review" and d.regime == "WT2018"
    assert all("not met" not in g for g in d.grounds) and len(d.grounds) == 6
    assert "abuse or neglect known or suspected" in d.grounds[1]
    text = nr.as_text(d)
    assert "Route: Rapid review" in text and "Met: Working Together 2018" in text


def test_what_is_missing_names_what_the_record_lacks():
    bare = nr.Notifier(name="Sam", email=" ", partnership="Northbrook", local_authority=None)
    kids = [child(1), child(2, age=None, sex="unknown", ethnicity="not_recorded", looked_after=True)]
    found = nr.missing(bare, kids)
    assert found[0].startswith("Your phone number")
    assert "Your e-mail address (your Panel account has none)." in found
    assert "The local authority area (Northbrook has none set in Panel)." in found
    assert "Child 1 (NB-2026-001): name (Panel keeps initials only), disability and health needs, where they live." in found
    assert ("Child 2 (NB-2026-002): name (Panel keeps initials only), age, sex, ethnicity, disability and health "
            "needs, where they live (placement type).") in found
    assert any(m.startswith("The time of the incident") for m in found)
    assert not any("e-mail" in m for m in nr.missing(NOTIFIER, kids))
    assert not any("local authority" in m for m in nr.missing(NOTIFIER, kids))


def test_siblings_not_covered_are_named_and_the_body_and_due_date_head_it():
    d = nr.draft("safeguarding_partners", DUE, NOTIFIER, PLACE, [child(2)], RESULT, not_covered=["NB-2026-010", "NB-2026-009"])
    text = nr.as_text(d)
    assert text.startswith("NOTIFICATION\n  To: Safeguarding partners")
    assert "Due by: Fri 27 Nov 2026 (5 working days after the local authority became aware, Fri 20 Nov 2026)" in text
    assert "not covered (the criteria do not call for notifying this body about them): NB-2026-009, NB-2026-010" in text


def test_the_word_document_holds_the_same_sections_and_the_text_as_typed():
    import io
    import zipfile

    d = nr.draft("national_panel", DUE, NOTIFIER, PLACE, [child(1), child(2, initials="CD")], RESULT)
    data = document.build(d)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read("word/document.xml").decode()
    for heading, _ in nr.sections(d):
        assert heading in xml.replace("&amp;", "&")
    assert "*bold* &lt;b&gt;not html&lt;/b&gt;" in xml
    assert nr.as_text(nr.draft("national_panel", DUE, NOTIFIER, PLACE, [child(1)], RESULT)).count("\x00") == 0


@st.composite
def incidents(draw):
    """1..10 siblings with distinct references, linked by any spanning tree (and stray same-child
    links), given in any order."""
    n = draw(st.integers(1, 10))
    seqs = draw(st.lists(st.integers(1, 1500), min_size=n, max_size=n, unique=True))
    ids = list(range(1, n + 1))
    links = [(ids[i], ids[draw(st.integers(0, i - 1))], "sibling") for i in range(1, n)]
    links += [(i, 100 + i, "same_child") for i in draw(st.lists(st.sampled_from(ids), max_size=3))]
    links = draw(st.permutations(links))
    kids = {i: child(seq, initials="ABCDEFGHIJ"[k]) for k, (i, seq) in enumerate(zip(ids, seqs, strict=True))}
    return kids, links, draw(st.sampled_from(ids)), draw(st.permutations(ids))


@given(incidents())
def test_any_incident_puts_each_child_once_at_most_four_in_detail_in_a_stable_order(case):
    kids, links, start, shuffled = case
    group = nr.incident_group(start, links)
    assert group == set(kids)  # every sibling found, whichever child the page is opened on
    d = nr.draft("national_panel", DUE, NOTIFIER, PLACE, [kids[i] for i in shuffled], RESULT)
    assert len(d.in_detail) <= 4 and len(d.in_detail) == min(4, len(kids))
    refs = [c.reference for c in d.children]
    assert sorted(refs) == sorted(c.reference for c in kids.values()) and len(set(refs)) == len(refs)
    assert refs == sorted(refs, key=nr.reference_key)
    again = nr.draft("national_panel", DUE, NOTIFIER, PLACE, list(kids.values()), RESULT)
    assert again == d  # the order given does not change the notification
    about = " ".join(h + " " + " ".join(lines) for h, lines in nr.sections(d) if h.startswith(("Child ", "Other children")))
    assert all(about.count(f"({r})") == 1 for r in refs)  # each child once: in detail or in the free text

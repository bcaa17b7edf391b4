"""Presentation mode (issue #6): on a shared screen no page shows a child's identifiers."""

import pytest

from panel.services import accounts, referrals
from tests.apptest import signed_in, texts
from tests.conftest import TODAY

INITIALS = "QZ"
SUMMARY = "Infant admitted with bruising to the cheek; mother's partner gave no account."


@pytest.fixture
def case(demo_db):
    chair = accounts.actor_for("chair")
    agencies = {a.name: a.id for a in accounts.agencies()}
    pid = chair.partnerships_with("referral.read")[0]
    ref = referrals.submit(chair, pid, {
        "received_on": TODAY, "aware_on": TODAY, "incident_date": TODAY, "referrer_name": "Named nurse",
        "referrer_agency_id": agencies["Police"], "identified_by": "social_worker", "child_initials": INITIALS,
        "child_age_years": 0, "child_sex": "male", "child_ethnicity": "mixed", "incident_summary": SUMMARY,
        "harm": "serious_harm", "abuse_or_neglect": "suspected", "location": "in_area"}, TODAY).reference
    referrals.triage(chair, ref, "accept", "", 1)
    return ref


def everything(at) -> str:
    frames = " ".join(df.value.to_string() for df in at.dataframe if hasattr(df.value, "to_string"))
    boxes = " ".join(str(s.value) for s in at.selectbox) + " ".join(
        str(o) for s in at.selectbox for o in s.options)
    return texts(at) + frames + boxes


PAGES = [("pages/queue.py", None), ("pages/referral.py", "ref"), ("pages/screening.py", "ref"),
         ("pages/screening.py", None), ("pages/tracker.py", None), ("pages/timeliness.py", None),
         ("pages/actions.py", None)]


@pytest.mark.parametrize(("page", "param"), PAGES)
def test_identifiers_show_normally_and_hide_when_presenting(case, page, param):
    query = {param: case} if param else None
    shown = signed_in("chair", page, query=query)
    hidden_at = signed_in("chair", page, query=query)
    hidden_at.session_state["presentation"] = True
    hidden_at.run()
    assert not hidden_at.exception
    hidden = everything(hidden_at)
    assert f"{INITIALS} (" not in hidden and f"**{INITIALS}**" not in hidden and f"Child {INITIALS};" not in hidden
    assert SUMMARY not in hidden
    if page in ("pages/queue.py", "pages/referral.py", "pages/screening.py"):
        normal = everything(shown)
        assert INITIALS in normal  # the page does show them when not presenting
        assert "Presentation mode: child identifiers are hidden" in hidden


def test_the_toggle_is_in_every_users_sidebar(demo_db):
    for user in ("chair", "member", "manager", "referrer", "admin"):
        at = signed_in(user)
        assert [t for t in at.sidebar.children.values() if t.type == "toggle"] or any(
            t.label == "Presentation mode" for t in at.toggle), user

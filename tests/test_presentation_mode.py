"""Presentation mode: on a shared screen no page shows a child's identifiers, and the preference
is the user's, kept in the database, so every run (any page, any tab, a reload) honours it.

Distinctive values are planted on referrals; each page is rendered with presentation mode off
(where the page shows them, they are there) and on (none of them reaches the browser: every
element the app sends is searched, dataframes' Arrow bytes and widget values included).
"""

import pytest
from sqlmodel import select

from panel.accounts import service as accounts
from panel.agencies import service as agency_service
from panel.core.access import SYSTEM
from panel.core.db import read_session
from panel.core.errors import PermissionDenied, ValidationFailed
from panel.learning import briefings
from panel.models import AuditEvent, Partnership, User
from panel.referrals import service as referrals
from tests.apptest import signed_in
from tests.conftest import TODAY

INITIALS = "QZXJ"
SUMMARY = "Infant admitted with bruising to the cheek; the lodger Quillon gave no account."
REFERRER = "Nurse Ottoline Vantspiel"
VIEW = "Referrer thinks the criteria are met: Wexcombe nursery saw marks."
NOTE = "Panel asks for the Harrowgate chronology."
PLANTED = (INITIALS, SUMMARY, "Quillon", REFERRER, "Vantspiel", VIEW, "Wexcombe", NOTE, "Harrowgate")


def _form(agencies: dict) -> dict:
    return {
        "received_on": TODAY, "aware_on": TODAY, "incident_date": TODAY, "referrer_name": REFERRER,
        "referrer_agency_id": agencies["Police"], "identified_by": "social_worker", "child_initials": INITIALS,
        "child_age_years": 0, "child_sex": "male", "child_ethnicity": "mixed", "incident_summary": SUMMARY,
        "referrer_view": VIEW, "harm": "serious_harm", "abuse_or_neglect": "suspected", "location": "in_area"}


@pytest.fixture
def case(demo_db):
    """An accepted referral (with the panel's note) submitted by the referrer, in NB."""
    with read_session() as s:
        nb = s.exec(select(Partnership.id).where(Partnership.code == "NB")).one()
    agencies = {a.name: a.id for a in agency_service.list_agencies(SYSTEM)}
    ref = referrals.submit(accounts.actor_for("referrer"), nb, _form(agencies), TODAY).reference
    referrals.triage(accounts.actor_for("chair"), ref, "accept", NOTE, 1)
    return ref


def present(username: str, on: bool = True) -> None:
    accounts.set_presentation_mode(accounts.actor_for(username), on)


def next_run(at, username: str):
    """The next run of the page on screen. app.py reads the Actor (and with it the preference)
    from the database on every run; AppTest runs a switched-to page file alone, so do the same."""
    at.session_state["actor"] = accounts.actor_for(username)
    return at.run()


def from_app(at):
    """A run of app.py itself (AppTest otherwise reruns the last page file alone): the sidebar."""
    at._page_hash, at._finished_page_script_hash = None, ""
    return at.run()


def toggle(at):
    return next(t for t in at.sidebar.toggle if t.label == "Presentation mode")


def sent(at) -> str:
    """Everything the app sent to the browser, as text: every element's message (Markdown,
    widget labels, options and values, dataframes' Arrow bytes)."""
    out = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None:
            out.append(str(proto))
        if hasattr(node, "value") and getattr(node, "type", "") not in ("markdown",):
            try:
                out.append(str(node.value))  # a widget's current value (text typed into a box)
            except Exception:  # noqa: BLE001, S110 (elements without a value of their own)
                pass
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                walk(child)

    walk(at._tree)
    return "\n".join(out)


# The age band, sex and ethnicity as the pages word them (the words alone are also labels).
DESCRIBED = ("age band under 1", "(under 1)", "Mixed or multiple ethnic groups")


def leaks(text: str) -> list[str]:
    return [v for v in PLANTED + DESCRIBED if v in text]


# (user, page, query parameter, what the page shows of the child when not presenting)
PAGES = [
    ("chair", "pages/queue.py", None, (INITIALS, "(under 1)")),
    ("chair", "pages/referral.py", "ref", (INITIALS, SUMMARY, "Vantspiel", VIEW, "Harrowgate", *DESCRIBED[::2])),
    ("chair", "pages/screening.py", "ref", (INITIALS,)),
    ("chair", "pages/screening.py", None, (INITIALS,)),  # the picker's labels
    ("referrer", "pages/my_referrals.py", None, (NOTE,)),  # "note from the panel"
    ("chair", "pages/tracker.py", None, ()),
    ("chair", "pages/timeliness.py", None, ()),
    ("chair", "pages/actions.py", None, ()),
    ("chair", "pages/meeting.py", None, ()),
    ("chair", "pages/decision_log.py", None, ()),
    ("chair", "pages/explorer.py", None, ()),
]


@pytest.mark.parametrize(("user", "page", "param", "shows"), PAGES,
                         ids=[f"{p[1].split('/')[1][:-3]}-{p[0]}{'-ref' if p[2] else ''}" for p in PAGES])
def test_no_child_identifier_reaches_the_browser_when_presenting(case, user, page, param, shows):
    query = {param: case} if param else None
    if shows:
        normal = sent(signed_in(user, page, query=query))
        assert all(v in normal for v in shows), [v for v in shows if v not in normal]
    present(user)
    at = signed_in(user, page, query=query)
    assert not at.exception
    assert leaks(sent(at)) == []
    assert any("Presentation mode: child identifiers are hidden" in c.value for c in at.caption)


def test_the_referral_form_is_not_drawn_when_presenting_and_what_was_typed_is_kept(demo_db):
    at = signed_in("referrer", "pages/make_referral.py")
    at.session_state["mr_child_initials"] = INITIALS  # typed, not yet submitted
    at.session_state["mr_incident_summary"] = SUMMARY
    at.run()
    assert INITIALS in sent(at) and SUMMARY in sent(at)
    present("referrer")
    next_run(at, "referrer")
    assert not at.exception and leaks(sent(at)) == []
    assert not at.text_input and not at.text_area
    present("referrer", False)
    next_run(at, "referrer")
    assert at.text_input(key="mr_child_initials").value == INITIALS
    assert at.text_area(key="mr_incident_summary").value == SUMMARY


def test_briefing_text_holding_identifiers_is_not_shown_when_presenting(demo_db):
    chair = accounts.actor_for("chair")
    review = briefings.choices(chair)[0]["reference"]
    initials = briefings.identifiers_for_review(chair, review).initials
    typed = f"{initials} was seen by the Zoffany clinic twice."
    at = signed_in("chair", "pages/briefing.py", query={"ref": review})
    at.text_area(key=f"brief_{review}_background").input(typed)
    at.run()
    assert "Zoffany" in sent(at)
    present("chair")
    next_run(at, "chair")
    assert not at.exception
    text = sent(at)
    assert "Zoffany" not in text and f"{initials} was" not in text
    assert not at.text_area
    present("chair", False)
    next_run(at, "chair")
    assert at.text_area(key=f"brief_{review}_background").value == typed


def test_the_sidebar_toggle_shows_and_sets_the_stored_preference(demo_db):
    at = from_app(signed_in("chair"))
    assert toggle(at).value is False
    toggle(at).set_value(True)
    from_app(at)
    assert not at.exception
    assert accounts.actor_for("chair").presenting is True
    assert toggle(at).value is True and any("Presentation mode: child" in c.value for c in at.caption)
    # Another tab (a new session) reads it from the database.
    again = signed_in("chair")
    assert toggle(again).value is True
    # Turned off in that tab: this one's next run follows the database.
    toggle(again).set_value(False)
    from_app(again)
    assert accounts.actor_for("chair").presenting is False
    from_app(at)
    assert toggle(at).value is False and not any("Presentation mode: child" in c.value for c in at.caption)


def test_the_toggle_is_in_every_users_sidebar(demo_db):
    for user in ("chair", "member", "manager", "referrer", "admin"):
        at = signed_in(user)
        assert toggle(from_app(at)).value is False, user


# -- the service -----------------------------------------------------------------------------------

def _user(username: str) -> User:
    with read_session() as s:
        return s.exec(select(User).where(User.username == username)).one()


def _audits(user_id: int) -> list[AuditEvent]:
    with read_session() as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.action == "presentation_mode",
                                                    AuditEvent.entity_id == user_id).order_by(AuditEvent.id)))


def test_the_preference_is_stored_per_user_audited_and_read_with_the_sign_in(demo_db):
    chair = accounts.actor_for("chair")
    assert not chair.presenting and not _user("chair").presentation_mode
    assert accounts.set_presentation_mode(chair, True) is True
    assert _user("chair").presentation_mode and not _user("member").presentation_mode
    assert accounts.actor_for("chair").presenting and not accounts.actor_for("member").presenting
    found, _ = accounts.check_session("chair", _user("chair").sessions_valid_after)
    assert found is not None and found.presenting  # every run's sign-in check carries it
    rows = _audits(chair.user_id)
    assert len(rows) == 1 and rows[0].username == "chair" and '"presentation_mode": true' in rows[0].after
    accounts.set_presentation_mode(chair, True)  # no change, no audit row
    assert len(_audits(chair.user_id)) == 1
    accounts.set_presentation_mode(chair, False)
    assert not accounts.actor_for("chair").presenting and len(_audits(chair.user_id)) == 2


def test_the_preference_refuses_what_is_not_a_users_own_choice(demo_db):
    with pytest.raises(PermissionDenied):
        accounts.set_presentation_mode(SYSTEM, True)  # the command line has no screen
    with pytest.raises(ValidationFailed):
        accounts.set_presentation_mode(accounts.actor_for("chair"), "yes")

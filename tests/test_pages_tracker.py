"""Tracker and review record pages, per role, through AppTest."""

import pytest

from tests.apptest import menu, signed_in, texts
from tests.conftest import MULTI_MANAGER, TODAY, add_multi_manager

REF = "NB-2026-005-R2"  # the demo's open Northbrook LCSPR


@pytest.mark.parametrize("username", ["chair", "member", "manager", MULTI_MANAGER])
def test_panel_roles_have_the_tracker(demo_db, username):
    if username == MULTI_MANAGER:
        add_multi_manager()
    assert "Review tracker" in menu(signed_in(username))
    at = signed_in(username, "pages/tracker.py")
    df = at.dataframe[0].value
    assert len(df) >= 1
    assert ({"NB", "EM", "WV"} if username == MULTI_MANAGER else {"NB"}) == set(df["partnership"])
    assert "most urgent reviews" in texts(at)


@pytest.mark.parametrize("username", ["referrer", "admin", "regional"])
def test_referrer_admin_and_regional_have_no_tracker(demo_db, username):
    assert "Review tracker" not in menu(signed_in(username))


def test_tracker_filter_to_closed_and_empty_state(demo_db):
    at = signed_in("manager", "pages/tracker.py")
    at.text_input[0].input("nobody by this name").run()
    assert "No reviews match" in texts(at)


def test_manager_records_a_milestone_on_the_review_page(demo_db):
    at = signed_in("manager", "pages/review.py", query={"ref": REF})
    before = at.dataframe[0].value
    overdue = before[before["status"] == "Overdue"]["milestone"].tolist()
    assert overdue
    next(d for d in at.date_input if d.label == "Date").set_value(TODAY)  # starts empty, never today by itself
    [b for b in at.button if b.label == "Save date"][0].click().run()  # first open milestone
    after = at.dataframe[0].value
    assert after[after["milestone"] == overdue[0]]["status"].iloc[0] in ("Done", "Done late")
    assert not at.exception


def test_member_reads_the_review_but_keeps_no_record(demo_db):
    at = signed_in("member", "pages/review.py", query={"ref": REF})
    assert at.dataframe[0].value is not None
    assert not [b for b in at.button if b.label == "Save date"]


def test_other_partnership_review_is_not_found(demo_db):
    at = signed_in("chair.em", "pages/review.py", query={"ref": REF})
    assert any("No review with that reference" in e.value for e in at.error)


def test_the_clock_comes_first_and_one_partnership_has_no_column_for_it(demo_db):
    add_multi_manager()
    for username, partnership in (("chair", False), (MULTI_MANAGER, True)):
        order = list(signed_in(username, "pages/tracker.py").dataframe[-1].proto.column_order)
        assert order[:6] == ["reference", "type", "next_milestone", "due", "working_days_left", "rag"]
        assert ("partnership" in order) == partnership


def test_the_timeline_is_never_shorter_than_its_legend_with_one_or_two_reviews(demo_db):
    """With one or two reviews the rows alone would be 88 or 116 px and cut the legend's five
    statuses off."""
    import json
    from collections import Counter

    from sqlmodel import Session, select

    from panel.core.db import get_engine
    from panel.models import Review
    from tests.factories import nb_id

    with Session(get_engine()) as s:  # the manager's partnership's reviews, every state
        names = Counter(r.lead_reviewer for r in s.exec(select(Review).where(Review.partnership_id == nb_id()))
                        if r.lead_reviewer)
    lone, count = min(names.items(), key=lambda kv: kv[1])
    assert count <= 2  # one or two reviews' rows: shorter than the legend
    at = signed_in("manager", "pages/tracker.py")
    at.segmented_control[0].set_value([]).run()  # every state
    at.text_input[0].set_value(lone).run()
    assert not at.exception
    chart = at.get("vega_lite_chart")
    assert len(chart) == 1
    spec = json.loads(chart[0].proto.spec)
    assert spec["height"] >= 40 + 22 * 5 > 28 * count + 60

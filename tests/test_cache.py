"""The UI caches (panel.ui.cached) never cross partnerships and never outlive a write."""

from __future__ import annotations

import pytest
from sqlmodel import select

from panel.accounts import service as accounts
from panel.core.access import Actor
from panel.core.db import read_session
from panel.learning import service as learning
from panel.models import Review
from panel.reviews import record as review_record
from panel.reviews import tracker
from panel.ui import cached
from tests.conftest import TODAY, add_multi_manager


@pytest.fixture
def fresh_cache():
    import streamlit as st

    st.cache_data.clear()
    yield
    st.cache_data.clear()


def _actor(username: str) -> Actor:
    a = accounts.actor_for(username)
    assert a is not None
    return a


def test_two_partnerships_get_their_own_cached_tracker(demo_db, fresh_cache):
    nb, em = _actor("chair"), _actor("chair.em")
    f = tracker.TrackerFilter()
    first = cached.tracker_reviews(nb, f, TODAY)
    second = cached.tracker_reviews(em, f, TODAY)  # same filter, same day, same generation
    assert set(first["partnership"]) == {"NB"}
    assert set(second["partnership"]) == {"EM"}
    assert set(cached.tracker_reviews(nb, f, TODAY)["partnership"]) == {"NB"}


def test_two_partnerships_get_their_own_cached_learning(demo_db, fresh_cache):
    nb, em = _actor("member"), _actor("member.em")
    f = learning.LearningFilter()
    assert cached.totals(nb, f, TODAY) == learning.totals(nb, f, TODAY)
    assert cached.totals(em, f, TODAY) == learning.totals(em, f, TODAY)
    assert cached.totals(nb, f, TODAY) != cached.totals(em, f, TODAY)
    assert cached.theme_by_year(em, f).equals(learning.theme_by_year(em, f))


def test_same_scope_is_served_from_the_cache(demo_db, fresh_cache, monkeypatch):
    calls = []
    real = tracker.reviews
    monkeypatch.setattr(tracker, "reviews", lambda *a: calls.append(a) or real(*a))
    f = tracker.TrackerFilter()
    cached.tracker_reviews(_actor("chair"), f, TODAY)
    cached.tracker_reviews(_actor("manager"), f, TODAY)  # same partnership, same permission scope
    assert len(calls) == 1
    cached.tracker_reviews(_actor(add_multi_manager()), f, TODAY)  # wider scope: its own entry
    assert len(calls) == 2


def test_a_write_invalidates(demo_db, fresh_cache):
    manager = _actor("manager")
    f = tracker.TrackerFilter()
    before = cached.tracker_reviews(manager, f, TODAY)
    ref = before["reference"].iloc[0]
    with read_session() as s:
        version = s.exec(select(Review.version).where(Review.reference == ref)).one()
    review_record.update_details(manager, ref, lead_reviewer="A New Reviewer", lead_reviewer_email="",
                                 publication_status="planned", publication_reason="", expected_version=version)
    after = cached.tracker_reviews(manager, f, TODAY)
    assert after.loc[after["reference"] == ref, "lead_reviewer"].iloc[0] == "A New Reviewer"
    assert before.loc[before["reference"] == ref, "lead_reviewer"].iloc[0] != "A New Reviewer"


def test_two_partnerships_get_their_own_cached_timeliness(demo_db, fresh_cache):
    nb, em = _actor("manager"), _actor("chair.em")
    first, second = cached.timeliness(nb, TODAY), cached.timeliness(em, TODAY)
    assert [p["code"] for p in first["partnerships"]] == ["NB"]
    assert [p["code"] for p in second["partnerships"]] == ["EM"]


def test_a_view_is_not_a_write_but_a_triage_is(demo_db, fresh_cache):
    from panel.referrals import service as referrals

    chair = _actor("chair")
    df, _ = referrals.queue(chair, referrals.QueueFilter(statuses=("new",)), TODAY)
    ref = df["reference"].iloc[0]
    before = cached.generation()
    detail = referrals.get_referral(chair, ref, TODAY, record_view=True)  # audited, changes nothing
    assert cached.generation() == before
    referrals.triage(chair, ref, "accept", "", detail.referral.version)
    assert cached.generation() > before


def test_recurring_themes_cached_for_one_partnership_are_not_found_for_another(demo_db, fresh_cache):
    from panel.core.errors import NotFound
    from panel.referrals import service as referrals

    nb = _actor("chair")
    df, _ = referrals.queue(nb, referrals.QueueFilter(statuses=("accepted",)), TODAY)
    ref = df["reference"].iloc[0]
    assert cached.recurring_themes(nb, ref, TODAY) == cached.recurring_themes(_actor("member"), ref, TODAY)
    with pytest.raises(NotFound):
        cached.recurring_themes(_actor("chair.em"), ref, TODAY)

"""The notification clock (docs/domain.md §4.5): one rule over the engine's answer, the recorded
notifications and the panel's signed decision."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from panel.core.clock import add_working_days
from panel.screening.rules import (
    BODIES,
    CHOICES,
    ROUTE_BODIES,
    ROUTES,
    assess,
    notification_clocks,
    running_clock,
)

EXAMPLES = settings(max_examples=300, deadline=None)
days = st.dates(min_value=date(2010, 1, 1), max_value=date(2030, 12, 31))


def values(key: str) -> st.SearchStrategy[str]:
    return st.sampled_from([v for v, _ in CHOICES[key]])


@st.composite
def facts(draw: st.DrawFn) -> dict[str, Any]:
    harm = draw(values("harm"))
    return {
        "aware_on": draw(days).isoformat(),
        "abuse_or_neglect": draw(values("abuse_or_neglect")),
        "harm": harm,
        "interagency_concerns": draw(values("interagency_concerns")),
        "location": draw(values("location")),
        "looked_after": draw(st.booleans()),
        "media_interest": draw(st.booleans()),
        "practice_concerns": draw(st.booleans()),
        "custody_death": draw(st.booleans()) if harm == "died" else False,
    }


outcome_routes = st.one_of(st.none(), st.lists(st.sampled_from(ROUTES), min_size=1, unique=True))


@EXAMPLES
@given(facts(), outcome_routes, st.integers(-30, 60))
def test_no_clock_when_the_criteria_call_for_no_notification(f, decided, offset):
    result = assess(f)
    today = date.fromisoformat(f["aware_on"]) + timedelta(days=offset)
    clocks = notification_clocks(result, {}, decided, today)
    called = {n["to"] for n in result["notify"]}
    assert {c.body for c in clocks} == called
    if not called:
        assert clocks == [] and running_clock(clocks) is None


@EXAMPLES
@given(facts(), st.data(), st.integers(0, 40), outcome_routes)
def test_the_clock_stops_once_recorded(f, data, sent_after, decided):
    result = assess(f)
    called = [n["to"] for n in result["notify"]]
    recorded = data.draw(st.lists(st.sampled_from(called), unique=True)) if called else []
    aware = date.fromisoformat(f["aware_on"])
    due = add_working_days(aware, 5)
    sent_on = aware + timedelta(days=sent_after)
    clocks = notification_clocks(result, {b: (sent_on, due) for b in recorded}, decided, sent_on + timedelta(days=200))
    for c in clocks:
        if c.body in recorded:
            assert c.state == "notified" and c.sent_on == sent_on and c.days_left is None and c.rag == "done"
            assert c.late_by >= 0 and (c.late_by == 0) == (sent_on <= due)
    if set(recorded) == set(called):
        assert running_clock(clocks) is None


@EXAMPLES
@given(facts(), outcome_routes, st.integers(-30, 60))
def test_a_decided_no_notification_stops_the_route_s_clocks(f, decided, offset):
    result = assess(f)
    today = date.fromisoformat(f["aware_on"]) + timedelta(days=offset)
    clocks = {c.body: c for c in notification_clocks(result, {}, decided, today)}
    route = result["route"]
    for body in ROUTE_BODIES.get(route, ()):
        if body not in clocks:
            continue
        if decided is not None and route not in decided:
            assert clocks[body].state == "none_due" and clocks[body].days_left is None
        else:
            assert clocks[body].state == "running"


def test_other_harm_without_abuse_has_no_clock():
    result = assess({"aware_on": "2026-01-05", "abuse_or_neglect": "no", "harm": "other"})
    assert notification_clocks(result, {}, None, date(2026, 6, 1)) == []


def test_a_running_clock_counts_working_days_and_a_late_one_says_by_how_much():
    result = assess({"aware_on": "2025-12-23", "abuse_or_neglect": "suspected", "harm": "died"})
    clocks = notification_clocks(result, {}, None, date(2025, 12, 31))
    assert [c.body for c in clocks] == ["national_panel", "safeguarding_partners"]
    first = running_clock(clocks)
    assert (first.due, first.days_left, first.rag) == (date(2026, 1, 2), 1, "amber")
    late = notification_clocks(result, {"national_panel": (date(2026, 1, 6), date(2026, 1, 2))}, None, date(2026, 5, 1))
    assert late[0].state == "notified" and late[0].late_by == 2
    assert late[1].state == "running" and late[1].rag == "red"


def test_a_decision_departing_from_the_rapid_review_stops_those_clocks_only():
    result = assess({"aware_on": "2026-01-05", "abuse_or_neglect": "known", "harm": "died",
                     "looked_after": True})
    clocks = {c.body: c.state for c in notification_clocks(result, {}, "consider_local_review", date(2026, 2, 1))}
    assert clocks == {"ofsted": "running", "national_panel": "none_due",
                      "safeguarding_partners": "none_due", "secretary_of_state": "running"}
    consistent = notification_clocks(result, {}, "rapid_review,consider_local_review", date(2026, 2, 1))
    assert {c.state for c in consistent} == {"running"}
    assert set(BODIES) == set(clocks)


def test_sent_the_weekend_after_a_friday_deadline_is_one_day_late():
    from panel.screening.rules import late_by_working_days

    assert late_by_working_days(date(2010, 1, 8), date(2010, 1, 9)) == 1  # Fri due, sent Sat
    assert late_by_working_days(date(2010, 1, 8), date(2010, 1, 8)) == 0
    assert late_by_working_days(date(2010, 1, 8), date(2010, 1, 12)) == 2  # Tue: Mon and Tue


def test_a_clock_still_running_the_saturday_after_a_friday_deadline_is_overdue():
    # Aware Fri 22 Jan 2027: due Fri 29 Jan; unsent on Sat 30 Jan it is red, one working day over.
    result = {"route": "rapid_review", "notify": [{"to": "national_panel", "due": "2027-01-29"}]}
    [clock] = notification_clocks(result, {}, None, date(2027, 1, 30))
    assert (clock.state, clock.days_left, clock.rag) == ("running", -1, "red")

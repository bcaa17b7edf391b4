"""The Actions page's pieces about what happened after an action (docs/domain.md §7.1): where its
recommendation's learning was shared, and a closed action's impact follow-up (its date, its
result, and for a chair or business manager the forms to set one and record the other).
Rendering only: panel.learning.dissemination and panel.learning.follow_up decide."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import streamlit as st

from panel.core.access import Actor
from panel.learning import dissemination, follow_up
from panel.models import Action
from panel.ui.common import day, esc, field_error

RESULT_FIELDS = ("follow_up_done_on", "follow_up_result", "follow_up_source_id")


def shared_line(me: Actor, recommendation_id: int) -> None:
    """One line: the learning events that shared the recommendation (or its review)."""
    shared = dissemination.shared_for(me, recommendation_id)
    if not shared:
        st.caption("Not yet shared at a learning event.")
        return
    st.caption("Shared at: " + "; ".join(
        f"{esc(x['kind'])} on {day(x['held_on'])} ({int(x['attended'])} attended"
        + (", through its review)" if x["via"] == "review" else ")") for x in shared) + ".")


def follow_up_section(me: Actor, a: Action, errs: dict[str, str], attempt: Callable, seen_version: int,
                      today: date) -> None:
    """A closed action's follow-up as it stands; `attempt(fn, done, fields, **kwargs)` runs a write
    on the action as the page does its others."""
    sources = follow_up.source_choices(me, a.partnership_id)
    st.markdown("**Impact follow-up**")
    if a.follow_up_done_on is not None:
        source = sources.get(a.follow_up_source_id) if a.follow_up_source_id else None
        st.caption(f"Followed up on {day(a.follow_up_done_on)}" + (f", by {esc(source)}" if source else "") + ".")
        st.text(a.follow_up_result or "")
    elif a.follow_up_on is not None:
        st.info(f"Follow-up due on {day(a.follow_up_on)}: check that the change held.",
                icon=":material/event_repeat:")
    else:
        st.caption("No follow-up date set.")
    if not me.can("action.close", a.partnership_id) or a.follow_up_done_on is not None:
        return
    key = f"act_{a.id}"
    with st.form(f"{key}_follow_up"):
        st.markdown("**Record the follow-up**")
        done_on = st.date_input("Followed up on", value=None, max_value=today, format="DD/MM/YYYY",
                                key=f"{key}_fu_done_on")
        field_error(errs, "follow_up_done_on")
        result = st.text_area("What the follow-up found", key=f"{key}_fu_result",
                              help="Did the change hold, and how do you know: e.g. the re-audit's result.")
        field_error(errs, "follow_up_result")
        source = st.selectbox("Learning source that found it (optional)", list(sources), index=None,
                              format_func=sources.get, placeholder="None", key=f"{key}_fu_source")
        field_error(errs, "follow_up_source_id")
        if st.form_submit_button("Record follow-up", type="primary"):
            attempt(follow_up.record_follow_up, "Follow-up recorded", RESULT_FIELDS, done_on=done_on,
                    result=result, source_id=source, expected_version=seen_version, today=today)
    with st.form(f"{key}_follow_up_date"):
        when = st.date_input("Follow up on", value=a.follow_up_on, format="DD/MM/YYYY", key=f"{key}_fu_on",
                             help="A date after the action was closed to check the change held; clear it to "
                                  "remove the follow-up.")
        field_error(errs, "follow_up_on")
        if st.form_submit_button("Set follow-up date"):
            attempt(follow_up.schedule_follow_up, "Follow-up date set", ("follow_up_on",), follow_up_on=when,
                    expected_version=seen_version, today=today)

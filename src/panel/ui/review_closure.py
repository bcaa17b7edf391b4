"""The review page's "Close the review" section (docs/domain.md §6.3). Rendering only: what
blocks the closure and the closing itself are panel.reviews.closing's. Each action that blocks
it links to its record on the Actions page, where the chair or business manager closes it with
evidence of impact or carries it to a named owner."""

from __future__ import annotations

from datetime import date

import streamlit as st

from panel.core.access import Actor
from panel.models import Review
from panel.reviews import closing
from panel.ui.common import day, esc, field_error
from panel.ui.forms import refusals, submit

RULE = ("A review closes once its closure milestone is recorded and every action on its recommendations "
        "is either closed with evidence of impact or carried to a named owner with a reason.")


def close_section(me: Actor, rv: Review, today: date) -> None:
    c = closing.closure(me, rv.reference)
    st.markdown("### Close the review")
    if c.state == "closed":
        st.success("The review is closed" + (f" (closed on {day(c.closed_on)})." if c.closed_on else "."),
                   icon=":material/task_alt:")
        return
    if c.state == "superseded":
        st.caption("An amended decision replaced this review: it is kept, and is not closed.")
        return
    st.caption(RULE)
    if c.blockers:
        st.warning("What stops it closing:\n\n" + "\n".join(f"- {esc(b)}" for b in c.blockers),
                   icon=":material/block:")
        for a in c.actions:
            if not a["settled"]:
                st.page_link("pages/actions.py", label=f"Action {int(a['id'])}: close it or carry it",
                             query_params={"id": str(a["id"])}, icon=":material/checklist:")
    else:
        st.info("Nothing stops it closing.", icon=":material/task_alt:")
    if not me.can("review.edit", rv.partnership_id):
        return
    key = f"close_{rv.reference}"
    errs = refusals(key)
    with st.form(key):
        # Empty until chosen: filled in with today, one stray click would close the review today.
        closed_on = st.date_input("Closed on", value=None, max_value=today, format="DD/MM/YYYY")
        field_error(errs, "closed_on")
        if st.form_submit_button("Close the review"):
            submit(key, lambda: closing.close_review(me, rv.reference, closed_on, rv.version, today),
                   fields=("closed_on",))

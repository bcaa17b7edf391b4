"""The learning explorer's "Found, done and shared" tab (docs/domain.md §7.1): per theme, what was
found, recommended and done, and how many practitioners learning events reached with it.
Rendering only: the figures are panel.learning.reach's, one SQL aggregate."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from panel.ui.common import esc, esc_table

# Short headings whose long words may break (soft hyphens), and the events and practitioners
# reached in one "Shared" cell, so the table fits a 390 px screen as well as a wide one; the
# caption says what each column counts.
NAMES = {"theme": "Theme", "findings": "Find\u00adings", "recommendations": "Recom\u00admend\u00adations",
         "done": "Actions closed", "shared": "Shared"}


def shared(events: int, reached: int) -> str:
    """The "Shared" cell: practitioners reached at how many learning events, or none yet."""
    if not events:
        return "not yet"
    return f"{reached} reached at {events} event{'' if events == 1 else 's'}"


def reach_table(frame: pd.DataFrame) -> None:
    if frame.empty:
        st.info("No learning matches these filters.", icon=":material/info:")
        return
    lead = frame.sort_values(["reached", "events"], ascending=False, kind="stable").iloc[0]
    if int(lead["reached"]):
        st.caption(f"Per theme: findings, recommendations, actions closed with evidence of impact, and the "
                   f"practitioners reached by learning events that shared the theme's reviews or recommendations. "
                   f"“{esc(lead['theme'])}” reached most: {int(lead['reached'])} practitioners at "
                   f"{int(lead['events'])} event(s).")
    else:
        st.caption("Per theme: findings, recommendations and actions closed with evidence of impact. No learning "
                   "event has shared these themes' reviews or recommendations yet: record events on the Learning "
                   "events page.")
    view = frame.assign(shared=[shared(int(e), int(r)) for e, r in zip(frame["events"], frame["reached"], strict=True)])
    view = view[list(NAMES)].rename(columns=NAMES).set_index("Theme")
    st.table(esc_table(view))

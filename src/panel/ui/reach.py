"""The learning explorer's "Found, done and shared" tab (docs/domain.md §7.1): per theme, what was
found, recommended and done, and how many practitioners learning events reached with it.
Rendering only: the figures are panel.learning.reach's, one SQL aggregate."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from panel.ui.common import esc, esc_table

NAMES = {"theme": "Theme", "findings": "Findings", "recommendations": "Recommendations",
         "done": "Actions closed with evidence", "events": "Learning events", "reached": "Practitioners reached"}


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
    view = frame.rename(columns=NAMES).set_index("Theme")
    st.table(esc_table(view))

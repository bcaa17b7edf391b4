"""Review progress tracker: every review's milestones and clocks, most urgent first."""

import altair as alt
import pandas as pd
import streamlit as st

from panel.accounts import service as accounts
from panel.reviews import tracker
from panel.reviews.lifecycle import REVIEW_STATES, RUNNING_STATES
from panel.ui import cached
from panel.ui.a11y import chart_table
from panel.ui.common import DATE_FORMAT, RAG_LABELS, RAG_STYLES, actor, empty_state, header, today

CHART_REVIEWS = 15
STATUS_COLOURS = {  # colour and shape both carry the status (not colour alone)
    "overdue": "#b3261e", "due_soon": "#8a6100", "done_late": "#c05a00", "done": "#1e6b38", "pending": "#5f6b7a"}
STATUS_NAMES = {"overdue": "Overdue", "due_soon": "Due soon", "done_late": "Done late", "done": "Done",
                "pending": "Not yet due"}
LEGEND_HEIGHT = 40 + 22 * len(STATUS_NAMES)  # the legend's title and its entries, in pixels

me = actor()
header("Review tracker", ":material/timeline:",
       "Every review's milestones against their targets. Most urgent first: overdue, then due within "
       "5 working days, then by the next date.")
parts = accounts.partnerships(me, "review.read")
with st.expander("Filters", icon=":material/filter_list:"):
    c1, c2, c3, c4 = st.columns(4)
    types = c1.multiselect("Review type", tracker.type_names(me))
    states = c2.segmented_control("State", list(REVIEW_STATES), default=list(RUNNING_STATES), selection_mode="multi",
                                  format_func=REVIEW_STATES.get,
                                  help="Closed, published and withheld are different states. None chosen: every review.")
    reviewer = c3.text_input("Lead reviewer contains")
    chosen = None
    if len(parts) > 1:
        chosen = c4.multiselect("Partnership", [p.id for p in parts], format_func={p.id: p.name for p in parts}.get)

f = tracker.TrackerFilter(partnership_ids=chosen or None, type_names=types, states=tuple(states or ()),
                          reviewer=reviewer)
with st.spinner("Working out every review's clock…"):
    df = cached.tracker_reviews(me, f, today())
if df.empty:
    empty_state("No reviews match.", "Reviews appear here when the chair signs a decision that opens one; "
                "widen the filters to see closed reviews.")
    st.stop()

m1, m2, m3 = st.columns(3)
m1.metric("Reviews", len(df))
m2.metric("With an overdue milestone", int((df["rag"] == "red").sum()))
m3.metric("Milestone due within 5 working days", int((df["rag"] == "amber").sum()))

top = df.head(CHART_REVIEWS)["reference"].tolist()
tl = cached.tracker_timeline(me, f, today(), top)
if not tl.empty:
    tl = tl.assign(status_name=tl["status"].map(STATUS_NAMES),
                   planned=pd.to_datetime(tl["planned"]), actual=pd.to_datetime(tl["actual"]))
    scale = alt.Scale(domain=list(STATUS_NAMES.values()), range=[STATUS_COLOURS[k] for k in STATUS_NAMES])
    y = alt.Y("review:N", sort=top, title=None)
    span = alt.Chart(tl).mark_rule(color="#c7ccd4").encode(y=y, x="min(planned):T", x2="max(planned):T")
    planned = alt.Chart(tl).mark_point(size=70, filled=False).encode(
        y=y, x=alt.X("planned:T", title="Date"), color=alt.Color("status_name:N", scale=scale, title="Milestone"),
        shape=alt.Shape("status_name:N", title="Milestone"),
        tooltip=["review", "milestone", alt.Tooltip("planned:T", format="%a %-d %b %Y"),
                 alt.Tooltip("actual:T", format="%a %-d %b %Y"), "status_name"])
    actual = alt.Chart(tl.dropna(subset=["actual"])).mark_point(size=40, filled=True, color="#1b2a41").encode(
        y=y, x="actual:T", tooltip=["review", "milestone", alt.Tooltip("actual:T", format="%a %-d %b %Y")])
    now = alt.Chart(pd.DataFrame({"today": [pd.Timestamp(today())]})).mark_rule(
        color="#b3261e", strokeDash=[4, 3]).encode(x="today:T")
    # A row per review, and never shorter than the legend (one entry per status), which one or
    # two reviews' rows would cut off.
    height = max(28 * len(top) + 60, LEGEND_HEIGHT)
    st.altair_chart((span + planned + actual + now).properties(height=height), width="stretch")
    late = tl[tl["status"] == "overdue"]
    st.caption(f"Timeline of the {len(top)} most urgent reviews: hollow marks are targets, coloured and shaped by "
               f"status; filled dots are actual dates; the dashed line is today. {len(late)} milestone(s) are "
               "overdue. The table below lists each review's next milestone.")
    chart_table(tl[["review", "milestone", "planned", "actual", "status_name"]], "The timeline", {
        "review": "Review", "milestone": "Milestone", "planned": "Target", "actual": "Happened",
        "status_name": "Status"})

view = df.assign(rag=df["rag"].map(RAG_LABELS), state=df["state"].map(REVIEW_STATES))
# The clock first, beside the review it belongs to: on a laptop the columns to the right need a
# scroll, so what makes a review urgent must not be among them. One partnership: no column for it.
order = ["reference", "type", "next_milestone", "due", "working_days_left", "rag", "overdue", "state", "linked",
         "lead_reviewer", "started_on"] + (["partnership"] if len(parts) > 1 else [])
event = st.dataframe(
    view.style.map(lambda v: RAG_STYLES.get(v, ""), subset=["rag"]), hide_index=True, width="stretch",
    on_select="rerun", selection_mode="single-row", key="tracker_table", column_order=order,
    column_config={
        # Pinned: scrolling to the columns on the right keeps the review they belong to in view.
        "reference": st.column_config.TextColumn("Review", pinned=True), "partnership": "Partnership", "type": "Type",
        "linked": st.column_config.TextColumn(
            "Linked review", help="A rapid review's LCSPR, or the rapid review whose decision started an LCSPR."),
        "lead_reviewer": "Lead reviewer",
        "started_on": st.column_config.DateColumn("Decided", format=DATE_FORMAT),
        "next_milestone": "Next milestone", "due": st.column_config.DateColumn("Due", format=DATE_FORMAT),
        "working_days_left": st.column_config.NumberColumn("Working days left", help="Negative when overdue"),
        "rag": "Clock", "overdue": st.column_config.NumberColumn("Overdue milestones"), "state": "State"})
rows = event.selection.rows if event and event.selection else []
if rows:
    st.switch_page("pages/review.py", query_params={"ref": df.iloc[rows[0]]["reference"]})
c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
linked = [ref for ref in dict.fromkeys(df["linked"]) if ref and ref not in set(df["reference"])]  # outside the filters
pick = c1.selectbox("Open a review", df["reference"].tolist() + linked, index=None, placeholder="Choose a review from this view",
                    key="tracker_open")
if c2.button("Open review", disabled=pick is None, icon=":material/open_in_new:"):
    st.switch_page("pages/review.py", query_params={"ref": pick})

"""Referral queue: open referrals of the user's partnerships, ordered by the statutory clock."""

import pandas as pd
import streamlit as st

from panel.accounts import service as accounts
from panel.agencies import service as agency_service
from panel.referrals import service as referrals
from panel.referrals import visits
from panel.referrals.rules import ABUSE_OR_NEGLECT, HARM, OPEN_STATUSES, STATUSES
from panel.referrals.visits import NEW_TO_YOU
from panel.ui.common import (
    DATE_FORMAT,
    RAG_LABELS,
    RAG_STYLES,
    actor,
    child_rows,
    day,
    empty_state,
    header,
    today,
)

PAGE_SIZE = 50
me = actor()
header("Referral queue", ":material/inbox:",
       "Open referrals, most urgent statutory clock first: notify within 5 working days of "
       "the authority becoming aware.")

# The user's last visit before this session, read (and this visit recorded) once per session.
since_key = f"queue_since_{me.user_id}"
if since_key not in st.session_state:
    st.session_state[since_key] = visits.visit_queue(me)
since = st.session_state[since_key]

parts = accounts.partnerships(me, "referral.read")
agency_names = agency_service.names(me)

with st.expander("Filters and search", expanded=False, icon=":material/filter_list:"):
    c1, c2, c3 = st.columns(3)
    reference = c1.text_input("Search by reference", placeholder="e.g. NB-2026-014")
    statuses = c2.multiselect("Status", list(STATUSES), default=list(OPEN_STATUSES),
                              format_func=STATUSES.get)
    harm = c3.multiselect("Harm", list(HARM), format_func=HARM.get)
    c4, c5, c6 = st.columns(3)
    agency = c4.selectbox("Agency (referring or involved)", [None, *agency_names],
                          format_func=lambda a: "Any agency" if a is None else agency_names[a])
    received = c5.date_input("Received between", value=(), format="DD/MM/YYYY")
    chosen_parts = None
    if len(parts) > 1:
        chosen_parts = c6.multiselect("Partnership", [p.id for p in parts],
                                      format_func={p.id: p.name for p in parts}.get)

page_no = st.session_state.get("queue_page", 1)
f = referrals.QueueFilter(
    partnership_ids=chosen_parts or None, statuses=tuple(statuses), harm=tuple(harm),
    agency_id=agency, reference=reference,
    received_from=received[0] if len(received) > 0 else None,
    received_to=received[1] if len(received) > 1 else None,
    limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE,
)
df, total = referrals.queue(me, f, today())

if total == 0:
    if statuses == list(OPEN_STATUSES) and not (reference or harm or agency or received):
        empty_state("There are no open referrals. New referrals appear here as they arrive.",
                    "Use **Make a referral** to record one.")
    else:
        empty_state("No referrals match these filters.", "Clear a filter or widen the dates.")
    st.stop()

overdue = int((df["rag"] == "red").sum())
soon = int((df["rag"] == "amber").sum())
m1, m2, m3 = st.columns(3)
m1.metric("Referrals in this view", int(total))
m2.metric("Notification overdue (this page)", int(overdue))
m3.metric("Due within 2 working days (this page)", int(soon))

fresh = visits.new_since(me, list(df["reference"]), since)
if fresh:
    st.caption(f"{len(fresh)} referral{'s' if len(fresh) > 1 else ''} in this view "
               f"{'have' if len(fresh) > 1 else 'has'} arrived since your last visit ({day(since)}), marked "
               "New to you (not the status New, which means not yet triaged).")
view = child_rows(df.assign(new=df["reference"].map(lambda ref: NEW_TO_YOU if ref in fresh else ""),
                            rag=df["rag"].map(RAG_LABELS), harm=df["harm"].map(HARM),
                             abuse_or_neglect=df["abuse_or_neglect"].map(ABUSE_OR_NEGLECT)))
styled = view.style.map(lambda v: RAG_STYLES.get(v, ""), subset=["rag"])
event = st.dataframe(
    styled,
    hide_index=True,
    width="stretch",
    on_select="rerun",
    selection_mode="single-row",
    key="queue_table",
    # What the queue is read for first, in view on a laptop without scrolling the grid sideways: whose
    # referral, from whom, and how its clock stands; the rest after.
    column_order=["new", "reference", "child", "referring_agency", "rag", "working_days_left", "notification_due",
                  "status", "partnership", "received_on", "aware_on", "notified_on", "harm", "abuse_or_neglect"],
    column_config={
        "new": st.column_config.TextColumn(NEW_TO_YOU, width="small", help="Arrived since your last visit"),
        "reference": st.column_config.TextColumn("Reference", help="Choose a row to open it"),
        "partnership": st.column_config.TextColumn("Partnership", width="small"),
        "status": "Status",
        "received_on": st.column_config.DateColumn("Received", format=DATE_FORMAT),
        "aware_on": st.column_config.DateColumn("Aware on", format=DATE_FORMAT),
        "notification_due": st.column_config.DateColumn("Notify by", format=DATE_FORMAT),
        "working_days_left": st.column_config.NumberColumn(
            "Working days left", help="Negative when overdue", format="%d"),
        "rag": st.column_config.TextColumn("Clock", help="Overdue, due within 2 working days, on track, notified, "
                                            "or - when the criteria call for no notification"),
        "notified_on": st.column_config.DateColumn("Notified on", format=DATE_FORMAT),
        "harm": "Harm",
        "abuse_or_neglect": "Abuse or neglect",
        "child": st.column_config.TextColumn("Child", help="Initials and age band only"),
        "referring_agency": "Referring agency",
    },
)
rows = event.selection.rows if event and event.selection else []
if rows:
    st.switch_page("pages/referral.py", query_params={"ref": df.iloc[rows[0]]["reference"]})

# The same choice without a pointer: the grid is a canvas, so keyboard and screen-reader
# users open referrals here, listed in the same clock order.
def clock_label(row) -> str:
    """A clock only while it runs (docs/domain.md §4.5)."""
    if pd.notna(row.notification_due):
        return f"notify by {day(row.notification_due)} ({int(row.working_days_left)} working days)"
    return f"notified {row.notified_on:%a %d %b}" if pd.notna(row.notified_on) else "no notification due"


labels = {row.reference: f"{row.reference}{' · ' + NEW_TO_YOU if row.reference in fresh else ''} · {clock_label(row)} · "
                         f"{row.status}" for row in df.itertuples()}
c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
chosen = c1.selectbox("Open a referral", list(labels), index=None, format_func=labels.get,
                      placeholder="Choose a referral from this view", key="queue_open")
if c2.button("Open referral", disabled=chosen is None, icon=":material/open_in_new:"):
    st.switch_page("pages/referral.py", query_params={"ref": chosen})

pages = max(1, -(-total // PAGE_SIZE))
c1, c2, c3 = st.columns([1, 1, 4])
if pages > 1:
    new_page = c1.number_input("Page", min_value=1, max_value=pages, value=page_no, step=1)
    if new_page != page_no:
        st.session_state["queue_page"] = int(new_page)
        st.rerun()
    c2.caption(f"of {int(pages)}")
c3.caption("Exports include every row of this view and are logged.")

e1, e2, _ = st.columns([1, 1, 4])
e1.download_button("Export CSV", data=lambda: referrals.export_queue(me, f, today(), "csv"),
                   file_name="referral-queue.csv", mime="text/csv", icon=":material/download:")
e2.download_button("Export Excel", data=lambda: referrals.export_queue(me, f, today(), "xlsx"),
                   file_name="referral-queue.xlsx", icon=":material/download:",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

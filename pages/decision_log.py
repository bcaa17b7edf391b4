"""The decision log: every panel decision across meetings, filterable and exportable."""

import streamlit as st

from panel.meetings import service as meetings
from panel.screening import decision_log
from panel.ui.common import DATE_FORMAT, actor, day, empty_state, header

me = actor()
header("Decision log", ":material/gavel:",
       "Every decision the panel has recorded, in and out of meetings, newest first. References only.")
names = meetings.partnership_names(me)
if not names:
    empty_state("There are no decisions for you to see.")
    st.stop()

with st.container(border=True):
    c1, c2, c3, c4 = st.columns([2, 2, 2, 1], vertical_alignment="bottom")
    pids = c1.multiselect("Partnership", list(names), format_func=names.get, key="dl_pids")
    outcomes = c2.multiselect("Outcome", decision_log.outcome_names(me), key="dl_outcomes")
    dates = c3.date_input("Decided between", value=(), format="DD/MM/YYYY", key="dl_dates")
    departs = c4.toggle("Departs only", key="dl_departs")
    meetings_only = c4.toggle("Meetings only", key="dl_meetings")
f = decision_log.LogFilter(partnership_ids=pids or None, outcomes=outcomes,
                           date_from=dates[0] if len(dates) > 0 else None, date_to=dates[1] if len(dates) > 1 else None,
                           departs_only=departs, meetings_only=meetings_only)
df = decision_log.decision_log(me, f)
if df.empty:
    empty_state("No decisions match these filters.")
    st.stop()
st.caption(f"{len(df)} decision(s).")
event = st.dataframe(
    df, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row", key="dl_table",
    # A user of one partnership needs no column saying which.
    column_order=[c for c in df.columns if c != "partnership" or len(names) > 1],
    column_config={"decided_on": st.column_config.DateColumn("Decided", format=DATE_FORMAT),
                   "partnership": "Partnership",
                   "referral": st.column_config.TextColumn("Referral", help="Choose a row to open its screening"),
                   "outcome": "Outcome", "status": st.column_config.TextColumn("Status", width=90), "departs": st.column_config.CheckboxColumn("Departs"),
                   "rationale": "Rationale", "departure_rationale": "Why it departs",
                   "meeting": "Meeting", "version": "Version"})  # not user text: fixed headings
if event and event.selection and event.selection.rows:
    st.switch_page("pages/screening.py", query_params={"ref": df.iloc[event.selection.rows[0]]["referral"]})

# The same choice without a pointer (the grid is a canvas): keyboard and screen-reader users
# open a decision's screening here, in the table's order.
c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
chosen = c1.selectbox("Open a decision", range(len(df)), index=None, key="dl_open",
                      format_func=lambda i: f"{df.iloc[i]['referral']} · {df.iloc[i]['outcome']} · "
                                            f"decided {day(df.iloc[i]['decided_on'])}",
                      placeholder="Choose a decision from this view")
if c2.button("Open screening", disabled=chosen is None, icon=":material/open_in_new:"):
    st.switch_page("pages/screening.py", query_params={"ref": df.iloc[chosen]["referral"]})
if st.button("Prepare Excel export", icon=":material/table_view:"):
    st.session_state["dl_xlsx"] = decision_log.export_decision_log(me, f)
if data := st.session_state.get("dl_xlsx"):
    st.download_button("Download the decision log", data, file_name="decision-log.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       icon=":material/download:")

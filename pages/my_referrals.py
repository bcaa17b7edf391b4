"""My referrals: a referrer sees the progress of the referrals they made, and nothing else."""

import streamlit as st

from panel.referrals import service as referrals
from panel.ui.common import (
    DATE_FORMAT,
    actor,
    child_rows,
    child_text,
    empty_state,
    esc,
    header,
    today,
)

me = actor()
header("My referrals", ":material/assignment_ind:",
       "The referrals you have made and where each has got to. The panel may add a note.")
df = referrals.my_referrals(me, today())
if df.empty:
    empty_state("You have not made any referrals yet.", "Use **Make a referral** to notify the panel of a case.")
    st.stop()

st.dataframe(child_rows(df), hide_index=True, width="stretch",
             column_order=["reference", "child", "status", "outcome", "received_on", "partnership"],
             column_config={
                 "reference": "Reference", "child": st.column_config.TextColumn("Child", help="Initials"),
                 "status": "Status", "outcome": st.column_config.TextColumn(
                     "Outcome", help="The panel's decision, once the chair has signed it"),
                 "received_on": st.column_config.DateColumn("Received", format=DATE_FORMAT),
                 "partnership": "Partnership"})

# The panel's notes in full (a question to answer, or why a referral closed): a table cell cuts them off.
notes = df[df["note from the panel"] != ""]
if not notes.empty:
    st.header("From the panel", anchor=False)
    for row in notes.itertuples():
        st.info(f"**{esc(row.reference)}** ({esc(row.status)}): {esc(child_text(row[-1]))}",
                icon=":material/question_answer:")

"""My referrals: a referrer sees the progress of the referrals they made, and nothing else."""

import streamlit as st

from panel.referrals import service as referrals
from panel.ui.common import DATE_FORMAT, actor, child_rows, empty_state, header, today

me = actor()
header("My referrals", ":material/assignment_ind:",
       "The referrals you have made and where each has got to. The panel may add a note.")
df = referrals.my_referrals(me, today())
if df.empty:
    empty_state("You have not made any referrals yet.", "Use **Make a referral** to notify the panel of a case.")
else:
    st.dataframe(child_rows(df), hide_index=True, width="stretch", column_config={
        "reference": "Reference", "partnership": "Partnership",
        "received_on": st.column_config.DateColumn("Received", format=DATE_FORMAT),
        "status": "Status", "note from the panel": "Note from the panel",
    })

"""The floor for browser timings: a bare Streamlit page with the widgets Panel's queue uses (a
title, a dataframe of the queue's size, a selectbox, an Altair chart) and no sign-in, no
database. Run by the benchmark with `streamlit run bench/bare_page.py`."""

from datetime import date, timedelta

import altair as alt
import pandas as pd
import streamlit as st

ROWS, COLS = 50, 13  # one page of the referral queue
st.title("Bare page", anchor=False)
start = date(2026, 1, 1)
df = pd.DataFrame({f"col{c}": [f"value {r}-{c}" if c % 3 else start + timedelta(days=r) for r in range(ROWS)]
                   for c in range(COLS)})
st.selectbox("Choose a row", list(range(ROWS)), index=None)
st.dataframe(df, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row")
points = pd.DataFrame({"when": pd.to_datetime([start + timedelta(days=7 * i) for i in range(120)]),
                       "row": [f"R{i % 15}" for i in range(120)], "status": [("a", "b", "c")[i % 3] for i in range(120)]})
st.altair_chart(alt.Chart(points).mark_point().encode(x="when:T", y="row:N", color="status:N", shape="status:N"),
                width="stretch")

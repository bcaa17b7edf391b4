"""My account (every signed-in user): what the account holds, changing its password, and its
recent sign-ins, so a stranger's use or guesses can be noticed and reported."""

import pandas as pd
import streamlit as st

from panel.accounts import own
from panel.ui.account import change_password_form
from panel.ui.common import DATETIME_FORMAT, actor, esc, header

me = actor()
header("My account", ":material/account_circle:", "Your own account: no one else's is shown or changed here.")
mine = own.my_account(me)
st.markdown(f"**{esc(mine.name)}** · username {esc(mine.username)} · {esc(mine.email)}")
roles = "; ".join(mine.roles) or "no role in a partnership"
if mine.regional:
    roles += "; regional: anonymised learning of every partnership"
st.markdown(f"Roles: {esc(roles)}")

st.header("Change your password", anchor=False)
st.caption("Changing it signs you out everywhere else (other browsers and devices); you stay signed in here.")
change_password_form(me, done="Your password is changed. Every other sign-in has ended.")

st.header("Recent sign-ins", anchor=False)
events = own.recent_sign_ins(me)
if not events:
    st.info("No sign-ins recorded yet.", icon=":material/info:")
else:
    st.caption("Newest first. A refused sign-in you do not recognise, or a sign-in you did not make: "
               "change your password and tell your administrator.")
    st.dataframe(
        pd.DataFrame([{"when": e.at, "what": e.what, "detail": e.detail or "", "by": e.by} for e in events]),
        hide_index=True, width="stretch",
        column_config={"when": st.column_config.DatetimeColumn("When (UTC)", format=DATETIME_FORMAT),
                       "what": "What", "detail": "Detail", "by": "By"})

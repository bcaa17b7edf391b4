"""Audit log (administrators): search who did or saw what, when; newest first, a page at a time.
Searching and exporting are themselves recorded."""

import streamlit as st

from panel.accounts import audit_log
from panel.accounts import service as accounts
from panel.core.audit_labels import action_label, record_type_label
from panel.ui import cached
from panel.ui.common import (
    DATETIME_FORMAT,
    actor,
    empty_state,
    esc,
    first_view,
    header,
    mark_viewed,
    today,
)

me = actor()
header("Audit log", ":material/policy:",
       "Every change, every view of a referral or review, every export and every sign-in. "
       "Rows cannot be changed or deleted here. Times are UTC. Your searches are recorded too.")
parts = {p.id: f"{p.name} ({p.code})" for p in accounts.partnerships(me, "audit.read")}
if not parts:
    empty_state("Only an administrator can search the audit log.", "Ask your partnership's Panel administrator.")
    st.stop()
actions, kinds = cached.audit_choices(me)

with st.form("audit_filters"):
    c1, c2, c3 = st.columns(3)
    username = c1.text_input("User (username)")
    action = c2.selectbox("Action", [""] + actions, format_func=lambda a: action_label(a) if a else "Any")
    entity = c3.selectbox("Record type", [""] + kinds, format_func=lambda k: record_type_label(k) if k else "Any")
    c4, c5, c6, c7 = st.columns(4)
    reference = c4.text_input("Reference", help="A referral or review reference, or a record number.")
    date_from = c5.date_input("From", value=None, max_value=today(), format="DD/MM/YYYY")
    date_to = c6.date_input("To", value=None, max_value=today(), format="DD/MM/YYYY")
    pid = c7.selectbox("Partnership", [None] + list(parts), format_func=lambda p: parts.get(p, "Any"))
    if st.form_submit_button("Search", icon=":material/search:"):
        st.session_state["audit_filter"] = audit_log.AuditFilter(
            username=username, action=action, entity=entity, reference=reference,
            date_from=date_from, date_to=date_to, partnership_id=pid)
        st.session_state["audit_page"] = 1
        st.session_state.pop("audit_csv", None)

flt = st.session_state.get("audit_filter", audit_log.AuditFilter())
page = st.session_state.get("audit_page", 1)
# A rerun (a click elsewhere) is not a new search: record each distinct search and page once.
asked = f"{flt!r}|{page}"
df, total = audit_log.search(me, flt, page=page, record=first_view("audit_search", asked))
mark_viewed("audit_search", asked)

pages = max(1, -(-total // audit_log.PAGE_SIZE))
st.caption(f"{int(total)} matching rows · page {int(page)} of {int(pages)} · searching for: {esc(flt.describe())}")
if df.empty:
    empty_state("No audit rows match.", "Widen the dates or clear a filter.")
else:
    st.dataframe(audit_log.readable(df), hide_index=True, width="stretch",
                 column_config={"When (UTC)": st.column_config.DatetimeColumn("When (UTC)", format=DATETIME_FORMAT)})
prev, nxt, export = st.columns([1, 1, 4])
if prev.button("Newer", icon=":material/chevron_left:", disabled=page <= 1):
    st.session_state["audit_page"] = page - 1
    st.rerun()
if nxt.button("Older", icon=":material/chevron_right:", disabled=page >= pages):
    st.session_state["audit_page"] = page + 1
    st.rerun()
if export.button("Prepare CSV export", icon=":material/download:", disabled=df.empty,
                 help="Every matching row (not only this page); the export is recorded."):
    st.session_state["audit_csv"] = audit_log.export_csv(me, flt)
if data := st.session_state.get("audit_csv"):
    st.download_button("Download CSV", data, file_name="audit-log.csv", mime="text/csv",
                       on_click="ignore", icon=":material/download:")

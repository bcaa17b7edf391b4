"""Briefing library: the partnership's published 7-minute briefings, anonymised learning for every
partner user to read and share (docs/domain.md §7.3). Downloads are logged."""

import streamlit as st

from panel.learning import library
from panel.learning.library_rules import STATUSES
from panel.ui.common import actor, day, empty_state, esc, header, query_given, query_id

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LIMIT = 200

me = actor()
header("Briefing library", ":material/menu_book:",
       "Published 7-minute briefings of your partnership: one page each, anonymised, for practitioners "
       "to read and share.")
one = query_id("id")  # a briefing linked from its review; None when absent or malformed
if query_given("id") and st.button("Show every briefing", icon=":material/list:"):
    del st.query_params["id"]
    st.rerun()
c1, c2 = st.columns([3, 2])
query = c1.text_input("Search titles and text", key="lib_query", max_chars=200,
                      placeholder="for example: safer sleep, escalation, neglect")
unpublished = me.can("learning.edit") and c2.toggle(
    "Include drafts and approved versions", key="lib_unpublished",
    help="Briefings not yet published, as their newest version. Only those who edit learning see them.")
if query_given("id") and one is None:
    entries = []
else:
    entries = library.list_library(me, query, include_unpublished=unpublished, briefing_id=one, limit=LIMIT + 1)

if not entries:
    if query_given("id"):
        st.error("No published briefing with that number is open to you.", icon=":material/search_off:")
    elif query.strip():
        empty_state("No briefing matches these words.", "Try other words, or clear the search box.")
    else:
        empty_state("No briefings have been published yet.",
                    "Briefings appear here once a panel chair or business manager publishes them from the "
                    "7-minute briefing page.")
    st.stop()

st.caption(f"{int(min(len(entries), LIMIT))} briefing(s), newest first"
           + (f"; the first {LIMIT} are shown: search to narrow them." if len(entries) > LIMIT else "."))
for e in entries[:LIMIT]:
    with st.container(border=True):
        st.markdown(f"**{esc(e.title)}**")
        when = e.published_at or e.saved_at
        st.caption(f"{esc(e.partnership)} · {STATUSES[e.status]} {day(when)} · version {int(e.version_no)}"
                   + (f" · review {esc(e.review_reference)}" if e.review_reference else "")
                   + (f" · {esc(e.source_title)}" if e.source_title else "")
                   + (f" · newer: {esc(e.newer)}" if e.newer else ""))
        st.download_button(f"Download {esc(e.title)} (Word)", data=lambda v=e.version_id: library.download(me, v),
                           file_name=library.file_name(e), mime=DOCX, icon=":material/download:",
                           key=f"lib_dl_{e.version_id}", help="Downloads are logged.")

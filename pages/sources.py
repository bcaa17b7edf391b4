"""Learning sources: learning from case file audits, child death reviews, incident and local
learning reviews, inspections and self-audits, beside what reviews find (docs/domain.md §7.1).
The list with its filters and the form to add one; ?id=N opens one source, its details, its
agencies and grades, and its findings, recommendations and actions."""

import streamlit as st

from panel.accounts import service as accounts
from panel.agencies import service as agency_service
from panel.learning import sources
from panel.ui.common import (
    actor,
    child_text,
    empty_state,
    esc,
    header,
    query_given,
    query_id,
    today,
)
from panel.ui.forms import load_viewed, refusals
from panel.ui.learning_entry import learning_section
from panel.ui.learning_sources import add_source, details, edit_source

me = actor()
header("Learning sources", ":material/library_books:",
       "Learning from beyond case reviews: multi-agency case file audits, child death review learning, child "
       "protection incident reviews, local learning reviews, inspections and self-audits. Each holds its own "
       "findings, recommendations and actions, counted with the reviews' in the explorer and recurring themes.")
parts = accounts.partnerships(me, "learning.read")
if not parts:
    empty_state("There are no learning sources for you to see.",
                "Learning sources are for panel chairs, members and business managers.")
    st.stop()
active = agency_service.names(me, include_retired=False)  # forms offer active agencies

# -- one source ------------------------------------------------------------------------------------
if query_given("id"):
    sid = query_id("id")  # None when malformed: a record that cannot exist
    if sid is None:
        st.error(sources.NOT_FOUND, icon=":material/search_off:")
        st.stop()
    v = load_viewed("learning_source", str(sid), lambda first: sources.get_source(me, sid, record_view=first))
    st.page_link("pages/sources.py", label="All learning sources", icon=":material/arrow_back:")
    st.header(f"{esc(v.source.title)} · {esc(v.partnership_code)}", anchor=False)
    refusals(f"src_{v.source.id}")
    details(v)
    if v.can_edit:
        with st.expander("Change its details", icon=":material/edit:"):
            edit_source(me, v, active, today())
    learning_section(me, source_id=v.source.id, today=today())
    st.stop()

# -- the list --------------------------------------------------------------------------------------
writable = {p.id: p.name for p in parts if me.can("learning.edit", p.id)}
with st.expander("Filters", icon=":material/filter_list:", expanded=True):
    c1, c2, c3 = st.columns(3)
    kind = c1.selectbox("Kind", [None, *sources.SOURCE_KINDS], key="src_kind",
                        format_func=lambda k: "Every kind" if k is None else sources.SOURCE_KINDS[k])
    chosen = None
    if len(parts) > 1:
        names = {p.id: p.name for p in parts}
        chosen = c3.multiselect("Partnership", list(names), format_func=names.get, key="src_parts") or None
    year = c2.selectbox("Year", [None, *sources.source_years(me, chosen)], key="src_year",
                        format_func=lambda y: "Every year" if y is None else str(y),
                        help="The year it was completed, or started if it is still going on.")
df = sources.list_sources(me, sources.SourceFilter(partnership_ids=chosen, kind=kind, year=year))
if df.empty and kind is None and year is None:
    empty_state("No learning sources recorded yet.",
                "Start with the learning your partnership already acts on: the latest multi-agency case file "
                "audit (its topic, the agencies and their grades), learning the child death overview panel "
                "passed on, or the last inspection. Then add what each found and recommended on its page.")
elif df.empty:
    empty_state("No learning sources match these filters.", "Choose every kind and every year.")
else:
    # A reference may be a case's number (a CDOP's): hidden when presenting. None is left blank,
    # not shown as "None".
    view = df.assign(kind=df["kind"].map(sources.SOURCE_KINDS),
                     reference=[child_text(r) if isinstance(r, str) and r else "" for r in df["reference"]])
    columns = ["title", "kind", "year", "reference", "agencies", "findings", "recommendations"]
    if len(parts) > 1:
        columns.insert(0, "partnership")
    event = st.dataframe(view[columns], hide_index=True, width="stretch", on_select="rerun",
                         selection_mode="single-row", key="src_table",
                         column_config={"partnership": "Partnership", "title": "Title", "kind": "Kind",
                                        "year": st.column_config.NumberColumn("Year", format="%d"),
                                        "reference": "Reference", "agencies": "Agencies", "findings": "Findings",
                                        "recommendations": "Recommendations"})
    rows = event.selection.rows if event and event.selection else []
    labels = {int(r.id): f"{r.title} · {sources.SOURCE_KINDS.get(r.kind, r.kind)}" for r in df.itertuples()}
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    picked = c1.selectbox("Open a learning source", list(labels), format_func=labels.get, index=None,
                          placeholder="Choose a learning source", key="src_open")
    go = c2.button("Open", type="primary", key="src_open_go", disabled=picked is None)
    opened = int(df.iloc[rows[0]]["id"]) if rows else picked if go else None
    if opened is not None:
        st.query_params["id"] = str(opened)
        st.rerun()

if writable:
    with st.expander("Record a learning source", icon=":material/add:", expanded=df.empty):
        add_source(me, writable, active, today())

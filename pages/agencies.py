"""Agencies: the organisations every partnership of this installation works with (administrators).

Added, renamed, merged and retired here; forms across Panel offer the active ones. A retired
agency stays on the records that name it.
"""

import pandas as pd
import streamlit as st

from panel.agencies import rules
from panel.agencies import service as agency_service
from panel.ui import forms
from panel.ui.common import actor, empty_state, esc, field_error, header, in_sentence

me = actor()
header("Agencies", ":material/domain:",
       "The agencies your partnerships work with. Forms offer the active ones; a retired agency stays "
       "on the records that name it.")
if not me.can(agency_service.PERMISSION):
    empty_state("Only an administrator can change the list of agencies.")
    st.stop()

every = agency_service.list_agencies(me, include_retired=True)
kinds = list(rules.KINDS)
if every:
    frame = pd.DataFrame([{"Name": a.name, "Kind": rules.kind_label(a.kind),
                           "Statutory partner": "Yes" if a.statutory else "",
                           "Status": "Active" if a.active else "Retired"} for a in every])
    st.dataframe(frame, hide_index=True, width="stretch")
    missing = [k for k in sorted(rules.STATUTORY_KINDS)
               if not any(a.statutory and a.active and a.kind == k for a in every)]
    if missing:
        st.warning("Not yet marked: the statutory partner for "
                   + ", ".join(in_sentence(rules.KIND_LABELS[k]) for k in missing) + ".", icon=":material/flag:")
else:
    empty_state("No agencies yet.", "Add them below one by one, or import a list (name, kind, statutory).")

st.header("Add an agency", anchor=False)
errs = forms.refusals("ag_add")
with st.form("ag_add", clear_on_submit=True):
    c1, c2, c3 = st.columns([3, 2, 1.5], vertical_alignment="bottom")
    with c1:
        name = st.text_input("Name", max_chars=rules.NAME_MAX, key="ag_add_name")
        field_error(errs, "name")
    with c2:
        kind = st.selectbox("Kind", kinds, format_func=rules.KIND_LABELS.get, index=None, key="ag_add_kind")
        field_error(errs, "kind")
    with c3:
        statutory = st.checkbox("Statutory partner", key="ag_add_statutory",
                                help="The local authority, the police or the integrated care board.")
        field_error(errs, "statutory")
    if st.form_submit_button("Add agency", type="primary"):
        forms.submit("ag_add", lambda: agency_service.add_agency(me, name, kind or "", statutory),
                     fields={"name", "kind", "statutory"}, done=f"Added {name.strip()}.")

if every:
    by_id = {a.id: a for a in every}
    label = lambda i: by_id[i].name + ("" if by_id[i].active else " (retired)")  # noqa: E731
    st.header("Rename or change an agency", anchor=False)
    chosen = st.selectbox("Agency", list(by_id), format_func=label, key="ag_edit_pick")
    a = by_id[chosen]
    errs = forms.refusals("ag_edit")
    with st.form(f"ag_edit_{a.id}"):
        c1, c2, c3 = st.columns([3, 2, 1.5], vertical_alignment="bottom")
        with c1:
            new_name = st.text_input("New name", value=a.name, max_chars=rules.NAME_MAX)
            field_error(errs, "name")
        with c2:
            new_kind = st.selectbox("Kind ", kinds, format_func=rules.KIND_LABELS.get,
                                    index=kinds.index(a.kind) if a.kind in kinds else None)
            field_error(errs, "kind")
        with c3:
            new_statutory = st.checkbox("Statutory partner ", value=a.statutory)
            field_error(errs, "statutory")
        b1, b2 = st.columns(2)
        if b1.form_submit_button("Save changes", type="primary"):
            forms.submit("ag_edit", lambda: agency_service.update_agency(
                me, a.id, name=new_name, kind=new_kind or "", statutory=new_statutory),
                fields={"name", "kind", "statutory"}, done="Saved.")
        if b2.form_submit_button("Bring back into use" if not a.active else "Retire this agency"):
            forms.submit("ag_edit", lambda: agency_service.set_active(me, a.id, not a.active),
                         done=f"{a.name} is {'active again' if not a.active else 'retired'}.")

    st.header("Merge two agencies", anchor=False)
    st.caption("Every record naming the first agency is moved to the second; the first is retired. "
               "Refused, naming the records, where a record names both.")
    errs = forms.refusals("ag_merge")
    with st.form("ag_merge"):
        c1, c2 = st.columns(2)
        with c1:
            source = st.selectbox("Merge this agency", list(by_id), format_func=label, index=None)
            field_error(errs, "source")
        with c2:
            target = st.selectbox("into", [i for i in by_id if by_id[i].active], format_func=label, index=None)
            field_error(errs, "target")
        if st.form_submit_button("Merge"):
            forms.submit("ag_merge", lambda: agency_service.merge_agencies(me, source, target),
                         fields={"source", "target"}, done="Merged.")

st.header("Import a list", anchor=False)
st.caption("A CSV or Excel file with a header row: name, kind (local authority, police, health, education, "
           "other) and statutory (yes or no). Every row is checked; one problem and nothing is added.")
errs = forms.refusals("ag_import")
upload = st.file_uploader("Agency list (.csv or .xlsx)", type=["csv", "xlsx"], key="ag_list")
if upload is not None and st.button("Add the agencies in this list", key="ag_list_go"):
    result = agency_service.import_agencies(me, upload.getvalue(), upload.name)
    if result.problems:
        st.error("Nothing was added:\n\n" + "\n".join(f"- {esc(p)}" for p in result.problems),
                 icon=":material/error:")
    else:
        st.success(esc(f"Added {result.added} agencies."), icon=":material/check:")

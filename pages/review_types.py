"""Review types: each partnership's outcomes and their milestones, edited by an administrator."""

import json

import pandas as pd
import streamlit as st

from panel.accounts import service as accounts
from panel.reviews import types_service as review_types
from panel.reviews.types import ANCHORS, UNITS
from panel.ui.common import actor, empty_state, esc, field_error, header
from panel.ui.forms import refusals, submit

me = actor()
header("Review types", ":material/tune:",
       "The outcomes the panel can decide and each review's milestones with target offsets. "
       "Changes apply to reviews created after saving; existing reviews keep their planned dates.")
parts = accounts.partnerships(me, "review_type.manage")
if not parts:
    empty_state("You do not administer any partnership.")
    st.stop()
names = {p.id: p.name for p in parts}
pid = st.selectbox("Partnership", list(names), format_func=names.get)
types = review_types.list_types(me, pid) if pid else []
if not types:
    empty_state("This partnership has no review types yet.", "Run `panel create-partnership` to seed the defaults.")
    st.stop()
by_id = {t.id: t for t in types}
tid = st.selectbox("Review type", list(by_id), format_func=lambda i: f"{by_id[i].name} ({by_id[i].regime})")
t = by_id[tid]
st.caption(f"Statutory: {'yes' if t.statutory else 'no'} · consistent with the criteria routes: {esc(t.routes)}")

MILESTONE_FIELDS = ("key", "name", "offset", "unit", "anchor")
errors = refusals("rt")
with st.form(f"rt_{t.id}_{t.version}"):
    name = st.text_input("Name", value=t.name, max_chars=120)
    field_error(errors, "name")
    description = st.text_area("Description", value=t.description)
    active = st.toggle("In use", value=t.active)
    frame = pd.DataFrame(json.loads(t.milestones))
    edited = st.data_editor(
        frame, num_rows="dynamic", hide_index=True, width="stretch", key=f"rt_editor_{t.id}",
        column_config={
            "key": st.column_config.TextColumn("Key", required=True, help="snake_case, unique"),
            "name": st.column_config.TextColumn("Milestone", required=True),
            "offset": st.column_config.NumberColumn("Offset", min_value=0, step=1, required=True),
            "unit": st.column_config.SelectboxColumn("Unit", options=list(UNITS), required=True),
            "anchor": st.column_config.SelectboxColumn("Counted from", options=list(ANCHORS), required=True),
            "statutory": st.column_config.CheckboxColumn("Statutory"),
            "help": st.column_config.TextColumn("Why this target"),
        })
    for field, msg in errors.items():  # the milestones' problems beneath the table, each named by its row
        if field.startswith("milestones"):
            st.error(f"{esc(field)}: {esc(msg)}")
    if st.form_submit_button("Save review type", type="primary"):
        rows = [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in edited.to_dict("records")]
        for row in rows:
            row["offset"] = int(row["offset"]) if row.get("offset") is not None else -1
            row["statutory"] = bool(row.get("statutory"))
            row["help"] = row.get("help") or ""
        on_form = {"name", "milestones", *(f"milestones[{i}].{f}" for i in range(len(rows)) for f in MILESTONE_FIELDS)}
        submit("rt", lambda: review_types.update_type(me, t.id, name=name, description=description, milestones=rows,
                                                      active=active, expected_version=t.version),
               fields=on_form, rerun=False)
        st.toast("Review type saved", icon=":material/check:")
        st.rerun()

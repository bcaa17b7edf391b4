"""Review types: each partnership's outcomes and their milestones, edited by an administrator."""

import json

import pandas as pd
import streamlit as st

from panel.accounts import service as accounts
from panel.reviews import types_service as review_types
from panel.reviews.types import ANCHOR_LABELS, ANCHORS, REGIMES, UNIT_LABELS, UNITS
from panel.screening.rules import ROUTE_NAMES, ROUTES
from panel.ui.common import actor, empty_state, esc, field_error, header
from panel.ui.drafting import headings_section
from panel.ui.forms import refusals, submit

# One milestone table, whether editing a review type or adding one.
MILESTONE_COLUMNS = {
    "key": st.column_config.TextColumn("Key", required=True, help="snake_case, unique"),
    "name": st.column_config.TextColumn("Milestone", required=True),
    "offset": st.column_config.NumberColumn("Offset", min_value=0, step=1, required=True),
    "unit": st.column_config.SelectboxColumn("Unit", options=list(UNITS), required=True, format_func=UNIT_LABELS.get),
    "anchor": st.column_config.SelectboxColumn("Counted from", options=list(ANCHORS), required=True,
                                               format_func=ANCHOR_LABELS.get),
    "statutory": st.column_config.CheckboxColumn("Statutory"),
    "help": st.column_config.TextColumn("Why this target"),
}

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
types = review_types.list_types(me, pid, include_retired=True) if pid else []
if not types:
    empty_state("This partnership has no review types yet.", "Run `panel create-partnership` to seed the defaults.")
    st.stop()
by_id = {t.id: t for t in types}
tid = st.selectbox("Review type", list(by_id), key="rt_pick", format_func=lambda i: f"{by_id[i].name} ({by_id[i].regime})"
                   + ("" if by_id[i].active else " (retired)"))
t = by_id[tid]
routes = ", ".join(ROUTE_NAMES.get(r, r) for r in t.routes.split(",") if r) or "none"
st.caption(f"Statutory: {'yes' if t.statutory else 'no'} · consistent with the criteria routes: {esc(routes)}")

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
        column_config=MILESTONE_COLUMNS)
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

delete_errors = refusals("rt_delete")
field_error(delete_errors, "type")
if st.button("Delete this review type", key="rt_delete_go",
             help="Only a type no decision or review uses; retire one in use (turn off In use) instead."):
    submit("rt_delete", lambda: review_types.delete_type(me, t.id), fields={"type"},
           done="Review type deleted.")

st.divider()
st.header("Add a review type", anchor=False)
st.caption("A kind of review of your own, beside the defaults: statutory or local, under one regime, "
           "with milestones counted in working days or months from the decision (or the notification).")
add_errors = refusals("rt_add")
with st.form(f"rt_add_{pid}"):
    a1, a2 = st.columns([3, 1])
    with a1:
        new_name = st.text_input("Name of the review type", max_chars=120, key="rt_add_name")
        field_error(add_errors, "name")
    with a2:
        new_regime = st.selectbox("Regime", list(REGIMES), index=len(REGIMES) - 1, key="rt_add_regime")
        field_error(add_errors, "regime")
    new_statutory = st.radio("Statutory or local", [False, True], horizontal=True, key="rt_add_statutory",
                             format_func=lambda v: "Statutory (required by law)" if v else "Local practice")
    new_routes = st.multiselect("Counts in: the criteria outcomes it answers", list(ROUTES), key="rt_add_routes",
                                format_func=ROUTE_NAMES.get,
                                help="A decision choosing this type where the criteria point elsewhere is "
                                     "recorded as a departure, with its rationale, in the decision log.")
    field_error(add_errors, "routes")
    new_creates = st.toggle("Starts a review with milestones", value=True, key="rt_add_creates")
    new_description = st.text_area("Description", key="rt_add_description")
    new_frame = pd.DataFrame(columns=["key", "name", "offset", "unit", "anchor", "statutory", "help"])
    new_milestones = st.data_editor(
        new_frame, num_rows="dynamic", hide_index=True, width="stretch", key=f"rt_add_editor_{pid}",
        column_config=MILESTONE_COLUMNS)
    for field, msg in add_errors.items():  # each milestone's problem, named by its row
        if field.startswith("milestones"):
            st.error(f"{esc(field)}: {esc(msg)}")
    if st.form_submit_button("Add review type", type="primary"):
        rows = [{k: (None if pd.isna(v) else v) for k, v in row.items()}
                for row in new_milestones.to_dict("records")]
        for row in rows:
            row["offset"] = int(row["offset"]) if row.get("offset") is not None else -1
            row["anchor"] = row.get("anchor") or "decision"
            row["statutory"] = bool(row.get("statutory"))
            row["help"] = row.get("help") or ""
        fields = {"name", "regime", "routes", "milestones",
                  *(f"milestones[{i}].{f}" for i in range(len(rows)) for f in MILESTONE_FIELDS)}
        submit("rt_add", lambda: review_types.add_type(
            me, pid, name=new_name, regime=new_regime, statutory=new_statutory, routes=new_routes,
            creates_review=new_creates, description=new_description, milestones=rows),
            fields=fields, done="Review type added.")

st.divider()
headings_section(me, pid)  # docs/domain.md §11

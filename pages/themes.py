"""Themes (administrators): the learning-theme taxonomy. Add, rename and merge themes; history
is kept (a merged theme stays, inactive, pointing at the theme it became)."""

import streamlit as st

from panel.core.errors import ValidationFailed
from panel.themes import service as themes
from panel.ui.common import actor, empty_state, esc, header
from panel.ui.forms import refusals, submit

me = actor()
header("Themes", ":material/label:",
       "The learning themes findings, recommendations, reviews and referrals are tagged with. Local themes "
       "(from the partnership's own learning and monitoring) are each counted under a national theme.")
if not me.can(themes.ADMIN_PERMISSION):
    empty_state("Only administrators manage the themes.")
    st.stop()

if msg := st.session_state.pop("themes_msg", None):
    st.success(esc(msg), icon=":material/check:")


def done(message: str) -> None:
    st.session_state["themes_msg"] = message
    st.rerun()


show_all = st.toggle("Show merged and retired themes", key="themes_all")
df = themes.list_themes(me, include_inactive=show_all)
if df.empty:
    empty_state("There are no themes yet.", "Load the default taxonomy: the national themes and the local themes "
                "from the partnership's key learning and monitored areas.")
    if st.button("Load the default themes", type="primary"):
        added = themes.seed_defaults(me)
        done(f"{added} default themes loaded.")
    st.stop()

active = df[df["active"]]
n_nat = int((active["kind"] == "national").sum())
st.caption(f"{len(active)} themes in use: {int(n_nat)} national, {len(active) - n_nat} local."
           + (f" {len(df) - len(active)} merged or retired." if show_all else ""))
st.dataframe(df.assign(kind=df["kind"].map(themes.KINDS)), hide_index=True, width="stretch",
             column_config={"id": None, "name": "Theme", "kind": "Kind", "national": "Counted under",
                            "active": st.column_config.CheckboxColumn("In use"), "merged_into": "Merged into",
                            "tags": st.column_config.NumberColumn("Tags", help="Reviews, findings, recommendations "
                                                                  "and referrals carrying the theme"),
                            "description": st.column_config.TextColumn("Description", width="large")})

names = dict(zip(active["id"].tolist(), active["name"].tolist(), strict=True))
nationals = {i: n for i, n, k in zip(active["id"], active["name"], active["kind"], strict=True) if k == "national"}
add_tab, rename_tab, merge_tab = st.tabs(["Add a theme", "Rename", "Merge"])

with add_tab, st.form("theme_add", clear_on_submit=False):
    name = st.text_input("Name", max_chars=120)
    kind = st.radio("Kind", list(themes.KINDS), format_func=themes.KINDS.get, horizontal=True, index=1)
    national = st.selectbox("Counted under (for a local theme)", list(nationals), index=None,
                            format_func=nationals.get, placeholder="Choose a national theme")
    description = st.text_area("Description", max_chars=1000)
    if st.form_submit_button("Add theme", type="primary"):
        submit("theme_add", themes.add_theme, me, name, kind, national, description, rerun=False)
        done(f"Theme “{name.strip()}” added.")
    refusals("theme_add")  # beneath the button: why the theme was not added

with rename_tab, st.form("theme_rename"):
    tid = st.selectbox("Theme", list(names), format_func=names.get, index=None, placeholder="Choose a theme",
                       key="rename_theme")
    new_name = st.text_input("New name", max_chars=120)
    st.caption("The theme keeps its number, so everything tagged with it keeps the theme under its new name. "
               "The old name stays in the audit history.")
    if st.form_submit_button("Rename theme", type="primary"):
        def rename() -> None:
            if tid is None:
                raise ValidationFailed({"theme": "Choose the theme to rename."})
            themes.rename_theme(me, tid, new_name)
        submit("theme_rename", rename, rerun=False)
        done(f"“{names[tid]}” renamed to “{' '.join(new_name.split())}”.")
    refusals("theme_rename")

with merge_tab, st.form("theme_merge"):
    st.caption("Merging moves every tag of the first theme to the second. The first theme is kept, no longer in "
               "use, marked as merged, so history still makes sense. A merge that would lose tags (something "
               "carries both themes) is refused.")
    source = st.selectbox("Merge this theme", list(names), format_func=names.get, index=None,
                          placeholder="Choose the theme to merge away", key="merge_source")
    target = st.selectbox("into this theme", list(names), format_func=names.get, index=None,
                          placeholder="Choose the theme it becomes", key="merge_target")
    sure = st.checkbox("I understand the first theme will no longer be in use", key="merge_sure")
    if st.form_submit_button("Merge themes", type="primary"):
        def merge() -> int:
            if source is None or target is None:
                raise ValidationFailed({"theme": "Choose both themes."})
            if not sure:
                raise ValidationFailed({"confirm": "Tick the box to confirm the merge."})
            return themes.merge_themes(me, source, target)
        moved = submit("theme_merge", merge, rerun=False)
        done(f"“{names[source]}” merged into “{names[target]}”: {moved} tag(s) moved.")
    refusals("theme_merge")

"""7-minute briefing: a one-page learning summary for a review, drafted from its record, edited
here, checked for anything that identifies the child, then downloaded as a Word document, or saved,
approved and published to the Briefing library (docs/domain.md §7.3)."""

import hashlib

import streamlit as st

from panel.core import anonymise
from panel.learning import briefings, library
from panel.learning.briefing import SECTIONS, fits_one_page, numbered_heading
from panel.learning.library_rules import TITLE_MAX, check
from panel.ui.briefing_library import library_section
from panel.ui.common import (
    actor,
    empty_state,
    esc,
    field_error,
    first_view,
    header,
    mark_viewed,
    presenting,
    query_given,
    query_ref,
)
from panel.ui.forms import load_or_stop, or_none, refusals

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
HEIGHTS = {"background": 110, "why_it_matters": 110, "things_to_remember": 120, "what_to_do": 160}


me = actor()
header("7-minute briefing", ":material/article:",
       "A one-page learning summary in seven short sections, drafted from the review's record. Edit it here: "
       "the anonymisation check runs on your text before you download it, save it or publish it to the "
       "Briefing library.")
reviews = briefings.choices(me)
if not reviews:
    empty_state("There are no reviews for you to write a briefing for.",
                "7-minute briefings are written by panel chairs, members and business managers.")
    st.stop()

labels = {r["reference"]: f"{r['reference']} · {r['type']} ({r['year']})" for r in reviews}
refs = list(labels)
wanted = query_ref("ref")  # None when absent or malformed
if wanted is None and query_given("ref"):
    st.error(briefings.NOT_FOUND, icon=":material/search_off:")
    st.stop()
if wanted and wanted not in labels:
    refs.insert(0, wanted)  # opened by link: the service decides whether it is open to this user
ref = st.selectbox("Review", refs, index=refs.index(wanted) if wanted else None, format_func=lambda r: labels.get(r, r),
                   placeholder="Choose a review", key="brief_ref")
if ref is None:
    st.info("Choose a review to draft its briefing.", icon=":material/info:")
    st.stop()
if query_ref("ref") != ref:
    st.query_params["ref"] = ref

d, ids = load_or_stop(lambda: (briefings.draft(me, ref, record_view=first_view("briefing", ref)),
                                briefings.identifiers_for_review(me, ref)))
mark_viewed("briefing", ref)
kept = or_none(lambda: library.history(me, ref))  # its saved versions, newest first
latest = kept.latest if kept else None
# Where this editor's text began: the record, or the newest version saved then (a save names it,
# so one made meanwhile by someone else is refused, not overwritten).
ed_key = f"brief_{ref}_began"
began = st.session_state.setdefault(ed_key, {"from": "saved" if latest else "record",
                                            "after": latest.version_no if latest else 0})
start = latest if latest and began["from"] == "saved" else None
defaults = start.sections if start else d.sections

st.header(esc(d.title), anchor=False)
st.caption(f"{esc(d.partnership_name)} · the record holds {int(d.findings)} finding(s) and {int(d.recommendations)} "
           "recommendation(s). Refer to the child as Child X.")
if d.findings == 0:
    st.info("The review's record has no findings yet: write the key findings in sections 3 to 5.",
            icon=":material/edit_note:")
keys = {k: f"brief_{ref}_{k}" for k, _ in SECTIONS}
title_key = f"brief_{ref}_title"
c1, c2 = st.columns(2)
if c1.button("Start again from the record", icon=":material/restart_alt:",
             help="Replaces your edits with the draft from the review's record."):
    for wkey in [*keys.values(), title_key]:
        st.session_state.pop(wkey, None)
    st.session_state[ed_key] = {**began, "from": "record"}
    st.rerun()
if latest and began["after"] != latest.version_no:
    st.warning(f"Version {int(latest.version_no)} was saved by {esc(latest.created_by)} after you began editing: "
               "load it to go on from there (copy anything of yours you want to keep first).",
               icon=":material/sync_problem:")
    if c2.button(f"Load version {int(latest.version_no)}", icon=":material/sync:"):
        for wkey in [*keys.values(), title_key]:
            st.session_state.pop(wkey, None)
        st.session_state[ed_key] = {"from": "saved", "after": latest.version_no}
        st.rerun()

errs = refusals("brief_lib")  # what the library refused: beside the sections, and the rest here
title = st.session_state.get(title_key, start.title if start else d.title)
sections: dict[str, str] = {k: st.session_state.get(keys[k], defaults[k]) for k, _ in SECTIONS}
if presenting() and check(title, sections, ids):
    # The text holds what may identify the child, and a text box shows it as typed: not on a
    # shared screen. The edits are kept (a widget's value is dropped on a run that does not
    # draw it) for when presentation mode is off.
    for wkey in [*keys.values(), title_key]:
        if wkey in st.session_state:
            st.session_state[wkey] = st.session_state[wkey]
    st.info("The briefing's text is not shown in presentation mode: it holds possible identifiers of the "
            "child (see the check below). Turn presentation mode off to edit it; your edits are kept.",
            icon=":material/visibility_off:")
else:
    title = st.text_input("Title", value=start.title if start else d.title, key=title_key, max_chars=TITLE_MAX,
                          help="The title the Briefing library lists it under.")
    field_error(errs, "title")
    for k, _ in SECTIONS:
        sections[k] = st.text_area(numbered_heading(k), value=defaults[k], key=keys[k],  # not user text: SECTIONS
                                   height=HEIGHTS.get(k, 130), help="Lines starting with '- ' become bullet points.")
        field_error(errs, k)

st.markdown("### Anonymisation check")
st.caption("Looks for the child's initials, date of birth and the names recorded on the case. It cannot find "
           "everything: read the whole text before you circulate it.")
hits = check(title, sections, ids)
acknowledged = True
if not hits:
    st.success("No initials, date of birth or names recorded on the case were found.", icon=":material/check:")
else:
    st.warning(f"{len(hits)} possible identifier(s) found. Replace them with \"Child X\" or remove them "
               "before you circulate the briefing.", icon=":material/warning:")
    for h in hits:
        where, text = ("Title", title) if h.section == "title" else (numbered_heading(h.section), sections[h.section])
        st.warning(f"**{esc(where)}**, at character {h.start + 1}: {esc(h.why)} "
                   + ("(what was found is hidden in presentation mode)" if presenting() else
                      f"Found \"{esc(h.matched)}\" in: {esc(anonymise.excerpt(text, h))}"),
                   icon=":material/visibility:")
    # The tick is for these warnings: a new or moved one asks for it again.
    seen = hashlib.sha256(repr([(h.section, h.start, h.matched) for h in hits]).encode()).hexdigest()[:12]
    acknowledged = st.checkbox("I have checked the anonymisation warnings", key=f"brief_{ref}_ack_{seen}")
if not fits_one_page(sections):
    st.warning("The text is long and may run over one page: a 7-minute briefing is read in seven minutes.",
               icon=":material/height:")

snapshot = dict(sections)
st.download_button("Download briefing (Word)", data=lambda: briefings.build(me, ref, snapshot)[0],
                   file_name=f"7-minute-briefing-{ref}.docx", mime=DOCX, type="primary",
                   icon=":material/download:", disabled=not acknowledged,
                   help="Downloads are logged." if acknowledged else "Tick that you have checked the warnings first.")
library_section(me, ref, kept, title, sections, bool(hits), ed_key)

"""The 7-minute briefing page's library section (docs/domain.md §7.3): save the text as a draft,
approve it once the anonymisation check is clear, publish it, and the version history; and the
learning explorer's list of the published briefings of the learning it shows. Rendering only: the
rules are panel.learning.library's."""

from __future__ import annotations

import streamlit as st

from panel.core.access import Actor
from panel.learning import library
from panel.learning.briefing import SECTION_KEYS
from panel.learning.explore import LearningFilter
from panel.learning.library_rules import STATUSES
from panel.ui.common import DATETIME_FORMAT, day, empty_state, esc
from panel.ui.forms import note_done, submit

FORM = "brief_lib"
FIELDS = {"title", *SECTION_KEYS}
HOW = ("Save the text to keep it as a draft. A panel chair or business manager approves the newest draft once "
       "the anonymisation check finds nothing, then publishes it to the Briefing library, where every partner "
       "user of the partnership, referrers included, can read it.")


def _save(me: Actor, ref: str, title: str, sections: dict[str, str], began_key: str) -> None:
    """Save as a version after the one this editor began from; from then on they edit the saved one."""
    after = st.session_state[began_key]["after"]
    no = submit(FORM, library.save_draft, me, ref, title, sections, after, fields=FIELDS, rerun=False)
    st.session_state[began_key] = {"from": "saved", "after": no}
    note_done(FORM, f"Saved as version {no}.")
    st.rerun()


def library_section(me: Actor, ref: str, kept: library.History | None, title: str, sections: dict[str, str],
                    has_hits: bool, began_key: str) -> None:
    """`began_key`: the session key holding where the editor's text began ({"from", "after"})."""
    if kept is None:
        return
    st.markdown("### The Briefing library")
    st.caption(HOW)
    latest, published = kept.latest, kept.published
    approver = me.can("briefing.approve", kept.partnership_id)
    changed = not library.unchanged(latest, title, sections)
    c1, c2, c3, c4 = st.columns(4)
    if c1.button("Save draft", icon=":material/save:", disabled=not changed, key="brief_save",
                 help="Saves the text above as a new version." if changed else "Nothing has changed since the last save."):
        _save(me, ref, title, sections, began_key)
    if latest and latest.status == "draft" and approver:
        if c2.button(f"Approve version {int(latest.version_no)}", icon=":material/verified:", key="brief_approve",
                     disabled=changed or has_hits,
                     help="Save your changes first: a saved version is approved." if changed else
                     "Clear the anonymisation warnings first." if has_hits else
                     "Approves the saved text for publishing."):
            submit(FORM, library.approve, me, latest.id, fields=FIELDS,
                   done=f"Version {latest.version_no} approved: it can now be published.")
    after = published.version_no if published else 0
    ready = next((v for v in kept.versions if v.status == "approved" and v.version_no > after), None)
    if ready and approver and c3.button(f"Publish version {int(ready.version_no)}", icon=":material/publish:",
                                        key="brief_publish", type="primary",
                                        help="Every partner user of the partnership can then read it in the library."):
        submit(FORM, library.publish, me, ready.id, fields=FIELDS,
               done=f"Version {ready.version_no} published to the Briefing library.")
    if published and approver and c4.button(f"Withdraw version {int(published.version_no)}", icon=":material/unpublished:",
                                            key="brief_withdraw", help="Takes it out of the library; the history keeps it."):
        submit(FORM, library.withdraw, me, published.id, done=f"Version {published.version_no} withdrawn.")
    if not approver:
        st.caption("A panel chair or business manager approves and publishes a briefing.")
    if latest and changed:
        st.caption(f"The text above differs from version {int(latest.version_no)}, the newest saved.")
    if published:
        st.page_link("pages/library.py", label="Open it in the Briefing library", icon=":material/menu_book:",
                     query_params={"id": str(kept.briefing_id)})
    if not kept.versions:
        st.caption("Not saved yet: nothing is kept until you save a draft.")
        return
    st.dataframe([{"version": v.version_no, "status": STATUSES[v.status], "saved_by": v.created_by,
                   "saved": v.created_at, "approved_by": v.approved_by, "approved": v.approved_at,
                   "published": v.published_at} for v in kept.versions],
                 hide_index=True, width="stretch", key="brief_versions", column_config={
                     "version": "Version", "status": "Status", "saved_by": "Saved by",
                     "saved": st.column_config.DatetimeColumn("Saved (UTC)", format=DATETIME_FORMAT),
                     "approved_by": "Approved by",
                     "approved": st.column_config.DatetimeColumn("Approved (UTC)", format=DATETIME_FORMAT),
                     "published": st.column_config.DatetimeColumn("Published (UTC)", format=DATETIME_FORMAT)})


EXPLORER_SHOWN = 10  # the explorer lists this many of the newest published briefings


def published_briefings(me: Actor, f: LearningFilter, theme: str | None) -> None:
    """The learning explorer's "Published briefings": the newest published briefings of the
    reviews and learning sources whose learning the filters show, each linked to the library.
    Nothing at all for a user who does not read briefings."""
    if not me.partnerships_with("briefing.read", f.partnership_ids):
        return
    found = library.published_for_learning(me, f, theme, limit=EXPLORER_SHOWN)
    st.header("Published briefings", anchor=False)
    if not found.total:
        empty_state("No 7-minute briefing is published for this selection yet.",
                    "Draft one on the 7-minute briefing page, under Learning in the menu (a review's page links "
                    "it as “Write its 7-minute briefing”); a panel chair or business manager then publishes it "
                    "to the Briefing library.")
        return
    several = len({b.partnership for b in found.briefings}) > 1 or len(me.partnerships_with("learning.read")) > 1
    st.caption(f"{int(found.total)} published 7-minute briefing{'' if found.total == 1 else 's'} of the reviews and "
               "learning sources whose learning is shown here"
               + (f"; the {int(len(found.briefings))} newest:" if found.total > len(found.briefings) else ":"))
    with st.container(border=True):
        for b in found.briefings:
            st.page_link("pages/library.py", label=esc(b.title), query_params={"id": str(b.briefing_id)},
                         icon=":material/menu_book:", help="Open it in the Briefing library to read or download it.")
            st.caption((f"{esc(b.partnership)} · " if several else "")
                       + (f"Review {esc(b.review_reference)}" if b.review_reference else esc(b.source or "Learning source"))
                       + f" · published {day(b.published_at)}")
    if found.total > len(found.briefings):
        st.page_link("pages/library.py", label="Every briefing in the Briefing library", icon=":material/list:")

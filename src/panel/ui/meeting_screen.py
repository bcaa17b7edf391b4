"""Meeting mode: the meeting page as a large layout for the shared screen (docs/domain.md §6.3).

No sidebar, one agenda item at a time with its facts in large type, "Previous item" / "Next
item", and beside the facts the panel's decision, for the chair only, through the same form and
service as the meeting page (`panel.ui.meeting_item.decision_form`). No other editing form is
drawn. A shared screen is what presentation mode is for, so its rules hold here whatever the
user's own setting (docs/domain.md §8): child identifiers and the criteria's reasons are hidden.

The mode is kept in the session and in the address (?mode=screen, with &item=N), so a reload
keeps it. The sidebar is hidden by a constant style block drawn only in this mode: Streamlit
sets the sidebar's state once per app (st.set_page_config in app.py), and an element not drawn
on a run is removed, so leaving the mode brings the sidebar back on the next run.
"""

from __future__ import annotations

import streamlit as st

from panel.core.access import Actor
from panel.meetings import rules
from panel.meetings.cases import ItemCase
from panel.meetings.service import MeetingView
from panel.ui.common import day, empty_state, esc, query_id, query_word
from panel.ui.forms import refusals
from panel.ui.meeting_item import decision_form, show_case, show_decisions

SCREEN = "screen"  # ?mode=screen

# A constant (never user text in st.html): no sidebar nor its open button, the whole width, and
# large type for a room reading one screen; on a phone the type stays at a readable size.
SCREEN_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"] { display: none !important; }
[data-testid="stMainBlockContainer"] { max-width: none !important; padding: 4rem 3rem !important; }
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] li { font-size: 1.6rem; line-height: 1.45; }
[data-testid="stMain"] h1 { font-size: 3rem !important; line-height: 1.2 !important; }
[data-testid="stMain"] h2 { font-size: 2rem !important; }
[data-testid="stMain"] h3 { font-size: 1.6rem !important; }
@media (max-width: 640px) {
  [data-testid="stMainBlockContainer"] { padding: 4rem 1rem 2rem !important; }
  [data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
  [data-testid="stMain"] [data-testid="stMarkdownContainer"] li { font-size: 1.15rem; }
  [data-testid="stMain"] h1 { font-size: 2rem !important; }
  [data-testid="stMain"] h2 { font-size: 1.4rem !important; }
}
</style>"""


def _on(meeting_id: int) -> str:
    return f"mt_screen_{meeting_id}"


def _index(meeting_id: int) -> str:
    return f"mt_{meeting_id}_idx"  # the item shown: one for the meeting page and meeting mode


def active(meeting_id: int) -> bool:
    """Meeting mode is on for this meeting: the address says so (a reload, a shared link), or
    this session chose it (the address is then written back)."""
    if query_word("mode", (SCREEN,)):
        st.session_state[_on(meeting_id)] = True
        return True
    if st.session_state.get(_on(meeting_id)):
        st.query_params["mode"] = SCREEN
        return True
    return False


def enter(meeting_id: int) -> None:
    st.session_state[_on(meeting_id)] = True
    st.query_params["mode"] = SCREEN
    st.rerun()


def leave(meeting_id: int) -> None:
    st.session_state.pop(_on(meeting_id), None)
    for name in ("mode", "item"):
        if name in st.query_params:
            del st.query_params[name]
    st.rerun()


def item_index(meeting_id: int, count: int) -> int:
    """The agenda item shown (from 0): this session's, else the address's item=N (a reload)."""
    key = _index(meeting_id)
    if key not in st.session_state and (n := query_id("item")):
        st.session_state[key] = n - 1
    return max(0, min(st.session_state.get(key, 0), count - 1))


def go(meeting_id: int, index: int) -> None:
    st.session_state[_index(meeting_id)] = index
    st.rerun()


def show(me: Actor, v: MeetingView, cases: dict[int, ItemCase]) -> None:
    """The meeting on the shared screen: one item, its facts, and the chair's decision beside them."""
    st.html(SCREEN_CSS)
    m = v.meeting
    t1, t2 = st.columns([3, 1], vertical_alignment="center")
    t1.caption(f"{esc(v.partnership_name)} · {day(m.held_on)} · Meeting mode: child identifiers are hidden, "
               "as in presentation mode.")
    if t2.button("Leave meeting mode", icon=":material/close_fullscreen:", key="mt_screen_leave", width="stretch"):
        leave(m.id)
    refusals("mt")  # the decision's note and any refusal, as on the meeting page
    if not v.items:
        empty_state("Nothing on the agenda.", "Leave meeting mode to add items on the Agenda tab.")
        return
    idx = item_index(m.id, len(v.items))
    if query_id("item") != idx + 1:
        st.query_params["item"] = str(idx + 1)  # a reload opens the same item
    it = v.items[idx]
    p1, p2, p3 = st.columns([1, 2, 1], vertical_alignment="center")
    if p1.button("Previous item", icon=":material/arrow_back:", disabled=idx == 0, key="mt_screen_prev",
                 width="stretch"):
        go(m.id, idx - 1)
    p2.markdown(f"Item {idx + 1} of {len(v.items)} · {rules.KIND_LABELS.get(it.kind, esc(it.kind))}",
                text_alignment="center")
    if p3.button("Next item", icon=":material/arrow_forward:", disabled=idx == len(v.items) - 1,
                 key="mt_screen_next", width="stretch"):
        go(m.id, idx + 1)
    st.title(esc(it.title), anchor=False)
    facts, decision = st.columns([3, 2], gap="large")
    with facts:
        st.markdown(f"## {rules.ITEM_STATUSES[it.status]}"
                    + (" (carried from an earlier meeting)" if it.carried_from_id else ""))
        show_case(cases.get(it.id), shared_screen=True)
        iq = v.quorum(it.id)
        (st.success if iq.met else st.error)("For this item: " + iq.message(), icon=":material/how_to_reg:")
        if conflicted := v.conflicts.get(it.id, []):
            names = {mm.id: mm.name for mm in v.members}
            st.warning("Conflict of interest declared, excluded from this item's decision: "
                       + esc(", ".join(names.get(c, "") for c in conflicted)), icon=":material/block:")
    with decision:
        show_decisions(v, it)
        takes_decision = it.kind == "referral" and it.reference
        if v.can_run:
            decision_form(me, v, it, iq, "Leave meeting mode to mark who is present on the Attendance tab.")
            if not takes_decision:
                st.caption("No screening decision on this item: its summary and actions are recorded on the "
                           "meeting page.")
        elif takes_decision and it.status != "decided":
            st.caption("The chair records the panel's decision on this item.")

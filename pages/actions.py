"""Action register: every open action from the partnership's reviews and panel meetings, overdue
first, and one action's record: progress notes, and closing it with the evidence that practice
changed."""

import math

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from panel.accounts import service as accounts
from panel.agencies import service as agency_service
from panel.learning import actions, carry, follow_up
from panel.ui.common import (
    DATE_FORMAT,
    DATETIME_FORMAT,
    RAG_LABELS,
    RAG_STYLES,
    actor,
    day,
    empty_state,
    esc,
    field_error,
    header,
    query_given,
    query_id,
    today,
)
from panel.ui.follow_up import follow_up_section, shared_line
from panel.ui.forms import load_or_stop, refusals, submit

PAGE_SIZE = 100
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

me = actor()
header("Action register", ":material/checklist:",
       "Open actions from reviews and panel meetings by agency and owner: overdue first. Red is overdue, amber is due within "
       f"{actions.AMBER_WITHIN} working days. An action closes only with evidence that practice changed.")
parts = accounts.partnerships(me, "learning.read")
if not parts:
    empty_state("There are no actions for you to see.",
                "The action register is for panel chairs, members and business managers.")
    st.stop()

agencies = agency_service.names(me)  # a filter: retired agencies still own actions
wanted = query_id("id")  # None when absent or malformed
# Opened by a link to one action (a reminder, a review's closure, a meeting): that action is what
# the user came for, so the filters and the register fold away above it.
linked_in = wanted is not None
with st.expander("Filters", icon=":material/filter_list:", expanded=not linked_in):
    # Status is the widest: its three default choices must fit without being cut off.
    c1, c2, c3, c4 = st.columns([1.5, 1.5, 4.4, 1.2], vertical_alignment="bottom")
    agency = c1.selectbox("Owner agency", list(agencies), format_func=agencies.get, index=None,
                          placeholder="All agencies", key="act_agency")
    owner = c2.text_input("Owner's name contains", key="act_owner")
    status = c3.multiselect("Status", list(actions.STATUSES), default=list(actions.OPEN_STATUSES),
                            format_func=actions.STATUSES.get, key="act_status",
                            help="Closed actions are left out unless you add them here.")
    overdue_only = c4.toggle("Overdue only", key="act_overdue")
    chosen_parts = None
    if len(parts) > 1:
        chosen_parts = st.multiselect("Partnership", [p.id for p in parts],
                                      format_func={p.id: p.name for p in parts}.get, key="act_parts")

f = actions.RegisterFilter(partnership_ids=chosen_parts or None, agency_id=agency, owner=owner,
                           statuses=tuple(status or actions.OPEN_STATUSES), overdue_only=overdue_only,
                           limit=PAGE_SIZE)
counts = actions.summary(me, f, today())
m1, m2, m3, m4 = st.columns(4)
m1.metric("Actions", int(counts["actions"]))
m2.metric("Overdue", int(counts["overdue"]))
m3.metric(f"Due within {actions.AMBER_WITHIN} working days", int(counts["due_soon"]))
# Closed actions whose impact follow-up is due: did the change hold? (docs/domain.md §7.1)
due = follow_up.follow_ups_due(me, f, today())
m4.metric("Follow-ups due", len(due), help="Closed actions whose check that the change held is overdue or due within "
          f"{actions.AMBER_WITHIN} working days.")
if not due.empty:
    with st.expander(f"Impact follow-ups due ({len(due)})", icon=":material/event_repeat:"):
        st.dataframe(due, hide_index=True, width="stretch", key="act_follow_ups",
                     column_order=["state", "id", "partnership", "review", "owner_agency", "owner", "action",
                                   "closed_on", "follow_up_on", "working_days_left"],
                     column_config={"state": "Follow-up", "id": st.column_config.NumberColumn("No.", format="%d", help="The action's number"),
                                    "partnership": "Partnership", "review": "Review or source",
                                    "owner_agency": "Owner agency", "owner": "Owner", "action": "Action",
                                    "closed_on": st.column_config.DateColumn("Closed", format=DATE_FORMAT),
                                    "follow_up_on": st.column_config.DateColumn("Follow up on", format=DATE_FORMAT),
                                    "working_days_left": "Working days left"})

if wanted is None and query_given("id"):
    st.error(actions.NOT_FOUND, icon=":material/search_off:")
rows: list[int] = []
if counts["actions"] == 0:
    empty_state("No actions match.", "Actions are agreed for a review's recommendations or at a panel "
                "meeting; widen the filters (status, agency, owner) to see more.")
    if wanted is None:
        st.stop()
    df = None
else:
    box = (st.expander(f"The register ({int(counts['actions'])} actions)", icon=":material/table_rows:")
           if linked_in else st.container())
    with box:
        pages = math.ceil(counts["actions"] / PAGE_SIZE)
        page = 1
        if pages > 1:
            page = st.number_input(f"Page (of {int(pages)})", min_value=1, max_value=pages, value=1, key="act_page")
        f.offset = (int(page) - 1) * PAGE_SIZE
        df, total = actions.register(me, f, today())
        view = df.assign(rag=df["rag"].map(RAG_LABELS))
        event = st.dataframe(
            view.style.map(lambda v: RAG_STYLES.get(v, ""), subset=["rag"]), hide_index=True, width="stretch",
            on_select="rerun", selection_mode="single-row", key="actions_table",
            # The clock and the due date first, in view on a laptop without scrolling the grid sideways.
            column_order=["rag", "id", "due", "working_days_left", "status", "action", "owner_agency", "owner",
                          "review", "partnership", "recommendation"],
            column_config={
                "rag": "Clock", "id": st.column_config.NumberColumn("No.", format="%d", help="The action's number"),
                "partnership": "Partnership", "review": "Review or source", "owner_agency": "Owner agency",
                "owner": "Owner", "action": st.column_config.TextColumn("Action", width="large"),
                "recommendation": "Recommendation",
                "due": st.column_config.DateColumn("Due", format=DATE_FORMAT),
                "working_days_left": st.column_config.NumberColumn("Working days left", help="Negative when overdue"),
                "status": "Status"})
        rows = event.selection.rows if event and event.selection else []
        st.caption(f"Showing {len(df)} of {int(total)} action(s). Choose a row, or use the picker below, to open one.")
        st.download_button("Export Excel", data=lambda: actions.export_register(me, f, today()),
                           file_name="action-register.xlsx", mime=XLSX, icon=":material/download:",
                           help="The whole filtered register. Exports are logged.")

options: list[int] = [] if df is None else [int(i) for i in df["id"]]
labels = {} if df is None else {
    int(r.id): f"Action {r.id} · {r.owner_agency} · due {day(r.due)} · {actions.short(r.action, 60)}"
    for r in df.itertuples()}
for r in due.itertuples():  # a follow-up due is a closed action's: off the register by default
    if int(r.id) not in labels:
        options.append(int(r.id))
        labels[int(r.id)] = f"Action {r.id} · follow-up due {day(r.follow_up_on)} · {actions.short(r.action, 60)}"
# Keep the action opened by link, or last opened (e.g. just closed, so off the register), choosable.
for extra in (st.session_state.get("act_current"), wanted):
    if extra is not None and extra not in options:
        options.insert(0, extra)
picked = st.selectbox("Open an action", options, index=options.index(wanted) if wanted is not None else None,
                      format_func=lambda i: labels.get(i, f"Action {i}"), placeholder="Choose an action",
                      key="act_open")
action_id = int(df.iloc[rows[0]]["id"]) if rows else picked
if action_id is None:
    st.stop()
d = load_or_stop(lambda: actions.get_action(me, int(action_id), today()))
if st.session_state.get("act_current") != d.action.id:
    st.session_state.pop(f"act_{d.action.id}_seen", None)  # opened afresh: draw it as it is now
st.session_state["act_current"] = d.action.id
a = d.action
key = f"act_{a.id}"
# The version this user saw when the forms were drawn: a save after someone else's is refused.
seen_version = st.session_state.setdefault(f"{key}_seen", a.version)


def attempt(fn, done: str, fields: tuple[str, ...], clear: tuple[str, ...] = (), **kwargs) -> None:
    """Run one write on this action; refused or not, the next run draws the record as it now is.
    Saved, the boxes named in `clear` start empty again (what they held is now on the record)."""
    st.session_state.pop(f"{key}_seen", None)
    submit(key, lambda: fn(me, a.id, **kwargs), fields=fields, rerun=False)
    for box in clear:
        st.session_state.pop(f"{key}_{box}", None)
    st.toast(esc(done), icon=":material/check:")
    st.rerun()


st.divider()
st.header(f"Action {int(a.id)} · {esc(d.owner_agency)} · {esc(d.partnership_code)}", anchor=False)
c1, c2, c3 = st.columns(3)
c1.metric("Status", actions.STATUSES.get(a.status, esc(a.status)))
c2.metric("Due", f"{day(a.due_on)}")
left = d.working_days_left
c3.metric("Clock", RAG_LABELS.get(d.rag, "-") if a.status != "closed" else "Closed",
          delta=None if left is None else (f"{-left} working days overdue" if left < 0 else f"{int(left)} working days left"),
          delta_color="off", delta_arrow="off")
st.caption(f"Owner: {esc(a.owner_name)} ({esc(d.owner_agency)})" + (f" · {esc(a.owner_email)}" if a.owner_email else ""))
linked = False
try:  # to the review, or to the meeting whose agenda and minutes record the action
    if d.review_reference and me.can("review.read", a.partnership_id):
        st.page_link("pages/review.py", label=f"From review {esc(d.review_reference)}",
                     query_params={"ref": d.review_reference}, icon=":material/timeline:")
        linked = True
    elif d.meeting_id and me.can("referral.read", a.partnership_id):
        st.page_link("pages/meeting.py", label=f"{esc(d.source)}: agenda and minutes",
                     query_params={"meeting": str(d.meeting_id)}, icon=":material/groups:")
        linked = True
except StreamlitPageNotFoundError:  # the page run on its own, outside app.py's navigation
    pass
if not linked:
    st.caption(f"From: {esc(d.source)}")
with st.container(border=True):
    st.markdown("**The action**")
    st.text(a.text)
    if d.meeting_item:
        st.markdown("**Agenda item**")
        st.text(d.meeting_item)
    if d.recommendation is not None:
        st.markdown("**Recommendation**" + (f" (for {esc(', '.join(d.recommendation_agencies))})"
                                            if d.recommendation_agencies else ""))
        st.text(d.recommendation.text)
        shared_line(me, d.recommendation.id)
    if d.finding is not None:
        st.markdown("**Finding**")
        st.text(d.finding.text)
if a.status == "carried":
    st.info(f"Carried to {esc(a.carried_to)}: {esc(a.carried_reason)}", icon=":material/forward:")
if a.status == "closed":
    st.success(f"Closed on {day(a.closed_on)}" + (f" by {esc(d.closed_by)}" if d.closed_by else "") + ".",
               icon=":material/verified:")
    st.markdown("**Evidence of impact**")
    st.text(a.evidence_of_impact or "")

st.markdown(f"### Progress notes ({len(d.notes)})")
if d.notes:
    st.dataframe([{"when": n["at"], "by": n["by"], "note": n["text"]} for n in reversed(d.notes)], hide_index=True,
                 width="stretch", column_config={
                     "when": st.column_config.DatetimeColumn("When", format=DATETIME_FORMAT),
                     "by": "By", "note": st.column_config.TextColumn("Note", width="large")})
else:
    st.caption("No progress recorded yet.")

errs = refusals(key)  # a refusal that is not about one field shows here, above both forms
if a.status == "closed":  # did the change hold? (docs/domain.md §7.1)
    follow_up_section(me, a, errs, attempt, seen_version, today())
if d.can_edit:
    with st.form(f"{key}_progress"):
        st.markdown("**Record progress**")
        note = st.text_area("Progress note", key=f"{key}_note",
                            placeholder="What has been done since the last note, and what is next.")
        field_error(errs, "note")
        choices = list(actions.PROGRESS_STATUSES)
        new_status = st.radio("Status", choices, index=choices.index(a.status) if a.status in choices else 0,
                              format_func=actions.STATUSES.get, horizontal=True, key=f"{key}_status")
        field_error(errs, "status")
        if st.form_submit_button("Record progress", type="primary"):
            attempt(actions.record_progress, "Progress recorded", ("note", "status"), clear=("note",), note=note,
                    status=new_status, expected_version=seen_version)
if d.can_close:
    with st.form(f"{key}_close"):
        st.markdown("**Close with evidence of impact**")
        st.caption("Partnerships are judged on whether practice changed. Say what is different now and how "
                   "you know: an audit result, a procedure in use, what practitioners or families report.")
        evidence = st.text_area("Evidence of impact", key=f"{key}_evidence")
        field_error(errs, "evidence_of_impact")
        check_on = st.date_input("Follow up on (optional)", value=None, format="DD/MM/YYYY", key=f"{key}_follow_up_on",
                                 help="A later date to check the change held, e.g. a re-audit in six months.")
        field_error(errs, "follow_up_on")
        if st.form_submit_button("Close action"):
            attempt(actions.close_action, "Action closed", ("evidence_of_impact", "follow_up_on"),
                    evidence_of_impact=evidence, expected_version=seen_version, today=today(), follow_up_on=check_on)
    with st.form(f"{key}_carry"):  # so its review can close (docs/domain.md §6.3)
        st.markdown("**Carry to a named owner**")
        st.caption(("When the review closes with this action still to do: name" if d.review_reference else
                    "When someone else goes on with this action: name")
                   + " who takes it on (a person, a group or a plan) and why. It stays on the register until "
                   "closed with evidence of impact.")
        carried_to = st.text_input("Carried to", key=f"{key}_carried_to")
        field_error(errs, "carried_to")
        why = st.text_area("Why it is carried", key=f"{key}_carried_reason")
        field_error(errs, "carried_reason")
        if st.form_submit_button("Carry action"):
            attempt(carry.carry_action, "Action carried", ("carried_to", "carried_reason"),
                    clear=("carried_to", "carried_reason"), carried_to=carried_to, reason=why,
                    expected_version=seen_version)
elif d.can_edit:
    st.caption("The panel chair or the business manager closes an action, with the evidence of impact.")

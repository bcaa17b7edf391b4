"""Panel meetings: the chair runs the meeting from the screen, one agenda item at a time, with
attendance, quorum, conflicts, decisions, actions and the minutes. Members and managers follow.
Meeting mode (?mode=screen, panel.ui.meeting_screen) is the same meeting on the shared screen."""

import streamlit as st

from panel.agencies import service as agency_service
from panel.meetings import attendance as meeting_attendance
from panel.meetings import cases as meeting_cases
from panel.meetings import items as meeting_items
from panel.meetings import mail as meeting_mail
from panel.meetings import minutes_service as meeting_minutes
from panel.meetings import rules
from panel.meetings import service as svc
from panel.screening import decisions
from panel.ui import meeting_screen
from panel.ui.common import (
    DATE_FORMAT,
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
from panel.ui.forms import load_or_stop, note_done, refusals, submit
from panel.ui.meeting_item import decision_form, show_case, show_decisions

me = actor()
mid = query_id("meeting")  # None when absent or malformed
screen = mid is not None and meeting_screen.active(mid)  # meeting mode: the shared screen's own layout
if not screen:
    header("Meetings", ":material/groups:",
           "Run the panel meeting from the screen: the agenda is built from the queue, the tracker and the "
           "action register. Child identifiers never appear here: items show references only.")
    refusals("mt")  # refusals of the page's actions, in one box at the top

if mid is None and not query_given("meeting"):
    pids = me.partnerships_with("referral.read")
    if not pids:
        empty_state("There are no meetings for you to see.", "Meetings are run by the panel chair.")
        st.stop()
    df = svc.list_meetings(me)
    runnable = me.partnerships_with("meeting.run")
    if runnable:
        names = svc.partnership_names(me)
        with st.expander("Plan a meeting", expanded=df.empty, icon=":material/event:"):
            pid = st.selectbox("Partnership", runnable, format_func=lambda p: names.get(p, str(p)), key="mt_new_pid")
            members = decisions.panel_members(me, pid)
            with st.form("mt_new"):
                held_on = st.date_input("Date", value=today(), format="DD/MM/YYYY")
                invite = st.multiselect("Invite", list(members), default=list(members), format_func=members.get)
                st.caption("Partner agencies' representatives without a Panel account are added on the "
                           "meeting's attendance list.")
                if st.form_submit_button("Create the meeting and its agenda", type="primary"):
                    new = submit("mt", lambda: svc.create_meeting(me, pid, held_on, invite, today()), rerun=False)
                    st.query_params["meeting"] = str(new)
                    st.rerun()
    if df.empty:
        empty_state("No meetings yet.", "The chair plans a meeting here." if not runnable else None)
        st.stop()
    df = df.assign(status=df["status"].map(lambda v: rules.MEETING_STATUSES.get(v, v)))
    st.dataframe(df, hide_index=True, width="stretch", column_order=["held_on", "partnership", "status", "items", "decided"],
                 column_config={"held_on": st.column_config.DateColumn("Date", format=DATE_FORMAT),
                                "partnership": "Partnership", "status": "Status",
                                "items": st.column_config.NumberColumn("Items", format="%d"),
                                "decided": st.column_config.NumberColumn("Decided", format="%d")})
    labels = {int(r.id): f"{day(r.held_on)} · {r.partnership} · {r.status}" for r in df.itertuples()}
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    chosen = c1.selectbox("Meeting", list(labels), format_func=labels.get, key="mt_pick")
    if c2.button("Open", type="primary"):
        st.query_params["meeting"] = str(chosen)
        st.rerun()
    st.stop()

if mid is None:
    st.error(svc.NOT_FOUND, icon=":material/search_off:")
    st.stop()
v = load_or_stop(lambda: svc.get_meeting(me, mid))
cases = load_or_stop(lambda: meeting_cases.item_cases(me, mid, today()))

if screen:  # docs/domain.md §6.3: one item, large, the chair's decision beside it; no other form
    meeting_screen.show(me, v, cases)
    st.stop()


m = v.meeting
run = v.can_run
names = {mm.id: mm.name + (f" ({v.agency_names[mm.id]})" if mm.id in v.agency_names else "") for mm in v.members}
if st.button("All meetings", icon=":material/arrow_back:"):
    del st.query_params["meeting"]
    st.rerun()
st.header(f"{esc(v.partnership_name)} · {m.held_on:%A %d %B %Y} · {esc(m.status.capitalize())}", anchor=False)
q = v.quorum()
(st.success if q.met else st.warning)(q.message(), icon=":material/how_to_reg:" if q.met else ":material/warning:")
if not run:
    st.caption("You are following this meeting: only the chair changes it." if m.status != "closed"
               else "This meeting is closed.")

if st.button("Meeting mode", icon=":material/present_to_all:", key="mt_screen_enter",
             help="For the shared screen: one item at a time in large type, without the sidebar or other "
                  "forms, child identifiers hidden; the chair records the decision beside the item."):
    meeting_screen.enter(m.id)

items_tab, attendance, agenda, close = st.tabs(["Items", "Attendance", "Agenda", "Minutes and close"])

with attendance:
    for mm in v.members:
        c1, c2 = st.columns([3, 2], vertical_alignment="center")
        c1.write(esc(names[mm.id]))
        if run:
            opts = list(rules.ATTENDANCE)
            # The label is hidden (the name is beside it) but still names the control for a screen reader.
            choice = c2.segmented_control(f"Attendance of {esc(names[mm.id])}", opts, default=mm.attendance,
                                          format_func=rules.ATTENDANCE.get, key=f"mt_att_{mm.id}",
                                          label_visibility="collapsed")
            if choice and choice != mm.attendance:
                submit("mt", meeting_attendance.set_attendance, me, m.id, mm.id, choice)
        else:
            c2.write(rules.ATTENDANCE[mm.attendance])
    if run:
        with st.form("mt_guest", clear_on_submit=True):
            st.markdown("**Add a partner agency's representative**")
            agencies = agency_service.names(me, include_retired=False)  # a form: active agencies
            g1, g2 = st.columns(2)
            gname = g1.text_input("Name")
            gagency = g2.selectbox("Agency", list(agencies), index=None, format_func=agencies.get)
            if st.form_submit_button("Add attendee"):
                submit("mt", lambda: meeting_attendance.add_guest(me, m.id, gname, gagency))

with agenda:
    for n, it in enumerate(v.items):
        c1, c2 = st.columns([6, 2], vertical_alignment="center")
        c1.write(f"{n + 1}. {esc(it.title)} — *{rules.ITEM_STATUSES[it.status]}*"
                 + (" (carried from an earlier meeting)" if it.carried_from_id else ""))
        if run:
            b1, b2, b3 = c2.columns(3)
            if b1.button("", icon=":material/arrow_upward:", key=f"mt_up_{it.id}", help="Move up", disabled=n == 0):
                submit("mt", meeting_items.move_item, me, it.id, -1)
            if b2.button("", icon=":material/arrow_downward:", key=f"mt_dn_{it.id}", help="Move down",
                         disabled=n == len(v.items) - 1):
                submit("mt", meeting_items.move_item, me, it.id, 1)
            if b3.button("", icon=":material/delete:", key=f"mt_rm_{it.id}", help="Remove from the agenda"):
                submit("mt", meeting_items.remove_item, me, it.id)
    if not v.items:
        empty_state("The agenda is empty.")
    if run:
        with st.form("mt_add", clear_on_submit=True):
            st.markdown("**Add an item**")
            a1, a2, a3 = st.columns([3, 2, 2])
            title = a1.text_input("Title")
            kind = a2.selectbox("Kind", list(rules.KINDS), index=len(rules.KINDS) - 1, format_func=rules.KIND_LABELS.get)
            reference = a3.text_input("Reference (optional)")
            if st.form_submit_button("Add to the agenda"):
                submit("mt", lambda: meeting_items.add_item(me, m.id, title, kind, reference or None))

with items_tab:
    if not v.items:
        empty_state("Nothing on the agenda.")
    else:
        idx = meeting_screen.item_index(m.id, len(v.items))
        it = v.items[idx]
        p1, p2, p3 = st.columns([1, 3, 1], vertical_alignment="center")
        if p1.button("Previous", icon=":material/arrow_back:", disabled=idx == 0, key="mt_prev", width="stretch"):
            meeting_screen.go(m.id, idx - 1)
        p2.markdown(f"Item {idx + 1} of {len(v.items)} · {rules.KIND_LABELS.get(it.kind, esc(it.kind))}",
                    text_alignment="center")
        if p3.button("Next", icon=":material/arrow_forward:", disabled=idx == len(v.items) - 1, key="mt_next",
                     width="stretch"):
            meeting_screen.go(m.id, idx + 1)
        st.title(esc(it.title), anchor=False)
        st.markdown(f"### {rules.ITEM_STATUSES[it.status]}")
        show_case(cases.get(it.id))
        iq = v.quorum(it.id)
        (st.success if iq.met else st.error)("For this item: " + iq.message(), icon=":material/how_to_reg:")
        conflicted = v.conflicts.get(it.id, [])
        present = [mm.id for mm in v.members if mm.attendance == "present"]
        if conflicted:
            st.warning("Conflict of interest declared, excluded from this item's decision: "
                       + esc(", ".join(names[c] for c in conflicted)), icon=":material/block:")
        show_decisions(v, it)
        if it.summary:
            st.markdown(f"**Discussion:** {esc(it.summary)}")
        for a in v.actions.get(it.id, []):
            st.markdown(f"- Action: {esc(a.text)} — {esc(a.owner_name)} ({esc(v.action_agencies[a.id])}), "
                        f"due {day(a.due_on)}")

        if run and it.status != "decided":
            with st.expander("Conflicts of interest on this item", icon=":material/block:"):
                chosen = st.multiselect("Declared a conflict", present, default=[c for c in conflicted if c in present],
                                        format_func=names.get, key=f"mt_conf_{it.id}")
                if st.button("Save conflicts", key=f"mt_conf_save_{it.id}"):
                    def save_conflicts() -> None:
                        for c in set(chosen) - set(conflicted):
                            meeting_attendance.declare_conflict(me, it.id, c)
                        for c in set(conflicted) - set(chosen):
                            meeting_attendance.declare_conflict(me, it.id, c, declared=False)
                    submit("mt", save_conflicts)

        decision_form(me, v, it, iq, "Mark who is present on the Attendance tab.")

        if run:
            st.markdown("### Discussion")
            with st.form(f"mt_sum_{it.id}"):
                summary = st.text_area("Summary for the minutes", value=it.summary, key=f"mt_sumtext_{it.id}")
                s1, s2 = st.columns(2)
                save = s1.form_submit_button("Save summary")
                carry = s2.form_submit_button("Carry to the next meeting", disabled=it.status == "decided")
                if save or carry:
                    submit("mt", lambda: meeting_items.record_summary(me, it.id, summary, "carried" if carry else None))
            with st.expander("Add an action", icon=":material/add_task:"):
                aerr = refusals(f"mt_act_{it.id}")
                agencies = agency_service.names(me, include_retired=False)  # a form: active agencies
                with st.form(f"mt_act_{it.id}", clear_on_submit=True):
                    st.caption("It goes on the action register: reminded to its owner and the business managers "
                               "until it is closed with evidence of impact.")
                    text = st.text_area("Action")
                    field_error(aerr, "text")
                    a1, a2, a3, a4 = st.columns(4)
                    agency = a1.selectbox("Owning agency", list(agencies), index=None, format_func=agencies.get)
                    owner = a2.text_input("Owner")
                    email = a3.text_input("Owner's e-mail (optional)")
                    due = a4.date_input("Due", value=None, min_value=today(), format="DD/MM/YYYY")
                    fields = ("owner_agency_id", "owner_name", "owner_email", "due_on")
                    for f in fields:
                        field_error(aerr, f)
                    if st.form_submit_button("Add action"):
                        submit(f"mt_act_{it.id}", lambda: meeting_items.add_action(me, it.id, text, agency, owner, due,
                                                                                    today(), owner_email=email),
                               fields=("text", *fields))

with close:
    decided = sum(1 for i in v.items if i.status == "decided")
    pending = [i for i in v.items if rules.carries_over(i.status)]
    st.write(f"{int(decided)} item(s) decided, {len(pending)} not yet decided or discussed.")
    if run:
        if pending:
            st.caption("Closing carries these to the next meeting's agenda: "
                       + esc("; ".join(i.title for i in pending)))
        sure = st.checkbox("I am ready to close the meeting", key="mt_close_sure")
        if st.button("Close the meeting", type="primary", disabled=not sure, icon=":material/lock:"):
            nxt = submit("mt", lambda: svc.close_meeting(me, m.id, today()), rerun=False)
            note_done("mt", "Meeting closed." + (" Undecided items carried to the next meeting." if nxt else ""))
            st.rerun()
    if v.can_run or me.can("meeting.run", m.partnership_id):
        if st.button("E-mail the minutes to attendees", icon=":material/mail:",
                     help="Sends the Word minutes to the Panel users present or sending apologies."):
            sent_to = submit("mt", lambda: meeting_mail.email_minutes(me, m.id), rerun=False)
            st.success(f"Minutes e-mailed to {len(sent_to)} attendee(s).", icon=":material/mail:")
    if st.button("Prepare the minutes (Word)", icon=":material/description:"):
        st.session_state[f"mt_minutes_{m.id}"] = submit("mt", lambda: meeting_minutes.minutes_docx(me, m.id), rerun=False)
    if data := st.session_state.get(f"mt_minutes_{m.id}"):
        st.download_button("Download the minutes", data, file_name=f"minutes-{m.held_on:%Y-%m-%d}.docx",
                           mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                           icon=":material/download:")

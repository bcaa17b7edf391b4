"""The review page's account of what shapes the review from outside: parallel processes and the
family's involvement (docs/domain.md §6.3). Rendering only: every read and write is a call to
panel.reviews.context, which checks who may see and change what."""

from __future__ import annotations

from datetime import date

import streamlit as st

from panel.core.access import Actor
from panel.models import Review
from panel.reviews import context
from panel.reviews.rules import FAMILY_EVENTS, PROCESS_KINDS, PROCESS_STATUSES
from panel.ui.common import DATE_FORMAT, day, field_error
from panel.ui.forms import refusals, submit

PROCESS_FIELDS = ("kind", "reference", "status", "started_on", "next_event", "next_on", "concluded_on", "outcome")
FAMILY_FIELDS = ("family_member", "event", "happened_on", "note")


def _day(d: date | None) -> str:
    return day(d, "")


def process_rows(processes) -> list[dict]:
    """One row a process, in the words the panel uses (the meeting agenda shows the same)."""
    return [{"process": PROCESS_KINDS.get(p.kind, p.kind), "reference": p.reference or "",
             "status": PROCESS_STATUSES.get(p.status, p.status), "started": _day(p.started_on),
             "next": f"{p.next_event}: {_day(p.next_on)}" if p.next_event else "",
             "concluded": _day(p.concluded_on), "outcome": p.outcome or "",
             "delays publication": "Yes" if p.delays_publication else ""} for p in processes]


# The table's headings; a date not recorded is blank (a date column would say "None").
PROCESS_COLUMNS = {"process": "Process", "reference": "Reference", "status": "Status", "started": "Started",
                   "next": "Next event", "concluded": "Concluded", "outcome": "Outcome",
                   "delays publication": "Publication waits"}


def _process_form(me: Actor, rv: Review, today: date, key: str, current=None) -> None:
    errs = refusals(key)
    with st.form(key):
        st.markdown("**Update this process**" if current else "**Add a process**")
        kinds, statuses = list(PROCESS_KINDS), list(PROCESS_STATUSES)
        c1, c2, c3 = st.columns([2, 1, 1])
        kind = c1.selectbox("Process", kinds, format_func=PROCESS_KINDS.get,
                            index=kinds.index(current.kind) if current else None, placeholder="Choose the process")
        field_error(errs, "kind")
        ref = c2.text_input("Reference (e.g. CDOP or court)", value=(current.reference or "") if current else "")
        field_error(errs, "reference")
        status = c3.radio("Status", statuses, format_func=PROCESS_STATUSES.get, horizontal=True,
                          index=statuses.index(current.status) if current else 0)
        field_error(errs, "status")
        c1, c2, c3 = st.columns(3)
        started = c1.date_input("Started (e.g. date of charge)", value=current.started_on if current else None,
                                max_value=today, format="DD/MM/YYYY")
        field_error(errs, "started_on")
        next_event = c2.text_input("Next event (e.g. trial, inquest hearing)",
                                   value=(current.next_event or "") if current else "")
        field_error(errs, "next_event")
        next_on = c3.date_input("Next event's date", value=current.next_on if current else None, format="DD/MM/YYYY")
        field_error(errs, "next_on")
        c1, c2 = st.columns([1, 2])
        concluded = c1.date_input("Concluded on", value=current.concluded_on if current else None,
                                  max_value=today, format="DD/MM/YYYY")
        field_error(errs, "concluded_on")
        outcome = c2.text_input("Outcome (e.g. verdict, inquest conclusion)",
                                value=(current.outcome or "") if current else "")
        field_error(errs, "outcome")
        delays = st.checkbox("Publication waits for this process",
                             value=current.delays_publication if current else False)
        if st.form_submit_button("Save process" if current else "Add process"):
            form = context.ProcessForm(kind=kind, reference=ref, status=status, started_on=started,
                                       next_event=next_event, next_on=next_on, concluded_on=concluded,
                                       outcome=outcome, delays_publication=delays)
            submit(key, lambda: context.record_process(me, rv.reference, form, today,
                                                       process_id=current.id if current else None),
                   fields=PROCESS_FIELDS, done="Process saved.")


def parallel_processes(me: Actor, rv: Review, today: date) -> None:
    """The processes beside the review, and (for those who keep its record) adding or updating one."""
    processes = context.processes(me, rv.reference)
    waiting = [p for p in processes if p.delays_publication and p.status == "ongoing"]
    label = f"Parallel processes ({len(processes)})" + (" · publication waits" if waiting else "")
    with st.expander(label, icon=":material/gavel:", expanded=bool(waiting)):  # not user text: a count and fixed words
        if processes:
            st.dataframe(process_rows(processes), hide_index=True, width="stretch", column_config=PROCESS_COLUMNS)
        else:
            st.caption("None recorded. Add the police investigation, criminal proceedings, inquest, child "
                       "death review or other review that runs beside this one, with its dates.")
        if not me.can("review.edit", rv.partnership_id):
            return
        _process_form(me, rv, today, f"pp_{rv.reference}_new")
        if processes:
            names = {p.id: f"{PROCESS_KINDS.get(p.kind, p.kind)} {p.reference or ''}".strip() for p in processes}
            chosen = st.selectbox("Update a process", list(names), format_func=names.get, index=None,
                                  placeholder="Choose a process to update", key=f"pp_{rv.reference}_pick")
            if chosen:
                _process_form(me, rv, today, f"pp_{rv.reference}_{chosen}",
                              next(p for p in processes if p.id == chosen))


def family_involvement(me: Actor, rv: Review, today: date) -> None:
    """The family's involvement, for the chair and business manager only."""
    if not me.can("family.read", rv.partnership_id):
        return
    steps = context.family_log(me, rv.reference)
    with st.expander(f"The family's involvement ({len(steps)})", icon=":material/family_restroom:"):
        st.caption("Seen only by the panel chair and business manager. Name family members by their "
                   "relationship to the child, never by name.")
        if steps:
            st.dataframe([{"on": s.happened_on, "who": s.family_member, "what": FAMILY_EVENTS.get(s.event, s.event),
                           "note": s.note or ""} for s in steps], hide_index=True, width="stretch",
                         column_config={"on": st.column_config.DateColumn("On", format=DATE_FORMAT),
                                        "who": "Family member", "what": "What happened", "note": "Note"})
        else:
            st.caption("Nothing recorded yet: start with the family's invitation to take part.")
        if not me.can("family.record", rv.partnership_id):
            return
        key = f"fam_{rv.reference}"
        errs = refusals(key)
        with st.form(key, clear_on_submit=True):
            st.markdown("**Record a step**")
            c1, c2, c3 = st.columns(3)
            who = c1.text_input("Family member (relationship)", placeholder="e.g. Mother")
            field_error(errs, "family_member")
            events = list(FAMILY_EVENTS)
            event = c2.selectbox("What happened", events, format_func=FAMILY_EVENTS.get, index=None,
                                 placeholder="Choose what happened")
            field_error(errs, "event")
            on = c3.date_input("On", value=None, max_value=today, format="DD/MM/YYYY")  # chosen, never today by default
            field_error(errs, "happened_on")
            note = st.text_area("Note (required for views recorded)")
            field_error(errs, "note")
            if st.form_submit_button("Record"):
                submit(key, lambda: context.record_family_step(me, rv.reference, family_member=who, event=event,
                                                               happened_on=on, note=note, today=today),
                       fields=FAMILY_FIELDS, done="Recorded.")




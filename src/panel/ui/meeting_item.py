"""One agenda item as the meeting page and meeting mode both draw it (docs/domain.md §6.3): the
item's case from the live record, and the panel's decision on it, recorded through the one
meeting decision service (`panel.meetings.items.decide_item`) wherever it is drawn."""

from __future__ import annotations

from datetime import date

import streamlit as st

from panel.core.access import Actor
from panel.meetings import cases as meeting_cases
from panel.meetings import items as meeting_items
from panel.meetings import rules
from panel.meetings.service import MeetingView
from panel.models import AgendaItem
from panel.reviews import types_service as review_types
from panel.screening import service as screening
from panel.screening.rules import BODY_NAMES, ROUTE_NAMES, departs_from_criteria, sign_refusal
from panel.ui.common import RAG_LABELS, day, days_in, esc, presenting, today
from panel.ui.forms import decision_fields, note_done, or_none, refusals, submit


def show_case(case: meeting_cases.ItemCase | None, shared_screen: bool = False) -> None:
    """What the panel decides on: the item's case from the live record. On a shared screen
    (meeting mode) the rules of presentation mode hold whatever the user's own setting
    (docs/domain.md §8): the criteria's reasons, which can state the child's age, are hidden."""
    if case is None:
        return
    if case.kind == "referral":
        if res := case.result:
            notify = ", ".join(BODY_NAMES[n["to"]] for n in res["notify"]) or "none"
            st.markdown(f"**Criteria ({esc(res['regime'])}):** {ROUTE_NAMES[res['route']]}. "
                        f"**Notifications due:** {esc(notify)}."
                        + (f" **Rapid review due:** {day(date.fromisoformat(res['rapid_review_due']))}."
                           if res.get("rapid_review_due") else ""))
            with st.expander("Why: the criteria line by line", icon=":material/rule:"):
                if shared_screen or presenting():  # a care leaver's line states the young person's age
                    st.caption("Hidden in presentation mode: the reasons can state the child's age.")
                else:
                    st.markdown("\n".join(f"- {esc(days_in(line))}" for line in res["reasons"]))
        elif case.problem:
            st.warning("The criteria cannot answer on these facts: " + esc(case.problem), icon=":material/error:")
        for c in case.clocks:
            if c.state == "running":
                st.markdown(f"- {BODY_NAMES[c.body]}: notify by {day(c.due)}, "
                            f"{RAG_LABELS[c.rag].lower()} ({int(c.days_left)} working days left)")
            elif c.state == "notified":
                when = f"{int(c.late_by)} working days late" if c.late_by else "on time"
                st.markdown(f"- {BODY_NAMES[c.body]}: notified on {day(c.sent_on)}, {esc(when)}")
            else:
                st.markdown(f"- {BODY_NAMES[c.body]}: no notification due, by the panel's decision")
        if not case.clocks:
            st.caption("No notification clock: the criteria call for no statutory notification.")
        for message in case.themes:
            st.warning(esc(message), icon=":material/repeat:")
        st.page_link("pages/screening.py", label=f"Screening: {esc(case.reference)}",
                     query_params={"ref": case.reference}, icon=":material/fact_check:")
    elif case.stage:
        st.markdown(f"**{esc(case.review_type)}:** next {esc(case.stage)}"
                    + (f", due {day(case.due)}." if case.due else "."))
        if case.kind == "rapid_review":  # what the item is for, and where the panel records it
            if case.lcspr_decision:
                st.markdown(f"**LCSPR decision:** {esc(case.lcspr_decision)} (recorded on the review's page).")
            else:
                st.markdown("**Next step:** the partners decide whether to hold an LCSPR"
                            + (f", due {day(case.lcspr_decision_due)}" if case.lcspr_decision_due else "")
                            + ". Record it, with the eight considerations, on the review's page (the link below).")
        for line in case.processes:
            st.markdown(f":material/gavel: {esc(line)}")
        if case.family:
            st.markdown("**The family:** " + esc("; ".join(case.family)))
        if case.kind == "sign_off":
            st.markdown(f"**The report** (publication {esc(case.publication.lower())}):")
            for step in case.report:
                when = step.actual or step.planned
                st.markdown(f"- {esc(step.name)}: {meeting_cases.STEP_LABELS[step.status]}"
                            + (f" {day(when)}" if when else ""))
        st.page_link("pages/review.py", label=f"Review {esc(case.reference)}",
                     query_params={"ref": case.reference}, icon=":material/assignment:")


def show_decisions(v: MeetingView, it: AgendaItem) -> None:
    """The decisions recorded on the item at this meeting: the records the minutes list."""
    for d in v.decisions.get(it.id, []):
        st.info(f"**Decision: {esc(v.outcome_names.get(d.id, ''))}** ({esc(d.status)}).\n\nRationale: {esc(d.rationale)}",
                icon=":material/gavel:")


def decision_form(me: Actor, v: MeetingView, it: AgendaItem, quorum: rules.Quorum, attendance_hint: str) -> None:
    """The panel's decision on a referral item, for the chair running the meeting: shown only when
    `rules.decision_refusal` (the rule the meeting service refuses on) allows one; without quorum
    it says who is missing and `attendance_hint` where to mark who is present."""
    m = v.meeting
    refusal = rules.decision_refusal(it.kind, it.reference, it.status, quorum)
    if not v.can_run:
        return
    if "quorum" in refusal:
        st.markdown("### The panel's decision")
        st.warning(esc(refusal["quorum"] + " " + attendance_hint), icon=":material/how_to_reg:")
    if refusal:
        return
    st.markdown("### The panel's decision")
    # When the facts cannot be assessed no outcome is offered.
    sc = or_none(lambda: screening.screen(me, it.reference, today(), {}))
    result = sc.result if sc else None
    types = review_types.list_types(me, m.partnership_id)
    options = [t for t in types if result and t.regime == result["regime"]]
    route = result["route"] if result else None
    fmt = {t.id: f"{t.name} — {'departs from' if departs_from_criteria(route, t.routes) else 'consistent with'} "
                 "the criteria" for t in options}
    conflicted = v.conflicts.get(it.id, [])
    errs = refusals(f"mt_decide_{it.id}")
    with st.form(f"mt_decide_{it.id}"):
        outcome, rationale, departure = decision_fields(fmt, errs)
        conflicted_users = [mm.user_id for mm in v.members if mm.id in conflicted and mm.user_id]
        st.caption("Present and apologies come from the attendance list; members with a conflict on this "
                   "item are recorded as excluded. "
                   + ("You declared a conflict: another chair signs it." if sign_refusal(me.user_id, conflicted_users)
                      else "The chair signs on recording."))
        if st.form_submit_button("Record and sign the decision", type="primary"):
            _, signed, review_ref = submit(
                f"mt_decide_{it.id}", lambda: meeting_items.decide_item(me, it.id, outcome, rationale, today(), departure),
                fields=("review_type_id", "rationale", "departure_rationale"), rerun=False)
            note_done("mt", "Decision recorded and signed." + (f" Review {review_ref} created." if review_ref else "")
                      if signed else "Decision recorded: you declared a conflict, so another chair must sign it.")
            st.rerun()

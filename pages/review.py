"""One review: its milestones against their planned dates and, for a rapid review, the LCSPR
decision and the National Panel's response."""

import streamlit as st

from panel.agencies import service as agency_service
from panel.core.errors import ValidationFailed
from panel.learning import library
from panel.reviews import record as review_record
from panel.reviews import service as reviews
from panel.reviews.lifecycle import RAG, REVIEW_STATES
from panel.screening.rules import LCSPR_CONSIDERATIONS
from panel.ui.common import (
    DATE_FORMAT,
    RAG_LABELS,
    actor,
    day,
    esc,
    field_error,
    header,
    query_ref,
    today,
)
from panel.ui.documents import documents_section
from panel.ui.drafting import drafting_section
from panel.ui.forms import load_viewed, note_done, refusals, stop_if_malformed, submit
from panel.ui.learning_entry import learning_section
from panel.ui.reflow import table_or_list
from panel.ui.review_closure import close_section
from panel.ui.review_context import family_involvement, parallel_processes

STATUS_LABELS = {"done": "Done", "done_late": "Done late", "overdue": "Overdue", "due_soon": "Due soon",
                 "pending": "Not yet due"}
STATUS_HELP = "Done, done late (after its planned date), overdue, due soon (within 5 working days), or not yet due"
# Widths that keep the milestone and its status both in view on a 390 px phone (about 358 px of
# table); on a wide screen the table stretches them as before.
MILESTONE_WIDTH, STATUS_WIDTH = 262, 92

me = actor()
header("Review", ":material/timeline:")
ref = query_ref("ref")  # None when absent or malformed
stop_if_malformed("ref", reviews.NOT_FOUND)
if not ref:
    st.info("Open a review from its referral's screening page.")
    st.stop()
v = load_viewed("review", ref, lambda first: reviews.get_review(me, ref, today(), record_view=first))
rv = v.review
st.header(f"{esc(rv.reference)} · {esc(v.type_name)} · {esc(v.partnership_name)}", anchor=False)
c1, c2 = st.columns(2)
# A label's escaped text is read out with its backslashes: references (capitals, digits and hyphens,
# made by Panel) go in as they are, and a briefing's title goes beneath its link.
c1.page_link("pages/screening.py", label=f"Referral {v.referral_reference}: screening and decision",  # not user text: a reference Panel made
             query_params={"ref": v.referral_reference}, icon=":material/fact_check:")
c2.page_link("pages/briefing.py", label="Write its 7-minute briefing", query_params={"ref": rv.reference},
             icon=":material/article:")
if pb := library.published_for_review(me, rv.reference):  # docs/domain.md §7.3
    c2.page_link("pages/library.py", label="Its published briefing",
                 query_params={"id": str(pb.briefing_id)}, icon=":material/menu_book:")
    c2.caption(esc(pb.title))
# The rapid review and the LCSPR its decision started link to each other (docs/domain.md §6.3).
if v.lcspr_ref:
    st.page_link("pages/review.py", label=f"LCSPR: {v.lcspr_ref}", query_params={"ref": v.lcspr_ref},  # not user text: a reference Panel made
                 icon=":material/link:")
if v.rapid_review_ref:
    st.page_link("pages/review.py", label=f"Started by rapid review {v.rapid_review_ref}",  # not user text: a reference Panel made
                 query_params={"ref": v.rapid_review_ref}, icon=":material/link:")
# The next milestone's name goes under its date, not in a metric: a metric cuts long text off.
next_name = next((m["name"] for m in v.milestones if m["key"] == v.status["next_key"]), None)
c1, c2, c3 = st.columns([1, 1, 2])
c1.metric("State", REVIEW_STATES[v.state])
c2.metric("Overall", RAG_LABELS.get(v.status["rag"], esc(v.status["rag"])))
c3.metric("Next milestone due", day(v.status["next_due"]))
c3.caption(esc(next_name) if next_name else "Every milestone is recorded.")

# Status beside the name; a date not yet recorded is blank, not "None". On a phone the same rows
# as a list (panel.ui.reflow), where the table would leave the planned and actual dates off to the side.
table_or_list(f"milestones_{rv.reference}", lambda: st.dataframe([{
    "milestone": m["name"], "status": STATUS_LABELS[m["status"]], "planned": m["planned"],
    "actual": day(m["actual"], ""),
    "statutory": "Yes" if m["statutory"] else "", "rag": RAG[m["status"]],
} for m in v.milestones], hide_index=True, width="stretch", height=35 * (len(v.milestones) + 1) + 3, column_config={
    "milestone": st.column_config.TextColumn("Milestone", width=MILESTONE_WIDTH),
    "status": st.column_config.TextColumn("Status", width=STATUS_WIDTH, help=STATUS_HELP),
    "planned": st.column_config.DateColumn("Planned", format=DATE_FORMAT),
    "actual": "Actual", "statutory": "Statutory", "rag": None}), [
    f"- **{esc(m['name'])}**" + (" (statutory)" if m["statutory"] else "") + f": {STATUS_LABELS[m['status']]}"
    + (f" · planned {day(m['planned'])}" if m["planned"] else "") + (f" · done {day(m['actual'])}" if m["actual"] else "")
    for m in v.milestones])

pub, delays, requests = review_record.record_details(me, rv.reference)
key = f"rv_{rv.reference}"
can_keep = me.can("review.edit", rv.partnership_id)  # chair or business manager


def form_key(name: str) -> str:
    """The form's key this round. After a save the form starts again, its dates empty, so a second
    click records nothing; after a refusal it keeps what was typed, beside the messages."""
    return f"{key}_{name}_{st.session_state.get(f'{key}_{name}_round', 0)}"


def attempt(name: str, fn, fields: tuple[str, ...], done: str | None = None, **kwargs) -> None:
    """Run one write on this review: messages for `fields` beneath them, any other in the box;
    saved, `done` (what was saved) shows above the forms."""
    submit(key, lambda: fn(me, rv.reference, **kwargs), fields=fields, rerun=False)
    st.session_state[f"{key}_{name}_round"] = st.session_state.get(f"{key}_{name}_round", 0) + 1
    if done:
        note_done(key, done)
    st.toast(esc(done) if done else "Saved", icon=":material/check:")
    st.rerun()


def record_milestone(me, reference: str, *, actual_on, **kwargs) -> None:
    """This form records a date and never clears one: saved without a date, it says so and writes nothing."""
    if actual_on is None:
        raise ValidationFailed({"actual_on": "Enter the date the milestone happened."})
    review_record.record_milestone(me, reference, actual_on=actual_on, **kwargs)


errs = refusals(key)  # a refusal of any of the forms below that is not about one of its fields
if can_keep and rv.status == "open":
    with st.form(form_key("milestone")):
        st.markdown("**Record when a milestone happened**")
        names = {m["key"]: m["name"] for m in v.milestones}
        first_open = next((m["key"] for m in v.milestones if not m["actual"]), None)
        c1, c2 = st.columns([3, 1])
        mkey = c1.selectbox("Milestone", list(names), format_func=names.get,
                            index=list(names).index(first_open) if first_open else 0)
        # Empty until chosen: a date filled in with today would record today on a stray click.
        actual = c2.date_input("Date", value=None, max_value=today(), format="DD/MM/YYYY")
        field_error(errs, "actual_on")
        if st.form_submit_button("Save date", type="primary"):
            attempt("milestone", record_milestone, ("actual_on",),
                    done=f"Recorded: {names.get(mkey, mkey)} happened on {day(actual)}.", key=mkey,
                    actual_on=actual, expected_version=rv.version, today=today())

if pub.planned_on or pub.published_on:
    st.markdown("### Publication")
    # Two a row: four in a row cut a date such as "Mon 15 Mar 2027" off at 1440 px.
    c1, c2 = st.columns(2)
    c1.metric("Publication planned", day(pub.planned_on))
    c2.metric("Copy to the National Panel", day(pub.copy_sent_on, "Not sent"),
              help="The copy of the report to the National Panel and the Secretary of State, at least 7 working "
                   "days before publication" + (f": by {day(pub.copy_deadline)}." if pub.copy_deadline else "."))
    c3, c4 = st.columns(2)
    c3.metric("Published", day(pub.published_on, "Not yet"))
    c4.metric("On the website until", day(pub.website_until))
    if pub.copy_too_late:
        st.error("The copy went to the National Panel and the Secretary of State fewer than 7 working days "
                 "before publication.", icon=":material/warning:")
    if pub.status != "planned":
        st.warning(f"**Publication status: {review_record.PUBLICATION_STATUSES[pub.status]}**\n\n{esc(pub.reason)}",
                   icon=":material/schedule:")

parallel_processes(me, rv, today())
family_involvement(me, rv, today())

with st.expander("Lead reviewer and publication status", icon=":material/person:"):
    with st.form(f"{key}_details"):
        lead = st.text_input("Lead reviewer", value=rv.lead_reviewer or "", disabled=not can_keep)
        field_error(errs, "lead_reviewer")
        email = st.text_input("Lead reviewer's e-mail (for reminders)", value=rv.lead_reviewer_email or "",
                              disabled=not can_keep)
        field_error(errs, "lead_reviewer_email")
        statuses = list(review_record.PUBLICATION_STATUSES)
        pstatus = st.radio("Publication", statuses, index=statuses.index(rv.publication_status), horizontal=True,
                           format_func=review_record.PUBLICATION_STATUSES.get, disabled=not can_keep)
        preason = st.text_area("Why (required when delayed or withheld)", value=rv.publication_reason or "",
                               disabled=not can_keep)
        field_error(errs, "publication_reason")
        if st.form_submit_button("Save", disabled=not can_keep):
            attempt("details", review_record.update_details, ("lead_reviewer", "lead_reviewer_email", "publication_reason"),
                    lead_reviewer=lead, lead_reviewer_email=email,
                    publication_status=pstatus, publication_reason=preason, expected_version=rv.version)

with st.expander(f"Delays ({len(delays)})", icon=":material/schedule:"):
    for d in delays:
        st.write(f"{int(d.working_days)} working days from {day(d.starts_on)}:")
        st.text(d.reason)
    if can_keep and rv.status == "open":
        with st.form(form_key("delay")):
            st.caption("A delay moves every target still to come; it needs a reason and is audited.")
            c1, c2 = st.columns(2)
            starts = c1.date_input("Delay starts", value=None, format="DD/MM/YYYY")
            field_error(errs, "starts_on")
            wd = c2.number_input("Working days", min_value=1, max_value=260, value=10)
            field_error(errs, "working_days")
            why = st.text_area("Reason", placeholder="e.g. parallel criminal proceedings")
            field_error(errs, "reason")
            if st.form_submit_button("Record delay"):
                attempt("delay", review_record.record_delay, ("starts_on", "working_days", "reason"), starts_on=starts,
                        working_days=int(wd), reason=why, expected_version=rv.version)

with st.expander(f"Chronologies and agency reports ({len(requests)})", icon=":material/folder_shared:"):
    if requests:
        # Dates written out, not a date column's format: a screen reader reads the grid's hidden
        # table, which would give the raw ISO date; a date not yet recorded is blank.
        st.dataframe([{"agency": r["agency"], "kind": r["kind"], "asked": day(r["requested_on"], ""),
                       "due": day(r["due_on"], ""), "received": day(r["received_on"], ""), "contact": r["contact"]}
                      for r in requests], hide_index=True, width="stretch", column_config={
            "agency": "Agency", "kind": "Asked for", "asked": "Asked on", "due": "Due", "received": "Received",
            "contact": "Agency lead's e-mail"})
    else:
        st.caption("No agency has been asked yet.")
    if can_keep and rv.status == "open":
        agencies = agency_service.names(me, include_retired=False)  # a form: active agencies
        with st.form(form_key("request")):
            c1, c2 = st.columns(2)
            agency = c1.selectbox("Agency", list(agencies), format_func=agencies.get, index=None)
            field_error(errs, "agency_id")
            kind = c2.selectbox("Asked for", list(review_record.REQUEST_KINDS),
                                format_func=review_record.REQUEST_KINDS.get)
            c1, c2 = st.columns(2)
            asked = c1.date_input("Asked on", value=None, max_value=today(), format="DD/MM/YYYY")
            field_error(errs, "requested_on")
            due = c2.date_input("Due", value=None, format="DD/MM/YYYY")
            field_error(errs, "due_on")
            contact = st.text_input("Agency lead's e-mail (for reminders)")
            field_error(errs, "contact_email")
            if st.form_submit_button("Add request"):
                attempt("request", review_record.add_agency_request, ("agency_id", "requested_on", "due_on", "contact_email"),
                        agency_id=agency, kind=kind, requested_on=asked,
                        due_on=due, contact_email=contact, today=today())
        waiting = {r["id"]: f"{r['agency']}: {r['kind']}" for r in requests if not r["received_on"]}
        if waiting:
            with st.form(form_key("received")):
                c1, c2 = st.columns([3, 1])
                rid = c1.selectbox("Arrived", list(waiting), format_func=waiting.get)
                got = c2.date_input("On", value=None, max_value=today(), format="DD/MM/YYYY")
                field_error(errs, "received_on")
                if st.form_submit_button("Mark as received"):
                    attempt("received", review_record.mark_received, ("received_on",), request_id=rid, received_on=got,
                            today=today())

if v.type_key == "rapid_review":
    st.markdown("### End of the rapid review: the LCSPR decision")
    st.caption("SI 2018/789 reg.11 and Working Together: the partners consider each question, decide whether "
               "to hold a Local Child Safeguarding Practice Review, and send the rapid review to the National "
               "Panel within 15 working days of the notification.")
    errs = refusals(f"rr_{rv.reference}")
    with st.form(f"rr_{rv.reference}"):
        answers = {}
        for key, text in LCSPR_CONSIDERATIONS:
            current = v.considerations.get(key)
            options = list(reviews.CONSIDERATION_ANSWERS)
            answers[key] = st.radio(text, options, index=options.index(current) if current in options else None,  # not user text: LCSPR_CONSIDERATIONS
                                    format_func=reviews.CONSIDERATION_ANSWERS.get, horizontal=True,
                                    disabled=not v.can_edit)
            field_error(errs, f"consideration_{key}")
        decisions = list(reviews.LCSPR_DECISIONS)
        # Once the LCSPR is open the decision and its date stay (the service refuses a change): shown, not offered.
        settled = v.lcspr_ref is not None
        lcspr = st.radio("Decision", decisions, format_func=reviews.LCSPR_DECISIONS.get, horizontal=True,
                         index=decisions.index(rv.lcspr_decision) if rv.lcspr_decision else None,
                         disabled=not v.can_edit or settled)
        field_error(errs, "lcspr_decision")
        decided = st.date_input("Decision made on", value=v.lcspr_decided_on, max_value=today(),
                                format="DD/MM/YYYY", disabled=not v.can_edit or settled,
                                help="Deciding to hold an LCSPR opens it, planned from this date.")
        field_error(errs, "decided_on")
        if settled:
            st.caption(f"The LCSPR {esc(v.lcspr_ref)} was opened from this decision and is planned from its date, "
                       "so neither changes here. The rest of the rapid review's outcome can still be saved.")
        sent = st.date_input("Sent to the National Panel on", value=rv.sent_to_national_panel_on, max_value=today(),
                             format="DD/MM/YYYY", disabled=not v.can_edit)
        field_error(errs, "sent_on")
        responses = list(reviews.RESPONSES)
        response = st.radio("National Panel's response", responses, format_func=reviews.RESPONSES.get, horizontal=True,
                            index=responses.index(rv.national_panel_response) if rv.national_panel_response else None,
                            disabled=not v.can_edit)
        field_error(errs, "response")
        note = st.text_area("National Panel's note", value=rv.national_panel_note or "", disabled=not v.can_edit)
        field_error(errs, "response_note")
        if st.form_submit_button("Save the rapid review outcome", type="primary", disabled=not v.can_edit):
            opened = submit(f"rr_{rv.reference}", lambda: reviews.record_rapid_review_outcome(
                me, rv.reference, considerations=answers, lcspr_decision=lcspr, sent_on=sent,
                response=response, response_note=note, expected_version=rv.version, today=today(),
                decided_on=decided),
                fields=[f"consideration_{k}" for k, _ in LCSPR_CONSIDERATIONS]
                + ["lcspr_decision", "decided_on", "sent_on", "response", "response_note"], rerun=False)
            st.toast(f"Rapid review outcome saved; LCSPR {esc(opened)}" if opened else "Rapid review outcome saved",
                     icon=":material/check:")
            st.rerun()

drafting_section(me, rv, v.type_key, today())  # docs/domain.md §11
documents_section(me, rv.partnership_id, today(), review=rv.reference)  # docs/domain.md §11
learning_section(me, review=rv, today=today())
close_section(me, rv, today())

"""One review: its milestones against their planned dates and, for a rapid review, the LCSPR
decision and the National Panel's response."""

import streamlit as st

from panel.lifecycle import RAG
from panel.screening import LCSPR_CONSIDERATIONS
from panel.services import reviews
from panel.services.errors import NotFound, StaleEdit, ValidationFailed
from panel.ui.common import RAG_LABELS, actor, field_error, header, today

STATUS_LABELS = {"done": "Done", "done_late": "Done late", "overdue": "Overdue", "due_soon": "Due soon",
                 "pending": "Not yet due"}

me = actor()
header("Review", ":material/timeline:")
ref = st.query_params.get("ref", "")
if not ref:
    st.info("Open a review from its referral's screening page.")
    st.stop()
viewed = st.session_state.setdefault("viewed_reviews", set())
try:
    v = reviews.get_review(me, ref, today(), record_view=ref not in viewed)
except NotFound as e:
    st.error(str(e), icon=":material/search_off:")
    st.stop()
viewed.add(ref)
rv = v.review
st.subheader(f"{rv.reference} · {v.type_name} · {v.partnership_name}", anchor=False)
st.page_link("pages/screening.py", label=f"Referral {v.referral_reference}: screening and decision",
             query_params={"ref": v.referral_reference}, icon=":material/fact_check:")
c1, c2, c3, c4 = st.columns(4)
c1.metric("Status", rv.status.capitalize())
c2.metric("Next milestone", next((m["name"] for m in v.milestones if m["key"] == v.status["next_key"]), "None"))
c3.metric("Due", f"{v.status['next_due']:%a %d %b %Y}" if v.status["next_due"] else "-")
c4.metric("Overall", RAG_LABELS.get(v.status["rag"], v.status["rag"]))

st.dataframe([{
    "milestone": m["name"], "statutory": "Yes" if m["statutory"] else "", "planned": m["planned"],
    "actual": m["actual"], "status": STATUS_LABELS[m["status"]], "rag": RAG[m["status"]],
} for m in v.milestones], hide_index=True, width="stretch", column_config={
    "milestone": "Milestone", "statutory": "Statutory",
    "planned": st.column_config.DateColumn("Planned", format="ddd D MMM YYYY"),
    "actual": st.column_config.DateColumn("Actual", format="D MMM YYYY"),
    "status": "Status", "rag": None})

if v.type_key == "rapid_review":
    st.markdown("#### End of the rapid review: the LCSPR decision")
    st.caption("SI 2018/789 reg.11 and Working Together: the partners consider each question, decide whether "
               "to hold a Local Child Safeguarding Practice Review, and send the rapid review to the National "
               "Panel within 15 working days of the notification.")
    errs = st.session_state.get(f"rr_{rv.reference}_err", {})
    with st.form(f"rr_{rv.reference}"):
        answers = {}
        for key, text in LCSPR_CONSIDERATIONS:
            current = v.considerations.get(key)
            options = list(reviews.CONSIDERATION_ANSWERS)
            answers[key] = st.radio(text, options, index=options.index(current) if current in options else None,
                                    format_func=reviews.CONSIDERATION_ANSWERS.get, horizontal=True,
                                    disabled=not v.can_edit)
            field_error(errs, f"consideration_{key}")
        decisions = list(reviews.LCSPR_DECISIONS)
        lcspr = st.radio("Decision", decisions, format_func=reviews.LCSPR_DECISIONS.get, horizontal=True,
                         index=decisions.index(rv.lcspr_decision) if rv.lcspr_decision else None, disabled=not v.can_edit)
        field_error(errs, "lcspr_decision")
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
            try:
                reviews.record_rapid_review_outcome(
                    me, rv.reference, considerations=answers, lcspr_decision=lcspr, sent_on=sent,
                    response=response, response_note=note, expected_version=rv.version, today=today())
            except (ValidationFailed, StaleEdit) as e:
                st.session_state[f"rr_{rv.reference}_err"] = getattr(e, "errors", {"lcspr_decision": str(e)})
            else:
                st.session_state[f"rr_{rv.reference}_err"] = {}
                st.toast("Rapid review outcome saved", icon=":material/check:")
            st.rerun()

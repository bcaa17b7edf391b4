"""Make a referral: the notification form (Trafford / Tameside / GM SIN form fields).

Every field is checked by the service; messages appear beside the field and nothing is saved
until all are right. Panel users see possible duplicates before saving.
"""

import secrets

import streamlit as st

from panel.accounts import own as own_account
from panel.accounts import service as accounts
from panel.agencies import service as agency_service
from panel.core.errors import AlreadySaved
from panel.referrals import service as referrals
from panel.referrals.rules import (
    ABUSE_OR_NEGLECT,
    ETHNICITY,
    FIELD_LABELS,
    HARM,
    IDENTIFIED_BY,
    LINK_KINDS,
    LOCATION,
    SEX,
)
from panel.ui.common import (
    actor,
    empty_state,
    esc,
    field_error,
    header,
    presenting,
    today,
)
from panel.ui.forms import refusals, submit

LABELS = FIELD_LABELS
ON_FORM = [k for k in LABELS if k != "partnership_id"]  # each message is drawn beneath its field
FORM_KEYS = [f"mr_{k}" for k in LABELS] + ["mr_looked_after", "mr_child_protection_plan", "mr_known_to_csc"]

me = actor()
header("Make a referral", ":material/note_add:",
       "Tell the panel about a child who has died or been seriously harmed where abuse or neglect "
       "is known or suspected. Record initials and age only: no names anywhere on this form.")

parts = accounts.partnerships(me, "referral.submit")
if not parts:
    empty_state("You cannot make referrals in any partnership.", "Ask your administrator for the referrer role.")
    st.stop()
if presenting():
    # The form shows what is typed about the child (initials, age, what happened): not on a shared
    # screen. What was typed is kept (a widget's value is dropped on a run that does not draw it).
    for k in FORM_KEYS:
        if k in st.session_state:
            st.session_state[k] = st.session_state[k]
    empty_state("The referral form is not shown in presentation mode: it shows what is typed about the child.",
                "Turn presentation mode off in the sidebar to make a referral; anything typed is kept.")
    st.stop()
agencies = agency_service.names(me, include_retired=False)  # a form: active agencies
if done := st.session_state.pop("mr_done", None):
    st.success(f"Referral {esc(done)} saved. The panel has been told; you can follow it under **My referrals**.",
               icon=":material/check_circle:")

# The form's one-time token: made when the form is first drawn and kept until the user asks
# for a new form, so a second press of the same form (a double click) is refused by the service
# with the reference of the referral the first press saved.
token = st.session_state.setdefault("mr_token", secrets.token_urlsafe(24))
if saved := st.session_state.get("mr_saved"):
    reference, again = saved
    if again:
        st.info(f"Already saved: {esc(reference)}. The form was sent twice; only one referral was made.",
                icon=":material/content_copy:")
    if me.can("referral.read"):
        st.page_link("pages/referral.py", label=f"Open referral {esc(reference)}", query_params={"ref": reference},
                     icon=":material/description:")
    else:
        st.page_link("pages/my_referrals.py", label="Follow it under My referrals", icon=":material/list:")
    if st.button("Make another referral", icon=":material/note_add:"):
        for k in ("mr_saved", "mr_token"):
            st.session_state.pop(k, None)
        st.rerun()
    st.stop()

errors = refusals("mr", LABELS)  # the box at the top lists every problem and where it is


def collect() -> tuple[int, dict]:
    g = st.session_state.get
    data = {k: g(f"mr_{k}") for k in LABELS if k != "partnership_id"}
    for flag in ("looked_after", "child_protection_plan", "known_to_csc", "care_leaver"):
        data[flag] = bool(g(f"mr_{flag}"))
    data["agencies_involved"] = g("mr_agencies_involved") or []
    pid = g("mr_partnership_id") or parts[0].id
    return pid, data


def or_already_saved(call):
    """The service's answer, or its AlreadySaved: a second press of the same form is no refusal,
    the page shows the referral the first press saved."""
    try:
        return call()
    except AlreadySaved as e:
        return e


def save(pid: int, data: dict, link_to=()) -> None:
    result = submit("mr", or_already_saved, lambda: referrals.submit(
        me, pid, data, today(), link_to=list(link_to), submission_token=token), fields=ON_FORM, rerun=False)
    if isinstance(result, AlreadySaved):
        saved_as(result.reference, again=True)
    else:
        st.session_state["mr_done"] = result.reference
        saved_as(result.reference, again=False)


def saved_as(reference: str, again: bool) -> None:
    """The form is done: it is cleared, and the page shows the saved referral instead."""
    st.session_state["mr_saved"] = (reference, again)
    st.session_state.pop("mr_pending", None)
    for k in FORM_KEYS:
        st.session_state.pop(k, None)


pending = st.session_state.get("mr_pending")
if pending:
    st.warning("This may be a referral the panel already has: same initials, same date of birth or "
               "age, incident within 30 days. Choose how to save it.", icon=":material/content_copy:")
    st.dataframe(pending["duplicates"], hide_index=True, column_order=["reference", "incident_date", "harm", "status"])
    with st.form("mr_duplicates"):
        options = ["new"] + [f"{d['id']}:{kind}" for d in pending["duplicates"] for kind in LINK_KINDS]
        labels = {"new": "Save as a new, unlinked referral"}
        for d in pending["duplicates"]:
            for kind, text in LINK_KINDS.items():
                labels[f"{d['id']}:{kind}"] = f"Link to {d['reference']}: {text.lower()}"
        choice = st.radio("How should this referral be saved?", options, format_func=lambda k: esc(labels[k]))
        c1, c2 = st.columns([1, 5])
        if c1.form_submit_button("Save referral", type="primary"):
            link = [] if choice == "new" else [(int(choice.split(":")[0]), choice.split(":")[1])]
            save(pending["partnership_id"], pending["data"], link)
            st.rerun()
        if c2.form_submit_button("Back to the form"):
            st.session_state.pop("mr_pending")
            st.rerun()
    st.stop()

# A new form starts with who is referring: the user's own name and agency, from their account.
if "mr_referrer_name" not in st.session_state:
    st.session_state["mr_referrer_name"] = me.name
    if (own := own_account.my_account(me).agency_id) in agencies:
        st.session_state["mr_referrer_agency_id"] = own

with st.form("make_referral", clear_on_submit=False, enter_to_submit=False):
    if len(parts) > 1:
        st.selectbox(LABELS["partnership_id"], [p.id for p in parts], key="mr_partnership_id",
                     format_func={p.id: p.name for p in parts}.get)
    st.header("About the referral")
    c1, c2 = st.columns(2)
    with c1:
        st.date_input(LABELS["received_on"], value=today(), max_value=today(), format="DD/MM/YYYY", key="mr_received_on")
        field_error(errors, "received_on")
    with c2:
        st.date_input(LABELS["aware_on"], value=None, max_value=today(), format="DD/MM/YYYY", key="mr_aware_on",
                      help="The statutory clock runs from this date: notify within 5 working days.")
        field_error(errors, "aware_on")
    c1, c2 = st.columns(2)
    with c1:
        st.text_input(LABELS["referrer_name"], max_chars=200, key="mr_referrer_name",
                      placeholder="e.g. Designated safeguarding lead")
        field_error(errors, "referrer_name")
    with c2:
        st.selectbox(LABELS["referrer_agency_id"], list(agencies), index=None, format_func=agencies.get,
                     key="mr_referrer_agency_id", placeholder="Choose an agency")
        field_error(errors, "referrer_agency_id")
    st.selectbox(LABELS["identified_by"], list(IDENTIFIED_BY), index=None, format_func=IDENTIFIED_BY.get,
                 key="mr_identified_by", placeholder="Choose one")
    field_error(errors, "identified_by")

    st.header("About the child")
    st.caption("Minimise: initials, and age or date of birth. Do not write names.")
    c1, c2, c3 = st.columns(3)
    with c1:
        st.text_input(LABELS["child_initials"], max_chars=4, key="mr_child_initials", placeholder="e.g. AB")
        field_error(errors, "child_initials")
    with c2:
        st.number_input(LABELS["child_age_years"], min_value=0, max_value=24, value=None, step=1, key="mr_child_age_years",
                        help="0 to 17; 18 to 24 only for a care leaver who died.")
        field_error(errors, "child_age_years")
    with c3:
        st.date_input(LABELS["child_dob"], value=None, max_value=today(), format="DD/MM/YYYY", key="mr_child_dob",
                      help="Only where needed; the age alone is enough for most referrals.")
        field_error(errors, "child_dob")
    c1, c2 = st.columns(2)
    with c1:
        st.selectbox(LABELS["child_sex"], list(SEX), index=None, format_func=SEX.get, key="mr_child_sex",
                     placeholder="Choose one")
        field_error(errors, "child_sex")
    with c2:
        st.selectbox(LABELS["child_ethnicity"], list(ETHNICITY), index=None, format_func=ETHNICITY.get,
                     key="mr_child_ethnicity", placeholder="Choose one")
        field_error(errors, "child_ethnicity")
    c1, c2, c3 = st.columns(3)
    c1.checkbox("Looked after", key="mr_looked_after")
    c2.checkbox("Child protection plan", key="mr_child_protection_plan")
    c3.checkbox("Known to children's social care", key="mr_known_to_csc")
    st.checkbox(LABELS["care_leaver"], key="mr_care_leaver",
                help="A care leaver aged 18 to 24 who died: enter their age (18 to 24) above. "
                     "Since Working Together 2023 the Secretary of State and Ofsted are told.")
    field_error(errors, "care_leaver")

    st.header("About the incident")
    c1, c2 = st.columns(2)
    with c1:
        st.date_input(LABELS["incident_date"], value=None, max_value=today(), format="DD/MM/YYYY", key="mr_incident_date")
        field_error(errors, "incident_date")
    with c2:
        st.selectbox(LABELS["location"], list(LOCATION), index=0, format_func=LOCATION.get, key="mr_location")
        field_error(errors, "location")
    st.text_area(LABELS["incident_summary"], max_chars=4000, key="mr_incident_summary",
                 help="Facts only, and no names: say 'the child', 'mother', 'father'.")
    field_error(errors, "incident_summary")
    c1, c2 = st.columns(2)
    with c1:
        st.radio(LABELS["harm"], list(HARM), index=None, format_func=HARM.get, key="mr_harm")
        field_error(errors, "harm")
    with c2:
        st.radio(LABELS["abuse_or_neglect"], list(ABUSE_OR_NEGLECT), index=None, format_func=ABUSE_OR_NEGLECT.get,
                 key="mr_abuse_or_neglect")
        field_error(errors, "abuse_or_neglect")
    st.multiselect(LABELS["agencies_involved"], list(agencies), format_func=agencies.get, key="mr_agencies_involved")
    field_error(errors, "agencies_involved")
    st.text_area(LABELS["referrer_view"], max_chars=2000, key="mr_referrer_view",
                 help="Do you think the criteria for notification or a review are met, and why?")
    field_error(errors, "referrer_view")

    submitted = st.form_submit_button("Check and save referral", type="primary", icon=":material/send:")

if submitted:
    pid, data = collect()
    dupes = submit("mr", or_already_saved, lambda: referrals.possible_duplicates(
        me, pid, data, today(), submission_token=token), fields=ON_FORM, rerun=False)
    if isinstance(dupes, AlreadySaved):
        saved_as(dupes.reference, again=True)
    elif dupes:
        st.session_state["mr_pending"] = {"partnership_id": pid, "data": data, "duplicates": dupes}
    else:
        save(pid, data)
    st.rerun()

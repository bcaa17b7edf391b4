"""One referral: its facts, clock, links, history and the triage actions."""

import streamlit as st

from panel.referrals import service as referrals
from panel.referrals.rules import LINK_KINDS, STATUSES
from panel.reviews import service as reviews
from panel.reviews.lifecycle import REVIEW_STATES
from panel.screening.rules import running_clock
from panel.ui import referral_view
from panel.ui.common import (
    actor,
    child_text,
    day,
    esc,
    field_error,
    header,
    in_sentence,
    query_ref,
    today,
)
from panel.ui.documents import documents_section
from panel.ui.forms import load_viewed, refusals, stop_if_malformed, submit
from panel.ui.notification_draft import notification_section

SCREEN_NOW = "_panel_screen_now"  # the referral this tab has just accepted for screening

me = actor()
ref = query_ref("ref")  # None when absent or malformed
header("Referral", ":material/description:")
with st.form("open_ref", border=False):
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    typed = c1.text_input("Open a referral by reference", value=ref or "", placeholder="e.g. NB-2026-014")
    if c2.form_submit_button("Open"):
        st.query_params["ref"] = typed.strip().upper()
        st.rerun()
stop_if_malformed("ref", referrals.NOT_FOUND)
if not ref:
    st.info("Choose a referral in the **Referral queue**, or type its reference above.")
    st.stop()

d = load_viewed("referral", ref, lambda first: referrals.get_referral(me, ref, today(), record_view=first))
r = d.referral
versions = st.session_state.setdefault("referral_versions", {})
versions.setdefault(r.reference, r.version)  # the version this user opened

st.header(f"{esc(r.reference)} · {esc(d.partnership_name)}", anchor=False)
# The notification clock shows only while it runs (docs/domain.md §4.5); a referrer sees the status.
referral_view.status_and_clock(r.status, running_clock(d.clocks))
referral_view.notified(d.clocks)
if d.full_view and not d.clocks:
    st.caption("No notification clock: the criteria, as they stand, call for no statutory notification.")
if d.outcome:
    st.markdown(f"**Decision:** {esc(d.outcome)}, signed (decided {day(d.decided_on)}).")
# Each review with the one it is linked to: a rapid review and the LCSPR it started (docs/domain.md §6.3).
for link in reviews.for_referral(me, r.reference) if d.full_view else []:
    joined = (f" · LCSPR {link['lcspr']}" if link["lcspr"] else "") + (
        f" · started by rapid review {link['rapid_review']}" if link["rapid_review"] else "")
    state = in_sentence(REVIEW_STATES.get(link["status"], "unknown"))
    st.page_link("pages/review.py", label=esc(f"Review {link['reference']} ({state}){joined}"),
                 query_params={"ref": link["reference"]}, icon=":material/assignment:")
if d.full_view:
    if st.session_state.get(SCREEN_NOW) == r.reference and r.status == "accepted" \
            and me.can("screening.edit", r.partnership_id):
        # Just accepted for screening: the next step is one click away.
        if st.button("Screen now", type="primary", icon=":material/fact_check:", key="screen_now"):
            st.session_state.pop(SCREEN_NOW, None)
            st.switch_page("pages/screening.py", query_params={"ref": r.reference})
    st.page_link("pages/screening.py", label="Screening and decision", query_params={"ref": r.reference},
                 icon=":material/fact_check:")
if r.status_note:
    st.info(f"Panel note: {esc(child_text(r.status_note))}")

if not d.full_view:
    st.caption("You made this referral: you can follow its progress here.")
    st.stop()
notification_section(me, r, today())

left, right = st.columns([3, 2])
with left:
    referral_view.facts(d, today())

with right:
    st.markdown("### Linked referrals")
    if d.links:
        for link in d.links:
            st.page_link("pages/referral.py", label=esc(f"{link['reference']} · {link['kind']} · {link['status']}"),
                         query_params={"ref": link["reference"]}, icon=":material/link:")
    else:
        st.caption("None.")
    if d.duplicates:
        st.warning("Possible duplicates (same initials, date of birth or age, incident within 30 days): "
                   + esc(", ".join(x["reference"] for x in d.duplicates)), icon=":material/content_copy:")
    if me.can("referral.link", r.partnership_id):
        with st.expander("Link to another referral"):
            lerr = refusals("link_form")
            with st.form("link_form"):
                other = st.text_input("Other referral's reference",
                                      value=d.duplicates[0]["reference"] if d.duplicates else "")
                field_error(lerr, "other")
                kind = st.radio("Link as", list(LINK_KINDS), format_func=LINK_KINDS.get, horizontal=True)
                field_error(lerr, "kind")
                if st.form_submit_button("Link"):
                    submit("link_form", referrals.link, me, r.reference, other, kind, fields=("other", "kind"))

    if d.can_triage:
        st.markdown("### Triage")
        errors = refusals("triage")
        with st.form("triage"):
            action = st.radio("Decision", ["accept", "request_information", "close"],
                              format_func={"accept": "Accept for screening",
                                           "request_information": "Ask for more information",
                                           "close": "Close: not for the panel"}.get, key="triage_action")
            field_error(errors, "action")
            note = st.text_area("Note", key="triage_note", max_chars=2000,
                                help="Required when asking for information (say what) or closing (say why).")
            field_error(errors, "note")
            if st.form_submit_button("Record triage", type="primary"):
                seen = versions.pop(r.reference, None)  # refused or not, the next load is the record as it now is
                status = submit("triage", referrals.triage, me, r.reference, action, note, seen,
                                fields=("action", "note"), rerun=False)
                st.session_state.pop("triage_note", None)
                if status == "accepted":
                    st.session_state[SCREEN_NOW] = r.reference
                st.toast(f"{esc(r.reference)}: {in_sentence(STATUSES[status])}", icon=":material/check:")
                st.rerun()

documents_section(me, r.partnership_id, today(), referral=r.reference)  # docs/domain.md §11

referral_view.history(d)

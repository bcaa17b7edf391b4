"""One referral: its facts, clock, links, history and the triage actions."""

import json

import streamlit as st

from panel.referrals import service as referrals
from panel.referrals.rules import (
    ABUSE_OR_NEGLECT,
    ETHNICITY,
    HARM,
    IDENTIFIED_BY,
    LINK_KINDS,
    LOCATION,
    SEX,
    STATUSES,
    age_band,
)
from panel.reviews import service as reviews
from panel.screening.rules import BODY_NAMES, running_clock
from panel.ui.common import (
    RAG_LABELS,
    actor,
    child_text,
    esc,
    field_error,
    header,
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

st.subheader(f"{esc(r.reference)} · {esc(d.partnership_name)}", anchor=False)
# The notification clock shows only while it runs (docs/domain.md §4.5); a referrer sees the status.
clock = running_clock(d.clocks)
c1, c2, c3, c4 = st.columns(4)
c1.metric("Status", STATUSES[r.status])
if clock:
    c2.metric("Notify by", clock.due.strftime("%a %d %b %Y"), help=f"{BODY_NAMES[clock.body]}, and any other body due")
    c3.metric("Working days left", int(clock.days_left))
    c4.metric("Clock", RAG_LABELS[clock.rag])
for c in d.clocks:
    if c.state == "notified":
        when = "on time" if not c.late_by else f"{c.late_by} working day{'s' if c.late_by != 1 else ''} late"
        st.success(f"Notified on {c.sent_on:%a %d %b %Y}: {BODY_NAMES[c.body]}, {esc(when)} (due {c.due:%d %b %Y}).",
                   icon=":material/send:")
    elif c.state == "none_due":
        st.info(f"{BODY_NAMES[c.body]}: no notification due, by the panel's signed decision.", icon=":material/gavel:")
if d.full_view and not d.clocks:
    st.caption("No notification clock: the criteria, as they stand, call for no statutory notification.")
if d.outcome:
    st.markdown(f"**Decision:** {esc(d.outcome)}, signed (decided {d.decided_on:%d %b %Y}).")
# Each review with the one it is linked to: a rapid review and the LCSPR it started (docs/domain.md §6.3).
for link in reviews.for_referral(me, r.reference) if d.full_view else []:
    joined = (f" · LCSPR {link['lcspr']}" if link["lcspr"] else "") + (
        f" · started by rapid review {link['rapid_review']}" if link["rapid_review"] else "")
    st.page_link("pages/review.py", label=esc(f"Review {link['reference']} ({link['status']}){joined}"),
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
    st.markdown("#### The child")
    st.write(child_text(f"**{esc(r.child_initials)}**, age band {esc(age_band(r.child_age_years, r.child_dob, today()))}; "
                        f"{SEX[r.child_sex].lower()}; {ETHNICITY[r.child_ethnicity]}"))
    flags = [label for flag, label in (("looked_after", "looked after"), ("child_protection_plan", "child protection plan"),
                                        ("known_to_csc", "known to children's social care")) if getattr(r, flag)]
    st.write("Also: " + esc(", ".join(flags)) if flags else "Not looked after, no plan, not known to children's social care.")
    st.markdown("#### The incident")
    st.write(f"**{HARM[r.harm]}** on {r.incident_date:%d %b %Y}; abuse or neglect: "
             f"**{ABUSE_OR_NEGLECT[r.abuse_or_neglect].lower()}**; {LOCATION[r.location].lower()}.")
    st.text(child_text(r.incident_summary))
    st.markdown("#### The referral")
    st.write(f"Received {r.received_on:%d %b %Y} from {esc(child_text(r.referrer_name))}, {esc(d.referrer_agency)}. "
             f"Identified by: {IDENTIFIED_BY[r.identified_by].lower()}.")
    if r.referrer_view:
        st.write("Referrer's view:")
        st.text(child_text(r.referrer_view))
    st.write("Agencies involved: " + (esc(", ".join(d.agencies_involved)) or "none recorded"))

with right:
    st.markdown("#### Linked referrals")
    if d.links:
        for link in d.links:
            st.page_link("pages/referral.py", label=esc(f"{link['reference']} ({link['kind'].lower()}, {link['status'].lower()})"),
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
        st.markdown("#### Triage")
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
                st.toast(f"{esc(r.reference)}: {STATUSES[status].lower()}", icon=":material/check:")
                st.rerun()

documents_section(me, r.partnership_id, today(), referral=r.reference)  # docs/domain.md §11

st.markdown("#### Timeline and audit history")
# Which fields changed, not their values: the history is for accountability, and values such as
# the child's details must not reappear here (or on a shared screen).
timeline = [{"when": e.at.strftime("%d %b %Y %H:%M"), "who": e.username, "what": e.action.replace("_", " "),
             "detail": e.detail or ("changed: " + ", ".join(sorted(json.loads(e.after))) if e.after else "")}
            for e in d.history]
st.dataframe(timeline, hide_index=True, width="stretch")

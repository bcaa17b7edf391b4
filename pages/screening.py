"""Screening: walk the criteria with the panel, see what the rules say and why, record the
notifications and the panel's decision. The criteria engine is panel.screening.assess."""

import json
from datetime import date

import pandas as pd
import streamlit as st

from panel.referrals import service as referrals
from panel.referrals.rules import STATUSES
from panel.reviews import service as reviews
from panel.reviews import types_service as review_types
from panel.screening import decisions
from panel.screening import service as screening
from panel.screening.rules import (
    CHOICES,
    CRITERIA_HELP,
    REGIME_FACTS,
    ROUTE_NAMES,
    decision_refusal,
    departs_from_criteria,
    regime_of,
)
from panel.themes import service as theme_service
from panel.themes import tags as theme_tags
from panel.ui import cached
from panel.ui.common import (
    DATE_FORMAT,
    RAG_LABELS,
    actor,
    child_text,
    day,
    days_in,
    empty_state,
    esc,
    field_error,
    header,
    query_ref,
    today,
)
from panel.ui.forms import decision_fields, load_viewed, refusals, stop_if_malformed, submit

ATTENDANCE = {"present": "Present", "apologies": "Apologies", "absent": "Absent"}
QUESTIONS = [  # (fact, label, kind)
    ("abuse_or_neglect", "Is abuse or neglect known or suspected?", "choice"),
    ("harm", "What happened to the child?", "choice"),
    ("interagency_concerns", "Is there cause for concern about how agencies worked together?", "choice"),
    ("location", "Where did it happen?", "choice"),
    ("looked_after", "Was the child looked after?", "bool"),
    ("custody_death", "Did the child die in custody or detention?", "bool"),
    ("media_interest", "Has the case attracted, or is it likely to attract, media attention?", "bool"),
    ("practice_concerns", "Are there concerns about professional practice or government policy?", "bool"),
]

me = actor()
header("Screening", ":material/fact_check:",
       "Walk the statutory criteria with the panel. The result updates as you answer; "
       "save the answers, record notifications, then record and sign the decision.")
ref = query_ref("ref")  # None when absent or malformed
stop_if_malformed("ref", referrals.NOT_FOUND)

if not ref:
    df, total = referrals.queue(me, referrals.QueueFilter(statuses=("accepted",)), today())
    if total == 0:
        empty_state("No referrals are waiting for screening.",
                    "Accept a referral for screening from the **Referral queue** first.")
        st.stop()
    def _label(r) -> str:
        clock = f"notify by {r.notification_due:%a %d %b}" if pd.notna(r.notification_due) else "no notification clock"
        return f"{r.reference} · {clock} · {child_text(r.child)}"

    labels = {r.reference: _label(r) for r in df.itertuples()}
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    chosen = c1.selectbox("Referral to screen", list(labels), index=None, format_func=labels.get,
                          placeholder=f"{int(total)} referral(s) accepted for screening, most urgent first")
    if c2.button("Screen", disabled=chosen is None, type="primary"):
        st.query_params["ref"] = chosen
        st.rerun()
    st.stop()

detail = load_viewed("referral", ref, lambda first: referrals.get_referral(me, ref, today(), record_view=first))
r = detail.referral
key = f"sc_{r.reference}"
overrides = {f: st.session_state[f"{key}_{f}"] for f, _, _ in QUESTIONS if f"{key}_{f}" in st.session_state}
sc = screening.screen(me, r.reference, today(), overrides)
st.header(f"{esc(r.reference)} · {esc(detail.partnership_name)} · {STATUSES[r.status]}", anchor=False)
st.caption(f"Child {esc(child_text(r.child_initials))}; aware on {day(r.aware_on)}; received {day(r.received_on)}.")
st.session_state.setdefault(f"{key}_version", r.version)
for t in cached.recurring_themes(me, r.reference, today()):
    st.warning(esc(t.message) + " SI 2018/789 reg.11: consider whether the case highlights recurrent themes.",
               icon=":material/repeat:")
if me.can("learning.edit", r.partnership_id):
    with st.expander("Themes of this case", icon=":material/label:"):
        theme_opts = theme_service.theme_names(me)
        picked = st.multiselect("Themes", list(theme_opts), format_func=theme_opts.get, key=f"{key}_themes",
                                default=list(theme_tags.tags_of(me, "referral", r.id)))
        if st.button("Save themes", key=f"{key}_themes_save"):
            theme_tags.set_tags(me, "referral", r.id, picked)
            st.rerun()

regime = sc.result["regime"] if sc.result else regime_of(r.aware_on)
left, right = st.columns([1, 1], gap="large")
with left:
    st.markdown("### The criteria")
    st.caption(f"The questions of {regime}'s criteria (aware {'before' if regime == 'WT2015' else 'on or after'} "
               "29 June 2018); the other regime's do not change the answer.")  # not user text: WT2015 or WT2018
    stored = screening.facts_of(r)
    for fact, label, kind in (q for q in QUESTIONS if q[0] in REGIME_FACTS[regime]):
        wkey = f"{key}_{fact}"
        if kind == "choice":
            options = [v for v, _ in CHOICES[fact]]
            names = dict(CHOICES[fact])
            st.radio(label, options, index=options.index(stored[fact]), format_func=names.get,  # not user text: QUESTIONS, CHOICES
                     key=wkey, disabled=not sc.can_edit, horizontal=len(options) <= 3)
        else:
            st.toggle(label, value=bool(stored[fact]), key=wkey, disabled=not sc.can_edit)  # not user text: QUESTIONS
        st.caption(CRITERIA_HELP[fact])
        field_error(sc.error, fact)
    changed = {f: v for f, v in overrides.items() if v != stored.get(f)}
    if sc.can_edit:
        refusals(f"{key}_facts")  # each answer's own problem is drawn beneath it, from the screening
        if st.button("Save answers", type="primary", disabled=not changed or bool(sc.error),
                     help="Saves the answers to the referral; every change is audited."):
            submit(f"{key}_facts", screening.save_facts, me, r.reference, changed, st.session_state[f"{key}_version"],
                   rerun=False)
            st.session_state.pop(f"{key}_version", None)
            st.toast("Screening answers saved", icon=":material/check:")
            st.rerun()
        if changed:
            st.caption(f"{len(changed)} unsaved answer(s).")

with right, st.container(key="result_panel"):  # in view beside the questions (REFLOW_CSS)
    st.markdown("### What the criteria say")
    if sc.error:
        st.error("These answers cannot be assessed: " + esc("; ".join(sc.error.values())))
    else:
        res = sc.result
        c1, c2 = st.columns(2)
        c1.metric("Regime", esc(res["regime"]), help="WT2015: Working Together 2015 (aware before 29 June 2018). "
                  "WT2018: Working Together 2018, whose criteria Working Together 2023 kept.")
        c2.metric("Route", ROUTE_NAMES[res["route"]])
        if res.get("rapid_review_due"):
            st.metric("Rapid review due", day(date.fromisoformat(res["rapid_review_due"])),
                      help="15 working days after the notification (or its due date, until it is sent).")
        if sc.notifications:
            st.markdown("**Notifications**")
            st.dataframe([{
                "to": screening.BODIES[n.body], "due": n.due_on, "sent": n.sent_on,
                "working days left": n.days_left, "status": "Sent" if n.sent_on else RAG_LABELS[n.rag],
            } for n in sc.notifications], hide_index=True, width="stretch",
                column_config={"to": "To", "due": st.column_config.DateColumn("Due", format=DATE_FORMAT),
                               "sent": st.column_config.DateColumn("Sent", format=DATE_FORMAT),
                               "working days left": "Working days left", "status": "Status"})
        else:
            st.info("No statutory notification is required on these answers.")
        st.markdown("**Why**")
        for line in res["reasons"]:
            st.markdown(f"- {esc(days_in(line))}")

if sc.result and sc.notifications and me.can("notification.record", r.partnership_id):
    pending = [n for n in sc.notifications if not n.sent_on]
    if pending:
        with st.expander("Record a notification as sent", icon=":material/send:"):
            errs = refusals(f"{key}_notify")
            with st.form(f"{key}_notify"):
                body = st.selectbox("Notified", [n.body for n in pending], format_func=screening.BODIES.get)
                field_error(errs, "body")
                sent_on = st.date_input("Date sent", value=today(), max_value=today(), format="DD/MM/YYYY")
                field_error(errs, "sent_on")
                sent_ref = st.text_input("Their reference (optional)", max_chars=100)
                if st.form_submit_button("Record notification"):
                    submit(f"{key}_notify", screening.record_notification, me, r.reference, body, sent_on, sent_ref,
                           today(), fields=("body", "sent_on"), rerun=False)
                    st.toast("Notification recorded", icon=":material/check:")
                    st.rerun()

with st.expander("Director's route and DCS informed (before the panel)", icon=":material/alt_route:"):
    st.caption("Greater Manchester procedure, as Trafford's serious incident procedure sets it out: the "
               "strategic lead passes the case to the director, who decides to notify, refer to the panel, "
               "or hold an internal single-agency review. The DCS is told of every notification.")
    if r.director_decision:
        st.write(f"Recorded: **{screening.DIRECTOR_DECISIONS[r.director_decision]}**"
                 + (f"; DCS informed {day(r.dcs_informed_on)}." if r.dcs_informed_on else "."))
    if sc.can_edit:
        derr = refusals(f"{key}_route")
        with st.form(f"{key}_route"):
            opts = list(screening.DIRECTOR_DECISIONS)
            choice = st.radio("Director's decision", opts, format_func=screening.DIRECTOR_DECISIONS.get,
                              index=opts.index(r.director_decision) if r.director_decision else None)
            field_error(derr, "director_decision")
            dcs = st.date_input("DCS informed on", value=r.dcs_informed_on, max_value=today(), format="DD/MM/YYYY")
            field_error(derr, "dcs_informed_on")
            if st.form_submit_button("Save the director's route"):
                submit(f"{key}_route", screening.record_director_route, me, r.reference, choice, dcs, today(),
                       fields=("director_decision", "dcs_informed_on"), rerun=False)
                st.session_state.pop(f"{key}_version", None)
                st.rerun()

st.divider()
st.markdown("### The panel's decision")
history = decisions.decisions_for(me, r.reference)
signed = next((d for d in history if d.status == "signed"), None)
draft = next((d for d in history if d.status == "draft"), None)
members = decisions.panel_members(me, r.partnership_id)
types = {t.id: t for t in review_types.list_types(me, r.partnership_id)}


def describe(d) -> None:
    t = types.get(d.review_type_id)
    who = ", ".join(members.get(i, f"#{i}") for i in json.loads(d.present))
    conflicted = [members.get(i, f"#{i}") for i in json.loads(d.conflicts)]
    st.write(f"**{esc(t.name if t else d.review_type_id)}** (version {esc(d.version_no)}, decided {day(d.decided_on)})")
    st.write("Rationale:")
    st.text(d.rationale)
    if d.departs:
        st.warning("Departs from the criteria (engine: " + ROUTE_NAMES[d.engine_route] + ") because:")
        st.text(d.departure_rationale or "")
    if d.amendment_reason:
        st.write("Amended because:")
        st.text(d.amendment_reason)
    st.caption(f"Present: {esc(who)}." + (f" Conflicted, excluded from the decision: {esc(', '.join(conflicted))}." if conflicted else ""))


if signed:
    st.success(f"Signed on {day(signed.signed_at)}.", icon=":material/verified:")
    describe(signed)
    if detail.referral.status == "decided":
        for link in reviews.for_referral(me, r.reference):
            st.page_link("pages/review.py", label=esc(f"Open review {link['reference']} ({link['type']}, {link['status']})"),
                         query_params={"ref": link["reference"]}, icon=":material/timeline:")
if draft:
    st.info("A decision is recorded and waiting for the chair's signature.", icon=":material/draw:")
    describe(draft)
    if me.can("decision.sign", r.partnership_id):
        # Who was present and who was conflicted decide whether the panel could decide: the chair
        # confirms them as recorded before signing, and the service refuses a signing without it.
        names = lambda field: ", ".join(members.get(i, f"#{i}") for i in json.loads(getattr(draft, field))) or "nobody"  # noqa: E731
        st.text(f"Recorded as present: {names('present')}\nApologies: {names('apologies')}\n"
                f"Conflicted, excluded from the decision: {names('conflicts')}")
        serr = refusals(f"{key}_sign")  # why signing was refused, unless it is the confirmation below
        confirmed = st.checkbox("I confirm attendance as shown", key=f"{key}_confirm_{draft.id}")
        field_error(serr, "attendance_confirmed")
        if st.button("Sign decision", type="primary", icon=":material/verified:"):
            review_ref = submit(f"{key}_sign", lambda: decisions.sign_decision(
                me, draft.id, today(), attendance_confirmed=confirmed), fields=("attendance_confirmed",), rerun=False)
            st.session_state[f"{key}_signed"] = review_ref or "none"
            st.session_state.pop(f"{key}_version", None)  # signing moved the referral on
            st.rerun()
if done := st.session_state.pop(f"{key}_signed", None):
    st.success("Decision signed." + (f" Review {esc(done)} created with its milestones." if done != "none" else ""))

if not me.can("decision.record", r.partnership_id) or decision_refusal(r.status, has_signed=bool(signed)):
    if not signed and not draft:
        st.caption("The decision is recorded once the referral is accepted for screening, by a chair or member.")
    st.stop()

with st.expander("Amend the signed decision" if signed else "Record the decision", expanded=not signed and not draft,
                 icon=":material/edit_note:"):
    regime = sc.result["regime"] if sc.result else None
    options = [t for t in types.values() if t.regime == regime]
    route = sc.result["route"] if sc.result else None
    fmt = {t.id: f"{t.name} — {'departs from' if departs_from_criteria(route, t.routes) else 'consistent with'} "
                 "the criteria" for t in options}
    errs = refusals(f"{key}_decision")  # how many parts are wrong, and any problem not about one part
    with st.form(f"{key}_decision"):
        outcome, rationale, departure = decision_fields(fmt, errs)
        # One answer per person: a single list with its own "Select all" recorded everyone in one
        # click. Nobody is present until the chair says so.
        st.markdown("**Attendance**")
        attendance: dict[int, str | None] = {}
        conflicts = []
        for uid, name in members.items():
            c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
            attendance[uid] = c1.segmented_control(f"Attendance: {esc(name)}", list(ATTENDANCE), format_func=ATTENDANCE.get,
                                                   key=f"{key}_att_{uid}")
            if c2.checkbox("Declared a conflict", key=f"{key}_conflict_{uid}",
                           help="Excluded from this decision; only someone present can declare one."):
                conflicts.append(uid)
        present = [u for u, a in attendance.items() if a == "present"]
        apologies = [u for u, a in attendance.items() if a == "apologies"]
        field_error(errs, "present")
        field_error(errs, "apologies")
        field_error(errs, "conflicts")
        decided_on = st.date_input("Date of the decision", value=today(), max_value=today(), format="DD/MM/YYYY")
        field_error(errs, "decided_on")
        reason = st.text_area("Why is the decision being amended?") if signed else ""
        field_error(errs, "amendment_reason")
        field_error(errs, "amends")
        field_error(errs, "status")
        if st.form_submit_button("Record decision", type="primary"):
            form = decisions.DecisionForm(outcome, rationale, present, apologies, conflicts, decided_on,
                                          departure, signed.id if signed else None, reason)
            submit(f"{key}_decision", decisions.record_decision, me, r.reference, form, today(),
                   fields=("review_type_id", "rationale", "departure_rationale", "present", "apologies", "conflicts",
                           "decided_on", "amendment_reason", "amends", "status"), rerun=False)
            st.toast("Decision recorded: the chair signs it next.", icon=":material/check:")
            st.rerun()

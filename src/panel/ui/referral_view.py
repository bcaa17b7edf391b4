"""The referral page's reading parts, in words: its status and notification clock as a short list
(words that wrap on a narrow screen, where metrics cut them short), the child, the incident and
the referral as sentences, and its history as a table. Rendering only: panel.referrals.service
reads and checks. Labels go inside sentences through in_sentence, never `.lower()`, so
"IRO service", "MARAT" and "England" keep their capitals."""

from __future__ import annotations

import streamlit as st

from panel.core.audit_labels import action_label, changed_fields
from panel.models import AuditEvent
from panel.referrals.rules import (
    ABUSE_OR_NEGLECT,
    ETHNICITY,
    HARM,
    HISTORY_LABELS,
    IDENTIFIED_BY,
    LOCATION,
    SEX,
    STATUSES,
    TRIAGE_ACTIONS,
    age_band,
)
from panel.referrals.service import ReferralDetail
from panel.screening.rules import BODY_NAMES, NotificationClock
from panel.ui.common import DATETIME_FORMAT, RAG_LABELS, child_text, day, days_in, esc, in_sentence


def days_left_words(days_left: int) -> str:
    """A running clock's working days as words: "3 working days left", "due today", "2 working
    days past the date" (a negative count is lateness, docs/domain.md §4.4)."""
    n = abs(int(days_left))
    days = f"{n} working day{'s' if n != 1 else ''}"
    if days_left > 0:
        return f"{days} left"
    return "due today" if days_left == 0 else f"{days} past the date"


def status_and_clock(status: str, clock: NotificationClock | None) -> None:
    """The referral's status and, while it runs, its notification clock (docs/domain.md §4.5)."""
    with st.container(border=True):
        st.markdown(f"**Status:** {STATUSES.get(status, 'Unknown')}" + (
            f"  \n**Notify by:** {day(clock.due)} ({BODY_NAMES[clock.body]}, and any other body due)"
            f"  \n**Clock:** {RAG_LABELS[clock.rag]}: {esc(days_left_words(clock.days_left))}" if clock else ""))


def notified(clocks: list[NotificationClock]) -> None:
    """Each notification sent, and each the panel's signed decision took off."""
    for c in clocks:
        if c.state == "notified":
            when = "on time" if not c.late_by else f"{c.late_by} working day{'s' if c.late_by != 1 else ''} late"
            st.success(f"Notified on {day(c.sent_on)}: {BODY_NAMES[c.body]}, {esc(when)} (due {day(c.due)}).",
                       icon=":material/send:")
        elif c.state == "none_due":
            st.info(f"{BODY_NAMES[c.body]}: no notification due, by the panel's signed decision.",
                    icon=":material/gavel:")


def facts(d: ReferralDetail, today) -> None:
    """The child, the incident and the referral, as the panel reads them."""
    r = d.referral
    st.markdown("### The child")
    st.markdown(child_text(f"**{esc(r.child_initials)}**, age band "
                           f"{esc(age_band(r.child_age_years, r.child_dob, today))}; "
                           f"{in_sentence(SEX[r.child_sex]) if r.child_sex != 'unknown' else 'sex not known or not recorded'}; "
                           f"{ETHNICITY[r.child_ethnicity] if r.child_ethnicity != 'not_recorded' else 'ethnicity not recorded'}"))
    flags = [label for flag, label in (("looked_after", "looked after"), ("child_protection_plan", "child protection plan"),
                                        ("known_to_csc", "known to children's social care")) if getattr(r, flag)]
    st.markdown("Also: " + esc(", ".join(flags)) if flags
                else "Not looked after, no plan, not known to children's social care.")
    st.markdown("### The incident")
    st.markdown(f"**{HARM[r.harm]}** on {day(r.incident_date)}; abuse or neglect: "
                f"**{in_sentence(ABUSE_OR_NEGLECT[r.abuse_or_neglect])}**; {in_sentence(LOCATION[r.location])}.")
    st.text(child_text(r.incident_summary))
    st.markdown("### The referral")
    st.markdown(f"Received {day(r.received_on)} from {esc(child_text(r.referrer_name))}, {esc(d.referrer_agency)}. "
                f"Identified by: {in_sentence(IDENTIFIED_BY[r.identified_by])}.")
    if r.referrer_view:
        st.markdown("Referrer's view:")
        st.text(child_text(r.referrer_view))
    st.markdown("Agencies involved: " + (esc(", ".join(d.agencies_involved)) or "none recorded"))


def history_rows(d: ReferralDetail) -> list[dict]:
    """The referral's audit history as a person reads it: the action in words (the audit log's
    one mapping), who by name, and which fields changed by their labels. Not their values: the
    history is for accountability, and the child's details must not reappear here (or on a
    shared screen)."""
    names = d.history_names
    return [{"When (UTC)": e.at, "Who": names.get(e.username, e.username), "What": action_label(e.action),
             "Detail": _detail(e)} for e in d.history]


def _detail(e: AuditEvent) -> str:
    if e.action == "triage" and e.detail in TRIAGE_ACTIONS:  # triage records its action's key
        return "Now " + in_sentence(STATUSES[TRIAGE_ACTIONS[e.detail]])
    if e.action == "create":
        return ""  # every field: "Created" says it
    text = days_in(e.detail) if e.detail else changed_fields(e.after, HISTORY_LABELS)
    return text[:1].upper() + text[1:]  # "Notification summary (from NB-2026-010)"


def history(d: ReferralDetail) -> None:
    st.markdown("### Timeline and audit history")
    rows = history_rows(d)
    if not rows:
        st.caption("Nothing recorded yet.")
        return
    st.dataframe(rows, hide_index=True, width="stretch",
                 column_config={"When (UTC)": st.column_config.DatetimeColumn("When (UTC)", format=DATETIME_FORMAT)})

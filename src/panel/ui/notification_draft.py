"""The referral page's "notification, ready to send": what the DfE online notification service
asks for, as plain text to copy (st.code renders no Markdown, so the record's text shows as typed),
its downloads, and the one form that records it sent for every child it covered.
Rendering only: panel.notifications.service reads, checks and writes."""

from __future__ import annotations

from datetime import date
from functools import partial

import streamlit as st

from panel.core import clock
from panel.core.access import Actor
from panel.models import Referral
from panel.notifications import service as notifications
from panel.notifications.rules import as_text
from panel.screening.rules import BODY_NAMES
from panel.ui.common import esc, field_error, first_view, mark_viewed, presenting
from panel.ui.forms import note_done, refusals, submit

KEY = "nd_sent"


def _day(d: date) -> str:
    return clock.day(d)


def sent_message(sent: notifications.Sent) -> str:
    parts = []
    if sent.recorded:
        parts.append("Recorded as sent on " + ", ".join(sent.recorded) + ".")
    if sent.already:
        parts.append("Already recorded as sent, left as is: "
                     + ", ".join(f"{ref} (sent {_day(on)})" for ref, on in sent.already) + ".")
    return " ".join(parts) or "Nothing to record."


def notification_section(me: Actor, r: Referral, today: date) -> None:
    """Shown to those who notify (`notification.record`) while a notification is owed."""
    if not me.can("notification.record", r.partnership_id):
        return
    if presenting():  # the children's details: never on a shared screen
        return
    errs = refusals(KEY)
    drafts = notifications.prepare(me, r.reference, today, record_view=first_view("notification", r.reference))
    if not drafts:
        return
    mark_viewed("notification", r.reference)
    st.markdown("### Notification, ready to send")
    st.caption("What the DfE online notification service asks for, drawn from this referral and the referrals "
               "linked to it as siblings in the same incident: copy it from the box (the copy icon at its "
               "top right). Viewing and downloading it are logged.")
    for d in drafts:
        label = f"{BODY_NAMES[d.body]}: due {_day(d.due)}, {len(d.children)} child{'ren' if len(d.children) != 1 else ''}"
        with st.expander(esc(label), icon=":material/send:"):  # folded: the page goes on below
            st.code(as_text(d), language=None, wrap_lines=True)
            c1, c2, _ = st.columns([1, 1, 2])
            c1.download_button("Download .txt", key=f"nd_txt_{d.body}", icon=":material/download:",
                               data=partial(notifications.download, me, r.reference, d.body, "txt", today),
                               file_name=f"notification-{r.reference}-{d.body}.txt", mime=notifications.FORMATS["txt"])
            c2.download_button("Download Word", key=f"nd_docx_{d.body}", icon=":material/download:",
                               data=partial(notifications.download, me, r.reference, d.body, "docx", today),
                               file_name=f"notification-{r.reference}-{d.body}.docx",
                               mime=notifications.FORMATS["docx"])

    # Open again after a refusal, so each message is seen beside its field.
    with st.expander("Record the notification as sent", expanded=bool(errs), icon=":material/task_alt:"), st.form(KEY):
        st.caption("Recorded on every child's referral the notification covered; one already recorded as sent "
                   "to that body is left as it is.")
        body = st.selectbox("Notified", [d.body for d in drafts], format_func=BODY_NAMES.get, key=f"{KEY}_body")
        field_error(errs, "body")
        sent_on = st.date_input("Date sent", value=today, max_value=today, format="DD/MM/YYYY", key=f"{KEY}_on")
        field_error(errs, "sent_on")
        sent_ref = st.text_input("Reference the notification service gave", max_chars=100, key=f"{KEY}_ref")
        field_error(errs, "sent_reference")
        if st.form_submit_button("Record as sent", type="primary"):
            sent = submit(KEY, notifications.record_sent, me, r.reference, body, sent_on, sent_ref, today,
                          fields=("body", "sent_on", "sent_reference"), rerun=False)
            note_done(KEY, sent_message(sent))
            st.rerun()

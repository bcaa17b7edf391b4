"""The three safeguarding partners' sign-offs of a review's final report, under its
anonymisation check in the review's Documents section (docs/domain.md §11). Rendering only: the
rules, who may record one and the audit are panel.documents.signoffs'."""

from __future__ import annotations

from datetime import date

import streamlit as st

from panel.core.access import Actor
from panel.core.clock import day
from panel.documents import signoffs
from panel.drafting.rules import PARTNERS
from panel.ui.common import esc, field_error
from panel.ui.forms import refusals, submit


def _signed(p: signoffs.PartnerSignOff, latest: int) -> str:
    """What a partner's sign-off says, as plain text (escaped where it is shown)."""
    if p.version_no is None:
        return "not yet signed"
    what = f"version {p.version_no}" if p.version_no else "an earlier report"
    said = f"signed {what} on {day(p.signed_on)}, by {p.signed_by}"
    return said if p.current else f"{said}; version {latest} is not yet signed"


def final_report_sign_offs(me: Actor, reference: str, partnership_id: int, key: str, today: date) -> None:
    """The three partners' sign-offs of the final report (docs/domain.md §11), under its check."""
    state = signoffs.final_report_sign_offs(me, reference, today)
    if state is None:
        return
    st.markdown("**The safeguarding partners' sign-off of the final report**")
    st.caption(f"{esc(state.title)}, version {int(state.version)}. Publication is not recorded until the local "
               "authority, the police and health have each signed off its latest version; a newer version "
               "is signed again.")
    st.markdown("\n".join(f"- {PARTNERS[p.partner]}: {esc(_signed(p, state.version))}" for p in state.partners))
    waiting = {p.partner: p.label for p in state.missing}
    if not waiting:
        st.success(f"The three partners have signed off version {int(state.version)}.", icon=":material/task_alt:")
        return
    if not me.can("review.edit", partnership_id):
        return
    errs = refusals(key)
    with st.form(f"{key}_{st.session_state.get(f'{key}_round', 0)}"):
        c1, c2, c3 = st.columns([1, 2, 1])
        with c1:
            partner = st.selectbox("Partner", list(waiting), format_func=waiting.get, index=None,
                                   placeholder="Choose the partner")
            field_error(errs, "partner")
        with c2:
            who = st.text_input("Signed by (name and role)", max_chars=200)
            field_error(errs, "signed_by")
        with c3:
            on = st.date_input("Signed on", value=None, max_value=today, format="DD/MM/YYYY")
            field_error(errs, "signed_on")
        if st.form_submit_button(f"Record the sign-off of version {int(state.version)}"):
            submit(key, lambda: signoffs.record_final_report_sign_off(me, reference, partner, who, on, state.version,
                                                                      today),
                   fields=("partner", "signed_by", "signed_on"), done="Sign-off recorded.", rerun=False)
            # A fresh form after a success (it keeps what was typed when refused).
            st.session_state[f"{key}_round"] = st.session_state.get(f"{key}_round", 0) + 1
            st.rerun()

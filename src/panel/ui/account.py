"""The form for changing one's own password, shared by the "My account" page and the step a
temporary password leads to straight after signing in (app.py)."""

from __future__ import annotations

import streamlit as st

from panel.accounts import own
from panel.accounts.service import PASSWORD_MAX_BYTES, PASSWORD_MIN
from panel.core.access import Actor
from panel.ui import auth, forms
from panel.ui.common import field_error

LABELS = {"current": "Current password", "new": "New password", "again": "New password again"}
RULES = (f"At least {PASSWORD_MIN} characters and at most {PASSWORD_MAX_BYTES} bytes; not a common "
         "password; not containing your username. A few unrelated words make a good one.")


def change_password_form(me: Actor, key: str = "own_password", done: str | None = None) -> None:
    """Current password, new password twice. On success every other sign-in of the account has
    ended; this one carries on from now (a new issue time and cookie)."""
    errs = forms.refusals(key, LABELS)
    with st.form(key, clear_on_submit=True):
        current = st.text_input(LABELS["current"], type="password", autocomplete="current-password")
        field_error(errs, "current")
        new = st.text_input(LABELS["new"], type="password", autocomplete="new-password", help=RULES)
        field_error(errs, "new")
        again = st.text_input(LABELS["again"], type="password", autocomplete="new-password")
        field_error(errs, "again")
        pressed = st.form_submit_button("Change password", type="primary")
    if pressed:
        forms.submit(key, lambda: own.change_own_password(me, current, new, again),
                     fields={"current", "new", "again"}, done=done, rerun=False)
        auth.renew_sign_in()
        st.rerun()

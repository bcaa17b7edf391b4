"""The set-up page's first step, shown instead of the sign-in form while no account exists: the
first administrator's account, with the same rules as every account."""

from __future__ import annotations

import streamlit as st

from panel.accounts import setup
from panel.core.errors import ValidationFailed
from panel.ui import forms
from panel.ui.common import field_error


def first_admin_form() -> None:
    st.title(":material/rocket_launch: Set up Panel", anchor=False)
    st.markdown("This installation has no accounts yet. Create the first administrator: you will then "
                "sign in and set up your partnership, its agencies, review types and users.")
    errs = forms.refusals("setup_admin")
    with st.form("setup_admin"):
        username = st.text_input("Username", autocomplete="username", key="setup_username",
                                 help="Lower-case letters, digits, dots, dashes or underscores.")
        field_error(errs, "username")
        name = st.text_input("Your full name", key="setup_name")
        field_error(errs, "name")
        email = st.text_input("E-mail", key="setup_email")
        field_error(errs, "email")
        password = st.text_input("Password", type="password", autocomplete="new-password", key="setup_password",
                                 help="At least 12 characters; not a common password; not your username.")
        field_error(errs, "password")
        again = st.text_input("Password again", type="password", autocomplete="new-password", key="setup_again")
        field_error(errs, "again")
        if st.form_submit_button("Create the administrator", type="primary"):
            def create() -> int:
                if password != again:
                    raise ValidationFailed({"again": "The two passwords differ."})
                return setup.create_first_admin(setup.SETUP_VISITOR, username=username.strip(), name=name,
                                                email=email, password=password)

            forms.submit("setup_admin", create, fields={"username", "name", "email", "password", "again"},
                         rerun=False)
            # The sign-in form shows this note; the set-up form is gone now an account exists.
            st.session_state["_panel_signout_reason"] = "The administrator account is ready: sign in with it."
            st.rerun()

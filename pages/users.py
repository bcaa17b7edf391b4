"""Users (administrators): who has which role where, and the account actions an administrator
takes: create, roles, disable/enable, unlock, temporary password, sign out everywhere."""

import pandas as pd
import streamlit as st

from panel.accounts import service as accounts
from panel.accounts import users
from panel.core.access import ROLE_LABELS, ROLES
from panel.ui.common import DATETIME_FORMAT, actor, empty_state, esc, field_error, header
from panel.ui.forms import refusals, submit

me = actor()
header("Users", ":material/manage_accounts:",
       "Accounts of the partnerships you administer. Every change here is recorded in the audit log.")
parts = accounts.partnerships(me, "user.manage")
if not parts:
    empty_state("Only an administrator can manage users.", "Ask your partnership's Panel administrator.")
    st.stop()
codes = {p.id: p.code for p in parts}
names = {p.id: f"{p.name} ({p.code})" for p in parts}

if done := st.session_state.pop("users_done", None):
    st.success(esc(done), icon=":material/check:")


def attempt(message: str, fn, *args, form: str = "users", fields: tuple[str, ...] = (), **kwargs) -> None:
    """Run one service call for `form`; said done at the top of the page when it is."""
    submit(form, lambda: fn(*args, **kwargs), fields=fields, rerun=False)
    st.session_state["users_done"] = message
    st.rerun()


rows = users.list_users(me)
st.dataframe(
    pd.DataFrame([{"username": r.username, "name": r.name, "e-mail": r.email, "roles": r.roles_text,
                   "locked": r.locked, "disabled": r.disabled, "last sign-in": r.last_sign_in,
                   "you manage": r.manageable} for r in rows]),
    hide_index=True, width="stretch",
    column_config={"username": "Username", "name": "Name", "e-mail": "E-mail", "roles": "Roles",
                   "locked": st.column_config.CheckboxColumn("Locked"),
                   "you manage": st.column_config.CheckboxColumn(
                       "You manage", help="Only an administrator of every partnership an account can act in "
                                          "may manage it."),
                   "disabled": st.column_config.CheckboxColumn("Disabled"),
                   "last sign-in": st.column_config.DatetimeColumn("Last sign-in (UTC)", format=DATETIME_FORMAT)})

manage, create = st.tabs(["Manage an account", "Create an account"])

with manage:
    # Only accounts this administrator may manage are offered: the others act in partnerships
    # they do not administer (their roles are in the list above).
    by_name = {r.username: r for r in rows if r.manageable}
    if others := [r.username for r in rows if not r.manageable]:
        st.caption(f"Not yours to manage (they act in partnerships you do not administer): "
                   f"{esc(', '.join(others))}.")
    who = st.selectbox("Account", list(by_name), format_func=lambda u: f"{by_name[u].name} ({u})", key="users_who")
    if who:
        r = by_name[who]
        st.caption(f"Roles: {esc(r.roles_text)} · {'locked' if r.locked else 'not locked'} · "
                   f"{'disabled' if r.disabled else 'enabled'}")
        errors = refusals("users")  # why the last action on this account was refused
        with st.form("users_role"):
            c1, c2 = st.columns(2)
            pid = c1.selectbox("Partnership", list(names), format_func=names.get)
            role = c2.selectbox("Role", ROLES, format_func=ROLE_LABELS.get)
            field_error(errors, "role")
            g, rm = st.columns(2)
            if g.form_submit_button("Give this role"):
                attempt(f"{who} now has the role {ROLE_LABELS[role]} in {codes[pid]}.",
                        users.set_role, me, who, pid, role, True, fields=("role",))
            if rm.form_submit_button("Remove this role"):
                attempt(f"{who} no longer has the role {ROLE_LABELS[role]} in {codes[pid]}.",
                        users.set_role, me, who, pid, role, False, fields=("role",))
        b1, b2, b3 = st.columns(3)
        if r.disabled:
            if b1.button("Enable account", icon=":material/check_circle:"):
                attempt(f"{who} is enabled.", users.set_active, me, who, True)
        elif b1.button("Disable account", icon=":material/block:", help="Ends every sign-in at once."):
            attempt(f"{who} is disabled; their sign-ins have ended.", users.set_active, me, who, False)
        if b2.button("Unlock", icon=":material/lock_open:", disabled=not r.locked,
                     help="Lift a lockout after too many failed sign-ins."):
            attempt(f"{who} is unlocked.", accounts.unlock_user, me, who)
        if b3.button("Sign out everywhere", icon=":material/logout:",
                     help="Every browser where this person is signed in must sign in again."):
            attempt(f"{who} is signed out everywhere.", users.sign_out_everywhere, me, who)
        with st.form("users_password", clear_on_submit=True):
            temporary = st.text_input("Temporary password", type="password", autocomplete="new-password",
                                      help="12 to 72 characters, not a common password, not the username. "
                                           "Tell the person by phone; their sign-ins end now, and they "
                                           "choose their own password when they next sign in.")
            field_error(errors, "password")
            if st.form_submit_button("Set temporary password"):
                attempt(f"{who} has a temporary password, to be changed when they next sign in; "
                        "their sign-ins have ended.",
                        accounts.set_password, me, who, temporary, fields=("password",))

with create:
    new_errors = refusals("users_new")
    with st.form("users_create"):
        username = st.text_input("Username", max_chars=64, help="Lower-case letters, digits, dots, dashes.")
        field_error(new_errors, "username")
        name = st.text_input("Name", max_chars=200)
        field_error(new_errors, "name")
        email = st.text_input("E-mail", max_chars=254)
        field_error(new_errors, "email")
        c1, c2 = st.columns(2)
        pid = c1.selectbox("Partnership", list(names), format_func=names.get, key="users_new_pid")
        role = c2.selectbox("Role", ROLES, format_func=ROLE_LABELS.get, key="users_new_role")
        field_error(new_errors, "memberships")
        password = st.text_input("Temporary password", type="password", autocomplete="new-password")
        field_error(new_errors, "password")
        if st.form_submit_button("Create account", type="primary"):
            attempt(f"Account {username} created.", accounts.create_user, me, username=username.strip(),
                    name=name, email=email.strip(), password=password, memberships=[(codes[pid], role)],
                    form="users_new", fields=("username", "name", "email", "memberships", "password"))

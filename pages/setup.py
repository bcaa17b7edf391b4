"""The set-up checklist: what a new installation still needs before its panel works in Panel.

The first administrator creates the first partnership here; then each step says what is missing
and links to the page where it is done (any of them can be done later from those pages).
"""

import pandas as pd
import streamlit as st

from panel.accounts import partnerships as partnership_service
from panel.accounts import service as accounts
from panel.accounts import setup
from panel.agencies import service as agency_service
from panel.reviews import types_service as review_types
from panel.ui import forms
from panel.ui.common import actor, esc, field_error, header

me = actor()
header("Set up Panel", ":material/rocket_launch:",
       "Your partnership, its agencies, review types, users, mail and your old tracker. Each step can be "
       "done later from the administration pages; this list says what is still missing.")


def partnership_fields(prefix: str, errs: dict, name: str = "", area: str = "", with_code: bool = True):
    code = None
    if with_code:
        code = st.text_input("Code", max_chars=8, key=f"{prefix}_code",
                             help="2-8 capital letters, like NB: it starts every referral reference.")
        field_error(errs, "code")
    name = st.text_input("Name", value=name, max_chars=200, key=f"{prefix}_name",
                         help='e.g. "Northbrook Safeguarding Children Partnership"')
    field_error(errs, "name")
    area = st.text_input("Local authority area", value=area, max_chars=200, key=f"{prefix}_area")
    field_error(errs, "area")
    return code, name, area


if setup.may_create_first_partnership(me):
    st.header("1. Your partnership", anchor=False)
    errs = forms.refusals("setup_first")
    with st.form("setup_first"):
        code, name, area = partnership_fields("setup_first", errs)
        if st.form_submit_button("Create the partnership", type="primary"):
            forms.submit("setup_first", lambda: setup.create_first_partnership(me, code, name, area),
                         fields={"code", "name", "area"})
    st.caption("It starts with the default review types; you become its administrator.")
    st.stop()

if not me.can("user.manage"):
    st.info("Only an administrator sees the set-up checklist.", icon=":material/info:")
    st.stop()

steps = setup.checklist(me)
left = [s for s in steps if not s.done]
if left:
    st.markdown(esc(f"{len(left)} of {len(steps)} steps still to do."))
else:
    st.success("Everything is set up.", icon=":material/check_circle:")
for s in steps:
    st.markdown((":material/check_circle:" if s.done else ":material/radio_button_unchecked:")
                + f" **{esc(s.title)}**" + ("" if s.done else f": {esc(s.missing)}"))

st.divider()
st.header("Partnerships", anchor=False)
mine = accounts.partnerships(me, "user.manage")
st.dataframe(pd.DataFrame([{"Code": p.code, "Name": p.name, "Local authority area": p.local_authority_area or ""}
                           for p in mine]), hide_index=True, width="stretch")
by_id = {p.id: p for p in mine}
pid = st.selectbox("Partnership", list(by_id), format_func=lambda i: by_id[i].name, key="setup_pick")
p = by_id[pid]
errs = forms.refusals("setup_edit")
with st.form(f"setup_edit_{p.id}"):
    _, name, area = partnership_fields(f"setup_edit_{p.id}", errs, p.name, p.local_authority_area or "",
                                       with_code=False)
    if st.form_submit_button("Save partnership"):
        forms.submit("setup_edit", lambda: partnership_service.update_partnership(me, p.id, name, area),
                     fields={"name", "area"}, done="Saved.")
with st.expander("Add another partnership", icon=":material/add:"):
    errs = forms.refusals("setup_add")
    with st.form("setup_add"):
        code, name, area = partnership_fields("setup_add", errs)
        if st.form_submit_button("Add partnership"):
            forms.submit("setup_add", lambda: partnership_service.create_partnership(me, code, name, area),
                         fields={"code", "name", "area"}, done="Partnership added.")

st.header("Agencies", anchor=False)
active = agency_service.list_agencies(me)
statutory = [a.name for a in active if a.statutory]
st.markdown(f"{len(active)} active agencies; statutory partners: {esc(', '.join(statutory) or 'none marked yet')}.")
st.page_link("pages/agencies.py", label="Add and mark agencies", icon=":material/domain:")

st.header("Review types", anchor=False)
counts = {q.code: len(review_types.list_types(me, q.id)) for q in mine}
st.markdown("Each partnership starts from the default review types: "
            + esc(", ".join(f"{c} {n}" for c, n in counts.items())) + ". Rename or add your own, or retire "
            "those you do not use.")
st.page_link("pages/review_types.py", label="Review types", icon=":material/tune:")

st.header("Users and roles", anchor=False)
st.markdown("Give each person an account and their role in the partnership: at least a panel chair, "
            "and the referrers who make referrals.")
st.page_link("pages/users.py", label="Users", icon=":material/manage_accounts:")

st.header("Mail", anchor=False)
if setup.mail_available():
    from panel.core import mail

    errs = forms.refusals("setup_mail")
    with st.form("setup_mail"):
        address = st.text_input("Send a test message to", key="setup_mail_to")
        field_error(errs, "address")
        if st.form_submit_button("Send test message"):
            forms.submit("setup_mail", lambda: mail.send_test_message(me, address), fields={"address"},
                         done="The mail server accepted the test message: check it arrived.")
else:
    st.info("Mail is not configured in this installation.", icon=":material/mail:")

st.header("Your old tracker", anchor=False)
st.markdown("Import the referrals, reviews and milestones you already hold. Agencies the file names that "
            "Panel does not have yet can be created with the import.")
st.page_link("pages/import.py", label="Import a tracker", icon=":material/upload_file:")

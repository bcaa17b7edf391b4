"""Panel's entry point: sign the user in, then route to the pages their roles allow.

It only routes. Pages call services; services check permissions on every call.
"""

import streamlit as st

# First, on its own: sessions that start together import the components one at a time.
from panel.ui import first_import  # noqa: F401

# isort: split
from panel.accounts import service as accounts
from panel.accounts import setup
from panel.ui import a11y, auth
from panel.ui.account import change_password_form
from panel.ui.common import NEXT_PAGE, esc, remember_requested_page
from panel.ui.errors import run_page
from panel.ui.pages import PAGES, visible_pages
from panel.ui.setup import first_admin_form
from panel.ui.startup import require_valid_settings

st.set_page_config(page_title="Panel", page_icon=":material/balance:", layout="wide")
require_valid_settings()  # a malformed setting stops here, before anything reads it
a11y.focus_styles()  # a visible keyboard focus ring on every control, signed in or not

# Restore the sign-in cookie before building the page list, or deep links fall back to the
# default page on reload. In a container drawn on every run: the first session of a server
# process builds the cookie's component here, and drawn loose it would push the page down one
# place for that run only, so the next run would draw a second sign-in form beside the first.
with st.container():
    actor = auth.restore()

if actor is None:
    # Every page's address shows the sign-in form, so a deep link (an e-mailed action, a review)
    # lands on its page once the user has signed in, rather than on "page not found".
    # Public pages (the accessibility statement) are reachable before signing in, linked
    # beneath the form.
    public = [st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=spec.key)
              for spec in PAGES if spec.public]

    def sign_in_page() -> None:
        if setup.needs_setup():  # no account at all: the first administrator is made here
            first_admin_form()
            return
        auth.login_form()
        for pg in public:
            st.page_link(pg, label=pg.title, icon=pg.icon)  # not user text: PAGES titles

    login = [st.Page(sign_in_page, title="Sign in", icon=":material/login:", default=True)]
    login += [st.Page(sign_in_page, title="Sign in", icon=":material/login:", url_path=spec.key)
              for spec in PAGES if not spec.public]
    wanted = st.navigation(login + public, position="hidden")
    if not any(wanted is pg for pg in public):  # where to go once signed in
        remember_requested_page(wanted.url_path, st.query_params.to_dict())
    st.set_page_config(page_title=f"{wanted.title} · Panel")  # each page its own title (WCAG 2.4.2)
    wanted.run()
    st.stop()

st.session_state["actor"] = actor

if actor.must_change_password:
    # An administrator's temporary password: the administrator knows it, so nothing is shown
    # until the user has chosen their own. Every page's address shows this step, and a deep
    # link still lands on its page once the password is changed.
    def choose_password() -> None:
        st.title(":material/password: Choose a new password", anchor=False)
        st.info("Your administrator gave you a temporary password. Choose your own to carry on.",
                icon=":material/info:")
        change_password_form(actor, key="must_change_password")
        auth.write_cookie_if_pending()
        if st.button("Sign out", icon=":material/logout:"):
            auth.sign_out(everywhere=True)
            st.rerun()

    first = [st.Page(choose_password, title="Choose a new password", icon=":material/password:", default=True)]
    first += [st.Page(choose_password, title="Choose a new password", icon=":material/password:",
                      url_path=spec.key) for spec in PAGES]
    wanted = st.navigation(first, position="hidden")
    if wanted is not first[0]:
        remember_requested_page(wanted.url_path, st.query_params.to_dict())
    st.set_page_config(page_title="Choose a new password · Panel")
    wanted.run()
    st.stop()

allowed = visible_pages(actor, setting_up=not actor.roles and not actor.is_regional
                        and setup.may_create_first_partnership(actor))
pages = {spec.key: st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=spec.key)
         for spec in allowed}


def home() -> None:
    # Streamlit gives the default page the root address and no other, so a real page made the
    # default would answer its own address (/queue) with "page not found". The root redirects.
    st.switch_page(pages[allowed[0].key], query_params=st.query_params.to_dict())


start = st.Page(home, title=allowed[0].title, icon=allowed[0].icon, url_path="start", default=True)
current = st.navigation([start, *pages.values()], position="hidden")
# The page a deep link asked for before signing in: kept until the user is on it, so a run that
# lands elsewhere on the way (the root's redirect, a rerun) still ends there.
if nxt := st.session_state.get(NEXT_PAGE):
    key, query = nxt
    if key not in pages or pages[key] is current:
        del st.session_state[NEXT_PAGE]
    else:
        st.switch_page(pages[key], query_params=query)

with st.sidebar:
    st.markdown(f"**Panel** · {esc(actor.name)}")
    section = None
    for spec in allowed:
        if spec.in_menu:
            if spec.section != section:
                section = spec.section
                st.caption(section)  # not user text: sections of the PAGES registry
            st.page_link(pages[spec.key], label=spec.title, icon=spec.icon)  # not user text: PAGES titles
    st.divider()
    # The preference is the user's, in the database (read with the sign-in above): the toggle
    # shows it, so a reload, another tab or a page switch cannot silently turn it off. The key
    # follows the stored value, so the widget redraws from the database whenever it changes.
    shown = st.toggle("Presentation mode", value=actor.presenting, key=f"_presentation_{actor.presenting:d}",
                      help="For a shared screen: hides child identifiers (initials, age, sex, ethnicity, "
                      "what happened) on every page, until you turn it off; references stay.")
    if shown != actor.presenting:
        accounts.set_presentation_mode(actor, shown)
        st.rerun()  # the page draws with the stored preference, never the old one
    if current is not start:  # the redirect's rerun would drop the cookie component
        auth.write_cookie_if_pending()
    if st.button("Sign out", icon=":material/logout:", help="Ends your sign-in on every device and browser."):
        auth.sign_out(everywhere=True)
        st.rerun()

st.set_page_config(page_title=f"{current.title} · Panel")  # each page its own title (WCAG 2.4.2)
run_page(current)  # an unexpected error: a plain message and a logged reference, no traceback

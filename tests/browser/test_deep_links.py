"""Deep links (an e-mailed action, a review) must never show a page without the sign-in, and
must land on their page, with their query, once the user has signed in: every time, including
on a server that has just started (when Streamlit runs a requested pages/ file directly until
app.py has first called st.navigation, for every session that opens meanwhile)."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, wait_idle

pytestmark = pytest.mark.browser


def _sign_in_once(tab, username: str) -> None:
    """One submit, as a person would."""
    tab.get_by_role("textbox", name="Username").fill(username)
    tab.get_by_role("textbox", name="Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()


def test_a_deep_link_opened_first_on_a_fresh_server_lands_on_its_page(page):
    # The server's very first request is the deep link: its page file runs without app.py.
    page.goto("/tracker?x=1")
    wait_idle(page)
    expect(page.get_by_role("textbox", name="Username")).to_be_visible()
    expect(page.get_by_role("heading", name="Review tracker")).to_have_count(0)
    _sign_in_once(page, "manager")
    expect(page.get_by_role("heading", name="Review tracker")).to_be_visible(timeout=30_000)
    wait_idle(page)
    assert page.url.endswith("/tracker?x=1")
    # The server log is checked for tracebacks when the fixture stops it.


def test_deep_links_opened_together_on_a_fresh_server_each_land_on_their_page(browser, server):
    # Several people open e-mailed links while the server is still on its first run: each
    # session that opens meanwhile gets the pages-folder mode, not only the first.
    wanted = [("/tracker?x=1", "Review tracker", "manager"), ("/timeliness?y=2", "Timeliness", "manager"),
              ("/explorer?z=3", "Learning explorer", "chair")]
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=server)
                for _ in wanted]
    tabs = [c.new_page() for c in contexts]
    for tab in tabs:
        tab.set_default_timeout(30_000)
    for tab, (path, _, _) in zip(tabs, wanted, strict=True):
        tab.goto(path, wait_until="commit")  # no waiting between them: they open together
    for tab, (path, heading, user) in zip(tabs, wanted, strict=True):
        wait_idle(tab)
        _sign_in_once(tab, user)
        expect(tab.get_by_role("heading", name=heading)).to_be_visible(timeout=30_000)
        wait_idle(tab)
        assert tab.url.endswith(path), (path, tab.url)
    for c in contexts:
        c.close()


def test_a_deep_link_lands_on_its_page_after_signing_in(page, browser, server):
    page.goto("/")
    wait_idle(page)  # past the server's first run
    # A link from an e-mail opens in a new tab of a browser that is not signed in.
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=server)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    tab.goto("/tracker?x=1")
    wait_idle(tab)
    _sign_in_once(tab, "manager")
    expect(tab.get_by_role("heading", name="Review tracker")).to_be_visible(timeout=30_000)
    wait_idle(tab)
    assert tab.url.endswith("/tracker?x=1")
    # Signed in (the cookie written), a second link in the same browser opens straight away.
    tab.wait_for_function("() => document.cookie.includes('panel_session=')")
    other = context.new_page()
    other.goto("/timeliness?y=2")
    expect(other.get_by_role("heading", name="Timeliness")).to_be_visible(timeout=30_000)
    wait_idle(other)
    assert other.url.endswith("/timeliness?y=2")
    context.close()


def test_every_menu_page_answers_its_own_address(page):
    # Streamlit gives its default page the root address only: were the first menu page (the
    # queue) the default, /queue would open with a "Page not found" dialog.
    from tests.browser.conftest import sign_in
    sign_in(page, "chair", "/")
    expect(page.get_by_role("heading", name="Referral queue")).to_be_visible(timeout=20_000)
    for path, heading in [("/queue", "Referral queue"), ("/tracker", "Review tracker"),
                          ("/explorer", "Learning explorer")]:
        page.goto(path)
        wait_idle(page)
        expect(page.get_by_role("heading", name=heading), path).to_be_visible(timeout=20_000)
        expect(page.get_by_text("Page not found")).to_have_count(0)
        assert page.url.endswith(path)


# Counts, from the first paint on, the most sign-in forms ever on the page at one time.
_COUNT_FORMS = """
window.__mostForms = 0;
new MutationObserver(() => {
    const n = document.querySelectorAll('input[aria-label="Username"]').length;
    window.__mostForms = Math.max(window.__mostForms, n);
}).observe(document, {childList: true, subtree: true});
"""


def test_the_first_visit_to_a_fresh_server_never_shows_two_sign_in_forms(browser, server):
    # The first session of a server process builds the sign-in cookie's component: drawn where
    # the form would otherwise be, it moved the form down one place for that first run only, so
    # the component's own rerun drew a second form before removing the first (seen by the
    # deep-link test above under load, and by a person as a flicker).
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=server)
    context.add_init_script(_COUNT_FORMS)
    page = context.new_page()
    page.goto("/tracker?x=1")
    wait_idle(page)
    expect(page.get_by_role("textbox", name="Username")).to_be_visible()
    _sign_in_once(page, "manager")
    expect(page.get_by_role("heading", name="Review tracker")).to_be_visible(timeout=30_000)
    wait_idle(page)
    assert page.evaluate("window.__mostForms") == 1
    context.close()

"""Deep links (an e-mailed action, a review) must never show a page without the sign-in, and
should land on their page once the user has signed in."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, sign_in, wait_idle

pytestmark = pytest.mark.browser


def test_a_fresh_servers_first_request_for_a_page_gets_the_sign_in(page):
    # Streamlit runs a pages/ file directly on a new server's first request; it must not render.
    page.goto("/tracker")
    expect(page.get_by_role("textbox", name="Username")).to_be_visible()
    expect(page.get_by_role("heading", name="Review tracker")).to_have_count(0)
    sign_in(page, "manager", "/tracker")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    # The server log is checked for tracebacks when the fixture stops it.


def test_a_deep_link_lands_on_its_page_after_signing_in(page, browser, server):
    page.goto("/")
    wait_idle(page)  # past the server's first run
    # A link from an e-mail opens in a new tab of a browser that is not signed in.
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=server)
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    tab.goto("/tracker?x=1")
    tab.get_by_role("textbox", name="Username").first.wait_for()
    wait_idle(tab)
    # One submit, as a person would (sign_in's resubmit-on-timeout is not what is tested here).
    tab.get_by_role("textbox", name="Username").fill("manager")
    tab.get_by_role("textbox", name="Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    expect(tab.get_by_role("heading", name="Review tracker")).to_be_visible(timeout=30_000)
    assert "x=1" in tab.url
    context.close()


def test_every_menu_page_answers_its_own_address(page):
    # Streamlit gives its default page the root address only: were the first menu page (the
    # queue) the default, /queue would open with a "Page not found" dialog.
    sign_in(page, "chair", "/")
    expect(page.get_by_role("heading", name="Referral queue")).to_be_visible(timeout=20_000)
    # The sign-in cookie is written by a component on the run after signing in; wait for it.
    page.wait_for_function("() => document.cookie.includes('panel_session=')", timeout=20_000)
    for path, heading in [("/queue", "Referral queue"), ("/tracker", "Review tracker"),
                          ("/explorer", "Learning explorer")]:
        page.goto(path)
        wait_idle(page)
        expect(page.get_by_role("heading", name=heading), path).to_be_visible(timeout=20_000)
        expect(page.get_by_text("Page not found")).to_have_count(0)
        assert page.url.endswith(path)

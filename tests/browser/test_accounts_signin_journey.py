"""Sign-in in a real browser: the cookie restores a sign-in on reload, "Sign out" makes the
same browser's cookie useless, a refused attempt says one thing, and an administrator reaches
the Users and Audit log pages."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in, sign_out, wait_idle

pytestmark = pytest.mark.browser


def test_reload_keeps_the_sign_in_and_sign_out_ends_it(page):
    sign_in(page, "admin")
    page.reload()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()  # restored from the cookie
    page.get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    expect(page.get_by_text("matching rows")).to_be_visible()
    sign_out(page)
    page.reload()
    wait_idle(page)
    expect(page.get_by_role("textbox", name="Username")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_a_wrong_password_gets_the_one_message(page):
    page.goto("/")
    page.get_by_role("textbox", name="Username").first.wait_for()
    wait_idle(page)
    page.get_by_role("textbox", name="Username").fill("chair")
    page.get_by_role("textbox", name="Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("The username or password is not right")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)

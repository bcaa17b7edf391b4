"""A person's own account in a real browser: a temporary password leads straight to choosing
one's own, and once changed the sign-in survives a reload (its cookie is issued again after the
change, which ended every sign-in made before it); the My account page lists the sign-ins."""

import pytest
from playwright.sync_api import expect

from panel.accounts import service as accounts
from tests.browser.conftest import sign_in, wait_idle

pytestmark = pytest.mark.browser

TEMPORARY, OWN = "temporary-pass-1", "heron-lantern-quarry"


def test_a_temporary_password_is_changed_first_and_the_sign_in_survives_a_reload(page):
    accounts.set_password(accounts.actor_for("admin"), "chair", TEMPORARY)
    sign_in(page, "chair", password=TEMPORARY)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    expect(page.get_by_role("link", name="Referral queue")).to_have_count(0)
    page.get_by_label("Current password").fill(TEMPORARY)
    page.get_by_label("New password", exact=True).fill(OWN)
    page.get_by_label("New password again").fill(OWN)
    page.get_by_role("button", name="Change password").click()
    wait_idle(page)
    expect(page.get_by_role("heading", name="Referral queue")).to_be_visible()
    page.wait_for_function("() => document.cookie.includes('panel_session=')", timeout=30_000)
    wait_idle(page)
    page.reload()
    wait_idle(page)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()  # the new cookie holds
    page.get_by_role("link", name="My account").click()
    expect(page.get_by_role("heading", name="My account")).to_be_visible()
    expect(page.get_by_role("heading", name="Recent sign-ins")).to_be_visible()

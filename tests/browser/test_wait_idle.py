"""The browser tests' one wait (wait_idle) must not call a page ready while a widget's code is
still on its way. Streamlit loads most widgets' code on first use, the text input's among them,
and shows a skeleton in its place meanwhile; on a busy machine that lasted seconds after the
script had finished, and a deep-link test found the sign-in form without its text boxes.
Here the text input's code is held back on purpose, so the race is the same every time."""

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.browser.conftest import IDLE_JS, wait_idle

pytestmark = pytest.mark.browser


def test_wait_idle_waits_for_a_widget_whose_code_is_still_loading(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=server)
    page = context.new_page()
    held = []
    page.route("**/TextInput.*.js", lambda route: held.append(route))  # neither answered nor refused: in flight
    page.goto("/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=30_000)
    assert held, "the text input's code was not fetched: the test no longer holds anything back"
    # The script has finished and the form is drawn, but its text boxes are still skeletons.
    expect(page.get_by_test_id("stSkeleton").first).to_be_attached()
    with pytest.raises(PlaywrightTimeout):
        page.wait_for_function(IDLE_JS, arg=5, timeout=3_000)
    for route in held:
        route.continue_()
    wait_idle(page)
    # Ready means ready: both boxes are there at once, with no further waiting.
    expect(page.get_by_role("textbox", name="Username")).to_be_visible(timeout=100)
    expect(page.get_by_role("textbox", name="Password")).to_be_visible(timeout=100)
    context.close()

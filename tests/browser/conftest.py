"""Browser journeys: `streamlit run app.py` on a free port, driven by Playwright in Debian's
chromium. No downloaded browser: if /usr/bin/chromium is missing these tests fail, never skip.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect, sync_playwright

from tests.conftest import TODAY
from tests.streamlit_server import DidNotStart, streamlit

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("PANEL_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "panel-demo-2025"

# What an action leads to (a saved finding's heading, the next page) can take a run longer than
# Playwright's 5 s default on a busy 2-core machine: a fresh-clone run under load 15 failed on a
# heading that came after 5 s. Every expectation waits as long as an action may (the page's
# default timeout below); a state that never comes still fails.
expect.set_options(timeout=20_000)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Debian chromium not found at {CHROMIUM}: install it (apt-get install chromium); "
                    "browser tests never skip.")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"])
        yield b
        b.close()


@pytest.fixture
def server(demo_db, tmp_path):
    """A private demo database and a Streamlit server on a free loopback port. `demo_db` has set
    PANEL_DATA_DIR (and DATABASE_URL on PostgreSQL): the server and the test share one database."""
    yield from _serve(tmp_path)


@pytest.fixture
def empty_server(db, tmp_path):
    """A real installation's first day: an empty migrated database (`db`), PANEL_DEMO=0, and a
    Streamlit server on it. Pair it with `empty_page`."""
    yield from _serve(tmp_path, {"PANEL_DEMO": "0"})


def _serve(tmp_path, extra: dict[str, str] | None = None):
    env = {**os.environ, "PANEL_DATA_DIR": str(tmp_path), "PANEL_TODAY": TODAY.isoformat(),
           "PANEL_LOGIN_SLEEP": "0", "PANEL_COOKIE_KEY": "test-only-cookie-key-" + "x" * 20, **(extra or {})}
    log = tmp_path / "streamlit.log"
    try:
        with streamlit(ROOT / "app.py", env, log) as (url, _pid):
            yield url
    except DidNotStart as e:
        pytest.fail(str(e))
    text = log.read_text()
    assert "Traceback" not in text, text


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def page(browser, server, request):
    yield from _page(browser, server, request)


@pytest.fixture
def empty_page(browser, empty_server, request):
    """A browser page on `empty_server`."""
    yield from _page(browser, empty_server, request)


def _page(browser, server, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=server)
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    yield pg
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        out = ROOT / "test-artifacts"
        out.mkdir(exist_ok=True)
        pg.screenshot(path=str(out / f"{request.node.name}.png"), full_page=True)
    context.close()


# Streamlit's app root states its connection and its script's run; a run that ends in
# st.rerun(), a switch_page or a component reporting back (the sign-in cookie) is followed by
# another, so idle must hold for several checks in a row before the page can be trusted.
IDLE_JS = """(checks) => new Promise(resolve => {
    let quiet = 0;
    const tick = () => {
        const app = document.querySelector('[data-testid="stApp"]');
        const idle = app !== null
            && app.getAttribute('data-test-connection-state') === 'CONNECTED'
            && app.getAttribute('data-test-script-state') === 'notRunning'
            && document.querySelector('[data-testid="stStatusWidget"]') === null
            && document.querySelector('[data-stale="true"]') === null
            // Most widgets' code is loaded on first use (the text input's too): until it has
            // arrived a placeholder skeleton stands in its place, which on a busy machine can
            // last seconds after the script has finished.
            && document.querySelector('[data-testid="stSkeleton"]') === null
            // A custom component (the sign-in cookie's) asks for a rerun once its frame has
            // loaded: until every frame has, a rerun may still come and redraw the page.
            && [...document.querySelectorAll('iframe[data-testid="stCustomComponentV1"]')].every(f => {
                try { return f.contentDocument !== null && f.contentDocument.readyState === 'complete'; }
                catch (e) { return true; }
            });
        quiet = idle ? quiet + 1 : 0;
        if (quiet >= checks) resolve(true); else setTimeout(tick, 100);
    };
    tick();
})"""


def wait_idle(page: Page, checks: int = 5) -> None:
    """Wait until Streamlit has finished running the script and stayed finished.

    The one way browser tests wait for the app (no fixed sleeps): connected, the script not
    running and no rerun requested, no stale element left from the previous run, no widget
    still waiting for its code (a skeleton in its place), every component frame loaded (a
    loading one may yet ask for a rerun), all for `checks` polls
    100 ms apart. A page that has not yet run at all is "initial", not idle.
    """
    page.wait_for_function(IDLE_JS, arg=checks, timeout=60_000)


def until(done, what: str, wait: float = 20.0) -> None:
    """Poll `done()` (the database, usually) until it is true; fail after `wait` seconds. For an
    action whose effect is not on the screen: the action itself is never repeated."""
    deadline = time.monotonic() + wait
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not seen within {wait:.0f} s")
        time.sleep(0.1)


def open_list(page: Page, box: Locator) -> None:
    """Open a selectbox or multiselect with a click, once the app is idle. Its list is a popover
    that closes when anything around it scrolls; the scroll that brings the box into view is
    dispatched on the next frame, which on a busy machine can come after the click and close
    the list just opened. So scroll first, let two frames pass, then click."""
    wait_idle(page)
    box.scroll_into_view_if_needed()
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    box.click()
    expect(box).to_have_attribute("aria-expanded", "true")


def sign_in(page: Page, username: str, path: str = "/", password: str = PASSWORD) -> None:
    """Open `path`, sign in with one submit, and wait until the sign-in cookie is written (a
    component writes it on the run after signing in) and the app is idle."""
    page.goto(path)
    wait_idle(page)
    page.get_by_role("textbox", name="Username").fill(username)
    # Enter in the last field submits the form with what was typed. A click on "Sign in" straight
    # after typing can reach the form before the field's value is committed to it (the field
    # commits on losing focus): on a loaded machine the form then went with an empty password.
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("textbox", name="Password").press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible(timeout=30_000)
    page.wait_for_function("() => document.cookie.includes('panel_session=')", timeout=30_000)
    wait_idle(page)


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    wait_idle(page)  # the sign-out takes more than one run (the cookie's deletion)
    expect(page.get_by_role("textbox", name="Username")).to_have_count(1)
    expect(page.get_by_role("textbox", name="Username")).to_be_visible()


def choose(page: Page, label: str, option: str, key: str | None = None) -> None:
    """Pick `option` in the select labelled `label` (or the one whose widget key is `key`)."""
    box = page.locator(f".st-key-{key}").get_by_role("combobox") if key else page.get_by_role("combobox", name=label)
    open_list(page, box)
    page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page)


def fill_date(page: Page, label: str, ddmmyyyy: str) -> None:
    """Streamlit's date input is three spin buttons (day, month, year) that advance as you type."""
    page.get_by_role("spinbutton", name=f"day, {label}").click()
    page.keyboard.type(ddmmyyyy)


def make_referral(page: Page, agency: str, code: str) -> str:
    """Fill in and save the referral form (a child seriously harmed, abuse known) as a referrer
    of partnership `code`; the saved referral's reference."""
    page.get_by_role("link", name="Make a referral").click()
    wait_idle(page)
    fill_date(page, "Date the local authority became aware", "20112026")
    page.get_by_label("Referrer's name and role").fill("Designated safeguarding lead")
    choose(page, "Referrer's agency", agency)
    choose(page, "How the case was identified", "Member of staff, partner agency or the community")
    page.get_by_label("Child's initials").fill("QJ")
    page.get_by_role("spinbutton", name="Child's age (years)", exact=True).fill("8")
    choose(page, "Child's sex", "Female")
    choose(page, "Child's ethnicity", "White")
    fill_date(page, "Date of the incident", "19112026")
    page.get_by_role("textbox", name="What happened").fill("Pupil arrived with burns and disclosed being hurt at home.")
    page.get_by_text("Child seriously harmed").click()
    page.get_by_text("Known", exact=True).click()
    page.get_by_role("button", name="Check and save referral").click()
    wait_idle(page)
    saved = page.get_by_text(re.compile(rf"Referral {code}-2026-\d{{3}} saved"))
    expect(saved).to_be_visible()
    return re.search(rf"{code}-2026-\d{{3}}", saved.inner_text()).group(0)


def change_temporary_password(page: Page, current: str, new: str) -> None:
    """The form a temporary password leads to, before anything else is shown."""
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("Current password").fill(current)
    page.get_by_label("New password", exact=True).fill(new)
    page.get_by_label("New password again").fill(new)
    page.get_by_role("button", name="Change password").click()
    wait_idle(page)

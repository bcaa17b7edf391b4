"""The main journeys by keyboard alone (WCAG 2.1.1, 2.4.7): sign in, make a referral, screen a
referral and record and sign the decision. Only page.keyboard: Tab, Shift+Tab, Enter, Space,
arrow keys, Escape and typing; no mouse. Every control we stop at must show a visible focus
indicator (a computed outline or box-shadow on it or on the box Streamlit draws around it).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from panel.core.db import get_engine
from panel.screening import decisions
from tests.browser.conftest import PASSWORD, until, wait_idle
from tests.conftest import TODAY
from tests.factories import accepted, actor, referral

pytestmark = pytest.mark.browser

FOCUSED = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return {name: '', role: 'body', ring: ''};
    const by = el.getAttribute('aria-labelledby');
    const name = el.getAttribute('aria-label')
        || (by ? by.split(' ').map(id => document.getElementById(id)?.innerText || '').join(' ') : '')
        || (el.labels && el.labels.length ? el.labels[0].innerText : '')
        || el.innerText || el.value || '';
    let ring = '';
    // The indicator may be drawn on the control or on the box Streamlit wraps it in.
    for (let n = el, i = 0; n && i < 4 && !ring; n = n.parentElement, i++) {
        const cs = getComputedStyle(n);
        if (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0) ring = 'outline ' + cs.outlineColor;
        else if (cs.boxShadow && cs.boxShadow !== 'none') ring = 'box-shadow ' + cs.boxShadow;
    }
    window.__kbStop = {el, look: window.__kbLook(el)};
    return {name: name.trim().replace(/\\s+/g, ' ').slice(0, 120),
            role: el.getAttribute('role') || ({BUTTON: 'button', A: 'link', TEXTAREA: 'textbox'})[el.tagName]
                  || ({text: 'textbox', number: 'spinbutton'})[el.type] || el.type || el.tagName.toLowerCase(),
            ring};
}"""
# How the control and the boxes around it look; compared once focus has moved on, so an indicator
# drawn as a border colour (Streamlit's text boxes and select boxes) counts too.
LOOK = """() => { window.__kbLook = el => {
    const out = [];
    for (let n = el, i = 0; n && i < 4; n = n.parentElement, i++) {
        const cs = getComputedStyle(n);
        out.push([cs.outlineStyle, cs.outlineWidth, cs.outlineColor, cs.boxShadow, cs.borderTopColor,
                  cs.borderBottomColor, cs.backgroundColor].join('|'));
    }
    return out;
}; }"""
NO_TRANSITIONS = "*, *::before, *::after { transition: none !important; }"
CHANGED = """() => {
    const stop = window.__kbStop;
    if (!stop || !stop.el.isConnected || document.activeElement === stop.el) return null;
    const now = window.__kbLook(stop.el);
    return stop.look.some((v, i) => v !== now[i]);
}"""


class Keyboard:
    """Moves focus with Tab (or Shift+Tab) until a control whose accessible name matches is
    focused, and records the focus indicator at every control it stops at."""

    def __init__(self, page):
        self.page = page
        self.stops: list[dict] = []

    def focused(self) -> dict:
        self.page.evaluate(LOOK)
        return self.page.evaluate(FOCUSED)

    def _compare_last_stop(self) -> None:
        """Once focus has left the last stop, did its look change with focus?"""
        if self.stops and "changes" not in self.stops[-1]:
            changed = self.page.evaluate("typeof window.__kbLook === 'function'") and self.page.evaluate(CHANGED)
            if changed is not None:
                self.stops[-1]["changes"] = changed

    def to(self, name: str | re.Pattern, role: str | None = None, back: bool = False, limit: int = 120) -> dict:
        # A link's or button's text starts with its icon's ligature (e.g. "note_add Make a referral").
        pattern = name if isinstance(name, re.Pattern) else re.compile(rf"^(\w+ )?{re.escape(name)}$")
        seen = []
        for _ in range(limit):
            self.page.keyboard.press("Shift+Tab" if back else "Tab")
            self._compare_last_stop()
            f = self.focused()
            seen.append(f"{f['role']}:{f['name'][:40]}")
            if pattern.search(f["name"]) and (role is None or f["role"] == role):
                self.stops.append(f)
                return f
            self.page.evaluate("window.__kbStop = null")  # passed by: not a stop
        raise AssertionError(f"no focusable {role or 'control'} named {pattern.pattern!r} within {limit} "
                             f"Tab presses; passed: {seen}")

    def type_into(self, name: str, text: str, role: str | None = None) -> None:
        self.to(name, role)
        self.page.keyboard.type(text)

    def choose(self, name: str, typed: str) -> None:
        """A select box: focus it, type to filter its options, Enter takes the first match."""
        self.to(name, "combobox")
        self.page.keyboard.type(typed)
        expect(self.page.get_by_role("option").first).to_be_visible()
        self.page.keyboard.press("Enter")

    def press(self, name: str, role: str = "button") -> None:
        self.to(name, role)
        self.page.keyboard.press("Enter")
        wait_idle(self.page)

    def assert_focus_visible(self) -> None:
        """Each stop has an outline or box-shadow while focused, or visibly changed (outline,
        shadow, border or background) when focus left it."""
        missing = [s for s in self.stops if not s["ring"] and not s.get("changes")]
        assert not missing, f"no visible focus indicator on: {missing}"

    def summary(self) -> str:
        ring = sum(bool(s["ring"]) for s in self.stops)
        changed = sum(bool(s.get("changes")) and not s["ring"] for s in self.stops)
        return (f"{len(self.stops)} keyboard stops: {ring} with an outline or box-shadow, {changed} with a "
                f"border or background change on focus")


def keyboard_sign_in(page, username: str) -> Keyboard:
    kb = Keyboard(page)
    page.goto("/")
    # Focus styles are read the moment focus arrives and leaves: with transitions off they are
    # already their final values then (the look a person sees once the animation has run).
    page.add_style_tag(content=NO_TRANSITIONS)
    wait_idle(page)  # the first run may still be drawing: one sign-in form once it has finished
    page.get_by_role("textbox", name="Username").wait_for()
    kb.type_into("Username", username)
    kb.type_into("Password", PASSWORD)
    kb.press("Sign in")
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible(timeout=15_000)
    wait_idle(page)
    return kb


def test_sign_in_and_make_a_referral_by_keyboard(page):
    kb = keyboard_sign_in(page, "referrer")
    kb.press("Make a referral", "link")
    expect(page.get_by_role("heading", name="Make a referral")).to_be_visible()

    kb.type_into("day, Date the local authority became aware", "20112026", "spinbutton")
    kb.type_into("Referrer's name and role", "Designated safeguarding lead")
    kb.choose("Referrer's agency", "Schools")
    kb.choose("How the case was identified", "Member of staff")
    kb.type_into("Child's initials", "QK")
    kb.type_into("Child's age (years)", "8")
    kb.choose("Child's sex", "Female")
    kb.choose("Child's ethnicity", "White")
    kb.type_into("day, Date of the incident", "19112026", "spinbutton")
    kb.type_into("What happened", "Pupil arrived with burns and disclosed being hurt at home.")
    kb.to("Child died", "radio")  # a radio group is one Tab stop; arrows move within it
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("radio", name="Child seriously harmed")).to_be_checked()
    kb.to("Known", "radio")
    page.keyboard.press("Space")
    expect(page.get_by_role("radio", name="Known", exact=True)).to_be_checked()
    kb.press("Check and save referral")
    expect(page.get_by_text(re.compile(r"Referral NB-2026-\d{3} saved"))).to_be_visible()
    print(f"\nkeyboard, sign in and make a referral: {kb.summary()}")
    kb.assert_focus_visible()


@pytest.fixture
def reference(server, tmp_path, monkeypatch):
    """A serious-harm WT2018 referral accepted for screening, in the server's database."""
    monkeypatch.setenv("PANEL_DATA_DIR", str(tmp_path))  # DATABASE_URL too on PostgreSQL: set by demo_db
    monkeypatch.setenv("PANEL_TODAY", TODAY.isoformat())
    yield accepted(child_initials="KB")
    get_engine().dispose()


def test_screen_and_decide_by_keyboard(page, reference):
    kb = keyboard_sign_in(page, "chair")
    kb.press("Screening", "link")
    expect(page.get_by_role("heading", name="Screening")).to_be_visible()
    kb.choose("Referral to screen", reference)
    wait_idle(page)
    kb.press("Screen")
    expect(page.get_by_role("heading", name=re.compile(reference))).to_be_visible()

    # Change one answer with the arrow keys, then save.
    before = referral(reference).location  # a 2026 case: WT2018's questions
    kb.to(re.compile(r"^(In this authority's area|Normally resident here, harmed outside England|"
                     r"In another English authority's area)$"), "radio")
    page.keyboard.press("ArrowDown" if before == "in_area" else "ArrowUp")
    wait_idle(page)
    expect(page.get_by_text("1 unsaved answer(s).")).to_be_visible()
    kb.press("Save answers")
    until(lambda: referral(reference).location != before, "the answer saved")

    # The decision.
    kb.choose("Outcome", "Rapid review")
    kb.type_into("Rationale", "Known abuse and serious harm in our area: a serious child safeguarding case.")
    kb.to("Present")  # the first person's attendance
    page.keyboard.press("Space")
    kb.press("Record decision")
    until(lambda: decisions.decisions_for(actor("chair"), reference), "the decision recorded")
    expect(page.get_by_text("A decision is recorded and waiting for the chair's signature.")).to_be_visible()
    kb.to("I confirm attendance as shown", "checkbox")
    page.keyboard.press("Space")
    wait_idle(page)  # a checkbox outside a form reruns the page
    kb.press("Sign decision")
    until(lambda: referral(reference).status == "decided", "the decision signed")
    expect(page.get_by_text(re.compile(rf"Decision signed. Review {reference}-R1 created"))).to_be_visible()
    print(f"\nkeyboard, sign in, screen and decide: {kb.summary()}")
    kb.assert_focus_visible()

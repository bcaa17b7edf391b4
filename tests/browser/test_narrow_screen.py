"""Nothing is cut off on a phone (WCAG 1.4.10, reflow): at 390 px wide a review's link to its
published briefing and the explorer's briefing titles wrap instead of being clipped, and the
explorer's "Found, done and shared" table fits the page. The briefing is published through the
services, so the journey depends on no demo briefing."""

import pytest
from playwright.sync_api import Locator, expect
from sqlmodel import select

from panel.core.access import SYSTEM
from panel.core.db import read_session
from panel.learning import library
from panel.learning.briefing import SECTION_KEYS
from panel.models import Finding, Partnership, Review
from tests.browser.conftest import sign_in, wait_idle

pytestmark = pytest.mark.browser

WIDTH = 390
TITLE = "Safer sleep: what we learned from a baby's sudden death and how to talk to families about it"
# Any part of the element that hides text it cannot fit (overflow hidden or clipped, text cut
# off with an ellipsis), and how far right the element reaches.
CLIPPED_JS = """(el) => ({
    right: el.getBoundingClientRect().right,
    clipped: [el, ...el.querySelectorAll('*')].some(e => e.scrollWidth > e.clientWidth + 1
        && !['visible', 'auto', 'scroll'].includes(getComputedStyle(e).overflowX)),
})"""


def _publish() -> str:
    """A Northbrook review with learning, its briefing published under a long title."""
    with read_session() as s:
        nb = s.exec(select(Partnership).where(Partnership.code == "NB")).one().id
        ref = s.exec(select(Review.reference).join(Finding, Finding.review_id == Review.id)
                     .where(Review.partnership_id == nb).order_by(Review.reference.desc())).first()
    library.save_draft(SYSTEM, ref, TITLE, {k: "What practitioners should remember." for k in SECTION_KEYS}, 0)
    version = library.history(SYSTEM, ref).latest.id
    library.approve(SYSTEM, version)
    library.publish(SYSTEM, version)
    return ref


def _fits(el: Locator) -> None:
    expect(el).to_be_visible()
    seen = el.evaluate(CLIPPED_JS)
    assert seen["right"] <= WIDTH and not seen["clipped"], seen


def test_nothing_is_cut_off_at_390_px(browser, server):
    ref = _publish()
    context = browser.new_context(viewport={"width": WIDTH, "height": 900}, base_url=server)
    page = context.new_page()
    page.set_default_timeout(20_000)
    sign_in(page, "chair", f"/review?ref={ref}")
    page.goto(f"/review?ref={ref}")
    wait_idle(page)
    _fits(page.locator('[data-testid="stMain"] [data-testid="stPageLink"]', has_text="Published briefing"))

    page.goto("/explorer")
    wait_idle(page)
    expect(page.get_by_role("heading", name="Published briefings")).to_be_visible()
    _fits(page.locator('[data-testid="stMain"] [data-testid="stPageLink"]', has_text="Safer sleep"))

    page.get_by_role("tab", name="Found, done and shared").click()
    wait_idle(page)
    table = page.locator('[data-testid="stMain"] [data-testid="stTable"]', has_text="Shared").locator("table")
    _fits(table)
    context.close()

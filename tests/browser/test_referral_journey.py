"""The referral journey: a referrer submits a referral; a chair finds it in the queue in deadline
order and accepts it for screening."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import make_referral, sign_in, sign_out, wait_idle

pytestmark = pytest.mark.browser


def test_referral_from_submission_to_accepted(page):
    sign_in(page, "referrer")
    expect(page.get_by_role("link", name="Referral queue")).to_have_count(0)
    reference = make_referral(page, "Schools and education", "NB")
    sign_out(page)

    sign_in(page, "chair")
    expect(page.get_by_role("heading", name="Referral queue")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame")).to_be_visible()
    # In deadline order: aware Friday 20 Nov, so notify by Friday 27 Nov; it sits after the
    # referral the demo has for the same day and before Monday 30 Nov's.
    page.get_by_label("Open a referral").click()
    texts = page.get_by_role("option").all_inner_texts()
    options = [o.split(" ")[0] for o in texts]
    assert reference in options
    assert "notify by Fri 27 Nov" in texts[options.index(reference)], texts
    # Running clocks come first, most urgent first (the demo's run out in November and December).
    month = {"Nov": 11, "Dec": 12}
    dues = [(month[m.group(2)], int(m.group(1))) for o in texts
            if (m := re.search(r"notify by \w+ (\d+) (Nov|Dec)", o))]
    assert dues == sorted(dues), texts
    assert (11, 27) in dues
    page.get_by_role("option", name=re.compile(reference)).click()
    wait_idle(page)
    page.get_by_role("button", name="Open referral").click()
    wait_idle(page)
    expect(page.get_by_role("heading", name=re.compile(reference))).to_be_visible()
    page.get_by_text("Accept for screening").click()
    page.get_by_role("button", name="Record triage").click()
    wait_idle(page)
    expect(page.get_by_text("Accepted for screening").first).to_be_visible()

"""The referral journey: a referrer submits a referral; a chair finds it in the queue in deadline
order and accepts it for screening."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_list, sign_in, sign_out, wait_idle

pytestmark = pytest.mark.browser


def choose(page, label: str, option: str) -> None:
    open_list(page, page.get_by_role("combobox", name=label))
    page.get_by_role("option", name=option, exact=True).click()


def fill_date(page, label: str, ddmmyyyy: str) -> None:
    """Streamlit's date input is three spin buttons (day, month, year) that advance as you type."""
    page.get_by_role("spinbutton", name=f"day, {label}").click()
    page.keyboard.type(ddmmyyyy)


def test_referral_from_submission_to_accepted(page):
    sign_in(page, "referrer")
    expect(page.get_by_role("link", name="Referral queue")).to_have_count(0)
    page.get_by_role("link", name="Make a referral").click()
    wait_idle(page)

    fill_date(page, "Date the local authority became aware", "20112026")
    page.get_by_label("Referrer's name and role").fill("Designated safeguarding lead")
    choose(page, "Referrer's agency", "Schools and education")
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
    saved = page.get_by_text(re.compile(r"Referral NB-2026-\d{3} saved"))
    expect(saved).to_be_visible()
    reference = re.search(r"NB-2026-\d{3}", saved.inner_text()).group(0)
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

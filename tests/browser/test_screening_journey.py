"""A chair screens an accepted referral with the panel: answers the criteria, sees the
notification deadlines, records the notification, records and signs the decision, and opens the
rapid review it created."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from panel.core.db import get_engine
from panel.reviews import service as reviews
from panel.screening import decisions
from panel.screening import service as screening
from tests.browser.conftest import open_list, sign_in, until, wait_idle
from tests.conftest import TODAY
from tests.factories import accepted, actor, referral

pytestmark = pytest.mark.browser


@pytest.fixture
def reference(server):
    """A serious-harm WT2018 referral accepted for screening, written to the server's database
    (the environment `demo_db` set up for the server)."""
    yield accepted(child_initials="BJ")
    get_engine().dispose()


def metric(page, label: str):
    return page.get_by_test_id("stMetric").filter(has_text=label)


def header(grid, name: str):
    """A column header of st.dataframe: the grid draws on a canvas and keeps an accessible
    table inside it (dates there are ISO, whatever the column's display format)."""
    return grid.locator("th[role=columnheader]", has_text=re.compile(rf"^{re.escape(name)}$"))


def cell(grid, text: str):
    return grid.locator("td[role=gridcell]", has_text=re.compile(rf"^{re.escape(text)}$"))


def choose(page, label: str, option) -> None:
    """Open a selectbox or multiselect and pick an option."""
    open_list(page, page.get_by_role("combobox", name=label))
    page.get_by_role("option", name=option).click()


def navigate(page, click, path: str) -> None:
    """Click a link or button that changes the URL, once the app is idle."""
    wait_idle(page)
    click()
    expect(page).to_have_url(re.compile(re.escape(path)))
    wait_idle(page)


def press(page, name: str, done) -> None:
    """Press a button that saves, once the app is idle, and wait until the database shows
    `done()`: the database, not the screen, says whether it took."""
    wait_idle(page)
    page.get_by_role("button", name=name).click()
    until(done, f"pressing {name!r} saved")
    wait_idle(page)


def test_chair_screens_decides_and_opens_the_rapid_review(page, reference):
    sign_in(page, "chair")
    navigate(page, page.get_by_role("link", name="Screening", exact=True).click, "/screening")
    expect(page.get_by_role("heading", name="Screening")).to_be_visible()
    choose(page, "Referral to screen", re.compile(reference))
    wait_idle(page)
    navigate(page, page.get_by_role("button", name="Screen", exact=True).click, f"ref={reference}")
    expect(page.get_by_role("heading", name=re.compile(reference))).to_be_visible()

    # The criteria: the result follows each answer.
    expect(metric(page, "Route")).to_contain_text("Rapid review")
    page.get_by_text("Normally resident here, harmed outside England", exact=True).click()
    wait_idle(page)
    expect(page.get_by_text("1 unsaved answer(s).")).to_be_visible()
    page.get_by_text("Not known or suspected", exact=True).click()
    wait_idle(page)
    expect(metric(page, "Route")).to_contain_text("No statutory review")
    expect(page.get_by_text("No statutory notification is required on these answers.")).to_be_visible()
    page.get_by_text("Known", exact=True).click()
    wait_idle(page)
    expect(metric(page, "Route")).to_contain_text("Rapid review")
    press(page, "Save answers", lambda: referral(reference).location == "resident_outside_england")
    expect(page.get_by_role("button", name="Save answers")).to_be_disabled()
    expect(page.get_by_text("unsaved answer")).to_have_count(0)

    # The notification deadlines: aware on Friday 20 November, so notify by Friday 27th.
    expect(page.get_by_text("Notifications", exact=True)).to_be_visible()
    table = page.get_by_test_id("stDataFrame").first
    expect(header(table, "Due")).to_have_count(1)
    expect(cell(table, "National Child Safeguarding Practice Review Panel")).to_have_count(1)
    expect(cell(table, "2026-11-27")).to_have_count(2)  # both bodies, due the same day
    expect(metric(page, "Rapid review due")).to_contain_text("Fri 18 Dec 2026")

    page.get_by_text("Record a notification as sent").click()
    press(page, "Record notification", lambda: screening.screen(actor("chair"), reference, TODAY).notified_on)
    expect(cell(table, "2026-11-23")).to_have_count(1)
    # Sent today (Monday 23 November): the rapid review runs 15 working days from it.
    expect(metric(page, "Rapid review due")).to_contain_text("Mon 14 Dec 2026")

    # The decision.
    choose(page, "Outcome", "Rapid review — consistent with the criteria")
    page.get_by_role("textbox", name="Rationale").fill(
        "Known abuse and serious harm in our area: a serious child safeguarding case.")
    # Attendance is taken person by person.
    page.get_by_test_id("stButtonGroup").filter(has_text="Attendance: Chris Chair").get_by_text(
        "Present", exact=True).click()
    press(page, "Record decision", lambda: decisions.decisions_for(actor("chair"), reference))
    expect(page.get_by_text("A decision is recorded and waiting for the chair's signature.")).to_be_visible()
    expect(page.get_by_text("Recorded as present: Chris Chair")).to_be_visible()
    wait_idle(page)
    page.get_by_text("I confirm attendance as shown").click()
    press(page, "Sign decision", lambda: referral(reference).status == "decided")
    review_ref = f"{reference}-R1"
    expect(page.get_by_text(f"Decision signed. Review {review_ref} created with its milestones.")).to_be_visible()
    link = page.get_by_role("link", name=re.compile(rf"Open review {review_ref}"))
    expect(link).to_be_visible()
    assert [r["reference"] for r in reviews.for_referral(actor("chair"), reference)] == [review_ref]

    # The review it opened.
    link.click()
    wait_idle(page)
    expect(page.get_by_role("heading", name=re.compile(review_ref))).to_be_visible()
    milestones = page.get_by_test_id("stDataFrame").first
    expect(header(milestones, "Milestone")).to_have_count(1)
    expect(cell(milestones, "Partner sign-off and sent to the National Panel (day 15)")).to_have_count(1)
    expect(cell(milestones, "2026-12-14")).to_have_count(2)  # sent to the National Panel; LCSPR decision
    expect(page.get_by_text("End of the rapid review: the LCSPR decision")).to_be_visible()

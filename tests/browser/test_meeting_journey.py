"""The meeting journey: a chair opens today's meeting, records attendance, takes two items,
decides one in meeting mode (the shared screen's layout), carries one, closes the meeting and
downloads the minutes."""

import re

import docx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_list, sign_in, until, wait_idle
from tests.conftest import sql

pytestmark = pytest.mark.browser


def statuses():
    return sql("select m.status, i.position, i.status from agendaitem i join meeting m on m.id = i.meeting_id "
               "order by m.id, i.position")


def present() -> int:
    return sql("select count(*) from meetingmember where attendance = 'present'")[0][0]


def mark_present(page, who: str) -> None:
    """Click Present on `who`'s attendance row once the app is idle, and wait for the database
    to record it."""
    before = present()
    wait_idle(page)
    row = page.get_by_test_id("stHorizontalBlock").filter(has_text=who)
    row.get_by_text("Present", exact=True).click()
    until(lambda: present() > before, f"{who} recorded as present")
    wait_idle(page)


def test_chair_runs_a_meeting_and_downloads_the_minutes(page, tmp_path):
    sign_in(page, "chair")
    page.get_by_role("link", name="Meetings").click()
    wait_idle(page)
    page.get_by_role("button", name="Create the meeting and its agenda").click()  # opens it
    wait_idle(page)
    expect(page.get_by_role("heading", name=re.compile(r"Northbrook .* Monday 23 November 2026"))).to_be_visible()

    page.get_by_role("tab", name="Attendance").click()
    for who in ("Chris Chair", "Mel Manager", "Morgan Member"):  # the invited panel members
        mark_present(page, who)
    page.get_by_role("textbox", name="Name").fill("Designated nurse (guest)")
    page.get_by_role("combobox", name="Agency").click()
    page.keyboard.type("Integrated care board")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Add attendee").click()
    wait_idle(page)
    mark_present(page, "Designated nurse (guest)")

    # Meeting mode: the shared screen's layout, no sidebar, one item at a time, the decision beside it.
    page.get_by_role("button", name="Meeting mode", exact=True).click()
    wait_idle(page)
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    page.get_by_role("button", name="Next item").click()
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"^Item 2 of \d+")).first).to_be_visible()
    page.get_by_role("button", name="Previous item").click()
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"For this item: quorate", re.I)).first).to_be_visible()
    open_list(page, page.get_by_role("combobox", name="Outcome"))
    page.keyboard.type("consistent with")
    page.keyboard.press("Enter")
    expect(page.get_by_role("combobox", name="Outcome")).to_have_value(re.compile("consistent with"))
    page.get_by_role("textbox", name="Rationale").fill("Serious harm with suspected abuse: a rapid review is required.")
    page.get_by_role("button", name="Record and sign the decision").click()
    wait_idle(page)
    expect(page.get_by_text(re.compile("Decision recorded and signed")).first).to_be_visible()
    page.get_by_role("button", name="Leave meeting mode").click()
    wait_idle(page)
    expect(page.get_by_test_id("stSidebar")).to_be_visible()

    page.get_by_role("button", name="Next", exact=True).click()
    wait_idle(page)
    page.get_by_role("button", name="Carry to the next meeting").click()
    wait_idle(page)

    page.get_by_role("tab", name="Minutes and close").click()
    page.get_by_text("I am ready to close the meeting").click()
    wait_idle(page)
    page.get_by_role("button", name="Close the meeting").click()
    wait_idle(page)
    rows = statuses()
    first = [r for r in rows if r[0] == "closed"]
    assert first[0][2] == "decided" and first[1][2] == "carried"
    assert any(r[0] == "planned" for r in rows)  # carried items wait on the next meeting's agenda

    page.get_by_role("tab", name="Minutes and close").click()
    page.get_by_role("button", name="Prepare the minutes (Word)").click()
    wait_idle(page)
    page.get_by_role("tab", name="Minutes and close").click()  # a rerun shows the first tab again
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the minutes").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    text = "\n".join(p.text for p in docx.Document(path).paragraphs)
    assert "rapid review is required" in text and "Designated nurse (guest)" in text

"""The learning journey: a member filters the explorer by domestic abuse, opens a recommendation,
records progress on one of its actions; a manager closes it with evidence of impact."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in, sign_out, wait_idle
from tests.conftest import sql

pytestmark = pytest.mark.browser
EVIDENCE = ("Audit of 40 health visiting records in March found fathers and partners recorded in 36; "
            "practitioners now ask about every adult in the household.")


def action_row(action_id):
    row = sql("select status, evidence_of_impact from action where id = :id", id=action_id)[0]
    notes = sql("select count(*) from actionnote where action_id = :id", id=action_id)[0][0]
    return row, notes


def test_member_records_progress_and_manager_closes_with_evidence(page, tmp_path):
    sign_in(page, "member")
    page.get_by_role("link", name="Learning explorer").click()
    wait_idle(page)
    theme = page.get_by_role("combobox", name="Theme")
    theme.click()
    page.keyboard.type("domestic abuse")
    page.keyboard.press("Enter")
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"about “domestic abuse”", re.I)).first).to_be_visible()

    page.get_by_role("combobox", name="Open a recommendation").click()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    wait_idle(page)
    link = page.get_by_role("link", name=re.compile(r"Action \d+: record progress or close")).first
    expect(link).to_be_visible()
    action_id = int(re.search(r"Action (\d+)", link.inner_text()).group(1))
    link.click()
    wait_idle(page)
    expect(page).to_have_url(re.compile(rf"id={action_id}"))

    page.get_by_role("textbox", name="Progress note").fill("Briefing delivered to all health visiting teams.")
    page.get_by_test_id("stRadioGroup").get_by_text("In progress", exact=True).click()
    page.get_by_role("button", name="Record progress").click()
    wait_idle(page)
    (status, _), notes = action_row(action_id)
    assert status == "in_progress" and notes >= 1
    expect(page.get_by_role("button", name="Close action")).to_have_count(0)  # members do not close
    sign_out(page)

    sign_in(page, "manager", f"/actions?id={action_id}")
    page.get_by_role("button", name="Close action").click()  # without evidence: refused
    wait_idle(page)
    expect(page.get_by_text("Record the evidence that practice changed before closing").first).to_be_visible()
    assert action_row(action_id)[0][0] == "in_progress"
    page.get_by_role("textbox", name="Evidence of impact").fill(EVIDENCE)
    page.get_by_role("button", name="Close action").click()
    wait_idle(page)
    assert action_row(action_id)[0] == ("closed", EVIDENCE)

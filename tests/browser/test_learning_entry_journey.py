"""A review's learning from an empty partnership, on the pages people use: the business manager
records two findings, a recommendation for a target agency answering both, and an action on the
review's page; a member records progress on the action; the manager closes it with evidence of
impact and a follow-up date; the Learning explorer shows the theme, the recommendation and the
closed action; the manager drafts the review's 7-minute briefing, saves, approves and publishes
it; and a referrer of the partnership downloads it from the Briefing library. The partnership,
its users and the review are written through the services to the server's database (no demo)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import Locator, Page, expect

from panel.accounts import service as accounts
from panel.core.access import SYSTEM
from panel.core.db import get_engine
from panel.screening import decisions
from panel.themes import service as theme_service
from tests.browser.conftest import open_list, sign_in, sign_out, until, wait_idle
from tests.conftest import TODAY, sql
from tests.factories import accepted, actor, decision_form, empty_nb

pytestmark = pytest.mark.browser

PASSWORD = "a long test password"  # empty_nb's users' password
REFERRER_PW = "copper kestrel lantern 58"
SECTION = "Learning: findings, recommendations and actions"
FINDING_1 = "Strategy meetings about the baby were held without the police."
FINDING_2 = "The health visitor asked about every adult living in the household."
RECOMMENDATION = "Police attend every strategy meeting about a child under one."
ACTION = "Audit strategy meeting attendance every quarter."
EVIDENCE = "A re-audit of 20 strategy meetings in November found police at all of them, up from 9 of 20."
FOLLOW_UP = TODAY + timedelta(days=180)
BRIEFING_TITLE = "Police at strategy meetings for babies"


@dataclass
class Seeded:
    review: str


@pytest.fixture
def seeded(empty_server):
    """Northbrook with nothing in it, its themes, one signed review and a referrer."""
    empty_nb()
    theme_service.seed_defaults(SYSTEM)
    did = decisions.record_decision(actor("member"), accepted(), decision_form("lcspr"), TODAY)
    review = decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True)
    accounts.create_user(SYSTEM, username="referrer", name="Northbrook referrer", email="referrer@example.org",
                         password=REFERRER_PW, memberships=[("NB", "referrer")])
    yield Seeded(review)
    get_engine().dispose()


def form_with(page: Page, button: str) -> Locator:
    """The form whose submit button says `button`. Found by its text, not its role: while a
    select's list is open the rest of the page is hidden from the accessibility tree."""
    return page.get_by_test_id("stForm").filter(
        has=page.locator("button", has_text=re.compile(rf"^{re.escape(button)}$")))


def pick(page: Page, scope: Locator, label: str, *options: str) -> None:
    """Choose `options` in the select or multiselect labelled `label` within `scope`: typed first,
    as a long list draws only the options in view."""
    box = scope.get_by_role("combobox", name=label, exact=True)
    for option in options:
        open_list(page, box)
        page.keyboard.type(option[:30])
        page.get_by_role("option", name=option, exact=True).click()
        wait_idle(page)
    if box.get_attribute("aria-expanded") == "true":  # a multiselect's list stays open after a choice
        page.keyboard.press("Escape")  # (on a single select, Escape would clear what was chosen)
        expect(box).to_have_attribute("aria-expanded", "false")


def type_date(page: Page, scope: Locator, label: str, day) -> None:
    scope.get_by_role("spinbutton", name=f"day, {label}", exact=True).click()
    page.keyboard.type(f"{day:%d%m%Y}")


def open_expander(page: Page, label: str, inside: Locator) -> None:
    """Open the expander `label` unless its content (`inside`) is already shown."""
    wait_idle(page)
    if not inside.is_visible():
        page.get_by_text(label, exact=True).click()
        wait_idle(page)
    expect(inside).to_be_visible()


def add_finding(page: Page, number: int, text: str, nature: str, agency: str, theme: str) -> None:
    form = form_with(page, "Add finding")
    open_expander(page, "Add a finding", form.get_by_role("textbox", name="What was found"))
    form.get_by_role("textbox", name="What was found").fill(text)
    form.get_by_test_id("stRadioGroup").get_by_text(nature, exact=True).click()
    pick(page, form, "Agencies it concerns", agency)
    pick(page, form, "Themes", theme)
    form.get_by_role("button", name="Add finding").click()
    wait_idle(page)
    expect(page.get_by_role("heading", name=f"Findings ({number})")).to_be_visible()


def test_learning_from_an_empty_partnership_to_the_briefing_library(empty_page, seeded):
    page, ref = empty_page, seeded.review

    # The manager records the review's learning on its page.
    sign_in(page, "manager", f"/review?ref={ref}", password=PASSWORD)
    expect(page.get_by_role("heading", name=SECTION)).to_be_visible()
    expect(page.get_by_text("No findings recorded yet.")).to_be_visible()
    add_finding(page, 1, FINDING_1, "Concern", "Police", "domestic abuse")
    add_finding(page, 2, FINDING_2, "Good practice", "Community health (health visiting)", "domestic abuse")
    expect(page.get_by_role("heading", name="Findings (2)")).to_be_visible()
    expect(page.get_by_text("F2 · Good practice", exact=False)).to_be_visible()

    form = form_with(page, "Add recommendation")
    open_expander(page, "Add a recommendation", form.get_by_role("textbox", name="What should change"))
    form.get_by_role("textbox", name="What should change").fill(RECOMMENDATION)
    pick(page, form, "Findings it answers", f"F1: {FINDING_1}", f"F2: {FINDING_2}")
    pick(page, form, "Target agencies (at least one)", "Police")
    form.get_by_role("textbox", name="Outcome sought").fill("Every strategy meeting about a baby hears from the police.")
    form.get_by_role("textbox", name="How it will be measured").fill("A re-audit of 20 strategy meetings.")
    type_date(page, form, "Due by", TODAY + timedelta(days=120))
    form.get_by_role("button", name="Add recommendation").click()
    wait_idle(page)
    expect(page.get_by_role("heading", name="Recommendations (1)")).to_be_visible()
    expect(page.get_by_text("Answers: F1, F2", exact=False)).to_be_visible()
    rec = sql("select r.id from recommendation r join review v on v.id = r.review_id where v.reference = :ref",
              ref=ref)
    assert len(rec) == 1
    links = sql("select count(*) from recommendationfinding where recommendation_id = :id", id=rec[0][0])
    assert links[0][0] == 2

    form = form_with(page, "Add action")
    open_expander(page, "Add an action to R1", form.get_by_role("textbox", name="What will be done"))
    form.get_by_role("textbox", name="What will be done").fill(ACTION)
    pick(page, form, "Owner agency", "Police")
    form.get_by_role("textbox", name="Owner (a named person)").fill("Detective Inspector Rowe")
    form.get_by_role("textbox", name="Owner's e-mail (for reminders)").fill("rowe@police.example.org")
    type_date(page, form, "Due", TODAY + timedelta(days=60))
    form.get_by_role("button", name="Add action").click()
    wait_idle(page)
    link = page.get_by_role("link", name=re.compile(r"^Action \d+: Audit strategy meeting"))
    expect(link).to_be_visible()
    action_id = int(re.search(r"Action (\d+)", link.inner_text()).group(1))
    sign_out(page)

    # A member records progress on the action.
    sign_in(page, "member", f"/actions?id={action_id}", password=PASSWORD)
    page.get_by_role("textbox", name="Progress note").fill("Quarterly audit booked; first one in January.")
    page.get_by_test_id("stRadioGroup").get_by_text("In progress", exact=True).click()
    page.get_by_role("button", name="Record progress").click()
    wait_idle(page)
    expect(page.get_by_role("heading", name="Progress notes (1)")).to_be_visible()
    assert sql("select status from action where id = :id", id=action_id)[0][0] == "in_progress"
    sign_out(page)

    # The manager closes it with evidence of impact and a date to check the change held.
    sign_in(page, "manager", f"/actions?id={action_id}", password=PASSWORD)
    close = form_with(page, "Close action")
    close.get_by_role("textbox", name="Evidence of impact").fill(EVIDENCE)
    type_date(page, close, "Follow up on (optional)", FOLLOW_UP)
    close.get_by_role("button", name="Close action").click()
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"^Closed on \w{3} \d+ \w{3} \d{4}")).first).to_be_visible()
    status, evidence, follow_up = sql("select status, evidence_of_impact, follow_up_on from action where id = :id",
                                      id=action_id)[0]
    assert (status, evidence, str(follow_up)[:10]) == ("closed", EVIDENCE, FOLLOW_UP.isoformat())

    # The Learning explorer: the theme, the recommendation and the closed action.
    page.goto("/explorer")
    wait_idle(page)
    expect(page.get_by_text("1 of 1", exact=True)).to_be_visible()  # actions closed with evidence
    page.get_by_role("tab", name="Found, done and shared").click()
    wait_idle(page)
    reach = page.get_by_role("tabpanel", name="Found, done and shared")
    expect(reach.get_by_role("table")).to_contain_text("domestic abuse")
    box = page.get_by_role("combobox", name="Open a recommendation")
    open_list(page, box)
    page.get_by_role("option", name=re.compile(r"^Recommendation \d+ · ")).first.click()
    wait_idle(page)
    expect(page.get_by_test_id("stText").filter(has_text=RECOMMENDATION)).to_be_visible()
    expect(page.get_by_role("link", name=f"Action {action_id}: record progress or close")).to_be_visible()

    # The 7-minute briefing: drafted from the record, saved, approved and published.
    page.goto(f"/briefing?ref={ref}")
    wait_idle(page)
    expect(page.get_by_text("No initials, date of birth or names recorded on the case were found.")).to_be_visible()
    page.get_by_role("textbox", name="Title").fill(BRIEFING_TITLE)
    page.get_by_role("textbox", name="Title").press("Tab")
    wait_idle(page)
    page.get_by_role("button", name="Save draft").click()
    wait_idle(page)
    page.get_by_role("button", name="Approve version 1").click()
    wait_idle(page)
    page.get_by_role("button", name="Publish version 1").click()
    wait_idle(page)
    expect(page.get_by_role("link", name="Open it in the Briefing library")).to_be_visible()
    until(lambda: sql("select count(*) from briefingversion where status = 'published'")[0][0] == 1,
          "the briefing published")
    sign_out(page)

    # A referrer of the partnership downloads it from the Briefing library.
    sign_in(page, "referrer", "/library", password=REFERRER_PW)
    expect(page.get_by_text(BRIEFING_TITLE, exact=True)).to_be_visible()
    with page.expect_download() as got:
        page.get_by_role("button", name=f"Download {BRIEFING_TITLE} (Word)").click()
    download = got.value
    assert download.suggested_filename.endswith(".docx")
    path = download.path()
    assert path is not None and path.read_bytes()[:2] == b"PK"  # a Word document is a zip

"""Presentation mode on a shared screen: once the chair turns it on, no way of reaching a page
(menu link, choosing a queue row, "Open referral", a picker, an address typed in, a reload)
shows the child. Checked twice per stop: the page's text, and every message the server sent
over the websocket during the stop (dataframes are drawn on a canvas, so their cells are not
page text; their Arrow bytes are in those messages)."""

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from panel.accounts import service as accounts
from panel.agencies import service as agency_service
from panel.core.access import SYSTEM
from panel.core.db import read_session
from panel.models import Partnership
from panel.referrals import service as referrals
from tests.browser.conftest import sign_in, wait_idle
from tests.conftest import TODAY

pytestmark = pytest.mark.browser

INITIALS = "QZXJ"
NARRATIVE = "Toddler found with scalds; the Pellingworth childminder gave no account."
PLANTED = (INITIALS, "Pellingworth")


def plant() -> str:
    """An accepted referral in the chair's partnership, aware today: in the queue and waiting
    for screening."""
    with read_session() as s:
        nb = s.exec(select(Partnership.id).where(Partnership.code == "NB")).one()
    agencies = {a.name: a.id for a in agency_service.list_agencies(SYSTEM)}
    chair = accounts.actor_for("chair")
    ref = referrals.submit(chair, nb, {
        "received_on": TODAY, "aware_on": TODAY, "incident_date": TODAY, "referrer_name": "Named nurse",
        "referrer_agency_id": agencies["Police"], "identified_by": "social_worker", "child_initials": INITIALS,
        "child_age_years": 2, "child_sex": "female", "child_ethnicity": "white", "incident_summary": NARRATIVE,
        "harm": "serious_harm", "abuse_or_neglect": "suspected", "location": "in_area"}, TODAY).reference
    referrals.triage(chair, ref, "accept", "", 1)
    return ref


class Wire:
    """What the server sent to this browser since the last `take()`."""

    def __init__(self, page):
        self.frames: list[bytes] = []
        page.on("websocket", lambda ws: ws.on("framereceived", self._got))

    def _got(self, payload) -> None:
        self.frames.append(payload if isinstance(payload, bytes) else payload.encode())

    def take(self) -> bytes:
        out, self.frames = b"".join(self.frames), []
        return out


def toggle(page):
    """The sidebar's switch. Its key follows the stored preference, so turning it over replaces
    the widget: wait until the replaced one has gone before reading it."""
    switch = page.get_by_label("Presentation mode", exact=True)
    expect(switch).to_have_count(1)
    return switch


def test_presentation_mode_holds_on_every_page_by_every_way(page):
    ref = plant()
    wire = Wire(page)
    sign_in(page, "chair")
    expect(page.get_by_role("heading", name="Referral queue")).to_be_visible()
    page.get_by_text("Presentation mode", exact=True).click()
    wait_idle(page)
    expect(toggle(page)).to_be_checked()

    def hidden(where: str, heading: str) -> None:
        wait_idle(page)
        expect(page.get_by_role("heading", name=heading).first, where).to_be_visible()
        expect(page.get_by_text("Presentation mode: child identifiers are hidden."), where).to_be_visible()
        expect(toggle(page), where).to_be_checked()
        text = page.locator("body").inner_text()
        sent = wire.take()
        assert [v for v in PLANTED if v in text] == [], where
        assert [v for v in PLANTED if v.encode() in sent] == [], f"{where}: sent to the browser"

    wire.take()
    page.reload()
    hidden("the queue, reloaded", "Referral queue")

    # "Open referral" (st.switch_page from the queue)
    page.get_by_label("Open a referral").click()
    page.get_by_role("option", name=ref, exact=False).click()
    page.get_by_role("button", name="Open referral").click()
    hidden("Open referral", "Referral")
    expect(page.get_by_role("heading", name=ref, exact=False)).to_be_visible()

    # a menu link back, then choosing the queue's row (the grid's own selection)
    page.get_by_role("link", name="Referral queue").click()
    hidden("menu: Referral queue", "Referral queue")
    page.get_by_text("Filters and search").click()
    page.get_by_label("Search by reference").fill(ref)
    page.keyboard.press("Enter")
    wait_idle(page)
    grid = page.get_by_test_id("stDataFrame").first
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 12, box["y"] + 35 + 17)  # the first row's selection marker
    expect(page.get_by_role("heading", name=ref, exact=False)).to_be_visible()
    hidden("a queue row chosen", "Referral")

    # the screening picker
    page.get_by_role("link", name="Screening", exact=True).click()
    hidden("menu: Screening", "Screening")
    page.get_by_label("Referral to screen").click()
    page.get_by_role("option", name=ref, exact=False).click()
    page.get_by_role("button", name="Screen").click()
    expect(page.get_by_role("heading", name=ref, exact=False)).to_be_visible()
    hidden("screening picker", "Screening")

    # deep links by address, and reloads of them
    for path, heading in [(f"/referral?ref={ref}", "Referral"), (f"/screening?ref={ref}", "Screening")]:
        page.goto(path)
        hidden(f"address {path}", heading)
        page.reload()
        hidden(f"reload of {path}", heading)

    # every other menu page
    for name, heading in [("Review tracker", "Review tracker"), ("Timeliness", "Timeliness"),
                          ("Meetings", "Meetings"), ("Decision log", "Decision log"),
                          ("Learning explorer", "Learning explorer"), ("Action register", "Action register"),
                          ("7-minute briefing", "7-minute briefing"), ("Make a referral", "Make a referral")]:
        page.get_by_role("link", name=name).click()
        hidden(f"menu: {name}", heading)

    # turned off: the child's details are back, and stay off across a reload
    page.goto(f"/referral?ref={ref}")
    wait_idle(page)
    page.get_by_text("Presentation mode", exact=True).click()
    wait_idle(page)
    expect(toggle(page)).not_to_be_checked()
    expect(page.get_by_text(NARRATIVE, exact=True)).to_be_visible()
    expect(page.get_by_text(INITIALS, exact=False).filter(visible=True).first).to_be_visible()
    page.reload()
    wait_idle(page)
    expect(toggle(page)).not_to_be_checked()
    expect(page.get_by_text(NARRATIVE, exact=True)).to_be_visible()

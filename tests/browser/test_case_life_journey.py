"""A case's life across the panel's pages: the chair opens the panel meeting, where a referral's
item shows the criteria's answer and its notification clock; follows the rapid review's item to
its page and records the end of the rapid review, deciding to hold an LCSPR; the review page
links the LCSPR, the tracker shows it beside the rapid review that started it, and the
Timeliness page still counts the rapid review, now sent on time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pytest
from playwright.sync_api import expect

from panel.core.db import get_engine
from panel.reports import service as reports
from panel.screening import decisions
from panel.screening import service as screening
from panel.screening.rules import LCSPR_CONSIDERATIONS
from tests.browser.conftest import fill_date, sign_in, until, wait_idle
from tests.conftest import TODAY, sql
from tests.factories import accepted, actor, decision_form

pytestmark = pytest.mark.browser

AWARE_RR = date(2026, 11, 2)  # a Monday: the rapid review's referral
NOTIFIED_RR = date(2026, 11, 4)  # day 0 of the rapid review: due 15 working days on, Wed 25 Nov
DECIDED_RR = date(2026, 11, 9)  # the panel's decision to hold a rapid review
ANSWERS = ("Yes", "Yes", "Yes", "No", "Not yet clear", "No", "No", "No")  # one per reg.11 consideration


@dataclass
class Case:
    referral: str  # accepted, awaiting the panel's screening decision: aware Fri 20 Nov
    rapid_review: str  # decided 9 Nov, notified 4 Nov, its LCSPR decision not yet recorded


def plant() -> Case:
    """Written through the services to the server's database (the environment `demo_db` set up):
    a referral waiting for screening, and a rapid review waiting for its LCSPR decision, so the
    journey does not hang on which demo case happens to be undecided."""
    waiting = accepted(child_initials="LJ")
    ref = accepted(child_initials="RW", received_on=AWARE_RR, aware_on=AWARE_RR, incident_date=date(2026, 11, 1))
    screening.record_notification(actor("chair"), ref, "national_panel", NOTIFIED_RR, "NP-4411", TODAY)
    did = decisions.record_decision(actor("member"), ref, decision_form("rapid_review", decided_on=DECIDED_RR), TODAY)
    rapid_review = decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True)
    return Case(waiting, rapid_review)


@pytest.fixture
def case(server):
    yield plant()
    get_engine().dispose()


def position(reference: str) -> int:
    """The item's place on the meeting's agenda (0 first), as the agenda was built."""
    return sql("select position from agendaitem where reference = :ref", ref=reference)[0][0]


def lcspr_of(rapid_review: str) -> tuple[str, str] | None:
    """The LCSPR the rapid review's decision opened: (reference, started_on), once it exists."""
    rows = sql("select l.reference, l.started_on from review l join review r on r.id = l.rapid_review_id "
               "where r.reference = :ref", ref=rapid_review)
    return (rows[0][0], str(rows[0][1])[:10]) if rows else None


def next_item(page, steps: int) -> None:
    for _ in range(steps):
        wait_idle(page)
        page.get_by_role("button", name="Next", exact=True).click()
    wait_idle(page)


def rapid_review_counts(page) -> tuple[int, int, int, int]:
    """(on time, counted, late, not yet due) as the Timeliness page's rapid-review tile says them."""
    caption = page.get_by_text(re.compile(r"^within 15 working days: ")).inner_text()
    m = re.search(r"(\d+) of (\d+) on time · (\d+) late · (\d+) not yet due", caption)
    assert m, caption
    return tuple(int(g) for g in m.groups())


def service_counts(as_of: date = TODAY) -> tuple[int, int, int, int]:
    fig = reports.timeliness(actor("chair"), as_of)["rapid_reviews"]
    return fig["on_time"], fig["total"], fig["late"], fig["not_yet_due"]


def open_timeliness(page) -> tuple[int, int, int, int]:
    page.get_by_role("link", name="Timeliness").click()
    wait_idle(page)
    expect(page.get_by_role("heading", name="Timeliness")).to_be_visible()
    return rapid_review_counts(page)


def exactly(text: str) -> re.Pattern:
    return re.compile(rf"^{re.escape(text)}$")


def linked_reviews(grid) -> dict[str, str]:
    """Each row's review and its linked review, read from st.dataframe's accessible table (the
    grid draws on a canvas and keeps that table inside it, with the columns in view only)."""
    headers = grid.locator("th[role=columnheader]").all_inner_texts()
    review, linked = headers.index("Review"), headers.index("Linked review")
    rows = [row.locator("td[role=gridcell]").all_inner_texts() for row in grid.locator("tbody tr").all()]
    return {cells[review]: cells[linked] for cells in rows}


def test_chair_takes_a_case_from_the_meeting_to_its_lcspr(page, case):
    sign_in(page, "chair")
    # The figure before: the rapid review is counted, its clock still running (due Wed 25 Nov).
    before = open_timeliness(page)
    assert before == service_counts() and before[3] >= 1

    # The meeting: created from the record and opened on its Items tab, one item at a time.
    page.get_by_role("link", name="Meetings").click()
    wait_idle(page)
    page.get_by_role("button", name="Create the meeting and its agenda").click()
    wait_idle(page)
    expect(page.get_by_role("heading", name=re.compile(r"Northbrook .* Monday 23 November 2026"))).to_be_visible()

    # The referral's item: the criteria's answer and the notification clock (aware Fri 20 Nov).
    next_item(page, position(case.referral))
    expect(page.get_by_role("heading", name=f"{case.referral}: screening decision "
                                            "(statutory clock: notify by Fri 27 Nov 2026)")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Item \d+ of \d+ · Referral awaiting screening$"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Criteria \(WT2018\): Rapid review\. Notifications due: "
                                       r"National Child Safeguarding Practice Review Panel"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"Rapid review due: Fri 18 Dec 2026\.$"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"^National Child Safeguarding Practice Review Panel: notify by "
                                       r"Fri 27 Nov 2026, .*\(4 working days left\)$"))).to_be_visible()

    # The rapid review's item, and on to its page.
    next_item(page, position(case.rapid_review) - position(case.referral))
    expect(page.get_by_role("heading", name=f"{case.rapid_review}: rapid review, LCSPR decision due")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Item \d+ of \d+ · Rapid review: LCSPR decision$"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Next step: the partners decide whether to hold an LCSPR, due "
                                       r"Wed 25 Nov 2026\."))).to_be_visible()
    link = page.get_by_role("link", name=f"Review {case.rapid_review}")
    expect(link).to_be_visible()
    link.click()
    wait_idle(page)
    expect(page.get_by_role("heading", name=re.compile(re.escape(case.rapid_review)))).to_be_visible()

    # The end of the rapid review: the eight considerations, the decision and its date.
    expect(page.get_by_text("End of the rapid review: the LCSPR decision")).to_be_visible()
    for (_, text), answer in zip(LCSPR_CONSIDERATIONS, ANSWERS, strict=True):
        page.get_by_test_id("stRadio").filter(has_text=text).get_by_text(answer, exact=True).click()
    page.get_by_test_id("stRadio").filter(has_text="Hold an LCSPR").get_by_text("Hold an LCSPR", exact=True).click()
    fill_date(page, "Decision made on", "20112026")
    fill_date(page, "Sent to the National Panel on", "20112026")
    wait_idle(page)
    page.get_by_role("button", name="Save the rapid review outcome").click()
    until(lambda: lcspr_of(case.rapid_review) is not None, "the LCSPR opened by the decision")
    wait_idle(page)
    lcspr, started = lcspr_of(case.rapid_review)
    assert started == "2026-11-20"  # planned from the decision's date
    decided = sql("select lcspr_decision, sent_to_national_panel_on from review where reference = :ref",
                  ref=case.rapid_review)[0]
    assert decided[0] == "lcspr" and str(decided[1])[:10] == "2026-11-20"
    expect(page.get_by_role("link", name=f"LCSPR: {lcspr}")).to_be_visible()

    # The tracker: the LCSPR and the rapid review that started it, linked both ways. The clock's
    # columns come first; on a wide screen the linked review is in view beside them.
    page.set_viewport_size({"width": 2400, "height": 1000})
    page.get_by_role("link", name="Review tracker").click()
    wait_idle(page)
    grid = page.get_by_test_id("stDataFrame").last
    expect(grid.locator("th[role=columnheader]", has_text=exactly("Linked review"))).to_have_count(1)
    # each reference twice: in its own row, and as the other's linked review
    expect(grid.locator("td[role=gridcell]", has_text=exactly(lcspr))).to_have_count(2)
    expect(grid.locator("td[role=gridcell]", has_text=exactly(case.rapid_review))).to_have_count(2)
    links = linked_reviews(grid)
    assert links[lcspr] == case.rapid_review and links[case.rapid_review] == lcspr, links

    # Timeliness: the rapid review still counts, now sent on time (day 12 of 15).
    after = open_timeliness(page)
    assert after == service_counts()
    on_time, total, late, waiting = before
    assert after == (on_time + 1, total + 1, late, waiting - 1)

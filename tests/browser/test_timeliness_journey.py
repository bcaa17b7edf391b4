"""The timeliness journey: a manager opens the timeliness dashboard, finds a late rapid review,
opens it, records the date that was never entered, sees the figure change, exports Excel."""

import re

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_list, sign_in, wait_idle
from tests.conftest import sql

pytestmark = pytest.mark.browser
REVIEW = "NB-2024-004-R1"  # demo rapid review: notified 18 Jul 2024, due 8 Aug, sent 9 Aug


def forget_sent_date() -> None:
    """The tracker this partnership moved from never recorded when the review was sent."""
    rid = sql("select id from review where reference = :ref", ref=REVIEW)[0][0]
    sql("update review set sent_to_national_panel_on = null, status = 'open' where id = :rid", rid=rid)
    sql("update reviewmilestone set actual_on = null where review_id = :rid "
        "and key in ('sent_to_national_panel', 'lcspr_decision_recorded')", rid=rid)


def sent_recorded() -> str | None:
    rows = sql("select m.actual_on from reviewmilestone m join review r on r.id = m.review_id "
               "where r.reference = :ref and m.key = 'sent_to_national_panel'", ref=REVIEW)
    return str(rows[0][0])[:10] if rows and rows[0][0] else None


def tile(page, label):
    return page.get_by_test_id("stMetric").filter(has_text=label)


def all_time(page) -> None:
    """The headline covers the last 12 months by default; the demo's late review is from 2024."""
    open_list(page, page.get_by_role("combobox", name="Period", exact=True))
    page.get_by_role("option", name="All time", exact=True).click()
    wait_idle(page)


def test_manager_fixes_a_late_rapid_review_and_exports(page, server, tmp_path):
    forget_sent_date()
    sign_in(page, "manager")
    page.get_by_role("link", name="Timeliness").click()
    wait_idle(page)
    expect(page.get_by_role("heading", name="Timeliness")).to_be_visible()
    all_time(page)
    overdue_before = int(tile(page, "Overdue milestones now").get_by_test_id("stMetricValue").inner_text())
    rapid_before = tile(page, "on time").nth(1).get_by_test_id("stMetricValue").inner_text()

    expect(page.get_by_text(re.compile(r"^Late rapid reviews \(\d+\)"))).to_be_visible()  # open: it holds some
    link = page.get_by_role("link", name=re.compile(rf"{REVIEW} · due .* not sent"))
    expect(link).to_be_visible()
    link.click()
    wait_idle(page)
    expect(page.get_by_role("heading", name=re.compile(REVIEW))).to_be_visible()

    open_list(page, page.get_by_role("combobox", name="Milestone", exact=True))
    page.get_by_role("option", name=re.compile("sent to the National Panel")).click()
    page.get_by_role("spinbutton", name="day, Date").click()
    page.keyboard.type("09082024")
    page.get_by_role("button", name="Save date").click()
    wait_idle(page)
    assert sent_recorded() == "2024-08-09"

    page.get_by_role("link", name="Timeliness").click()
    wait_idle(page)
    all_time(page)
    overdue_after = int(tile(page, "Overdue milestones now").get_by_test_id("stMetricValue").inner_text())
    assert overdue_after == overdue_before - 1
    expect(page.get_by_role("link", name=re.compile(rf"{REVIEW} · .*sent Fri 9 Aug 2024, 1 working day late"))).to_be_visible()
    assert tile(page, "on time").nth(1).get_by_test_id("stMetricValue").inner_text() == rapid_before

    with page.expect_download() as download:
        page.get_by_role("button", name="Export Excel").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    book = openpyxl.load_workbook(path)
    assert path.name == "timeliness-2026-11-23.xlsx" and len(book.sheetnames) >= 3

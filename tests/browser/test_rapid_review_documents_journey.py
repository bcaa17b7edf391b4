"""A rapid review's documents, from the agencies' reports to the National Panel (docs/domain.md
§11): on the review's page the chair uploads the police's and children's social care's agency
reports, which are listed and mark the two agencies' requests received; drafts the rapid review
report from the record and edits a section; records the local authority's, the police's and
health's sign-offs; records the date the report went to the National Panel; and the review's
"sent to the National Panel" milestone shows done, on that date. On a phone the milestones and
the documents read as lists."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import docx
import pytest
from playwright.sync_api import Locator, Page, expect

from panel.core.db import get_engine
from panel.reviews import record as review_record
from panel.screening import decisions
from panel.screening import service as screening
from tests.browser.conftest import fill_date, open_list, sign_in, until, wait_idle
from tests.conftest import TODAY, sql
from tests.factories import accepted, actor, agency_id, decision_form

pytestmark = pytest.mark.browser

AWARE = date(2026, 11, 2)  # a Monday
NOTIFIED = date(2026, 11, 4)  # day 0: the report is due at the National Panel on day 15, Wed 25 Nov
DECIDED = date(2026, 11, 9)
ASKED = date(2026, 11, 10)
INITIALS = "QX"  # the child's: never in the drafted report
SENT_MILESTONE = "Partner sign-off and sent to the National Panel (day 15)"
REPORTS = {  # agency -> (title, file name)
    "Police": ("Police agency report", "police-agency-report.docx"),
    "Children's social care": ("Children's social care agency report", "csc-agency-report.docx"),
}
SIGN_OFFS = {"The local authority": "A. Director, Director of Children's Services",
             "The police": "B. Superintendent, Head of Public Protection",
             "Health": "C. Nurse, Designated Nurse for Safeguarding, Integrated care board"}
IMMEDIATE_ACTION = "A strategy meeting was held the same day and the siblings were seen at school."


@dataclass
class Case:
    rapid_review: str  # notified 4 Nov, decided 9 Nov; the police and CSC asked for agency reports


def plant() -> Case:
    """Written through the services to the server's database: a rapid review with two agency
    requests for a report, so the journey does not hang on which demo case is where."""
    ref = accepted(child_initials=INITIALS, received_on=AWARE, aware_on=AWARE, incident_date=date(2026, 11, 1))
    screening.record_notification(actor("chair"), ref, "national_panel", NOTIFIED, "NP-5120", TODAY)
    did = decisions.record_decision(actor("member"), ref, decision_form("rapid_review", decided_on=DECIDED), TODAY)
    rapid_review = decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True)
    for agency in REPORTS:
        review_record.add_agency_request(actor("chair"), rapid_review, agency_id=agency_id(agency), kind="agency_report",
                                         requested_on=ASKED, due_on=date(2026, 11, 20), contact_email="", today=TODAY)
    return Case(rapid_review)


@pytest.fixture
def case(server):
    yield plant()
    get_engine().dispose()


def word_file(folder: Path, name: str, heading: str) -> Path:
    """A small real Word document (a zip the upload's content check opens)."""
    d = docx.Document()
    d.add_heading(heading, level=1)
    d.add_paragraph("The agency's involvement with the family over the past year, and what it has learned.")
    folder.mkdir(exist_ok=True)
    d.save(folder / name)
    return folder / name


def form_with(page: Page, button: str) -> Locator:
    """The form whose submit button says `button` (by its text: while a select's list is open the
    rest of the page is hidden from the accessibility tree)."""
    return page.get_by_test_id("stForm").filter(
        has=page.locator("button", has_text=re.compile(rf"^{re.escape(button)}$")))


def pick(page: Page, scope: Locator, label: str, option: str) -> None:
    box = scope.get_by_role("combobox", name=label, exact=True)
    open_list(page, box)
    page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page)
    expect(box).to_have_attribute("aria-expanded", "false")


def open_expander(page: Page, label: str, inside: Locator) -> None:
    """Open the expander `label` unless its content (`inside`) is already shown."""
    wait_idle(page)
    if not inside.is_visible():
        page.get_by_text(label, exact=True).click()
        wait_idle(page)
    expect(inside).to_be_visible()


def grid_with(page: Page, header: str) -> Locator:
    """The st.dataframe with a column headed `header` (its accessible table: the grid draws on a
    canvas and keeps a table inside it, with the columns in view only)."""
    return page.get_by_test_id("stDataFrame").filter(
        has=page.locator("th[role=columnheader]", has_text=re.compile(rf"^{re.escape(header)}$")))


def grid_rows(grid: Locator) -> list[dict[str, str]]:
    grid.scroll_into_view_if_needed()
    headers = grid.locator("th[role=columnheader]").all_inner_texts()
    return [dict(zip(headers, row.locator("td[role=gridcell]").all_inner_texts(), strict=True))
            for row in grid.locator("tbody tr").all()]


def received(review: str) -> dict[str, str | None]:
    rows = sql("select a.name, q.received_on from agencyrequest q join agency a on a.id = q.agency_id "
               "join review r on r.id = q.review_id where r.reference = :ref", ref=review)
    return {name: str(on)[:10] if on else None for name, on in rows}


def upload(page: Page, review: str, path: Path, agency: str, title: str, count: int) -> None:
    """Add one agency report through the Documents section's form; `count` documents listed after."""
    form = form_with(page, "Upload")
    open_expander(page, "Add or replace a document", form.get_by_role("textbox", name="Title", exact=True))
    form.locator('input[type="file"]').set_input_files(str(path))
    # The file goes to the server at once, and waits there for the form: its size shows once it is there.
    expect(form.get_by_role("button", name=f"Remove {path.name}")).to_be_visible()
    expect(form.get_by_role("region", name="The file (a document or an image)")).to_contain_text(
        re.compile(r"\d(\.\d)?\s?KB"))
    wait_idle(page)
    pick(page, form, "Kind", "Agency report")
    pick(page, form, "From agency (optional)", agency)
    form.get_by_role("textbox", name="Title", exact=True).fill(title)
    form.get_by_role("textbox", name="Title", exact=True).press("Tab")
    form.get_by_role("button", name="Upload", exact=True).click()
    wait_idle(page)
    # What the user sees: the document in the list above the form (the first upload brings the
    # list in, and the form's expander, now further down, is drawn closed with its "Uploaded.").
    expect(grid_with(page, "Who may see it").locator("td[role=gridcell]", has_text=re.compile(
        rf"^{re.escape(title)}$"))).to_have_count(1)
    expect(grid_with(page, "Who may see it").locator("tbody tr")).to_have_count(count)
    until(lambda: sql("select count(*) from document d join review r on r.id = d.review_id "
                      "where r.reference = :ref", ref=review)[0][0] == count, f"{count} documents stored")


def sign_off(page: Page, partner: str, who: str) -> None:
    form = form_with(page, "Record the sign-off")
    pick(page, form, "Partner", partner)
    form.get_by_role("textbox", name="Signed by (name and role)", exact=True).fill(who)
    form.get_by_role("textbox", name="Signed by (name and role)", exact=True).press("Tab")
    fill_date(page, "Signed on", "23112026")  # empty until chosen: no date is recorded by a stray click
    wait_idle(page)
    form.get_by_role("button", name="Record the sign-off", exact=True).click()
    wait_idle(page)
    expect(page.get_by_text(f"{partner}: signed by {who} on Mon 23 Nov 2026", exact=True)).to_be_visible()


def test_chair_takes_the_rapid_review_report_from_agency_reports_to_the_national_panel(page, case, tmp_path):
    ref = case.rapid_review
    sign_in(page, "chair", f"/review?ref={ref}")
    expect(page.get_by_role("heading", name=re.compile(re.escape(ref)))).to_be_visible()
    assert received(ref) == {"Police": None, "Children's social care": None}

    # The two agencies' reports, uploaded as Word files on the review's page and listed there.
    expect(page.get_by_role("heading", name="Documents")).to_be_visible()
    expect(page.get_by_text("No documents yet.")).to_be_visible()
    for n, (agency, (title, name)) in enumerate(REPORTS.items(), start=1):
        upload(page, ref, word_file(tmp_path / "reports", name, title), agency, title, n)
    listed = grid_with(page, "Who may see it")
    expect(listed.locator("tbody tr")).to_have_count(2)
    rows = {r["Title"]: r for r in grid_rows(listed)}
    assert set(rows) == {title for title, _ in REPORTS.values()}, rows
    for agency, (title, _) in REPORTS.items():
        assert (rows[title]["Kind"], rows[title]["Agency"], rows[title]["Version"]) == ("Agency report", agency, "1")
        assert rows[title]["Who may see it"] == "Panel only"

    # Each upload marked its agency's request received, today: nothing is left waiting.
    assert received(ref) == {"Police": "2026-11-23", "Children's social care": "2026-11-23"}
    requests = grid_with(page, "Received")
    open_expander(page, "Chronologies and agency reports (2)", requests)
    on = {r["Agency"]: (r["Asked for"], r["Received"]) for r in grid_rows(requests)}
    assert on == {agency: ("Agency report", "Mon 23 Nov 2026") for agency in REPORTS}, on
    expect(page.get_by_role("button", name="Mark as received")).to_have_count(0)

    # The rapid review report, drafted from the record: the agencies asked, never the child's initials.
    expect(page.get_by_role("heading", name="Rapid review report")).to_be_visible()
    page.get_by_role("button", name="Draft the rapid review report").click()
    wait_idle(page)
    expect(page.get_by_text("Drafted from the record.", exact=True)).to_be_visible()
    agencies = page.get_by_role("textbox", name="The agencies involved and the key practice episodes", exact=True)
    expect(agencies).to_have_value(re.compile(r"^Children's social care \(asked for: agency report\)"))
    expect(agencies).to_have_value(re.compile(r"\nPolice \(asked for: agency report\)"))
    for title in ("Children's social care agency report", "Police agency report"):  # each upload received it
        expect(agencies).to_have_value(re.compile(rf"\nAgency report received on 23 November 2026 \({title}\)\."))
    assert "not arrived" not in agencies.input_value()
    facts = page.get_by_role("textbox", name="The facts as far as readily known", exact=True)
    expect(facts).to_have_value(re.compile(r"The National Panel was notified on 4 November 2026\."))
    assert INITIALS not in facts.input_value()

    # The chair writes the immediate action taken, and saves the draft.
    action = page.get_by_role("textbox", name="Immediate action taken to keep children safe", exact=True)
    action.fill(IMMEDIATE_ACTION)
    action.press("Tab")
    page.get_by_role("button", name="Save the draft", exact=True).click()
    wait_idle(page)
    expect(page.get_by_text("Draft saved.", exact=True)).to_be_visible()
    expect(page.get_by_role("textbox", name="Immediate action taken to keep children safe", exact=True)) \
        .to_have_value(IMMEDIATE_ACTION)

    # The three safeguarding partners' sign-offs; the third approves the report.
    for partner in ("The local authority", "The police", "Health"):
        expect(page.get_by_text(f"{partner}: not yet signed", exact=True)).to_be_visible()
    for partner, who in SIGN_OFFS.items():
        sign_off(page, partner, who)
    expect(page.get_by_text(re.compile(r"^Signed off by the three partners · drafted "))).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Signed off: the three safeguarding partners have approved"))).to_be_visible()
    expect(page.get_by_role("button", name="Record the sign-off")).to_have_count(0)
    expect(page.get_by_role("button", name="Save the draft", exact=True)).to_be_disabled()
    # The report's sign-off section says who signed for each partner and when, on the page and in the Word file.
    signed = [f"- {partner}: signed by {who} on 23 November 2026." for partner, who in SIGN_OFFS.items()]
    section = page.get_by_test_id("stForm").get_by_role("listitem")
    for line in signed:
        expect(section.filter(has_text=re.compile(rf"^{re.escape(line[2:])}$"))).to_be_visible()
    page.get_by_role("button", name="Prepare the Word file").click()
    wait_idle(page)
    with page.expect_download() as got:
        page.get_by_role("button", name="Download the Word file").click()
    paragraphs = [p.text for p in docx.Document(got.value.path()).paragraphs]
    at = paragraphs.index("The partners' sign-off")
    assert paragraphs[at + 1:at + 4] == [line[2:] for line in signed], paragraphs[at:]

    # The date sent to the National Panel (today, within the 15 working days).
    form = form_with(page, "Record the date sent to the National Panel")
    fill_date(page, "Date the report was sent", "23112026")  # empty until chosen
    wait_idle(page)
    form.get_by_role("button", name="Record the date sent to the National Panel").click()
    wait_idle(page)
    expect(page.get_by_text("Recorded: sent to the National Panel.", exact=True)).to_be_visible()
    expect(page.get_by_text("Sent to the National Panel on Mon 23 Nov 2026.", exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Sent to the National Panel · drafted "))).to_be_visible()
    stored = sql("select r.sent_to_national_panel_on, d.status from review r join reportdraft d on d.review_id = r.id "
                 "where r.reference = :ref", ref=ref)[0]
    assert (str(stored[0])[:10], stored[1]) == ("2026-11-23", "sent")

    # The review's milestone: done, on the day it was sent.
    milestones = grid_with(page, "Milestone")
    expect(milestones.locator("td[role=gridcell]", has_text=re.compile(r"^Mon 23 Nov 2026$"))).to_have_count(1)
    sent = next(r for r in grid_rows(milestones) if r["Milestone"] == SENT_MILESTONE)
    assert (sent["Status"], sent["Actual"]) == ("Done", "Mon 23 Nov 2026"), sent

    # On a 390 px phone the milestones and the documents are lists, every column's words in view
    # without scrolling sideways (the grids showed a milestone's status as "Ov…", a document's
    # kind and title only); the grids are out of the way.
    page.set_viewport_size({"width": 390, "height": 900})
    expect(milestones).to_be_hidden()
    expect(grid_with(page, "Who may see it")).to_be_hidden()
    sent = page.get_by_role("listitem").filter(has_text=SENT_MILESTONE)
    expect(sent).to_have_text(re.compile(rf"^{re.escape(SENT_MILESTONE)} \(statutory\): Done · planned "
                                         r"Wed 25 Nov 2026 · done Mon 23 Nov 2026$"))
    police = page.get_by_role("listitem").filter(has_text="Police agency report")
    expect(police).to_have_text(re.compile(r"^Police agency report · Agency report from Police\s*Version 1 · "
                                           r"uploaded .+ \(UTC\) by .+ · \d+(\.\d)? KB · Panel only$"))
    for item in (sent, police):
        item.scroll_into_view_if_needed()
        box = item.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    page.set_viewport_size({"width": 1400, "height": 1000})  # and back: the grids, the lists hidden
    expect(milestones).to_be_visible()
    expect(sent).to_be_hidden()

"""Day one of a real installation, from an empty database with PANEL_DEMO=0: the first
administrator sets up one partnership, adds its agencies, keeps the default review types, creates
a chair and a referrer, and imports the old tracker whose agencies are new (confirming their
creation); then the referrer makes a referral and the chair sees it in the queue. No demo
partnership ever exists."""

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from panel import tracker_io
from panel.cli import main
from panel.core.db import read_session
from panel.models import Agency, Membership, Partnership, Referral, ReviewType, User
from panel.reviews.types import DEFAULT_REVIEW_TYPES
from tests.browser.conftest import (
    change_temporary_password,
    choose,
    make_referral,
    open_list,
    sign_in,
    sign_out,
    until,
    wait_idle,
)

pytestmark = pytest.mark.browser

ADMIN_PW = "river-otter-lantern-42"
CHAIR_PW = "harbour-kestrel-maple-17"
REFERRER_PW = "meadow-copper-falcon-58"
REFERRER_OWN_PW = "granite-willow-heron-93"
NEW_AGENCY = "Northshire Hospitals NHS Trust"


def rows(model, *where):
    with read_session() as s:
        return list(s.exec(select(model).where(*where)))


def add_agency(page: Page, name: str, kind: str, statutory: bool) -> None:
    page.locator(".st-key-ag_add_name").get_by_role("textbox").fill(name)
    choose(page, "Kind", kind, key="ag_add_kind")
    if statutory:
        page.locator(".st-key-ag_add_statutory").get_by_text("Statutory partner").click()
    page.get_by_role("button", name="Add agency").click()
    wait_idle(page)
    until(lambda: rows(Agency, Agency.name == name), f"agency {name} saved")


def create_account(page: Page, username: str, name: str, role: str, password: str) -> None:
    page.get_by_role("tab", name="Create an account").click()
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Create account"))
    form.get_by_role("textbox", name="Username", exact=True).fill(username)
    form.get_by_role("textbox", name="Name", exact=True).fill(name)
    form.get_by_role("textbox", name="E-mail", exact=True).fill(f"{username}@northshire.example.org")
    choose(page, "Role", role, key="users_new_role")
    form.get_by_label("Temporary password").fill(password)
    form.get_by_role("button", name="Create account").click()
    wait_idle(page)
    until(lambda: rows(User, User.username == username), f"account {username} saved")


def test_first_day_without_the_demo(empty_page, tmp_path, capsys, monkeypatch):
    page = empty_page
    # `make db` on a real installation: demo-data --if-empty loads nothing with PANEL_DEMO=0.
    monkeypatch.setenv("PANEL_DEMO", "0")
    assert main(["demo-data", "--if-empty"]) == 0
    assert "PANEL_DEMO=0" in capsys.readouterr().out

    # The set-up page: the first administrator.
    page.goto("/")
    wait_idle(page)
    expect(page.get_by_role("heading", name="Set up Panel")).to_be_visible()
    page.get_by_role("textbox", name="Username").fill("ada.admin")
    page.get_by_role("textbox", name="Your full name").fill("Ada Admin")
    page.get_by_role("textbox", name="E-mail").fill("ada@northshire.example.org")
    page.get_by_role("textbox", name="Password", exact=True).fill(ADMIN_PW)
    page.get_by_role("textbox", name="Password again").fill(ADMIN_PW)
    page.get_by_role("button", name="Create the administrator").click()
    wait_idle(page)
    expect(page.get_by_text("The administrator account is ready")).to_be_visible()

    # The first partnership, from the set-up checklist.
    sign_in(page, "ada.admin", password=ADMIN_PW)
    expect(page.get_by_role("heading", name="Set up Panel")).to_be_visible()
    page.get_by_role("textbox", name="Code").fill("NS")
    page.get_by_role("textbox", name="Name", exact=True).fill("Northshire Safeguarding Children Partnership")
    page.get_by_role("textbox", name="Local authority area").fill("Northshire")
    page.get_by_role("button", name="Create the partnership").click()
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"steps still to do"))).to_be_visible()
    expect(page.get_by_text("Add your agencies.", exact=False)).to_be_visible()

    # Agencies: the three statutory partners and a school.
    page.get_by_role("link", name="Add and mark agencies").click()
    wait_idle(page)
    add_agency(page, "Northshire County Council", "Local authority", True)
    add_agency(page, "Northshire Police", "Police", True)
    add_agency(page, "Northshire Integrated Care Board", "Health", True)
    add_agency(page, "Northshire Schools", "Education", False)

    # Review types: the defaults are kept as they are.
    (ns,) = rows(Partnership)
    assert {t.key for t in rows(ReviewType, ReviewType.partnership_id == ns.id)} == \
        {t.key for t in DEFAULT_REVIEW_TYPES}

    # Users: a chair and a referrer.
    page.get_by_role("link", name="Users").click()
    wait_idle(page)
    create_account(page, "chris.chair", "Chris Chair", "Panel chair", CHAIR_PW)
    create_account(page, "rita.referrer", "Rita Referrer", "Referrer", REFERRER_PW)
    assert {(m.role) for m in rows(Membership, Membership.partnership_id == ns.id)} == {"admin", "chair", "referrer"}

    # The old tracker, whose referring agency Panel does not have yet.
    workbook = tmp_path / "old-tracker.xlsx"
    workbook.write_bytes(tracker_io.write_workbook(tracker_io.example_rows("NS", NEW_AGENCY)))
    page.get_by_role("link", name="Import a tracker").click()
    wait_idle(page)
    page.locator('input[type="file"]').set_input_files(str(workbook))
    wait_idle(page)
    page.get_by_role("button", name="Check file").click()
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"1 agencies in this file are not in Panel yet"))).to_be_visible()
    page.get_by_text("Create these agencies with the import").click()
    wait_idle(page)
    expect(page.get_by_text("All 7 rows are valid")).to_be_visible()  # 4 case rows and 3 of learning
    page.get_by_role("button", name="Import", exact=True).click()
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"Imported old-tracker\.xlsx"))).to_be_visible()
    assert rows(Agency, Agency.name == NEW_AGENCY)
    assert [r.reference for r in rows(Referral)] == ["NS-2025-900"]
    sign_out(page)

    # The referrer's first sign-in (choosing their own password if the temporary one must go).
    sign_in(page, "rita.referrer", password=REFERRER_PW)
    if rows(User, User.username == "rita.referrer")[0].must_change_password:
        change_temporary_password(page, REFERRER_PW, REFERRER_OWN_PW)
    reference = make_referral(page, "Northshire Schools", "NS")
    sign_out(page)

    # The chair sees it in the queue.
    sign_in(page, "chris.chair", password=CHAIR_PW)
    if rows(User, User.username == "chris.chair")[0].must_change_password:
        change_temporary_password(page, CHAIR_PW, REFERRER_OWN_PW)
    expect(page.get_by_role("heading", name="Referral queue")).to_be_visible()
    open_list(page, page.get_by_role("combobox", name="Open a referral"))
    options = [o.split(" ")[0] for o in page.get_by_role("option").all_inner_texts()]
    assert reference in options

    # No invented partnership, ever.
    assert [p.code for p in rows(Partnership)] == ["NS"]
    assert not rows(Partnership, Partnership.code.in_(["NB", "EM", "WV"]))

"""The set-up page and checklist under AppTest, from an empty database: the first administrator,
the first partnership, then the checklist naming what is missing."""

from __future__ import annotations

from sqlmodel import select
from streamlit.testing.v1 import AppTest

from panel.accounts import setup
from panel.core.db import read_session
from panel.models import Membership, Partnership, User
from tests.apptest import APP, menu, press, shown, signed_in, texts


def test_empty_database_shows_the_set_up_page_and_makes_the_first_administrator(db, monkeypatch):
    monkeypatch.setenv("PANEL_LOGIN_SLEEP", "0")
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert "Set up Panel" in at.title[0].value
    at.text_input(key="setup_username").input("ada")
    at.text_input(key="setup_name").input("Ada Admin")
    at.text_input(key="setup_email").input("ada@example.org")
    at.text_input(key="setup_password").input("password2025!")
    at.text_input(key="setup_again").input("password2025!")
    press(at, "Create the administrator")
    assert any("attackers try first" in shown(e.value) for e in at.error), [e.value for e in at.error]
    with read_session() as s:
        assert s.exec(select(User)).all() == []
    at.text_input(key="setup_password").input("river-otter-lantern-42")
    at.text_input(key="setup_again").input("river-otter-lantern-42")
    press(at, "Create the administrator")
    with read_session() as s:
        assert [u.username for u in s.exec(select(User))] == ["ada"]
    assert "The administrator account is ready" in texts(at)
    assert not any("Set up Panel" in t.value for t in at.title)  # closed once an account exists


def test_first_administrator_creates_the_partnership_then_sees_the_checklist(db):
    setup.create_first_admin(setup.SETUP_VISITOR, username="ada", name="Ada Admin", email="ada@example.org",
                             password="river-otter-lantern-42")
    at = signed_in("ada")
    assert menu(at) == ["Set-up checklist", "Accessibility statement"]
    at.text_input(key="setup_first_code").input("ns")
    at.text_input(key="setup_first_name").input("Northshire Safeguarding Children Partnership")
    press(at, "Create the partnership")
    assert any("capital letters" in shown(e.value) for e in at.error)
    at.text_input(key="setup_first_code").input("NS")
    press(at, "Create the partnership")
    with read_session() as s:
        (p,) = s.exec(select(Partnership)).all()
        assert s.exec(select(Membership.role)).all() == ["admin"]
    at = signed_in("ada", page="pages/setup.py")
    shown_text = texts(at)
    assert "Enter the local authority area of NS" in shown_text
    assert "Add your agencies" in shown_text and "a panel chair in NS" in shown_text
    assert {"Set-up checklist", "Agencies", "Review types", "Users", "Import a tracker"} <= set(menu(signed_in("ada")))
    assert p.code == "NS"

"""Day one of a real installation: PANEL_DEMO=0 keeps demo data out, `panel init` and the set-up
service make the first administrator and partnership (once only), and the checklist says what is
still missing. Both engines."""

from __future__ import annotations

import pytest
from sqlmodel import select

from panel.accounts import partnerships, setup
from panel.accounts import service as accounts
from panel.agencies import service as agency_service
from panel.cli import main
from panel.core.access import SYSTEM
from panel.core.db import read_session
from panel.core.errors import PermissionDenied, ValidationFailed
from panel.models import AuditEvent, Membership, Partnership, ReviewType, User
from panel.reviews.types import DEFAULT_REVIEW_TYPES

PASSWORD = "correct horse battery"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def rows(model, *where):
    with read_session() as s:
        return list(s.exec(select(model).where(*where)))


def first_admin() -> int:
    return setup.create_first_admin(setup.SETUP_VISITOR, username="ada", name="Ada Admin",
                                    email="ada@example.org", password=PASSWORD)


def test_panel_demo_0_loads_nothing(db, capsys, monkeypatch):
    monkeypatch.setenv("PANEL_DEMO", "0")
    code, out, _ = run(capsys, "demo-data", "--if-empty")
    assert code == 0 and "PANEL_DEMO=0" in out
    code, _, err = run(capsys, "demo-data")
    assert code == 1 and "real installation" in err
    assert rows(Partnership) == [] and rows(User) == []


def test_panel_init_makes_the_first_administrator_only_once(db, capsys, monkeypatch):
    monkeypatch.setenv("PANEL_NEW_PASSWORD", PASSWORD)
    code, out, err = run(capsys, "init", "--admin", "ada", "--name", "Ada Admin", "--email", "ada@example.org",
                         "--partnership", "NS", "Northshire Safeguarding Children Partnership",
                         "--area", "Northshire")
    assert code == 0, err
    assert "first administrator, ada" in out
    (p,) = rows(Partnership)
    assert (p.code, p.local_authority_area) == ("NS", "Northshire")
    assert {t.key for t in rows(ReviewType)} == {t.key for t in DEFAULT_REVIEW_TYPES}
    (m,) = rows(Membership)
    assert m.role == "admin"
    assert len(rows(Partnership)) == 1  # no demo partnerships
    code, _, err = run(capsys, "init", "--admin", "bob", "--name", "Bob", "--email", "bob@example.org")
    assert code == 1 and "already set up" in err
    assert [u.username for u in rows(User)] == ["ada"]


def test_init_refuses_a_weak_password_beside_its_field(db, capsys, monkeypatch):
    monkeypatch.setenv("PANEL_NEW_PASSWORD", "short")
    code, _, err = run(capsys, "init", "--admin", "ada", "--name", "Ada", "--email", "ada@example.org")
    assert code == 2 and "password: Use at least 12 characters." in err
    assert rows(User) == []


def test_first_admin_then_partnership_then_closed(db):
    assert setup.needs_setup()
    with pytest.raises(ValidationFailed) as e:
        setup.create_first_admin(setup.SETUP_VISITOR, username="A D", name="", email="nope", password="password1234")
    assert set(e.value.errors) == {"username", "name", "email", "password"}
    uid = first_admin()
    assert not setup.needs_setup()
    with pytest.raises(PermissionDenied):
        first_admin()
    ada = accounts.actor_for("ada")
    assert ada.user_id == uid and ada.roles == {}
    with pytest.raises(ValidationFailed) as e:
        setup.create_first_partnership(ada, "ns", "", "x" * 201)
    assert set(e.value.errors) == {"code", "name", "area"}
    assert rows(Partnership) == []
    pid = setup.create_first_partnership(ada, "NS", "Northshire SCP", "Northshire")
    ada = accounts.actor_for("ada")
    assert ada.can("user.manage", pid) and ada.can("agency.manage")
    with pytest.raises(PermissionDenied):
        setup.create_first_partnership(ada, "WS", "Westshire SCP", "")
    actions = [(e.action, e.entity) for e in rows(AuditEvent)]
    assert ("setup", "user") in actions and ("create", "partnership") in actions and ("grant", "membership") in actions


def test_another_partnership_code_clash_and_its_creator_administers_it(db):
    first_admin()
    ada = accounts.actor_for("ada")
    setup.create_first_partnership(ada, "NS", "Northshire SCP", "Northshire")
    ada = accounts.actor_for("ada")
    with pytest.raises(ValidationFailed) as e:
        partnerships.create_partnership(ada, "NS", "Another", "")
    assert e.value.errors == {"code": "There is already a partnership with code NS."}
    pid = partnerships.create_partnership(ada, "WS", "Westshire SCP", "Westshire")
    assert accounts.actor_for("ada").can("user.manage", pid)
    partnerships.update_partnership(accounts.actor_for("ada"), pid, "Westshire Safeguarding Children Partnership", "")
    with read_session() as s:
        assert s.get(Partnership, pid).local_authority_area is None


def test_checklist_says_what_is_missing(db):
    first_admin()
    setup.create_first_partnership(accounts.actor_for("ada"), "NS", "Northshire SCP", "")
    ada = accounts.actor_for("ada")
    steps = {s.key: s for s in setup.checklist(ada)}
    assert not steps["partnerships"].done and "local authority area of NS" in steps["partnerships"].missing
    assert not steps["agencies"].done and steps["review_types"].done
    assert "a panel chair in NS" in steps["users"].missing and "a referrer in NS" in steps["users"].missing
    assert steps["mail"].missing == "Send a test message to check the mail settings."
    assert {s.key: s for s in setup.checklist(ada, mail_checked=None)}["mail"].done is False
    for name, kind in (("Northshire Council", "local_authority"), ("Northshire Police", "police"),
                       ("Northshire ICB", "health")):
        agency_service.add_agency(ada, name, kind, statutory=True)
    partnerships.update_partnership(ada, ada.partnerships_with("user.manage")[0], "Northshire SCP", "Northshire")
    accounts.create_user(ada, username="chair.ns", name="Chris Chair", email="c@example.org",
                         password="a-long-passphrase-9", memberships=[("NS", "chair")])
    steps = {s.key: s for s in setup.checklist(ada, mail_checked=True)}
    assert [k for k, s in steps.items() if not s.done] == ["users", "import"]
    assert steps["users"].missing == "Add a referrer in NS."
    with pytest.raises(PermissionDenied):
        setup.checklist(accounts.actor_for("chair.ns"))
    assert setup.checklist(SYSTEM)  # the command line sees every partnership's list (none of them here)

"""The Audit log page (administrators) and the search behind it: filters, newest first, pages,
partnership scope, and searches and exports that are themselves audited."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from panel.accounts import audit_log
from panel.accounts import service as accounts
from panel.accounts.audit_log import AuditFilter
from panel.core import audit
from panel.core.access import SYSTEM
from panel.core.db import read_session, transaction
from panel.core.errors import PermissionDenied
from panel.models import AuditEvent, Partnership, Referral
from tests import apptest
from tests.apptest import signed_in, texts
from tests.conftest import TODAY

PAGE = Path(__file__).resolve().parent.parent / "pages" / "audit_log.py"
NOT_ADMINS = ("chair", "manager", "member", "referrer", "regional", "chair.em", "member.em", "referrer.em")


def page_as(username: str) -> AppTest:
    return apptest.page_as(PAGE, username)


def rows(action: str) -> list[AuditEvent]:
    with read_session() as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_admin_opens_the_page_from_the_app(demo_db):
    at = signed_in("admin", page="pages/audit_log.py")
    assert "Audit log" in at.title[0].value and at.dataframe


@pytest.mark.parametrize("who", NOT_ADMINS)
def test_anyone_else_sees_no_access_and_the_service_refuses(demo_db, who):
    at = page_as(who)
    assert "Only an administrator can search the audit log." in texts(at)
    assert not at.dataframe and not at.button
    with pytest.raises(PermissionDenied):
        audit_log.search(accounts.actor_for(who), AuditFilter())
    with pytest.raises(PermissionDenied):
        audit_log.export_csv(accounts.actor_for(who), AuditFilter())


def test_newest_first_paginated_and_each_search_recorded_once(demo_db):
    admin = accounts.actor_for("admin")
    with transaction() as s:
        for i in range(60):
            audit.record(s, SYSTEM, "marker", "test", detail=str(i))
    first, total = audit_log.search(admin, AuditFilter(), page=1, page_size=20)
    second, _ = audit_log.search(admin, AuditFilter(), page=2, page_size=20)
    assert total > 40 and len(first) == len(second) == 20
    assert list(first["when"]) == sorted(first["when"], reverse=True)
    assert first["when"].min() >= second["when"].max()
    assert [r.detail for r in rows("audit_search")][-2:] == [f"all; page 1; {total} rows",
                                                           f"all; page 2; {total + 1} rows"]
    at = page_as("admin")
    searches = len(rows("audit_search"))
    at.run()  # a rerun is not a new search
    assert len(rows("audit_search")) == searches
    next(b for b in at.button if b.label == "Older").click()
    at.run()
    assert len(rows("audit_search")) == searches + 1 and "page 2 of" in texts(at)


def test_filters_by_user_action_record_reference_dates_and_partnership(demo_db):
    admin = accounts.actor_for("admin")
    accounts.authenticate("chair", "wrong-password-here")
    df, n = audit_log.search(admin, AuditFilter(username="CHAIR", action="login_failed"))
    assert n == 1 and list(df["who"]) == ["chair"] and list(df["record type"]) == ["user"]
    with read_session() as s:
        nb = s.exec(select(Partnership.id).where(Partnership.code == "NB")).one()
        referral = s.exec(select(Referral).where(Referral.partnership_id == nb)).first()
    with transaction() as s:
        audit.record(s, admin, "view", "referral", referral.id, partnership_id=nb)
    ref = referral.reference
    df, n = audit_log.search(admin, AuditFilter(reference=ref.lower()))
    assert n >= 1 and set(df["record"]) == {ref} and set(df["record type"]) == {"referral"}
    assert audit_log.search(admin, AuditFilter(reference="NO-SUCH-REF"))[1] == 0
    future = TODAY + timedelta(days=400)
    assert audit_log.search(admin, AuditFilter(date_from=future))[1] == 0
    assert audit_log.search(admin, AuditFilter(date_to=future))[1] > 0
    df, n = audit_log.search(admin, AuditFilter(partnership_id=nb))
    assert n > 0 and set(df["partnership"]) == {"NB"}


def test_an_admin_of_one_partnership_never_sees_anothers_rows(demo_db):
    accounts.create_user(SYSTEM, username="admin.nb", name="NB Admin", email="admin.nb@example.org",
                         password="a-long-admin-passphrase", memberships=[("NB", "admin")])
    accounts.authenticate("chair.em", "wrong-password-here")
    accounts.authenticate("chair", "wrong-password-here")
    nb_admin = accounts.actor_for("admin.nb")
    df, n = audit_log.search(nb_admin, AuditFilter(), page_size=100_000)
    assert n > 0 and set(df["partnership"]) <= {"NB", ""}
    assert "chair.em" not in set(df["who"]) and "chair" in set(df["who"])
    everything = audit_log.search(accounts.actor_for("admin"), AuditFilter(), page_size=100_000)[1]
    assert n < everything


def test_csv_export_is_neutralised_and_audited(demo_db):
    admin = accounts.actor_for("admin")
    with transaction() as s:
        audit.record(s, admin, "note", "test", detail='=cmd|" /C calc"!A0')
    data = audit_log.export_csv(admin, AuditFilter(action="note")).decode("utf-8-sig")
    assert "'=cmd" in data and "\n=cmd" not in data and ",=cmd" not in data
    assert data.splitlines()[0].split(",")[:3] == ["when", "who", "action"]
    assert rows("export")[-1].detail.startswith("csv: 1 rows; action=note")


def test_the_page_exports_through_a_recorded_button(demo_db):
    at = page_as("admin")
    exports = len(rows("export"))
    assert not at.get("download_button")
    next(b for b in at.button if b.label == "Prepare CSV export").click()
    at.run()
    assert len(rows("export")) == exports + 1
    assert [d.proto.label for d in at.get("download_button")] == ["Download CSV"]

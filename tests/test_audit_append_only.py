"""Audit rows cannot be changed: no service updates or deletes them, and the database refuses
an UPDATE always and a DELETE unless it comes through `audit.purge_before` (migration 0007)."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from panel.accounts import service as accounts
from panel.core import audit
from panel.core.access import SYSTEM
from panel.core.db import get_engine, read_session, transaction
from panel.core.errors import PermissionDenied
from panel.models import AuditEvent, AuditPurge

ROOT = Path(__file__).resolve().parent.parent


def count() -> int:
    with read_session() as s:
        return len(s.exec(select(AuditEvent.id)).all())


def test_the_database_refuses_to_update_an_audit_row(demo_db):
    with pytest.raises(DBAPIError, match="append-only"), get_engine().begin() as c:
        c.execute(text("UPDATE auditevent SET username = 'someone else'"))
    with pytest.raises(DBAPIError, match="append-only"), transaction() as s:
        row = s.exec(select(AuditEvent)).first()
        row.detail = "rewritten"
        s.add(row)


def test_the_database_refuses_to_delete_an_audit_row_outside_the_purge(demo_db):
    before = count()
    with pytest.raises(DBAPIError, match="append-only"), get_engine().begin() as c:
        c.execute(text("DELETE FROM auditevent"))
    with pytest.raises(DBAPIError, match="append-only"), transaction() as s:
        s.delete(s.exec(select(AuditEvent)).first())
    assert count() == before


def test_the_purge_flag_is_never_left_on(demo_db):
    audit.purge_before(SYSTEM, datetime.now(UTC) - timedelta(days=1))
    with read_session() as s:
        assert s.get(AuditPurge, 1).active is False
    with pytest.raises(DBAPIError), get_engine().begin() as c:
        c.execute(text("DELETE FROM auditevent"))


def test_purge_removes_only_older_rows_and_leaves_its_own_row(demo_db):
    with transaction() as s:
        audit.record(s, SYSTEM, "marker", "test")
    cutoff = datetime.now(UTC) + timedelta(seconds=1)
    with transaction() as s:  # written "after" the cutoff
        s.add(AuditEvent(username="system", action="later", entity="test", at=cutoff + timedelta(days=1)))
    gone = audit.purge_before(SYSTEM, cutoff)
    assert gone > 1
    with read_session() as s:
        left = [(r.action, r.detail) for r in s.exec(select(AuditEvent).order_by(AuditEvent.id))]
    assert [a for a, _ in left] == ["later", "audit_purge"]
    assert left[1][1].startswith(f"{gone} rows written before ")


def test_only_the_command_line_may_purge(demo_db):
    with pytest.raises(PermissionDenied):
        audit.purge_before(accounts.actor_for("admin"), datetime.now(UTC))


def test_no_service_or_page_updates_or_deletes_audit_rows():
    """Static: nothing in the product but audit.purge_before names AuditEvent in a delete or an
    update, or assigns to an attribute of an AuditEvent it loaded."""
    offenders = []
    for path in [*(ROOT / "src" / "panel").rglob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "app.py"]:
        if "migrations" in path.parts:
            continue
        source = path.read_text()
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
                    "delete", "update") and any(getattr(a, "id", "") == "AuditEvent" for a in node.args):
                fn = next((f.name for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)
                           and f.lineno <= node.lineno <= f.end_lineno), "")
                if (path.name, fn) != ("audit.py", "purge_before"):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
        for line_no, line in enumerate(source.splitlines(), 1):
            low = line.lower()
            if ("update auditevent" in low or "delete from auditevent" in low) and "test" not in path.name:
                offenders.append(f"{path.relative_to(ROOT)}:{line_no}")
    assert offenders == []

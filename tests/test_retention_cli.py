"""`panel retention`: the table, JSON, confirmation, and refusals an administrator sees."""

from __future__ import annotations

import io
import json
import sys

import pytest
from sqlalchemy import func
from sqlmodel import select

from panel.cli import main
from panel.core.db import read_session
from panel.models import AuditEvent, Referral
from tests.factories import row_counts as counts

FAR = "2060-01-01"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def no_terminal(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))


def test_dry_run_table(demo_db, capsys):
    before = counts()
    code, out, err = run(capsys, "retention", "--dry-run", "--as-of", FAR)
    assert code == 0 and not err
    lines = out.splitlines()
    assert lines[0].split() == ["due", "on", "action", "record", "type", "partnership", "reference", "trigger", "note"]
    assert set(lines[1]) == {"-", " "}
    assert sum(" delete " in line and "referral_not_taken_forward" in line for line in lines) == 50
    assert lines[-1] == ("Dry run as of 2060-01-01: 234 due (99 to anonymise, 50 to delete, 85 to review); "
                         "nothing was changed.")
    assert counts() == before


def test_dry_run_nothing_due_now(demo_db, capsys):
    code, out, _ = run(capsys, "retention", "--dry-run")
    assert code == 0 and out == "Dry run as of 2026-11-23: 0 due (nothing); nothing was changed.\n"


def test_dry_run_json(demo_db, capsys):
    code, out, _ = run(capsys, "retention", "--dry-run", "--json", "--as-of", FAR, "--type", "decision")
    data = json.loads(out)
    assert code == 0 and data["as_of"] == FAR
    assert data["policy"]["audit_log"]["action"] == "review"
    assert data["policy"]["decision"] == {
        "period": "6 years", "action": "anonymise", "keep_until_age": 25,
        "rule": "anonymise 6 years after the panel's signed decision, and not before the child's 25th birthday"}
    assert data["items"] and {i["record_type"] for i in data["items"]} == {"decision"}
    assert set(data["items"][0]) == {"record_type", "entity", "entity_id", "reference", "partnership",
                                     "partnership_id", "trigger_on", "due_on", "action", "rule", "note"}


def test_apply_asks_and_refuses_without_a_terminal(demo_db, capsys, no_terminal):
    before = counts()
    code, _, err = run(capsys, "retention", "--apply", "--as-of", FAR)
    assert code == 2 and "149 records would be changed (99 to anonymise, 50 to delete); add --yes" in err
    assert counts() == before


def test_apply_confirmed_at_a_terminal(demo_db, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("no\n"))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    before = counts()
    code, out, _ = run(capsys, "retention", "--apply", "--as-of", FAR, "--type", "referral_not_taken_forward")
    assert code == 1 and "Nothing was changed." in out and counts() == before
    monkeypatch.setattr(sys, "stdin", io.StringIO("yes\n"))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    code, out, _ = run(capsys, "retention", "--apply", "--as-of", FAR, "--type", "referral_not_taken_forward")
    assert code == 0 and "50 deleted, 0 anonymised, 0 left for a person to review, 0 failed" in out


def test_apply_yes(demo_db, capsys, no_terminal):
    code, out, err = run(capsys, "retention", "--apply", "--as-of", FAR, "--yes")
    assert code == 0 and not err
    assert out == ("Retention as of 2060-01-01: 50 deleted, 99 anonymised, 85 left for a person to review, "
                   "0 failed.\n")
    with read_session() as s:
        audited = s.exec(select(func.count()).select_from(AuditEvent)
                         .where(AuditEvent.action.like("retention_%"), AuditEvent.username == "system")).one()
        assert audited == 149
        assert s.exec(select(func.count()).select_from(Referral).where(Referral.status == "closed")).one() == 0
    # again: nothing left to change; the audit rows just written (in three partnerships) are
    # themselves due for review by 2060, so three more audit-log items are listed
    code, out, _ = run(capsys, "retention", "--apply", "--as-of", FAR, "--yes")
    assert code == 0 and out == "Nothing to delete or anonymise as of 2060-01-01 (88 left for a person to review).\n"


def test_apply_needs_a_date(demo_db, capsys):
    code, _, err = run(capsys, "retention", "--apply", "--yes")
    assert code == 2 and "--apply needs --as-of" in err


def test_bad_policy_refused(demo_db, capsys, tmp_path, monkeypatch):
    bad = tmp_path / "retention.json"
    bad.write_text(json.dumps({"referrals": {"period": "6 years"}, "meeting": {"period": "soon"}}))
    monkeypatch.setenv("PANEL_RETENTION_POLICY", str(bad))
    before = counts()
    code, out, err = run(capsys, "retention", "--apply", "--as-of", FAR, "--yes")
    assert code == 2 and not out
    assert "The retention policy was refused:" in err
    assert f"{bad} [referrals]: unknown record type" in err and f"{bad} [meeting] period: 'soon'" in err
    assert counts() == before


@pytest.mark.parametrize("argv", [["retention"], ["retention", "--dry-run", "--apply"],
                                  ["retention", "--dry-run", "--type", "emails"],
                                  ["retention", "--dry-run", "--as-of", "31/03/2026"]])
def test_bad_arguments(db, capsys, argv):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2

"""The `panel` command: exit codes and the messages an administrator sees."""

from __future__ import annotations

import bcrypt
import pytest
from sqlmodel import select

from panel.cli import main
from panel.core.db import read_session
from panel.models import AuditEvent, Membership, Partnership, Referral, ReviewType, User
from panel.reviews.types import DEFAULT_REVIEW_TYPES
from tests.conftest import TODAY

NAME = "Northbrook Safeguarding Children Partnership"
PASSWORD = "correct horse battery"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one(model, *where):
    with read_session() as s:
        return s.exec(select(model).where(*where)).first()


def all_of(model, *where):
    with read_session() as s:
        return list(s.exec(select(model).where(*where)))


def test_migrate_is_repeatable(db, capsys):
    for _ in range(2):
        code, out, _ = run(capsys, "migrate")
        assert code == 0 and "latest schema" in out


def test_create_partnership_seeds_review_types_and_is_audited(db, capsys):
    code, out, err = run(capsys, "create-partnership", "NB", NAME)
    assert code == 0 and "Created partnership NB" in out and not err
    p = one(Partnership, Partnership.code == "NB")
    assert p.name == NAME
    keys = {t.key for t in all_of(ReviewType, ReviewType.partnership_id == p.id)}
    assert keys == {t.key for t in DEFAULT_REVIEW_TYPES}
    event = one(AuditEvent, AuditEvent.entity == "partnership", AuditEvent.entity_id == p.id)
    assert event.action == "create" and event.username == "system" and '"NB"' in event.after


@pytest.mark.parametrize(("argv", "message"), [
    (["nb", NAME], "code: Use 2-8 capital letters"),
    (["N", NAME], "code: Use 2-8 capital letters"),
    (["TOOLONGAB", NAME], "code: Use 2-8 capital letters"),
    (["N8", NAME], "code: Use 2-8 capital letters"),
    (["EM", "   "], "name: Enter the partnership's name."),
    (["EM", "x" * 201], "name: Keep the name to 200 characters."),
])
def test_create_partnership_refuses_bad_input(db, capsys, argv, message):
    code, out, err = run(capsys, "create-partnership", *argv)
    assert code == 2 and message in err and not out
    assert all_of(Partnership) == [] and all_of(ReviewType) == []


def test_create_partnership_refuses_a_duplicate_code(db, capsys):
    assert run(capsys, "create-partnership", "NB", NAME)[0] == 0
    code, _, err = run(capsys, "create-partnership", "NB", "Another name")
    assert code == 2 and "code: There is already a partnership with code NB." in err
    assert len(all_of(Partnership)) == 1


def test_create_user_and_reset_password(db, capsys, monkeypatch):
    run(capsys, "create-partnership", "NB", NAME)
    monkeypatch.setenv("PANEL_NEW_PASSWORD", PASSWORD)
    code, out, err = run(capsys, "create-user", "chair", "--name", "Chris Chair",
                         "--email", "chair@example.org", "--role", "nb:chair", "--role", "NB:member")
    assert code == 0 and "Created user chair" in out and not err
    user = one(User, User.username == "chair")
    assert bcrypt.checkpw(PASSWORD.encode(), user.password_hash.encode())
    assert {m.role for m in all_of(Membership, Membership.user_id == user.id)} == {"chair", "member"}

    code, _, err = run(capsys, "create-user", "chair", "--name", "Again", "--email", "a@example.org",
                       "--role", "NB:member")
    assert code == 2 and "username: That username is taken." in err
    code, _, err = run(capsys, "create-user", "someone", "--name", "Sam", "--email", "s@example.org",
                       "--role", "XX:member")
    assert code == 2 and "memberships: No partnership with code 'XX'." in err
    monkeypatch.setenv("PANEL_NEW_PASSWORD", "short")
    code, _, err = run(capsys, "create-user", "other", "--name", "Olly", "--email", "o@example.org",
                       "--role", "NB:member")
    assert code == 2 and "password: Use at least 12 characters." in err
    assert one(User, User.username == "other") is None

    code, _, err = run(capsys, "reset-password", "chair")
    assert code == 2 and "password: Use at least 12 characters." in err
    new = "another long passphrase"
    monkeypatch.setenv("PANEL_NEW_PASSWORD", new)
    code, out, _ = run(capsys, "reset-password", "chair")
    assert code == 0 and "Password reset for chair" in out
    user = one(User, User.username == "chair")
    assert bcrypt.checkpw(new.encode(), user.password_hash.encode())
    assert one(AuditEvent, AuditEvent.action == "password_reset", AuditEvent.entity_id == user.id)
    code, _, err = run(capsys, "reset-password", "nobody")
    assert code == 2 and "No such user." in err


def test_demo_data_loads_only_into_an_empty_database(db, capsys):
    code, out, _ = run(capsys, "demo-data", "--if-empty", "--today", TODAY.isoformat())
    assert code == 0 and out.startswith("Loaded demo data: 3 partnerships")
    for word in ("decisions", "reviews", "milestones", "notifications"):
        assert word in out
    total = len(all_of(Referral))
    code, out, _ = run(capsys, "demo-data", "--if-empty")
    assert code == 0 and "already has data; demo data not loaded" in out
    code, out, err = run(capsys, "demo-data")
    assert code == 1 and "loads only into an empty one" in err and not out
    assert len(all_of(Referral)) == total


def test_demo_data_refuses_when_a_partnership_exists(db, capsys):
    run(capsys, "create-partnership", "NB", NAME)
    code, _, err = run(capsys, "demo-data")
    assert code == 1 and "already has data" in err


def test_usage_errors_exit_2(db, capsys):
    with pytest.raises(SystemExit) as e:
        main(["create-partnership", "NB"])
    assert e.value.code == 2
    assert "NAME" in capsys.readouterr().err.upper()


def _date_options(parser, path=()):
    """(command words, option) for every option of every `panel` command that takes a date."""
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _date_options(sub, (*path, name))
        elif action.metavar == "YYYY-MM-DD":
            yield path, action


def test_every_date_option_reads_dates_alike():
    from panel.cli import build_parser
    from panel.cli.args import iso_date

    found = {(words, action.option_strings[0]): action.type for words, action in _date_options(build_parser())}
    assert {(("demo-data",), "--today"), (("report", "timeliness"), "--as-of"), (("remind",), "--as-of"),
            (("retention",), "--as-of")} <= set(found)
    assert all(t is iso_date for t in found.values())


@pytest.mark.parametrize("argv", [["demo-data", "--today"], ["report", "timeliness", "--as-of"],
                                  ["remind", "--as-of"], ["retention", "--dry-run", "--as-of"]])
def test_a_bad_date_is_one_clear_line_and_exit_2(db, capsys, argv):
    with pytest.raises(SystemExit) as e:
        main([*argv, "2026-13-01"])
    out, err = capsys.readouterr()
    assert e.value.code == 2 and not out and "Traceback" not in err
    assert [line for line in err.splitlines() if "2026-13-01" in line] == [
        f"panel {' '.join(w for w in argv if not w.startswith('-'))}: error: argument {argv[-1]}: "
        "'2026-13-01' is not a date like 2026-11-23"]


def test_python_dash_m_runs_the_same_command():
    # The benchmark starts the command as `python -m panel.cli`; it broke once when the module
    # became a package without a __main__.
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "panel.cli", "--help"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "demo-data" in out.stdout

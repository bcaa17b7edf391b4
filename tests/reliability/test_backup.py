"""Backup and restore: `panel backup` / `panel restore` round-trip every row
of every table, a backup taken while another process writes is consistent, and a restore
refuses to overwrite data (without --force), a backup from an unknown schema, or a non-backup.
Runs on the suite's engine: SQLite files, or PostgreSQL through pg_dump/pg_restore."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import time

from sqlalchemy import select, text
from sqlmodel import SQLModel, func

from panel.cli import main
from panel.core.config import get_settings
from panel.core.db import get_engine, make_engine, read_session, transaction
from panel.models import Action, AuditEvent, Referral
from tests.reliability import writer


def _on_sqlite() -> bool:
    return get_settings().database_url.startswith("sqlite")


def _fresh(request, monkeypatch, path) -> str:
    """Point the test at a new, empty place for a database; its URL."""
    if _on_sqlite():
        path.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv("PANEL_DATA_DIR", str(path))
        monkeypatch.delenv("DATABASE_URL", raising=False)
    else:
        request.getfixturevalue("another_db")(path)
    return get_settings().database_url


def _use(monkeypatch, url: str, data_dir) -> None:
    monkeypatch.setenv("PANEL_DATA_DIR", str(data_dir))
    if url.startswith("sqlite"):
        monkeypatch.delenv("DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("DATABASE_URL", url)


def rows(url: str) -> dict[str, list[tuple]]:
    """Every row of every table (the models' tables and alembic_version), in key order."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            out = {t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
                   for t in SQLModel.metadata.sorted_tables}
            out["alembic_version"] = [tuple(r) for r in conn.execute(text("SELECT version_num FROM alembic_version"))]
    finally:
        engine.dispose()
    return out


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def audit_rows(action: str) -> list[AuditEvent]:
    with read_session() as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.action == action)).scalars())


def test_backup_then_restore_elsewhere_gives_back_every_row(demo_db, tmp_path, request, monkeypatch, capsys):
    before = rows(get_settings().database_url)
    file = tmp_path / "backups" / "panel.backup"
    code, out, err = cli(capsys, "backup", str(file))
    assert code == 0, err
    assert "Backed up to" in out and file.is_file()
    assert file.stat().st_mode & 0o077 == 0, "only its owner may read a backup"
    [made] = audit_rows("backup")
    assert made.username == "system" and file.name in made.detail and "os user" in made.detail
    get_engine().dispose()

    target = _fresh(request, monkeypatch, tmp_path / "restored")
    code, out, err = cli(capsys, "restore", str(file))
    assert code == 0, err
    after = rows(target)
    [restored] = [r for r in audit_rows("restore")]
    assert restored.username == "system" and file.name in restored.detail
    after["auditevent"] = [r for r in after["auditevent"] if r[0] != restored.id]
    assert after.keys() == before.keys()
    for table in before:
        assert after[table] == before[table], f"{table} differs after the round trip"
    compared = sum(len(v) for v in before.values())
    print(f"\nround trip: {len(before)} tables, {compared} rows identical")
    assert before["referral"] and before["auditevent"] and before["alembic_version"]


def test_restore_refuses_data_unknown_schemas_and_non_backups(demo_db, tmp_path, request, monkeypatch, capsys):
    file = tmp_path / "panel.backup"
    assert cli(capsys, "backup", str(file))[0] == 0
    with transaction() as s:  # a change after the backup
        s.get(Action, 1).owner_name = "Changed after the backup"
    code, _, err = cli(capsys, "restore", str(file))
    assert code == 2 and "already holds data" in err and "--force" in err
    with read_session() as s:
        assert s.get(Action, 1).owner_name == "Changed after the backup"  # untouched
    get_engine().dispose()
    code, _, err = cli(capsys, "restore", "--force", str(file))
    assert code == 0, err
    with read_session() as s:
        assert s.get(Action, 1).owner_name != "Changed after the backup"
        referrals_in_backup = s.exec(select(func.count()).select_from(Referral)).one()

    truncated = tmp_path / "truncated.backup"
    truncated.write_bytes(file.read_bytes()[: file.stat().st_size // 2])
    code, _, err = cli(capsys, "restore", "--force", str(truncated))
    assert code == 2 and err.strip()
    with read_session() as s:  # nothing was half-restored
        assert s.get(Action, 1).owner_name != "Changed after the backup"
        assert s.exec(select(func.count()).select_from(Referral)).one() == referrals_in_backup

    with transaction() as s:  # a backup made by a newer Panel
        s.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    newer = tmp_path / "newer.backup"
    assert cli(capsys, "backup", str(newer))[0] == 0
    get_engine().dispose()
    _fresh(request, monkeypatch, tmp_path / "elsewhere")
    code, _, err = cli(capsys, "restore", str(newer))
    assert code == 2 and "revision 9999" in err and "does not know" in err

    if _on_sqlite():
        live = get_settings().database_url.removeprefix("sqlite:///")
        code, _, err = cli(capsys, "backup", live)
        assert code == 2 and "not over the database itself" in err

    junk = tmp_path / "notes.txt"
    junk.write_text("not a database\n" * 100)
    code, _, err = cli(capsys, "restore", str(junk))
    assert code == 2 and err.strip()
    assert cli(capsys, "restore", str(tmp_path / "missing.backup"))[:2] == (2, "")


def test_backup_while_another_process_writes_is_consistent(demo_db, tmp_path, request, monkeypatch, capsys):
    source = get_settings().database_url
    ctx = writer.setup()
    with read_session() as s:
        version0 = s.get(Action, ctx["action_id"]).version
    log = str(tmp_path / "committed.log")
    get_engine().dispose()
    fork = multiprocessing.get_context("fork")
    writing = fork.Event()
    child = fork.Process(target=writer.write_forever, args=(ctx, log, 0, writing), daemon=True)
    child.start()
    taken = []
    try:
        # Back up once the writer is really writing (both kinds of unit), however slow it starts.
        assert writing.wait(timeout=120), "the writer did not get going"
        for i in range(4):
            committed = writer.logged(log)  # committed before this backup began
            file = tmp_path / f"during-{i}.backup"
            code, _, err = cli(capsys, "backup", str(file))
            assert code == 0, err
            taken.append((file, committed))
            time.sleep(0.15)
        assert child.is_alive(), "the writer kept writing throughout"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.join(timeout=10)
    assert len(audit_rows("backup")) == len(taken)
    checked = 0
    for i, (file, (ids, top_version)) in enumerate(taken):
        if file.read_bytes()[:16] == b"SQLite format 3\x00":
            con = sqlite3.connect(file)
            assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert con.execute("PRAGMA foreign_key_check").fetchall() == []
            con.close()
        get_engine().dispose()
        _fresh(request, monkeypatch, tmp_path / f"check-{i}")
        code, _, err = cli(capsys, "restore", str(file))
        assert code == 0, err
        state = writer.check_units(ctx["action_id"], version0)
        assert state["half_writes"] == 0, f"backup {i} holds half a unit of work"
        assert set(ids) <= state["referrals"], f"backup {i} misses writes committed before it began"
        assert state["action_version"] >= top_version
        checked += len(state["referrals"])
        get_engine().dispose()
        _use(monkeypatch, source, demo_db)
    print(f"\nbackups while writing: {len(taken)}, units checked: {checked}, half-writes: 0")
    assert checked > 0


def test_restore_over_a_database_in_use(demo_db, tmp_path, capsys):
    """SQLite refuses while the app holds the file; PostgreSQL restores in one server-side
    transaction, so --force over live data simply replaces it with the backup's rows."""
    file = tmp_path / "panel.backup"
    assert cli(capsys, "backup", str(file))[0] == 0
    with read_session() as s:
        before = s.exec(select(func.count()).select_from(Referral)).one()
    if _on_sqlite():
        with read_session() as s:  # the running app holds a connection
            s.exec(select(func.count()).select_from(Referral)).one()
            code, _, err = cli(capsys, "restore", "--force", str(file))
        assert code == 2 and "stop the Panel app" in err
        return
    code, out, err = cli(capsys, "restore", "--force", str(file))
    assert code == 0, err
    get_engine().dispose()
    with read_session() as s:
        assert s.exec(select(func.count()).select_from(Referral)).one() == before


def test_a_backup_from_an_older_panel_is_restored_then_upgraded(db, tmp_path, request, monkeypatch, capsys):
    from alembic import command

    from panel import migrate
    from tests.reliability import test_migration_data as old

    url = get_settings().database_url
    old._blank(url)
    command.upgrade(migrate.alembic_config(url), "0001")
    old._fill(url)
    before = old._snapshot(url)
    file = tmp_path / "from-0001.backup"
    code, out, err = cli(capsys, "backup", str(file))
    assert code == 0 and "schema revision 0001" in out, err
    get_engine().dispose()

    target = _fresh(request, monkeypatch, tmp_path / "current")
    migrate.upgrade()  # a new installation at the current schema, no data yet
    code, out, err = cli(capsys, "restore", str(file))
    assert code == 0, err
    assert "Upgraded the restored database" in out
    after = old._snapshot(target)
    after["auditevent"] = [r for r in after["auditevent"] if r["action"] != "restore"]
    for table, rows in before.items():
        assert [{k: r[k] for k in rows[0]} for r in after[table]] == rows, f"{table} differs"
    assert rows_at_head(target)


def rows_at_head(url: str) -> bool:
    from alembic.script import ScriptDirectory

    from panel import migrate

    head = ScriptDirectory.from_config(migrate.alembic_config(url)).get_current_head()
    return rows(url)["alembic_version"] == [(head,)]

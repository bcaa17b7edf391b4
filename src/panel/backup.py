"""Back up and restore the whole database: safe while the app runs, audited, and a
restore never half-replaces a database.

SQLite: the online backup API copies a consistent snapshot while others keep writing; a restore
is copied and checked in a temporary file beside the database, then swapped in with one atomic
rename. PostgreSQL: `pg_dump --format=custom`, restored by psql in a single transaction.
Either way the backup's schema revision is checked against this code's migrations.

The documents' files go beside the backup, in `DEST.files/`, and come back from there on a
restore (panel.documents.backup_files; docs/domain.md §11).
"""

from __future__ import annotations

import getpass
import glob
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from panel import migrate
from panel.core import audit
from panel.core.access import SYSTEM, Actor
from panel.core.config import get_settings
from panel.core.db import get_engine, transaction
from panel.core.errors import PanelError
from panel.documents import backup_files


class BackupError(PanelError):
    """A backup or restore that could not be done; the message says what to do."""


@dataclass
class Outcome:
    path: Path
    revision: str
    size: int
    upgraded_to: str | None = None
    files: backup_files.FilesOutcome | None = field(default=None)


def _url() -> str:
    return get_settings().database_url


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("Only a SQLite database in a file can be backed up or restored.")
    return Path(database)


def _revisions() -> tuple[set[str], str]:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    return {r.revision for r in script.walk_revisions()}, script.get_current_head()


def _who(actor: Actor) -> str:
    return f"{actor.username} (os user {getpass.getuser()})" if actor.is_system else actor.username


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sqlite_revision(path: Path) -> str:
    """The schema revision of a SQLite file, after checking it is an intact Panel database."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if con.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{path} is damaged (SQLite integrity check failed).")
            row = con.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError as e:
        raise BackupError(f"{path} is not a Panel backup ({e}).") from None
    if row is None:
        raise BackupError(f"{path} is not a Panel backup (no schema revision).")
    return row[0]


# Tables every real use fills; bookkeeping rows a migration seeds (e.g. flags) do not count.
DATA_TABLES = ("partnership", "user", "agency", "referral", "auditevent")


def is_empty() -> bool:
    """True when the current database holds no data (e.g. straight after `panel migrate`)."""
    engine = get_engine()
    tables = SQLModel.metadata.tables
    with engine.connect() as conn:
        existing = set(engine.dialect.get_table_names(conn))
        for name in DATA_TABLES:
            if name in existing and conn.execute(select(func.count()).select_from(tables[name])).scalar():
                return False
    return True


def _audit(actor: Actor, action: str, detail: str) -> None:
    with transaction() as s:
        audit.record(s, actor, action, "database", detail=f"{detail}; by {_who(actor)}")


# --- backup -----------------------------------------------------------------------------------


def backup(dest: Path | str, actor: Actor = SYSTEM) -> Outcome:
    """Write a backup of the current database to `dest` (replaced atomically if it exists)."""
    dest = Path(dest).resolve()
    if dest.is_dir():
        raise BackupError(f"{dest} is a folder: give a file name for the backup.")
    url = _url()
    live = _sqlite_path(url).resolve() if _is_sqlite(url) else None
    if live and dest in {live, *(live.with_name(live.name + x) for x in ("-wal", "-shm", "-journal"))}:
        raise BackupError("Write the backup to another file, not over the database itself.")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.partial")
    tmp.unlink(missing_ok=True)
    try:
        revision = _sqlite_backup(url, tmp) if _is_sqlite(url) else _pg_dump(url, tmp)
        tmp.chmod(0o600)  # a copy of every case: readable by its owner only
        _fsync(tmp)
        os.replace(tmp, dest)
        _fsync(dest.parent)
    finally:
        tmp.unlink(missing_ok=True)
    files = backup_files.copy_out(backup_files.files_folder(dest))
    out = Outcome(path=dest, revision=revision, size=dest.stat().st_size, files=files)
    _audit(actor, "backup", f"to {dest.name} ({out.size} bytes, schema {revision}; documents' files: "
                            f"{files.copied} copied, {files.present} already there, {len(files.missing)} missing)")
    return out


def _sqlite_backup(url: str, tmp: Path) -> str:
    src_path = _sqlite_path(url)
    if not src_path.is_file():
        raise BackupError(f"There is no database at {src_path}.")
    src = sqlite3.connect(src_path, timeout=30)
    dst = sqlite3.connect(tmp)
    try:
        src.execute("PRAGMA busy_timeout=30000")
        src.backup(dst)  # one step: a consistent snapshot, writers carry on (WAL)
        dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
    finally:
        dst.close()
        src.close()
    return _sqlite_revision(tmp)


# --- restore ----------------------------------------------------------------------------------


def restore(src: Path | str, force: bool = False, actor: Actor = SYSTEM) -> Outcome:
    """Replace the current database with a backup. Refuses a database holding data unless
    `force`; refuses a backup from a newer Panel; upgrades an older one to the current schema."""
    src = Path(src).resolve()
    if not src.is_file():
        raise BackupError(f"{src}: no such file.")
    url = _url()
    known, head = _revisions()
    revision = _sqlite_revision(src) if _is_sqlite(url) else _pg_backup_revision(src)
    if revision not in known:
        raise BackupError(f"{src.name} is at schema revision {revision}, which this version of Panel "
                          "does not know: restore it with the version of Panel that made it.")
    if not force and not _target_empty():
        raise BackupError("The database already holds data: restoring would replace all of it. "
                          "Take a backup of it first, then run the restore again with --force.")
    if _is_sqlite(url):
        _sqlite_restore(url, src)
    else:
        _pg_restore(url, src)
    get_engine().dispose()
    upgraded = None
    if revision != head:
        migrate.upgrade(url)
        upgraded = head
    files = backup_files.copy_in(backup_files.files_folder(src))
    out = Outcome(path=src, revision=revision, size=src.stat().st_size, upgraded_to=upgraded, files=files)
    note = f", then upgraded to schema {head}" if upgraded else ""
    note += f"; documents' files: {files.copied} put back, {len(files.missing)} missing"
    _audit(actor, "restore", f"from {src.name} (schema {revision}{note})")
    return out


def _target_empty() -> bool:
    url = _url()
    if _is_sqlite(url) and not _sqlite_path(url).exists():
        return True
    try:
        return is_empty()
    finally:
        get_engine().dispose()


def _sqlite_restore(url: str, src: Path) -> None:
    target = _sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.restoring")
    tmp.unlink(missing_ok=True)
    try:
        s, d = sqlite3.connect(f"file:{src}?mode=ro", uri=True), sqlite3.connect(tmp)
        try:
            s.backup(d)
            d.execute("PRAGMA journal_mode=DELETE")
        finally:
            d.close()
            s.close()
        _sqlite_revision(tmp)  # the copy is intact before it replaces anything
        _fsync(tmp)
        get_engine().dispose()
        if target.exists():
            _quiesce(target)
        os.replace(tmp, target)
        _fsync(target.parent)
    finally:
        tmp.unlink(missing_ok=True)


def _quiesce(target: Path) -> None:
    """Fold the write-ahead log into the old file and leave WAL mode, so no -wal file of the
    old database can be replayed onto the new one. Fails while anyone else is connected."""
    con = sqlite3.connect(target, timeout=5)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        mode = con.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
    except sqlite3.OperationalError:
        mode = "wal"
    finally:
        con.close()
    if mode.lower() != "delete" or Path(f"{target}-wal").exists():
        raise BackupError("The database is in use: stop the Panel app (and any `panel` command) "
                          "before restoring, then try again.")


# --- PostgreSQL -------------------------------------------------------------------------------


def pg_tool(name: str) -> str:
    """pg_dump, pg_restore or psql: from PATH, else the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found

    def version(p: str) -> float:
        m = re.search(r"/postgresql/([\d.]+)/bin/", p)
        return float(m.group(1)) if m else 0.0

    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version, reverse=True)
    if not candidates:
        raise BackupError(f"{name} was not found: install the PostgreSQL client tools "
                          "(apt-get install postgresql-client).")
    return candidates[0]


def _pg_env(url: str) -> dict[str, str]:
    """Connection details for libpq through the environment, so no password is on a command line."""
    u = make_url(url)
    env = dict(os.environ)
    for key, value in (("PGHOST", u.host), ("PGPORT", u.port), ("PGUSER", u.username),
                       ("PGPASSWORD", u.password), ("PGDATABASE", u.database)):
        if value is not None:
            env[key] = str(value)
    for key, value in (u.query or {}).items():
        if key == "host":  # a Unix socket directory
            env["PGHOST"] = value if isinstance(value, str) else value[0]
    return env


def _run(args: list[str], url: str) -> str:
    done = subprocess.run(args, env=_pg_env(url), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {done.stderr.strip()[:500]}")
    return done.stdout


def _pg_dump(url: str, tmp: Path) -> str:
    _run([pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={tmp}"], url)
    return _pg_backup_revision(tmp, url)


def _pg_backup_revision(path: Path, url: str | None = None) -> str:
    out = _run([pg_tool("pg_restore"), "--data-only", "--table=alembic_version", "--file=-", str(path)],
               url or _url())
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line and i + 1 < len(lines):
            if lines[i + 1] != "\\.":
                return lines[i + 1].strip()
    raise BackupError(f"{path.name} is not a Panel backup (no schema revision).")


def _pg_restore(url: str, src: Path) -> None:
    """All or nothing: empty the schema and load the backup in one psql transaction.

    Not `pg_restore --clean`: that drops only the backup's own tables, so restoring an older
    backup into a newer schema fails on (or keeps) the tables the backup does not know."""
    get_engine().dispose()
    with tempfile.TemporaryDirectory(prefix="panel-restore-") as tmp:
        script = Path(tmp) / "restore.sql"
        _run([pg_tool("pg_restore"), "--no-owner", "--no-acl", f"--file={script}", str(src)], url)
        _run([pg_tool("psql"), "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1",
              "--command=DROP SCHEMA public CASCADE", "--command=CREATE SCHEMA public",
              f"--file={script}"], url)

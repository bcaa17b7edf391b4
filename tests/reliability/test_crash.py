"""Crash safety: a process writing through the services is killed with SIGKILL
at random (seeded) moments, again and again. After every kill the database must be intact, hold
every write whose commit had returned, and hold no half of any unit of work."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sqlite3
import time

from sqlalchemy import text

from panel.core.config import get_settings
from panel.core.db import get_engine, read_session
from panel.models import Action
from tests.reliability import writer

ROUNDS = 30
SEED = 20261124


def _sqlite_checks(url: str) -> None:
    """A fresh connection, as the next app start would open; it also recovers the WAL."""
    con = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        con.close()


def test_killed_writer_leaves_every_committed_write_and_no_half_write(demo_db, tmp_path):
    url = get_settings().database_url
    ctx = writer.setup()
    with read_session() as s:
        version0 = s.get(Action, ctx["action_id"]).version
    log = str(tmp_path / "committed.log")
    rng = random.Random(SEED)
    fork = multiprocessing.get_context("fork")
    started = time.monotonic()
    crashes, half_writes = 0, 0
    for round_no in range(ROUNDS):
        get_engine().dispose()  # the child opens its own connections
        committed = fork.Event()
        child = fork.Process(target=writer.write_forever, args=(ctx, log, round_no * 100_000, committed),
                             daemon=True)
        child.start()
        # Kill at a random moment of writing, not of starting up: how long a fork takes to connect
        # and commit depends on the machine's load, so wait until it has committed both kinds of
        # unit, not for a time.
        assert committed.wait(timeout=120), f"round {round_no}: the writer did not get going"
        time.sleep(rng.uniform(0.05, 0.45))
        os.kill(child.pid, signal.SIGKILL)
        child.join(timeout=10)
        assert child.exitcode == -signal.SIGKILL, "the writer was killed, not finished or failed"
        crashes += 1
        if url.startswith("sqlite"):
            _sqlite_checks(url)
        ids, top_version = writer.logged(log)
        state = writer.check_units(ctx["action_id"], version0)
        missing = set(ids) - state["referrals"]
        assert not missing, f"round {round_no}: committed referrals lost: {sorted(missing)[:5]}"
        assert state["action_version"] >= top_version, f"round {round_no}: a committed progress note was lost"
        half_writes += state["half_writes"]
        assert state["half_writes"] == 0, f"round {round_no}: {state['half_writes']} half-written units"
    assert state["created"] == state["referrals"] and state["notes"] > 0
    ids, top_version = writer.logged(log)
    checked = len(ids) + max(0, top_version - version0)
    elapsed = time.monotonic() - started
    print(f"\ncrashes survived: {crashes}, committed writes checked: {checked}, half-writes: {half_writes}"
          f" ({elapsed:.1f} s)")
    assert checked >= ROUNDS, "the writer committed work between kills"


def test_sqlite_commits_are_durable_against_power_loss_too(db):
    """synchronous=FULL in WAL mode: a commit is on disk when it returns, not only in the OS
    cache (docs/reliability.md says why this is the choice for safeguarding records)."""
    url = get_settings().database_url
    if not url.startswith("sqlite"):
        return  # PostgreSQL: fsync and synchronous_commit are the server's (on by default)
    with get_engine().connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
    get_engine().dispose()

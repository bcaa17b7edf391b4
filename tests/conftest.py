"""Shared fixtures: a fresh migrated database per test, and a demo database copied from a
template built once per run (loading the demo hashes passwords, which is slow on purpose).

The engine is chosen by PANEL_TEST_ENGINE: `sqlite` (default; a file in the test's data dir) or
`postgresql` (a database per test, copied from a template database, on the server that
tests/pgserver.py starts or that PANEL_TEST_PG_URL names). Tests see the same env either way:
PANEL_DATA_DIR is the test's tmp dir, and DATABASE_URL is set for PostgreSQL only.
"""

from __future__ import annotations

import itertools
import os
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from hypothesis import settings

from panel import migrate
from panel.core.db import dispose_engine, get_engine
from panel.demo import small as demo
from tests import pgserver

TODAY = date(2026, 11, 23)  # a Monday; the demo is laid out around it
ENGINE = os.environ.get("PANEL_TEST_ENGINE", "sqlite")
ON_PG = ENGINE == "postgresql"

# Property tests check rules, not speed (speed is for the benchmark): no per-example deadline,
# which otherwise fails on a loaded CI machine when the bank-holiday calendar first loads.
settings.register_profile("panel", deadline=None)
settings.load_profile("panel")

_cluster: pgserver.Cluster | None = None


def pytest_configure(config):
    if ENGINE not in ("sqlite", "postgresql"):
        pytest.exit(f"PANEL_TEST_ENGINE must be sqlite or postgresql, not {ENGINE!r}", returncode=4)
    global _cluster
    # The controller starts one server; pytest-xdist workers inherit PANEL_TEST_PG_URL.
    if ON_PG and not hasattr(config, "workerinput"):
        try:
            if not os.environ.get(pgserver.URL_ENV):
                _cluster = pgserver.Cluster()
                os.environ[pgserver.URL_ENV] = _cluster.start()
            pgserver.admin().close()  # reachable, or the run stops here
        except pgserver.NoServer as e:
            if _cluster is not None:
                _cluster.stop()
                _cluster = None
            pytest.exit(f"PostgreSQL tests cannot run: {e}", returncode=3)


def pytest_unconfigure(config):
    global _cluster
    if _cluster is not None:
        _cluster.stop()
        os.environ.pop(pgserver.URL_ENV, None)
        _cluster = None


def pytest_report_header(config):
    return f"database engine: {ENGINE}" + (f" ({os.environ.get(pgserver.URL_ENV)})" if ON_PG else "")


def sql(statement: str, **params) -> list[tuple]:
    """Run one SQL statement on the test's database (either engine) in its own transaction;
    the rows it returns, if any. For journeys that check or plant what a server wrote."""
    from sqlalchemy import text

    with get_engine().begin() as conn:
        result = conn.execute(text(statement), params)
        return [tuple(r) for r in result] if result.returns_rows else []


# -- test databases --------------------------------------------------------------------------------

@dataclass(frozen=True)
class TestDatabase:
    """Where a test's data lives: its data dir, and on PostgreSQL the database name."""
    data_dir: Path
    pg_name: str | None = None

    __test__ = False  # not a test class

    @property
    def url(self) -> str:
        if self.pg_name:
            return pgserver.database_url(self.pg_name)
        return f"sqlite:///{self.data_dir / 'panel.db'}"

    def env(self) -> dict[str, str]:
        """Environment for a child process (streamlit, the CLI) that must use this database."""
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env["PANEL_DATA_DIR"] = str(self.data_dir)
        if self.pg_name:
            env["DATABASE_URL"] = self.url
        return env

    def use(self, mp: pytest.MonkeyPatch) -> None:
        mp.setenv("PANEL_DATA_DIR", str(self.data_dir))
        if self.pg_name:
            mp.setenv("DATABASE_URL", self.url)
        else:
            mp.delenv("DATABASE_URL", raising=False)


_names = itertools.count(1)


def _pg_name(kind: str) -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"panel_{kind}_{os.getpid()}_{worker}_{next(_names)}"


def new_database(data_dir: Path, template: TestDatabase | None = None) -> TestDatabase:
    """A database in `data_dir`: a copy of `template`, or empty and unmigrated."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if template is not None and (template.data_dir / "files").is_dir():
        # The documents' file store (a folder in the data directory) goes with the database.
        shutil.copytree(template.data_dir / "files", data_dir / "files", dirs_exist_ok=True)
    if not ON_PG:
        if template is not None:
            for f in template.data_dir.iterdir():
                if f.is_file():
                    shutil.copy(f, data_dir / f.name)
        return TestDatabase(data_dir)
    name = _pg_name("t")
    pgserver.create(name, template.pg_name if template else None)
    return TestDatabase(data_dir, name)


def drop_database(database: TestDatabase) -> None:
    """Close this process's connections, then drop it (PostgreSQL; SQLite's tmp dir goes alone)."""
    dispose_engine(database.url)
    if database.pg_name:
        pgserver.drop(database.pg_name)


def build_template(data_dir: Path, fill=None, template: TestDatabase | None = None) -> TestDatabase:
    """A template database: migrated (or copied from `template`), then `fill()`ed, connections closed."""
    database = new_database(data_dir, template)
    with pytest.MonkeyPatch.context() as mp:
        database.use(mp)
        if template is None:
            migrate.upgrade()
        if fill is not None:
            fill()
        get_engine().dispose()  # checkpoints SQLite's WAL; frees a PostgreSQL template for copying
    return database


@pytest.fixture(scope="session")
def empty_template(tmp_path_factory) -> TestDatabase:
    """An empty migrated database to copy: copying beats migrating per test on both engines."""
    database = build_template(tmp_path_factory.mktemp("empty-template"))
    yield database
    drop_database(database)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> TestDatabase:
    database = build_template(tmp_path_factory.mktemp("demo-template"), lambda: demo.load(today=TODAY))
    yield database
    drop_database(database)


@pytest.fixture
def another_db(tmp_path, monkeypatch, empty_template):
    """Switch the test to a further empty, migrated database in `data_dir`: `another_db(path)`."""
    made = []

    def switch(data_dir: Path) -> TestDatabase:
        database = new_database(data_dir, empty_template if ON_PG else None)
        database.use(monkeypatch)
        if not ON_PG:
            migrate.upgrade()
        made.append(database)
        return database

    yield switch
    for database in made:
        drop_database(database)


def _use(database: TestDatabase, monkeypatch) -> None:
    database.use(monkeypatch)
    monkeypatch.setenv("PANEL_TODAY", TODAY.isoformat())


@pytest.fixture
def db(tmp_path, monkeypatch, request):
    """An empty, migrated database in a temporary data directory: a copy of the session's
    migrated template, on either engine (migrating per test cost half a second on SQLite)."""
    database = new_database(tmp_path, request.getfixturevalue("empty_template"))
    _use(database, monkeypatch)
    yield tmp_path
    get_engine().dispose()
    drop_database(database)


@pytest.fixture
def demo_db(demo_template, tmp_path, monkeypatch, request):
    """A private copy of the demo database (three partnerships, five years)."""
    database = new_database(tmp_path, demo_template)
    _use(database, monkeypatch)
    yield tmp_path
    get_engine().dispose()
    drop_database(database)


MULTI_MANAGER = "multi.manager"


def add_multi_manager(codes: tuple[str, ...] | None = None) -> str:
    """A business manager in several partnerships (every one in the database by default), made
    with the users service: the cross-partnership case view that the demo's regional account
    does not have (it holds no role). Returns the username."""
    from sqlmodel import select

    from panel.accounts.service import create_user
    from panel.core.access import SYSTEM
    from panel.core.db import read_session
    from panel.models import Partnership

    if codes is None:
        with read_session() as s:
            codes = tuple(s.exec(select(Partnership.code).order_by(Partnership.id)))
    create_user(SYSTEM, username=MULTI_MANAGER, name="Morgan Multi", email="multi.manager@example.org",
                password="several-partnerships-2025", memberships=[(code, "manager") for code in codes])
    return MULTI_MANAGER


@pytest.fixture
def multi_manager(demo_db) -> str:
    """The demo database, with a business manager in all three partnerships: its username."""
    return add_multi_manager()


def add_demo_learning(seed: int = 2025) -> dict | None:
    """The demo's learning, added to a demo database whose loader did not add it already."""
    import random

    from sqlalchemy import func
    from sqlmodel import select

    from panel.core.db import transaction
    from panel.demo import learning as demo_learning
    from panel.models import Finding, Partnership

    with transaction() as s:
        if s.exec(select(func.count()).select_from(Finding)).one():
            return None  # the demo loader already added it
        parts = {p.code: p for p in s.exec(select(Partnership).order_by(Partnership.id))}
        return demo_learning.add_learning(s, random.Random(seed), TODAY, parts)


@pytest.fixture(scope="session")
def learning_template(demo_template, tmp_path_factory):
    database = build_template(tmp_path_factory.mktemp("learning-template"), add_demo_learning, demo_template)
    yield database
    drop_database(database)


@pytest.fixture
def learning_db(learning_template, tmp_path, monkeypatch):
    """A private copy of the demo database with the demo's learning."""
    database = new_database(tmp_path, learning_template)
    _use(database, monkeypatch)
    yield tmp_path
    get_engine().dispose()
    drop_database(database)


@pytest.fixture(autouse=True)
def _no_page_error_unnoticed(caplog):
    """app.py shows a page's unexpected error as a plain message (panel.ui.errors), so AppTest
    sees no exception: a test fails here instead, on the error the log recorded."""
    yield
    errors = [r for r in caplog.get_records("call") if r.name == "panel.errors"]
    assert not errors, "a page failed: " + "\n".join(r.getMessage() for r in errors)

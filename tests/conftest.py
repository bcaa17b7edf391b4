"""Shared fixtures: a fresh migrated database per test, and a demo database copied from a
template built once per run (loading the demo hashes passwords, which is slow on purpose)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from hypothesis import settings

from panel import demo, migrate
from panel.db import get_engine

TODAY = date(2026, 11, 23)  # a Monday; the demo is laid out around it

# Property tests check rules, not speed (speed is for the benchmark): no per-example deadline,
# which otherwise fails on a loaded CI machine when the bank-holiday calendar first loads.
settings.register_profile("panel", deadline=None)
settings.load_profile("panel")


@pytest.fixture
def db(tmp_path, monkeypatch):
    """An empty, migrated database in a temporary data directory."""
    monkeypatch.setenv("PANEL_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("PANEL_TODAY", TODAY.isoformat())
    migrate.upgrade()
    yield tmp_path
    get_engine().dispose()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo-template")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PANEL_DATA_DIR", str(path))
        mp.delenv("DATABASE_URL", raising=False)
        migrate.upgrade()
        demo.load(today=TODAY)
        get_engine().dispose()  # checkpoints the WAL into panel.db
    return path


@pytest.fixture
def demo_db(demo_template, tmp_path, monkeypatch):
    """A private copy of the demo database (three partnerships, five years)."""
    for f in demo_template.iterdir():
        shutil.copy(f, tmp_path / f.name)
    monkeypatch.setenv("PANEL_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("PANEL_TODAY", TODAY.isoformat())
    yield tmp_path
    get_engine().dispose()

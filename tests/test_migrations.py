"""Migrations on the engine under test (PANEL_TEST_ENGINE): up to head, down to nothing, up
again; and the schema they build is the one the models describe (no autogenerate diff)."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import panel.models  # noqa: F401  (registers every table)
from panel import migrate
from panel.core.db import dispose_engine, make_engine
from tests.conftest import ENGINE, drop_database, new_database


def _diff(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"include_name": migrate.include_name,
                                                         "compare_type": True})
            return compare_metadata(ctx, SQLModel.metadata)
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return {t for t in inspect(engine).get_table_names() if "_fts" not in t}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_and_models_agree(tmp_path):
    database = new_database(tmp_path)  # empty: no schema at all
    url = database.url
    try:
        cfg = migrate.alembic_config(url)
        command.upgrade(cfg, "head")
        assert _diff(url) == [], f"models and migrations disagree on {ENGINE}"
        models = set(SQLModel.metadata.tables)
        assert _tables(url) == models | {"alembic_version"}

        command.downgrade(cfg, "base")
        assert _tables(url) == {"alembic_version"}, f"downgrade to base left tables on {ENGINE}"

        command.upgrade(cfg, "head")
        assert _diff(url) == []
        assert _tables(url) == models | {"alembic_version"}
    finally:
        dispose_engine(url)
        drop_database(database)

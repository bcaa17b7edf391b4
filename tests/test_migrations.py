"""Migrations on the engine under test (PANEL_TEST_ENGINE): up to head, down to nothing, up
again; and the schema they build is the one the models describe (no autogenerate diff)."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
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


def _rows(url: str, statement: str) -> list[tuple]:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement))
            return [tuple(r) for r in result] if result.returns_rows else []
    finally:
        engine.dispose()


def test_0015_moves_meeting_actions_into_the_register_and_back(tmp_path):
    """Each meetingaction row becomes an open action of its meeting's partnership (agency kept,
    even when none was recorded), and goes back to its table on a downgrade; actions from
    recommendations stay where they are both ways."""
    database = new_database(tmp_path)
    url = database.url
    try:
        cfg = migrate.alembic_config(url)
        command.upgrade(cfg, "0014")
        for statement in (
            "INSERT INTO partnership (id, code, name, created_at) VALUES (7, 'MV', 'Moving', '2026-01-01 09:00')",
            "INSERT INTO agency (id, name, kind, statutory, active) VALUES (5, 'Police', 'police', true, true)",
            "INSERT INTO meeting (id, partnership_id, held_on, status, created_at, version)"
            " VALUES (3, 7, '2025-06-02', 'closed', '2025-06-02 09:00', 4)",
            "INSERT INTO agendaitem (id, meeting_id, position, kind, title, status, summary)"
            " VALUES (9, 3, 0, 'other', 'Any other business', 'discussed', '')",
            "INSERT INTO meetingaction (id, item_id, text, owner_agency_id, owner_name, due_on)"
            " VALUES (1, 9, 'Send the chronology.', 5, 'DI Pat Police', '2025-07-01'),"
            " (2, 9, 'Check the school records.', NULL, 'Head teacher', '2025-08-01')",
        ):
            _rows(url, statement)
        command.upgrade(cfg, "0015")
        assert "meetingaction" not in _tables(url)
        moved = _rows(url, "SELECT partnership_id, recommendation_id, meeting_item_id, owner_agency_id, owner_name,"
                           " text, due_on, status, version FROM action ORDER BY id")
        assert [r[:6] + (str(r[6]), *r[7:]) for r in moved] == [
            (7, None, 9, 5, "DI Pat Police", "Send the chronology.", "2025-07-01", "open", 1),
            (7, None, 9, None, "Head teacher", "Check the school records.", "2025-08-01", "open", 1)]
        _rows(url, "INSERT INTO actionnote (action_id, at, text) SELECT min(id), '2025-07-02 09:00', 'Sent.' FROM action")

        command.downgrade(cfg, "0014")
        back = _rows(url, "SELECT item_id, text, owner_agency_id, owner_name, due_on FROM meetingaction ORDER BY id")
        assert [r[:4] + (str(r[4]),) for r in back] == [
            (9, "Send the chronology.", 5, "DI Pat Police", "2025-07-01"),
            (9, "Check the school records.", None, "Head teacher", "2025-08-01")]
        assert _rows(url, "SELECT count(*) FROM action") == [(0,)]
        assert _rows(url, "SELECT count(*) FROM actionnote") == [(0,)]
    finally:
        dispose_engine(url)
        drop_database(database)

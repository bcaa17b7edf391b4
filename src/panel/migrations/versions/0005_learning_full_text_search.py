"""learning: full-text search over findings, recommendations and actions

SQLite: FTS5 external-content tables (finding_fts, recommendation_fts, action_fts) over the
learning tables, kept in sync by triggers and rebuilt from the existing rows here. Skipped when
this SQLite has no FTS5: the service then searches with LIKE.
PostgreSQL: GIN indexes on the same to_tsvector expressions the service queries with.

Note for later migrations: a batch ("move and copy") alter of finding, recommendation or action
on SQLite drops these triggers with the old table. Recreate them in that migration (copy
SQLITE_TRIGGERS below); until then the service notices the missing triggers and uses LIKE.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 23:55:00
"""
from typing import Sequence, Union

from alembic import op

revision: str = '0005'
down_revision: Union[str, None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TOKENIZE = "tokenize='porter unicode61 remove_diacritics 2'"
# (fts table, content table, indexed columns: an update of any of them re-indexes the row)
FTS_TABLES = (
    ("finding_fts", "finding", ("text", "source_title")),
    ("recommendation_fts", "recommendation", ("text",)),
    ("action_fts", "action", ("text", "evidence_of_impact", "owner_name")),
)


def _sqlite_statements() -> list[str]:
    out = []
    for fts, table, cols in FTS_TABLES:
        names = ", ".join(cols)
        new = ", ".join(f"new.{c}" for c in cols)
        old = ", ".join(f"old.{c}" for c in cols)
        out += [
            f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='{table}', content_rowid='id', {TOKENIZE})",
            f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new}); END",
            f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old}); END",
            f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {names} ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old}); "
            f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new}); END",
            f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
        ]
    return out


SQLITE_TRIGGERS = _sqlite_statements()

# The same expressions as panel.learning.search._match_arm, so the planner uses them.
PG_INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_finding_tsv ON finding USING gin "
    "(to_tsvector('english'::regconfig, text || ' ' || coalesce(source_title, '')))",
    "CREATE INDEX IF NOT EXISTS ix_recommendation_tsv ON recommendation USING gin "
    "(to_tsvector('english'::regconfig, text))",
    "CREATE INDEX IF NOT EXISTS ix_action_tsv ON action USING gin "
    "(to_tsvector('english'::regconfig, text || ' ' || coalesce(evidence_of_impact, '') || ' ' || owner_name))",
)


def _has_fts5(bind) -> bool:
    nested = bind.begin_nested()
    try:
        bind.exec_driver_sql("CREATE VIRTUAL TABLE temp.panel_fts5_probe USING fts5(x)")
        bind.exec_driver_sql("DROP TABLE temp.panel_fts5_probe")
    except Exception:
        nested.rollback()
        return False
    nested.commit()
    return True


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        if not _has_fts5(bind):
            return
        for statement in SQLITE_TRIGGERS:
            bind.exec_driver_sql(statement)
    elif bind.dialect.name == "postgresql":
        for statement in PG_INDEXES:
            bind.exec_driver_sql(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for fts, _table, _cols in FTS_TABLES:
            for suffix in ("ai", "ad", "au"):
                bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
            bind.exec_driver_sql(f"DROP TABLE IF EXISTS {fts}")
    elif bind.dialect.name == "postgresql":
        for name in ("ix_finding_tsv", "ix_recommendation_tsv", "ix_action_tsv"):
            bind.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")

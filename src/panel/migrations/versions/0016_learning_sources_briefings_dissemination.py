"""Learning people enter, share and follow through (docs/domain.md §7.1)

- learningsource (+ sourceagency): learning from case file audits, child death reviews, child
  protection incident reviews, local learning reviews, inspections and self-audits, holding
  findings and recommendations as a review does (finding.source_id, recommendation.source_id).
  Findings that named their source by kind and title only get a source each (one per
  partnership, kind and title).
- finding.nature (concern or good practice), findingagency, finding.version.
- recommendation: SMART fields (outcome_sought, measure, due_on), status (draft, accepted) with
  accepted_on, version; recommendationfinding (several findings each; the old single finding_id
  is copied in); recommendationrevision keeps an accepted recommendation's earlier versions.
  Existing recommendations had actions agreed on them: they start accepted on their date.
- action: follow-up date, its result, and the learning source that gave it (a re-audit).
- briefing and briefingversion: the briefing library; learningevent, learningeventlink and
  learningeventattendance: dissemination.

SQLite copies finding, recommendation and action to add their foreign keys (batch mode, foreign
keys off for the migration: migrations/env.py); their full-text triggers are recreated as
migration 0005 made them.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 16:45:00
"""
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (fts table, content table, indexed columns), as in 0005.
FTS_TABLES = (
    ("finding_fts", "finding", ("text", "source_title")),
    ("recommendation_fts", "recommendation", ("text",)),
    ("action_fts", "action", ("text", "evidence_of_impact", "owner_name")),
)
KIND_TITLES = {"child_death_review": "Child death review learning", "case_file_audit": "Case file audit",
               "cpir": "Child protection incident review"}


def _fts_statements(fts: str, table: str, cols: tuple[str, ...]) -> list[str]:
    # Names from FTS_TABLES above, never from data: nothing here comes from outside.
    names = ", ".join(cols)
    new = ", ".join(f"new.{c}" for c in cols)
    old = ", ".join(f"old.{c}" for c in cols)
    return [
        *(f"DROP TRIGGER IF EXISTS {fts}_{suffix}" for suffix in ("ai", "ad", "au")),
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "  # noqa: S608
        f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new}); END",
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "  # noqa: S608
        f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old}); END",
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {names} ON {table} BEGIN "  # noqa: S608
        f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new}); END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",  # noqa: S608
    ]


def _restore_fts() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for fts, table, cols in FTS_TABLES:
        exists = bind.execute(sa.text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
                              {"name": fts}).first()
        for statement in _fts_statements(fts, table, cols) if exists else ():
            bind.exec_driver_sql(statement)


def _move_sources() -> None:
    """A learning source for each partnership, kind and title that older findings named."""
    bind = op.get_bind()
    named = bind.execute(sa.text(
        "SELECT DISTINCT partnership_id, source_kind, source_title FROM finding "
        "WHERE source_kind <> 'review' ORDER BY partnership_id, source_kind, source_title")).all()
    source = sa.table("learningsource", sa.column("id", sa.Integer()), sa.column("partnership_id", sa.Integer()),
                      sa.column("kind", sa.String()), sa.column("title", sa.String()),
                      sa.column("created_at", sqlmodel.sql.sqltypes.UTCDateTime()), sa.column("version", sa.Integer()))
    now = datetime.now(UTC)
    for pid, kind, title in named:
        sid = bind.execute(source.insert().values(
            partnership_id=pid, kind=kind, created_at=now, version=1,
            title=title or KIND_TITLES.get(kind, kind.replace("_", " ").capitalize())).returning(source.c.id)).scalar_one()
        bind.execute(sa.text("UPDATE finding SET source_id = :sid WHERE partnership_id = :pid AND source_kind = :kind "
                             "AND (source_title = :title OR (source_title IS NULL AND :title IS NULL))"),
                     {"sid": sid, "pid": pid, "kind": kind, "title": title})
    bind.execute(sa.text(
        "UPDATE recommendation SET source_id = (SELECT f.source_id FROM finding f WHERE f.id = recommendation.finding_id) "
        "WHERE review_id IS NULL AND finding_id IS NOT NULL"))
    bind.execute(sa.text("INSERT INTO recommendationfinding (recommendation_id, finding_id) "
                         "SELECT id, finding_id FROM recommendation WHERE finding_id IS NOT NULL"))
    bind.execute(sa.text("UPDATE recommendation SET status = 'accepted', accepted_on = recorded_on"))


def upgrade() -> None:
    op.create_table('learningevent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('topic', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('audience', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('learningevent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_learningevent_partnership_id'), ['partnership_id'], unique=False)

    op.create_table('learningsource',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('topic', sa.Text(), nullable=True),
    sa.Column('inspectorate', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('cases_sampled', sa.Integer(), nullable=True),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('learningsource', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_learningsource_partnership_id'), ['partnership_id'], unique=False)

    op.create_table('learningeventattendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('attended', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], ),
    sa.ForeignKeyConstraint(['event_id'], ['learningevent.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('learningeventattendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_learningeventattendance_event_id'), ['event_id'], unique=False)

    op.create_table('learningeventlink',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['learningevent.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id', 'entity', 'entity_id')
    )
    with op.batch_alter_table('learningeventlink', schema=None) as batch_op:
        batch_op.create_index('ix_learningeventlink_entity', ['entity', 'entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_learningeventlink_event_id'), ['event_id'], unique=False)

    op.create_table('sourceagency',
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('grade', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], ),
    sa.ForeignKeyConstraint(['source_id'], ['learningsource.id'], ),
    sa.PrimaryKeyConstraint('source_id', 'agency_id')
    )
    op.create_table('briefing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=True),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], ),
    sa.ForeignKeyConstraint(['review_id'], ['review.id'], ),
    sa.ForeignKeyConstraint(['source_id'], ['learningsource.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('briefing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_briefing_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_briefing_review_id'), ['review_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_briefing_source_id'), ['source_id'], unique=False)

    op.create_table('briefingversion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('briefing_id', sa.Integer(), nullable=False),
    sa.Column('version_no', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('sections', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('published_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['approved_by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['briefing_id'], ['briefing.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('briefing_id', 'version_no')
    )
    with op.batch_alter_table('briefingversion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_briefingversion_briefing_id'), ['briefing_id'], unique=False)

    op.create_table('findingagency',
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], ),
    sa.ForeignKeyConstraint(['finding_id'], ['finding.id'], ),
    sa.PrimaryKeyConstraint('finding_id', 'agency_id')
    )
    op.create_table('recommendationfinding',
    sa.Column('recommendation_id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['finding_id'], ['finding.id'], ),
    sa.ForeignKeyConstraint(['recommendation_id'], ['recommendation.id'], ),
    sa.PrimaryKeyConstraint('recommendation_id', 'finding_id')
    )
    op.create_table('recommendationrevision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recommendation_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('outcome_sought', sa.Text(), nullable=True),
    sa.Column('measure', sa.Text(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('agency_ids', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['recommendation_id'], ['recommendation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('recommendationrevision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recommendationrevision_recommendation_id'), ['recommendation_id'], unique=False)

    with op.batch_alter_table('finding') as batch:
        batch.add_column(sa.Column('source_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('nature', sqlmodel.sql.sqltypes.AutoString(length=20), server_default='concern',
                                   nullable=False))
        batch.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch.create_index('ix_finding_source_id', ['source_id'])
        batch.create_foreign_key('fk_finding_source_id_learningsource', 'learningsource', ['source_id'], ['id'])
    with op.batch_alter_table('recommendation') as batch:
        batch.add_column(sa.Column('source_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('outcome_sought', sa.Text(), nullable=True))
        batch.add_column(sa.Column('measure', sa.Text(), nullable=True))
        batch.add_column(sa.Column('due_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), server_default='draft',
                                   nullable=False))
        batch.add_column(sa.Column('accepted_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch.create_index('ix_recommendation_source_id', ['source_id'])
        batch.create_foreign_key('fk_recommendation_source_id_learningsource', 'learningsource', ['source_id'], ['id'])
    with op.batch_alter_table('action') as batch:
        batch.add_column(sa.Column('follow_up_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('follow_up_done_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('follow_up_result', sa.Text(), nullable=True))
        batch.add_column(sa.Column('follow_up_source_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_action_follow_up_source_id_learningsource', 'learningsource',
                                 ['follow_up_source_id'], ['id'])
    _restore_fts()
    _move_sources()


def downgrade() -> None:
    with op.batch_alter_table('action') as batch:
        batch.drop_constraint('fk_action_follow_up_source_id_learningsource', type_='foreignkey')
        batch.drop_column('follow_up_source_id')
        batch.drop_column('follow_up_result')
        batch.drop_column('follow_up_done_on')
        batch.drop_column('follow_up_on')
    with op.batch_alter_table('recommendation') as batch:
        batch.drop_constraint('fk_recommendation_source_id_learningsource', type_='foreignkey')
        batch.drop_index('ix_recommendation_source_id')
        for name in ('version', 'accepted_on', 'status', 'due_on', 'measure', 'outcome_sought', 'source_id'):
            batch.drop_column(name)
    with op.batch_alter_table('finding') as batch:
        batch.drop_constraint('fk_finding_source_id_learningsource', type_='foreignkey')
        batch.drop_index('ix_finding_source_id')
        for name in ('version', 'nature', 'source_id'):
            batch.drop_column(name)
    _restore_fts()
    with op.batch_alter_table('recommendationrevision') as batch:
        batch.drop_index(batch.f('ix_recommendationrevision_recommendation_id'))

    op.drop_table('recommendationrevision')
    op.drop_table('recommendationfinding')
    op.drop_table('findingagency')
    with op.batch_alter_table('briefingversion') as batch:
        batch.drop_index(batch.f('ix_briefingversion_briefing_id'))

    op.drop_table('briefingversion')
    with op.batch_alter_table('briefing') as batch:
        batch.drop_index(batch.f('ix_briefing_source_id'))
        batch.drop_index(batch.f('ix_briefing_review_id'))
        batch.drop_index(batch.f('ix_briefing_partnership_id'))

    op.drop_table('briefing')
    op.drop_table('sourceagency')
    with op.batch_alter_table('learningeventlink') as batch:
        batch.drop_index(batch.f('ix_learningeventlink_event_id'))
        batch.drop_index('ix_learningeventlink_entity')

    op.drop_table('learningeventlink')
    with op.batch_alter_table('learningeventattendance') as batch:
        batch.drop_index(batch.f('ix_learningeventattendance_event_id'))

    op.drop_table('learningeventattendance')
    with op.batch_alter_table('learningsource') as batch:
        batch.drop_index(batch.f('ix_learningsource_partnership_id'))

    op.drop_table('learningsource')
    with op.batch_alter_table('learningevent') as batch:
        batch.drop_index(batch.f('ix_learningevent_partnership_id'))

    op.drop_table('learningevent')

"""An LCSPR linked to its rapid review, review closure, carried and meeting actions, parallel
processes and the family's involvement

- review.rapid_review_id: the rapid review whose LCSPR decision started this LCSPR;
  review.closed_on: the day the review closed (closure milestone recorded, every action settled).
- action.recommendation_id and action.owner_agency_id may be empty: an action agreed at a
  meeting (action.meeting_item_id) has no recommendation, and actions moved from older meeting
  records may name no agency. action.carried_to / carried_reason: carried past closure.
- parallelprocess and familyinvolvement: new tables.

SQLite copies `action` and `review` to change them (batch mode), with foreign keys off for the
migration (migrations/env.py). The copy drops action's full-text triggers, which are recreated
here as migration 0005 made them.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 16:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTION_FTS_COLUMNS = ("text", "evidence_of_impact", "owner_name")  # as in 0005


def _action_fts_triggers() -> list[str]:
    names = ", ".join(ACTION_FTS_COLUMNS)
    new = ", ".join(f"new.{c}" for c in ACTION_FTS_COLUMNS)
    old = ", ".join(f"old.{c}" for c in ACTION_FTS_COLUMNS)
    return [
        "DROP TRIGGER IF EXISTS action_fts_ai", "DROP TRIGGER IF EXISTS action_fts_ad",
        "DROP TRIGGER IF EXISTS action_fts_au",
        f"CREATE TRIGGER action_fts_ai AFTER INSERT ON action BEGIN "
        f"INSERT INTO action_fts(rowid, {names}) VALUES (new.id, {new}); END",
        f"CREATE TRIGGER action_fts_ad AFTER DELETE ON action BEGIN "
        f"INSERT INTO action_fts(action_fts, rowid, {names}) VALUES ('delete', old.id, {old}); END",
        f"CREATE TRIGGER action_fts_au AFTER UPDATE OF {names} ON action BEGIN "
        f"INSERT INTO action_fts(action_fts, rowid, {names}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO action_fts(rowid, {names}) VALUES (new.id, {new}); END",
        "INSERT INTO action_fts(action_fts) VALUES ('rebuild')",
    ]


def _restore_action_fts() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    has_fts = bind.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'action_fts'").first()
    if has_fts:
        for statement in _action_fts_triggers():
            bind.exec_driver_sql(statement)


def upgrade() -> None:
    op.create_table(
        'parallelprocess',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('review_id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('started_on', sa.Date(), nullable=True),
        sa.Column('next_event', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column('next_on', sa.Date(), nullable=True),
        sa.Column('concluded_on', sa.Date(), nullable=True),
        sa.Column('outcome', sa.Text(), nullable=True),
        sa.Column('delays_publication', sa.Boolean(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id']),
        sa.ForeignKeyConstraint(['review_id'], ['review.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_parallelprocess_review_id', 'parallelprocess', ['review_id'])
    op.create_table(
        'familyinvolvement',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('review_id', sa.Integer(), nullable=False),
        sa.Column('family_member', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('event', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column('happened_on', sa.Date(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id']),
        sa.ForeignKeyConstraint(['review_id'], ['review.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_familyinvolvement_review_id', 'familyinvolvement', ['review_id'])

    with op.batch_alter_table('action') as batch:
        batch.add_column(sa.Column('meeting_item_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('carried_to', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch.add_column(sa.Column('carried_reason', sa.Text(), nullable=True))
        batch.alter_column('recommendation_id', existing_type=sa.Integer(), nullable=True)
        batch.alter_column('owner_agency_id', existing_type=sa.Integer(), nullable=True)
        batch.create_index('ix_action_meeting_item_id', ['meeting_item_id'])
        batch.create_foreign_key('fk_action_meeting_item_id_agendaitem', 'agendaitem', ['meeting_item_id'], ['id'])
    _restore_action_fts()

    with op.batch_alter_table('review') as batch:
        batch.add_column(sa.Column('rapid_review_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('closed_on', sa.Date(), nullable=True))
        batch.create_index('ix_review_rapid_review_id', ['rapid_review_id'])
        batch.create_foreign_key('fk_review_rapid_review_id_review', 'review', ['rapid_review_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('review') as batch:
        batch.drop_constraint('fk_review_rapid_review_id_review', type_='foreignkey')
        batch.drop_index('ix_review_rapid_review_id')
        batch.drop_column('closed_on')
        batch.drop_column('rapid_review_id')
    # Actions with no recommendation did not exist before this revision (a later revision's
    # downgrade has already moved meeting actions back to their own table).
    op.execute("DELETE FROM actionnote WHERE action_id IN (SELECT id FROM action WHERE recommendation_id IS NULL)")
    op.execute("DELETE FROM action WHERE recommendation_id IS NULL")
    with op.batch_alter_table('action') as batch:
        batch.drop_constraint('fk_action_meeting_item_id_agendaitem', type_='foreignkey')
        batch.drop_index('ix_action_meeting_item_id')
        batch.alter_column('owner_agency_id', existing_type=sa.Integer(), nullable=False)
        batch.alter_column('recommendation_id', existing_type=sa.Integer(), nullable=False)
        batch.drop_column('carried_reason')
        batch.drop_column('carried_to')
        batch.drop_column('meeting_item_id')
    _restore_action_fts()
    op.drop_index('ix_familyinvolvement_review_id', 'familyinvolvement')
    op.drop_table('familyinvolvement')
    op.drop_index('ix_parallelprocess_review_id', 'parallelprocess')
    op.drop_table('parallelprocess')

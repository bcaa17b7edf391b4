"""meetings: meeting, attendees, agenda items, conflicts, actions

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 00:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _s(n: int):
    return sqlmodel.sql.sqltypes.AutoString(length=n)


def upgrade() -> None:
    op.create_table(
        'meeting',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('partnership_id', sa.Integer(), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('chair_id', sa.Integer(), nullable=True),
        sa.Column('status', _s(20), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['chair_id'], ['user.id']),
        sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.create_index('ix_meeting_partnership_date', ['partnership_id', 'held_on'], unique=False)

    op.create_table(
        'meetingmember',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('name', _s(200), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=True),
        sa.Column('attendance', _s(20), nullable=False),
        sa.ForeignKeyConstraint(['agency_id'], ['agency.id']),
        sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id']),
        sa.ForeignKeyConstraint(['user_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('meetingmember', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meetingmember_meeting_id'), ['meeting_id'], unique=False)

    op.create_table(
        'agendaitem',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('kind', _s(20), nullable=False),
        sa.Column('reference', _s(30), nullable=True),
        sa.Column('title', _s(300), nullable=False),
        sa.Column('status', _s(20), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('carried_from_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['carried_from_id'], ['agendaitem.id']),
        sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('agendaitem', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agendaitem_meeting_id'), ['meeting_id'], unique=False)

    op.create_table(
        'itemconflict',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['item_id'], ['agendaitem.id']),
        sa.ForeignKeyConstraint(['member_id'], ['meetingmember.id']),
        sa.ForeignKeyConstraint(['user_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('item_id', 'member_id'),
    )
    with op.batch_alter_table('itemconflict', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_itemconflict_item_id'), ['item_id'], unique=False)

    op.create_table(
        'meetingaction',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('owner_agency_id', sa.Integer(), nullable=True),
        sa.Column('owner_name', _s(200), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['item_id'], ['agendaitem.id']),
        sa.ForeignKeyConstraint(['owner_agency_id'], ['agency.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('meetingaction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meetingaction_item_id'), ['item_id'], unique=False)


def downgrade() -> None:
    for table, index in (('meetingaction', 'ix_meetingaction_item_id'), ('itemconflict', 'ix_itemconflict_item_id'),
                         ('agendaitem', 'ix_agendaitem_meeting_id'), ('meetingmember', 'ix_meetingmember_meeting_id'),
                         ('meeting', 'ix_meeting_partnership_date')):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(index if table == 'meeting' else batch_op.f(index))
        op.drop_table(table)

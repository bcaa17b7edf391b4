"""Actions agreed at a meeting are actions: every meetingaction row moves into action

An action agreed at a panel meeting is an action of the register like any other, with its agenda
item (action.meeting_item_id) and no recommendation, so it is listed, reminded and closed with
evidence of impact (docs/domain.md §6.3). Each row keeps its text, owner, agency (older rows may
have none) and due date; it joins its meeting's partnership, open, at version 1. The meetingaction
table goes. Downgrading moves them back (progress notes on them have nowhere to go and are dropped).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 09:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MEETING_ACTIONS = "meeting_item_id IS NOT NULL AND recommendation_id IS NULL"


def upgrade() -> None:
    op.execute(
        "INSERT INTO action (partnership_id, recommendation_id, meeting_item_id, owner_agency_id, owner_name,"
        " owner_email, text, due_on, status, version)"
        " SELECT meeting.partnership_id, NULL, meetingaction.item_id, meetingaction.owner_agency_id,"
        " meetingaction.owner_name, NULL, meetingaction.text, meetingaction.due_on, 'open', 1"
        " FROM meetingaction"
        " JOIN agendaitem ON agendaitem.id = meetingaction.item_id"
        " JOIN meeting ON meeting.id = agendaitem.meeting_id"
        " ORDER BY meetingaction.id")
    op.drop_index('ix_meetingaction_item_id', 'meetingaction')
    op.drop_table('meetingaction')


def downgrade() -> None:
    op.create_table(
        'meetingaction',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('owner_agency_id', sa.Integer(), nullable=True),
        sa.Column('owner_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['item_id'], ['agendaitem.id']),
        sa.ForeignKeyConstraint(['owner_agency_id'], ['agency.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_meetingaction_item_id', 'meetingaction', ['item_id'])
    op.execute(
        "INSERT INTO meetingaction (item_id, text, owner_agency_id, owner_name, due_on)"
        f" SELECT meeting_item_id, text, owner_agency_id, owner_name, due_on FROM action WHERE {MEETING_ACTIONS}"
        " ORDER BY id")
    op.execute(f"DELETE FROM actionnote WHERE action_id IN (SELECT id FROM action WHERE {MEETING_ACTIONS})")
    op.execute(f"DELETE FROM action WHERE {MEETING_ACTIONS}")

"""user.presentation_mode: the user's presentation-mode preference, kept in the database

A shared screen must never show a child's identifiers. The preference was held in the browser
session only, so a reload (or a page switch that dropped the sidebar widget's value) silently
turned it off. Stored on the user row, every run reads it, so it holds in every tab until the
user turns it off. Existing users start with it off.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 12:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A literal default ('0', which both engines read as false), not sa.false(): an expression
    # default makes SQLite's batch mode copy the whole table, and dropping the old `user` table
    # fails its foreign keys once any row refers to a user.
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("presentation_mode", sa.Boolean(), nullable=False,
                                   server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.drop_column("presentation_mode")

"""user.must_change_password: a temporary password is changed at the next sign-in

An administrator who sets someone's password knows it, so it is temporary: the account must
choose its own before anything else is shown. The administrator's action sets the flag; the
user's own change clears it. Existing users start without it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 15:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A literal default ('0'), not sa.false(): an expression default makes SQLite's batch mode
    # copy the table, which fails the foreign keys of rows that refer to users.
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                   server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.drop_column("must_change_password")

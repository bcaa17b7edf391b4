"""referral.care_leaver: the young person who died was a care leaver aged 18 to 24

Since Working Together 2023 the death of a care leaver up to and including age 24 is notified to
the Secretary of State and Ofsted; the referral records it so the screening criteria can call for
those notifications. Existing referrals are about children, so they start without it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 16:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A literal default ('0'), not sa.false(): an expression default makes SQLite's batch mode
    # copy the table, which fails the foreign keys of rows that refer to referrals.
    with op.batch_alter_table("referral") as batch:
        batch.add_column(sa.Column("care_leaver", sa.Boolean(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("referral") as batch:
        batch.drop_column("care_leaver")

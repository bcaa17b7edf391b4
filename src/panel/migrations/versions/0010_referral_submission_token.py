"""referral.submission_token: the one-time token of the form that made the referral

A double click on the referral form saved two referrals. Each form carries a token made when it
is drawn; the referral keeps it, and the unique index refuses a second referral with the same
token, so a repeated press answers with the first referral's reference. Nullable: referrals
made before, imported or made without a form have none (NULLs never clash).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 13:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("referral") as batch:
        batch.add_column(sa.Column("submission_token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch.create_index(batch.f("ix_referral_submission_token"), ["submission_token"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("referral") as batch:
        batch.drop_index(batch.f("ix_referral_submission_token"))
        batch.drop_column("submission_token")

"""agency.statutory and agency.active; partnership.local_authority_area

A real installation sets up its own agencies: which are the statutory safeguarding partners
(the local authority, the police and the integrated care board), and which are retired (kept
for the records that name them, no longer offered in forms). A partnership names the local
authority area it covers. Existing agencies start active and not marked statutory; existing
partnerships have no area until an administrator enters it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 14:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Literal defaults ('0', '1'), not sa.false()/sa.true(): an expression default makes SQLite's
    # batch mode copy the table, which fails the foreign keys of rows that refer to it.
    with op.batch_alter_table("agency") as batch:
        batch.add_column(sa.Column("statutory", sa.Boolean(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("active", sa.Boolean(), nullable=False, server_default="1"))
    with op.batch_alter_table("partnership") as batch:
        batch.add_column(sa.Column("local_authority_area", sqlmodel.sql.sqltypes.AutoString(length=200),
                                   nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("partnership") as batch:
        batch.drop_column("local_authority_area")
    with op.batch_alter_table("agency") as batch:
        batch.drop_column("active")
        batch.drop_column("statutory")

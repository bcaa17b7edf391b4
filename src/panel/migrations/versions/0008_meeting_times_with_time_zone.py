"""meeting.created_at and closed_at as timestamps with time zone, like every other instant

Migration 0006 created them as plain DateTime: on PostgreSQL that is `timestamp without time
zone`, which silently turns the aware UTC values the models write into the session's local time.
PostgreSQL only: SQLite stores both the same way, so there is nothing to change there. Without a
USING clause PostgreSQL reads the stored values in the session time zone, the zone they were
converted into when written.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 01:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (("created_at", False), ("closed_at", True))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, nullable in COLUMNS:
        op.alter_column("meeting", name, type_=sqlmodel.sql.sqltypes.UTCDateTime(),
                        existing_type=sa.DateTime(), existing_nullable=nullable)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, nullable in COLUMNS:
        op.alter_column("meeting", name, type_=sa.DateTime(),
                        existing_type=sqlmodel.sql.sqltypes.UTCDateTime(), existing_nullable=nullable)

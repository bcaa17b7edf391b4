"""sign-in idle expiry (user.last_seen_at); audit rows append-only at the database

The database itself refuses to UPDATE an audit row, and refuses to DELETE one unless the
one-row `audit_purge` control table is switched on inside the deleting transaction (only
`panel.core.audit.purge_before` does that; see docs/security.md).

SQLite keeps triggers with their table: a later batch migration that recreates `auditevent`
drops them, so such a migration must call `create_guards()` again.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 01:35:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE = [
    """CREATE TRIGGER audit_no_update BEFORE UPDATE ON auditevent
        BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END""",
    """CREATE TRIGGER audit_no_delete BEFORE DELETE ON auditevent
        WHEN NOT EXISTS (SELECT 1 FROM audit_purge WHERE id = 1 AND active)
        BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END""",
]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION audit_guard() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM audit_purge WHERE id = 1 AND active) THEN
                RETURN OLD;
            END IF;
            RAISE EXCEPTION 'audit rows are append-only';
        END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_guard BEFORE UPDATE OR DELETE ON auditevent
        FOR EACH ROW EXECUTE FUNCTION audit_guard()""",
    # TRUNCATE skips row triggers: refuse it too.
    """CREATE TRIGGER audit_guard_truncate BEFORE TRUNCATE ON auditevent
        FOR EACH STATEMENT EXECUTE FUNCTION audit_guard()""",
]


def create_guards() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE if dialect == "sqlite" else POSTGRES if dialect == "postgresql" else []:
        op.execute(statement)


def drop_guards() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_no_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_guard_truncate ON auditevent")
        op.execute("DROP TRIGGER IF EXISTS audit_guard ON auditevent")
        op.execute("DROP FUNCTION IF EXISTS audit_guard()")


def upgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    purge = op.create_table(
        'audit_purge',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.bulk_insert(purge, [{"id": 1, "active": False}])
    create_guards()


def downgrade() -> None:
    drop_guards()
    op.drop_table('audit_purge')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('last_seen_at')

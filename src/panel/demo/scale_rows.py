"""Scale demo: rows built as dicts with their ids handed out here, bulk-inserted table by table.

SQLite gets them straight through the driver's executemany (SQLAlchemy's per-row parameter
handling otherwise costs a third of the load); PostgreSQL through Core `insert()` executemany.
The full-text triggers (migration 0005) are dropped for the load and the index rebuilt once.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time

from sqlalchemy import func, insert, select, text, types
from sqlalchemy.engine import Connection
from sqlmodel.sql.sqltypes import UTCDateTime

BATCH = 5000
DRIVER_INSERTS = True  # SQLite: straight to the driver (see Rows); a test compares with Core
FTS_TABLES = ("finding", "recommendation", "action")


def at(day: date, hour: int = 12) -> datetime:
    """A fixed time on a day (never the clock): the same seed gives the same database."""
    return datetime.combine(day, time(hour), tzinfo=UTC)


class Ids:
    """Primary keys handed out here, so related rows can be built before anything is inserted."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self.next: dict[type, int] = {}

    def take(self, table) -> int:
        value = self.next.get(table)
        if value is None:
            value = (self.conn.execute(select(func.max(table.id))).scalar() or 0) + 1
        self.next[table] = value + 1
        return value


def _sqlite_date(value):
    return None if value is None else value.isoformat()


def _sqlite_datetime(value):  # as sqlmodel's UTCDateTime over SQLAlchemy's SQLite DATETIME
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_bool(value):
    return None if value is None else int(value)


def advance_sequences(conn: Connection, tables) -> None:
    """PostgreSQL: ids were given here, so move each table's id sequence past them (SQLite's
    rowid needs nothing), or the app's next insert would collide."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        following = conn.execute(select(func.coalesce(func.max(table.id), 0) + 1)).scalar()
        sequence = func.pg_get_serial_sequence(f'"{table.__tablename__}"', "id")
        conn.execute(select(func.setval(sequence, following, False)))


class Rows:
    """Rows waiting for a bulk insert, table by table, in foreign-key order.

    Every row names every column. On SQLite the rows go straight to the driver's executemany,
    converted as SQLAlchemy would store them (dates ISO, datetimes UTC 'YYYY-MM-DD HH:MM:SS.ffffff',
    booleans 0/1): a third of the load time otherwise goes on SQLAlchemy's per-row parameter
    handling. Elsewhere (PostgreSQL) they go through Core `insert()` executemany.
    A test checks both ways give the same database.
    """

    def __init__(self):
        self.by_table: dict[type, list[dict]] = {}
        self.counts: Counter[str] = Counter()

    def add(self, table, row: dict) -> dict:
        self.by_table.setdefault(table, []).append(row)
        return row

    def flush(self, conn: Connection) -> None:
        raw = conn.connection.driver_connection if conn.dialect.name == "sqlite" and DRIVER_INSERTS else None
        for table, rows in self.by_table.items():
            self.counts[table.__tablename__] += len(rows)
            if raw is None:
                for i in range(0, len(rows), BATCH):
                    conn.execute(insert(table.__table__), rows[i:i + BATCH])
                continue
            compiled = insert(table.__table__).compile(dialect=conn.dialect)  # "... VALUES (?, ?, ...)"
            columns = table.__table__.columns
            cols = [(n, _sqlite_converter(columns[n].type), _default(columns[n])) for n in compiled.positiontup]
            raw.cursor().executemany(str(compiled), [
                tuple(row.get(n, d) if f is None else f(row.get(n, d)) for n, f, d in cols) for row in rows])
        self.by_table = {}


def _default(column):
    """A column this module does not fill (added by a later migration) gets its default, as Core
    would give it."""
    default = column.default
    return default.arg if default is not None and default.is_scalar else None


def _sqlite_converter(type_):
    if isinstance(type_, UTCDateTime | types.DateTime):
        return _sqlite_datetime
    if isinstance(type_, types.Date):
        return _sqlite_date
    if isinstance(type_, types.Boolean):
        return _sqlite_bool
    return None


def drop_fts_triggers(conn: Connection) -> list[str]:
    if conn.dialect.name != "sqlite":
        return []  # PostgreSQL's GIN expression indexes follow the rows by themselves
    found = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type='trigger' AND tbl_name IN "
                              "('finding', 'recommendation', 'action') ORDER BY name")).all()
    for name, _ in found:
        conn.execute(text(f'DROP TRIGGER "{name}"'))
    return [sql for _, sql in found]


def restore_fts(conn: Connection, triggers: list[str]) -> None:
    if not triggers:
        return
    for table in FTS_TABLES:
        conn.execute(text(f"INSERT INTO {table}_fts({table}_fts) VALUES ('rebuild')"))  # noqa: S608 (constant names)
    for sql in triggers:
        conn.execute(text(sql))

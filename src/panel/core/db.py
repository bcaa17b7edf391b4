"""Engine and transactions. Every write goes through `transaction()`: one unit, all or nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from panel.core.config import get_settings
from panel.core.errors import ValidationFailed


def utcnow() -> datetime:
    """Aware UTC. SQLModel's UTCDateTime refuses naive values and hands UTC back on SQLite too."""
    return datetime.now(UTC)


def escape_like(text: str) -> str:
    """User text for a LIKE/ILIKE pattern written with escape="\\": % and _ match themselves.
    Shared by every search box that filters with LIKE, so none lets a typed % match anything."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=FULL")  # a commit survives power loss too (docs/reliability.md)
    cur.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "postgresql":
        event.listen(engine, "before_cursor_execute", _drop_nul, retval=True)
    return engine


def _no_nul(value):
    return value.replace("\x00", "") if isinstance(value, str) and "\x00" in value else value


def _drop_nul(conn, cursor, statement, parameters, context, executemany):
    """PostgreSQL text cannot hold NUL (SQLite's can), and a query that merely compares with one
    fails. No user text needs it: it is dropped from every string parameter on the way in."""
    if isinstance(parameters, dict):
        parameters = {k: _no_nul(v) for k, v in parameters.items()}
    elif isinstance(parameters, list | tuple):
        parameters = type(parameters)(
            {k: _no_nul(v) for k, v in p.items()} if isinstance(p, dict) else _no_nul(p) for p in parameters)
    return statement, parameters


def _check_lengths(session, _context, _instances) -> None:
    """String lengths the models declare, refused the same way on both engines (PostgreSQL
    enforces them, SQLite does not): a message keyed by the field, never a database error.
    A backstop for forms whose own checks miss a limit; the transaction rolls back."""
    errors = {}
    for obj in (*session.new, *session.dirty):
        for attr in inspect(obj).mapper.column_attrs:
            limit = getattr(attr.columns[0].type, "length", None)  # String, and SQLModel's AutoString
            value = getattr(obj, attr.key, None)
            if isinstance(limit, int) and isinstance(value, str) and len(value) > limit:
                errors[attr.key] = f"Keep this to {limit} characters (it has {len(value)})."
    if errors:
        raise ValidationFailed(errors)


@lru_cache(maxsize=8)
def _engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    return _engine_for(get_settings().database_url)


def dispose_engine(url: str) -> None:
    """Close the pooled connections to `url` (before a test drops or copies that database)."""
    _engine_for(url).dispose()


@contextmanager
def transaction() -> Iterator[Session]:
    """A session inside one transaction: committed on success, rolled back on any error."""
    with Session(get_engine(), expire_on_commit=False) as session:
        event.listen(session, "before_flush", _check_lengths)
        with session.begin():
            yield session


@contextmanager
def read_session() -> Iterator[Session]:
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session

"""Create or upgrade the database schema through Alembic, from code (no ini file needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from panel.core.config import get_settings

MIGRATIONS = Path(__file__).parent / "migrations"


def include_name(name, type_, parents) -> bool:
    """Full-text search objects (migration 0005: SQLite's FTS5 tables, PostgreSQL's tsvector
    indexes) are not models: autogenerate and the models-versus-migrations check leave them."""
    if type_ == "table" and "_fts" in (name or ""):
        return False
    return not (type_ == "index" and (name or "").endswith("_tsv"))


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url or get_settings().database_url)
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    settings = get_settings()
    url = url or settings.database_url
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)

"""Alembic, driven from Python: ``tremplin db upgrade`` and the automatic upgrade at start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from storage.sqlite_inline import private_database

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    """An Alembic configuration for this database, without any ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def _ensure_sqlite_folder(database_url: str) -> None:
    """The SQLite file (0600) and its folder (0700, when made here) before Alembic opens it."""
    prefix = "sqlite+aiosqlite:///"
    if database_url.startswith(prefix) and ":memory:" not in database_url:
        private_database(database_url[len(prefix):])


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply the migrations up to ``revision``. Synchronous: call it outside the event loop or in a thread."""
    _ensure_sqlite_folder(database_url)
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Undo the migrations down to ``revision``."""
    command.downgrade(alembic_config(database_url), revision)


def current(database_url: str) -> str | None:
    """The revision the database is at (None before the first migration); outside an event loop."""
    import asyncio

    return asyncio.run(current_revision(database_url))


def head_revision() -> str | None:
    """The newest revision this version of the code knows."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def known_revision(revision: str) -> bool:
    """True if ``revision`` is one of this version's migrations (False: the database is from a newer version)."""
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    try:
        return ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(revision) is not None
    except CommandError:
        return False


async def current_revision(database_url: str) -> str | None:
    """``current`` from inside an event loop (a SQLite file not there yet is made 0600, as ``upgrade`` does)."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy.ext.asyncio import create_async_engine

    _ensure_sqlite_folder(database_url)
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())
    finally:
        await engine.dispose()


def previous_revision(revision: str | None) -> str:
    """The revision just before ``revision`` (``base`` for the first): where a rollback of it goes."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(revision)
    down = script.down_revision if script is not None else None
    return down if isinstance(down, str) else "base"

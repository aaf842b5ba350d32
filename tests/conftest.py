"""Shared fixtures: a data key, and databases on SQLite and on the local PostgreSQL.

Migrating a database runs the whole Alembic chain, so each backend is migrated once per test session into a
template, and every test gets a copy of it: on SQLite a file copied with ``shutil.copy``; on PostgreSQL a
database made once with ``CREATE DATABASE ... TEMPLATE`` and emptied after each test for the next one
(``PgPool`` says why). The migrations themselves are tested on empty databases (``database_url``,
``pg_url``), up and down.

- both backends (ids ``[sqlite]`` and ``[postgresql]``, the second marked ``postgres``): ``db`` (a migrated
  ``Database``), ``db_url`` (its URL, for what opens it itself: the bot, the command line), ``database_url``
  (empty);
- one backend: ``sqlite_db``, ``sqlite_url`` (an empty file), ``pg_db``, ``pg_url`` (empty).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import asyncpg
import pytest
from alembic.script import ScriptDirectory

from bot.logs import CurrentStderr
from nlu.embedded import EmbeddedBackend
from storage import Database, crypto
from storage.migrate import alembic_config, upgrade
from storage.models import metadata

PG_ADMIN = os.environ.get("TREMPLIN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
SQLITE, POSTGRESQL = "sqlite", "postgresql"
# Test ids end in [sqlite] / [postgresql]; the PostgreSQL half is marked, so `-m "not postgres"` runs without it.
T = TypeVar("T")
BACKENDS = [SQLITE, pytest.param(POSTGRESQL, marks=pytest.mark.postgres)]


def _in_a_thread(work: Callable[[], T]) -> T:
    """Run ``work`` on a thread of its own, where it may run an event loop (``asyncio.run``, Alembic's env.py)
    whatever the calling thread is doing (a session fixture may be set up from inside a test's loop)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


@pytest.hookimpl(tryfirst=True)  # before `-m` selects on the marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that asks for a PostgreSQL database by name is marked ``postgres`` too, as the [postgresql]
    runs of the tests of both backends are: ``-m "not postgres"`` runs without the server."""
    for item in items:
        if {"pg_url", "pg_db"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(autouse=True, scope="session")
def data_key() -> Iterator[str]:
    """A throwaway encryption key for the whole run (never a real one), also as TREMPLIN_DATA_KEY for the commands
    run in-process: without it the first of them, whichever it is, made keys/data.key in the checkout and said so
    on its output (a test reading that output failed or not depending on the order the tests ran in). A test of
    the key's absence removes it (monkeypatch.delenv); the commands run as processes get only what a test gives
    them (tests/bot/test_cli.py::run)."""
    key = crypto.new_key()
    crypto.use_keys(key)
    previous = os.environ.get("TREMPLIN_DATA_KEY")
    os.environ["TREMPLIN_DATA_KEY"] = key
    yield key
    if previous is None:
        os.environ.pop("TREMPLIN_DATA_KEY", None)
    else:
        os.environ["TREMPLIN_DATA_KEY"] = previous


@pytest.fixture(autouse=True)
def the_run_key_after_each_test(data_key: str) -> Iterator[None]:
    """A test (or an in-process command: a key rotation, a scratch database) may install other keys: the run's key
    is put back after it, so that the next test writes and reads with the key it is given."""
    yield
    crypto.use_keys(data_key)


@pytest.fixture(autouse=True)
def no_logging_left_by_a_command() -> Iterator[None]:
    """A command run in-process (typer's CliRunner) sets up the process's logging for itself: what it installed
    is taken away after the test, so that later tests' threads do not log through it."""
    yield
    root = logging.getLogger()
    for handler in root.handlers[:]:
        if isinstance(getattr(handler, "stream", None), CurrentStderr):
            root.removeHandler(handler)
            root.setLevel(logging.WARNING)


# --- PostgreSQL: databases made once per session, handed to one test after another -------------------


def _pg_database_url(name: str) -> str:
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{name}"


async def _create_pg_database(template: str | None = None) -> str:
    name = f"tremplin_{uuid.uuid4().hex[:10]}"
    connection = await asyncpg.connect(PG_ADMIN)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    finally:
        await connection.close()
    return _pg_database_url(name)


async def _drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    connection = await asyncpg.connect(PG_ADMIN)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """The name of a PostgreSQL database migrated once for the session (nobody connects to it afterwards:
    PostgreSQL copies a template only while nobody is connected to it)."""
    url = _in_a_thread(lambda: asyncio.run(_create_pg_database()))
    try:
        _in_a_thread(lambda: upgrade(url))
        yield url.rsplit("/", 1)[1]
    finally:
        _in_a_thread(lambda: asyncio.run(_drop_pg_database(url)))


class PgPool:
    """PostgreSQL databases for the tests of a session: each test takes one, and gives it back as it found it.

    ``CREATE DATABASE`` takes 0.15 to 0.3 s here, and ``DROP DATABASE`` forces a checkpoint of the whole
    server: 0.1 to 1 s while other tests write. So a database is made once (a copy of the migrated template,
    or an empty one) and put back in its first state after each test, in milliseconds: a migrated copy
    emptied (DELETE from every table, sequences restarted: the migrations insert no rows), an empty one
    given a new ``public`` schema. One whose schema a test changed, or that cannot be reset (a transaction
    left open), is dropped instead; the others are dropped at the end of the session.
    """

    def __init__(self, template: str | None = None) -> None:
        self.template = template  # None: empty databases
        self.made: list[str] = []
        self.free: list[str] = []
        tables = [table.name for table in reversed(metadata.sorted_tables)]  # rows pointing at others first
        self._tables = set(tables) | {"alembic_version"}
        self._reset = "; ".join(
            [f'DELETE FROM "{name}"' for name in tables]
            + ["SELECT setval(format('%I.%I', schemaname, sequencename), start_value, false) FROM pg_sequences"
               " WHERE schemaname = current_schema()"]
        ) if template else (  # PostgreSQL 15's public schema, as CREATE DATABASE makes it
            "DROP SCHEMA public CASCADE; CREATE SCHEMA public AUTHORIZATION pg_database_owner; "
            "GRANT USAGE ON SCHEMA public TO PUBLIC")
        self._head = ScriptDirectory.from_config(alembic_config("")).get_current_head()

    async def take(self) -> str:
        if self.free:
            return self.free.pop()
        url = await _create_pg_database(template=self.template)
        self.made.append(url)
        connection = await asyncpg.connect(PG_ADMIN)
        try:
            # A throwaway database: commits need not wait for the disk (a tenth faster at rest, more while other
            # tests write); what a transaction sees and locks is the same.
            await connection.execute(f'ALTER DATABASE "{url.rsplit("/", 1)[1]}" SET synchronous_commit = off')
        finally:
            await connection.close()
        return url

    async def give_back(self, url: str) -> None:
        connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
        try:
            await connection.execute("SET lock_timeout = '5s'")
            if await self._as_made(connection):
                async with connection.transaction():
                    await connection.execute(self._reset)
                self.free.append(url)
                return
        except asyncpg.PostgresError:
            pass
        finally:
            await connection.close()
        self.made.remove(url)
        await _drop_pg_database(url)

    async def _as_made(self, connection: asyncpg.Connection) -> bool:
        """Whether the test left the schema as it was (only then is a reset enough)."""
        if self.template is None:
            return True
        tables = {row[0] for row in await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}
        return tables == self._tables and await connection.fetchval(
            "SELECT version_num FROM alembic_version") == self._head

    async def drop_all(self) -> None:
        for url in self.made:
            await _drop_pg_database(url)


@pytest.fixture(scope="session")
def pg_migrated(pg_template: str) -> Iterator[PgPool]:
    """Copies of the migrated PostgreSQL template (dropped at the end of the session)."""
    pool = PgPool(pg_template)
    yield pool
    _in_a_thread(lambda: asyncio.run(pool.drop_all()))


@pytest.fixture(scope="session")
def pg_empty() -> Iterator[PgPool]:
    """Empty PostgreSQL databases (dropped at the end of the session)."""
    pool = PgPool()
    yield pool
    _in_a_thread(lambda: asyncio.run(pool.drop_all()))


@contextlib.asynccontextmanager
async def _taken(pool: PgPool) -> AsyncIterator[str]:
    url = await pool.take()
    try:
        yield url
    finally:
        await pool.give_back(url)


@pytest.fixture
async def pg_url(pg_empty: PgPool) -> AsyncIterator[str]:
    """An empty PostgreSQL database, as fresh."""
    async with _taken(pg_empty) as url:
        yield url


@pytest.fixture
async def pg_db(pg_migrated: PgPool) -> AsyncIterator[Database]:
    """A migrated PostgreSQL database, as fresh (a copy of the session's template)."""
    async with _taken(pg_migrated) as url, _opened(url) as database:
        yield database


# --- SQLite: a file per test, empty or copied from the migrated template -------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once for the session, in one file (no WAL beside it) so that a copy is whole."""
    path = tmp_path_factory.mktemp("sqlite-template") / "tremplin.db"
    _in_a_thread(lambda: upgrade(f"sqlite+aiosqlite:///{path}"))
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA journal_mode=DELETE")  # folds the WAL back into the file
    return path


def _sqlite_copy(template: Path, folder: Path) -> str:
    path = folder / "migrated.db"
    shutil.copy(template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def sqlite_url(tmp_path: Path) -> str:
    """An empty SQLite file."""
    return f"sqlite+aiosqlite:///{tmp_path}/tremplin.db"


@pytest.fixture
async def sqlite_db(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated SQLite database (a copy of the session's template), for tests about SQLite alone."""
    async with _opened(_sqlite_copy(sqlite_template, tmp_path)) as database:
        yield database


@contextlib.asynccontextmanager
async def _opened(url: str) -> AsyncIterator[Database]:
    database = Database(url)
    try:
        yield database
    finally:
        await database.dispose()


# --- Both backends ---------------------------------------------------------------------------------
# The templates and pools are asked for inside, not as arguments: a run on SQLite alone never makes PostgreSQL's.


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The same test on SQLite and on PostgreSQL, schema empty (for the migrations' own tests)."""
    if request.param == SQLITE:
        yield f"sqlite+aiosqlite:///{tmp_path}/tremplin.db"
        return
    async with _taken(request.getfixturevalue("pg_empty")) as url:
        yield url


@pytest.fixture(params=BACKENDS)
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The same test on SQLite and on PostgreSQL: the URL of a migrated database, for what opens it itself
    (the bot, the command line); as fresh, a copy of the session's template."""
    if request.param == SQLITE:
        yield _sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path)
        return
    async with _taken(request.getfixturevalue("pg_migrated")) as url:
        yield url


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    """A migrated database: the same test on SQLite and on PostgreSQL (ids ``[sqlite]``, ``[postgresql]``)."""
    async with _opened(db_url) as database:
        yield database


@pytest.fixture(scope="session")
def nlu_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded NLU's cache folder for the run (what the CLI tests read too)."""
    return tmp_path_factory.mktemp("nlu-cache")


@pytest.fixture(scope="session")
def real_nlu(nlu_cache: Path) -> EmbeddedBackend:
    """The embedded NLU trained from nlu/data, once for the whole run: every test that reads messages as
    people write them (tests/dialogue, tests/nlu, the booking and card tests in words) shares it."""
    return EmbeddedBackend.load(cache_dir=nlu_cache)

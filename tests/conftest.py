"""Shared fixtures: a data key, and databases on SQLite and on the local PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from storage import Database, crypto
from storage.migrate import upgrade

PG_ADMIN = os.environ.get("TREMPLIN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(autouse=True, scope="session")
def data_key() -> Iterator[str]:
    """A throwaway encryption key for the whole run (never a real one)."""
    key = crypto.new_key()
    crypto.use_keys(key)
    yield key


async def _create_pg_database() -> str:
    name = f"tremplin_{uuid.uuid4().hex[:10]}"
    connection = await asyncpg.connect(PG_ADMIN)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{name}"


async def _drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    connection = await asyncpg.connect(PG_ADMIN)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture
async def sqlite_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    """An empty SQLite file."""
    return f"sqlite+aiosqlite:///{tmp_path}/tremplin.db"


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database, dropped afterwards."""
    url = await _create_pg_database()
    try:
        yield url
    finally:
        await _drop_pg_database(url)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request, tmp_path) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    """The same test on SQLite and on PostgreSQL, schema empty."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/tremplin.db"
    else:
        url = await _create_pg_database()
        try:
            yield url
        finally:
            await _drop_pg_database(url)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A migrated database on both backends."""
    await asyncio.to_thread(upgrade, database_url)
    database = Database(database_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def sqlite_db(sqlite_url: str) -> AsyncIterator[Database]:
    """A migrated SQLite database (for flow tests that need not run twice)."""
    await asyncio.to_thread(upgrade, sqlite_url)
    database = Database(sqlite_url)
    try:
        yield database
    finally:
        await database.dispose()

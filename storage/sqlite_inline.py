"""SQLite for SQLAlchemy's asyncio API without a driver thread: sqlite3 called inline.

aiosqlite runs every call (cursor, execute, fetch, close) on a thread of its own and hands the result
back to the event loop: three or four hand-offs a statement, about 80 µs of CPU each on these machines,
while SQLite answers one of our statements in a few microseconds (a local file, WAL, no fsync at commit
with ``synchronous=NORMAL``). Measured: 400 µs of CPU per statement through aiosqlite, under 100 µs
this way (bench/README.md).

So ``Database`` keeps SQLAlchemy's own aiosqlite dialect but gives it, through its documented
``async_creator`` hook, a connection with the coroutine methods it calls on an aiosqlite connection
(``InlineConnection``), each of which does its work at once with the standard ``sqlite3`` module: the
dialect ``await``s them as usual, they just never suspend.

What it costs: while a statement runs, the event loop waits for it. Our statements are short and our
own transactions queue on ``Database``'s lock rather than on SQLite's; another process writing at the
same moment (a ``tremplin`` command) makes the bot wait for it, up to the busy timeout. SQLite is the
embedded, one-process default; several processes go to PostgreSQL (asyncpg, asynchronous throughout).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
PRIVATE_FILE, PRIVATE_FOLDER = 0o600, 0o700


def private_folder(folder: Path) -> None:
    """Make ``folder`` (and its missing parents) readable by this user only; an existing one is left as it is."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):
            path.mkdir(PRIVATE_FOLDER)
            os.chmod(path, PRIVATE_FOLDER)  # whatever the umask


def private_database(database: str) -> None:
    """The SQLite file readable by this user only (0600) before SQLite opens it, whatever the umask.

    SQLite gives the ``-wal`` and ``-shm`` files it creates the database file's mode; those already there
    (and a database made before this) are brought to 0600 too. Folders made for it are 0700.
    """
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    private_folder(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))  # an empty file is a database
    for companion in (path, Path(database + "-wal"), Path(database + "-shm"), Path(database + "-journal")):
        try:
            if companion.stat().st_mode & 0o077:
                os.chmod(companion, PRIVATE_FILE)
        except FileNotFoundError:
            continue
        except PermissionError:
            log.warning("%s is readable by other users and is not ours to change: chmod 600 it", companion.name)


class InlineCursor:
    """A sqlite3 cursor with the coroutine methods of an aiosqlite cursor."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> InlineCursor:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> Sequence[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class InlineConnection:
    """A sqlite3 connection with the surface SQLAlchemy's aiosqlite dialect uses of an aiosqlite one."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection: sqlite3.Connection | None = connection  # None once closed, as in aiosqlite

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        return await self.cursor().execute(sql, parameters)

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def stop(self) -> None:
        """What the dialect calls to terminate a connection: closing it is all there is to do here."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def creator(database: str, *, timeout: float) -> Callable[[], Awaitable[InlineConnection]]:
    """The ``async_creator`` of ``create_async_engine`` for this SQLite file (or ``:memory:``)."""

    async def connect() -> InlineConnection:
        # isolation_level=None: we issue BEGIN ourselves (storage/db.py: every transaction BEGIN IMMEDIATE).
        # check_same_thread=False: every call comes from the event loop's thread, but the pool may close a
        # connection from the garbage collector's.
        return InlineConnection(sqlite3.connect(database, timeout=timeout, isolation_level=None,
                                                check_same_thread=False))

    return connect


class InlineSession:
    """A synchronous ORM ``Session`` behind the coroutine methods of ``AsyncSession`` our repositories use.

    Even with ``InlineConnection``, SQLAlchemy's asyncio layer runs every session call in a greenlet of its
    own and every driver call through a switch back to the event loop: about two thirds of the CPU of a
    short transaction (bench/README.md). Here the session and pysqlite are called directly, as the
    ``InlineConnection`` calls sqlite3: nothing suspends, so nothing needs a greenlet.

    A second session type on purpose (docs/architecture.md): the repository and flow tests run on both
    backends, and tests/storage/test_sessions.py keeps this class a faithful subset of ``AsyncSession``.
    """

    def __init__(self, session: Session) -> None:
        self.sync_session = session

    @property
    def bind(self) -> Any:
        return self.sync_session.bind

    @property
    def info(self) -> dict[Any, Any]:
        return self.sync_session.info

    @property
    def dirty(self) -> Any:
        return self.sync_session.dirty

    @property
    def identity_map(self) -> Any:
        return self.sync_session.identity_map

    def add(self, instance: object) -> None:
        self.sync_session.add(instance)

    def expunge(self, instance: object) -> None:
        self.sync_session.expunge(instance)

    async def execute(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        return self.sync_session.execute(statement, params, **kwargs)

    async def scalar(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        return self.sync_session.scalar(statement, params, **kwargs)

    async def scalars(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        return self.sync_session.scalars(statement, params, **kwargs)

    async def get(self, entity: Any, ident: Any, **kwargs: Any) -> Any:
        return self.sync_session.get(entity, ident, **kwargs)

    async def flush(self, objects: Any = None) -> None:
        self.sync_session.flush(objects)

    async def refresh(self, instance: object, attribute_names: Any = None) -> None:
        self.sync_session.refresh(instance, attribute_names)

    async def delete(self, instance: object) -> None:
        self.sync_session.delete(instance)

    async def connection(self) -> _InlineRunner:
        return _InlineRunner(self.sync_session.connection())

    @contextlib.asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[None]:
        with self.sync_session.begin_nested():
            yield


class _InlineRunner:
    """``AsyncConnection.run_sync`` on a synchronous connection."""

    def __init__(self, connection: Connection) -> None:
        self.sync_connection = connection

    async def run_sync(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return fn(self.sync_connection, *args, **kwargs)

    async def execute(self, statement: Any, params: Any = None) -> Any:
        return self.sync_connection.execute(statement, params)


def sync_engine(database: str, *, timeout: float) -> Engine:
    """A synchronous engine on this SQLite file, for ``InlineSession`` (same connection settings as ``creator``)."""
    return create_engine(
        URL.create("sqlite", database=database), hide_parameters=True,
        creator=lambda: sqlite3.connect(database, timeout=timeout, isolation_level=None, check_same_thread=False),
    )

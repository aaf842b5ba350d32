"""The database connection and the unit of work: one transaction, the repositories bound to it."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
from collections.abc import AsyncIterator, Iterable
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, make_url, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from storage import sqlite_inline
from storage.appointments import AppointmentsRepository
from storage.availability import AvailabilityRepository
from storage.base import ERASED
from storage.consents import ConsentsRepository
from storage.conversations import ConversationsRepository
from storage.employer_offers import EmployerOffersRepository
from storage.erasure import PersonalDataRepository
from storage.handoffs import HandoffsRepository
from storage.inbox import InboxRepository
from storage.message_log import MessageLogRepository
from storage.nudges import NudgesRepository
from storage.offer_alerts import OfferAlertsRepository
from storage.offer_searches import OfferSearchesRepository
from storage.outbox import OutboxRepository
from storage.outcomes import OutcomesRepository
from storage.people import PeopleRepository
from storage.report_events import ReportEventsRepository
from storage.report_figures import ReportFiguresRepository
from storage.staff import StaffRepository
from storage.stats import StatsRepository
from storage.structures import StructuresRepository
from storage.suggestions import SuggestionsRepository

log = logging.getLogger(__name__)

# The same lock as UnitOfWork.lock_person (class 1, the person's id), for the one row of this identity if any: the
# target list is evaluated for the rows the WHERE keeps only.
_LOCK_KNOWN = text("SELECT id, pg_advisory_xact_lock(1, id) FROM people "
                   "WHERE channel = :channel AND external_id = :external_id")


@enum.unique  # two jobs sharing a number would skip each other
class LeaderJob(enum.IntEnum):
    """The jobs that one process at a time runs (``UnitOfWork.try_leader_lock``): a number each, so that two
    different jobs never take each other for another process running them."""

    HOUSEKEEPING = 9  # bot/housekeeping.py
    NUDGES = 10  # flows/nudges/nudges.py
    OFFER_ALERTS = 11  # flows/suggestions/alerts.py
    OUTCOME_QUESTIONS = 12  # flows/outcomes/questions.py


class UnitOfWork:
    """One transaction and the repositories that work inside it."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def erased(self) -> bool:
        """Whether this transaction deleted someone's data (an erasure, a farewell sent): see ``forget_erased``."""
        return bool(self.session.info.get(ERASED))

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.session.bind.dialect.name

    @property
    def exclusive(self) -> bool:
        """Whether this transaction holds the whole database (SQLite: BEGIN IMMEDIATE, one writer): then
        nothing it reads can change before it ends, and a row needs no lock of its own to be read."""
        return self.dialect == "sqlite"

    async def lock_person(self, person_id: int) -> bool:
        """Handle one person's messages one at a time across processes (PostgreSQL advisory lock).

        Returns whether a lock was taken, i.e. whether what was read of the person before may have changed
        while waiting for it (then read it again). On SQLite every write transaction is already exclusive
        (BEGIN IMMEDIATE): nothing to take, and nothing read since the BEGIN can be stale.
        """
        if self.dialect == "postgresql":
            await self.session.execute(text("SELECT pg_advisory_xact_lock(1, :id)"), {"id": person_id})
            return True
        return False

    async def lock_known_person(self, channel: str, external_id: str) -> int | None:
        """``lock_person`` for the person of this channel identity, found and locked in one statement, before
        anything of theirs is read: what is read after it is current. Returns the id locked: None on SQLite
        (nothing to take, as for ``lock_person``) and for an identity nobody has yet."""
        if self.dialect != "postgresql":
            return None
        return await self.session.scalar(_LOCK_KNOWN, {"channel": channel, "external_id": external_id})

    async def try_leader_lock(self, job: LeaderJob) -> bool:
        """True in the one process that should run a once-only job now (PostgreSQL); always True on SQLite."""
        if self.dialect != "postgresql":
            return True
        return bool(await self.session.scalar(text("SELECT pg_try_advisory_xact_lock(2, :job)"), {"job": job}))

    @cached_property
    def people(self) -> PeopleRepository:
        return PeopleRepository(self.session)

    @cached_property
    def conversations(self) -> ConversationsRepository:
        return ConversationsRepository(self.session)

    @cached_property
    def inbox(self) -> InboxRepository:
        return InboxRepository(self.session)

    @cached_property
    def outbox(self) -> OutboxRepository:
        return OutboxRepository(self.session)

    @cached_property
    def messages(self) -> MessageLogRepository:
        return MessageLogRepository(self.session)

    @cached_property
    def consents(self) -> ConsentsRepository:
        return ConsentsRepository(self.session)

    @cached_property
    def stats(self) -> StatsRepository:
        return StatsRepository(self.session)

    @cached_property
    def report_events(self) -> ReportEventsRepository:
        return ReportEventsRepository(self.session)

    @cached_property
    def outcomes(self) -> OutcomesRepository:
        return OutcomesRepository(self.session)

    @cached_property
    def report_figures(self) -> ReportFiguresRepository:
        return ReportFiguresRepository(self.session)

    @cached_property
    def personal_data(self) -> PersonalDataRepository:
        return PersonalDataRepository(self.session)

    @cached_property
    def structures(self) -> StructuresRepository:
        return StructuresRepository(self.session)

    @cached_property
    def appointments(self) -> AppointmentsRepository:
        return AppointmentsRepository(self.session)

    @cached_property
    def suggestions(self) -> SuggestionsRepository:
        """Suggestions a person saved ("ça m'intéresse"); ``for_person`` feeds the hand-off summary."""
        return SuggestionsRepository(self.session)

    @cached_property
    def offer_alerts(self) -> OfferAlertsRepository:
        """"Préviens-moi": a person's alert for new live offers (flows/suggestions/alerts.py)."""
        return OfferAlertsRepository(self.session)

    @cached_property
    def offer_searches(self) -> OfferSearchesRepository:
        """Live offers searches cached by their criteria (flows/suggestions/live.py)."""
        return OfferSearchesRepository(self.session)

    @cached_property
    def nudges(self) -> NudgesRepository:
        """The log of inactivity nudges, and the search for people to nudge (flows/nudges/nudges.py)."""
        return NudgesRepository(self.session)

    @cached_property
    def availability(self) -> AvailabilityRepository:
        """The opening hours and absences a manager edits on the desk (storage/availability.py, web/)."""
        return AvailabilityRepository(self.session)

    @cached_property
    def employer_offers(self) -> EmployerOffersRepository:
        """The Département's employers' offers (storage/employer_offers.py)."""
        return EmployerOffersRepository(self.session)

    @cached_property
    def staff(self) -> StaffRepository:
        """The desk's sign-in links, sessions and the log of records opened (storage/staff.py, web/)."""
        return StaffRepository(self.session)

    @cached_property
    def handoffs(self) -> HandoffsRepository:
        """Hand-offs to advisors, and the messages sent about them (flows/handoff/, flows/advisors/)."""
        return HandoffsRepository(self.session)


class Database:
    """An async engine with the settings each backend needs, and transactions on it."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        # hide_parameters: SQL logs and database errors never carry the values (names, ids, texts).
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        database = make_url(url).database or ":memory:"
        if self.is_sqlite:
            sqlite_inline.private_database(database)  # 0600 files, 0700 folders (docs/privacy.md)
            # sqlite3 called inline rather than through aiosqlite's thread: storage/sqlite_inline.py says why.
            kwargs["async_creator"] = sqlite_inline.creator(database, timeout=30)
        else:
            # Not pool_pre_ping: with asyncpg it costs three round trips (BEGIN, a ping, ROLLBACK) at every
            # checkout, i.e. every transaction — a third of an update's round trips (bench/README.md). Only a
            # connection idle for a while is pinged (_ping_when_idle): the one a server restart may have cut.
            kwargs.update(pool_size=10, max_overflow=10)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if not self.is_sqlite:
            _ping_when_idle(self.engine.sync_engine)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
        self._statements = async_sessionmaker(self.engine.execution_options(isolation_level="AUTOCOMMIT"),
                                              expire_on_commit=False, autoflush=True)
        self._sync_engine: Engine | None = None
        if self.is_sqlite:
            _configure_sqlite(self.engine.sync_engine, database)
            # Transactions on SQLite go through a synchronous session, without the asyncio layer
            # (storage/sqlite_inline.py, InlineSession); the async engine serves migrations and health checks.
            self._sync_engine = sqlite_inline.sync_engine(database, timeout=30)
            _configure_sqlite(self._sync_engine, database)
            self._sync_sessions = sessionmaker(self._sync_engine, expire_on_commit=False, autoflush=True)
        # SQLite has one writer; queueing in-process avoids busy waits between our own tasks.
        self._write_lock = asyncio.Lock() if self.is_sqlite else None

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        """A unit of work: committed when the block ends, rolled back if it raises."""
        if self._write_lock is None:
            async with self._sessions() as session, session.begin():
                uow = UnitOfWork(session)
                yield uow
                await uow.stats.write_pending()  # last: its rows are locked until the commit
            return
        async with self._write_lock:
            # Nothing in here suspends but the caller's own awaits: a cancellation there rolls back and
            # closes like any exception.
            with self._sync_sessions() as session, session.begin():
                uow = UnitOfWork(sqlite_inline.InlineSession(session))  # type: ignore[arg-type]
                yield uow
                await uow.stats.write_pending()
            if uow.erased:
                self.forget_erased()

    @contextlib.asynccontextmanager
    async def single_statement(self) -> AsyncIterator[UnitOfWork]:
        """A unit of work for ONE statement. On PostgreSQL the server commits it by itself (autocommit): no BEGIN
        and no COMMIT, two round trips fewer, and the same durability (the statement is committed, and its WAL
        flushed, before it returns). On SQLite, a transaction. Two statements here would not be one atomic
        change: use ``transaction`` for that."""
        if self._write_lock is not None:
            async with self.transaction() as uow:
                yield uow
            return
        async with self._statements() as session:
            yield UnitOfWork(session)
            await session.commit()  # nothing left to commit on the server: the session's own bookkeeping

    def forget_erased(self) -> bool:
        """Empty SQLite's WAL into the file and truncate it (``wal_checkpoint(TRUNCATE)``), after an erasure.

        With ``secure_delete`` the file then holds zeros where the rows were; the WAL would otherwise keep
        the earlier versions of the pages (the person's rows) until the next checkpoint that restarts it,
        or the last connection's close, and a kill -9 leaves it on disk. Returns whether the WAL is empty:
        a reader in another process (a ``tremplin`` command) can hold it for a moment, then the next
        erasure or a clean stop empties it (logged). Nothing to do on PostgreSQL or in memory.
        """
        if self._sync_engine is None or ":memory:" in self.url:
            return True
        raw = self._sync_engine.raw_connection()
        try:
            cursor = raw.cursor()
            try:
                # Wait a little for another process's reader, not the 30 s of a write: the event loop waits too.
                cursor.execute("PRAGMA busy_timeout=2000")
                busy = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
                cursor.execute("PRAGMA busy_timeout=30000")
            finally:
                cursor.close()
        finally:
            raw.close()
        if busy:
            log.warning("erasure committed, but another process holds the SQLite WAL: emptied at next erasure or stop")
        return not busy

    def raw_file_traces(self, texts: Iterable[str]) -> list[tuple[str, str]]:
        """Where ``texts`` (a first name, a Telegram id) still appear in the bytes of the SQLite files, the
        database, its -wal and -shm, as a copy taken now would hold them: ``(file name, text)`` pairs.
        Empty on PostgreSQL (its files are the server's)."""
        database = make_url(self.url).database
        if not self.is_sqlite or not database or ":memory:" in database:
            return []
        found = []
        for suffix in ("", "-wal", "-shm"):
            path = Path(database + suffix)
            content = path.read_bytes() if path.exists() else b""
            found += [(path.name, text) for text in texts if text and text.encode("utf-8") in content]
        return found

    def connections_in_use(self) -> int:
        """Connections taken from the pools now, i.e. transactions open in this process (0 between them)."""
        pools = [self.engine.sync_engine.pool, *([self._sync_engine.pool] if self._sync_engine else [])]
        return sum(pool.checkedout() for pool in pools if isinstance(pool, QueuePool))

    async def dispose(self) -> None:
        """Close every connection."""
        await self.engine.dispose()
        if self._sync_engine is not None:
            self._sync_engine.dispose()


PING_AFTER_IDLE = 5.0  # seconds unused after which a pooled PostgreSQL connection is checked before use


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use only when it has been idle PING_AFTER_IDLE seconds (a busy connection
    was just used: a ping would only cost round trips). A dead one is replaced, as pool_pre_ping would (the pool
    tries again on DisconnectionError); one cut while busy fails its transaction, which is tried again (the
    inbox's retry, the outbox's), and SQLAlchemy then replaces every connection of the pool older than it."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE:
            return  # new, or just used
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                raise DisconnectionError(str(error)) from error
            raise


def _configure_sqlite(engine: Engine, database: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The connection leaves BEGIN to us (storage/sqlite_inline.py opens it with isolation_level=None)
        # so that every transaction starts IMMEDIATE (a writer at once): a reader that later writes would
        # otherwise fail with "database is locked" across processes.
        cursor = dbapi_connection.cursor()
        if ":memory:" not in database:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Deleted rows are overwritten with zeros, in the file and in the WAL frames that follow: an erasure
        # leaves no bytes of the person behind once the WAL is emptied (Database.transaction, forget_erased).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # On the DB-API connection itself: through exec_driver_sql, SQLAlchemy's execution machinery
        # (context, events, result) cost a third of an empty transaction (bench/README.md).
        cursor = connection.connection.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE")
        finally:
            cursor.close()

"""What keeps PostgreSQL, the production path, fast without weakening it (bench/README.md, issue 18): the day's
counters written at the commit (their row is not held for the rest of a transaction), a pooled connection checked
only after it has been idle, and the updates arriving together recorded in one statement, committed with it."""

from __future__ import annotations

import asyncio
import datetime as dt
from types import SimpleNamespace
from typing import Any

import asyncpg
import pytest

import storage.db
from bot.telegram_channel import TelegramChannel
from storage import Database

DAY = dt.date(2026, 12, 1)
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


async def test_counts_are_written_at_the_commit_and_not_when_rolled_back(db: Database) -> None:
    async with db.transaction() as uow:
        await uow.stats.bump("consents_given", DAY)
        await uow.stats.bump("consents_given", DAY)
        await uow.stats.bump("exports", DAY)
        assert await uow.stats.totals() == {"consents_given": 2, "exports": 1}  # its own counts, already
    with pytest.raises(RuntimeError):
        async with db.transaction() as uow:
            await uow.stats.bump("exports", DAY)
            raise RuntimeError("rolled back")
    async with db.transaction() as uow:
        assert await uow.stats.totals() == {"consents_given": 2, "exports": 1}


@pytest.mark.postgres
async def test_a_count_does_not_hold_its_row_for_the_rest_of_the_transaction(pg_db: Database) -> None:
    # Every conversation counts in the same few rows: one still at work after counting must not make the
    # others wait for its commit (they did, and the throughput fell by half under load).
    first_counted, others_done = asyncio.Event(), asyncio.Event()

    async def long_transaction() -> None:
        async with pg_db.transaction() as uow:
            await uow.stats.bump("conversations_started", DAY)
            first_counted.set()
            await others_done.wait()

    async def short_one() -> None:
        async with pg_db.transaction() as uow:
            await uow.stats.bump("conversations_started", DAY)

    holding = asyncio.create_task(long_transaction())
    await first_counted.wait()
    await asyncio.wait_for(asyncio.gather(*(short_one() for _ in range(3))), timeout=20)
    others_done.set()
    await holding
    async with pg_db.transaction() as uow:
        assert await uow.stats.totals() == {"conversations_started": 4}


@pytest.mark.postgres
async def test_an_idle_connection_cut_by_the_server_is_replaced_before_use(
    pg_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with pg_db.transaction() as uow:  # one connection in the pool, idle from now on
        backend = await uow.session.scalar(storage.db.text("SELECT pg_backend_pid()"))
    admin = await asyncpg.connect(pg_db.url.replace("postgresql+asyncpg://", "postgresql://"))
    try:  # a server restart, for this connection
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", backend)
    finally:
        await admin.close()
    monkeypatch.setattr(storage.db, "PING_AFTER_IDLE", 0.0)  # it has been idle long enough
    async with pg_db.transaction() as uow:
        assert await uow.session.scalar(storage.db.text("SELECT pg_backend_pid()")) != backend


def _message(update_id: int, chat: int) -> dict[str, Any]:
    return {"update_id": update_id, "message": {"message_id": 1, "date": 0, "text": "salut",
                                                "chat": {"id": chat, "type": "private"},
                                                "from": {"id": chat, "is_bot": False, "first_name": "A"}}}


async def test_updates_arriving_together_are_recorded_in_one_statement(db: Database) -> None:
    clock = SimpleNamespace(now=lambda: NOW)
    channel = TelegramChannel(db, SimpleNamespace(world=SimpleNamespace(clock=clock)),  # type: ignore[arg-type]
                              delivery=None, sender=None, bot_username="tremplin_test_bot")  # type: ignore[arg-type]
    queued: list[int] = []
    channel.dispatch = lambda inbox_id, update: queued.append(update["update_id"])  # type: ignore[method-assign]
    opened = 0
    statement = db.single_statement

    def counted() -> Any:
        nonlocal opened
        opened += 1
        return statement()

    db.single_statement = counted  # type: ignore[method-assign]
    updates = [_message(900 + n, 4000 + n) for n in range(20)]
    # 20 webhook requests at once, and one of them delivered twice at the same moment.
    counts = await asyncio.gather(*(channel.receive([u]) for u in updates), channel.receive([updates[3]]))
    assert counts == [1] * 20 + [0]
    assert queued == [u["update_id"] for u in updates]  # once each, in the order they came
    assert opened == 1  # one statement (PostgreSQL: committed by itself, no BEGIN nor COMMIT)
    assert await channel.receive([updates[5]]) == 0  # a redelivery later: recorded already
    db.single_statement = statement  # type: ignore[method-assign]
    async with db.transaction() as uow:
        assert len(await uow.inbox.pending("telegram")) == 20


async def test_a_single_statement_is_committed_by_itself(db: Database) -> None:
    async with db.single_statement() as uow:
        recorded = await uow.inbox.record_many("telegram", [(77, None), (78, None)], NOW)
    assert sorted(recorded) == [77, 78]
    async with db.transaction() as uow:  # seen by the next transaction: committed
        assert len(await uow.inbox.pending("telegram")) == 2


@pytest.mark.postgres
async def test_a_known_persons_update_is_read_in_two_statements_after_the_begin(pg_db: Database) -> None:
    # Their lock taken by their identity, then the person, their conversation and the update's status in one
    # statement: no row lock on the update, no second read after the lock (they were four round trips).
    from flows.engine.events import COMMAND, Event, PersonRef
    from tests.kit import make_harness

    harness = make_harness(pg_db)
    ines = PersonRef("test", "ines", "ines")
    await harness.engine.handle(Event(ines, COMMAND, text="/start", command="start", key="tg:1"))
    async with pg_db.transaction() as uow:
        inbox_id = await uow.inbox.record("telegram", 2, {"update_id": 2}, NOW)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    storage.db.event.listen(pg_db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        await harness.engine.handle(Event(ines, COMMAND, text="/aide", command="aide", key="tg:2", inbox_id=inbox_id))
    finally:
        storage.db.event.remove(pg_db.engine.sync_engine, "before_cursor_execute", seen)
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 2, reads
    assert "pg_advisory_xact_lock" in reads[0] and "FOR UPDATE" not in " ".join(statements)


@pytest.mark.postgres
async def test_a_once_only_job_running_does_not_stop_another(pg_db: Database) -> None:
    # The outcome questions and the offer alerts shared a lock number: one running made the other skip its round.
    for job in storage.db.LeaderJob:
        async with pg_db.transaction() as running, pg_db.transaction() as other_process:
            assert await running.try_leader_lock(job)
            assert not await other_process.try_leader_lock(job)
            assert all([await other_process.try_leader_lock(j) for j in storage.db.LeaderJob if j != job])


@pytest.mark.postgres
async def test_someone_found_other_than_the_one_locked_is_locked_and_read_again(
    pg_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Erased and made again by another process between the lock and the read (another id): their own lock is
    # taken, then they and the update's status are read again.
    from flows.engine.events import COMMAND, Event, PersonRef
    from tests.kit import make_harness

    harness = make_harness(pg_db)
    ines = PersonRef("test", "ines", "ines")
    await harness.engine.handle(Event(ines, COMMAND, text="/start", command="start", key="tg:1"))
    async with pg_db.transaction() as uow:
        inbox_id = await uow.inbox.record("telegram", 2, {"update_id": 2}, NOW)
        ines_id = (await uow.people.find("test", "ines")).id  # type: ignore[union-attr]

    async def someone_else(_uow: object, _channel: str, _external_id: str) -> int:
        return -1

    locked: list[int] = []
    lock_person = storage.db.UnitOfWork.lock_person

    async def spied(uow: storage.db.UnitOfWork, person_id: int) -> bool:
        locked.append(person_id)
        return await lock_person(uow, person_id)

    monkeypatch.setattr(storage.db.UnitOfWork, "lock_known_person", someone_else)
    monkeypatch.setattr(storage.db.UnitOfWork, "lock_person", spied)
    event = Event(ines, COMMAND, text="/aide", command="aide", key="tg:2", inbox_id=inbox_id)
    assert (await harness.engine.handle(event)).outbox_ids
    assert locked == [ines_id]
    assert not (await harness.engine.handle(event)).outbox_ids  # done: not a second time

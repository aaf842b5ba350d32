"""Core storage, the same tests on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import inspect, text

from storage import Database
from storage.migrate import downgrade, upgrade
from storage.outbox import CANCELLED, NUDGE, PENDING, SENDING, SENT

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


async def test_migrations_run_up_down_and_up_again(database_url: str) -> None:
    await asyncio.to_thread(upgrade, database_url)
    await asyncio.to_thread(downgrade, database_url, "base")
    database = Database(database_url)
    async with database.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
    assert set(tables) <= {"alembic_version"}
    await asyncio.to_thread(upgrade, database_url)
    async with database.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
    await database.dispose()
    assert {"people", "conversations", "inbox", "outbox", "message_log"} <= set(tables)


async def test_people_are_found_or_created_once(db: Database) -> None:
    async with db.transaction() as uow:
        first = await uow.people.find_or_create("telegram", "42", "42", NOW)
        again = await uow.people.find_or_create("telegram", "42", "42", NOW)
        await uow.people.update(first, first_name="Inès", obstacles=["logement"])
    assert first.id == again.id
    async with db.transaction() as uow:
        person = await uow.people.find("telegram", "42")
    assert (person.first_name, person.obstacles) == ("Inès", ["logement"])


async def test_conversation_state_survives_in_place_changes(db: Database) -> None:
    async with db.transaction() as uow:
        person = await uow.people.find_or_create("telegram", "7", "7", NOW)
        conversation = await uow.conversations.load(person.id, NOW)
        conversation.step = "onboarding.age"
        conversation.data["editing"] = True
        conversation.stack.append("home")
        await uow.conversations.save(conversation)
    async with db.transaction() as uow:
        loaded = await uow.conversations.load(person.id, NOW)
    assert (loaded.step, loaded.data, loaded.stack) == ("onboarding.age", {"editing": True}, ["home"])


async def test_the_engine_reads_a_person_their_conversation_and_a_pause_at_once(db: Database) -> None:
    async with db.transaction() as uow:
        first = await uow.conversations.open("telegram", "8", "8", NOW)  # first contact: created
        first.conversation.step = "onboarding.start"
        await uow.conversations.save(first.conversation)
    async with db.transaction() as uow:
        again = await uow.conversations.open("telegram", "8", "8", NOW)
        assert (again.person.id, again.conversation.step, again.paused) == (first.person.id, "onboarding.start", False)
        handoff = await uow.handoffs.open(person_id=again.person.id, structure_id=None, reason="asked", urgent=False,
                                          now=NOW)
        handoff.paused_by, handoff.paused_until = 1, NOW + dt.timedelta(hours=1)
    async with db.transaction() as uow:
        assert (await uow.conversations.open("telegram", "8", "8", NOW)).paused


async def test_only_what_changed_is_written_back(db: Database) -> None:
    async with db.transaction() as uow:
        person = await uow.people.find_or_create("telegram", "9", "9", NOW)
        conversation = await uow.conversations.load(person.id, NOW)
        conversation.data["a"] = 1
        await uow.conversations.save(conversation)
    # Two turns on the same conversation (an advisor's action, the person's own turn): each writes only
    # the columns it changed, so neither undoes the other.
    async with db.transaction() as uow:
        mine = await uow.conversations.load(person.id, NOW)
    async with db.transaction() as uow:
        theirs = await uow.conversations.load(person.id, NOW)
        theirs.step = "home"
        await uow.conversations.save(theirs)
    async with db.transaction() as uow:
        mine.data["b"] = 2
        await uow.conversations.save(mine)
    async with db.transaction() as uow:
        loaded = await uow.conversations.load(person.id, NOW)
    assert (loaded.step, loaded.data) == ("home", {"a": 1, "b": 2})


async def test_a_persons_changes_are_written_by_explicit_updates(db: Database) -> None:
    later = NOW + dt.timedelta(hours=2)
    async with db.transaction() as uow:
        person = await uow.people.find_or_create("telegram", "10", "10", NOW)
        uow.people.seen(person, later)
        await uow.people.update(person, age=19)  # writes last_seen_at with it
        assert (person.age, person.last_seen_at) == (19, later)
        assert not uow.session.dirty, "nothing left for the ORM to write a second time"
        await uow.consents.record(person, given=True, notice_version="v1", now=NOW)
        assert person.consent_at == NOW and not uow.session.dirty
    async with db.transaction() as uow:
        stored = await uow.people.get(person.id)
        assert (stored.age, stored.last_seen_at, stored.consent_version) == (19, later, "v1")
        uow.people.seen(stored, later + dt.timedelta(hours=1))
        await uow.people.save(stored)  # no change of the profile: written on its own
    async with db.transaction() as uow:
        assert (await uow.people.get(person.id)).last_seen_at == later + dt.timedelta(hours=1)


async def test_an_update_is_recorded_once(db: Database) -> None:
    async with db.transaction() as uow:
        first = await uow.inbox.record("telegram", 1001, {"message": {"text": "salut"}}, NOW)
        second = await uow.inbox.record("telegram", 1001, {"message": {"text": "salut"}}, NOW)
        pending = await uow.inbox.pending("telegram")
    assert first is not None and second is None
    assert [u.payload for u in pending] == [{"message": {"text": "salut"}}]
    async with db.transaction() as uow:
        await uow.inbox.mark_done(first, None, NOW)
        assert await uow.inbox.pending("telegram") == []
        done = await uow.inbox.get(first)
    assert done.payload is None and done.status == "done"


async def test_outbox_is_idempotent_by_key_and_claimed_once(db: Database) -> None:
    async with db.transaction() as uow:
        ids = [
            await uow.outbox.add(key=f"k{i}", channel="telegram", chat_id="1", kind="reply",
                                 payload={"text": f"m{i}"}, due_at=NOW, now=NOW)
            for i in range(3)
        ]
        duplicate = await uow.outbox.add(key="k0", channel="telegram", chat_id="1", kind="reply",
                                         payload={"text": "again"}, due_at=NOW, now=NOW)
        later = await uow.outbox.add(key="later", channel="telegram", chat_id="1", kind="nudge",
                                     payload={"text": "plus tard"}, due_at=NOW + dt.timedelta(hours=1), now=NOW)
    assert duplicate is None and None not in ids
    async with db.transaction() as uow:
        claimed = await uow.outbox.claim_due(NOW, 10, ["telegram"])
    assert [m.id for m in claimed] == ids
    assert [m.payload["text"] for m in claimed] == ["m0", "m1", "m2"]
    async with db.transaction() as uow:
        assert await uow.outbox.claim_due(NOW, 10, ["telegram"]) == []
        await uow.outbox.mark_sent(ids[0], NOW, "555")
        released = await uow.outbox.release_stale(NOW + dt.timedelta(minutes=5))
        statuses = await uow.outbox.count_by_status()
    assert released == 2
    assert statuses == {SENT: 1, PENDING: 3}
    async with db.transaction() as uow:
        cancelled = await uow.outbox.cancel_pending(categories=[NUDGE])
        assert cancelled == 0  # the planned message is "essential" by default
        await uow.outbox.cancel_pending(kinds=["nudge"])
        row = await uow.outbox.get(later)
    assert row.status == CANCELLED


async def test_free_text_is_encrypted_at_rest(db: Database) -> None:
    async with db.transaction() as uow:
        person = await uow.people.find_or_create("telegram", "9", "9", NOW)
        await uow.messages.add(person.id, "in", "je dors chez une amie", "social_support", NOW)
        await uow.outbox.add(key="x", channel="telegram", chat_id="9", kind="reply",
                             payload={"text": "Bonjour Inès"}, due_at=NOW, now=NOW)
    async with db.transaction() as uow:
        stored = (await uow.session.execute(text("SELECT text FROM message_log"))).scalar_one()
        queued = (await uow.session.execute(text("SELECT payload FROM outbox"))).scalar_one()
        logged = await uow.messages.last(person.id, 5)
    assert "amie" not in stored and "Inès" not in queued
    assert [m.text for m in logged] == ["je dors chez une amie"]


async def test_claiming_on_postgresql_skips_rows_locked_by_another_process(pg_url: str) -> None:
    await asyncio.to_thread(upgrade, pg_url)
    one, two = Database(pg_url), Database(pg_url)
    try:
        async with one.transaction() as uow:
            for i in range(20):
                await uow.outbox.add(key=f"k{i}", channel="telegram", chat_id=str(i), kind="reply",
                                     payload={"text": "x"}, due_at=NOW, now=NOW)
        async with one.transaction() as first:
            mine = await first.outbox.claim_due(NOW, 10, ["telegram"])
            async with two.transaction() as second:  # runs while the first still holds its row locks
                theirs = await second.outbox.claim_due(NOW, 20, ["telegram"])
        assert len(mine) == 10 and len(theirs) == 10
        assert not {m.id for m in mine} & {m.id for m in theirs}
        async with one.transaction() as uow:
            assert (await uow.outbox.count_by_status()) == {SENDING: 20}
    finally:
        await one.dispose()
        await two.dispose()


@pytest.mark.parametrize("run", ["first", "second"])
async def test_every_test_gets_a_migrated_database_as_fresh(db: Database, run: str) -> None:
    """tests/conftest.py: copies of a template (PostgreSQL: emptied and handed out again), never a used one."""
    async with db.transaction() as uow:
        assert await uow.outbox.count_by_status() == {}
        assert await uow.people.find("test", "fresh") is None
        person = await uow.people.find_or_create("test", "fresh", "fresh", NOW)
        assert person.id == 1, "identities start again at 1"
        await uow.outbox.add(key=f"fresh:{run}", channel="test", chat_id="fresh", kind="reply", payload={},
                             due_at=NOW, now=NOW, person_id=person.id)


@pytest.mark.parametrize("run", ["first", "second"])
async def test_every_migration_test_gets_an_empty_database(database_url: str, run: str) -> None:
    """tests/conftest.py: an empty database (PostgreSQL: a new public schema), whatever the test before left."""
    database = Database(database_url)
    try:
        async with database.engine.begin() as connection:
            assert await connection.run_sync(lambda c: inspect(c).get_table_names()) == []
            await connection.execute(text(f"CREATE TABLE left_by_{run} (id INTEGER)"))
    finally:
        await database.dispose()

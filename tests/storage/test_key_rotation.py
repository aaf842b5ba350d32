"""Key rotation: the old key reads until the rotation; afterwards it can go and everything still reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Text, select, type_coerce

from storage import Database, crypto
from storage.erasure import encrypted_columns
from storage.inbox import InboxUpdate
from storage.key_rotation import rotate_all, unreadable_with
from storage.message_log import LoggedMessage
from storage.outbox import OutboxMessage

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def keys(data_key: str) -> Iterator[tuple[str, str]]:
    """An old and a new key; the session's key is put back afterwards."""
    old, new = crypto.new_key(), crypto.new_key()
    crypto.use_keys(old)
    yield old, new
    crypto.use_keys(data_key)


async def _raw(db: Database) -> list[str]:
    async with db.transaction() as uow:
        found = []
        for _table, column in encrypted_columns():
            found += [v for v in await uow.session.scalars(select(type_coerce(column, Text))) if v is not None]
        return found


async def _read_everything(db: Database) -> tuple[list[str], list[object], list[object]]:
    async with db.transaction() as uow:
        texts = [m.text for m in await uow.session.scalars(select(LoggedMessage).order_by(LoggedMessage.id))]
        queued = [m.payload for m in await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
        updates = [u.payload for u in await uow.session.scalars(select(InboxUpdate).order_by(InboxUpdate.id))]
    return texts, queued, updates


async def test_rotation_then_the_old_key_can_be_dropped(db: Database, keys: tuple[str, str]) -> None:
    old, new = keys
    async with db.transaction() as uow:  # written with the old key only
        person = await uow.people.find_or_create("telegram", "7301234567", "7301234567", NOW)
        for i in range(7):
            await uow.messages.add(person.id, "in", f"message {i} : je dors chez une amie", None, NOW)
        await uow.outbox.add(key="k1", channel="telegram", chat_id="7301234567", kind="reply",
                             payload={"text": "Salut Inès"}, due_at=NOW, now=NOW, person_id=person.id)
        await uow.inbox.record("telegram", 1, {"message": {"text": "bonjour"}}, NOW)
    before = await _raw(db)
    expected = await _read_everything(db)

    crypto.use_keys([new, old])  # step 1: the new key in front; the old one still reads
    assert await _read_everything(db) == expected
    async with db.transaction() as uow:  # new writes use the new key at once
        await uow.messages.add(person.id, "in", "écrit après le changement de clé", None, NOW)
    assert sum((await unreadable_with(db, new)).values()) == 9  # what the old key wrote

    report = await rotate_all(db, batch_size=3)  # step 2: re-encrypt (in small batches, to cross batch edges)
    assert report.rotated["message_log.text"] == 8
    assert report.rotated["outbox.payload"] == 1 and report.rotated["inbox.payload"] == 1
    after = await _raw(db)
    assert not set(before) & set(after)
    assert set((await unreadable_with(db, new)).values()) == {0}

    crypto.use_keys(new)  # step 3: the old key is gone
    texts, queued, updates = await _read_everything(db)
    assert texts == [*expected[0], "écrit après le changement de clé"]
    assert (queued, updates) == expected[1:]

    crypto.use_keys(old)  # and the old key alone no longer reads anything
    with pytest.raises(crypto.DataKeyError):
        await _read_everything(db)


async def test_rotation_is_resumable(db: Database, keys: tuple[str, str]) -> None:
    old, new = keys
    async with db.transaction() as uow:
        person = await uow.people.find_or_create("telegram", "7301234567", "7301234567", NOW)
        await uow.messages.add(person.id, "in", "un texte", None, NOW)
    crypto.use_keys([new, old])
    await rotate_all(db)
    await rotate_all(db)  # a second run (after a stop half-way) is harmless
    crypto.use_keys(new)
    texts, _, _ = await _read_everything(db)
    assert texts == ["un texte"]

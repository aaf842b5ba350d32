"""The ids of every piece of a message sent in several (storage/outbox.py ``sent_as``), on both backends."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from storage import Database
from storage.outbox import OutboxMessage, sent_as

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


async def test_a_message_is_found_by_any_of_its_pieces_and_by_no_other_id(db: Database) -> None:
    """Before: only the recorded id (the last piece) found the row; now every piece does, and only them."""
    async with db.transaction() as uow:
        ids = [await uow.outbox.add(key=f"k{i}", channel="telegram", chat_id="7", kind="handoff",
                                    payload={"text": "…"}, due_at=NOW, now=NOW) for i in range(3)]
        rows = {row.id: row for row in await uow.outbox.claim(ids, NOW, ["telegram"])}
        await uow.outbox.mark_sent_many([(rows[ids[0]], "14"), (rows[ids[1]], "20")], NOW, {ids[0]: ("11", "14")})
        await uow.outbox.mark_sent(ids[2], NOW, "31", ("30", "31"))

    async def found(external_id: str) -> list[int]:
        async with db.transaction() as uow:
            return list(await uow.session.scalars(select(OutboxMessage.id).where(sent_as(external_id))))

    assert await found("11") == [ids[0]] and await found("14") == [ids[0]]
    assert await found("20") == [ids[1]]
    assert await found("30") == [ids[2]] and await found("31") == [ids[2]]
    assert await found("1") == [] and await found("4") == [] and await found("%") == []
    async with db.transaction() as uow:
        assert (await uow.outbox.get(ids[1])).piece_ids is None  # one piece: nothing more kept

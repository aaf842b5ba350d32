"""storage/nudges.py's counts for ``tremplin nudges status``, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

from storage import Database
from storage.outbox import APPOINTMENT, CANCELLED, ESSENTIAL, NUDGE, SENT

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


async def test_outbox_counts_are_reminders_and_nudges_by_kind_and_status(db: Database) -> None:
    async with db.transaction() as uow:
        assert await uow.nudges.outbox_counts() == []
        planned = [("nudge", NUDGE, SENT), ("nudge", NUDGE, SENT), ("nudge", NUDGE, CANCELLED),
                   ("day_before", APPOINTMENT, SENT), ("reply", ESSENTIAL, SENT)]
        for i, (kind, category, status) in enumerate(planned):
            message_id = await uow.outbox.add(key=f"k{i}", channel="test", chat_id="c", kind=kind, category=category,
                                              payload={"text": "…"}, due_at=NOW, now=NOW)
            assert message_id is not None
            await uow.outbox.mark_final(message_id, status)
        assert await uow.nudges.outbox_counts() == [("day_before", SENT, 1), ("nudge", CANCELLED, 1),
                                                    ("nudge", SENT, 2)]

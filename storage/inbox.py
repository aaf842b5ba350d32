"""The inbox: every incoming update, recorded before it is handled, so a crash loses nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, Integer, String, UniqueConstraint, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UtcDateTime
from storage.crypto import EncryptedJSON

PENDING, DONE, FAILED = "pending", "done", "failed"


class InboxUpdate(Base):
    """One update from a channel. The raw payload is encrypted and dropped once handled."""

    __tablename__ = "inbox"
    __table_args__ = (UniqueConstraint("source", "update_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    update_id: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[Any] = mapped_column(EncryptedJSON, nullable=True)
    person_id: Mapped[int | None] = mapped_column(Integer, index=True)  # set once handled, for erasure
    status: Mapped[str] = mapped_column(String(8), default=PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    processed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class InboxRepository:
    """Every statement about ``inbox``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, source: str, update_id: int, payload: Any, now: dt.datetime) -> int | None:
        """Store a new update; None when this update id was already recorded (a redelivery)."""
        insert = pg_insert if self.session.bind.dialect.name == "postgresql" else sqlite_insert
        statement = (
            insert(InboxUpdate)
            .values(source=source, update_id=update_id, payload=payload, status=PENDING, attempts=0,
                    received_at=now)
            .on_conflict_do_nothing(index_elements=["source", "update_id"])
            .returning(InboxUpdate.id)
        )
        return await self.session.scalar(statement)

    async def record_many(self, source: str, updates: Sequence[tuple[int, Any]], now: dt.datetime) -> dict[int, int]:
        """Store a batch of updates (update id, payload) in one statement; returns update id → inbox id
        for those that are new (an update id already recorded, a redelivery, is left out)."""
        if not updates:
            return {}
        insert = pg_insert if self.session.bind.dialect.name == "postgresql" else sqlite_insert
        table = InboxUpdate.__table__
        statement = (
            insert(table)
            .values([{"source": source, "update_id": update_id, "payload": payload, "status": PENDING, "attempts": 0,
                      "received_at": now} for update_id, payload in updates])
            .on_conflict_do_nothing(index_elements=["source", "update_id"])
            .returning(table.c.update_id, table.c.id)
        )
        return {update_id: inbox_id for update_id, inbox_id in await self.session.execute(statement)}

    async def get(self, inbox_id: int) -> InboxUpdate | None:
        """One recorded update."""
        return await self.session.get(InboxUpdate, inbox_id)

    async def lock_pending(self, inbox_id: int) -> bool:
        """Whether this update still waits to be handled, holding its row until the transaction ends.

        A second process (or a replay after a crash) that reaches the same update waits here, then sees
        it done: an update never has two effects.
        """
        table = InboxUpdate.__table__  # plain SQL on the table: no ORM object is wanted here
        query = select(table.c.status).where(table.c.id == inbox_id)
        if self.session.bind.dialect.name == "postgresql":
            query = query.with_for_update()
        return await self.session.scalar(query) == PENDING

    async def pending(
        self, source: str, limit: int = 1000, received_before: dt.datetime | None = None
    ) -> list[InboxUpdate]:
        """Updates recorded but not yet handled, oldest first (replayed at start, retried later)."""
        query = select(InboxUpdate).where(InboxUpdate.source == source, InboxUpdate.status == PENDING)
        if received_before is not None:
            query = query.where(InboxUpdate.received_at < received_before)
        rows = await self.session.scalars(query.order_by(InboxUpdate.update_id).limit(limit))
        return list(rows)

    async def mark_done(self, inbox_id: int, person_id: int | None, now: dt.datetime) -> None:
        """Handled: forget the payload, keep the id so a redelivery is recognised."""
        table = InboxUpdate.__table__
        await self.session.execute(
            update(table).where(table.c.id == inbox_id)
            .values(status=DONE, payload=None, processed_at=now, person_id=person_id)
        )

    async def delete_for_person(self, person_id: int) -> None:
        """Erasure: the updates this person sent."""
        await self.session.execute(delete(InboxUpdate).where(InboxUpdate.person_id == person_id))

    async def mark_attempt(self, inbox_id: int, failed: bool, now: dt.datetime) -> None:
        """Count a failed attempt; after too many the update is set aside as failed, without its text."""
        values: dict[str, Any] = {"attempts": InboxUpdate.attempts + 1}
        if failed:
            values.update(status=FAILED, payload=None, processed_at=now)
        await self.session.execute(update(InboxUpdate).where(InboxUpdate.id == inbox_id).values(**values))

    async def max_update_id(self, source: str, received_since: dt.datetime | None = None) -> int | None:
        """The highest update id recorded (to resume polling after it), optionally among recent ones only."""
        query = select(func.max(InboxUpdate.update_id)).where(InboxUpdate.source == source)
        if received_since is not None:
            query = query.where(InboxUpdate.received_at >= received_since)
        return await self.session.scalar(query)

    async def purge_processed(self, before: dt.datetime) -> int:
        """Forget handled updates older than ``before``."""
        result = await self.session.execute(
            delete(InboxUpdate).where(InboxUpdate.status != PENDING, InboxUpdate.processed_at < before)
        )
        return result.rowcount or 0

"""The inbox: every incoming update, recorded before it is handled, so a crash loses nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, Integer, String, UniqueConstraint, bindparam, delete, func, select, update
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


_table = InboxUpdate.__table__
# The statements of every update, built once (building one costs about as much as running it,
# bench/README.md); plain SQL on the table: no ORM object is wanted on this path.
_RECORD = {
    dialect: insert(_table).on_conflict_do_nothing(index_elements=["source", "update_id"])
    .returning(_table.c.update_id, _table.c.id)
    for dialect, insert in (("sqlite", sqlite_insert), ("postgresql", pg_insert))
}
_STATUS = select(_table.c.status).where(_table.c.id == bindparam("inbox_id"))
_LOCK_STATUS = _STATUS.with_for_update()
_MARK_DONE = (
    update(_table).where(_table.c.id == bindparam("inbox_id"))
    .values(status=DONE, payload=None, processed_at=bindparam("now"), person_id=bindparam("person_id"))
)


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
        # Executed for a list of rows: SQLAlchemy sends them as one multi-row INSERT ("insertmanyvalues")
        # from a statement compiled once, where .values([...]) would compile a new statement every time.
        rows = [{"source": source, "update_id": update_id, "payload": payload, "status": PENDING, "attempts": 0,
                 "received_at": now} for update_id, payload in updates]
        # One row as a plain execution: the multi-row machinery has a cost of its own.
        statement = _RECORD[self.session.bind.dialect.name]
        result = await self.session.execute(statement, rows[0] if len(rows) == 1 else rows)
        return {update_id: inbox_id for update_id, inbox_id in result}

    async def get(self, inbox_id: int) -> InboxUpdate | None:
        """One recorded update."""
        return await self.session.get(InboxUpdate, inbox_id)

    async def lock_pending(self, inbox_id: int) -> bool:
        """Whether this update still waits to be handled, holding its row until the transaction ends.

        A second process (or a replay after a crash) that reaches the same update waits here, then sees
        it done: an update never has two effects.
        """
        query = _LOCK_STATUS if self.session.bind.dialect.name == "postgresql" else _STATUS
        return await self.session.scalar(query, {"inbox_id": inbox_id}) == PENDING

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
        await self.session.execute(_MARK_DONE, {"inbox_id": inbox_id, "now": now, "person_id": person_id})

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

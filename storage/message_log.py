"""What the young person wrote, kept encrypted and only with consent, for the hand-off summary."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UtcDateTime
from storage.crypto import EncryptedText

INCOMING, OUTGOING = "in", "out"


class LoggedMessage(Base):
    """One message of the conversation; its text is encrypted at rest and purged after the retention period."""

    __tablename__ = "message_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(3))
    text: Mapped[str] = mapped_column(EncryptedText)
    intent: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)


# Built once, and executed at once rather than added to the session (the ORM's flush costs several
# times the INSERT; bench/README.md). The text is encrypted by its column type all the same.
_ADD = insert(LoggedMessage.__table__)


class MessageLogRepository:
    """Every statement about ``message_log``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, person_id: int, direction: str, text: str, intent: str | None, now: dt.datetime) -> None:
        """Keep one message."""
        await self.session.execute(_ADD, {"person_id": person_id, "direction": direction, "text": text,
                                          "intent": intent, "created_at": now})

    async def last(self, person_id: int, limit: int, direction: str | None = INCOMING) -> list[LoggedMessage]:
        """The ``limit`` latest messages, oldest first."""
        query = select(LoggedMessage).where(LoggedMessage.person_id == person_id)
        if direction is not None:
            query = query.where(LoggedMessage.direction == direction)
        rows = list(await self.session.scalars(query.order_by(LoggedMessage.id.desc()).limit(limit)))
        return rows[::-1]

    async def for_person(self, person_id: int) -> list[LoggedMessage]:
        """Everything kept for this person (for the export), oldest first."""
        return list(await self.session.scalars(
            select(LoggedMessage).where(LoggedMessage.person_id == person_id).order_by(LoggedMessage.id)
        ))

    async def delete_for_person(self, person_id: int) -> None:
        """Erasure, or consent withdrawn."""
        await self.session.execute(delete(LoggedMessage).where(LoggedMessage.person_id == person_id))

    async def purge_before(self, before: dt.datetime) -> int:
        """Retention: forget messages older than ``before``."""
        result = await self.session.execute(delete(LoggedMessage).where(LoggedMessage.created_at < before))
        return result.rowcount or 0

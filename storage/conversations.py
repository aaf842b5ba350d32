"""Where each person is in the conversation: the current step, its scratch data, the return stack."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm.attributes import flag_modified

from storage.base import Base, UtcDateTime, utcnow


class Conversation(Base):
    """The dialogue state of one person, saved in the same transaction as what the step changed."""

    __tablename__ = "conversations"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    step: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    stack: Mapped[list[str]] = mapped_column(JSON, default=list)
    token: Mapped[int] = mapped_column(Integer, default=0)  # changes at every question; buttons carry it
    misunderstood: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class ConversationsRepository:
    """Every statement about ``conversations``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def load(self, person_id: int, now: dt.datetime) -> Conversation:
        """The state of this person's conversation, created empty on first contact."""
        conversation = await self.session.get(Conversation, person_id)
        if conversation is None:
            conversation = Conversation(person_id=person_id, step=None, data={}, stack=[], token=0,
                                        misunderstood=0, updated_at=now)
            self.session.add(conversation)
            await self.session.flush()
        return conversation

    async def save(self, conversation: Conversation) -> None:
        """Write the state; the JSON columns are changed in place by the steps, so say they changed."""
        flag_modified(conversation, "data")
        flag_modified(conversation, "stack")
        await self.session.flush()

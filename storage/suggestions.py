"""Suggestions a young person saved ("ça m'intéresse"), for their advisor's hand-off summary.

One row per person and catalogue entry: saving twice changes nothing. The title is a snapshot taken
when saving, so the summary still reads well after the catalogue changes; it is encrypted because an
interest (a health service, emergency housing) can say a lot about someone.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UtcDateTime
from storage.crypto import EncryptedText


class SavedSuggestion(Base):
    """A catalogue entry a person said they are interested in."""

    __tablename__ = "saved_suggestions"
    __table_args__ = (UniqueConstraint("person_id", "entry_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[str] = mapped_column(String(160))  # the catalogue id (data·inclusion ids can be long)
    kind: Mapped[str] = mapped_column(String(16))  # training | job | programme | service
    title: Mapped[str] = mapped_column(EncryptedText)
    saved_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class SuggestionsRepository:
    """Every statement about ``saved_suggestions``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def save(self, person_id: int, entry_id: str, kind: str, title: str, now: dt.datetime) -> bool:
        """Keep a suggestion; False when it was already saved (idempotent, safe under concurrency)."""
        insert = pg_insert if self.session.bind.dialect.name == "postgresql" else sqlite_insert
        # The TypeDecorator encrypts on bind, as for an ORM insert.
        statement = (
            insert(SavedSuggestion)
            .values(person_id=person_id, entry_id=entry_id, kind=kind, title=title, saved_at=now)
            .on_conflict_do_nothing(index_elements=["person_id", "entry_id"])
            .returning(SavedSuggestion.id)
        )
        return await self.session.scalar(statement) is not None

    async def for_person(self, person_id: int) -> list[SavedSuggestion]:
        """What this person saved, oldest first (the hand-off summary lists them; the export too)."""
        return list(await self.session.scalars(
            select(SavedSuggestion).where(SavedSuggestion.person_id == person_id)
            .order_by(SavedSuggestion.saved_at, SavedSuggestion.id)
        ))

    async def is_saved(self, person_id: int, entry_id: str) -> bool:
        """Whether this person already saved this entry."""
        found = await self.session.scalar(
            select(SavedSuggestion.id).where(SavedSuggestion.person_id == person_id,
                                             SavedSuggestion.entry_id == entry_id)
        )
        return found is not None

    async def retitle(self, person_id: int, entry_id: str, title: str) -> bool:
        """Change the snapshot of a saved entry (a live offer's title says how the application went)."""
        result = await self.session.execute(
            update(SavedSuggestion).where(SavedSuggestion.person_id == person_id, SavedSuggestion.entry_id == entry_id)
            .values(title=title)
        )
        return bool(result.rowcount)

    async def forget(self, person_id: int, entry_id: str) -> bool:
        """Remove one saved suggestion; False when there was none."""
        result = await self.session.execute(
            delete(SavedSuggestion).where(SavedSuggestion.person_id == person_id,
                                          SavedSuggestion.entry_id == entry_id)
        )
        return bool(result.rowcount)

    async def delete_for_person(self, person_id: int) -> int:
        """Erasure: forget everything this person saved."""
        result = await self.session.execute(delete(SavedSuggestion).where(SavedSuggestion.person_id == person_id))
        return result.rowcount or 0

"""Consent history: when a person agreed (or stopped agreeing), and to which version of the notice.

``people.consent_at`` / ``people.consent_version`` stay as the quick answer to "may we keep what this
person says?" (the engine reads them at every message); every change goes through ``record`` here,
which writes the history row and keeps those two columns in step, so they never disagree.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UtcDateTime
from storage.people import Person


class Consent(Base):
    """One consent event. Erased with the person: after an erasure nothing says they were here."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    given: Mapped[bool] = mapped_column(Boolean)  # True: agreed; False: withdrew
    notice_version: Mapped[str] = mapped_column(String(32))  # PrivacySettings.notice_version shown
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class ConsentsRepository:
    """Every statement about ``consents``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, person: Person, *, given: bool, notice_version: str, now: dt.datetime) -> None:
        """Keep a consent event and bring the person's current consent in line with it."""
        self.session.add(Consent(person_id=person.id, given=given, notice_version=notice_version, at=now))
        person.consent_at = now if given else None
        person.consent_version = notice_version if given else None
        person.consent_refused = not given
        await self.session.flush()

    async def history(self, person_id: int) -> list[Consent]:
        """Every consent event of this person, oldest first."""
        return list(await self.session.scalars(
            select(Consent).where(Consent.person_id == person_id).order_by(Consent.at, Consent.id)
        ))

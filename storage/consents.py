"""Consent history: when a person agreed (or stopped agreeing), and to which version of the notice.

``people.consent_at`` / ``people.consent_version`` stay as the quick answer to "may we keep what this
person says?" (the engine reads them at every message); every change goes through ``record`` here,
which writes the history row and keeps those two columns in step, so they never disagree.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm.attributes import set_committed_value

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


# Built once, and written with explicit statements rather than the ORM's flush (as storage/people.py does).
_ADD = insert(Consent.__table__)
_PERSON = (
    update(Person.__table__).where(Person.__table__.c.id == bindparam("person_id_"))
    .values(consent_at=bindparam("consent_at"), consent_version=bindparam("consent_version"),
            consent_refused=bindparam("consent_refused"))
)


class ConsentsRepository:
    """Every statement about ``consents``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, person: Person, *, given: bool, notice_version: str, now: dt.datetime) -> None:
        """Keep a consent event and bring the person's current consent in line with it."""
        await self.session.execute(_ADD, {"person_id": person.id, "given": given, "notice_version": notice_version,
                                          "at": now})
        current = {"consent_at": now if given else None, "consent_version": notice_version if given else None,
                   "consent_refused": not given}
        await self.session.execute(_PERSON, {**current, "person_id_": person.id})
        for key, value in current.items():  # the object as written, and not seen as changed by the session
            set_committed_value(person, key, value)

    async def history(self, person_id: int) -> list[Consent]:
        """Every consent event of this person, oldest first."""
        return list(await self.session.scalars(
            select(Consent).where(Consent.person_id == person_id).order_by(Consent.at, Consent.id)
        ))

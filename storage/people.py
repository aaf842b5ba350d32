"""The young people: who they are to the channels, and what they told the assistant about themselves."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Integer, String, UniqueConstraint, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm.attributes import set_committed_value

from storage.base import Base, UtcDateTime, utcnow

# The answers of the profile, by column, in the order of flows/profile/fields.py (a test checks they agree).
PROFILE_FIELDS = (
    "first_name", "age", "commune", "schooling", "situation", "rsa", "followed_by", "obstacles", "sectors",
)


class Person(Base):
    """A young person talking to the assistant on one channel."""

    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str] = mapped_column(String(64))

    first_name: Mapped[str | None] = mapped_column(String(64))
    age: Mapped[int | None] = mapped_column(Integer)
    age_given_on: Mapped[dt.date | None] = mapped_column(Date)
    commune: Mapped[str | None] = mapped_column(String(16))  # INSEE code, or "hors92"
    schooling: Mapped[str | None] = mapped_column(String(16))
    situation: Mapped[str | None] = mapped_column(String(16))
    rsa: Mapped[bool | None] = mapped_column(Boolean)
    followed_by: Mapped[str | None] = mapped_column(String(16))
    obstacles: Mapped[list[str]] = mapped_column(JSON, default=list)
    sectors: Mapped[list[str]] = mapped_column(JSON, default=list)

    consent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    consent_version: Mapped[str | None] = mapped_column(String(32))
    consent_refused: Mapped[bool] = mapped_column(Boolean, default=False)
    onboarded_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)

    notifications: Mapped[str] = mapped_column(String(16), default="all")  # all | appointments | none
    nudges_paused: Mapped[bool] = mapped_column(Boolean, default=False)  # set by an advisor
    unreachable_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)

    # The random key of the person's events in the report (storage/report_events.py): the only link between
    # them and this person, so that erasing this row leaves the events with no one to point at.
    report_key: Mapped[str | None] = mapped_column(String(24))

    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)

    @property
    def display_name(self) -> str:
        """The first name if given, else a neutral word (never the channel id)."""
        return self.first_name or "toi"


# Built once: building a statement costs as much as running it (bench/README.md). With no ``values()``,
# the SET clause is made of the columns given at execution (compiled once per set of columns, then cached).
_UPDATE_BY_ID = update(Person.__table__).where(Person.__table__.c.id == bindparam("person_id_"))
_COLUMNS = frozenset(Person.__table__.c.keys())


class PeopleRepository:
    """Every statement about ``people``.

    A person's changes are written with explicit UPDATEs rather than by the ORM's flush (a unit of work
    an update costs several times the statement, bench/README.md); the object is kept in line with
    ``set_committed_value``, so that the session never sees it as changed and writes nothing twice.
    """

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # Values noted (``seen``) and not written yet, by person id: they go with the next UPDATE.
        self._unsaved: dict[int, dict[str, Any]] = {}

    async def get(self, person_id: int) -> Person | None:
        """The person with this id."""
        return await self.session.get(Person, person_id)

    async def many(self, ids: Iterable[int]) -> list[Person]:
        """These people (missing ids are skipped)."""
        ids = list(ids)
        if not ids:
            return []
        return list(await self.session.scalars(select(Person).where(Person.id.in_(ids))))

    async def find(self, channel: str, external_id: str) -> Person | None:
        """The person known on ``channel`` by ``external_id``."""
        return await self.session.scalar(
            select(Person).where(Person.channel == channel, Person.external_id == external_id)
        )

    async def find_or_create(self, channel: str, external_id: str, chat_id: str, now: dt.datetime) -> Person:
        """The person for this channel identity, created on first contact."""
        person = await self.find(channel, external_id)
        if person is None:
            person = Person(
                channel=channel, external_id=external_id, chat_id=chat_id, created_at=now, last_seen_at=now,
                obstacles=[], sectors=[],
            )
            self.session.add(person)
            await self.session.flush()
        return person

    async def update(self, person: Person, **values: Any) -> None:
        """Change some fields of the profile (written at once, with what ``seen`` noted)."""
        for key in values:
            if key not in _COLUMNS or key == "id":
                raise AttributeError(f"people has no column {key}")
        for key, value in values.items():
            set_committed_value(person, key, value)
        await self._write(person.id, {**self._unsaved.pop(person.id, {}), **values})

    def seen(self, person: Person, now: dt.datetime) -> None:
        """The person is active now: written with the turn's own change of the profile, if any, else by
        ``save`` (one UPDATE either way)."""
        set_committed_value(person, "last_seen_at", now)
        self._unsaved.setdefault(person.id, {})["last_seen_at"] = now

    async def save(self, person: Person) -> None:
        """Write what ``seen`` noted and no UPDATE has written yet."""
        values = self._unsaved.pop(person.id, None)
        if values:
            await self._write(person.id, values)

    async def _write(self, person_id: int, values: dict[str, Any]) -> None:
        await self.session.execute(_UPDATE_BY_ID, {**values, "person_id_": person_id})

    async def clear_profile(self, person: Person) -> None:
        """Forget every answer of the profile (under 15, or consent withdrawn)."""
        await self.update(person, age_given_on=None, **{name: [] if isinstance(Person.__table__.c[name].type, JSON)
                                                         else None for name in PROFILE_FIELDS})

    async def mark_unreachable(self, person_id: int, now: dt.datetime) -> None:
        """The person blocked the bot: nothing non-essential is planned for them any more."""
        await self.session.execute(update(Person).where(Person.id == person_id).values(unreachable_at=now))

    async def delete(self, person: Person) -> None:
        """Remove the row itself (the caller removes the rows that point to it first)."""
        self._unsaved.pop(person.id, None)
        await self.session.delete(person)
        await self.session.flush()

    async def count(self) -> int:
        """How many people the assistant knows (for statistics)."""
        return int(await self.session.scalar(select(func.count()).select_from(Person)) or 0)

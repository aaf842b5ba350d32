"""What became of a young person: the questions asked ("Tu en es où aujourd'hui ?") and the answers.

Personal data (``person_id``): exported and erased with the person (storage/erasure.py). The same answers
are also counted pseudonymously for the report (storage/report_events.py), where erasure does not reach.

A row is one question planned (``horizon`` 3m, 6m, 1m_after, with the outbox ``key`` of the message, unique:
two processes plan it once) or one answer given without a question (``horizon`` ``said``: the person told
it in their own words; ``advisor``: recorded on the desk). The answer to a question is written in its row.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, and_, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.appointments import SEEN, Appointment
from storage.base import Base, UtcDateTime
from storage.people import Person

THREE_MONTHS, SIX_MONTHS, AFTER_APPOINTMENT = "3m", "6m", "1m_after"
SAID, ADVISOR = "said", "advisor"  # answers given without a question

# The answers, and the group each one is reported in (docs/outcomes.md gives the table and its sources).
DURABLE_JOB, TRANSITION_JOB, POSITIVE_EXIT = "emploi_durable", "emploi_transition", "sortie_positive"
CIVIC_SERVICE, LOOKING, OTHER = "service_civique", "en_recherche", "autre"
GROUPS = (DURABLE_JOB, TRANSITION_JOB, POSITIVE_EXIT, CIVIC_SERVICE, LOOKING, OTHER)
CATEGORIES: dict[str, str] = {
    "durable_job": DURABLE_JOB,  # CDI, or CDD / interim of 6 months or more
    "business": DURABLE_JOB,  # business creation (micro-entreprise...)
    "short_job": TRANSITION_JOB,  # shorter contracts, subsidised contracts (PEC...)
    "training": POSITIVE_EXIT,  # qualifying or pre-qualifying training
    "apprenticeship": POSITIVE_EXIT,  # apprenticeship or professionalisation contract
    "school": POSITIVE_EXIT,  # back to school
    "civic_service": CIVIC_SERVICE,
    "looking": LOOKING,
    "other": OTHER,
}


class Outcome(Base):
    """One outcome question, and its answer once given (or one answer given without a question)."""

    __tablename__ = "outcomes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    horizon: Mapped[str] = mapped_column(String(16))
    key: Mapped[str | None] = mapped_column(String(160), unique=True)  # the outbox key of the question
    asked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    category: Mapped[str | None] = mapped_column(String(24))
    answered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str | None] = mapped_column(String(24))  # "person", or "agent:<id>" (never a name)


class OutcomesRepository:
    """Every statement about ``outcomes``, and the search for people to ask."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def plan(self, person_id: int, horizon: str, key: str, asked_at: dt.datetime) -> int | None:
        """Note a question planned: its row id, or None when it already was (by this process or another)."""
        insert = pg_insert if self.session.bind.dialect.name == "postgresql" else sqlite_insert
        statement = (insert(Outcome).values(person_id=person_id, horizon=horizon, key=key, asked_at=asked_at)
                     .on_conflict_do_nothing(index_elements=["key"]).returning(Outcome.id))
        return await self.session.scalar(statement)

    async def open_question(self, person_id: int, since: dt.datetime, now: dt.datetime) -> Outcome | None:
        """The latest question asked since ``since`` (and already due) that has no answer yet."""
        return await self.session.scalar(
            select(Outcome).where(Outcome.person_id == person_id, Outcome.key.is_not(None),
                                  Outcome.answered_at.is_(None), Outcome.asked_at >= since, Outcome.asked_at <= now)
            .order_by(Outcome.asked_at.desc()).limit(1))

    async def get(self, person_id: int, outcome_id: int) -> Outcome | None:
        """One of this person's rows."""
        return await self.session.scalar(
            select(Outcome).where(Outcome.id == outcome_id, Outcome.person_id == person_id))

    async def answer(self, row: Outcome, category: str, at: dt.datetime, by: str) -> None:
        """Write the answer in its question's row (a later answer replaces it: the person corrected it)."""
        await self.session.execute(update(Outcome).where(Outcome.id == row.id)
                                   .values(category=category, answered_at=at, recorded_by=by))
        row.category, row.answered_at, row.recorded_by = category, at, by

    async def add_answer(self, person_id: int, horizon: str, category: str, at: dt.datetime, by: str) -> Outcome:
        """An answer given without a question (``SAID``, ``ADVISOR``)."""
        row = Outcome(person_id=person_id, horizon=horizon, category=category, answered_at=at, recorded_by=by)
        self.session.add(row)
        await self.session.flush()
        return row

    async def for_person(self, person_id: int) -> list[Outcome]:
        """The person's questions and answers, oldest first."""
        return list(await self.session.scalars(
            select(Outcome).where(Outcome.person_id == person_id).order_by(Outcome.id)))

    async def latest_answer(self, person_id: int) -> Outcome | None:
        """The person's most recent answer (what the advisor sees as "where they are")."""
        return await self.session.scalar(
            select(Outcome).where(Outcome.person_id == person_id, Outcome.category.is_not(None))
            .order_by(Outcome.answered_at.desc(), Outcome.id.desc()).limit(1))

    async def onboarded_between(self, horizon: str, window: tuple[dt.datetime, dt.datetime], *, after_id: int,
                                limit: int) -> list[Person]:
        """People onboarded within ``window`` not asked at this horizon yet, by id."""
        asked = exists().where(Outcome.person_id == Person.id, Outcome.horizon == horizon)
        return list(await self.session.scalars(
            select(Person).where(Person.onboarded_at >= window[0], Person.onboarded_at < window[1],
                                 Person.id > after_id, ~asked)
            .order_by(Person.id).limit(limit)))

    async def last_attended_between(self, window: tuple[dt.datetime, dt.datetime], *, after_id: int,
                                    limit: int) -> list[tuple[Person, dt.datetime]]:
        """People whose last appointment attended ended within ``window`` and with none to come or after it,
        with that end, not asked since; by id."""
        last_end = (select(Appointment.person_id, func.max(Appointment.ends_at).label("ends_at"))
                    .where(Appointment.person_id.is_not(None)).group_by(Appointment.person_id).subquery())
        attended = and_(Appointment.person_id == last_end.c.person_id, Appointment.ends_at == last_end.c.ends_at,
                        Appointment.status == SEEN)
        rows = await self.session.execute(
            select(Person, last_end.c.ends_at).join(last_end, last_end.c.person_id == Person.id)
            .where(last_end.c.ends_at >= window[0], last_end.c.ends_at < window[1], Person.id > after_id,
                   exists().where(attended),
                   ~exists().where(Outcome.person_id == Person.id, Outcome.horizon == AFTER_APPOINTMENT,
                                   Outcome.asked_at >= last_end.c.ends_at))
            .order_by(Person.id).limit(limit))
        return [(person, ends_at) for person, ends_at in rows.all()]

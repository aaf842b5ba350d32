"""The nudge log: every inactivity nudge ever planned for a person, so that none is planned twice.

The outbox forgets finished rows after ``retention.processed_updates_days``; this log does not (it is
erased with the person), so a nudge sent last month is never planned again when its outbox row is
gone. Its ``key`` is the outbox key of the nudge (``nudge:<person>:<rule>:<anchor date>``), unique:
two processes planning the same nudge write one row. It also counts the nudges of the last seven days
(``max_per_week``) and gives the rotation of the wording.

The candidates of a planning run are found here too: one query over ``people`` (and ``appointments``
for the date of the last appointment), bounded by the windows the rules can fire in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import Date, ForeignKey, Integer, String, and_, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.appointments import CANCELLED_STATUSES, UNKNOWN, Appointment
from storage.base import Base, UtcDateTime
from storage.outbox import APPOINTMENT, CANCELLED, DROPPED, NUDGE, PENDING, OutboxMessage
from storage.people import Person


class NudgeLog(Base):
    """One inactivity nudge planned for one person (whether it was then sent, dropped or cancelled)."""

    __tablename__ = "nudge_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)  # the outbox key of the nudge
    rule: Mapped[str] = mapped_column(String(24))  # onboarding1, onboarding2, inactive
    anchor: Mapped[dt.date] = mapped_column(Date)  # local day of the last activity the rule counts from
    due_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class NudgesRepository:
    """Every statement about ``nudge_log``, and the search for people to nudge."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, *, person_id: int, key: str, rule: str, anchor: dt.date, due_at: dt.datetime,
                     now: dt.datetime) -> bool:
        """Log a nudge; False when it was already logged (planned before, by this process or another)."""
        insert = pg_insert if self.session.bind.dialect.name == "postgresql" else sqlite_insert
        statement = (
            insert(NudgeLog)
            .values(person_id=person_id, key=key, rule=rule, anchor=anchor, due_at=due_at, created_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(NudgeLog.id)
        )
        return await self.session.scalar(statement) is not None

    async def count_since(self, person_id: int, since: dt.datetime) -> int:
        """Nudges of this person due after ``since`` that went out or may still go out.

        A nudge dropped at delivery (the person came back) or cancelled (they said stop) does not count;
        one whose outbox row is already purged is counted (it was sent, or at worst counted once too often).
        """
        given_up = exists().where(OutboxMessage.key == NudgeLog.key,
                                  OutboxMessage.status.in_([CANCELLED, DROPPED]))
        return int(await self.session.scalar(
            select(func.count()).select_from(NudgeLog)
            .where(NudgeLog.person_id == person_id, NudgeLog.due_at > since, ~given_up)
        ) or 0)

    async def count_for(self, person_id: int) -> int:
        """How many nudges this person was ever planned (the wording rotates on it)."""
        return int(await self.session.scalar(
            select(func.count()).select_from(NudgeLog).where(NudgeLog.person_id == person_id)
        ) or 0)

    async def for_person(self, person_id: int) -> list[NudgeLog]:
        """The person's nudges, oldest first."""
        return list(await self.session.scalars(
            select(NudgeLog).where(NudgeLog.person_id == person_id).order_by(NudgeLog.due_at, NudgeLog.id)
        ))

    async def candidates(
        self,
        *,
        onboarding_seen: tuple[dt.datetime, dt.datetime],
        inactive_seen: tuple[dt.datetime, dt.datetime],
        now: dt.datetime,
        after_id: int = 0,
        limit: int | None = None,
    ) -> list[Person]:
        """People who may be due a nudge: consented, reachable, wanting everything, not paused, and

        - not onboarded, last seen in ``onboarding_seen`` = (earliest, latest); or
        - onboarded, and last seen, or at the end of an appointment, in ``inactive_seen``;
        without a live appointment to come (its reminders speak for the assistant). By id, after ``after_id``.
        """
        (onboarding_from, onboarding_to), (inactive_from, inactive_to) = onboarding_seen, inactive_seen
        appointment_in_window = exists().where(
            Appointment.person_id == Person.id, Appointment.ends_at > inactive_from,
            Appointment.ends_at <= inactive_to, Appointment.status.notin_(CANCELLED_STATUSES),
        )
        upcoming = exists().where(Appointment.person_id == Person.id, Appointment.status == UNKNOWN,
                                  Appointment.ends_at > now)
        query = (
            select(Person)
            .where(
                Person.consent_at.isnot(None), Person.unreachable_at.is_(None), Person.notifications == "all",
                Person.id > after_id, Person.nudges_paused.is_(False), ~upcoming,
                or_(
                    and_(Person.onboarded_at.is_(None), Person.last_seen_at > onboarding_from,
                         Person.last_seen_at <= onboarding_to),
                    and_(Person.onboarded_at.isnot(None), Person.last_seen_at <= inactive_to,
                         or_(Person.last_seen_at > inactive_from, appointment_in_window)),
                ),
            )
            .order_by(Person.id)
        )
        if limit is not None:
            query = query.limit(limit)
        return list(await self.session.scalars(query))

    async def last_appointment_ends(self, person_ids: Iterable[int], now: dt.datetime) -> dict[int, dt.datetime]:
        """For each person, the end of their latest appointment already over (not cancelled)."""
        ids = list(person_ids)
        if not ids:
            return {}
        rows = await self.session.execute(
            select(Appointment.person_id, func.max(Appointment.ends_at))
            .where(Appointment.person_id.in_(ids), Appointment.ends_at <= now,
                   Appointment.status.notin_(CANCELLED_STATUSES))
            .group_by(Appointment.person_id)
        )
        found: dict[int, dt.datetime] = {}
        for person_id, ends_at in rows.all():
            if ends_at is not None:
                # max() comes back as the raw column value on SQLite (naive UTC): put the zone back.
                found[int(person_id)] = ends_at if ends_at.tzinfo else ends_at.replace(tzinfo=dt.UTC)
        return found

    async def outbox_counts(self) -> list[tuple[str, str, int]]:
        """Reminders and nudges in the outbox: (kind, status, how many), by kind then status (counts only)."""
        rows = await self.session.execute(
            select(OutboxMessage.kind, OutboxMessage.status, func.count())
            .where(OutboxMessage.category.in_([APPOINTMENT, NUDGE]))
            .group_by(OutboxMessage.kind, OutboxMessage.status)
            .order_by(OutboxMessage.kind, OutboxMessage.status)
        )
        return [(kind, status, int(count)) for kind, status, count in rows.all()]

    async def cancel_if_active(self) -> int:
        """Pending nudges of people who wrote since they were planned: cancelled now (delivery drops them
        anyway; cancelled early, they stop counting towards ``max_per_week``)."""
        active = exists().where(Person.id == OutboxMessage.person_id, Person.last_seen_at > OutboxMessage.created_at)
        result = await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == PENDING, OutboxMessage.category == NUDGE, active)
            .values(status=CANCELLED, last_error="active since planned")
            .execution_options(synchronize_session=False)
        )
        return result.rowcount or 0

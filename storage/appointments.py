"""Appointments (RDV-Service-Public's *rdv*) and the history of every change made to them.

Statuses are RDV-Service-Public's: ``unknown`` (booked, not yet held), ``seen``, ``excused`` (the young
person cancelled), ``revoked`` (the structure cancelled), ``noshow``. Only ``unknown`` holds a place.

No double booking is a property of the DATABASE, on SQLite and PostgreSQL alike:

- ``uq_appointments_agent_live_start``: a partial unique index on (agent_id, starts_at) over live
  individual appointments: two people can never hold the same agent at the same time, whatever the
  code above does;
- ``uq_appointments_person_live_start``: one person cannot hold two places at the same moment;
- collective motifs (workshops) share a start: their seats are counted inside the booking
  transaction, after ``StructuresRepository.lock_agents`` has serialised bookings on the agent.

Writes that may hit those indexes run in a SAVEPOINT, so a refused insert leaves the surrounding
transaction (the whole conversation turn) usable: the caller says "ce créneau vient d'être pris".
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UtcDateTime

UNKNOWN, SEEN, EXCUSED, REVOKED, NOSHOW = "unknown", "seen", "excused", "revoked", "noshow"
STATUSES = (UNKNOWN, SEEN, EXCUSED, REVOKED, NOSHOW)
CANCELLED_STATUSES = (EXCUSED, REVOKED)

# Who made a change (RDV-Service-Public's ``created_by``, plus the system for erasure and imports).
BY_YOUNG, BY_AGENT, BY_SYSTEM = "young", "agent", "system"

# History events.
BOOKED, MOVED, CANCELLED, STATUS_CHANGED = "booked", "moved", "cancelled", "status"

LIVE = f"status = '{UNKNOWN}'"


class Appointment(Base):
    """One appointment of one young person with one agent, at a lieu, for a motif."""

    __tablename__ = "appointments"
    __table_args__ = (
        Index("uq_appointments_agent_live_start", "agent_id", "starts_at", unique=True,
              sqlite_where=text(f"{LIVE} AND NOT collective"), postgresql_where=text(f"{LIVE} AND NOT collective")),
        Index("uq_appointments_person_live_start", "person_id", "starts_at", unique=True,
              sqlite_where=text(LIVE), postgresql_where=text(LIVE)),
        Index("ix_appointments_agent_id_starts_at", "agent_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(80), unique=True)  # the .ics UID: never changes
    sequence: Mapped[int] = mapped_column(Integer, default=0)  # the .ics SEQUENCE: +1 at each change
    # Erasure deletes the person's appointments with them (storage/erasure.py); before that, the
    # booking's erasure hook cancels the future ones and tells the structure.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    structure_id: Mapped[str] = mapped_column(ForeignKey("structures.id"), index=True)
    lieu_id: Mapped[str] = mapped_column(ForeignKey("lieux.id"))
    motif_id: Mapped[int] = mapped_column(ForeignKey("motifs.id"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    collective: Mapped[bool] = mapped_column(Boolean, default=False)  # copied from the motif for the index
    starts_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(8), default=UNKNOWN)
    created_by: Mapped[str] = mapped_column(String(8), default=BY_YOUNG)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    status_changed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)

    @property
    def live(self) -> bool:
        """Booked and not cancelled, whether or not its time has come."""
        return self.status == UNKNOWN


class AppointmentHistory(Base):
    """One change of an appointment: what it became, what it was, who did it."""

    __tablename__ = "appointment_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    event: Mapped[str] = mapped_column(String(16))  # booked | moved | cancelled | status
    by: Mapped[str] = mapped_column(String(8))  # young | agent | system
    status: Mapped[str] = mapped_column(String(8))
    previous_status: Mapped[str | None] = mapped_column(String(8))
    starts_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    previous_starts_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    agent_id: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(200))  # never free text of the young person


def new_uid() -> str:
    """A UID for the .ics that stays the same for the whole life of the appointment."""
    return f"{uuid.uuid4().hex}@tremplin"


class AppointmentsRepository:
    """Every statement about ``appointments`` and ``appointment_history``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        *,
        person_id: int | None,
        structure_id: str,
        lieu_id: str,
        motif_id: int,
        agent_id: int,
        collective: bool,
        starts_at: dt.datetime,
        ends_at: dt.datetime,
        now: dt.datetime,
        created_by: str = BY_YOUNG,
    ) -> Appointment | None:
        """Insert a live appointment; None if the database refuses it (the place was just taken)."""
        statement = (
            insert(Appointment)
            .values(
                uid=new_uid(), sequence=0, person_id=person_id, structure_id=structure_id, lieu_id=lieu_id,
                motif_id=motif_id, agent_id=agent_id, collective=collective, starts_at=starts_at, ends_at=ends_at,
                status=UNKNOWN, created_by=created_by, created_at=now, updated_at=now, status_changed_at=None,
            )
            .returning(Appointment.id)
        )
        try:
            async with self.session.begin_nested():
                new_id = await self.session.scalar(statement)
        except IntegrityError:
            return None
        return await self.session.get(Appointment, new_id)

    async def move(
        self, appointment: Appointment, *, agent_id: int, starts_at: dt.datetime, ends_at: dt.datetime,
        now: dt.datetime,
    ) -> bool:
        """Give the appointment a new time (and maybe agent), SEQUENCE + 1; False if the place was just taken."""
        statement = (
            update(Appointment)
            .where(Appointment.id == appointment.id, Appointment.status == UNKNOWN)
            .values(agent_id=agent_id, starts_at=starts_at, ends_at=ends_at, sequence=Appointment.sequence + 1,
                    updated_at=now)
        )
        try:
            async with self.session.begin_nested():
                result = await self.session.execute(statement)
        except IntegrityError:
            await self.session.refresh(appointment)
            return False
        await self.session.refresh(appointment)
        return bool(result.rowcount)

    async def set_status(self, appointment: Appointment, status: str, now: dt.datetime) -> bool:
        """Change the status (a cancellation also bumps SEQUENCE); False if it already had it."""
        if status not in STATUSES:
            raise ValueError(f"unknown appointment status {status!r}")
        if appointment.status == status:
            return False
        if status == UNKNOWN:
            raise ValueError("an appointment is not put back to unknown: book a new one")
        appointment.status = status
        appointment.status_changed_at = now
        appointment.updated_at = now
        if status in CANCELLED_STATUSES:
            appointment.sequence += 1
        await self.session.flush()
        return True

    async def record(
        self,
        appointment: Appointment,
        *,
        event: str,
        by: str,
        now: dt.datetime,
        previous_status: str | None = None,
        previous_starts_at: dt.datetime | None = None,
        note: str | None = None,
    ) -> AppointmentHistory:
        """Write one line of the appointment's history, as it is now."""
        row = AppointmentHistory(
            appointment_id=appointment.id, person_id=appointment.person_id, at=now, event=event, by=by,
            status=appointment.status, previous_status=previous_status, starts_at=appointment.starts_at,
            previous_starts_at=previous_starts_at, agent_id=appointment.agent_id, sequence=appointment.sequence,
            note=(note or None) and note[:200],
        )
        self.session.add(row)
        await self.session.flush()
        return row

    async def history(self, appointment_id: int) -> list[AppointmentHistory]:
        """Every change of one appointment, oldest first."""
        return list(
            await self.session.scalars(
                select(AppointmentHistory)
                .where(AppointmentHistory.appointment_id == appointment_id)
                .order_by(AppointmentHistory.id)
            )
        )

    async def get(self, appointment_id: int) -> Appointment | None:
        return await self.session.get(Appointment, appointment_id)

    async def upcoming_for_person(self, person_id: int, now: dt.datetime) -> list[Appointment]:
        """The person's live appointments still to come, soonest first."""
        return list(
            await self.session.scalars(
                select(Appointment)
                .where(Appointment.person_id == person_id, Appointment.status == UNKNOWN,
                       Appointment.ends_at > now)
                .order_by(Appointment.starts_at)
            )
        )

    async def for_person(self, person_id: int) -> list[Appointment]:
        """Every appointment of the person, past and future (for the data export)."""
        return list(
            await self.session.scalars(
                select(Appointment).where(Appointment.person_id == person_id).order_by(Appointment.starts_at)
            )
        )

    async def live_between(
        self, *, agent_ids: Iterable[int], starts_at: dt.datetime, ends_at: dt.datetime,
        exclude: int | None = None,
    ) -> list[Appointment]:
        """Live appointments of these agents overlapping the period (they take the agent's time)."""
        query = select(Appointment).where(
            Appointment.agent_id.in_(list(agent_ids)), Appointment.status == UNKNOWN,
            Appointment.starts_at < ends_at, Appointment.ends_at > starts_at,
        )
        if exclude is not None:
            query = query.where(Appointment.id != exclude)
        return list(await self.session.scalars(query.order_by(Appointment.starts_at)))

    async def of_structure(self, structure_id: str, starts_at: dt.datetime, ends_at: dt.datetime,
                           statuses: Iterable[str] | None = None) -> list[Appointment]:
        """A structure's appointments starting in the period (an advisor's day), by time."""
        query = select(Appointment).where(
            Appointment.structure_id == structure_id, Appointment.starts_at >= starts_at,
            Appointment.starts_at < ends_at,
        )
        if statuses is not None:
            query = query.where(Appointment.status.in_(list(statuses)))
        return list(await self.session.scalars(query.order_by(Appointment.starts_at, Appointment.id)))

    async def counts_by_structure(self, since: dt.datetime, until: dt.datetime) -> dict[tuple[str, str], int]:
        """How many appointments started in the period, by structure and status (the Département's figures)."""
        rows = await self.session.execute(
            select(Appointment.structure_id, Appointment.status, func.count())
            .where(Appointment.starts_at >= since, Appointment.starts_at < until)
            .group_by(Appointment.structure_id, Appointment.status)
        )
        return {(structure, status): count for structure, status, count in rows.all()}

    async def count_live(self) -> int:
        return int(await self.session.scalar(
            select(func.count()).select_from(Appointment).where(Appointment.status == UNKNOWN)
        ) or 0)

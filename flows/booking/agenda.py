"""The agenda of a lieu: its free slots, and booking, moving or cancelling an appointment in it.

Each function works inside the caller's unit of work (the conversation turn's transaction), so the
slot is re-checked in the very transaction that books it:

1. the agents who could take the slot are locked (``lock_agents``: row locks on PostgreSQL; SQLite
   serialises write transactions anyway), so two bookings on the same agents queue up;
2. the free slots are computed again from what is committed now;
3. the appointment is inserted; the partial unique index of ``appointments`` refuses a second live
   appointment on the same agent and time even if steps 1-2 were ever bypassed.

A booking that finds its slot gone returns None: the conversation says "ce créneau vient d'être pris".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flows.rules.slots import Busy, MotifRules, Opening, Slot, compute_slots, first_per_start, in_part_of_day
from storage.appointments import BY_YOUNG, EXCUSED, Appointment
from storage.db import UnitOfWork
from storage.structures import Lieu, Motif, PlageOuverture, Structure


@dataclass(frozen=True)
class Place:
    """A lieu, its structure and a motif: what a search for slots is about."""

    structure: Structure
    lieu: Lieu
    motif: Motif


def rules_of(motif: Motif) -> MotifRules:
    """The slot rules of a motif."""
    return MotifRules(
        motif_id=motif.id,
        duration=dt.timedelta(minutes=motif.duration_minutes),
        min_delay=dt.timedelta(minutes=motif.min_booking_delay_minutes),
        max_delay=dt.timedelta(minutes=motif.max_booking_delay_minutes),
        seats=motif.max_participants if motif.collective else None,
    )


def opening_of(plage: PlageOuverture) -> Opening:
    """A plage as slot computation sees it."""
    return Opening(plage.agent_id, plage.lieu_id, plage.first_day, plage.start_time, plage.end_time, plage.rrule)


async def free_slots(
    uow: UnitOfWork,
    *,
    lieu_id: str,
    motif: Motif,
    now: dt.datetime,
    tz: ZoneInfo,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    ignore_appointment: int | None = None,
) -> list[Slot]:
    """Every free slot of ``motif`` at ``lieu_id`` (one per agent and time), soonest first.

    ``ignore_appointment``: an appointment being moved does not block its own neighbourhood.
    """
    rules = rules_of(motif)
    earliest = max(now + rules.min_delay, since or now)
    latest = min(now + rules.max_delay, until or now + rules.max_delay)
    if earliest > latest:
        return []
    plages = await uow.structures.plages(
        first_day=earliest.astimezone(tz).date(), last_day=latest.astimezone(tz).date(), lieu_id=lieu_id,
        motif_id=motif.id,
    )
    if not plages:
        return []
    agent_ids = sorted({p.agent_id for p in plages})
    busy = await _busy(uow, motif.structure_id, agent_ids, earliest, latest + rules.duration, ignore_appointment)
    return compute_slots([opening_of(p) for p in plages], rules, busy, now=now, tz=tz, since=since, until=until)


async def _busy(
    uow: UnitOfWork, structure_id: str, agent_ids: list[int], starts_at: dt.datetime, ends_at: dt.datetime,
    ignore_appointment: int | None,
) -> list[Busy]:
    absences = await uow.structures.absences(structure_id=structure_id, agent_ids=agent_ids, starts_at=starts_at,
                                             ends_at=ends_at)
    appointments = await uow.appointments.live_between(agent_ids=agent_ids, starts_at=starts_at, ends_at=ends_at,
                                                       exclude=ignore_appointment)
    return [Busy(a.starts_at, a.ends_at, a.agent_id) for a in absences] + [
        Busy(a.starts_at, a.ends_at, a.agent_id, a.motif_id) for a in appointments
    ]


async def offer(
    uow: UnitOfWork,
    *,
    lieu_id: str,
    motif: Motif,
    now: dt.datetime,
    tz: ZoneInfo,
    since: dt.datetime | None = None,
    part_of_day: str | None = None,
    count: int = 4,
    ignore_appointment: int | None = None,
    skip_days: Collection[dt.date] = (),
    skip_starts: Collection[dt.datetime] = (),
) -> list[Slot]:
    """The next ``count`` times to offer the person (one per time, whichever agent), from ``since``.

    ``skip_days`` (local days) and ``skip_starts`` are what the person ruled out ("pas mardi").
    """
    slots = await free_slots(uow, lieu_id=lieu_id, motif=motif, now=now, tz=tz, since=since,
                             ignore_appointment=ignore_appointment)
    return [
        s for s in first_per_start(slots)
        if in_part_of_day(s, part_of_day, tz) and s.starts_at.astimezone(tz).date() not in skip_days
        and s.starts_at not in skip_starts
    ][:count]


async def _candidates(
    uow: UnitOfWork, *, lieu_id: str, motif: Motif, starts_at: dt.datetime, now: dt.datetime, tz: ZoneInfo,
    ignore_appointment: int | None = None, prefer_agent: int | None = None,
) -> list[Slot]:
    """The agents free at exactly ``starts_at``, computed from what is committed now (after locking)."""
    day = starts_at.astimezone(tz).date()
    plages = await uow.structures.plages(first_day=day, last_day=day, lieu_id=lieu_id, motif_id=motif.id)
    agent_ids = sorted({p.agent_id for p in plages})
    await uow.structures.lock_agents(agent_ids)
    exact = await free_slots(
        uow, lieu_id=lieu_id, motif=motif, now=now, tz=tz, since=starts_at, until=starts_at,
        ignore_appointment=ignore_appointment,
    )
    exact = [s for s in exact if s.starts_at == starts_at]
    return sorted(exact, key=lambda s: (s.agent_id != prefer_agent, s.agent_id))


async def book(
    uow: UnitOfWork,
    *,
    person_id: int,
    lieu_id: str,
    motif: Motif,
    starts_at: dt.datetime,
    now: dt.datetime,
    tz: ZoneInfo,
    created_by: str = BY_YOUNG,
) -> Appointment | None:
    """Book the slot for the person, re-checked now; None if it was just taken."""
    lieu = await uow.structures.lieu(lieu_id)
    if lieu is None or not lieu.active or lieu.structure_id != motif.structure_id:
        return None
    for slot in await _candidates(uow, lieu_id=lieu_id, motif=motif, starts_at=starts_at, now=now, tz=tz):
        appointment = await uow.appointments.add(
            person_id=person_id, structure_id=lieu.structure_id, lieu_id=lieu_id, motif_id=motif.id,
            agent_id=slot.agent_id, collective=motif.collective, starts_at=slot.starts_at, ends_at=slot.ends_at,
            now=now, created_by=created_by,
        )
        if appointment is not None:
            return appointment
    return None


async def move(
    uow: UnitOfWork, appointment: Appointment, *, starts_at: dt.datetime, now: dt.datetime, tz: ZoneInfo,
) -> bool:
    """Move the appointment to ``starts_at`` at the same lieu, same motif (same agent when free)."""
    motif = await uow.structures.motif(appointment.motif_id)
    if motif is None or not appointment.live:
        return False
    candidates = await _candidates(
        uow, lieu_id=appointment.lieu_id, motif=motif, starts_at=starts_at, now=now, tz=tz,
        ignore_appointment=appointment.id, prefer_agent=appointment.agent_id,
    )
    for slot in candidates:
        if await uow.appointments.move(appointment, agent_id=slot.agent_id, starts_at=slot.starts_at,
                                       ends_at=slot.ends_at, now=now):
            return True
    return False


async def cancel(uow: UnitOfWork, appointment: Appointment, *, now: dt.datetime, status: str = EXCUSED) -> bool:
    """Cancel (``excused`` by the young person, ``revoked`` by the structure); False if it was not live."""
    if not appointment.live:
        return False
    return await uow.appointments.set_status(appointment, status, now)


async def place_of(uow: UnitOfWork, appointment: Appointment) -> Place | None:
    """The structure, lieu and motif of an appointment."""
    structure = await uow.structures.structure(appointment.structure_id)
    lieu = await uow.structures.lieu(appointment.lieu_id)
    motif = await uow.structures.motif(appointment.motif_id)
    if structure is None or lieu is None or motif is None:
        return None
    return Place(structure, lieu, motif)

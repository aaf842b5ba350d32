"""An advisor books or moves an appointment for a young person (the desk's *Fiche*): the same agenda rules as when
the young person books (flows/booking/agenda.py), the same consequences (history, reminders, the summary that
prepares it: ``appointment_changed``), and the young person told on their chat, with the calendar file."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flows.advisors.desk import Answer, Desk
from flows.booking import agenda
from flows.booking.changes import appointment_changed
from flows.booking.words import booked_by_advisor, moved_by_advisor, spoken
from flows.handoff.names import young_name
from flows.handoff.relay import send_young_turn, young_turn
from flows.rules.slots import Slot, first_per_start
from storage.appointments import BOOKED, BY_AGENT, MOVED
from storage.structures import Lieu, Motif

SHOWN = 12  # free times offered on the page
HORIZON = dt.timedelta(days=21)


@dataclass(frozen=True)
class FreeTime:
    """A time the advisor may choose: when, where, for what."""

    slot: Slot
    lieu: Lieu
    motif: Motif


async def free_times(desk: Desk, *, lieu_id: str | None = None, motif_id: int | None = None,
                     ignore_appointment: int | None = None) -> list[FreeTime]:
    """The structure's next free times (at one lieu and for one motif when given), soonest first."""
    assert desk.agent.structure_id is not None
    uow = desk.uow
    motifs = [m for m in await uow.structures.motifs(desk.agent.structure_id) if motif_id in (None, m.id)]
    lieux = [lieu for lieu in await uow.structures.lieux(desk.agent.structure_id) if lieu_id in (None, lieu.id)]
    found = []
    for motif in motifs:
        for lieu in lieux:
            # The next three weeks only: the page shows the first dozen times, and computing six weeks of slots
            # for every place and motif cost 200 ms at p95 (bench/desk.py).
            slots = await agenda.free_slots(uow, lieu_id=lieu.id, motif=motif, now=desk.now, tz=desk.tz,
                                            until=desk.now + HORIZON, ignore_appointment=ignore_appointment)
            found += [FreeTime(slot, lieu, motif) for slot in first_per_start(slots)[:SHOWN]]
    return sorted(found, key=lambda f: (f.slot.starts_at, f.lieu.id, f.motif.id))[:SHOWN]


async def book_for(desk: Desk, person_id: int, lieu_id: str, motif_id: int, starts_at: dt.datetime) -> Answer:
    """Book this time for the person (re-checked now); they are told, with the calendar file."""
    person = await desk.uow.people.get(person_id)
    motif = await desk.uow.structures.motif(motif_id)
    if person is None or motif is None or motif.structure_id != desk.agent.structure_id:
        return Answer(refused=True)
    await desk.uow.lock_person(person.id)
    appointment = await agenda.book(desk.uow, person_id=person.id, lieu_id=lieu_id, motif=motif, starts_at=starts_at,
                                    now=desk.now, tz=desk.tz, created_by=BY_AGENT)
    if appointment is None:
        return Answer(notice="Ce créneau vient d'être pris. Choisissez-en un autre.")
    t = await young_turn(desk.uow, desk.world, person, desk.now, key=f"{desk.key}:young")
    await appointment_changed(t, appointment, BOOKED, by=BY_AGENT)
    await booked_by_advisor(t, desk.agent.display_name, appointment)
    return Answer(planned=await send_young_turn(t),
                  notice=f"Rendez-vous pris pour {young_name(person)} : {spoken(appointment.starts_at, t)}.")


async def move_for(desk: Desk, appointment_id: int, starts_at: dt.datetime) -> Answer:
    """Move the appointment to this time (same place, same motif); the person is told, with the calendar file."""
    appointment = await desk.uow.appointments.get(appointment_id)
    if appointment is None or appointment.structure_id != desk.agent.structure_id or appointment.person_id is None:
        return Answer(refused=True)
    person = await desk.uow.people.get(appointment.person_id)
    if person is None or not appointment.live:
        return Answer(notice="Ce rendez-vous n'est plus prévu : il ne peut pas être déplacé.")
    await desk.uow.lock_person(person.id)
    previous = appointment.starts_at
    if not await agenda.move(desk.uow, appointment, starts_at=starts_at, now=desk.now, tz=desk.tz):
        return Answer(notice="Ce créneau vient d'être pris. Choisissez-en un autre.")
    t = await young_turn(desk.uow, desk.world, person, desk.now, key=f"{desk.key}:young")
    await appointment_changed(t, appointment, MOVED, by=BY_AGENT, previous_starts_at=previous)
    await moved_by_advisor(t, desk.agent.display_name, appointment)
    return Answer(planned=await send_young_turn(t),
                  notice=f"Rendez-vous déplacé : {spoken(appointment.starts_at, t)}.")

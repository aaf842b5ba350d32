"""What the advisors hear of appointments: the summary that prepares a booking, a move or a cancellation.

It listens to ``APPOINTMENT_CHANGED`` (flows/engine/reactions.py), emitted by the booking.
"""

from __future__ import annotations

import datetime as dt

from flows.engine.reactions import APPOINTMENT_CHANGED, AppointmentChange, reacts_to
from flows.engine.turn import Turn
from flows.handoff.channel import KIND_NOTICE, TELEGRAM, advisors_of, send_summary
from flows.handoff.names import young_name
from flows.rules.formatting import when
from storage.appointments import BOOKED as APPOINTMENT_BOOKED
from storage.appointments import BY_YOUNG, CANCELLED, MOVED, Appointment
from storage.handoffs import BOOKED, CLOSED


@reacts_to(APPOINTMENT_CHANGED)
async def on_appointment_changed(t: Turn, change: AppointmentChange) -> None:
    """A booking sends the summary; what the young person moved or cancelled is told (an erasure tells
    the advisors itself, by the system)."""
    if change.kind == APPOINTMENT_BOOKED:
        await prepare_appointment(t, change.appointment)
    elif change.kind in (MOVED, CANCELLED) and change.by == BY_YOUNG:
        moved_from = change.previous_starts_at if change.kind == MOVED else None
        await tell_appointment_change(t, change.appointment, moved_from)


async def prepare_appointment(t: Turn, appointment: Appointment) -> None:
    """Send the summary that prepares a booked appointment: to its advisor if registered, else the structure's.

    Recorded as a hand-off already closed (nothing to answer), so that a reply to it still reaches
    the young person.
    """
    agents = await advisors_of(t.uow, appointment.structure_id)
    targets = [a for a in agents if a.id == appointment.agent_id] or agents
    if not targets:
        return
    handoff = await t.uow.handoffs.open(person_id=t.person.id, structure_id=appointment.structure_id, reason=BOOKED,
                                        urgent=False, now=t.now, appointment_id=appointment.id, status=CLOSED)
    await send_summary(t.uow, t.world, t.person, handoff, targets,
                       key=f"{t.event.key}:rdv{appointment.id}.{appointment.sequence}", now=t.now, planned=t.planned)


async def tell_appointment_change(t: Turn, appointment: Appointment, moved_from: dt.datetime | None) -> None:
    """The young person moved or cancelled: the appointment's advisor (else the structure's) hears of it."""
    agents = await advisors_of(t.uow, appointment.structure_id)
    targets = [a for a in agents if a.id == appointment.agent_id] or agents
    tz = t.world.settings.tz
    name = young_name(t.person)
    if moved_from is not None:
        text = (f"📅 {name} a déplacé son rendez-vous du {when(moved_from, tz)} : "
                f"c'est maintenant le {when(appointment.starts_at, tz)}.")
    else:
        text = f"📅 {name} a annulé son rendez-vous du {when(appointment.starts_at, tz)}. Le créneau est libre."
    for agent in targets:
        if agent.telegram_id is not None:
            await t.send_to(channel=TELEGRAM, chat_id=str(agent.telegram_id), text=text, kind=KIND_NOTICE,
                            key=f"{t.event.key}:rdv{appointment.id}.{appointment.sequence}.a{agent.id}",
                            person_id=t.person.id)

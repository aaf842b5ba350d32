"""Moving an appointment: new times at the same lieu, for the same motif ("Déplacer", "je décale mon rdv").

The time is chosen and confirmed as for a new appointment (flows/booking/choosing.py,
new_appointment.py), with ``moving`` in the search; ``do_move`` then moves it.
"""

from __future__ import annotations

import datetime as dt

from flows.booking import agenda
from flows.booking.changes import appointment_changed
from flows.booking.my_appointments import not_live, only_or_list, own_appointment, too_late_to_move
from flows.booking.search import SLOTS, STATE, enter, read_when, taken
from flows.booking.words import calendar_file, directions, spoken
from flows.engine.script import Next, on_action, on_intent
from flows.engine.turn import Turn
from flows.rules import ics
from storage.appointments import BY_YOUNG, MOVED


@on_action("rdv_move")
async def move_appointment(t: Turn) -> Next:
    """"Déplacer": new times at the same lieu, for the same motif."""
    return await start_move(t, t.argument)


async def start_move(t: Turn, appointment_id: int | str) -> Next:
    """Offer new times for this appointment (the day named in the message first, if any)."""
    appointment = await own_appointment(t, appointment_id)
    if (stop := not_live(t, appointment)) is not None:
        return stop
    assert appointment is not None
    if (late := too_late_to_move(t, appointment)) is not None:
        return late
    state = {"moving": appointment.id, "lieu": appointment.lieu_id, "motif": appointment.motif_id}
    t.data[STATE] = state
    read_when(t, state, appointment.starts_at.astimezone(t.world.settings.tz).date())  # "mets-le à 10h": that day
    return enter(t, SLOTS)


async def do_move(t: Turn, appointment_id: int, starts_at: dt.datetime) -> Next:
    """Move the appointment to the time confirmed (re-checked in this transaction), or say why not."""
    appointment = await own_appointment(t, appointment_id)
    if appointment is None or not appointment.live:
        t.data.pop(STATE, None)
        return t.done("Ce rendez-vous n'est plus prévu : je ne peux pas le déplacer.")
    if (late := too_late_to_move(t, appointment)) is not None:
        return late
    previous = appointment.starts_at
    if not await agenda.move(t.uow, appointment, starts_at=starts_at, now=t.now, tz=t.world.settings.tz):
        return taken(t)
    await appointment_changed(t, appointment, MOVED, by=BY_YOUNG, previous_starts_at=previous)
    t.data.pop(STATE, None)
    place = await agenda.place_of(t.uow, appointment)
    where = f"\n{directions(place.lieu)}" if place else ""
    t.say(f"C'est fait ! Ton rendez-vous est maintenant le {spoken(appointment.starts_at, t)}.{where}")
    t.say("Ce fichier met à jour ton agenda.", document=await calendar_file(t, appointment, ics.REQUEST))
    return t.done()


@on_intent("reschedule_appointment", offer="Changer un rendez-vous")
async def reschedule_appointment(t: Turn) -> Next:
    """"je peux décaler mon rdv à jeudi ?": the one appointment, or the list to choose."""
    return await only_or_list(t, start_move)

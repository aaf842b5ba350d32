"""/rdv: the appointments to come, and whether one may still be moved or cancelled here.

Moving is possible until ``booking.move_until_hours`` before, cancelling until
``booking.cancel_until_hours``; later, the person is kindly pointed to their advisor. The buttons are
action buttons carrying the appointment's id (flows/booking/moving.py, cancelling.py), harmless when
pressed twice or late.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from flows.booking.search import STATE
from flows.booking.words import delay_words, describe, short_day
from flows.engine.script import INTENT_HANDLERS, Next, on_command, on_intent
from flows.engine.turn import Turn
from storage.appointments import EXCUSED, REVOKED, UNKNOWN, Appointment


async def own_appointment(t: Turn, appointment_id: int | str) -> Appointment | None:
    """The appointment if it is this person's (a button is signed for them; this is a second lock)."""
    try:
        appointment = await t.uow.appointments.get(int(appointment_id))
    except ValueError:
        return None
    return appointment if appointment is not None and appointment.person_id == t.person.id else None


@on_intent("my_appointments", offer="Voir mes rendez-vous")
@on_command("rdv", "Tes rendez-vous", rank=40)
async def my_appointments(t: Turn) -> Next:
    """The appointments to come, each with a button to move it and one to cancel it."""
    upcoming = await t.uow.appointments.upcoming_for_person(t.person.id, t.now)
    if not upcoming:
        t.say("Tu n'as pas de rendez-vous prévu.", buttons=[t.action("Prendre rendez-vous", "rdv_new")])
        return t.stay()
    if len(upcoming) == 1:
        appointment = upcoming[0]
        t.say(
            f"Ton prochain rendez-vous : {await describe(t, appointment)}.",
            buttons=[t.action("Le déplacer", "rdv_move", str(appointment.id)),
                     t.action("L'annuler", "rdv_cancel", str(appointment.id))],
        )
        return t.stay()
    lines = [f"{i}. {await describe(t, a)}" for i, a in enumerate(upcoming[:5], start=1)]
    buttons = []
    for appointment in upcoming[:5]:
        day = short_day(appointment.starts_at, t)
        buttons += [t.action(f"Déplacer le {day}", "rdv_move", str(appointment.id)),
                    t.action(f"Annuler le {day}", "rdv_cancel", str(appointment.id))]
    t.say("Tes rendez-vous :\n" + "\n".join(lines), buttons=buttons)
    return t.stay()


def not_live(t: Turn, appointment: Appointment | None) -> Next | None:
    """A kind answer when the appointment cannot be changed any more (idempotent buttons)."""
    if appointment is None:
        return t.stay("Je ne trouve pas ce rendez-vous. Tape /rdv pour voir les tiens.")
    if appointment.status in (EXCUSED, REVOKED):
        t.say("Ce rendez-vous est déjà annulé.", buttons=[t.action("Prendre rendez-vous", "rdv_new")])
        return t.stay()
    if appointment.status != UNKNOWN or appointment.starts_at <= t.now:
        return t.stay("Ce rendez-vous est passé. Tape /rdv pour voir les prochains.")
    return None


def _advisor_buttons(t: Turn) -> list[Any]:
    if "talk_to_advisor" in INTENT_HANDLERS:
        return [t.action("Parler à quelqu'un", "intent", "talk_to_advisor")]
    return []


async def _phone(t: Turn, appointment: Appointment) -> str:
    structure = await t.uow.structures.structure(appointment.structure_id)
    return f" au {structure.phone}" if structure and structure.phone else ""


def too_late_to_move(t: Turn, appointment: Appointment) -> Next | None:
    """Too close to the start to move it here: say so, and offer to cancel (while still possible) or an advisor."""
    limit = t.world.settings.booking.move_until_hours
    if appointment.starts_at - t.now >= dt.timedelta(hours=limit):
        return None
    t.data.pop(STATE, None)
    t.say(f"Ton rendez-vous est dans moins de {delay_words(limit)} : je ne peux plus le déplacer ici.")
    buttons = list(_advisor_buttons(t))
    if appointment.starts_at - t.now >= dt.timedelta(hours=t.world.settings.booking.cancel_until_hours):
        buttons.insert(0, t.action("L'annuler", "rdv_cancel", str(appointment.id)))
    t.say("La mission locale peut t'aider à trouver une autre date.", buttons=buttons)
    return t.stay()


async def too_late_to_cancel(t: Turn, appointment: Appointment) -> Next | None:
    """Too close to the start to cancel it here: say so, with the mission locale's phone number."""
    limit = t.world.settings.booking.cancel_until_hours
    if appointment.starts_at - t.now >= dt.timedelta(hours=limit):
        return None
    t.data.pop(STATE, None)
    t.say(f"Ton rendez-vous est dans moins de {delay_words(limit)} : je ne peux plus l'annuler ici.")
    t.say(f"Si tu ne peux pas venir, préviens la mission locale{await _phone(t, appointment)}. "
          "On trouvera une autre date.", buttons=_advisor_buttons(t))
    return t.stay()


async def only_or_list(t: Turn, start: Callable[[Turn, int], Awaitable[Next]]) -> Next:
    """"j'annule mon rdv", "je décale mon rdv": ``start`` with the one appointment, or the list to choose."""
    upcoming = await t.uow.appointments.upcoming_for_person(t.person.id, t.now)
    if not upcoming:
        t.say("Tu n'as pas de rendez-vous prévu.", buttons=[t.action("Prendre rendez-vous", "rdv_new")])
        return t.stay()
    if len(upcoming) > 1:
        return await my_appointments(t)
    return await start(t, upcoming[0].id)

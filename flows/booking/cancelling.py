"""Cancelling an appointment ("Annuler", "j'annule mon rdv"), after a confirmation; and before an erasure.

The place is freed (status ``excused``) and the .ics that removes it from their calendar is sent.
"""

from __future__ import annotations

from flows.booking import agenda
from flows.booking.changes import appointment_changed
from flows.booking.my_appointments import not_live, only_or_list, own_appointment, too_late_to_cancel
from flows.booking.search import CANCEL, STATE, enter, search_state
from flows.booking.words import calendar_file, describe, spoken
from flows.engine.script import Next, Option, Question, Step, on_action, on_erasure, on_intent
from flows.engine.turn import Turn
from flows.rules import ics
from storage.appointments import BY_SYSTEM, BY_YOUNG, CANCELLED, EXCUSED, UNKNOWN, Appointment

cancel_step = Step(CANCEL)

@on_action("rdv_cancel")
async def cancel_appointment_button(t: Turn) -> Next:
    """"Annuler": asks for confirmation first (a tap can slip)."""
    return await start_cancel(t, t.argument)


async def start_cancel(t: Turn, appointment_id: int | str) -> Next:
    """Ask to confirm the cancellation of this appointment."""
    appointment = await own_appointment(t, appointment_id)
    if (stop := not_live(t, appointment)) is not None:
        return stop
    assert appointment is not None
    if (late := await too_late_to_cancel(t, appointment)) is not None:
        return late
    t.data[STATE] = {"cancel": appointment.id}
    return enter(t, CANCEL)


@cancel_step.ask
async def _(t: Turn) -> Question:
    appointment = await own_appointment(t, search_state(t).get("cancel", 0))
    what = await describe(t, appointment) if appointment else "ce rendez-vous"
    return Question(f"Tu veux annuler ton rendez-vous ? {what}.",
                    options=[Option("yes", "Oui, annuler", ("oui", "ok", "annule", "vas y", "ouais")),
                             Option("no", "Non, le garder", ("non", "nan", "garder", "je garde"))])


@cancel_step.answer
async def _(t: Turn) -> Next:
    choice = t.choice() or ("yes" if t.is_intent("affirm") else "no" if t.is_intent("deny") else None)
    if choice == "no":
        t.data.pop(STATE, None)
        return t.done("D'accord, je garde ton rendez-vous.")
    if choice != "yes":
        return t.not_understood()
    appointment = await own_appointment(t, search_state(t).get("cancel", 0))
    if (stop := not_live(t, appointment)) is not None:
        t.data.pop(STATE, None)
        return stop
    assert appointment is not None
    if (late := await too_late_to_cancel(t, appointment)) is not None:
        return late
    await agenda.cancel(t.uow, appointment, now=t.now, status=EXCUSED)
    await appointment_changed(t, appointment, CANCELLED, by=BY_YOUNG, previous_status=UNKNOWN)
    t.data.pop(STATE, None)
    t.say(f"C'est annulé. Ton rendez-vous du {spoken(appointment.starts_at, t)} est libéré.")
    t.say("Ce fichier l'enlève de ton agenda.", document=await calendar_file(t, appointment, ics.CANCEL))
    return t.done()


@on_intent("cancel_appointment", offer="Annuler un rendez-vous")
async def cancel_appointment(t: Turn) -> Next:
    """"j'annule mon rdv": the one appointment, or the list to choose."""
    return await only_or_list(t, start_cancel)


# --- Before a person's data is erased -----------------------------------------------------------


@on_erasure(order=10)
async def cancel_before_erasure(t: Turn) -> None:
    """Cancel the person's appointments to come and tell the structure, before their data goes.

    The advisors who have a Telegram id are told at once (the message carries no person id, so the
    erasure keeps it). Without any advisor channel, the freed place shows in the structure's agenda
    and the history says so until the erasure removes it with the rest.
    """
    for appointment in await t.uow.appointments.upcoming_for_person(t.person.id, t.now):
        if not await agenda.cancel(t.uow, appointment, now=t.now, status=EXCUSED):
            continue
        told = await _tell_structure(t, appointment)
        note = "données effacées : " + ("conseillers prévenus" if told else "aucun canal conseiller, place libérée")
        await appointment_changed(t, appointment, CANCELLED, by=BY_SYSTEM, previous_status=UNKNOWN, note=note)


async def _tell_structure(t: Turn, appointment: Appointment) -> bool:
    agents = [a for a in await t.uow.structures.agents(appointment.structure_id) if a.telegram_id]
    agents.sort(key=lambda a: a.id != appointment.agent_id)  # the appointment's own advisor first
    if not agents:
        return False
    place = await agenda.place_of(t.uow, appointment)
    what = f"{place.motif.name} à {place.lieu.name}" if place else "Rendez-vous"
    text = (f"Rendez-vous annulé : {what}, le {spoken(appointment.starts_at, t)}. "
            "La personne a effacé ses données ; la place est libre.")
    for agent in agents:
        await t.send_to(channel="telegram", chat_id=str(agent.telegram_id), text=text,
                        key=f"rdv:{appointment.id}:erased:{agent.id}", kind="advisor_notice", person_id=None)
    return True

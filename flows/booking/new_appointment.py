"""Booking a new appointment with the mission locale.

The script, as the young person lives it:

1. "je veux un rdv" (or "mardi aprem à Nanterre", or the menu): the lieu of the structure serving
   their commune is proposed first, with the next free times as buttons, plus "Autres jours",
   "Plutôt le matin / l'après-midi", "Autre lieu" and, when there is a choice, "Autre type de rdv"
   (flows/booking/choosing.py); one already booked is offered to be moved first;
2. a time chosen is confirmed ("Je réserve ?"); confirming re-checks it in the booking transaction
   (flows/booking/agenda.py); if someone was faster: "Ce créneau vient d'être pris." and fresh times;
3. booked: date, time, address and how to get there, then the .ics file for their calendar.

/rdv, moving and cancelling are in my_appointments.py, moving.py and cancelling.py. Every change goes
through ``flows.booking.changes.appointment_changed``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flows.booking import agenda
from flows.booking.changes import appointment_changed
from flows.booking.moving import do_move, start_move
from flows.booking.my_appointments import own_appointment
from flows.booking.search import (
    CONFIRM,
    EXISTING,
    LIEU,
    SLOTS,
    STATE,
    enter,
    lieu_in,
    lieu_named,
    local_day,
    moment_of,
    names_a_time,
    read_when,
    search_state,
    searched,
    set_lieu,
    taken,
)
from flows.booking.words import calendar_file, directions, spoken, town_name
from flows.engine.events import BUTTON
from flows.engine.script import Next, Option, Question, Step, on_action, on_intent
from flows.engine.turn import Turn
from flows.rules import ics
from storage.appointments import BOOKED, BY_YOUNG

confirm_step = Step(CONFIRM, understands=names_a_time)  # "Autre créneau" is its way back
existing_step = Step(EXISTING, understands=names_a_time)

YES_ALIASES = ("oui", "ok", "okay", "d'accord", "dac", "vas y", "go", "ouais", "c'est bon", "parfait", "valider")
NO_ALIASES = ("non", "nan", "pas celui la", "un autre")


# --- Starting -----------------------------------------------------------------------------------


def _needs_consent(t: Turn) -> Next | None:
    if t.person.consent_at is not None:
        return None
    return t.goto("onboarding.start")  # its introduction says the assistant books appointments, then asks


async def start_booking(t: Turn, *, check_existing: bool = True) -> Next:
    """Begin a booking, from the words of the message (day, part of day, commune) when there are some."""
    if (stop := _needs_consent(t)) is not None:
        return stop
    upcoming = await t.uow.appointments.upcoming_for_person(t.person.id, t.now)
    state: dict[str, Any] = {}
    t.data[STATE] = state
    read_when(t, state)
    named = await lieu_named(t)
    if named is not None:
        state["named_lieu"] = named.id
    if check_existing and upcoming:
        state["existing"] = upcoming[0].id
        return enter(t, EXISTING)
    return await _start_search(t, state)


@existing_step.ask
async def _(t: Turn) -> Question:
    appointment = await own_appointment(t, search_state(t).get("existing", 0))
    new = Option("new", "Un autre rendez-vous", ("un autre", "un nouveau", "en plus", "nouveau rdv"))
    if appointment is None or not appointment.live:
        return Question("Tu veux prendre un rendez-vous ?", options=[new])
    return Question(f"Tu as déjà rendez-vous le {spoken(appointment.starts_at, t)}.",
                    options=[Option("move", "Le déplacer", ("deplacer", "decaler", "changer")), new])


@existing_step.answer
async def _(t: Turn) -> Next:
    existing = search_state(t).get("existing")
    if existing and t.event.kind != BUTTON and read_when(t, {}):
        return await start_move(t, existing)  # "plutôt jeudi": this appointment, on Thursday
    choice = t.choice()
    if choice == "move" and existing:
        return await start_move(t, existing)
    if choice == "new":
        return await new_appointment(t)
    return t.not_understood()


async def _start_search(t: Turn, state: dict[str, Any]) -> Next:
    lieu = await t.uow.structures.lieu(state.pop("named_lieu")) if state.get("named_lieu") else None
    proposed = False
    if lieu is None:
        lieu = await lieu_in(t, t.person.commune)
        proposed = lieu is not None
    if lieu is None or not await set_lieu(t, state, lieu):
        return enter(t, LIEU)
    state["proposed"] = proposed
    return enter(t, SLOTS)


@on_intent("book_appointment", offer="Prendre rendez-vous")
async def book_appointment(t: Turn) -> Next:
    """"je veux un rdv", "un rdv mardi aprem à Nanterre"."""
    return await start_booking(t)


@on_action("rdv_new")
async def new_appointment(t: Turn) -> Next:
    """"Un autre rendez-vous", although one is already booked."""
    if (stop := _needs_consent(t)) is not None:
        return stop
    state = search_state(t)
    kept = ("since", "wanted", "part", "named_lieu", "excluded", "noted")
    return await _start_search(t, {k: v for k, v in state.items() if k in kept})


@on_action("rdv_again")
async def book_again(t: Turn) -> Next:
    """Another appointment like a missed one, same lieu and motif (the reminders' "on replanifie ?").

    The argument is the appointment's id, for the choice of times, or "<id>:<minutes since the epoch>"
    for that time, to confirm (re-checked there).
    """
    head, with_time, minutes = t.argument.partition(":")
    appointment = await own_appointment(t, head)
    if not with_time:
        if appointment is None:
            return await start_booking(t, check_existing=False)
        t.data[STATE] = {"lieu": appointment.lieu_id, "motif": appointment.motif_id}
        return enter(t, SLOTS)
    if appointment is None or not minutes.isdigit():
        return t.resume("Je ne trouve pas ce rendez-vous. Tape /rdv pour en prendre un.")
    chosen = dt.datetime.fromtimestamp(int(minutes) * 60, dt.UTC)
    state = {"lieu": appointment.lieu_id, "motif": appointment.motif_id}
    t.data[STATE] = state
    if chosen <= t.now:
        t.say("Ce créneau est passé. Voici les prochains.")
        return enter(t, SLOTS)
    state["chosen"] = chosen.isoformat()
    return enter(t, CONFIRM)


# --- Confirming ---------------------------------------------------------------------------------


@confirm_step.ask
async def _(t: Turn) -> Question:
    state = search_state(t)
    chosen = moment_of(state.get("chosen"))
    found = await searched(t)
    if chosen is None or found is None:
        return Question("On reprend : quel créneau te va ?", options=[Option("no", "Voir les créneaux")])
    lieu, motif = found
    if state.get("moving"):
        text = f"Je déplace ton rendez-vous au {spoken(chosen, t)} ?"
        yes = "Oui, je déplace"
    else:
        text = f"{motif.name} le {spoken(chosen, t)}, à {town_name(t, lieu)}. Je réserve ?"
        yes = "Oui, je réserve"
    return Question(text, options=[Option("yes", yes, YES_ALIASES), Option("no", "Autre créneau", NO_ALIASES)])


@confirm_step.answer
async def _(t: Turn) -> Next:
    state = search_state(t)
    if t.event.kind != BUTTON and read_when(t, state, local_day(state.get("chosen"), t)):
        # "plutôt jeudi", "non, pas mardi", "plutôt 10h" (that day): back to the times, or straight to that one.
        if state.get("wanted") in state.get("offered", []):
            state["chosen"] = state.pop("wanted")
            return t.stay(reask=True)
        state.pop("chosen", None)
        return t.goto(SLOTS)
    choice = t.choice() or ("yes" if t.is_intent("affirm") else "no" if t.is_intent("deny") else None)
    if choice == "no":
        return t.goto(SLOTS)
    if choice != "yes":
        return t.not_understood()
    chosen = moment_of(state.get("chosen"))
    found = await searched(t)
    if chosen is None or found is None:
        return t.goto(SLOTS)
    if state.get("moving"):
        return await do_move(t, int(state["moving"]), chosen)
    lieu, motif = found
    appointment = await agenda.book(t.uow, person_id=t.person.id, lieu_id=lieu.id, motif=motif, starts_at=chosen,
                                    now=t.now, tz=t.world.settings.tz)
    if appointment is None:
        return taken(t)
    await appointment_changed(t, appointment, BOOKED, by=BY_YOUNG)
    t.data.pop(STATE, None)
    t.say(f"C'est réservé ! {motif.name} le {spoken(appointment.starts_at, t)}.\n{directions(lieu)}")
    t.say("Ce fichier ajoute le rendez-vous à ton agenda. Pour le changer ou l'annuler : /rdv.",
          document=await calendar_file(t, appointment, ics.REQUEST))
    return t.done()

"""Booking an appointment with the mission locale, and seeing, moving or cancelling it (/rdv).

The script, as the young person lives it:

1. "je veux un rdv" (or "mardi aprem à Nanterre", or the menu): the lieu of the structure serving
   their commune is proposed first, with the next free times as buttons, plus "Autres jours",
   "Plutôt le matin / l'après-midi", "Autre lieu" and, when there is a choice, "Autre type de rdv";
2. a time chosen is confirmed ("Je réserve ?"); confirming re-checks it in the booking transaction
   (flows/rules/agenda.py); if someone was faster: "Ce créneau vient d'être pris." and fresh times;
3. booked: date, time, address and how to get there, then the .ics file for their calendar;
4. /rdv lists what is booked, with "Déplacer" and "Annuler" buttons (action buttons carrying the
   appointment's id, harmless when pressed twice or late). Moving is possible until
   ``booking.move_until_hours`` before, cancelling until ``booking.cancel_until_hours``; later, the
   person is kindly pointed to their advisor.

Every change goes through ``appointment_changed``: the one place where what follows a booking, a
move or a cancellation is decided (history today, reminders tomorrow).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flows.engine.events import BUTTON, Document
from flows.engine.script import (
    INTENT_HANDLERS,
    Next,
    Option,
    Question,
    Step,
    on_action,
    on_command,
    on_erasure,
    on_intent,
)
from flows.engine.turn import Turn
from flows.rules import agenda, ics
from flows.rules.formatting import DAYS, clock, day, when
from flows.rules.slots import Slot
from storage.appointments import (
    BOOKED,
    BY_SYSTEM,
    BY_YOUNG,
    CANCELLED,
    EXCUSED,
    MOVED,
    REVOKED,
    SEEN,
    UNKNOWN,
    Appointment,
)
from storage.structures import Lieu, Motif

slots_step = Step("booking.slots")
confirm_step = Step("booking.confirm")  # "Autre créneau" is its way back
lieu_step = Step("booking.lieu", back="booking.slots")
motif_step = Step("booking.motif", back="booking.slots")
cancel_step = Step("booking.cancel")
existing_step = Step("booking.existing")  # "Tu as déjà rendez-vous le …": move it, or book another

STATE = "booking"  # key of this script's scratch data in the conversation
FIRST_VISIT, FOLLOW_UP = "premier-accueil", "suivi"  # motif codes with a meaning (see docs/booking.md)
FOLLOWED = ("mission_locale", "les_deux")  # onboarding answers meaning "already followed by a mission locale"
SHORT_MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")
YES_ALIASES = ("oui", "ok", "okay", "d'accord", "dac", "vas y", "go", "ouais", "c'est bon", "parfait", "valider")
NO_ALIASES = ("non", "nan", "pas celui la", "un autre")


# --- What the reminders (and every later capability) plug into ----------------------------------


async def appointment_changed(
    t: Turn,
    appointment: Appointment,
    change: str,
    *,
    by: str,
    previous_starts_at: dt.datetime | None = None,
    previous_status: str | None = None,
    note: str | None = None,
) -> None:
    """Called once after every change of an appointment, in the same transaction as the change.

    ``change`` is ``BOOKED``, ``MOVED``, ``CANCELLED`` or ``STATUS_CHANGED`` (from storage.appointments);
    ``by`` says who (``BY_YOUNG``, ``BY_AGENT``, ``BY_SYSTEM``). Today it writes the history line and,
    when the appointment moved or was cancelled, drops the messages still planned about it (their
    ``appointment_id`` is set).

    Reminders plug in here (``flows.nudges.reminders.on_appointment_changed``, called last): on BOOKED and MOVED
    they are planned with ``appointment_id=appointment.id`` and keys built from ``appointment.id`` and
    ``appointment.sequence`` (a move bumps the sequence, so the new reminders never collide with the
    cancelled ones); a no-show plans "on replanifie ?". The advisors' "venu" / "absent" buttons call
    this with STATUS_CHANGED after ``uow.appointments.set_status``.
    """
    await t.uow.appointments.record(
        appointment, event=change, by=by, now=t.now, previous_status=previous_status,
        previous_starts_at=previous_starts_at, note=note,
    )
    if change in (MOVED, CANCELLED):
        await t.uow.outbox.cancel_pending(appointment_id=appointment.id)
    if change == BOOKED:  # the advisors get the summary that prepares it (flows/handoff/handoff.py)
        from flows.handoff.handoff import prepare_appointment

        await prepare_appointment(t, appointment)
    elif change in (MOVED, CANCELLED) and by == BY_YOUNG:  # (an erasure tells them itself, by the system)
        from flows.handoff.handoff import tell_appointment_change

        await tell_appointment_change(t, appointment, previous_starts_at if change == MOVED else None)
    # Reminders, follow-up, "on replanifie ?" after a no-show (imported here: reminders build on booking).
    from flows.nudges.reminders import on_appointment_changed

    await on_appointment_changed(t, appointment, change)


# --- Words --------------------------------------------------------------------------------------


def slot_label(starts_at: dt.datetime, t: Turn) -> str:
    """A button label: "mardi 3 déc. 14 h"."""
    local = starts_at.astimezone(t.world.settings.tz)
    return f"{DAYS[local.weekday()]} {short_day(local, t)} {clock(local)}"


def short_day(starts_at: dt.datetime, t: Turn) -> str:
    """"3 déc.", "1er déc."."""
    local = starts_at.astimezone(t.world.settings.tz)
    return f"{'1er' if local.day == 1 else local.day} {SHORT_MONTHS[local.month - 1]}"


def spoken(starts_at: dt.datetime, t: Turn) -> str:
    """"mardi 3 décembre à 14 h"."""
    return when(starts_at, t.world.settings.tz)


def _duration(motif: Motif) -> str:
    minutes = motif.duration_minutes
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h" + (f" {minutes % 60:02d}" if minutes % 60 else "")


def _hours(value: float) -> str:
    """48 -> "2 jours", 4 -> "4 heures"."""
    if value >= 24 and value % 24 == 0:
        days = int(value // 24)
        return f"{days} jour" + ("s" if days > 1 else "")
    hours = int(value) if float(value).is_integer() else value
    return f"{hours} heure" + ("s" if value >= 2 else "")


def _commune_name(t: Turn, lieu: Lieu) -> str:
    commune = t.world.territory.commune(lieu.commune)
    return commune.name if commune else lieu.name


def _where(lieu: Lieu) -> str:
    lines = [f"📍 {lieu.name}, {lieu.address}"]
    if lieu.access:
        lines.append(f"🚇 {lieu.access}")
    return "\n".join(lines)


async def _calendar_file(t: Turn, appointment: Appointment, method: str) -> Document | None:
    place = await agenda.place_of(t.uow, appointment)
    if place is None:
        return None
    tz = t.world.settings.tz
    entry = ics.CalendarEntry(
        uid=appointment.uid,
        sequence=appointment.sequence,
        starts_at=appointment.starts_at.astimezone(tz),
        ends_at=appointment.ends_at.astimezone(tz),
        summary=f"{place.motif.name} – {place.structure.name}",
        location=f"{place.lieu.name}, {place.lieu.address}",
        description="\n".join(
            line for line in (
                f"Y aller : {place.lieu.access}" if place.lieu.access else "",
                f"Téléphone : {place.structure.phone}" if place.structure.phone else "",
                "Pour déplacer ou annuler : écris /rdv à Tremplin.",
            ) if line
        ),
        organizer_name=place.structure.name,
        organizer_email=place.structure.email,
        stamp=t.now,
    )
    return ics.document(entry, method)


# --- The search in progress ---------------------------------------------------------------------


def _state(t: Turn) -> dict[str, Any]:
    state = t.data.get(STATE)
    if not isinstance(state, dict):
        state = t.data[STATE] = {}
    return state


def _moment(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _local_midnight(day: dt.date, t: Turn) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=t.world.settings.tz).astimezone(dt.UTC)


def _local_day(value: str | None, t: Turn) -> dt.date | None:
    """The local day of an ISO moment kept in the state."""
    moment = _moment(value)
    return moment.astimezone(t.world.settings.tz).date() if moment else None


def _read_excluded(t: Turn, state: dict[str, Any]) -> bool:
    """Keep the days (and times) the person ruled out ("pas mardi", "je bosse lundi"); True if any."""
    found = t.entities("excluded_time")
    if not found:
        return False
    excluded = set(state.get("excluded", []))
    noted = []
    for value in found:
        try:
            if "T" in value:
                moment = dt.datetime.fromisoformat(value)
                moment = moment if moment.tzinfo else moment.replace(tzinfo=t.world.settings.tz)
                excluded.add(moment.astimezone(dt.UTC).isoformat())
            else:
                excluded.add(dt.date.fromisoformat(value).isoformat())
                noted.append(value)
        except ValueError:
            continue
    state["excluded"] = sorted(excluded)
    state["noted"] = noted
    if (wanted := state.get("wanted")) and (wanted in excluded or str(_local_day(wanted, t)) in excluded):
        state.pop("wanted")
    return True


def _read_when(t: Turn, state: dict[str, Any], on_day: dt.date | None = None) -> bool:
    """Take the day, time and part of day the person named ("mardi aprem", "jeudi 10h") and the days
    they ruled out ("je peux pas mardi"); True if any.

    ``on_day`` is the day on screen (the slots shown, the time being confirmed, the appointment being
    moved): a time said alone ("10h", "vers 15h") is a time of that day.
    """
    tz = t.world.settings.tz
    changed = _read_excluded(t, state)
    values = t.entities("time")
    value = values[0] if values else None
    clock = t.entity("clock")
    if clock:
        dates = [v for v in values if "T" not in v]  # "jeudi, mais vers 10h"
        base = dt.date.fromisoformat(dates[0]) if dates else on_day
        try:
            if base is not None:
                value = dt.datetime.combine(base, dt.time.fromisoformat(clock), tzinfo=tz).isoformat()
        except ValueError:
            pass
    if value:
        try:
            if "T" in value:
                wanted = dt.datetime.fromisoformat(value)
                if wanted.tzinfo is None:
                    wanted = wanted.replace(tzinfo=tz)
                state["wanted"] = wanted.astimezone(dt.UTC).isoformat()
                state["since"] = wanted.astimezone(tz).date().isoformat()
                state.pop("part", None)  # an exact time says more than "le matin" said before
            else:
                state["since"] = dt.date.fromisoformat(value).isoformat()
                state.pop("wanted", None)
            if state["since"] in state.get("excluded", []):  # "pas mardi" earlier, "mardi finalement" now
                state["excluded"] = [d for d in state["excluded"] if d != state["since"]]
            changed = True
        except ValueError:
            pass
    part = t.entity("part_of_day")
    if part in ("matin", "apres_midi"):
        state["part"] = part
        if not value:
            state.pop("wanted", None)  # "10h", then "plutôt l'aprem": the afternoon, not 10 h any more
        changed = True
    return changed


def _shown_day(t: Turn, state: dict[str, Any]) -> dt.date | None:
    """The day a time said alone belongs to: the day of a time shown at that hour, else the first day shown."""
    offered = state.get("offered") or []
    clock = t.entity("clock")
    tz = t.world.settings.tz
    for value in offered:
        local = dt.datetime.fromisoformat(value).astimezone(tz)
        if clock and local.strftime("%H:%M") == clock:
            return local.date()
    if offered:
        return dt.datetime.fromisoformat(offered[0]).astimezone(tz).date()
    return dt.date.fromisoformat(state["since"]) if state.get("since") else None


async def _lieu_in(t: Turn, insee: str | None) -> Lieu | None:
    """A lieu in this commune, else the first lieu of the structure serving it."""
    if insee is None:
        return None
    lieux = await t.uow.structures.lieux()
    here = next((lieu for lieu in lieux if lieu.commune == insee), None)
    if here is not None:
        return here
    structure = t.world.territory.structure_for(insee)
    if structure is None:
        return None
    return next((lieu for lieu in lieux if lieu.structure_id == structure.id), None)


async def _lieu_named(t: Turn) -> Lieu | None:
    """The lieu of the commune named in the message, if any."""
    name = t.entity("commune")
    commune = t.world.territory.commune_named(name) if name else None
    return await _lieu_in(t, commune.insee if commune else None)


async def default_motif(t: Turn, structure_id: str) -> Motif | None:
    """A first visit for newcomers, a follow-up for people the mission locale already knows."""
    motifs = [m for m in await t.uow.structures.motifs(structure_id, public_only=True) if not m.collective]
    if not motifs:
        return None
    known = t.person.followed_by in FOLLOWED or any(
        a.structure_id == structure_id for a in await t.uow.appointments.for_person(t.person.id)
        if a.status in (UNKNOWN, SEEN)
    )
    wanted = FOLLOW_UP if known else FIRST_VISIT
    return next((m for m in motifs if m.code == wanted), motifs[0])


async def _set_lieu(t: Turn, state: dict[str, Any], lieu: Lieu) -> bool:
    """Search at this lieu (and a motif of its structure); False if it offers nothing to book."""
    current = await t.uow.structures.motif(state["motif"]) if state.get("motif") else None
    if current is None or current.structure_id != lieu.structure_id:
        motif = await default_motif(t, lieu.structure_id)
        if current is not None and motif is not None:
            motif = await t.uow.structures.motif_by_code(lieu.structure_id, current.code) or motif
        if motif is None:
            return False
        state["motif"] = motif.id
    state["lieu"] = lieu.id
    return True


def _enter(t: Turn, step: str) -> Next:
    """Go to a booking question; from elsewhere in a script, come back there afterwards."""
    current = t.conversation.step
    if current in (None, "home") or current.startswith("booking."):
        return t.goto(step)
    return t.call(step)


def _needs_consent(t: Turn) -> Next | None:
    if t.person.consent_at is not None:
        return None
    return t.goto("onboarding.start")  # its introduction says the assistant books appointments, then asks


# --- Starting -----------------------------------------------------------------------------------


async def start_booking(t: Turn, *, check_existing: bool = True) -> Next:
    """Begin a booking, from the words of the message (day, part of day, commune) when there are some."""
    if (stop := _needs_consent(t)) is not None:
        return stop
    upcoming = await t.uow.appointments.upcoming_for_person(t.person.id, t.now)
    state: dict[str, Any] = {}
    t.data[STATE] = state
    _read_when(t, state)
    named = await _lieu_named(t)
    if named is not None:
        state["named_lieu"] = named.id
    if check_existing and upcoming:
        state["existing"] = upcoming[0].id
        return _enter(t, existing_step.name)
    return await _start_search(t, state)


@existing_step.ask
async def _(t: Turn) -> Question:
    appointment = await _mine(t, _state(t).get("existing", 0))
    new = Option("new", "Un autre rendez-vous", ("un autre", "un nouveau", "en plus", "nouveau rdv"))
    if appointment is None or not appointment.live:
        return Question("Tu veux prendre un rendez-vous ?", options=[new])
    return Question(f"Tu as déjà rendez-vous le {spoken(appointment.starts_at, t)}.",
                    options=[Option("move", "Le déplacer", ("deplacer", "decaler", "changer")), new])


@existing_step.answer
async def _(t: Turn) -> Next:
    existing = _state(t).get("existing")
    if existing and t.event.kind != BUTTON and _read_when(t, {}):
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
        lieu = await _lieu_in(t, t.person.commune)
        proposed = lieu is not None
    if lieu is None or not await _set_lieu(t, state, lieu):
        return _enter(t, lieu_step.name)
    state["proposed"] = proposed
    return _enter(t, slots_step.name)


@on_intent("book_appointment")
async def book_appointment(t: Turn) -> Next:
    """"je veux un rdv", "un rdv mardi aprem à Nanterre"."""
    return await start_booking(t)


@on_action("rdv_new")
async def new_appointment(t: Turn) -> Next:
    """"Un autre rendez-vous", although one is already booked."""
    if (stop := _needs_consent(t)) is not None:
        return stop
    state = _state(t)
    kept = ("since", "wanted", "part", "named_lieu", "excluded", "noted")
    return await _start_search(t, {k: v for k, v in state.items() if k in kept})


# --- Choosing a time ----------------------------------------------------------------------------


async def _search(t: Turn) -> tuple[Lieu, Motif] | None:
    state = _state(t)
    lieu = await t.uow.structures.lieu(state.get("lieu", ""))
    motif = await t.uow.structures.motif(state.get("motif", 0))
    if lieu is None or motif is None:
        return None
    return lieu, motif


async def _offer(t: Turn, lieu: Lieu, motif: Motif) -> tuple[list[Slot], str | None]:
    """The times to show now, and a line saying the day or time asked for is not free."""
    state = _state(t)
    tz = t.world.settings.tz
    count = t.world.settings.booking.slots_shown
    since_day = dt.date.fromisoformat(state["since"]) if state.get("since") else None
    since = _local_midnight(since_day, t) if since_day else None
    wanted = _moment(state.get("wanted"))
    part = state.get("part")
    moving = state.get("moving")
    current = await t.uow.appointments.get(moving) if moving else None
    excluded = state.get("excluded", [])
    skip_days = {dt.date.fromisoformat(v) for v in excluded if "T" not in v}
    skip_starts = {dt.datetime.fromisoformat(v) for v in excluded if "T" in v}
    slots = await agenda.offer(t.uow, lieu_id=lieu.id, motif=motif, now=t.now, tz=tz, since=since,
                               part_of_day=part, count=count * 10 if wanted else count + 1, ignore_appointment=moving,
                               skip_days=skip_days, skip_starts=skip_starts)
    if current is not None:
        slots = [s for s in slots if s.starts_at != current.starts_at]  # moving to the same time is no move
    if not wanted:
        slots = slots[:count]
    note = None
    if wanted is not None:
        same_day = [s for s in slots if s.starts_at.astimezone(tz).date() == since_day]
        later = [s for s in slots if s not in same_day]
        same_day.sort(key=lambda s: abs(s.starts_at - wanted))
        slots = (same_day + later)[:count]
        if not slots or slots[0].starts_at != wanted:
            note = f"Pas de place le {spoken(wanted, t)}. Voici les plus proches."
    elif (since_day is not None and since_day not in skip_days and slots
          and slots[0].starts_at.astimezone(tz).date() != since_day):
        note = f"Rien de libre le {DAYS[since_day.weekday()]} {since_day.day}. Voici les suivants."
    return slots, note


def _nav_options(state: dict[str, Any], more_motifs: bool, has_slots: bool) -> list[Option]:
    options = []
    if has_slots:
        options.append(Option("more", "Autres jours", ("autres", "d'autres", "autres dates", "autre jour",
                                                       "semaine prochaine", "plus loin", "suivant")))
    part = state.get("part")
    if part != "matin":
        options.append(Option("matin", "Plutôt le matin", ("matin", "le matin", "matinee")))
    if part != "apres_midi":
        options.append(Option("aprem", "Plutôt l'après-midi", ("apres midi", "aprem", "l'aprem", "apm")))
    if part is not None:
        options.append(Option("day", "Toute la journée", ("peu importe", "n'importe quand", "toute la journee")))
    if not state.get("moving"):
        options.append(Option("lieu", "Autre lieu", ("autre ville", "ailleurs", "autre endroit", "autre mission")))
        if more_motifs:
            options.append(Option("motif", "Autre type de rdv", ("autre motif", "atelier", "autre type")))
    options.append(Option("quit", "Laisser tomber", ("laisse tomber", "non merci", "pas maintenant", "tant pis")))
    return options


@slots_step.ask
async def _(t: Turn) -> Question:
    state = _state(t)
    found = await _search(t)
    if found is None:
        return Question("Dans quelle ville veux-tu ton rendez-vous ?", options=[Option("lieu", "Choisir un lieu")])
    lieu, motif = found
    slots, note = await _offer(t, lieu, motif)
    state["offered"] = [s.starts_at.isoformat() for s in slots]
    more_motifs = len(await t.uow.structures.motifs(lieu.structure_id, public_only=True)) > 1
    town = _commune_name(t, lieu)
    before: tuple[str, ...] = ()
    if state.pop("proposed", False):
        structure = await t.uow.structures.structure(lieu.structure_id)
        before = (f"Je te propose la mission locale près de chez toi : {structure.name if structure else town}.",)
    nav = _nav_options(state, more_motifs, bool(slots))
    noted = state.pop("noted", None)
    if not slots:
        if state.get("since") or state.get("part") or state.get("excluded"):
            for key in ("since", "wanted", "excluded"):
                state.pop(key, None)
            text = "Je n'ai plus rien de libre à ces dates. Essaie une autre partie de la journée ou un autre lieu."
        else:
            text = f"Je n'ai plus de créneau libre à {town} pour l'instant. Tu peux choisir un autre lieu."
        return Question(text, options=nav, before=before, columns=2)
    lines = [note] if note else []
    if noted:
        lines.insert(0, "C'est noté : pas le " + ", ni le ".join(day(dt.date.fromisoformat(d)) for d in noted) + ".")
    moving = await t.uow.appointments.get(state["moving"]) if state.get("moving") else None
    if moving is not None:
        before = (f"Ton rendez-vous est le {spoken(moving.starts_at, t)}.",)
        lines.append(f"Quel autre créneau te va, à {town} ?")
    else:
        lines.append(f"{motif.name} ({_duration(motif)}), à {town}. Quel créneau te va ?")
    options = [Option(f"s{i}", slot_label(s.starts_at, t)) for i, s in enumerate(slots)]
    return Question("\n".join(lines), options=options + nav, before=before, columns=2)


@slots_step.explain
async def _(t: Turn) -> Question:
    question = await slots_step.question(t)
    question.before = ("Appuie sur un créneau. Tu peux aussi écrire un jour, par exemple « jeudi matin ».",)
    return question


@slots_step.answer
async def _(t: Turn) -> Next:
    state = _state(t)
    offered = state.get("offered", [])
    if t.event.kind != BUTTON:
        # A typed day, time or town ("jeudi matin", "à Colombes") says more than the nearest button.
        named = await _lieu_named(t)
        moved_place = named is not None and not state.get("moving") and named.id != state.get("lieu")
        if moved_place and named is not None:
            await _set_lieu(t, state, named)
        if _read_when(t, state, _shown_day(t, state)) or moved_place:
            if not moved_place and state.get("wanted") in offered:
                state["chosen"] = state.pop("wanted")  # the person typed one of the times shown
                return t.goto(confirm_step.name)
            return t.stay(reask=True)
    choice = t.choice()
    if choice and choice.startswith("s") and choice[1:].isdigit() and int(choice[1:]) < len(offered):
        state["chosen"] = offered[int(choice[1:])]
        return t.goto(confirm_step.name)
    if choice == "more":
        if offered:
            last = dt.datetime.fromisoformat(offered[-1]).astimezone(t.world.settings.tz).date()
            state["since"] = (last + dt.timedelta(days=1)).isoformat()
        state.pop("wanted", None)
        return t.stay(reask=True)
    if choice in ("matin", "aprem", "day"):
        state["part"] = {"matin": "matin", "aprem": "apres_midi"}.get(choice)
        return t.stay(reask=True)
    if choice == "lieu":
        return t.goto(lieu_step.name)
    if choice == "motif":
        return t.goto(motif_step.name)
    if choice == "quit":
        t.data.pop(STATE, None)
        return t.done("D'accord. Reviens quand tu veux pour prendre rendez-vous.")
    return t.not_understood()


# --- Confirming ---------------------------------------------------------------------------------


@confirm_step.ask
async def _(t: Turn) -> Question:
    state = _state(t)
    chosen = _moment(state.get("chosen"))
    found = await _search(t)
    if chosen is None or found is None:
        return Question("On reprend : quel créneau te va ?", options=[Option("no", "Voir les créneaux")])
    lieu, motif = found
    if state.get("moving"):
        text = f"Je déplace ton rendez-vous au {spoken(chosen, t)} ?"
        yes = "Oui, je déplace"
    else:
        text = f"{motif.name} le {spoken(chosen, t)}, à {_commune_name(t, lieu)}. Je réserve ?"
        yes = "Oui, je réserve"
    return Question(text, options=[Option("yes", yes, YES_ALIASES), Option("no", "Autre créneau", NO_ALIASES)])


@confirm_step.answer
async def _(t: Turn) -> Next:
    state = _state(t)
    if t.event.kind != BUTTON and _read_when(t, state, _local_day(state.get("chosen"), t)):
        # "plutôt jeudi", "non, pas mardi", "plutôt 10h" (that day): back to the times, or straight to that one.
        if state.get("wanted") in state.get("offered", []):
            state["chosen"] = state.pop("wanted")
            return t.stay(reask=True)
        state.pop("chosen", None)
        return t.goto(slots_step.name)
    choice = t.choice() or ("yes" if t.is_intent("affirm") else "no" if t.is_intent("deny") else None)
    if choice == "no":
        return t.goto(slots_step.name)
    if choice != "yes":
        return t.not_understood()
    chosen = _moment(state.get("chosen"))
    found = await _search(t)
    if chosen is None or found is None:
        return t.goto(slots_step.name)
    if state.get("moving"):
        return await _do_move(t, int(state["moving"]), chosen)
    lieu, motif = found
    appointment = await agenda.book(t.uow, person_id=t.person.id, lieu_id=lieu.id, motif=motif, starts_at=chosen,
                                    now=t.now, tz=t.world.settings.tz)
    if appointment is None:
        return _taken(t)
    await appointment_changed(t, appointment, BOOKED, by=BY_YOUNG)
    t.data.pop(STATE, None)
    t.say(f"C'est réservé ! {motif.name} le {spoken(appointment.starts_at, t)}.\n{_where(lieu)}")
    t.say("Ce fichier ajoute le rendez-vous à ton agenda. Pour le changer ou l'annuler : /rdv.",
          document=await _calendar_file(t, appointment, ics.REQUEST))
    return t.done()


def _taken(t: Turn) -> Next:
    state = _state(t)
    state.pop("chosen", None)
    state.pop("wanted", None)
    t.say("Ce créneau vient d'être pris.")
    return t.goto(slots_step.name)


async def _do_move(t: Turn, appointment_id: int, starts_at: dt.datetime) -> Next:
    appointment = await _mine(t, appointment_id)
    if appointment is None or not appointment.live:
        t.data.pop(STATE, None)
        return t.done("Ce rendez-vous n'est plus prévu : je ne peux pas le déplacer.")
    if (late := _too_late_to_move(t, appointment)) is not None:
        return late
    previous = appointment.starts_at
    if not await agenda.move(t.uow, appointment, starts_at=starts_at, now=t.now, tz=t.world.settings.tz):
        return _taken(t)
    await appointment_changed(t, appointment, MOVED, by=BY_YOUNG, previous_starts_at=previous)
    t.data.pop(STATE, None)
    place = await agenda.place_of(t.uow, appointment)
    where = f"\n{_where(place.lieu)}" if place else ""
    t.say(f"C'est fait ! Ton rendez-vous est maintenant le {spoken(appointment.starts_at, t)}.{where}")
    t.say("Ce fichier met à jour ton agenda.", document=await _calendar_file(t, appointment, ics.REQUEST))
    return t.done()


# --- Other lieu, other motif --------------------------------------------------------------------


@lieu_step.ask
async def _(t: Turn) -> Question:
    lieux = await t.uow.structures.lieux()
    own = t.world.territory.structure_for(t.person.commune)
    lieux.sort(key=lambda lieu: (own is None or lieu.structure_id != own.id, _commune_name(t, lieu)))
    options = [Option(lieu.id, _commune_name(t, lieu), (lieu.name,)) for lieu in lieux]
    return Question("Dans quelle ville veux-tu ton rendez-vous ?", options=options, columns=2)


@lieu_step.answer
async def _(t: Turn) -> Next:
    state = _state(t)
    chosen = t.choice()
    lieu = await t.uow.structures.lieu(chosen) if chosen else await _lieu_named(t)
    if lieu is None:
        guesses = t.world.territory.guess_communes(t.text)
        lieu = await _lieu_in(t, guesses[0].insee) if len(guesses) == 1 else None
    if lieu is None:
        return t.not_understood()
    _read_when(t, state)
    if not await _set_lieu(t, state, lieu):
        return t.stay(f"On ne peut pas encore réserver à {_commune_name(t, lieu)} ici. Choisis un autre lieu.",
                      reask=True)
    return t.goto(slots_step.name)


@motif_step.ask
async def _(t: Turn) -> Question:
    state = _state(t)
    lieu = await t.uow.structures.lieu(state.get("lieu", ""))
    motifs = await t.uow.structures.motifs(lieu.structure_id, public_only=True) if lieu else []
    return Question("C'est pour quel type de rendez-vous ?",
                    options=[Option(f"m{m.id}", m.name) for m in motifs], columns=1)


@motif_step.answer
async def _(t: Turn) -> Next:
    state = _state(t)
    choice = t.choice()
    if not choice or not choice.startswith("m") or not choice[1:].isdigit():
        return t.not_understood()
    motif = await t.uow.structures.motif(int(choice[1:]))
    lieu = await t.uow.structures.lieu(state.get("lieu", ""))
    if motif is None or lieu is None or motif.structure_id != lieu.structure_id:
        return t.not_understood()
    state["motif"] = motif.id
    return t.goto(slots_step.name)


# --- /rdv: seeing, moving, cancelling -----------------------------------------------------------


async def _mine(t: Turn, appointment_id: int | str) -> Appointment | None:
    """The appointment if it is this person's (a button is signed for them; this is a second lock)."""
    try:
        appointment = await t.uow.appointments.get(int(appointment_id))
    except ValueError:
        return None
    return appointment if appointment is not None and appointment.person_id == t.person.id else None


async def _describe(t: Turn, appointment: Appointment) -> str:
    place = await agenda.place_of(t.uow, appointment)
    where = f", à {_commune_name(t, place.lieu)}" if place else ""
    what = place.motif.name if place else "Rendez-vous"
    return f"{what} le {spoken(appointment.starts_at, t)}{where}"


@on_intent("my_appointments")
@on_command("rdv", "Tes rendez-vous")
async def my_appointments(t: Turn) -> Next:
    """The appointments to come, each with a button to move it and one to cancel it."""
    upcoming = await t.uow.appointments.upcoming_for_person(t.person.id, t.now)
    if not upcoming:
        t.say("Tu n'as pas de rendez-vous prévu.", buttons=[t.action("Prendre rendez-vous", "rdv_new")])
        return t.stay()
    if len(upcoming) == 1:
        appointment = upcoming[0]
        t.say(
            f"Ton prochain rendez-vous : {await _describe(t, appointment)}.",
            buttons=[t.action("Le déplacer", "rdv_move", str(appointment.id)),
                     t.action("L'annuler", "rdv_cancel", str(appointment.id))],
        )
        return t.stay()
    lines = [f"{i}. {await _describe(t, a)}" for i, a in enumerate(upcoming[:5], start=1)]
    buttons = []
    for appointment in upcoming[:5]:
        day = short_day(appointment.starts_at, t)
        buttons += [t.action(f"Déplacer le {day}", "rdv_move", str(appointment.id)),
                    t.action(f"Annuler le {day}", "rdv_cancel", str(appointment.id))]
    t.say("Tes rendez-vous :\n" + "\n".join(lines), buttons=buttons)
    return t.stay()


def _not_live(t: Turn, appointment: Appointment | None) -> Next | None:
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


def _too_late_to_move(t: Turn, appointment: Appointment) -> Next | None:
    limit = t.world.settings.booking.move_until_hours
    if appointment.starts_at - t.now >= dt.timedelta(hours=limit):
        return None
    t.data.pop(STATE, None)
    t.say(f"Ton rendez-vous est dans moins de {_hours(limit)} : je ne peux plus le déplacer ici.")
    buttons = list(_advisor_buttons(t))
    if appointment.starts_at - t.now >= dt.timedelta(hours=t.world.settings.booking.cancel_until_hours):
        buttons.insert(0, t.action("L'annuler", "rdv_cancel", str(appointment.id)))
    t.say("Ton conseiller peut t'aider à trouver une autre date.", buttons=buttons)
    return t.stay()


async def _too_late_to_cancel(t: Turn, appointment: Appointment) -> Next | None:
    limit = t.world.settings.booking.cancel_until_hours
    if appointment.starts_at - t.now >= dt.timedelta(hours=limit):
        return None
    t.data.pop(STATE, None)
    t.say(f"Ton rendez-vous est dans moins de {_hours(limit)} : je ne peux plus l'annuler ici.")
    t.say(f"Si tu ne peux pas venir, préviens la mission locale{await _phone(t, appointment)}. "
          "On trouvera une autre date.", buttons=_advisor_buttons(t))
    return t.stay()


@on_action("rdv_move")
async def move_appointment(t: Turn) -> Next:
    """"Déplacer": new times at the same lieu, for the same motif."""
    return await start_move(t, t.argument)


async def start_move(t: Turn, appointment_id: int | str) -> Next:
    """Offer new times for this appointment (the day named in the message first, if any)."""
    appointment = await _mine(t, appointment_id)
    if (stop := _not_live(t, appointment)) is not None:
        return stop
    assert appointment is not None
    if (late := _too_late_to_move(t, appointment)) is not None:
        return late
    state = {"moving": appointment.id, "lieu": appointment.lieu_id, "motif": appointment.motif_id}
    t.data[STATE] = state
    _read_when(t, state, appointment.starts_at.astimezone(t.world.settings.tz).date())  # "mets-le à 10h": that day
    return _enter(t, slots_step.name)


@on_action("rdv_cancel")
async def cancel_appointment_button(t: Turn) -> Next:
    """"Annuler": asks for confirmation first (a tap can slip)."""
    return await start_cancel(t, t.argument)


async def start_cancel(t: Turn, appointment_id: int | str) -> Next:
    """Ask to confirm the cancellation of this appointment."""
    appointment = await _mine(t, appointment_id)
    if (stop := _not_live(t, appointment)) is not None:
        return stop
    assert appointment is not None
    if (late := await _too_late_to_cancel(t, appointment)) is not None:
        return late
    t.data[STATE] = {"cancel": appointment.id}
    return _enter(t, cancel_step.name)


@cancel_step.ask
async def _(t: Turn) -> Question:
    appointment = await _mine(t, _state(t).get("cancel", 0))
    what = await _describe(t, appointment) if appointment else "ce rendez-vous"
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
    appointment = await _mine(t, _state(t).get("cancel", 0))
    if (stop := _not_live(t, appointment)) is not None:
        t.data.pop(STATE, None)
        return stop
    assert appointment is not None
    if (late := await _too_late_to_cancel(t, appointment)) is not None:
        return late
    await agenda.cancel(t.uow, appointment, now=t.now, status=EXCUSED)
    await appointment_changed(t, appointment, CANCELLED, by=BY_YOUNG, previous_status=UNKNOWN)
    t.data.pop(STATE, None)
    t.say(f"C'est annulé. Ton rendez-vous du {spoken(appointment.starts_at, t)} est libéré.")
    t.say("Ce fichier l'enlève de ton agenda.", document=await _calendar_file(t, appointment, ics.CANCEL))
    return t.done()


async def _only_or_list(t: Turn, start: Any) -> Next:
    upcoming = await t.uow.appointments.upcoming_for_person(t.person.id, t.now)
    if not upcoming:
        t.say("Tu n'as pas de rendez-vous prévu.", buttons=[t.action("Prendre rendez-vous", "rdv_new")])
        return t.stay()
    if len(upcoming) > 1:
        return await my_appointments(t)
    return await start(t, upcoming[0].id)


@on_intent("cancel_appointment")
async def cancel_appointment(t: Turn) -> Next:
    """"j'annule mon rdv": the one appointment, or the list to choose."""
    return await _only_or_list(t, start_cancel)


@on_intent("reschedule_appointment")
async def reschedule_appointment(t: Turn) -> Next:
    """"je peux décaler mon rdv à jeudi ?": the one appointment, or the list to choose."""
    return await _only_or_list(t, start_move)


# --- Before a person's data is erased -----------------------------------------------------------


@on_erasure
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


def _names_a_time(t: Turn) -> bool:
    """The message says when ("jeudi ça me dérange pas", "mercredi et jeudi c'est mort"): an answer to
    the slots on screen, not a cry for help (flows/engine/engine.py weighs the NLU's distress against it)."""
    return any(t.entities(kind) for kind in ("time", "excluded_time", "clock", "part_of_day"))


for _step in (slots_step, confirm_step, existing_step):
    _step.understands = _names_a_time

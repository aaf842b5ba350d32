"""Choosing a time: the free times at a lieu, other days or part of the day, another lieu, another motif.

The search (what, where, when) is in ``t.data[STATE]`` (flows/booking/search.py); a time chosen goes
to the confirmation (flows/booking/new_appointment.py), which books it or moves the appointment.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flows.booking import agenda
from flows.booking.search import (
    CONFIRM,
    LIEU,
    MOTIF,
    SLOTS,
    STATE,
    lieu_in,
    lieu_named,
    moment_of,
    names_a_time,
    read_when,
    search_state,
    searched,
    set_lieu,
)
from flows.booking.words import duration_words, slot_label, spoken, town_name
from flows.engine.events import BUTTON
from flows.engine.script import Next, Option, Question, Step
from flows.engine.turn import Turn
from flows.rules.formatting import DAYS, day
from flows.rules.slots import Slot
from storage.structures import Lieu, Motif

slots_step = Step(SLOTS, understands=names_a_time)
lieu_step = Step(LIEU, back=SLOTS)
motif_step = Step(MOTIF, back=SLOTS)


# --- The times ----------------------------------------------------------------------------------


def _local_midnight(day: dt.date, t: Turn) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=t.world.settings.tz).astimezone(dt.UTC)


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


async def _offer(t: Turn, lieu: Lieu, motif: Motif) -> tuple[list[Slot], str | None]:
    """The times to show now, and a line saying the day or time asked for is not free."""
    state = search_state(t)
    tz = t.world.settings.tz
    count = t.world.settings.booking.slots_shown
    since_day = dt.date.fromisoformat(state["since"]) if state.get("since") else None
    since = _local_midnight(since_day, t) if since_day else None
    wanted = moment_of(state.get("wanted"))
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
    state = search_state(t)
    found = await searched(t)
    if found is None:
        return Question("Dans quelle ville veux-tu ton rendez-vous ?", options=[Option("lieu", "Choisir un lieu")])
    lieu, motif = found
    slots, note = await _offer(t, lieu, motif)
    state["offered"] = [s.starts_at.isoformat() for s in slots]
    more_motifs = len(await t.uow.structures.motifs(lieu.structure_id, public_only=True)) > 1
    town = town_name(t, lieu)
    before: tuple[str, ...] = ()
    if state.pop("proposed", False):
        structure = await t.uow.structures.structure(lieu.structure_id)
        before = (f"La plus proche de chez toi : {structure.name if structure else town}.",)
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
        lines.append(f"{motif.name} ({duration_words(motif)}), à {town}. Quel créneau te va ?")
    options = [Option(f"s{i}", slot_label(s.starts_at, t)) for i, s in enumerate(slots)]
    return Question("\n".join(lines), options=options + nav, before=before, columns=2)


@slots_step.explain
async def _(t: Turn) -> Question:
    question = await slots_step.question(t)
    question.before = ("Appuie sur un créneau. Tu peux aussi écrire un jour, par exemple « jeudi matin ».",)
    return question


@slots_step.answer
async def _(t: Turn) -> Next:
    state = search_state(t)
    offered = state.get("offered", [])
    if t.event.kind != BUTTON:
        # A typed day, time or town ("jeudi matin", "à Colombes") says more than the nearest button.
        named = await lieu_named(t)
        moved_place = named is not None and not state.get("moving") and named.id != state.get("lieu")
        if moved_place and named is not None:
            await set_lieu(t, state, named)
        if read_when(t, state, _shown_day(t, state)) or moved_place:
            if not moved_place and state.get("wanted") in offered:
                state["chosen"] = state.pop("wanted")  # the person typed one of the times shown
                return t.goto(CONFIRM)
            return t.stay(reask=True)
    choice = t.choice()
    if choice and choice.startswith("s") and choice[1:].isdigit() and int(choice[1:]) < len(offered):
        state["chosen"] = offered[int(choice[1:])]
        return t.goto(CONFIRM)
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
        return t.goto(LIEU)
    if choice == "motif":
        return t.goto(MOTIF)
    if choice == "quit":
        t.data.pop(STATE, None)
        return t.done("D'accord. Reviens quand tu veux pour prendre rendez-vous.")
    return t.not_understood()


# --- Other lieu, other motif --------------------------------------------------------------------


@lieu_step.ask
async def _(t: Turn) -> Question:
    lieux = await t.uow.structures.lieux()
    own = t.world.territory.structure_for(t.person.commune)
    lieux.sort(key=lambda lieu: (own is None or lieu.structure_id != own.id, town_name(t, lieu)))
    options = [Option(lieu.id, town_name(t, lieu), (lieu.name,)) for lieu in lieux]
    return Question("Dans quelle ville veux-tu ton rendez-vous ?", options=options, columns=2)


@lieu_step.answer
async def _(t: Turn) -> Next:
    state = search_state(t)
    chosen = t.choice()
    lieu = await t.uow.structures.lieu(chosen) if chosen else await lieu_named(t)
    if lieu is None:
        guesses = t.world.territory.guess_communes(t.text)
        lieu = await lieu_in(t, guesses[0].insee) if len(guesses) == 1 else None
    if lieu is None:
        return t.not_understood()
    read_when(t, state)
    if not await set_lieu(t, state, lieu):
        return t.stay(f"On ne peut pas encore réserver à {town_name(t, lieu)} ici. Choisis un autre lieu.",
                      reask=True)
    return t.goto(SLOTS)


@motif_step.ask
async def _(t: Turn) -> Question:
    state = search_state(t)
    lieu = await t.uow.structures.lieu(state.get("lieu", ""))
    motifs = await t.uow.structures.motifs(lieu.structure_id, public_only=True) if lieu else []
    return Question("C'est pour quel type de rendez-vous ?",
                    options=[Option(f"m{m.id}", m.name) for m in motifs], columns=1)


@motif_step.answer
async def _(t: Turn) -> Next:
    state = search_state(t)
    choice = t.choice()
    if not choice or not choice.startswith("m") or not choice[1:].isdigit():
        return t.not_understood()
    motif = await t.uow.structures.motif(int(choice[1:]))
    lieu = await t.uow.structures.lieu(state.get("lieu", ""))
    if motif is None or lieu is None or motif.structure_id != lieu.structure_id:
        return t.not_understood()
    state["motif"] = motif.id
    return t.goto(SLOTS)

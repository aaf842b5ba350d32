"""The search in progress: where, what and when the person wants, kept between messages.

Every booking script (new appointment, choice of times, move) reads and writes the same scratch data,
``t.data[STATE]``: ``lieu`` and ``motif`` (what is searched), ``since`` / ``wanted`` / ``part`` /
``excluded`` (the day, time and part of day asked for, the days ruled out), ``offered`` (the times on
screen), ``chosen`` (the time being confirmed), ``moving`` (the appointment being moved).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flows.engine.script import Next
from flows.engine.turn import Turn
from storage.appointments import SEEN, UNKNOWN
from storage.structures import Lieu, Motif

STATE = "booking"  # key of this script's scratch data in the conversation
FIRST_VISIT, FOLLOW_UP = "premier-accueil", "suivi"  # motif codes with a meaning (see docs/booking.md)
FOLLOWED = ("mission_locale", "les_deux")  # onboarding answers meaning "already followed by a mission locale"

# The booking's steps (the names are stored in conversations in progress: never rename them).
SLOTS, CONFIRM, LIEU, MOTIF = "booking.slots", "booking.confirm", "booking.lieu", "booking.motif"
CANCEL = "booking.cancel"
EXISTING = "booking.existing"  # "Tu as déjà rendez-vous le …": move it, or book another


def search_state(t: Turn) -> dict[str, Any]:
    """The scratch data of the booking in progress (created empty when there is none)."""
    state = t.data.get(STATE)
    if not isinstance(state, dict):
        state = t.data[STATE] = {}
    return state


def moment_of(value: str | None) -> dt.datetime | None:
    """A moment kept in the state (ISO text), or None."""
    return dt.datetime.fromisoformat(value) if value else None


def local_day(value: str | None, t: Turn) -> dt.date | None:
    """The local day of an ISO moment kept in the state."""
    moment = moment_of(value)
    return moment.astimezone(t.world.settings.tz).date() if moment else None


async def searched(t: Turn) -> tuple[Lieu, Motif] | None:
    """The lieu and motif of the search, if both still exist."""
    state = search_state(t)
    lieu = await t.uow.structures.lieu(state.get("lieu", ""))
    motif = await t.uow.structures.motif(state.get("motif", 0))
    if lieu is None or motif is None:
        return None
    return lieu, motif


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
    if (wanted := state.get("wanted")) and (wanted in excluded or str(local_day(wanted, t)) in excluded):
        state.pop("wanted")
    return True


def read_when(t: Turn, state: dict[str, Any], on_day: dt.date | None = None) -> bool:
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


def names_a_time(t: Turn) -> bool:
    """The message says when ("jeudi ça me dérange pas", "mercredi et jeudi c'est mort"): an answer to
    the slots on screen, not a cry for help (flows/engine/engine.py weighs the NLU's distress against it)."""
    return any(t.entities(kind) for kind in ("time", "excluded_time", "clock", "part_of_day"))


async def lieu_in(t: Turn, insee: str | None) -> Lieu | None:
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


async def lieu_named(t: Turn) -> Lieu | None:
    """The lieu of the commune named in the message, if any."""
    name = t.entity("commune")
    commune = t.world.territory.commune_named(name) if name else None
    return await lieu_in(t, commune.insee if commune else None)


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


async def set_lieu(t: Turn, state: dict[str, Any], lieu: Lieu) -> bool:
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


def enter(t: Turn, step: str) -> Next:
    """Go to a booking question; from elsewhere in a script, come back there afterwards."""
    current = t.conversation.step
    if current in (None, "home") or current.startswith("booking."):
        return t.goto(step)
    return t.call(step)


def taken(t: Turn) -> Next:
    """The time chosen was booked by someone faster: back to the times."""
    state = search_state(t)
    state.pop("chosen", None)
    state.pop("wanted", None)
    t.say("Ce créneau vient d'être pris.")
    return t.goto(SLOTS)

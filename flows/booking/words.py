"""How the booking says times, places and durations, and the calendar file it sends."""

from __future__ import annotations

import datetime as dt

from flows.booking import agenda
from flows.engine.events import Document
from flows.engine.turn import Turn
from flows.rules import ics
from flows.rules.formatting import short_day as day_of_month
from flows.rules.formatting import short_when, when
from storage.appointments import Appointment
from storage.structures import Lieu, Motif


def slot_label(starts_at: dt.datetime, t: Turn) -> str:
    """A button label: "mardi 3 déc. 14 h"."""
    return short_when(starts_at, t.world.settings.tz)


def short_day(starts_at: dt.datetime, t: Turn) -> str:
    """"3 déc.", "1er déc."."""
    return day_of_month(starts_at.astimezone(t.world.settings.tz))


def spoken(starts_at: dt.datetime, t: Turn) -> str:
    """"mardi 3 décembre à 14 h"."""
    return when(starts_at, t.world.settings.tz)


def duration_words(motif: Motif) -> str:
    """"45 min", "1 h 30"."""
    minutes = motif.duration_minutes
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h" + (f" {minutes % 60:02d}" if minutes % 60 else "")


def delay_words(value: float) -> str:
    """48 -> "2 jours", 4 -> "4 heures"."""
    if value >= 24 and value % 24 == 0:
        days = int(value // 24)
        return f"{days} jour" + ("s" if days > 1 else "")
    shown = int(value) if float(value).is_integer() else value
    return f"{shown} heure" + ("s" if value >= 2 else "")


def town_name(t: Turn, lieu: Lieu) -> str:
    """The name of the lieu's commune (the lieu's own name when the territory does not know it)."""
    commune = t.world.territory.commune(lieu.commune)
    return commune.name if commune else lieu.name


def directions(lieu: Lieu) -> str:
    """"📍 name, address" and, when known, "🚇 how to get there"."""
    lines = [f"📍 {lieu.name}, {lieu.address}"]
    if lieu.access:
        lines.append(f"🚇 {lieu.access}")
    return "\n".join(lines)


async def describe(t: Turn, appointment: Appointment) -> str:
    """"Premier accueil le mardi 3 décembre à 14 h, à Nanterre"."""
    place = await agenda.place_of(t.uow, appointment)
    at = f", à {town_name(t, place.lieu)}" if place else ""
    what = place.motif.name if place else "Rendez-vous"
    return f"{what} le {spoken(appointment.starts_at, t)}{at}"


async def calendar_file(t: Turn, appointment: Appointment, method: str) -> Document | None:
    """The .ics that adds (``ics.REQUEST``) or removes (``ics.CANCEL``) the appointment in their calendar."""
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
    return Document(filename=ics.filename(entry, method), content=ics.calendar(entry, method), mime_type=ics.MIME_TYPE)


async def booked_by_advisor(t: Turn, advisor: str, appointment: Appointment) -> None:
    """What the young person reads when an advisor booked for them (the desk): when, where, the calendar file."""
    t.say(f"{advisor} t'a pris un rendez-vous : {await describe(t, appointment)}.")
    t.say("Ce fichier l'ajoute à ton agenda. Pour le changer : /rdv.",
          document=await calendar_file(t, appointment, ics.REQUEST))


async def moved_by_advisor(t: Turn, advisor: str, appointment: Appointment) -> None:
    """What the young person reads when an advisor moved their appointment (the desk)."""
    t.say(f"{advisor} a déplacé ton rendez-vous : c'est maintenant le {spoken(appointment.starts_at, t)}.")
    t.say("Ce fichier met à jour ton agenda.", document=await calendar_file(t, appointment, ics.REQUEST))
